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
        "| `shared` started: `run playbook child.yaml` |",
        "| `shared` runs `",
        "| `shared.first` started: `echo first` |",
        "| `shared.first` succeeded |",
        "| `shared.second` succeeded |",
        "| the playbook `shared` runs succeeded |",
        "| `shared` succeeded |",
        "| `after` started: `echo after` |",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}:\n{timeline}");
    }
    // The called run's start and end are not the caller's.
    assert_eq!(report.matches("- Finished:").count(), 1, "{report}");
    assert_eq!(report.matches("# Run ").count(), 1, "{report}");
}

/// A called playbook's gate decisions and answers are journaled once,
/// inside its `called` records (calls within calls too): the report lists
/// each once, and `--output json` shows each at the top level under the
/// number of the `called` record that journals it, so the journal's
/// numbers stay one sequence.
#[test]
fn a_called_playbooks_decisions_are_journaled_and_reported_once() {
    let s = Sandbox::new(
        r#"steps:
  - id: outer
    playbook: middle.yaml
"#,
    );
    std::fs::write(
        s.path().join("middle.yaml"),
        "steps:\n  - id: inner\n    playbook: leaf.yaml\n",
    )
    .unwrap();
    std::fs::write(
        s.path().join("leaf.yaml"),
        r#"steps:
  - id: pick
    ask:
      question: Which pool?
      choices: [blue, green]
  - id: restart
    needs: [pick]
    shell: echo restarting {{steps.pick.answer}}
    approval: Restart?
"#,
    )
    .unwrap();
    let run = s.run(&["--yes", "--answer", "outer.inner.pick=green"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let journal = s.journal();
    let seqs: Vec<u64> = journal.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    // Every decision, wherever it is in the journal.
    let decisions: Vec<(u64, &serde_json::Value)> = journal
        .iter()
        .filter_map(|r| {
            let seq = r["seq"].as_u64().unwrap();
            let mut event = r;
            while event["event"] == "called" {
                event = &event["record"];
            }
            matches!(event["event"].as_str(), Some("gate_decided" | "answered"))
                .then_some((seq, event))
        })
        .collect();
    let steps: Vec<&str> = decisions
        .iter()
        .map(|(_, e)| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["outer.inner.pick", "outer.inner.restart"],
        "{journal:#?}"
    );
    // The terminal's view: each once, at the top, at its journal number.
    for (seq, event) in &decisions {
        let shown: Vec<_> = run
            .events
            .iter()
            .filter(|e| e["step"] == event["step"] && e["event"] == event["event"])
            .collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0]["seq"], *seq, "{shown:?}");
    }
    let out = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    let decided = &report
        [report.find("## Approvals and answers").unwrap()..report.find("## Timeline").unwrap()];
    for step in ["outer.inner.pick", "outer.inner.restart"] {
        assert_eq!(
            decided.matches(&format!("| `{step}` |")).count(),
            1,
            "{decided}"
        );
    }
}

/// A run killed (`kill -9`) while a called playbook's step ran: the report
/// has a row for the calling step and for that step, with no end; `runs`
/// counts the called steps that ended. Once resumed, those rows say the
/// steps were interrupted, and the steps that ran again have rows of
/// their own.
#[test]
fn the_report_of_a_run_killed_inside_a_called_playbook_has_its_running_steps() {
    let s = Sandbox::new(PARENT);
    std::fs::write(
        s.path().join("child.yaml"),
        "steps:
  - id: first
    shell: echo first
  - id: second
    needs: [first]
    shell: if [ -e working ]; then echo again; else touch working; sleep 1000; fi
",
    )
    .unwrap();
    s.run_until_killed(&["--yes"], "working", "sleep 1000");
    let id = s.run_id();
    let report = || {
        let out = s.command(&["report", &id]).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let row = |report: &str, step: &str, result: &str| {
        report
            .lines()
            .filter(|l| l.starts_with(&format!("| `{step}` |")))
            .any(|l| l.contains(&format!("| — | {result} |")))
    };
    let killed = report();
    for step in ["shared", "shared.second"] {
        assert!(row(&killed, step, "running"), "{step}:\n{killed}");
    }
    assert!(
        killed.contains("no end on record: still running, or the run was killed"),
        "{killed}"
    );
    // `before` and the called `first` ended.
    let runs = s.command(&["runs"]).output().unwrap();
    let listed = String::from_utf8(runs.stdout).unwrap();
    let line = listed.lines().find(|l| l.starts_with(&id)).expect("listed");
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(columns[2], "incomplete", "{listed}");
    assert_eq!(columns[4], "2", "{listed}");

    let resumed = s.resume(
        &id,
        &["--yes", "--approve", "shared", "--approve", "shared.second"],
    );
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    let after = report();
    for step in ["shared", "shared.second"] {
        assert!(row(&after, step, "interrupted"), "{step}:\n{after}");
        assert!(
            after
                .lines()
                .any(|l| l.starts_with(&format!("| `{step}` |")) && l.contains("| succeeded |")),
            "{step}:\n{after}"
        );
        assert!(!row(&after, step, "running"), "{step}:\n{after}");
    }
}
