//! `runbook` runs under `SCHED_BATCH` and its steps under the policy it
//! was started with (`runbook_stdlib::scheduling`), read back with the
//! real `chrt` of util-linux from inside a step.

use crate::running::{binary, Run, Sandbox};
use std::process::Command;

/// A step that prints its own policy, then its parent's (`runbook`'s).
const POLICIES: &str = r#"steps:
  - id: policies
    shell: |
      chrt -p $$ | awk '/policy/ {print $NF}'
      chrt -p $PPID | awk '/policy/ {print $NF}'
  - id: loop
    needs: [policies]
    for_each: '["a", "b"]'
    shell: |
      chrt -p $$ | awk '/policy/ {print $NF}'
"#;

fn stdout(run: &Run, step: &str) -> String {
    run.finished(step)["results"]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn runbook_yields_to_its_steps_and_the_steps_run_under_the_default_policy() {
    let s = Sandbox::new(POLICIES);
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(stdout(&run, "policies"), "SCHED_OTHER\nSCHED_BATCH");
    let elements = run.finished("loop")["results"]["results"].clone();
    for element in elements.as_array().expect("the elements' results") {
        assert_eq!(element["stdout"], "SCHED_OTHER", "{element}");
    }
}

/// A run started under another policy keeps it, and so do its steps.
#[test]
fn a_run_started_under_chrt_keeps_its_policy_for_itself_and_its_steps() {
    let s = Sandbox::new(POLICIES);
    let out = Command::new("chrt")
        .args(["--idle", "0"])
        .arg(binary())
        .args(["run", "p.yaml", "--output", "json"])
        .current_dir(s.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("chrt from util-linux");
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(stdout(&run, "policies"), "SCHED_IDLE\nSCHED_IDLE");
}
