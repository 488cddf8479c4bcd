//! A called playbook's run is journaled inside its caller's journal, so a
//! `resume` of the caller continues inside the called playbook: its steps
//! that succeeded before the crash do not run again.

use crate::running::Sandbox;
use std::time::{Duration, Instant};

const PARENT: &str = r#"name: parent
steps:
  - id: before
    shell: echo before >> lines
  - id: shared
    needs: [before]
    playbook: child.yaml
    outputs:
      word:
        json: $.first.word
  - id: after
    needs: [shared]
    shell: "echo after {{steps.shared.outputs.word}} >> lines"
"#;

const CHILD: &str = r#"name: child
steps:
  - id: first
    shell: "echo first >> lines; echo bird"
    outputs:
      word:
        regex: (\w+)
  - id: second
    needs: [first]
    shell: "echo second >> lines; if [ ! -f resumed ]; then sleep 32; fi"
  - id: third
    needs: [second]
    shell: echo third >> lines
"#;

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the parent (`run p.yaml` with `args`) calling `child`, and
/// SIGKILLs it while the called playbook's second step runs; `sleep` is
/// that step's sleep, made the test's own so cleaning up never kills
/// another test's.
fn killed_in_second(sleep: &str, child: &str, args: &[&str]) -> Sandbox {
    let own = format!("{sleep}.{}", std::process::id());
    let s = Sandbox::new(PARENT);
    std::fs::write(s.path().join("child.yaml"), child.replace("sleep 32", &own)).unwrap();
    let mut command = vec!["run", "p.yaml"];
    command.extend_from_slice(args);
    let mut running = s
        .command(&command)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the called playbook's second step to start", || {
        s.read("lines").contains("second")
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(running.id() as i32, libc::SIGKILL);
    }
    running.wait().unwrap();
    s.kill_leftovers(&own);
    s
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

#[test]
fn resume_continues_inside_a_called_playbook_killed_mid_run() {
    let s = killed_in_second("sleep 32", CHILD, &[]);
    assert_eq!(s.read("lines"), "before\nfirst\nsecond\n");
    let run_id = s.run_id();

    // The called playbook's steps are in the caller's journal, addressed.
    let journal = s.journal();
    assert!(
        journal.iter().any(|r| r["event"] == "called"
            && r["call"] == "shared"
            && r["record"]["event"] == "step_finished"
            && r["record"]["step"] == "shared.first"
            && r["record"]["state"] == "succeeded"),
        "{journal:#?}"
    );
    std::fs::write(s.path().join("resumed"), "").unwrap();

    // The calling step was interrupted: it is asked for again, and so is the
    // called playbook's step that was running; without a terminal each
    // needs `--approve`. Refused, nothing runs, not even inside.
    let refused = s
        .command(&["resume", &run_id, "--approve", "shared"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(code(&refused), Some(3), "{stderr}");
    assert!(stderr.contains("--approve shared.second"), "{stderr}");
    let journal = s.journal();
    let asked = journal
        .iter()
        .find(|r| r["event"] == "gate_requested" && r["step"] == "shared")
        .expect("the calling step's gate");
    assert!(
        asked["question"]
            .as_str()
            .unwrap()
            .contains("Continue it? (its called playbook resumes where it stopped"),
        "{asked}"
    );
    assert_eq!(s.read("lines"), "before\nfirst\nsecond\n");

    let resumed = s
        .command(&[
            "resume",
            &run_id,
            "--approve",
            "shared",
            "--approve",
            "shared.second",
        ])
        .output()
        .unwrap();
    assert_eq!(
        code(&resumed),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // `first` ran once, before the kill; `second` was interrupted and ran
    // again once approved; the rest ran, with `first`'s output restored.
    assert_eq!(
        s.read("lines"),
        "before\nfirst\nsecond\nsecond\nthird\nafter bird\n"
    );
    let journal = s.journal();
    let seqs: Vec<u64> = journal.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "one sequence for the caller and the called playbook: {seqs:?}"
    );
}

/// The called playbook's records in the caller's journal are masked with
/// the caller's secrets too: a secret input handed to an input the called
/// playbook does not declare secret never reaches the journal.
#[test]
fn a_called_playbooks_records_mask_the_callers_secrets() {
    let secret = "s3cr3t-'$(id)'-`x`-\"q\"";
    let s = Sandbox::new(
        r#"name: parent
inputs:
  password:
    type: string
    secret: true
steps:
  - id: shared
    playbook:
      path: child.yaml
      inputs:
        token: "{{inputs.password}}"
"#,
    );
    std::fs::write(
        s.path().join("child.yaml"),
        "name: child\ninputs:\n  token: {type: string}\nsteps:\n  - id: show\n    shell: \"echo {{inputs.token}}\"\n",
    )
    .unwrap();
    let out = s
        .command(&["run", "p.yaml", "--input", &format!("password={secret}")])
        .output()
        .unwrap();
    assert_eq!(
        code(&out),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = s.journal();
    let show = journal
        .iter()
        .find(|r| {
            r["event"] == "called"
                && r["record"]["event"] == "step_finished"
                && r["record"]["step"] == "shared.show"
        })
        .expect("the called step's end, journaled");
    // Its output is stored once, as its line (its `stdout` result stands
    // in `output_in_lines`), masked.
    assert!(
        show["record"]["output_in_lines"]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n == "stdout")),
        "{show}"
    );
    let line = journal
        .iter()
        .find(|r| {
            r["event"] == "called"
                && r["record"]["event"] == "step_output"
                && r["record"]["step"] == "shared.show"
        })
        .expect("the called step's line, journaled");
    assert_eq!(line["record"]["line"], "***");
    let text: String = journal.iter().map(|r| r.to_string()).collect();
    assert!(!text.contains("s3cr3t"), "{text}");
}

/// "Run it again?" asked of a calling step after a crash is not the
/// approval of what the called playbook does: its own gates still ask.
/// Before, approving the re-run passed every gate of the called playbook
/// (a restart of a host nobody approved).
#[test]
fn approving_the_rerun_of_a_calling_step_does_not_approve_the_gates_it_calls() {
    let s = killed_in_second(
        "sleep 33",
        &CHILD.replace(
            "    shell: echo third >> lines",
            "    approval: Restart it?\n    shell: echo third >> lines",
        ),
        &["--approve", "shared.third"],
    );
    std::fs::write(s.path().join("resumed"), "").unwrap();
    let run_id = s.run_id();
    // The re-runs are approved; the called playbook's own gate is not.
    let resumed = s.resume(
        &run_id,
        &["--approve", "shared", "--approve", "shared.second"],
    );
    assert_eq!(resumed.code, 3, "{}", resumed.describe());
    assert!(
        resumed.stderr.contains("--approve shared.third"),
        "{}",
        resumed.stderr
    );
    assert_eq!(s.read("lines"), "before\nfirst\nsecond\nsecond\n");
    // Approved, it runs.
    let resumed = s.resume(
        &run_id,
        &["--approve", "shared", "--approve", "shared.third"],
    );
    assert_eq!(resumed.code, 0, "{}", resumed.describe());
    assert!(
        s.read("lines").ends_with("third\nafter bird\n"),
        "{}",
        s.read("lines")
    );
}
