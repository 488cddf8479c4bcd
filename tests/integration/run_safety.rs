//! What must never happen: an input value executing as shell, a secret
//! appearing anywhere, a process outliving its step.

use crate::running::{Sandbox, SANDBOX_VAR};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::time::{Duration, Instant};

#[test]
fn input_values_never_execute_in_shell_commands() {
    let s = Sandbox::new(
        r#"
inputs:
  v: {type: string}
steps:
  - id: echo
    shell: printf '%s\n' {{inputs.v}} >> out
  - id: argv
    shell: [sh, -c, "printf '%s\n' \"$1\" >> out", sh, "{{inputs.v}}"]
"#,
    );
    let hostile = [
        "$(touch pwned1)",
        "`touch pwned2`",
        "; touch pwned3",
        "a'b\"c $(touch pwned4)'",
        "x\ntouch pwned5",
        "&& touch pwned6 #",
    ];
    let mut expected = String::new();
    for value in hostile {
        let run = s.run(&["--input", &format!("v={value}")]);
        assert_eq!(run.code, 0, "{value}: {}", run.describe());
        expected.push_str(&format!("{value}\n{value}\n"));
    }
    for n in 1..=6 {
        assert!(
            !s.path().join(format!("pwned{n}")).exists(),
            "pwned{n} was created"
        );
    }
    assert_eq!(s.read("out"), expected);
}

#[test]
fn a_secret_never_appears_in_output_json_journal_or_report() {
    let secret = "hunter2\"s3cr\\et";
    let s = Sandbox::new(
        r#"
inputs:
  token:
    type: string
    secret: true
    env: TEST_TOKEN
steps:
  - id: use
    shell: "printf '%s\n' {{inputs.token}}; printf '%s\n' {{inputs.token}} | base64; printf '%s' {{inputs.token}} | base64; printf '%s\n' {{inputs.token}} >&2"
    outputs:
      derived: stdout
  - id: log
    needs: [use]
    log: "token is {{inputs.token}}, derived {{steps.use.outputs.derived}}"
  - id: fail
    needs: [log]
    shell: "echo failing with {{inputs.token}} >&2; exit 1"
"#,
    );
    let forms = [
        secret.to_string(),
        STANDARD.encode(secret),
        STANDARD.encode(format!("{secret}\n")),
        serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    ];
    let check = |what: &str, text: &str| {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "{what} contains {form:?}:\n{text}"
            );
        }
    };
    let json = s
        .command(&["run", "p.yaml", "--output", "json"])
        .env("TEST_TOKEN", secret)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    check(
        "--output json stdout",
        &String::from_utf8_lossy(&json.stdout),
    );
    check(
        "--output json stderr",
        &String::from_utf8_lossy(&json.stderr),
    );
    assert!(String::from_utf8_lossy(&json.stdout).contains("***"));

    let human = s
        .command(&["run", "p.yaml"])
        .env("TEST_TOKEN", secret)
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(1));
    check("terminal stdout", &String::from_utf8_lossy(&human.stdout));
    check("terminal stderr", &String::from_utf8_lossy(&human.stderr));

    for entry in std::fs::read_dir(s.path().join(".runbook/runs"))
        .unwrap()
        .flatten()
    {
        let journal = std::fs::read_to_string(entry.path().join("journal.jsonl")).unwrap();
        check("journal", &journal);
        let id = entry.file_name().to_string_lossy().into_owned();
        let report = s.command(&["report", &id]).output().unwrap();
        check("report", &String::from_utf8_lossy(&report.stdout));
    }
}

#[test]
fn a_timeout_leaves_no_process_behind() {
    let s = Sandbox::new(
        r#"
steps:
  - id: spawner
    shell: "sleep 41 & sh -c 'sleep 42' & wait"
    timeout: 300ms
"#,
    );
    // The same command line started by another test run on this machine
    // (another sandbox's variable): neither seen nor killed by this test.
    let other = Sandbox::new("steps: []\n");
    let mut decoy = std::process::Command::new("sleep")
        .arg("41")
        .env(SANDBOX_VAR, other.path())
        .spawn()
        .unwrap();
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("spawner"), "timed_out");
    let left = s.live_processes("sleep 4");
    s.kill_leftovers("sleep 41");
    s.kill_leftovers("sleep 42");
    let decoy_seen = other.live_processes("sleep 41");
    let decoy_alive = decoy.try_wait().unwrap().is_none();
    decoy.kill().unwrap();
    decoy.wait().unwrap();
    assert!(
        left.iter()
            .all(|(_, c)| !c.contains("sleep 41") && !c.contains("sleep 42")),
        "orphans: {left:?}"
    );
    assert!(
        decoy_alive,
        "this test's cleanup killed another run's process"
    );
    assert_eq!(
        decoy_seen.iter().map(|(pid, _)| *pid).collect::<Vec<_>>(),
        vec![decoy.id() as i32],
        "the other sandbox sees its own process"
    );
}

#[test]
fn ctrl_c_cancels_the_run_kills_its_processes_and_exits_130() {
    let s = Sandbox::new(
        r#"
steps:
  - id: busy
    shell: "sh -c 'sleep 43' & sleep 44; echo done >> trail"
  - id: after
    needs: [busy]
    shell: echo after >> trail
"#,
    );
    let mut child = s
        .command(&["run", "p.yaml"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.live_processes("sleep 44").is_empty() {
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    let left = s.live_processes("sleep 4");
    s.kill_leftovers("sleep 43");
    s.kill_leftovers("sleep 44");
    assert_eq!(status.code(), Some(130));
    assert!(
        left.iter()
            .all(|(_, c)| !c.contains("sleep 43") && !c.contains("sleep 44")),
        "orphans: {left:?}"
    );
    assert_eq!(s.read("trail"), "");
    let journal = s.journal();
    let last = journal.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["status"], "interrupted");
    assert!(journal.iter().any(|r| r["event"] == "step_finished"
        && r["step"] == "busy"
        && r["state"] == "cancelled"));
}
