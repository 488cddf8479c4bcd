//! A resume goes on with the run's own inputs: a value given again that
//! differs is refused (the steps that ran used the old one) unless
//! `--force`, and then it is journaled and reported (docs/cli.md, `runbook
//! resume`).

use crate::running::{Run, Sandbox};

const PLAYBOOK: &str = r#"
inputs:
  ns: {type: string, default: staging}
  token: {type: string, secret: true, env: RB_TEST_TOKEN}
steps:
  - id: first
    shell:
      command: echo "first $NS" >> trail
      env: {NS: "{{inputs.ns}}"}
  - id: act
    needs: [first]
    shell:
      command: echo "acted in $NS" >> trail
      env: {NS: "{{inputs.ns}}"}
    approval: Act in {{inputs.ns}}?
"#;

/// `runbook run p.yaml --output json` with the secret input in its variable.
fn run_with_token(s: &Sandbox) -> Run {
    Run::from(
        s.command(&["run", "p.yaml", "--output", "json"])
            .env("RB_TEST_TOKEN", "t0ken-value")
            .output()
            .unwrap(),
    )
}

/// `runbook resume RUN --input ns=NS --approve act ARGS --output json`,
/// with the secret input (given again) in its variable.
fn resume(s: &Sandbox, run_id: &str, ns: &str, token: &str, args: &[&str]) -> Run {
    let input = format!("ns={ns}");
    let mut all = vec!["resume", run_id, "--input", &input, "--approve", "act"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    Run::from(
        s.command(&all)
            .env("RB_TEST_TOKEN", token)
            .output()
            .unwrap(),
    )
}

#[test]
fn a_changed_input_is_refused_unless_forced_and_then_journaled() {
    let s = Sandbox::new(PLAYBOOK);
    let run = run_with_token(&s);
    assert_eq!(run.code, 3, "{}", run.describe());
    let run_id = s.run_id();

    // Another value: refused, nothing runs.
    let refused = resume(&s, &run_id, "production", "t0ken-value", &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("`ns` was \"staging\" and is given as \"production\""),
        "{}",
        refused.stderr
    );
    assert_eq!(s.read("trail"), "first staging\n");

    // The same value, or a secret given again: resumed as it is.
    let same = resume(&s, &run_id, "staging", "another-t0ken", &[]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_eq!(s.read("trail"), "first staging\nacted in staging\n");

    // Forced: the new value is journaled at the resume and reported.
    let s = Sandbox::new(PLAYBOOK);
    assert_eq!(run_with_token(&s).code, 3);
    let run_id = s.run_id();
    let forced = resume(&s, &run_id, "production", "t0ken-value", &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(s.read("trail"), "first staging\nacted in production\n");
    let resumed = s
        .journal()
        .into_iter()
        .find(|r| r["event"] == "run_resumed")
        .expect("a resume");
    assert_eq!(resumed["inputs"], serde_json::json!({"ns": "production"}));
    let report = s.command(&["report", &run_id]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("with `ns = production`"), "{report}");
    assert!(!report.contains("t0ken-value"), "{report}");
}
