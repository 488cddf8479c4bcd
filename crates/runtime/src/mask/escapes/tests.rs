use super::*;
use crate::mask::{Masker, MASK};
use std::process::Command;

/// The secret of the report that found these forms.
const REPORTED: &str = r##"p@ss:w/rd$(id)'"#x y%41"##;

/// Every character the forms treat specially: a leading `#` and `~`, `~`
/// after `:` and `=`, `$(..)`, both quotes, backslashes, a tab, a newline,
/// escape and delete, text beyond ASCII (two bytes, three, four).
const HOSTILE: &str = "#~lead:~x=~y $(id) 'sq' \"dq\" \\back\\ tab\there\nnl é€🔑 ctl\x1b\x7f end";

/// Only a `'`: Python's repr puts it in double quotes.
const APOSTROPHE: &str = "it's a s3cret value";

fn masker(secret: &str) -> Masker {
    let mut m = Masker::new();
    m.add(secret);
    m
}

/// What bash 5.2 and Python 3.11 printed for [`HOSTILE`] and [`REPORTED`],
/// inside their quotes.
#[test]
fn forms_are_written_as_bash_and_python_write_them() {
    assert_eq!(
        bash_backslashed(REPORTED, true),
        r##"p@ss:w/rd\$\(id\)\'\"#x\ y%41"##
    );
    assert_eq!(double_quoted(REPORTED), r##"p@ss:w/rd\$(id)'\"#x y%41"##);
    assert_eq!(
        python_repr(REPORTED, NonAscii::Verbatim, true),
        r##"p@ss:w/rd$(id)\'"#x y%41"##
    );
    let printable: String = HOSTILE.chars().filter(|c| !c.is_control()).collect();
    assert_eq!(
        bash_backslashed(&printable, true),
        r##"\#~lead:\~x=\~y\ \$\(id\)\ \'sq\'\ \"dq\"\ \\back\\\ tabherenl\ é€🔑\ ctl\ end"##
    );
    assert_eq!(
        ansi_c_quoted(HOSTILE, false),
        r##"#~lead:~x=~y $(id) \'sq\' "dq" \\back\\ tab\there\nnl é€🔑 ctl\E\177 end"##
    );
    assert_eq!(
        ansi_c_quoted(HOSTILE, true),
        r##"#~lead:~x=~y $(id) \'sq\' "dq" \\back\\ tab\there\nnl \303\251\342\202\254\360\237\224\221 ctl\E\177 end"##
    );
    assert_eq!(
        python_repr(HOSTILE, NonAscii::Verbatim, true),
        r##"#~lead:~x=~y $(id) \'sq\' "dq" \\back\\ tab\there\nnl é€🔑 ctl\x1b\x7f end"##
    );
    assert_eq!(
        python_repr(HOSTILE, NonAscii::CodePoints, true),
        r##"#~lead:~x=~y $(id) \'sq\' "dq" \\back\\ tab\there\nnl \xe9\u20ac\U0001f511 ctl\x1b\x7f end"##
    );
    assert_eq!(
        python_repr(HOSTILE, NonAscii::Utf8Bytes, true),
        r##"#~lead:~x=~y $(id) \'sq\' "dq" \\back\\ tab\there\nnl \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91 ctl\x1b\x7f end"##
    );
    assert_eq!(
        python_repr(APOSTROPHE, NonAscii::Verbatim, false),
        APOSTROPHE
    );
    // `env printf %q` (GNU coreutils 9.1).
    assert_eq!(
        coreutils_quoted(HOSTILE, false),
        r##"#~lead:~x=~y $(id) '\''sq'\'' "dq" \back\ tab'$'\t''here'$'\n''nl é€🔑 ctl'$'\033\177'' end"##
    );
    assert_eq!(coreutils_quoted("é\tz", true), r"\303\251\t''z");
    assert_eq!(coreutils_quoted("ab\\\t", false), r"ab\'$'\t");
}

/// Runs `program -c script` with the secret in `$PW` (Python: `os.environ`)
/// and returns what it printed.
fn run(program: &str, script: &str, secret: &str, locale: &str) -> String {
    let out = Command::new(program)
        .args(["-c", script])
        .env("PW", secret)
        .env("LC_ALL", locale)
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed by this test: {e}"));
    assert!(out.status.success(), "{program} -c {script}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// What must not survive masking: any 4 characters in a row of the secret
/// with 2 letters or digits among them (a partial leak shows too).
fn assert_masked(secret: &str, printed: &str, masked: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for piece in chars.windows(4) {
        if piece.iter().filter(|c| c.is_alphanumeric()).count() >= 2 {
            let piece: String = piece.iter().collect();
            assert!(
                !masked.contains(&piece),
                "{piece:?} of {secret:?} survives in {masked:?} (from {printed:?})"
            );
        }
    }
    assert!(masked.contains(MASK), "{masked:?} (from {printed:?})");
}

/// The debug idioms of the report, run for real on hostile secrets in a
/// UTF-8 and in the C locale, printed one per line.
#[test]
fn what_real_bash_dash_and_python_print_is_masked() {
    let idioms = [
        ("bash", r##"printf '%q\n' "$PW""##),
        ("bash", r##"echo "${PW@Q}""##),
        ("bash", "declare -p PW"),
        ("bash", "export -p | grep -a ' PW='"),
        ("bash", "set | grep -a '^PW='"),
        ("bash", r##"printf 'before%qafter\n' "$PW""##),
        ("bash", r##"v="x=$PW"; declare -p v; printf '%q\n' "$v""##),
        ("bash", r##"env printf '%q\n' "$PW" "x=$PW" "$PW"$'\tz'"##),
        ("dash", "set | grep -a '^PW='"),
        ("dash", "export -p | grep -a ' PW='"),
        ("python3", r##"import os; print(repr(os.environ["PW"]))"##),
        ("python3", r##"import os; print(ascii(os.environ["PW"]))"##),
        ("python3", r##"import os; print(repr(os.environb[b"PW"]))"##),
        (
            "python3",
            r##"import os; print({"pw": os.environ["PW"], "x": '"'})"##,
        ),
        ("python3", r##"import os; print([os.environ["PW"] + "'"])"##),
    ];
    for secret in [
        REPORTED,
        HOSTILE,
        APOSTROPHE,
        "~/s3cret 'x' #y",
        "\tlead-t0ken it's\n",
    ] {
        let m = masker(secret);
        for locale in ["C.UTF-8", "C"] {
            for (program, script) in idioms {
                let printed = run(program, script, secret, locale);
                // Published line by line, as a step's output is.
                let masked: String = printed.lines().map(|l| m.mask(l) + "\n").collect();
                assert_masked(secret, &printed, &masked);
            }
        }
    }
}

#[test]
fn a_leading_hash_or_tilde_is_masked_with_its_backslash() {
    let m = masker("#not-a-comment");
    assert_eq!(m.mask(r"PW=\#not-a-comment"), "PW=***");
    // Where the secret does not start the value, the `\` goes too.
    assert_eq!(m.mask(r"PW=x\#not-a-comment"), "PW=x***");
}
