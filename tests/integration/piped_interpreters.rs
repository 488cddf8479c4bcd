//! A value that reaches a program which runs what it reads as code — a
//! later stage of its pipeline (`echo "echo {{x}}" | sh`), its here-string
//! or here-document, `xargs sh`, `find -exec sh -c '{}'`, a command
//! substitution inside a script — is refused by `check`
//! (`runbook::value_piped_into_interpreter`), and so is a value where bash
//! evaluates it although it is quoted (`declare -i n={{x}}`, `a[{{x}}]=1`,
//! `unset {{x}}`: `runbook::unsafe_shell_insertion`). The neighbouring
//! forms that only carry the value as data still run, under the real `sh`
//! (dash) and `bash` and through a real `sshd`, and every hostile payload,
//! from an input, a step's result, a `vars` value and a loop element,
//! arrives intact and runs nowhere.

use crate::running::Sandbox;
use std::path::Path;

/// Each one tries to run `touch pwned`, to break out of quoting, or to
/// reach another file.
pub(crate) const PAYLOADS: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "'",
    "\"",
    "a\ntouch pwned",
    ";touch pwned",
    "# not a comment",
    "../../etc/passwd",
    "a[$(touch pwned)]",
    "\\0047; touch pwned; \\0047",
    "it's \"$(touch pwned)\"",
    "",
];

/// Where the value comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Input,
    Result,
    Vars,
    Element,
}

pub(crate) const SOURCES: &[Source] =
    &[Source::Input, Source::Result, Source::Vars, Source::Element];

impl Source {
    fn path(self) -> &'static str {
        match self {
            Source::Input => "inputs.v",
            Source::Result => "steps.src.outputs.v",
            Source::Vars => "vars.w",
            Source::Element => "item",
        }
    }
}

/// A playbook with one step per command (`X` standing for the value),
/// run by `shell`.
pub(crate) fn playbook(source: Source, shell: &str, commands: &[(&str, &str)]) -> String {
    let mut out = String::from("name: piped\ninputs:\n  v:\n    type: string\n");
    if let Source::Vars = source {
        out.push_str("vars:\n  w: inputs.v\n");
    }
    out.push_str("steps:\n");
    match source {
        Source::Result => out.push_str(
            "  - id: src\n    shell: cat payload\n    effect: read\n    outputs:\n      v: stdout\n",
        ),
        Source::Element => out.push_str(
            "  - id: src\n    shell: cat payload.json\n    effect: read\n    outputs:\n      items: {json: \"$\", type: list}\n",
        ),
        _ => {}
    }
    for (id, command) in commands {
        let command = command
            .replace("{{quote X}}", &format!("{{{{quote {}}}}}", source.path()))
            .replace('X', &format!("{{{{{}}}}}", source.path()));
        out.push_str(&format!(
            "  - id: {id}\n    shell:\n      shell: {shell}\n      command: {}\n",
            serde_json::to_string(&command).expect("json string")
        ));
        match source {
            Source::Result => out.push_str("    needs: [src]\n"),
            Source::Element => {
                out.push_str("    needs: [src]\n    for_each: steps.src.outputs.items\n")
            }
            _ => {}
        }
    }
    out
}

/// Runs (or, with `check`, checks) the playbook with `value`.
pub(crate) fn runbook(s: &Sandbox, value: &str, command: &str) -> crate::running::Run {
    std::fs::write(s.path().join("payload"), value).expect("write payload");
    let list = serde_json::json!([value]).to_string();
    std::fs::write(s.path().join("payload.json"), list).expect("write payload.json");
    let input = format!("v={value}");
    let args: Vec<&str> = match command {
        "check" => vec!["check", "p.yaml"],
        _ => vec![
            "run", "p.yaml", "--output", "json", "--yes", "--input", &input,
        ],
    };
    let mut command = s.command(&args);
    command.env("HOME", "/nonexistent-home");
    crate::running::Run::from(command.output().expect("runbook runs"))
}

pub(crate) fn assert_nothing_ran(dir: &Path, what: &str) {
    assert!(
        !dir.join("pwned").exists(),
        "{what}: a payload ran (`pwned` exists)"
    );
}

/// Forms refused with `runbook::value_piped_into_interpreter`.
const PIPED: &[&str] = &[
    "echo \"echo X\" | sh",
    "printf '%s\\n' X | bash",
    "printf '%s' X | dash -s",
    "echo X | sh -",
    "echo X | env A=1 timeout 60 sh",
    "echo X | sudo -u root bash",
    "echo X | ssh -p 22 root@127.0.0.1",
    "echo X | ssh root@127.0.0.1 bash -s",
    "printf '%s' X | python3",
    "printf '%s' X | perl",
    "printf '%s' X | psql -d app",
    "printf '%s' X | sqlite3 app.db",
    "printf '%s' X | redis-cli",
    "printf '%s\\n' X | xargs sh",
    "printf '%s\\n' X | xargs -I{} sh -c 'echo {}'",
    "find X -name '*.log' -exec sh -c 'gzip {}' \\;",
    "sh -c \"echo $(printf %s X)\"",
    "ssh root@127.0.0.1 \"echo X | sh\"",
    "echo X | { read -r a; sh; }",
    "echo X | while read -r l; do sh; done",
    "echo X | at now",
    "echo X | crontab -",
    "cat <<EOF | sh\necho X\nEOF",
    "sh <<'EOF'\necho X\nEOF",
    "ssh root@127.0.0.1 <<EOF\nrestore X\nEOF",
    // `{{quote}}` through `echo`: dash's `echo` turns `\\0047` into `'`.
    "echo \"cmd \"{{quote X}} | sh",
];

/// The same, in bash's syntax.
const PIPED_BASH: &[&str] = &[
    "sh <<< X",
    "bash <<< \"echo X\"",
    "cat <<< X | sh",
    "bash <<< \"$(printf %s X)\"",
    "echo X |& sh",
    "echo X | tee /dev/null >(sh)",
    "bash <(printf %s X)",
    "source <(echo X)",
];

/// Where bash evaluates the value although it is quoted: refused with
/// `runbook::unsafe_shell_insertion`.
const EVALUATED: &[&str] = &[
    "declare -i n=X",
    "local -i n=\"X\"",
    "typeset -i n; n=X",
    "a[X]=1",
    "for (( i = X; i < 1; i++ )); do :; done",
    "echo $[ X ]",
    "unset X",
    "read -r X <<< v",
    "printf -v X %s v",
    "[[ -v X ]]",
    "declare -a arr=X",
    "declare -n ref=X",
];

/// `check` refuses each command with `code`, and `run` runs nothing.
pub(crate) fn assert_refused(source: Source, shell: &str, commands: &[&str], code: &str) {
    for command in commands {
        let s = Sandbox::new(&playbook(source, shell, &[("step", command)]));
        let check = runbook(&s, "$(touch pwned)", "check");
        let what = format!("{source:?}, {command:?}");
        assert_eq!(check.code, 2, "{what}: {}", check.describe());
        assert!(check.stderr.contains(code), "{what}: {}", check.stderr);
        let run = runbook(&s, "$(touch pwned)", "run");
        assert_eq!(run.code, 2, "{what} ran: {}", run.describe());
        assert_nothing_ran(s.path(), &what);
    }
}

#[test]
fn values_flowing_into_an_interpreter_are_refused() {
    for &source in SOURCES {
        assert_refused(source, "sh", PIPED, "runbook::value_piped_into_interpreter");
        assert_refused(
            source,
            "bash",
            PIPED_BASH,
            "runbook::value_piped_into_interpreter",
        );
        assert_refused(source, "bash", EVALUATED, "runbook::unsafe_shell_insertion");
    }
}

/// What the real program prints for `value`, as the expectation of a
/// neighbour that hands the value to it as data.
fn sha256sum(value: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}  -\n")
}

/// Neighbouring forms that carry the value as data: (step id, command
/// writing `<id>.out`, the expected text for a value).
pub(crate) type Expect = fn(&str) -> String;
const NEIGHBOURS: &[(&str, &str, Expect)] = &[
    (
        "grep",
        "printf '%s\\n' X | grep -v -- '^zzzz$' > grep.out || true",
        |v| format!("{v}\n"),
    ),
    ("sha", "printf %s X | sha256sum > sha.out", sha256sum),
    ("sh_cat", "printf '%s' X | sh -c 'cat > sh_cat.out'", |v| {
        v.to_string()
    }),
    (
        "sh_args",
        "echo 'printf \"%s\" \"$1\" > sh_args.out' | sh -s X",
        |v| v.to_string(),
    ),
    (
        "xargs_args",
        "printf '%s' X | xargs -0 sh -c 'printf \"%s\" \"$1\" > xargs_args.out' sh",
        |v| v.to_string(),
    ),
    (
        "quoted",
        "printf '%s\\n' \"printf '%s' \"{{quote X}}\" > quoted.out\" | sh",
        |v| v.to_string(),
    ),
    (
        "declared",
        "declare_it() { local v=X; printf '%s' \"$v\" > declared.out; }; declare_it",
        |v| v.to_string(),
    ),
];

/// Only in bash: a here-string to a program reading data.
const NEIGHBOURS_BASH: &[(&str, &str, Expect)] = &[
    ("hs_cat", "sh -c 'cat' <<< X > hs_cat.out", |v| {
        format!("{v}\n")
    }),
    (
        "hs_read",
        "IFS= read -r -d '' v <<< X; printf '%s' \"$v\" > hs_read.out",
        |v| format!("{v}\n"),
    ),
];

#[test]
fn neighbouring_forms_still_run_and_stay_inert() {
    for shell in ["sh", "bash"] {
        let mut forms: Vec<(&str, &str, Expect)> = NEIGHBOURS.to_vec();
        if shell == "bash" {
            forms.extend(NEIGHBOURS_BASH);
        }
        let commands: Vec<(&str, &str)> = forms.iter().map(|(id, c, _)| (*id, *c)).collect();
        for &source in SOURCES {
            let s = Sandbox::new(&playbook(source, shell, &commands));
            let check = runbook(&s, "", "check");
            assert_eq!(check.code, 0, "{shell}, {source:?}: {}", check.describe());
            for value in PAYLOADS {
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

/// An integer input is accepted where bash computes (`declare -i`, a
/// subscript, `for ((`), and text that is not an integer never becomes
/// the input.
#[test]
fn integers_where_bash_computes() {
    let s = Sandbox::new(
        "inputs:\n  n: {type: int}\nsteps:\n  - id: compute\n    shell:\n      shell: bash\n      command: \"declare -i m={{inputs.n}}+1; a[{{inputs.n}}]=x; for (( i = {{inputs.n}}; i < 43; i++ )); do :; done; echo $m ${#a[@]} $i $[ {{inputs.n}} * 2 ] > out\"\n",
    );
    let ok = s.run(&["--input", "n=41"]);
    assert_eq!(ok.code, 0, "{}", ok.describe());
    assert_eq!(s.read("out"), "42 1 43 82\n");
    let hostile = s.run(&["--input", "n=a[$(touch pwned)]"]);
    assert_ne!(hostile.code, 0, "{}", hostile.describe());
    assert_nothing_ran(s.path(), "a[$(touch pwned)] as an int");
}

/// Through a real `sshd`: a value piped to `ssh` that runs a remote
/// command reading data arrives intact; one quoted for the remote login
/// shell with `{{quote}}` and printed with `printf` runs as written there.
#[test]
fn piped_into_a_real_ssh() {
    let sshd = crate::harness::sshd::TestSshd::start();
    let remote_marker = Path::new("/root/pwned");
    assert!(
        !remote_marker.exists(),
        "/root/pwned exists before the test"
    );
    // The options are put in after the value's path: they name temporary
    // files, whose names may hold an `X`.
    let options = sshd.options();
    let commands = [
        (
            "ssh_cat",
            "printf '%s' X | ssh OPTS root@127.0.0.1 cat > ssh_cat.out",
        ),
        (
            "ssh_quoted",
            "printf '%s\\n' \"printf '%s' \"{{quote X}} | ssh OPTS root@127.0.0.1 > ssh_quoted.out",
        ),
    ];
    for &source in SOURCES {
        let s = Sandbox::new(&playbook(source, "sh", &commands).replace("OPTS", &options));
        for value in PAYLOADS {
            let run = runbook(&s, value, "run");
            let what = format!("ssh, {source:?}, {value:?}");
            assert_eq!(run.code, 0, "{what}: {}", run.describe());
            assert_nothing_ran(s.path(), &what);
            assert!(!remote_marker.exists(), "{what}: the payload ran remotely");
            for id in ["ssh_cat", "ssh_quoted"] {
                let out = s.path().join(format!("{id}.out"));
                let got = std::fs::read_to_string(&out).unwrap_or_default();
                assert_eq!(&got, value, "{what}, {id}");
                std::fs::remove_file(out).expect("remove output");
            }
        }
    }
    // Without `{{quote}}`, the same pipe is refused.
    let s = Sandbox::new(
        &playbook(
            Source::Input,
            "sh",
            &[(
                "ssh_plain",
                "printf '%s\\n' \"printf %s X\" | ssh OPTS root@127.0.0.1",
            )],
        )
        .replace("OPTS", &options),
    );
    let check = runbook(&s, "", "check");
    assert_eq!(check.code, 2, "{}", check.describe());
    assert!(
        check
            .stderr
            .contains("runbook::value_piped_into_interpreter"),
        "{}",
        check.stderr
    );
}

/// In an argv list, the script of `sh -c` and the remote command of `ssh`
/// are shell commands too: a value piped into a reader there is refused.
#[test]
fn argv_scripts_are_followed_too() {
    for argv in [
        "[sh, -c, \"echo {{inputs.v}} | sh\"]",
        "[ssh, root@127.0.0.1, \"printf %s {{inputs.v}} | bash\"]",
        "[bash, -c, \"bash <<< {{inputs.v}}\"]",
    ] {
        let s = Sandbox::new(&format!(
            "name: argv\ninputs:\n  v: {{type: string}}\nsteps:\n  - id: step\n    shell: {argv}\n"
        ));
        let check = runbook(&s, "", "check");
        assert_eq!(check.code, 2, "{argv}: {}", check.describe());
        assert!(
            check
                .stderr
                .contains("runbook::value_piped_into_interpreter"),
            "{argv}: {}",
            check.stderr
        );
        let run = runbook(&s, "$(touch pwned)", "run");
        assert_eq!(run.code, 2, "{argv} ran: {}", run.describe());
        assert_nothing_ran(s.path(), argv);
    }
}
