//! A called playbook stopped by a signal while its work ran (and by a
//! second one while its cleanup ran: journaled, reported once) whose
//! cleanups then all ran, in the run or in the resume that finished them:
//! the calling step ends saying so, the caller goes on as for a failed
//! step, and a resume runs nothing of it (it would go on past what those
//! cleanups undid), so none is offered; `--force` goes on inside it
//! (docs/semantics.md, "Cleanup: `finally`", "In a called playbook").

use crate::cleanup::{signal, start, wait_for};
use crate::running::{Run, Sandbox};
use std::process::Child;

const PARENT: &str = "steps:
  - id: host
    playbook: child.yaml
  - id: after
    needs: [host]
    shell: echo after >> trail
";

/// Sets a flag, works (until a signal; the second time it runs it ends at
/// once), and lifts the flag however the work ended: `lift` is the
/// cleanup's command.
fn child(lift: &str) -> String {
    format!(
        "steps:
  - id: maint
    shell: echo set >> trail
  - id: restart
    needs: [maint]
    shell: if [ -e working ]; then echo restarted >> trail; else touch working; sleep 1000; fi
  - id: unmaint
    needs: [maint, restart]
    finally: true
    when: succeeded(maint)
    shell: {lift}
"
    )
}

fn sandbox(lift: &str) -> Sandbox {
    let s = Sandbox::new(PARENT);
    std::fs::write(s.path().join("child.yaml"), child(lift)).unwrap();
    s
}

fn sigterm(child: &Child) {
    signal(child, libc::SIGTERM);
}

fn report(s: &Sandbox) -> String {
    let out = s
        .command(&["report", &s.run_id()])
        .output()
        .expect("report runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const OFFERED: &str = "resume with `runbook resume";
const NOTHING_LEFT: &str = "its cleanups ran (`host.unmaint`, in the playbooks it called too), so a resume would run no work";

/// SIGTERM while the called work runs, SIGTERM again during its cleanup
/// (which then has not finished): the run of `parent` stops as the first
/// signal said.
fn stopped_during_the_called_cleanup(parent: &str) -> Sandbox {
    let s = sandbox("touch lifting; sleep 2; echo lifted >> trail");
    std::fs::write(s.path().join("p.yaml"), parent).unwrap();
    let running = start(&s, "working");
    sigterm(&running);
    wait_for("the called cleanup", || s.path().join("lifting").exists());
    sigterm(&running);
    let run = Run::from(running.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(s.read("trail"), "set\n");
    assert!(s.live_processes("sleep 1000").is_empty());
    s
}

/// The second signal, which cut the cleanup short, is journaled at the top
/// (the called run's copy inside its `called` records), and the report
/// says each signal once, though the called run journaled its own copies.
#[test]
fn a_second_signal_is_journaled_and_reported_once() {
    let s = stopped_during_the_called_cleanup(PARENT);
    let journal = s.journal();
    let top: Vec<&str> = journal
        .iter()
        .filter_map(|r| r["event"].as_str())
        .filter(|e| e.starts_with("run_interrupted"))
        .collect();
    assert_eq!(top, ["run_interrupted", "run_interrupted_again"]);
    let again = journal
        .iter()
        .find(|r| r["event"] == "run_interrupted_again")
        .unwrap();
    assert_eq!(again["signal"], "SIGTERM");
    let said = report(&s);
    assert_eq!(
        said.matches("SIGTERM received: the running steps are stopped")
            .count(),
        1,
        "{said}"
    );
    assert_eq!(said.matches("SIGTERM received again").count(), 1, "{said}");
}

/// After two signals, the resume finishes the cleanup inside, the calling
/// step ends failed saying its cleanups ran, nothing after it runs, and no
/// further resume is offered; one made anyway runs nothing and ends as the
/// run had; `--force` goes on inside.
#[test]
fn a_called_playbook_whose_cleanups_a_resume_finished_is_not_resumed_again() {
    let s = stopped_during_the_called_cleanup(PARENT);
    // The resume finishes the cleanup inside and runs none of its work.
    let resumed = s.resume(&s.run_id(), &["--approve", "host"]);
    assert_eq!(resumed.code, 1, "{}", resumed.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert_eq!(resumed.state("host"), "failed", "{}", resumed.describe());
    assert_eq!(
        resumed.message("host"),
        "child.yaml was interrupted; its cleanups ran (`unmaint`)"
    );
    assert_eq!(resumed.state("after"), "not run", "{}", resumed.describe());
    // Its work is not said to have been interrupted again: it does not run.
    let asked: Vec<&str> = resumed
        .events_of("step_interrupted")
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert_eq!(asked, ["host"], "{}", resumed.describe());
    assert!(!resumed.stderr.contains(OFFERED), "{}", resumed.stderr);
    assert!(resumed.stderr.contains(NOTHING_LEFT), "{}", resumed.stderr);

    // A resume anyway runs nothing, asks nothing, and ends as it had.
    let again = s.resume(&s.run_id(), &[]);
    assert_eq!(again.code, 1, "{}", again.describe());
    assert!(
        again.events_of("step_started").is_empty(),
        "{}",
        again.describe()
    );
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert!(!again.stderr.contains(OFFERED), "{}", again.stderr);
    assert!(again.stderr.contains(NOTHING_LEFT), "{}", again.stderr);

    // `--force` goes on inside, past the cleanup: the work runs again
    // (asked for, as any interrupted step), then what comes after.
    let forced = s.resume(
        &s.run_id(),
        &["--force", "--approve", "host", "--approve", "host.restart"],
    );
    assert_eq!(forced.code, 0, "{}", forced.describe());
    assert!(
        forced
            .stderr
            .contains("going on past cleanups that already ran (`host.unmaint`)"),
        "{}",
        forced.stderr
    );
    assert_eq!(s.read("trail"), "set\nlifted\nrestarted\nafter\n");
}

/// One signal while the called work runs: its cleanup runs to its end
/// inside the stopped run. Nothing is left to resume, so none is offered,
/// and a resume made anyway asks nothing, runs nothing and ends as the
/// run had (143).
#[test]
fn a_called_playbook_that_cleaned_up_in_the_stopped_run_is_not_resumed() {
    let s = sandbox("echo lifted >> trail");
    let running = start(&s, "working");
    sigterm(&running);
    let run = Run::from(running.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert_eq!(run.state("host"), "cancelled", "{}", run.describe());
    assert!(!run.stderr.contains(OFFERED), "{}", run.stderr);
    assert!(run.stderr.contains(NOTHING_LEFT), "{}", run.stderr);

    // No terminal, no `--approve host`: nothing is asked, so nothing is
    // refused.
    let resumed = s.resume(&s.run_id(), &[]);
    assert_eq!(resumed.code, 143, "{}", resumed.describe());
    assert!(
        resumed.events_of("step_started").is_empty(),
        "{}",
        resumed.describe()
    );
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert!(!resumed.stderr.contains(OFFERED), "{}", resumed.stderr);
}

/// The caller goes on as for any failed step: with `on_failure: continue`
/// the steps after the calling step run.
#[test]
fn the_caller_handles_a_called_playbook_that_cleaned_up_as_a_failure() {
    let s = stopped_during_the_called_cleanup(
        "steps:
  - id: host
    playbook: child.yaml
    on_failure: continue
  - id: after
    needs: [host]
    shell: echo after >> trail
",
    );
    let resumed = s.resume(&s.run_id(), &["--approve", "host"]);
    assert_eq!(resumed.state("host"), "failed", "{}", resumed.describe());
    assert_eq!(
        resumed.message("host"),
        "child.yaml was interrupted; its cleanups ran (`unmaint`)"
    );
    assert_eq!(
        resumed.state("after"),
        "succeeded",
        "{}",
        resumed.describe()
    );
    assert_eq!(s.read("trail"), "set\nlifted\nafter\n");
    // The failure was handled: the run succeeded.
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
}

/// The caller's own cleanup ran (in its place, while the called playbook
/// worked) and the called playbook's was cut short by the second signal:
/// a resume that finishes the cleanups runs the calling step with them,
/// unasked, to finish the called cleanup, and none of the work; until then
/// the run does not say that a resume would run nothing.
#[test]
fn a_resume_that_finishes_the_callers_cleanups_finishes_the_called_ones_too() {
    let s = sandbox("touch lifting; sleep 2; echo lifted >> trail");
    std::fs::write(
        s.path().join("p.yaml"),
        "steps:
  - id: quiet
    shell: echo quiet > quieted
  - id: host
    needs: [quiet]
    playbook: child.yaml
  - id: unquiet
    needs: [quiet]
    finally: true
    shell: echo unquiet >> quieted
",
    )
    .unwrap();
    let running = start(&s, "working");
    wait_for("the caller's cleanup", || {
        s.read("quieted") == "quiet\nunquiet\n"
    });
    sigterm(&running);
    wait_for("the called cleanup", || s.path().join("lifting").exists());
    sigterm(&running);
    let run = Run::from(running.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(run.state("unquiet"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "set\n");
    assert!(
        !run.stderr.contains("a resume would run no work"),
        "{}",
        run.stderr
    );

    // No terminal, no `--approve`: nothing is asked.
    let resumed = s.resume(&s.run_id(), &[]);
    assert_eq!(resumed.code, 143, "{}", resumed.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert_eq!(s.read("quieted"), "quiet\nunquiet\n");
    assert_eq!(resumed.state("host"), "failed", "{}", resumed.describe());
    assert_eq!(
        resumed.message("host"),
        "child.yaml was interrupted; its cleanups ran (`unmaint`)"
    );
    assert!(!resumed.stderr.contains(OFFERED), "{}", resumed.stderr);
    assert!(
        resumed.stderr.contains(
            "its cleanups ran (`host.unmaint`, `unquiet`, in the playbooks it called too)"
        ),
        "{}",
        resumed.stderr
    );
}
