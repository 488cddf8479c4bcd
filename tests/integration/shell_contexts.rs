//! Hostile values inserted into shell commands, in every lexical context,
//! from every source a value comes from (`--input`, `--inputs-file`, an
//! environment-bound input, an earlier step's captured output), run by the
//! real `sh` (dash) and `bash`: nothing a value says is ever executed, and
//! where the insertion is accepted the command sees the value exactly.
//! Where no quoting is safe, `check` refuses the playbook. `{{quote}}` is
//! run through a real `sshd` on loopback.

use crate::running::Sandbox;
use std::path::Path;

/// Each one tries to run `touch pwned` or to expand something.
const PAYLOADS: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    ";touch pwned",
    "&& touch pwned #",
    "it's",
    "say \"$(touch pwned)\"",
    "a\ntouch pwned",
    "{{inputs.v}}",
    "--help",
    "$((1+1))${HOME}",
    "'$(touch pwned)'",
    "back\\slash\\",
    "!! !$ \\",
    "\"; touch pwned; \"",
    "' ; touch pwned ; '",
    "",
];

/// Accepted contexts: (step id, command writing the value to `<id>.out`,
/// what is printed before and after the value). `X` stands for the path
/// of the value.
const ACCEPTED: &[(&str, &str, &str, &str)] = &[
    ("bare", "printf '%s' X > bare.out", "", ""),
    (
        "joined",
        "printf '%s' pre-X-post > joined.out",
        "pre-",
        "-post",
    ),
    ("dq", "printf '%s' \"X\" > dq.out", "", ""),
    (
        "dq_text",
        "printf '%s' \"<$HOME|X|\\$>\" > dq_text.out",
        "</nonexistent-home|",
        "|$>",
    ),
    (
        "subst",
        "printf '%s' \"$(printf '%s' X)\" > subst.out",
        "",
        "",
    ),
    (
        "subst_dq",
        "printf '%s' \"$(printf '%s' \"[X]\")\" > subst_dq.out",
        "[",
        "]",
    ),
    (
        "quote_bare",
        "sh -c 'printf \"%s\" '{{quote X}} > quote_bare.out",
        "",
        "",
    ),
    (
        "quote_sq",
        "sh -c 'printf \"%s\" {{quote X}}' > quote_sq.out",
        "",
        "",
    ),
    (
        "quote_dq",
        "bash -c \"printf '%s' {{quote X}}\" > quote_dq.out",
        "",
        "",
    ),
    // Scripts another shell parses, with a plain insertion: runbook sees the
    // inner shell and quotes the value for it and again for the command.
    ("sh_c_dq", "sh -c \"printf %s X\" > sh_c_dq.out", "", ""),
    ("sh_c_sq", "sh -c 'printf %s X' > sh_c_sq.out", "", ""),
    (
        "sh_c_inner_dq",
        "sh -c 'printf %s \"[X]\"' > sh_c_inner_dq.out",
        "[",
        "]",
    ),
    (
        "bash_c_escaped_dq",
        "bash -c \"printf %s \\\"<X>\\\"\" > bash_c_escaped_dq.out",
        "<",
        ">",
    ),
    (
        "wrapped",
        "env A=1 timeout 60 sh -ec \"printf %s X\" > wrapped.out",
        "",
        "",
    ),
    (
        "after_expansion",
        "sh -c \"true $HOME $(true); printf %s X\" > after_expansion.out",
        "",
        "",
    ),
    ("eval_dq", "eval \"printf %s X\" > eval_dq.out", "", ""),
    ("eval_words", "eval printf %s X > eval_words.out", "", ""),
    (
        "two_deep",
        "sh -c \"bash -c 'printf %s X'\" > two_deep.out",
        "",
        "",
    ),
    (
        "in_subst",
        "printf '%s' \"$(sh -c \"printf %s X\")\" > in_subst.out",
        "",
        "",
    ),
];

/// Contexts no quoting makes safe: `check` must refuse each.
const REFUSED: &[&str] = &[
    "printf '%s' 'sq:X'",
    "cat <<EOF\nX\nEOF",
    "cat <<'EOF'\nX\nEOF",
    "echo `printf '%s' X`",
    "echo $(( X + 1 ))",
    "echo ${UNSET:-X}",
    "echo hi # X",
    "echo \"`printf '%s' X`\"",
    "echo $'a X'",
    "[[ X -eq 1 ]] && echo one",
    "[[ 1 -lt \"X\" ]]",
    "let n=X",
    "echo {{#if inputs.v}}\"{{/if}}X",
    // Inside the script another shell parses: its own single quotes, its
    // own parameter expansion, a side of an `{{#if}}` that opens a quote.
    "sh -c \"printf %s 'X'\"",
    "bash -c 'echo ${UNSET:-X}'",
    "sh -c \"echo {{#if inputs.v}}'{{/if}} X\"",
    // SQL a database client runs: shell quoting does not protect it.
    "psql -c \"select 'X'\"",
    "mysql -e 'select X'",
    // The program an interpreter is given: quoted for the shell, it
    // reaches the interpreter intact and is parsed as its code.
    "python3 -c \"print('X')\"",
    "echo a | perl -ne \"print 'X'\"",
    "awk 'BEGIN { print \"'X'\" }'",
    "echo a | sed \"s/a/X/\"",
    "echo '{}' | jq \".a // \\\"X\\\"\"",
];

/// Where the value comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Input,
    InputsFile,
    Env,
    Captured,
}

const SOURCES: &[Source] = &[
    Source::Input,
    Source::InputsFile,
    Source::Env,
    Source::Captured,
];

impl Source {
    fn path(self) -> &'static str {
        match self {
            Source::Captured => "steps.src.outputs.v",
            _ => "inputs.v",
        }
    }
}

/// A playbook with one step per command (`X` replaced by the value's path),
/// run by `shell`.
fn playbook(source: Source, shell: &str, commands: &[(&str, String)]) -> String {
    let mut out = String::from("name: contexts\ninputs:\n  v:\n    type: string\n");
    if let Source::Env = source {
        out.push_str("    env: SHELLCTX_VALUE\n");
    }
    out.push_str("steps:\n");
    if let Source::Captured = source {
        // The value comes back from a step's output, as a log or an HTTP
        // body would.
        out.push_str("  - id: src\n    shell: cat payload\n    effect: read\n    outputs:\n      v: stdout\n");
    }
    for (id, command) in commands {
        let command = command.replace('X', &format!("{{{{{}}}}}", source.path()));
        let command = command.replace(
            &format!("{{{{quote {{{{{}}}}}}}}}", source.path()),
            &format!("{{{{quote {}}}}}", source.path()),
        );
        out.push_str(&format!(
            "  - id: {id}\n    shell:\n      shell: {shell}\n      command: {}\n",
            serde_json::to_string(&command).expect("json string")
        ));
        if let Source::Captured = source {
            out.push_str("    needs: [src]\n");
        }
    }
    out
}

/// Runs the playbook with the value given through `source`.
fn run(s: &Sandbox, source: Source, value: &str) -> crate::running::Run {
    std::fs::write(s.path().join("payload"), value).expect("write payload");
    let mut args: Vec<String> = vec![
        "run".into(),
        "p.yaml".into(),
        "--output".into(),
        "json".into(),
    ];
    match source {
        Source::Input => args.extend(["--input".into(), format!("v={value}")]),
        Source::InputsFile => {
            let file = serde_json::json!({ "v": value }).to_string();
            std::fs::write(s.path().join("inputs.json"), file).expect("write inputs");
            args.extend(["--inputs-file".into(), "inputs.json".into()]);
        }
        Source::Env => {}
        Source::Captured => args.extend(["--input".into(), "v=unused".into()]),
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = s.command(&args);
    command
        .env("HOME", "/nonexistent-home")
        .env("SHELLCTX_VALUE", value);
    crate::running::Run::from(command.output().expect("runbook runs"))
}

fn assert_nothing_ran(dir: &Path, what: &str) {
    assert!(
        !dir.join("pwned").exists(),
        "{what}: a payload ran (`pwned` exists)"
    );
}

#[test]
fn hostile_values_arrive_intact_in_every_accepted_context() {
    let commands: Vec<(&str, String)> = ACCEPTED
        .iter()
        .map(|(id, command, _, _)| (*id, command.to_string()))
        .collect();
    for shell in ["sh", "bash"] {
        for &source in SOURCES {
            let s = Sandbox::new(&playbook(source, shell, &commands));
            for value in PAYLOADS {
                let run = run(&s, source, value);
                let what = format!("{shell}, {source:?}, {value:?}");
                assert_eq!(run.code, 0, "{what}: {}", run.describe());
                assert_nothing_ran(s.path(), &what);
                for (id, _, before, after) in ACCEPTED {
                    let out = s.path().join(format!("{id}.out"));
                    let got = std::fs::read_to_string(&out).unwrap_or_default();
                    assert_eq!(got, format!("{before}{value}{after}"), "{what}, {id}");
                    std::fs::remove_file(out).expect("remove output");
                }
            }
        }
    }
}

#[test]
fn the_script_of_sh_c_in_an_argv_list_is_quoted_for_its_shell() {
    for &source in SOURCES {
        let mut text = playbook(source, "sh", &[]);
        for shell in ["sh", "bash"] {
            text.push_str(&format!(
                "  - id: argv_{shell}\n    shell: [{shell}, -c, {}]\n",
                serde_json::to_string(&format!(
                    "printf '%s' {{{{{}}}}} \"<{{{{{}}}}}>\" > argv_{shell}.out",
                    source.path(),
                    source.path()
                ))
                .expect("json")
            ));
            if let Source::Captured = source {
                text.push_str("    needs: [src]\n");
            }
        }
        let s = Sandbox::new(&text);
        for value in PAYLOADS {
            let run = run(&s, source, value);
            let what = format!("{source:?}, {value:?}");
            assert_eq!(run.code, 0, "{what}: {}", run.describe());
            assert_nothing_ran(s.path(), &what);
            for shell in ["sh", "bash"] {
                assert_eq!(
                    s.read(&format!("argv_{shell}.out")),
                    format!("{value}<{value}>"),
                    "{what}, {shell}"
                );
            }
        }
    }
}

#[test]
fn check_refuses_insertions_no_quoting_makes_safe() {
    for &source in [Source::Input, Source::Captured].iter() {
        for (n, command) in REFUSED.iter().enumerate() {
            let s = Sandbox::new(&playbook(source, "sh", &[("step", command.to_string())]));
            let out = s
                .command(&["check", "p.yaml"])
                .output()
                .expect("check runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{n} {command:?}: {stderr}");
            assert!(
                stderr.contains("runbook::unsafe_shell_insertion"),
                "{command:?}: {stderr}"
            );
            // And `run` refuses it before running anything.
            let run = run(&s, source, "$(touch pwned)");
            assert_eq!(run.code, 2, "{command:?} ran: {}", run.describe());
            assert_nothing_ran(s.path(), command);
        }
    }
}

/// What the refusal's help says to write instead: the value handed over
/// in the environment (or as jq's `--arg`), read by the real interpreter
/// as data.
#[test]
fn interpreters_read_a_hostile_value_from_the_environment_as_data() {
    let s = Sandbox::new(
        r#"
inputs:
  v: {type: string}
steps:
  - id: programs
    shell:
      env: {VALUE: "{{inputs.v}}"}
      command: |
        perl -e 'print $ENV{VALUE}' > perl.out
        awk 'BEGIN { printf "%s", ENVIRON["VALUE"] }' > awk.out
        jq -nj --arg value {{inputs.v}} '$value' > jq_arg.out
        jq -nj 'env.VALUE' > jq_env.out
"#,
    );
    for value in PAYLOADS.iter().chain(&[
        "'); system('touch pwned'); print('",
        "\"; system(\"touch pwned\"); \"",
    ]) {
        let run = run(&s, Source::Input, value);
        assert_eq!(run.code, 0, "{value:?}: {}", run.describe());
        assert_nothing_ran(s.path(), value);
        for out in ["perl.out", "awk.out", "jq_arg.out", "jq_env.out"] {
            assert_eq!(s.read(out), *value, "{out}, {value:?}");
        }
    }
}

#[test]
fn arithmetic_takes_integers_only() {
    let s = Sandbox::new(
        "inputs:\n  n: {type: int}\nsteps:\n  - id: add\n    shell: echo $(( {{inputs.n}} + 1 )) > sum\n",
    );
    let ok = s.run(&["--input", "n=41"]);
    assert_eq!(ok.code, 0, "{}", ok.describe());
    assert_eq!(s.read("sum"), "42\n");
    // bash compares the operands of `-eq` in `[[ ]]` as arithmetic.
    let b = Sandbox::new(
        "inputs:\n  n: {type: int}\nsteps:\n  - id: cmp\n    shell:\n      shell: bash\n      command: \"[[ {{inputs.n}} -eq 41 ]] && echo same > same\"\n",
    );
    let same = b.run(&["--input", "n=41"]);
    assert_eq!(same.code, 0, "{}", same.describe());
    assert_eq!(b.read("same"), "same\n");
    let hostile = s.run(&["--input", "n=a[$(touch pwned)]"]);
    assert_ne!(hostile.code, 0, "{}", hostile.describe());
    assert_nothing_ran(s.path(), "a[$(touch pwned)] as an int");
}

/// A duration is its number of seconds, so it can be counted with in
/// `$((...))` (`sleep $(( {{inputs.window}} / 2 ))`); one that is not a whole
/// number of seconds is refused when the step renders, and text that is not
/// a duration never becomes the input.
#[test]
fn arithmetic_takes_whole_second_durations() {
    let s = Sandbox::new(
        "inputs:\n  d: {type: duration}\nsteps:\n  - id: add\n    shell: echo $(( {{inputs.d}} + 1 )) > sum\n",
    );
    let ok = s.run(&["--input", "d=90m"]);
    assert_eq!(ok.code, 0, "{}", ok.describe());
    assert_eq!(s.read("sum"), "5401\n");
    let half = s.run(&["--input", "d=1500ms"]);
    assert_ne!(half.code, 0, "{}", half.describe());
    assert!(
        half.describe().contains("not an integer"),
        "{}",
        half.describe()
    );
    let hostile = s.run(&["--input", "d=$(touch pwned)"]);
    assert_ne!(hostile.code, 0, "{}", hostile.describe());
    assert_nothing_ran(s.path(), "$(touch pwned) as a duration");
}

/// A value in the command `ssh` hands to the remote login shell is quoted
/// for that shell too, written plainly or with `{{quote}}`: through a real
/// `sshd`, every payload is printed back by the remote `printf` exactly,
/// and runs nowhere. In an argv list, the words after the host are quoted
/// for the remote shell the same way.
#[test]
fn quote_survives_the_remote_shell_of_a_real_ssh() {
    let sshd = crate::harness::sshd::TestSshd::start();
    let remote_marker = Path::new("/root/pwned");
    assert!(
        !remote_marker.exists(),
        "/root/pwned exists before the test"
    );
    let commands: Vec<(&str, String)> = vec![
        (
            "ssh_bare",
            "ssh OPTS root@127.0.0.1 printf %s {{quote X}} > ssh_bare.out".into(),
        ),
        (
            "ssh_joined",
            "ssh OPTS root@127.0.0.1 'printf %s '{{quote X}} > ssh_joined.out".into(),
        ),
        (
            "ssh_sq",
            "ssh OPTS root@127.0.0.1 'printf %s {{quote X}}' > ssh_sq.out".into(),
        ),
        (
            "ssh_dq",
            "ssh OPTS root@127.0.0.1 \"printf %s {{quote X}}\" > ssh_dq.out".into(),
        ),
        // Without `quote`: runbook sees the remote shell and quotes for it.
        (
            "ssh_plain",
            "ssh OPTS root@127.0.0.1 printf %s X > ssh_plain.out".into(),
        ),
        (
            "ssh_plain_dq",
            "ssh OPTS root@127.0.0.1 \"printf %s X\" > ssh_plain_dq.out".into(),
        ),
    ];
    for &source in SOURCES {
        let mut text = playbook(source, "sh", &commands);
        let argv: Vec<String> = ["ssh"]
            .into_iter()
            .map(String::from)
            .chain(sshd.options().split(' ').map(String::from))
            .chain(
                ["root@127.0.0.1", "printf", "%s"]
                    .into_iter()
                    .map(String::from),
            )
            .chain([format!("{{{{{}}}}}", source.path())])
            .collect();
        text.push_str(&format!(
            "  - id: ssh_argv\n    shell: {}\n{}  - id: ssh_argv_out\n    needs: [ssh_argv]\n    shell: {}\n",
            serde_json::to_string(&argv).expect("json"),
            if let Source::Captured = source {
                "    needs: [src]\n"
            } else {
                ""
            },
            serde_json::to_string("printf '%s' {{steps.ssh_argv.stdout}} > ssh_argv.out")
                .expect("json"),
        ));
        let s = Sandbox::new(&text.replace("OPTS", &sshd.options()));
        for value in PAYLOADS {
            let run = run(&s, source, value);
            let what = format!("ssh, {source:?}, {value:?}");
            assert_eq!(run.code, 0, "{what}: {}", run.describe());
            assert_nothing_ran(s.path(), &what);
            assert!(!remote_marker.exists(), "{what}: the payload ran remotely");
            for id in [
                "ssh_bare",
                "ssh_joined",
                "ssh_sq",
                "ssh_dq",
                "ssh_plain",
                "ssh_plain_dq",
                "ssh_argv",
            ] {
                let out = s.path().join(format!("{id}.out"));
                let got = std::fs::read_to_string(&out).unwrap_or_default();
                assert_eq!(&got, value, "{what}, {id}");
                std::fs::remove_file(out).expect("remove output");
            }
        }
    }
}
