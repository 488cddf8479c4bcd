//! A called playbook stopped by a signal while its work ran, and by a
//! second one while its cleanup ran: what the journal and the report say
//! (docs/semantics.md, "Signals and processes").

use crate::running::{Run, Sandbox};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

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

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(s: &Sandbox, ready: &str) -> Child {
    let child = s
        .command(&["run", "p.yaml", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runbook runs");
    wait_for(ready, || s.path().join(ready).exists());
    child
}

fn sigterm(child: &Child) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
}

fn report(s: &Sandbox) -> String {
    let out = s
        .command(&["report", &s.run_id()])
        .output()
        .expect("report runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

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
