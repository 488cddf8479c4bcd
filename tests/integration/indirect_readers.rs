//! Readers the lexer used to miss: a shell named by a variable (`|
//! $SHELL`), a stage that evaluates its stdin (`eval "$(cat)"`, `sh -c
//! sh`), and a file written with a value and then run or sourced by the
//! same command (`echo {{x}} > f.sh; sh f.sh`). Each form is first shown to
//! run a hostile value under the real `sh` (dash), `dash` and `bash` when
//! the value is quoted as a plain shell word (which is all quoting does
//! for it), then shown refused by `check` (and by `run`, which runs
//! nothing). And the one over-refusal that was lifted: a reader whose
//! stdin is a file, a here-document or a here-string reads that, not the
//! pipe (`echo {{x}} | sh < script.sh`), which runs with every payload.

use crate::piped_interpreters::{
    assert_nothing_ran, assert_refused, playbook, runbook, Expect, Source, PAYLOADS, SOURCES,
};
use std::process::{Command, Stdio};

/// Values that run `touch pwned` when a shell parses them as code, each
/// through another part of the syntax: a substitution, backquotes, `;`, a
/// newline, quotes closed at once, a comment ended by a newline.
const RUNNING: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "true;touch pwned",
    "a\ntouch pwned",
    "'';touch pwned",
    "\"\";touch pwned",
    "# x\ntouch pwned",
];

/// The value as quoted for a shell word (`'...'`, a `'` written `'\''`).
fn as_word(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// The forms that were not detected, `X` for the value, and the shells
/// they run under (`$BASH` is set by bash alone).
const GAPS: &[(&str, &[&str])] = &[
    ("echo X | $SHELL", &["sh", "dash", "bash"]),
    ("echo X | \"$SHELL\"", &["sh", "dash", "bash"]),
    ("echo X | ${SHELL:-sh}", &["sh", "dash", "bash"]),
    ("echo X | $BASH", &["bash"]),
    ("echo X | \"$0\"", &["sh", "dash", "bash"]),
    ("echo X | env -i \"$SHELL\"", &["sh", "dash", "bash"]),
    ("echo X | nice -n 1 $SHELL -s", &["sh", "dash", "bash"]),
    ("echo X | LC_ALL=C sh", &["sh", "dash", "bash"]),
    ("echo X | eval \"$(cat)\"", &["sh", "dash", "bash"]),
    ("echo X | eval \"$(cat -)\"", &["sh", "dash", "bash"]),
    ("echo X | eval \"`cat`\"", &["sh", "dash", "bash"]),
    ("echo X | sh -c sh", &["sh", "dash", "bash"]),
    (
        "echo X | bash -c 'eval \"$(cat)\"'",
        &["sh", "dash", "bash"],
    ),
    ("echo X | sh -c '. /dev/stdin'", &["sh", "dash", "bash"]),
    ("echo X > f.sh; sh f.sh", &["sh", "dash", "bash"]),
    ("printf '%s\\n' X > ./a; . ./a", &["sh", "dash", "bash"]),
    (
        "printf '%s\\n' X >> ./job; bash job",
        &["sh", "dash", "bash"],
    ),
    ("echo X | tee f > /dev/null; . ./f", &["sh", "dash", "bash"]),
    ("echo X > f; chmod +x f; ./f", &["sh", "dash", "bash"]),
    ("{ echo X; } > f; sh < f", &["sh", "dash", "bash"]),
];

/// Runs `form` with `value` quoted as a word under `shell` in a fresh
/// directory; whether the value ran.
fn runs_in(shell: &str, form: &str, value: &str) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = form.replace('X', &as_word(value));
    let status = Command::new(shell)
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("SHELL", format!("/bin/{shell}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(status.is_ok(), "{shell} runs");
    dir.path().join("pwned").exists()
}

#[test]
fn each_form_runs_a_quoted_value_in_a_real_shell() {
    for (form, shells) in GAPS {
        for shell in *shells {
            for value in RUNNING {
                assert!(
                    runs_in(shell, form, value),
                    "{shell}: {form:?} with {value:?} did not run the value"
                );
            }
        }
    }
}

#[test]
fn each_form_is_refused() {
    let forms: Vec<&str> = GAPS.iter().map(|(form, _)| *form).collect();
    for &source in SOURCES {
        assert_refused(
            source,
            "bash",
            &forms,
            "runbook::value_piped_into_interpreter",
        );
    }
}

/// A here-document written to a file that is then run: the hint of a
/// plain here-document (`$VALUE` in an unquoted one) would paste the
/// value into the file, as this shows; the refusal says to quote the
/// delimiter and let the script expand `"$VALUE"`.
#[test]
fn a_here_document_written_to_a_file_and_run() {
    let pasted = "cat > s <<EOF\n$VALUE\nEOF\nsh s";
    let expanded = "cat > s <<'EOF'\nprintf '%s' \"$VALUE\" > out\nEOF\nsh s";
    for shell in ["sh", "dash", "bash"] {
        for value in RUNNING {
            let dir = tempfile::tempdir().expect("temp dir");
            let run = |script: &str| {
                Command::new(shell)
                    .args(["-c", script])
                    .current_dir(dir.path())
                    .env("VALUE", value)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("shell runs")
            };
            run(pasted);
            assert!(dir.path().join("pwned").exists(), "{shell}, {value:?}");
            std::fs::remove_file(dir.path().join("pwned")).expect("remove pwned");
            run(expanded);
            assert!(!dir.path().join("pwned").exists(), "{shell}, {value:?}");
            let out = std::fs::read_to_string(dir.path().join("out")).expect("out");
            assert_eq!(&out, value, "{shell}");
        }
    }
    for &source in SOURCES {
        let s = crate::running::Sandbox::new(&playbook(
            source,
            "sh",
            &[("step", "cat > s <<EOF\nX\nEOF\nsh s")],
        ));
        let check = runbook(&s, "", "check");
        assert_eq!(check.code, 2, "{source:?}: {}", check.describe());
        assert!(
            check
                .stderr
                .contains("runbook::value_piped_into_interpreter"),
            "{source:?}: {}",
            check.stderr
        );
        assert!(
            check.stderr.contains("<<'EOF'"),
            "{source:?}: the hint names the quoted delimiter: {}",
            check.stderr
        );
    }
}

/// A reader whose stdin is replaced (a file, a here-document, a
/// here-string) reads that, not the pipe: accepted, and run with every
/// payload the value reaches nothing. `sh -c 'cat'` reads the pipe as
/// data.
const REPLACED: &[(&str, &str, Expect)] = &[
    ("from_file", "printf '%s' X | sh < script.sh", |_| {
        "ran\n".to_string()
    }),
    (
        "from_heredoc",
        "printf '%s' X | sh <<'EOF'\necho ran > from_heredoc.out\nEOF",
        |_| "ran\n".to_string(),
    ),
    (
        "from_cat",
        "printf '%s' X | sh -c 'cat' > from_cat.out",
        |v| v.to_string(),
    ),
];

/// Only in bash.
const REPLACED_BASH: &[(&str, &str, Expect)] = &[(
    "from_herestring",
    "printf '%s' X | sh <<< 'echo ran > from_herestring.out'",
    |_| "ran\n".to_string(),
)];

#[test]
fn a_reader_whose_stdin_is_replaced_reads_no_value() {
    for shell in ["sh", "bash"] {
        let mut forms: Vec<(&str, &str, Expect)> = REPLACED.to_vec();
        if shell == "bash" {
            forms.extend(REPLACED_BASH);
        }
        let commands: Vec<(&str, &str)> = forms.iter().map(|(id, c, _)| (*id, *c)).collect();
        for &source in SOURCES {
            let s = crate::running::Sandbox::new(&playbook(source, shell, &commands));
            std::fs::write(s.path().join("script.sh"), "echo ran > from_file.out\n")
                .expect("write script");
            let check = runbook(&s, "", "check");
            assert_eq!(check.code, 0, "{shell}, {source:?}: {}", check.describe());
            for value in PAYLOADS.iter().chain(RUNNING) {
                let run = runbook(&s, value, "run");
                let what = format!("{shell}, {source:?}, {value:?}");
                assert_eq!(run.code, 0, "{what}: {}", run.describe());
                assert_nothing_ran(s.path(), &what);
                for (id, _, expected) in &forms {
                    let out = s.path().join(format!("{id}.out"));
                    let got = std::fs::read_to_string(&out).unwrap_or_default();
                    assert_eq!(got, expected(value), "{what}, {id}");
                    let _ = std::fs::remove_file(out);
                }
            }
        }
    }
}

/// The neighbours of those: stdin that is still the pipe (`/dev/stdin`,
/// `0<&0`, another descriptor than 0), a file the shell cannot be known
/// not to be the pipe (`"$F"`), a file written with the value. Each runs
/// the value in a real shell, and stays refused.
const STILL_REFUSED: &[&str] = &[
    "echo X | sh < /dev/stdin",
    "echo X | sh 0<&0",
    "echo X | sh 3< /dev/null",
    "echo X | sh < \"${F:-/dev/stdin}\"",
    "echo X > f; echo | sh < f",
    "echo X | sh <&0",
];

#[test]
fn near_variants_stay_refused() {
    for form in STILL_REFUSED {
        for shell in ["sh", "dash", "bash"] {
            for value in RUNNING {
                assert!(
                    runs_in(shell, form, value),
                    "{shell}: {form:?} with {value:?} did not run the value"
                );
            }
        }
    }
    assert_refused(
        Source::Input,
        "sh",
        STILL_REFUSED,
        "runbook::value_piped_into_interpreter",
    );
}
