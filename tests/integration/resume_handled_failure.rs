//! A failure its `on_failure` handled (`continue`, a failure edge) is part
//! of the run's history: the run went on past it, and its dependents read
//! it. A resume keeps it as it ended instead of running the step again
//! (which ran it again beside, or after, the steps that had already read
//! its failure). A failure that stopped the run runs again, as before.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"
steps:
  - id: probe
    shell: echo probe >> trail; exit 7
    effect: read
    on_failure: continue
  - id: after
    needs: [probe]
    shell: 'echo "after, probe failed: {{failed(probe)}} with {{steps.probe.exit_code}}" >> trail'
    effect: read
  - id: restart
    needs: [after]
    shell: echo restart >> trail
    approval: Restart?
"#;

#[test]
fn a_handled_failure_is_kept_by_a_resume_not_run_again() {
    let s = Sandbox::new(PLAYBOOK);
    // No terminal: the gate is refused and the run stops there.
    let first = s.run(&[]);
    assert_eq!(first.code, 3, "{}", first.describe());
    let resumed = s.resume(&s.run_id(), &["--approve", "restart"]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert!(
        !resumed.stdout.contains(r#""step":"probe""#),
        "probe ran again: {}",
        resumed.stdout
    );
    assert_eq!(
        s.read("trail"),
        "probe\nafter, probe failed: true with 7\nrestart\n"
    );
}

#[test]
fn a_failure_that_stopped_the_run_runs_again() {
    let s = Sandbox::new(
        "steps:\n  - id: flaky\n    shell: echo try >> trail; test -e fixed\n    effect: read\n",
    );
    assert_eq!(s.run(&[]).code, 1);
    std::fs::write(s.path().join("fixed"), "").unwrap();
    let resumed = s.resume(&s.run_id(), &[]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert_eq!(s.read("trail"), "try\ntry\n");
}

/// A calling step stopped by a gate refused inside its called playbook
/// came to an end of its own: its resume continues inside the called run
/// at that gate, without asking first whether to run the step again
/// "after part of its work".
#[test]
fn a_call_stopped_by_a_refused_gate_inside_resumes_at_that_gate() {
    let s = Sandbox::new("steps:\n  - id: call\n    playbook: inner.yaml\n");
    std::fs::write(
        s.path().join("inner.yaml"),
        "steps:\n  - id: a\n    shell: echo a >> trail\n    effect: read\n  - id: b\n    needs: [a]\n    shell: echo b >> trail\n    approval: Go on?\n",
    )
    .unwrap();
    // No terminal: the inner gate is refused and the run stops there.
    assert_eq!(s.run(&["--approve", "call"]).code, 3);
    let resumed = s.resume(&s.run_id(), &["--approve", "call.b"]);
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert!(
        resumed.events_of("step_interrupted").is_empty(),
        "the call ended on its own: {}",
        resumed.stdout
    );
    assert_eq!(s.read("trail"), "a\nb\n");
}
