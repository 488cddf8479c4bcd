//! The journal, `resume` after a crash, `runs` and `report`.

use crate::running::Sandbox;
use std::time::{Duration, Instant};

const STEPS: &str = r#"
name: resumable
steps:
  - id: s1
    shell: echo s1 >> lines
  - id: s2
    needs: [s1]
    shell: echo s2 >> lines
  - id: s3
    needs: [s2]
    shell: "echo s3 >> lines; if [ ! -f resumed ]; then sleep 31; fi"
  - id: s4
    needs: [s3]
    shell: echo s4 >> lines
"#;

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a run, SIGKILLs it while `s3` runs, and returns the sandbox.
fn killed_mid_run() -> Sandbox {
    // Each run sleeps for a distinct duration, so that cleaning up one test's
    // orphaned `sleep` never kills another test's, running in parallel.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let sleep = format!(
        "sleep 31.{}{:03}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let s = Sandbox::new(&STEPS.replace("sleep 31", &sleep));
    let mut child = s
        .command(&["run", "p.yaml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("s3 to start", || s.read("lines").contains("s3"));
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    // The orphaned `sleep` of s3 is not ours to keep around.
    s.kill_leftovers(&sleep);
    s
}

#[test]
fn resume_after_sigkill_runs_each_completed_step_exactly_once() {
    let s = killed_mid_run();
    assert_eq!(s.read("lines"), "s1\ns2\ns3\n");
    let run_id = s.run_id();
    std::fs::write(s.path().join("resumed"), "").unwrap();

    // Without a terminal, the interrupted step is not re-run unless approved.
    let refused = s.command(&["resume", &run_id]).output().unwrap();
    assert_eq!(
        refused.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("step `s3` was running when the run stopped"),
        "{stderr}"
    );
    assert_eq!(s.read("lines"), "s1\ns2\ns3\n");

    let resumed = s
        .command(&["resume", &run_id, "--approve", "s3"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // s1 and s2 completed before the kill: once each. s3 was interrupted and
    // ran again once approved (at-least-once); s4 ran once.
    assert_eq!(s.read("lines"), "s1\ns2\ns3\ns3\ns4\n");

    let journal = s.journal();
    let seqs: Vec<u64> = journal.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence numbers continue: {seqs:?}"
    );
    assert!(journal
        .iter()
        .any(|r| r["event"] == "step_interrupted" && r["step"] == "s3"));
    assert!(journal
        .iter()
        .any(|r| r["event"] == "gate_decided" && r["step"] == "s3" && r["via"] == "--approve"));

    // Nothing left to do.
    let again = s.command(&["resume", &run_id]).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(s.read("lines"), "s1\ns2\ns3\ns3\ns4\n");
}

#[test]
fn resume_refuses_a_changed_playbook_unless_forced() {
    let s = killed_mid_run();
    let run_id = s.run_id();
    std::fs::write(s.path().join("resumed"), "").unwrap();
    std::fs::write(s.path().join("p.yaml"), format!("{STEPS}\n# edited\n")).unwrap();
    let out = s
        .command(&["resume", &run_id, "--approve", "s3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed since run"));
    let out = s
        .command(&["resume", &run_id, "--approve", "s3", "--force"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_journal_has_every_event_and_the_report_is_a_timeline() {
    let s = Sandbox::new(
        r#"
name: reported
steps:
  - id: probe
    title: Probe the queue
    shell: echo 12
    effect: read
    outputs:
      depth: {type: int}
  - id: fix
    needs: [probe]
    shell: echo fixed
    approval: Drain the queue?
"#,
    );
    let run = s.run(&["--approve", "fix"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let journal = s.journal();
    // --output json prints exactly what the journal holds.
    assert_eq!(journal.len(), run.events.len());
    assert_eq!(journal.first().unwrap()["event"], "run_started");
    assert_eq!(journal.last().unwrap()["event"], "run_finished");
    let decision = journal
        .iter()
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decision["who"], "tester");
    assert_eq!(decision["approved"], true);
    assert_eq!(decision["plan_hash"], journal[0]["plan_hash"]);

    let runs = s.command(&["runs"]).output().unwrap();
    let listing = String::from_utf8_lossy(&runs.stdout);
    assert!(
        listing.contains(&s.run_id()) && listing.contains("succeeded"),
        "{listing}"
    );

    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.starts_with(&format!("# Run {}: reported", s.run_id())),
        "{report}"
    );
    assert!(
        report.contains("| `probe` |") && report.contains("`depth` = `12`"),
        "{report}"
    );
    assert!(
        report.contains("| `fix` | approved | tester (--approve) |"),
        "{report}"
    );
    assert!(report.contains("## Timeline"), "{report}");
}

/// The status `runbook runs` gives a run with no end in its journal: its
/// `runs` line while the process works on it (`running`), once it ends, and
/// after a kill -9 (`incomplete`, nobody holds its lock). Asking does not
/// take the lock: the run finishes normally afterwards.
#[test]
fn runs_tells_a_run_still_going_from_a_killed_one() {
    let s = Sandbox::new(
        r#"
name: going
steps:
  - id: wait
    shell: "while [ ! -e go ]; do sleep 0.05; done"
    effect: read
"#,
    );
    let status_of = |s: &Sandbox| -> Option<String> {
        let out = s.command(&["runs"]).output().unwrap();
        let listing = String::from_utf8_lossy(&out.stdout).to_string();
        listing
            .lines()
            .nth(1)
            .and_then(|line| line.split_whitespace().nth(2))
            .map(str::to_string)
    };
    let wait_for_status = |s: &Sandbox, want: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if status_of(s).as_deref() == Some(want) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never {want}: {:?}",
                status_of(s)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    let mut going = s.command(&["run", "p.yaml"]).spawn().unwrap();
    wait_for_status(&s, "running");
    std::fs::write(s.path().join("go"), "").unwrap();
    assert_eq!(going.wait().unwrap().code(), Some(0));
    assert_eq!(status_of(&s).as_deref(), Some("succeeded"));

    std::fs::remove_file(s.path().join("go")).unwrap();
    std::fs::remove_dir_all(s.path().join(".runbook")).unwrap();
    let mut killed = s.command(&["run", "p.yaml"]).spawn().unwrap();
    wait_for_status(&s, "running");
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert_eq!(status_of(&s).as_deref(), Some("incomplete"));
    s.kill_leftovers("while [ ! -e go ]");
}

/// What each step ran is journaled (`step_started.command`, on the first
/// attempt; an element's on `item_started`) and in the report's timeline,
/// gated or not, masked: a review after the incident reads the command
/// that ran, hostile values as the shell received them and secrets as
/// `***`.
#[test]
fn what_each_step_ran_is_journaled_and_reported_masked() {
    let s = Sandbox::new(
        r#"
inputs:
  ticket: {type: string}
  token: {type: string, secret: true}
steps:
  - id: evidence
    shell: mkdir -p evidence && echo {{inputs.ticket}} > evidence/ticket.txt
  - id: auth
    needs: [evidence]
    shell: echo token={{inputs.token}} > /dev/null
    effect: read
  - id: each
    needs: [auth]
    for_each: ["a", "b"]
    shell: echo {{item}} >> items
"#,
    );
    let secret = "t0k3n-s3cr3t-value";
    std::fs::write(s.path().join("secret.yaml"), format!("token: {secret}\n")).unwrap();
    let run = s.run(&[
        "--yes",
        "--input",
        "ticket=../INC 7 #x $(touch pwned)",
        "--inputs-file",
        "secret.yaml",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(!s.path().join("pwned").exists());
    let commands: Vec<(String, String)> = s
        .journal()
        .iter()
        .filter(|e| e["event"] == "step_started" || e["event"] == "item_started")
        .filter_map(|e| {
            Some((
                e["step"].as_str()?.to_string(),
                e["command"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(
        commands,
        [
            (
                "evidence".to_string(),
                "mkdir -p evidence && echo '../INC 7 #x $(touch pwned)' > evidence/ticket.txt"
                    .to_string()
            ),
            ("auth".to_string(), "echo token=*** > /dev/null".to_string()),
            ("each".to_string(), "echo a >> items".to_string()),
            ("each".to_string(), "echo b >> items".to_string()),
        ]
    );
    let report = s.command(&["report", &s.run_id()]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("`evidence` started: `mkdir -p evidence && echo '../INC 7 #x $(touch pwned)' > evidence/ticket.txt`"),
        "{report}"
    );
    assert!(
        report.contains("`auth` started: `echo token=*** > /dev/null`"),
        "{report}"
    );
    assert!(
        report.contains("`each` \\[1\\] b started: `echo b >> items`"),
        "{report}"
    );
    assert!(!report.contains(secret), "{report}");
}
