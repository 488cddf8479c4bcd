//! Secrets never appear when a step prints them the way debug idioms do:
//! bash's `printf %q`, `${x@Q}` and `declare -p`, coreutils' `printf %q`,
//! dash's `set`, Python's `repr` of a string and of bytes. Real bash, dash
//! and python3 steps print two hostile secrets, and nothing `runbook`
//! leaves holds a piece of them: its stdout and stderr (JSON and plain
//! views), the journal, the report.

use crate::running::Sandbox;
use serde_json::Value;

/// One line: what the report that found these forms used, with a
/// backslash and text beyond ASCII. Printed by bash's `%q` with backslashes.
const LINE: &str = r##"p@ss:w/rd$(id)'"#x y%41 \b4cK\sL4sh é€🔑-Zq9"##;

/// Two lines, with both quotes and a tab: printed by bash as `$'...'`.
const LINES: &str = "K3y-$(id) 'sq' \"dq\"\tEnD\nL1nE2 \\ #x é€🔑 t4iL-W7v";

const PLAYBOOK: &str = r#"
inputs:
  pw: {type: string, secret: true, env: RB_SECRET_LINE}
  nl: {type: string, secret: true, env: RB_SECRET_LINES}
steps:
  - id: reported
    shell:
      command: printf '%q\n' "$PW"; declare -p PW; set | grep '^PW='; python3 -c 'import os; print(repr(os.environ["PW"]))'
      env: {PW: "{{inputs.pw}}"}
      shell: bash
    effect: read
  - id: bash
    shell:
      command: for v in "$PW" "$NL" "x=$PW"; do printf 'before%qafter\n' "$v"; echo "${v@Q}"; done; declare -p PW NL; export -p | grep -a ' NL='; env printf '%q\n' "$NL"
      env: {PW: "{{inputs.pw}}", NL: "{{inputs.nl}}"}
      shell: bash
    effect: read
  - id: dash
    shell:
      command: set | grep -a -A1 '^NL='; export -p | grep -a ' PW='
      env: {PW: "{{inputs.pw}}", NL: "{{inputs.nl}}"}
      shell: dash
    effect: read
  - id: python
    shell:
      command: python3 -c "$SCRIPT"
      env:
        PW: "{{inputs.pw}}"
        NL: "{{inputs.nl}}"
        SCRIPT: |
          import os, subprocess
          for name in ("PW", "NL"):
              value = os.environ[name]
              print(repr(value), ascii(value), {"v": value, "q": '"'}, [value + "'"])
              print(repr(os.environb[name.encode()]), subprocess.check_output(["printenv", name]))
    effect: read
"#;

/// Pieces of the secrets that must not show: every 4 characters in a row
/// with 2 letters or digits among them, and each secret whole.
fn pieces() -> Vec<String> {
    let mut pieces = vec![LINE.to_string(), LINES.to_string()];
    for secret in [LINE, LINES] {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(4) {
            if window.iter().filter(|c| c.is_alphanumeric()).count() >= 2 {
                pieces.push(window.iter().collect());
            }
        }
    }
    pieces
}

fn assert_clean(what: &str, text: &str) {
    for piece in pieces() {
        assert!(
            !text.contains(piece.as_str()),
            "{what} contains {piece:?}:\n{}",
            text.chars().take(3000).collect::<String>()
        );
    }
}

/// Every string of a JSON value (keys too), one per line: the journal as
/// its strings read once decoded, besides its bytes.
fn strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            out.push('\n');
            strings(v, out);
        }),
        _ => {}
    }
}

#[test]
fn secrets_printed_by_debug_idioms_never_appear_anywhere() {
    let s = Sandbox::new(PLAYBOOK);
    let command = |args: &[&str]| {
        let mut cmd = s.command(args);
        cmd.env("RB_SECRET_LINE", LINE)
            .env("RB_SECRET_LINES", LINES)
            .env("LC_ALL", "C.UTF-8")
            .env("PYTHONIOENCODING", "utf-8");
        cmd.output().expect("runbook runs")
    };

    let json = command(&["run", "p.yaml", "--output", "json"]);
    let stdout = String::from_utf8_lossy(&json.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&json.stderr).into_owned();
    assert_eq!(json.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_clean("--output json", &stdout);
    assert_clean("stderr of --output json", &stderr);
    // Each step printed what it was asked to, masked.
    let lines = |step: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["event"] == "step_output" && e["step"] == step)
            .map(|e| e["line"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        lines("reported"),
        ["***", "declare -x PW=\"***\"", "PW='***'", "'***'"]
    );
    assert_eq!(lines("bash").len(), 10, "{:?}", lines("bash"));
    assert!(lines("bash").contains(&"declare -x NL=$'***'".to_string()));
    assert_eq!(lines("dash"), ["NL='***", "***'", "export PW='***'"]);
    assert_eq!(lines("python").len(), 4, "{:?}", lines("python"));
    for step in ["bash", "python"] {
        assert!(
            lines(step).iter().all(|l| l.contains("***")),
            "{step}: {:?}",
            lines(step)
        );
    }

    let journal_path = s
        .path()
        .join(".runbook/runs")
        .join(s.run_id())
        .join("journal.jsonl");
    let journal = std::fs::read_to_string(journal_path).unwrap();
    assert_clean("the journal", &journal);
    let mut decoded = String::new();
    for record in s.journal() {
        strings(&record, &mut decoded);
    }
    assert_clean("the journal's strings", &decoded);

    let report = command(&["report", &s.run_id()]);
    assert_eq!(report.status.code(), Some(0));
    assert_clean("runbook report", &String::from_utf8_lossy(&report.stdout));
    assert_clean(
        "stderr of runbook report",
        &String::from_utf8_lossy(&report.stderr),
    );

    let plain = command(&["run", "p.yaml"]);
    assert_eq!(plain.status.code(), Some(0));
    assert_clean("the plain view", &String::from_utf8_lossy(&plain.stderr));
    assert_clean(
        "stdout of the plain view",
        &String::from_utf8_lossy(&plain.stdout),
    );
}
