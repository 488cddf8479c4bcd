//! Cleanups (`finally: true`) run however the run goes on or stops: in
//! their place after a failure they do not depend on, and after a failure
//! that aborts the run, a rejected gate or a signal, once the stopped steps
//! have ended; a second signal stops them; a run whose cleanups ran is not
//! resumed (docs/semantics.md, "Cleanup: `finally`").

use crate::running::{Run, Sandbox};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Set a flag, work under it (gated, or a long process), lift the flag
/// however the work ended, and only if it was set.
fn playbook(work: &str, lift: &str) -> String {
    format!(
        r#"
steps:
  - id: flag
    shell: echo set >> trail
  - id: work
    needs: [flag]
{work}
  - id: after
    needs: [work]
    shell: echo after >> trail
  - id: lift
    needs: [flag, work, after]
    finally: true
    when: succeeded(flag)
    shell: {lift}
"#
    )
}

const LIFT: &str = "echo lifted >> trail";

pub(crate) fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_rejected_gate_still_runs_the_cleanup() {
    // No terminal: the gate fails closed, the run stops at exit code 3,
    // and the flag is lifted anyway.
    let s = Sandbox::new(&playbook(
        "    shell: echo worked >> trail\n    approval: Go on?",
        LIFT,
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("work"), "rejected");
    assert_eq!(run.state("lift"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    // The step after the work never ran; the cleanup ran after the gate.
    let finished: Vec<&str> = run
        .events_of("step_finished")
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert_eq!(finished, ["flag", "work", "lift"]);
    // Going on would work past what the cleanup undid: the resume runs no
    // work, and the run stays stopped at its gate.
    let resumed = s.resume(&s.run_id(), &["--approve", "work"]);
    assert_eq!(resumed.code, 3, "{}", resumed.describe());
    assert!(
        resumed
            .stderr
            .contains("finishes the cleanup and runs no work"),
        "{}",
        resumed.stderr
    );
    assert_eq!(s.read("trail"), "set\nlifted\n");
    // `--force` goes on with the work, and says what stays undone.
    let forced = s.resume(&s.run_id(), &["--approve", "work", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.describe());
    assert!(
        forced
            .stderr
            .contains("going on past cleanups that already ran (`lift`)"),
        "{}",
        forced.stderr
    );
    assert_eq!(s.read("trail"), "set\nlifted\nworked\nafter\n");
}

#[test]
fn an_aborting_failure_runs_the_cleanup_and_a_handled_one_runs_it_in_place() {
    let s = Sandbox::new(&playbook("    shell: exit 4", LIFT));
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("after"), "not run");
    assert_eq!(run.state("lift"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");

    // Under `continue` nothing stops the run: the cleanup runs in its
    // place, although the step it needs failed.
    let s = Sandbox::new(&playbook(
        "    shell: exit 4\n    on_failure: continue",
        LIFT,
    ));
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("lift"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nafter\nlifted\n");
}

#[test]
fn a_cleanup_whose_guard_is_false_does_not_run() {
    // The flag could not be set: there is nothing to lift.
    let s = Sandbox::new(
        &playbook("    shell: echo worked >> trail", LIFT)
            .replace("shell: echo set >> trail", "shell: exit 1"),
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("work"), "not run", "{}", run.describe());
    assert_eq!(run.state("lift"), "skipped", "{}", run.describe());
    assert!(
        run.message("lift").contains("succeeded(flag)"),
        "{}",
        run.describe()
    );
    assert_eq!(s.read("trail"), "");
}

#[test]
fn a_resume_that_finishes_a_failed_cleanup_sees_the_work_as_it_ended() {
    // Two of three hosts are approved and drained, the third is refused:
    // the loop is rejected, and the cleanup undoes what it did. The
    // cleanup fails the first time (its service is down); the resume runs
    // it again, and `failed(drain)` and `drain`'s results are as the
    // stopped run had them.
    let s = Sandbox::new(
        r#"
steps:
  - id: drain
    for_each: '["a", "b", "c"]'
    as: host
    shell: echo "drained {{host}}" >> trail
    approval: "Drain {{host}}?"
    approval_per_item: true
  - id: undrain
    needs: [drain]
    finally: true
    when: succeeded(drain) || failed(drain)
    shell: test ! -e down && echo "undrained {{len(steps.drain.results)}}, {{steps.drain.succeeded_count}} done" >> trail
"#,
    );
    let check = s
        .command(&["check", "p.yaml"])
        .output()
        .expect("check runs");
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(said.contains("no problems"), "{said}");
    std::fs::write(s.path().join("down"), "").expect("write");
    let run = s.run(&["--approve", "drain[a]", "--approve", "drain[b]"]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("undrain"), "failed", "{}", run.describe());
    std::fs::remove_file(s.path().join("down")).expect("remove");
    let resumed = s.resume(&s.run_id(), &[]);
    assert_eq!(resumed.code, 3, "{}", resumed.describe());
    assert_eq!(
        resumed.state("undrain"),
        "succeeded",
        "{}",
        resumed.describe()
    );
    assert_eq!(
        s.read("trail"),
        "drained a\ndrained b\nundrained 3, 2 done\n"
    );
    // Nothing is left to finish: the next resume would run nothing, and
    // the run says so instead of offering it.
    assert!(
        resumed
            .stderr
            .contains("its cleanup ran, so a resume would run no work"),
        "{}",
        resumed.stderr
    );
}

/// Starts `runbook run p.yaml` and waits for the file `ready`.
pub(crate) fn start(s: &Sandbox, ready: &str) -> std::process::Child {
    let child = s
        .command(&["run", "p.yaml", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runbook runs");
    wait_for(ready, || s.path().join(ready).exists());
    child
}

pub(crate) fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

#[test]
fn a_signal_stops_the_work_and_runs_the_cleanup() {
    let s = Sandbox::new(&playbook(
        "    shell: touch working; sleep 1000; echo worked >> trail",
        LIFT,
    ));
    let child = start(&s, "working");
    signal(&child, libc::SIGTERM);
    let run = Run::from(child.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert!(s.live_processes("sleep 1000").is_empty());
    assert_eq!(run.state("work"), "cancelled");
    assert_eq!(run.state("lift"), "succeeded");
}

#[test]
fn a_signal_that_ends_a_step_at_once_still_runs_the_cleanup() {
    // A pause (like a request) ends the moment it is cancelled: its end
    // must not reach the scheduler before the signal does, or the steps
    // after it settle, the cleanup starts under the cancelled run, and one
    // signal cancels it. Several runs, since it was a race.
    for round in 0..4 {
        let s = Sandbox::new(&playbook("    wait: 1000s", LIFT).replace(
            "shell: echo set >> trail",
            "shell: echo set >> trail; touch working",
        ));
        let child = start(&s, "working");
        std::thread::sleep(Duration::from_millis(100));
        signal(&child, libc::SIGTERM);
        let run = Run::from(child.wait_with_output().expect("runbook ends"));
        assert_eq!(run.code, 143, "round {round}: {}", run.describe());
        assert_eq!(
            run.state("lift"),
            "succeeded",
            "round {round}: {}",
            run.describe()
        );
        assert_eq!(s.read("trail"), "set\nlifted\n", "round {round}");
        // The interruption is journaled before the step it cancelled ends.
        let interrupted = run.events_of("run_interrupted");
        assert_eq!(interrupted.len(), 1, "{}", run.describe());
        let work_end = run
            .events_of("step_finished")
            .into_iter()
            .find(|e| e["step"] == "work")
            .and_then(|e| e["seq"].as_u64());
        assert!(
            interrupted[0]["seq"].as_u64() < work_end,
            "{}",
            run.describe()
        );
    }
}

#[test]
fn a_second_signal_during_the_grace_period_does_not_stop_the_cleanup_after_it() {
    // The usual "Ctrl-C, Ctrl-C" on a step that ignores SIGTERM: the second
    // signal cuts the grace period short (SIGKILL at once), and that is all
    // it asks for. Before, it also cancelled the cleanup 1 ms after the
    // cleanup began, although no cleanup ran when it was sent.
    let s = Sandbox::new(&playbook(
        "    shell: trap '' TERM; touch working; sleep 1000",
        "sleep 0.5; echo lifted >> trail",
    ));
    let child = start(&s, "working");
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.read("trail"), "set\n", "the cleanup has not begun");
    signal(&child, libc::SIGTERM);
    let run = Run::from(child.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(run.state("work"), "cancelled", "{}", run.describe());
    assert_eq!(run.state("lift"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert!(
        !run.stderr.contains("cleanup not finished"),
        "{}",
        run.stderr
    );
    assert!(s.live_processes("sleep 1000").is_empty());
}

/// Runs the work, SIGTERMs it, and SIGTERMs the cleanup `lift` (which
/// touches `lifting` first) once it runs: the cleanup is cancelled, and
/// nothing the run started is left.
fn stopped_during_cleanup(lift: &str) -> Sandbox {
    let s = Sandbox::new(&playbook("    shell: touch working; sleep 1000", lift));
    let child = start(&s, "working");
    signal(&child, libc::SIGTERM);
    wait_for("the cleanup", || s.path().join("lifting").exists());
    signal(&child, libc::SIGTERM);
    let run = Run::from(child.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert!(
        run.stderr.contains(
            "cleanup not finished: `lift` (cancelled): what they undo may still be in place"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(s.read("trail"), "set\n");
    assert!(s.live_processes("sleep 1000").is_empty());
    assert_eq!(run.state("lift"), "cancelled", "{}", run.describe());
    // The report and `runs` say so too, after the run.
    let id = s.run_id();
    assert!(
        report(&s, &id).contains(&format!(
            "- Cleanup: **not finished**: `lift` (cancelled): what it undoes may still be in place; `runbook resume {id}` finishes it"
        )),
        "{}",
        report(&s, &id)
    );
    let runs = s.command(&["runs"]).output().expect("runs runs");
    let said = String::from_utf8_lossy(&runs.stderr);
    assert!(
        said.contains(&format!(
            "run `{id}`: cleanup not finished: `lift` (cancelled)"
        )),
        "{said}"
    );
    s
}

fn report(s: &Sandbox, id: &str) -> String {
    let out = s.command(&["report", id]).output().expect("report runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_second_signal_stops_the_cleanup() {
    stopped_during_cleanup("touch lifting; sleep 1000; echo lifted >> trail");
}

#[test]
fn a_resume_finishes_an_interrupted_cleanup_without_asking_and_runs_no_work() {
    let s = stopped_during_cleanup("touch lifting; sleep 2; echo lifted >> trail");
    // No terminal, no `--approve`: the cleanup is not gated, the work is
    // not asked for.
    let resumed = s.resume(&s.run_id(), &[]);
    // The run ends as it had stopped, and its exit code says by what.
    assert_eq!(resumed.code, 143, "{}", resumed.describe());
    assert_eq!(resumed.state("lift"), "succeeded", "{}", resumed.describe());
    assert_eq!(resumed.state("work"), "not run", "{}", resumed.describe());
    assert!(
        resumed
            .stderr
            .contains("cleanup `lift` was running when the run stopped: it runs again, unattended"),
        "{}",
        resumed.stderr
    );
    assert_eq!(s.read("trail"), "set\nlifted\n");
    assert!(s.live_processes("sleep 1000").is_empty());
    // Finished: the report no longer says it is not.
    assert!(
        !report(&s, &s.run_id()).contains("not finished"),
        "{}",
        report(&s, &s.run_id())
    );
}

#[test]
fn a_signal_during_the_cleanup_of_a_rejected_run_leaves_it_rejected() {
    // The gate fails closed (no terminal); the cleanup is stopped by a
    // signal. What stopped the run first is how it ended: exit 3, and the
    // signal is on record.
    let s = Sandbox::new(&playbook(
        "    shell: echo worked >> trail\n    approval: Go on?",
        // Stopped the first time it runs; the resume's run lifts.
        "if [ -e lifting ]; then echo lifted >> trail; else touch lifting; sleep 1000; fi",
    ));
    let child = start(&s, "lifting");
    signal(&child, libc::SIGTERM);
    let run = Run::from(child.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("work"), "rejected");
    assert_eq!(run.state("lift"), "cancelled", "{}", run.describe());
    let finished = run.events_of("run_finished");
    assert_eq!(finished[0]["status"], "rejected", "{}", run.describe());
    let interrupted = run.events_of("run_interrupted");
    assert_eq!(interrupted[0]["signal"], "SIGTERM", "{}", run.describe());
    assert!(s.live_processes("sleep 1000").is_empty());
    // The resume finishes the cleanup and the run stays rejected.
    let resumed = s.resume(&s.run_id(), &[]);
    assert_eq!(resumed.code, 3, "{}", resumed.describe());
    assert_eq!(resumed.state("lift"), "succeeded", "{}", resumed.describe());
    assert_eq!(s.read("trail"), "set\nlifted\n");
}

#[test]
fn check_refuses_a_cleanup_that_waits_for_a_person_and_plan_lists_cleanups() {
    let s = Sandbox::new(&playbook("    shell: echo worked >> trail", LIFT).replace(
        "    when: succeeded(flag)",
        "    when: succeeded(flag)\n    approval: Lift it?",
    ));
    let out = s.command(&["check", "p.yaml"]).output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("runbook::finally_waits"), "{text}");

    let s = Sandbox::new(&playbook("    shell: echo worked >> trail", LIFT));
    let out = s.command(&["plan", "p.yaml"]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lift [write, finally]"), "{text}");
    assert!(text.contains("the cleanup still runs: `lift`"), "{text}");
}

#[test]
fn a_step_that_never_ran_did_not_succeed_and_a_dry_run_describes_guarded_cleanups() {
    // `flag` never runs (the run stops at `first`): its cleanup is
    // skipped because `succeeded(flag)` is false, not "unknown".
    let s = Sandbox::new(
        r#"
steps:
  - id: first
    shell: exit 3
  - id: flag
    needs: [first]
    shell: echo set >> trail
  - id: lift
    needs: [first, flag]
    finally: true
    when: succeeded(flag)
    shell: echo lifted >> trail
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("lift"), "skipped", "{}", run.describe());
    assert_eq!(run.message("lift"), "`when: succeeded(flag)` is false");

    // A dry-run cannot decide `succeeded(flag)` after describing `flag`:
    // it describes the cleanup instead of skipping it.
    let s = Sandbox::new(&playbook("    shell: echo worked >> trail", LIFT));
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let described: Vec<&str> = run
        .events_of("step_would_run")
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert!(described.contains(&"lift"), "{}", run.describe());
    assert_eq!(s.read("trail"), "");
}

/// A second signal during the cleanup of a called playbook, then a resume:
/// the called playbook finishes its cleanup and runs no work, as the run
/// the command line resumes does; the caller does not go on past it.
#[test]
fn a_resume_finishes_a_called_playbooks_interrupted_cleanup_and_runs_no_work() {
    let s = Sandbox::new(
        "steps:\n  - id: host\n    playbook: child.yaml\n  - id: after\n    needs: [host]\n    shell: echo after >> trail\n",
    );
    std::fs::write(
        s.path().join("child.yaml"),
        r#"
steps:
  - id: maint
    shell: echo set >> trail
  - id: restart
    needs: [maint]
    shell: echo restart >> trail; touch working; sleep 1000
  - id: unmaint
    needs: [maint, restart]
    finally: true
    when: succeeded(maint)
    shell: if [ -e lifting ]; then echo lifted >> trail; else touch lifting; sleep 1000; fi
"#,
    )
    .unwrap();
    let child = start(&s, "working");
    signal(&child, libc::SIGTERM);
    wait_for("the called cleanup", || s.path().join("lifting").exists());
    signal(&child, libc::SIGTERM);
    let run = Run::from(child.wait_with_output().expect("runbook ends"));
    assert_eq!(run.code, 143, "{}", run.describe());
    assert_eq!(s.read("trail"), "set\nrestart\n");
    assert!(s.live_processes("sleep 1000").is_empty());
    // The called cleanup that did not finish is said as the caller's would
    // be: on stderr, in the journal's end, the report and `runs`.
    assert!(
        run.stderr
            .contains("cleanup not finished: `host.unmaint` (cancelled)"),
        "{}",
        run.stderr
    );
    let id = s.run_id();
    assert!(
        report(&s, &id).contains("- Cleanup: **not finished**: `host.unmaint` (cancelled)"),
        "{}",
        report(&s, &id)
    );
    let runs = s.command(&["runs"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&runs.stderr).contains("`host.unmaint` (cancelled)"),
        "{}",
        String::from_utf8_lossy(&runs.stderr)
    );
    let resumed = s.resume(&id, &["--approve", "host"]);
    assert_ne!(resumed.code, 0, "{}", resumed.describe());
    // The cleanup ran; the work inside did not run again, nor after it.
    assert_eq!(s.read("trail"), "set\nrestart\nlifted\n");
    assert_eq!(resumed.state("after"), "not run", "{}", resumed.describe());
    assert!(
        !resumed.stderr.contains("cleanup not finished"),
        "{}",
        resumed.stderr
    );
}

/// A cleanup guarded by `succeeded(policy)` may read what `policy` needs:
/// `policy` cannot have succeeded unless `orig` did (a failed need skips
/// it, and nothing after a step that never ran ran). Only `on_failure:
/// continue` on `orig` lets `policy` run after it failed. Before, `check`
/// warned `finally_unguarded_read` for the implied read.
#[test]
fn a_guard_on_a_step_that_needs_the_setup_guards_the_read() {
    let text = |continues: &str| {
        let s = Sandbox::new(&format!(
            r#"
steps:
  - id: orig
    shell: echo allkeys-lru
    effect: read
{continues}  - id: policy
    needs: [orig]
    shell: echo set volatile-lru
  - id: restore
    needs: [orig, policy]
    finally: true
    when: succeeded(policy)
    shell: echo restore {{{{steps.orig.stdout}}}}
"#
        ));
        let out = s.command(&["check", "p.yaml"]).output().expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let plain = text("");
    assert!(!plain.contains("finally_unguarded_read"), "{plain}");
    let carried = text("    on_failure: continue\n");
    assert!(carried.contains("finally_unguarded_read"), "{carried}");
    assert!(
        carried.contains("(in .runbook, `when succeeded(orig)`)"),
        "{carried}"
    );
}

/// A cleanup that comes after one a signal cancelled is never started:
/// its phase was cancelled before it was decided. Before, its start raced
/// the cancellation (tokio picks a ready branch at random) and it sometimes
/// ran its command, then was recorded as cancelled. Several rounds, since
/// it was a race.
#[test]
fn a_cleanup_decided_after_its_phase_was_cancelled_does_not_start() {
    for round in 0..6 {
        let s = Sandbox::new(
            r#"
steps:
  - id: work
    shell: touch working; sleep 1000
  - id: first
    needs: [work]
    finally: true
    shell: touch lifting; sleep 1000
  - id: second
    needs: [first]
    finally: true
    shell: touch second-ran
"#,
        );
        let child = start(&s, "working");
        signal(&child, libc::SIGTERM);
        wait_for("the first cleanup", || s.path().join("lifting").exists());
        signal(&child, libc::SIGTERM);
        let run = Run::from(child.wait_with_output().expect("runbook ends"));
        assert_eq!(run.code, 143, "round {round}: {}", run.describe());
        assert_eq!(run.state("first"), "cancelled", "round {round}");
        assert!(
            !s.path().join("second-ran").exists(),
            "round {round}: {}",
            run.describe()
        );
        assert!(s.live_processes("sleep 1000").is_empty());
    }
}
