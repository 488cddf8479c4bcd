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

#[test]
fn a_changed_input_is_refused_unless_forced_and_then_journaled() {
    let s = Sandbox::new(PLAYBOOK);
    let run = run_with_token(&s);
    assert_eq!(run.code, 3, "{}", run.describe());
    let run_id = s.run_id();

    // Another value: refused, nothing runs.
    let out = s
        .command(&[
            "resume",
            &run_id,
            "--input",
            "ns=production",
            "--approve",
            "act",
        ])
        .env("RB_TEST_TOKEN", "t0ken-value")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`ns` was \"staging\" and is given as \"production\""),
        "{stderr}"
    );
    assert_eq!(s.read("trail"), "first staging\n");

    // The same value, or a secret given again: resumed as it is.
    let same = s
        .command(&[
            "resume",
            &run_id,
            "--input",
            "ns=staging",
            "--approve",
            "act",
            "--output",
            "json",
        ])
        .env("RB_TEST_TOKEN", "another-t0ken")
        .output()
        .unwrap();
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert_eq!(s.read("trail"), "first staging\nacted in staging\n");

    // Forced: the new value is journaled at the resume and reported.
    let s = Sandbox::new(PLAYBOOK);
    assert_eq!(run_with_token(&s).code, 3);
    let run_id = s.run_id();
    let forced = s
        .command(&[
            "resume",
            &run_id,
            "--input",
            "ns=production",
            "--approve",
            "act",
            "--force",
            "--output",
            "json",
        ])
        .env("RB_TEST_TOKEN", "t0ken-value")
        .output()
        .unwrap();
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
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
