//! `runbook report` of a run that called a playbook: the called playbook's
//! steps, journaled inside the caller's journal, appear as `CALL.STEP` in
//! the steps table and in the timeline, between the calling step's start
//! and its end.

use crate::running::Sandbox;

const PARENT: &str = r#"name: parent
steps:
  - id: before
    shell: echo before
  - id: shared
    needs: [before]
    playbook: child.yaml
  - id: after
    needs: [shared]
    shell: echo after
"#;

const CHILD: &str = r#"name: child
steps:
  - id: first
    shell: echo first
  - id: second
    needs: [first]
    shell: "echo 'second | with a pipe'"
"#;

#[test]
fn the_report_shows_the_called_playbooks_steps_under_the_calling_step() {
    let s = Sandbox::new(PARENT);
    std::fs::write(s.path().join("child.yaml"), CHILD).unwrap();
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let out = s.command(&["report", &s.run_id()]).output().unwrap();
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    for step in ["shared.first", "shared.second"] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("| `{step}` |")) && l.contains("succeeded")),
            "{step} in the steps table:\n{report}"
        );
    }
    let timeline = &report[report.find("## Timeline").expect("a timeline")..];
    let at = |row: &str| {
        timeline
            .find(row)
            .unwrap_or_else(|| panic!("`{row}` in the timeline:\n{timeline}"))
    };
    let order = [
        "| `shared` started |",
        "| `shared` runs `",
        "| `shared.first` started |",
        "| `shared.first` succeeded |",
        "| `shared.second` succeeded |",
        "| the playbook `shared` runs succeeded |",
        "| `shared` succeeded |",
        "| `after` started |",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}:\n{timeline}");
    }
    // The called run's start and end are not the caller's.
    assert_eq!(report.matches("- Finished:").count(), 1, "{report}");
    assert_eq!(report.matches("# Run ").count(), 1, "{report}");
}
