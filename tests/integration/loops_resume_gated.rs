//! Resuming a loop whose elements are each asked at their own gate
//! (`approval_per_item`), found by running a slot-dropping playbook by
//! hand: a loop stopped by the rejection of one element's gate is not
//! "interrupted" (nothing ran past that gate), and the re-run gate of a
//! loop killed mid-element can be asked although its question reads the
//! element, which the whole set has not.

use crate::running::{Run, Sandbox};

/// Elements a shell would split or run if they were not quoted.
const PLAYBOOK: &str = r#"name: per-element
steps:
  - id: drop
    for_each: ["a b", "$(touch pwned)", "it's; #x"]
    as: slot
    approval_per_item: true
    approval: "Drop {{slot}}?"
    shell: "echo {{slot}} >> dropped; if [ ! -f resumed ]; then touch started; sleep 30.7; fi"
"#;

fn resume(s: &Sandbox, args: &[&str]) -> Run {
    let run_id = s.run_id();
    let mut all = vec!["resume", run_id.as_str(), "--output", "json"];
    all.extend_from_slice(args);
    Run::from(s.command(&all).output().expect("runbook resumes"))
}

#[test]
fn a_loop_stopped_by_a_rejected_element_resumes_without_being_called_interrupted() {
    let s = Sandbox::new(PLAYBOOK);
    std::fs::write(s.path().join("resumed"), "").unwrap();
    // No terminal and no approval: the first element's gate is refused.
    let run = s.run(&[]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("drop"), "rejected");
    assert_eq!(s.read("dropped"), "");

    let resumed = resume(&s, &["--approve", "drop"]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    // Not reported as a step that may have done part of its work, and
    // asked element by element as the playbook says, not as a whole set.
    assert!(
        resumed.events_of("step_interrupted").is_empty(),
        "{}",
        resumed.describe()
    );
    assert!(
        !resumed.stderr.contains("may have done part of its work"),
        "{}",
        resumed.stderr
    );
    let questions = resumed.questions();
    assert_eq!(
        questions,
        [
            "Drop a b? [0] a b",
            "Drop $(touch pwned)? [1] $(touch pwned)",
            "Drop it's; #x? [2] it's; #x"
        ]
    );
    assert_eq!(s.read("dropped"), "a b\n$(touch pwned)\nit's; #x\n");
    assert!(!s.path().join("pwned").exists());
}

#[test]
fn a_loop_killed_inside_an_element_asks_its_re_run_gate_then_each_element() {
    let s = Sandbox::new(PLAYBOOK);
    s.run_until_killed(&["--approve", "drop"], "started", "sleep 30.7");
    assert_eq!(s.read("dropped"), "a b\n");
    std::fs::write(s.path().join("resumed"), "").unwrap();

    // With nobody to ask and no `--approve drop`, the resume is refused
    // before anything runs (asked, the gate would be rejected and close
    // the run).
    let unasked = resume(&s, &[]);
    assert_eq!(unasked.code, 3, "{}", unasked.describe());
    assert!(
        unasked
            .stderr
            .contains("pass `--approve drop` to run it again")
            && unasked.stderr.contains("nothing ran"),
        "{}",
        unasked.stderr
    );
    assert!(unasked.stdout.is_empty(), "{}", unasked.describe());

    // Asked (remotely, nobody answers in time), the re-run gate names the
    // remaining elements, not an error about the element its per-element
    // question reads.
    let refused = resume(&s, &["--wait-for-approval", "--gate-timeout", "200ms"]);
    assert_eq!(refused.code, 3, "{}", refused.describe());
    let asked = refused.events_of("gate_requested");
    assert_eq!(asked.len(), 1, "{}", refused.describe());
    assert_eq!(
        asked[0]["question"],
        "`drop` was interrupted and may have done part of its work. Run its 3 remaining elements?"
    );
    assert_eq!(s.read("dropped"), "a b\n");

    let resumed = resume(&s, &["--approve", "drop"]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    let questions = resumed.questions();
    assert_eq!(questions.len(), 4, "{questions:?}");
    assert_eq!(questions[1], "Drop a b? [0] a b");
    // At least once: the element running when the run was killed ran again.
    assert_eq!(s.read("dropped"), "a b\na b\n$(touch pwned)\nit's; #x\n");
    assert!(!s.path().join("pwned").exists());
}

/// A loop whose re-run after a crash is refused still has the results of
/// the elements that succeeded before, and its counts: the cleanup that
/// undoes them reads them.
#[test]
fn a_loop_refused_at_its_re_run_gate_keeps_what_its_elements_did() {
    let s = Sandbox::new(
        r#"
steps:
  - id: drop
    for_each: '["a", "b", "c"]'
    as: x
    shell: 'if [ "{{x}}" = b ] && [ ! -e resumed ]; then touch started; sleep 30.8; fi; echo {{x}} >> done'
  - id: summary
    needs: [drop]
    finally: true
    when: succeeded(drop) || failed(drop)
    shell: echo "undo {{steps.drop.succeeded_count}} of {{steps.drop.count}}" >> done
"#,
    );
    s.run_until_killed(&[], "started", "sleep 30.8");
    std::fs::write(s.path().join("resumed"), "").unwrap();
    // Nobody answers the re-run gate in time: refused.
    let refused = resume(&s, &["--wait-for-approval", "--gate-timeout", "200ms"]);
    assert_eq!(refused.code, 3, "{}", refused.describe());
    assert_eq!(
        refused.state("summary"),
        "succeeded",
        "{}",
        refused.describe()
    );
    assert_eq!(s.read("done"), "a\nundo 1 of 3\n");
}
