//! Remote approvals: a run waiting at a gate publishes a pending record in
//! its run directory and takes the first valid decision written by
//! `runbook approve`/`reject`/`answer` from another process, as another OS
//! user. Real processes and two real users: the tests run as root and
//! create a throwaway approver (`useradd`) in a throwaway group; a shared
//! run store is a setgid directory of that group.

use crate::running::{binary, Run, Sandbox};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const APPROVER: &str = "rbapprover";
const RESUMER: &str = "rbresumer";
pub(crate) const TEAM: &str = "rbteam";

pub(crate) const GATED: &str = r#"
steps:
  - id: restart
    shell: echo restarted >> trail
    approval: Restart the workers?
  - id: wipe
    needs: [restart]
    shell: echo wiped >> trail
    effect: destructive
    approval:
      question: Wipe the cache?
      by: other
"#;

/// The throwaway approver, in the throwaway group (made once, if missing).
/// `None`, with the reason printed, where users cannot be made.
pub(crate) fn approver() -> Option<&'static str> {
    team().map(|_| APPROVER)
}

/// A third throwaway user of the group, who resumes runs others started.
pub(crate) fn resumer() -> Option<&'static str> {
    team().map(|_| RESUMER)
}

/// The throwaway group and its users, made once each if missing.
fn team() -> Option<()> {
    static MADE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let made = MADE.get_or_init(|| {
        let exists = |db: &str, name: &str| {
            Command::new("getent")
                .args([db, name])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !exists("group", TEAM) {
            run_ok(Command::new("groupadd").arg(TEAM))?;
        }
        for user in [APPROVER, RESUMER] {
            if !exists("passwd", user) {
                run_ok(Command::new("useradd").args([
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    "--groups",
                    TEAM,
                    user,
                ]))?;
            }
        }
        Ok(())
    });
    match made {
        Ok(()) => Some(()),
        Err(why) => {
            eprintln!("SKIPPED: a second OS user is needed and cannot be made: {why}");
            None
        }
    }
}

fn run_ok(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A shared run store: `runs/`, setgid, owned by the team's group.
pub(crate) fn store(s: &Sandbox) -> PathBuf {
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let runs = s.path().join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    if approver().is_some() {
        run_ok(Command::new("chgrp").arg(TEAM).arg(&runs)).unwrap();
    }
    std::fs::set_permissions(&runs, std::fs::Permissions::from_mode(0o2770)).unwrap();
    runs
}

/// `runbook run p.yaml --output json --journal-dir runs ARGS` in the
/// background, without a terminal.
pub(crate) fn start(s: &Sandbox, args: &[&str]) -> Child {
    let mut all = vec!["run", "p.yaml", "--output", "json", "--journal-dir", "runs"];
    all.extend_from_slice(args);
    s.command(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runbook starts")
}

pub(crate) fn finish(child: Child) -> Run {
    Run::from(child.wait_with_output().expect("runbook ends"))
}

/// Waits (bounded, for a loaded machine) until `ready` gives a value.
pub(crate) fn wait_for<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let bound = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(Instant::now() < bound, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pending records of the store, as `runbook pending --format json`
/// lists them.
pub(crate) fn pending(s: &Sandbox) -> Vec<Value> {
    let out = s
        .command(&["pending", "--journal-dir", "runs", "--format", "json"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Waits for `step` to be pending; its record.
pub(crate) fn pending_at(s: &Sandbox, step: &str) -> Value {
    wait_for(&format!("`{step}` pending"), || {
        pending(s).into_iter().find(|r| r["step"] == step)
    })
}

pub(crate) fn gates_dir(s: &Sandbox, record: &Value) -> PathBuf {
    s.path()
        .join("runs")
        .join(record["run_id"].as_str().unwrap())
        .join("gates")
}

/// `runbook ARGS --journal-dir runs`, as the approver (with `umask 077`,
/// which must not make the decision unreadable to the run) or as root.
pub(crate) fn decide(s: &Sandbox, who: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut words: Vec<String> = vec![binary().display().to_string()];
    words.extend(args.iter().map(|a| a.to_string()));
    words.extend(["--journal-dir".into(), "runs".into()]);
    let mut cmd = match who {
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--", "sh", "-c", "umask 077; exec \"$@\"", "sh"]);
            cmd.args(&words);
            cmd
        }
        None => {
            let mut cmd = Command::new(&words[0]);
            cmd.args(&words[1..]);
            cmd
        }
    };
    cmd.current_dir(s.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("runbook decides")
}

pub(crate) fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub(crate) fn pending_files(gates: &Path) -> Vec<String> {
    std::fs::read_dir(gates)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".pending.json"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn another_user_approves_from_another_terminal_and_is_journaled_as_the_file_owner() {
    let Some(user) = approver() else { return };
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    assert_eq!(record["version"], 1);
    assert_eq!(record["kind"], "gate");
    assert_eq!(record["effect"], "write");
    assert_eq!(record["command"], "echo restarted >> trail");
    assert_eq!(record["starter"], "root");
    assert_eq!(record["by_other"], false);
    assert!(record["deadline"].is_string(), "{record}");
    assert_eq!(record["nonce"].as_str().unwrap().len(), 32);
    let run_id = record["run_id"].as_str().unwrap().to_string();

    // The approver is shown what they approve.
    let out = decide(
        &s,
        Some(user),
        &["approve", &run_id, "restart", "--reason", "ok by me"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(shown.contains("echo restarted >> trail"), "{shown}");
    assert!(shown.contains("Restart the workers?"), "{shown}");

    // The four-eyes gate: the starter's own remote approval is refused...
    let wipe = pending_at(&s, "wipe");
    assert_eq!(wipe["by_other"], true);
    let out = decide(&s, None, &["approve", &run_id, "wipe"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("runbook::four_eyes"), "{}", text(&out));
    // ...another user's passes it.
    let out = decide(&s, Some(user), &["approve", &run_id, "wipe"]);
    assert!(out.status.success(), "{}", text(&out));

    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\nwiped\n");
    for decision in run.events_of("gate_decided") {
        assert_eq!(decision["who"], user, "{decision}");
        assert_eq!(decision["via"], "remote", "{decision}");
        assert_eq!(decision["approved"], true);
    }
    assert_eq!(run.events_of("gate_decided")[0]["reason"], "ok by me");
    assert!(pending_files(&gates_dir(&s, &record)).is_empty());

    let report = s
        .command(&["report", &run_id, "--journal-dir", "runs"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains(&format!("{user} (remote)")), "{report}");
}

#[test]
fn the_starter_cannot_pass_a_four_eyes_gate_and_a_timeout_rejects() {
    let s = Sandbox::new(GATED);
    store(&s);
    // On the command line: `--approve` names it, and still it fails closed.
    let run = s.run(&[
        "--journal-dir",
        "runs",
        "--approve",
        "restart",
        "--approve",
        "wipe",
    ]);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("wipe"), "rejected");
    assert!(
        run.message("wipe").contains("someone other"),
        "{}",
        run.message("wipe")
    );
    assert_eq!(s.read("trail"), "restarted\n");

    // A decision file the starter writes by hand is not taken: the gate
    // waits on, and its deadline rejects it (exit 3).
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(
        &s,
        &[
            "--approve",
            "restart",
            "--wait-for-approval",
            "--gate-timeout",
            "3s",
        ],
    );
    let record = pending_at(&s, "wipe");
    let gates = gates_dir(&s, &record);
    let nonce = record["nonce"].as_str().unwrap();
    let forged = serde_json::json!({
        "version": 1, "nonce": nonce, "plan_hash": record["plan_hash"],
        "step": "wipe", "verdict": "approve", "answer": null, "reason": "me, myself"
    });
    let path = gates.join(format!("{nonce}.decision.json"));
    std::fs::write(&path, forged.to_string()).unwrap();
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(run.state("wipe"), "rejected");
    let decided = run.events_of("gate_decided");
    let wipe = decided.iter().find(|d| d["step"] == "wipe").unwrap();
    assert_eq!(wipe["via"], "timeout", "{wipe}");
    assert_eq!(s.read("trail"), "restarted\n");
    assert!(pending_files(&gates).is_empty());
}

#[test]
fn forged_stale_and_symlinked_decisions_are_never_taken() {
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let gates = gates_dir(&s, &record);
    let nonce = record["nonce"].as_str().unwrap();
    let hash = record["plan_hash"].as_str().unwrap();
    let decision = |nonce: &str, hash: &str| {
        serde_json::json!({
            "version": 1, "nonce": nonce, "plan_hash": hash,
            "step": "restart", "verdict": "approve", "answer": null, "reason": null
        })
        .to_string()
    };
    let path = gates.join(format!("{nonce}.decision.json"));
    let outside = s.path().join("valid-decision.json");
    std::fs::write(&outside, decision(nonce, hash)).unwrap();
    type Plant<'a> = Box<dyn Fn() + 'a>;
    let attempts: Vec<(&str, Plant)> = vec![
        (
            "a decision for another nonce",
            Box::new(|| std::fs::write(&path, decision(&"0".repeat(32), hash)).unwrap()),
        ),
        (
            "a decision for a changed plan",
            Box::new(|| std::fs::write(&path, decision(nonce, &"f".repeat(64))).unwrap()),
        ),
        (
            "a symlink to a valid decision outside the run",
            Box::new(|| std::os::unix::fs::symlink(&outside, &path).unwrap()),
        ),
        (
            "an oversized decision",
            Box::new(|| std::fs::write(&path, vec![b' '; 70 * 1024]).unwrap()),
        ),
    ];
    for (what, plant) in attempts {
        plant();
        // The run removes what it refuses and goes on waiting.
        wait_for(&format!("{what} removed"), || {
            std::fs::symlink_metadata(&path).is_err().then_some(())
        });
        assert_eq!(pending_files(&gates).len(), 1, "{what}: still waiting");
    }
    assert!(outside.exists(), "a symlink's target is never touched");
    assert_eq!(s.read("trail"), "");

    let run_id = record["run_id"].as_str().unwrap();
    let out = decide(
        &s,
        None,
        &["reject", run_id, "restart", "--reason", "not now"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    let decided = run.events_of("gate_decided")[0];
    assert_eq!(decided["via"], "remote");
    assert_eq!(decided["reason"], "not now");
    assert_eq!(s.read("trail"), "");
}

#[test]
fn a_hostile_reason_is_journaled_exactly_and_shown_escaped() {
    let s = Sandbox::new(GATED);
    store(&s);
    let mut child = s
        .command(&[
            "run",
            "p.yaml",
            "--journal-dir",
            "runs",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let hostile = "fine\n\x1b[2J\x1b]0;pwned\x07 $(touch pwned) `touch pwned2`";
    let out = decide(
        &s,
        None,
        &["reject", &run_id, "restart", "--reason", hostile],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(3));
    assert!(
        !stderr.contains('\x1b'),
        "raw escape on the terminal: {stderr:?}"
    );
    assert!(stderr.contains("\\x1b[2J"), "{stderr}");
    assert!(
        stderr.contains(&format!("runbook pending {run_id}")),
        "the run says how to decide: {stderr}"
    );
    assert!(!s.path().join("pwned").exists() && !s.path().join("pwned2").exists());

    let journal =
        std::fs::read_to_string(s.path().join("runs").join(&run_id).join("journal.jsonl")).unwrap();
    let decided: Value = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["event"] == "gate_decided")
        .unwrap();
    assert_eq!(decided["reason"], hostile, "the journal keeps it exact");
    let report = s
        .command(&["report", &run_id, "--journal-dir", "runs"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(!report.contains('\x1b'), "{report:?}");
}

/// A reason that holds a secret of the run (an approver pasting a token)
/// is masked in the journal and kept nowhere else: the run's mark that it
/// took the decision names the decision by its digest, not its bytes.
#[test]
fn a_secret_in_a_reason_is_left_in_no_file_of_the_run() {
    const TOKEN: &str = "tok-3f9a1c77e2b84d0b9e";
    let s = Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true, env: RB_TOKEN}
steps:
  - id: restart
    shell: {command: 'test -n "$T" && echo restarted >> trail', env: {T: "{{inputs.token}}"}}
    approval: Restart the workers?
"#,
    );
    store(&s);
    let child = s
        .command(&["run", "p.yaml", "--output", "json", "--journal-dir", "runs"])
        .args(["--wait-for-approval", "--gate-timeout", "10m"])
        .env("RB_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let reason = format!("ok, token {TOKEN} works");
    let out = decide(
        &s,
        None,
        &["approve", &run_id, "restart", "--reason", &reason],
    );
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let decided = &run.events_of("gate_decided")[0];
    assert_eq!(decided["reason"], "ok, token *** works");

    let files = crate::support::files_under(&s.path().join("runs").join(&run_id), |_| true);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".taken.json")),
        "the run marked the decision taken: {files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "{} holds the secret",
            file.display()
        );
    }
}

#[test]
fn sigterm_while_waiting_removes_the_pending_record_and_exits_143() {
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(&s, &["--wait-for-approval"]);
    let record = pending_at(&s, "restart");
    // The default deadline of `--wait-for-approval` without `--gate-timeout`.
    assert!(record["deadline"].is_string(), "{record}");
    let gates = gates_dir(&s, &record);
    assert_eq!(pending_files(&gates).len(), 1);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let run = finish(child);
    assert_eq!(run.code, 143, "{}", run.describe());
    assert!(
        pending_files(&gates).is_empty(),
        "{:?}",
        pending_files(&gates)
    );
    let out = decide(
        &s,
        None,
        &["approve", record["run_id"].as_str().unwrap(), "restart"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("runbook::not_pending"),
        "{}",
        text(&out)
    );
}

const ASKING: &str = r#"
steps:
  - id: classify
    ask:
      question: Workload or platform?
      choices: [workload, platform]
  - id: route
    needs: [classify]
    branch:
      - when: steps.classify.answer == "workload"
        then: workload
      - else: platform
  - id: workload
    shell: echo workload >> trail
  - id: platform
    needs: [status]
    shell: echo platform >> trail
  - id: status
    needs: [classify]
    manual: Update the status page.
"#;

#[test]
fn answers_from_another_terminal_are_validated_as_answer_is() {
    let s = Sandbox::new(ASKING);
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "classify");
    assert_eq!(record["kind"], "ask");
    assert_eq!(
        record["answer"],
        serde_json::json!({"type": "choice", "choices": ["workload", "platform"]})
    );
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let out = decide(&s, None, &["answer", &run_id, "classify=$(touch pwned)"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("runbook::invalid_answer"),
        "{}",
        text(&out)
    );
    let out = decide(&s, None, &["approve", &run_id, "classify"]);
    assert!(
        text(&out).contains("runbook::wrong_decision"),
        "{}",
        text(&out)
    );
    let out = decide(&s, None, &["answer", &run_id, "classify=2"]);
    assert!(out.status.success(), "{}", text(&out));

    let manual = pending_at(&s, "status");
    assert_eq!(manual["kind"], "manual");
    let out = decide(&s, None, &["answer", &run_id, "status=doneness"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = decide(&s, None, &["answer", &run_id, "status=done updated"]);
    assert!(out.status.success(), "{}", text(&out));

    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "platform\n");
    assert!(!s.path().join("pwned").exists());
    let answers = run.events_of("answered");
    assert_eq!(answers[0]["answer"], "platform");
    assert_eq!(answers[0]["via"], "remote");
    assert_eq!(answers[1]["answer"], "updated");
}

#[test]
fn a_called_playbooks_gate_is_pending_at_its_dotted_address() {
    let s = Sandbox::new(
        r#"
steps:
  - id: rollback
    playbook: child.yaml
"#,
    );
    std::fs::write(
        s.path().join("child.yaml"),
        "steps:\n  - id: confirm\n    shell: echo confirmed >> trail\n    approval: Confirm?\n",
    )
    .unwrap();
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "rollback.confirm");
    let run_id = record["run_id"].as_str().unwrap();
    let out = decide(&s, None, &["approve", run_id, "rollback.confirm"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "confirmed\n");
}

#[test]
fn a_called_playbooks_gate_is_rejected_at_the_gate_timeout() {
    // `--gate-timeout` reaches the called playbook: its gate says when it
    // is rejected if undecided, and is, instead of waiting forever.
    let s = Sandbox::new("steps:\n  - id: rollback\n    playbook: child.yaml\n");
    std::fs::write(
        s.path().join("child.yaml"),
        "steps:\n  - id: confirm\n    shell: echo confirmed >> trail\n    approval: Confirm?\n",
    )
    .unwrap();
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "2s"]);
    let record = pending_at(&s, "rollback.confirm");
    assert!(!record["deadline"].is_null(), "{record}");
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    let decided = run.events_of("gate_decided");
    assert!(
        decided
            .iter()
            .any(|d| d["step"] == "rollback.confirm" && d["via"] == "timeout"),
        "{}",
        run.describe()
    );
    assert_eq!(s.read("trail"), "");
}

#[test]
fn the_terminal_prompt_is_called_off_when_a_remote_decision_comes_first() {
    let s = Sandbox::new(
        "steps:\n  - id: restart\n    shell: echo restarted >> trail\n    approval: Restart the workers?\n",
    );
    store(&s);
    // A real terminal (script(1)); nobody types at it.
    let mut child = Command::new("script")
        .args([
            "-qefc",
            &format!(
                "{} run p.yaml --journal-dir runs --gate-timeout 10m",
                binary().display()
            ),
            "/dev/null",
        ])
        .current_dir(s.path())
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script(1) from util-linux");
    let _stdin = child.stdin.take();
    let record = pending_at(&s, "restart");
    let out = decide(
        &s,
        None,
        &["approve", record["run_id"].as_str().unwrap(), "restart"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut screen = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut screen).unwrap();
    child.wait().unwrap();
    assert!(screen.contains("approve? [y/n]"), "{screen}");
    assert!(
        screen.contains("or from another terminal: runbook approve"),
        "{screen}"
    );
    assert!(screen.contains("decided elsewhere"), "{screen}");
    assert_eq!(s.read("trail"), "restarted\n", "{screen}");
}

#[test]
fn the_journal_directory_comes_from_the_environment_unless_given() {
    let s = Sandbox::new("steps:\n  - id: hello\n    shell: echo hi\n");
    let shared = s.path().join("shared");
    let run = Run::from(
        s.command(&["run", "p.yaml", "--output", "json"])
            .env("RUNBOOK_JOURNAL_DIR", &shared)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 1);
    let runs = s
        .command(&["runs"])
        .env("RUNBOOK_JOURNAL_DIR", &shared)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&runs.stdout).contains("succeeded"));
    // `--journal-dir` wins over the environment.
    let run = Run::from(
        s.command(&["run", "p.yaml", "--output", "json", "--journal-dir", "mine"])
            .env("RUNBOOK_JOURNAL_DIR", &shared)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 1);
    assert_eq!(std::fs::read_dir(s.path().join("mine")).unwrap().count(), 1);
}

#[test]
fn a_rehearsal_scripts_a_remote_decision_the_only_one_that_passes_four_eyes() {
    let s = Sandbox::new(GATED);
    std::fs::write(
        s.path().join("p.scenario.yaml"),
        r#"
playbook: p.yaml
steps: { restart: succeeded, wipe: succeeded }
scenarios:
  - name: a colleague approves the wipe
    gates:
      restart: approve
      wipe: { decision: approve, by: alice }
    expect: { ran: [wipe], outcome: succeeded }
  - name: the person running it cannot
    gates: { restart: approve, wipe: approve }
    expect: { skipped: [], outcome: rejected }
"#,
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 passed"),
        "{}",
        text(&out)
    );

    std::fs::write(
        s.path().join("bad.scenario.yaml"),
        "playbook: p.yaml\nscenarios:\n  - name: x\n    gates: { wipe: { decision: maybe, by: alice } }\n    expect: { outcome: rejected }\n",
    )
    .unwrap();
    let out = s.command(&["test", "bad.scenario.yaml"]).output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("neither `approve` nor `reject`"),
        "{}",
        text(&out)
    );
}

#[test]
fn each_element_of_a_loop_gated_per_item_is_pending_with_its_element() {
    let s = Sandbox::new(
        r#"
steps:
  - id: drain
    for_each: ["eu-1", "eu-2"]
    approval_per_item: true
    shell: echo {{item}} >> trail
    approval: Drain the zone?
"#,
    );
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let record = wait_for("the next element pending", || {
            pending(&s)
                .into_iter()
                .find(|r| r["step"] == "drain" && !seen.contains(&r["element"]))
        });
        assert!(
            record["command"].as_str().unwrap().starts_with("echo"),
            "{record}"
        );
        seen.push(record["element"].clone());
        // Named by its index (`[INDEX] LABEL`): a bare `drain` is refused.
        let element = record["element"].as_str().unwrap();
        let index = &element[1..element.find(']').unwrap()];
        let run_id = record["run_id"].as_str().unwrap();
        let out = decide(&s, None, &["approve", run_id, &format!("drain[{index}]")]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    let mut elements: Vec<String> = seen
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    elements.sort();
    assert_eq!(elements, ["[0] eu-1", "[1] eu-2"]);
    assert_eq!(s.read("trail").lines().count(), 2);
}

#[test]
fn a_colleague_in_the_group_lists_reports_and_resumes_a_run_of_a_shared_store() {
    let Some(user) = approver() else { return };
    let s = Sandbox::new(
        "steps:\n  - id: restart\n    shell: echo restarted\n    approval: Restart?\n",
    );
    store(&s);
    let bin = binary().display().to_string();
    let as_user = |who: Option<&str>, script: &str| {
        let mut cmd = match who {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]);
                cmd
            }
            None => Command::new("env"),
        };
        cmd.args(["sh", "-c", script, "sh", &bin])
            .current_dir(s.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // Started by root with the team's umask, rejected for want of a terminal.
    let out = as_user(None, "umask 002; \"$1\" run p.yaml --journal-dir runs");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let run_id = std::fs::read_dir(s.path().join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .into_owned();
    let out = as_user(Some(user), "\"$1\" runs --journal-dir runs");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&run_id),
        "{}",
        text(&out)
    );
    let out = as_user(
        Some(user),
        &format!(
            "umask 002; \"$1\" resume {run_id} --journal-dir runs --approve restart --output json"
        ),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = as_user(
        Some(user),
        &format!("\"$1\" report {run_id} --journal-dir runs"),
    );
    let report = String::from_utf8_lossy(&out.stdout);
    // `--approve` names whoever's session ran it (`$USER`, else the login).
    assert!(report.contains("(--approve)"), "{report}");
    assert!(report.contains("succeeded"), "{report}");
}

/// A member of the group who can write the run directory swaps `gates/`
/// for a symlink to a directory of their own holding a copy of the pending
/// record and a valid-looking approval. The waiting run keeps reading the
/// directory it opened (the approval is never taken), `runbook pending`
/// does not list the forged record, and `runbook approve` refuses to write
/// through the symlink.
#[test]
fn a_gates_directory_swapped_for_a_symlink_by_a_group_member_is_refused() {
    let Some(user) = approver() else { return };
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let gates = gates_dir(&s, &record);
    let run_dir = gates.parent().unwrap().to_path_buf();
    let run_id = record["run_id"].as_str().unwrap();
    let nonce = record["nonce"].as_str().unwrap();
    // The run directory as a starter with `umask 002` leaves it.
    let mode = std::fs::metadata(&run_dir).unwrap().permissions().mode();
    std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(mode | 0o070)).unwrap();
    let decision = serde_json::json!({
        "version": 1, "nonce": nonce, "plan_hash": record["plan_hash"],
        "step": "restart", "verdict": "approve", "answer": null, "reason": "forged"
    })
    .to_string();
    let swap = format!(
        "set -e; cd runs/{run_id}; mkdir mine; cp gates/{nonce}.pending.json mine/; \
         printf '%s' \"$2\" > mine/{nonce}.decision.json; mv gates gates.old; ln -s mine gates"
    );
    let out = Command::new("runuser")
        .args(["-u", user, "--", "sh", "-c", &swap, "sh", &decision])
        .current_dir(s.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::symlink_metadata(&gates)
        .unwrap()
        .file_type()
        .is_symlink());

    // Nothing is listed through the symlink; the refusal says why.
    let out = decide(&s, None, &["pending", "--format", "json"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "{}",
        text(&out)
    );
    // Deciding through it is refused, for the approver and for root.
    for who in [Some(user), None] {
        let out = decide(&s, who, &["approve", run_id, "restart"]);
        assert!(!out.status.success(), "{}", text(&out));
    }
    let mut planted: Vec<String> = std::fs::read_dir(run_dir.join("mine"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    planted.sort();
    assert_eq!(
        planted,
        [
            format!("{nonce}.decision.json"),
            format!("{nonce}.pending.json")
        ],
        "nothing written through the symlink"
    );
    // The waiting run never takes the approval planted behind the symlink:
    // its pending record stays in the directory it opened, which it is
    // still waiting in once the directory is put back.
    assert_eq!(pending_files(&run_dir.join("gates.old")).len(), 1);
    assert!(run_dir
        .join("mine")
        .join(format!("{nonce}.decision.json"))
        .exists());
    std::fs::remove_file(&gates).unwrap();
    std::fs::rename(run_dir.join("gates.old"), &gates).unwrap();
    let out = decide(
        &s,
        None,
        &["reject", run_id, "restart", "--reason", "swapped"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    let decided = run.events_of("gate_decided")[0];
    assert_eq!(decided["approved"], false);
    assert_eq!(decided["reason"], "swapped");
    assert_eq!(s.read("trail"), "");
}

/// `runbook ARGS` as `who` (root when `None`) with `umask 002`, the team's,
/// so a colleague can resume what they start; `Child` in the background.
pub(crate) fn as_member(s: &Sandbox, who: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = match who {
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--"]);
            cmd
        }
        None => Command::new("env"),
    };
    cmd.args(["sh", "-c", "umask 002; exec \"$@\"", "sh"])
        .arg(binary())
        .args(args)
        .current_dir(s.path())
        .env("NO_COLOR", "1")
        .env("USER", "tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A trail file every member of the team may append to.
pub(crate) fn shared_trail(s: &Sandbox) {
    let trail = s.path().join("trail");
    std::fs::write(&trail, "").unwrap();
    std::fs::set_permissions(&trail, std::fs::Permissions::from_mode(0o666)).unwrap();
}

/// The only run of the store.
pub(crate) fn only_run(s: &Sandbox) -> String {
    std::fs::read_dir(s.path().join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .into_owned()
}

/// Root starts a run (its first gate fails closed for want of a terminal);
/// a colleague resumes it, approving that gate, and waits at the four-eyes
/// gate for remote decisions. The colleague's process publishes the gate
/// in the run directory root owns and it is listed as trusted; the starter
/// (root) may not approve it although another user runs the process now,
/// nor may the resumer; a third user's approval passes it.
#[test]
fn a_run_resumed_by_a_colleague_publishes_its_gates_and_neither_of_them_passes_four_eyes() {
    let (Some(approver), Some(resumer)) = (approver(), resumer()) else {
        return;
    };
    let s = Sandbox::new(GATED);
    store(&s);
    shared_trail(&s);
    let out = as_member(&s, None, &["run", "p.yaml", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let run_id = only_run(&s);
    let child = as_member(
        &s,
        Some(resumer),
        &[
            "resume",
            &run_id,
            "--journal-dir",
            "runs",
            "--approve",
            "restart",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
            "--output",
            "json",
        ],
    )
    .spawn()
    .unwrap();
    let wipe = pending_at(&s, "wipe");
    assert_eq!(wipe["live"], true, "{wipe}");
    assert_eq!(wipe["starter"], resumer, "{wipe}");
    let ran_by: Vec<&str> = wipe["ran_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"].as_str().unwrap())
        .collect();
    assert_eq!(ran_by, ["root", resumer], "{wipe}");
    let gates = gates_dir(&s, &wipe);
    let owner =
        |path: &Path| std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(path).unwrap());
    assert_eq!(
        owner(&gates),
        0,
        "gates/ is the starter's, made at the start"
    );
    let record = gates.join(format!("{}.pending.json", wipe["nonce"].as_str().unwrap()));
    assert_ne!(owner(&record), 0, "published by the resumer");

    // The starter, from the command line: refused, whoever runs it now.
    for who in [None, Some(resumer)] {
        let out = decide(&s, who, &["approve", &run_id, "wipe"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("runbook::four_eyes"), "{}", text(&out));
        assert!(text(&out).contains("started or resumed"), "{}", text(&out));
    }
    // The run directory's owner may replace anything in its sticky
    // `gates/`: a record of root's naming the resumer's process (a harmless
    // command, no four-eyes) is not trusted, so never shown to an approver.
    let original = std::fs::read(&record).unwrap();
    let resumer_uid = owner(&record);
    let mut forged: Value = serde_json::from_slice(&original).unwrap();
    forged["command"] = "echo harmless".into();
    forged["by_other"] = false.into();
    forged["starter"] = "root".into();
    forged["starter_uid"] = 0.into();
    std::fs::remove_file(&record).unwrap();
    std::fs::write(&record, forged.to_string()).unwrap();
    let out = decide(&s, None, &["pending"]);
    assert!(!text(&out).contains("echo harmless"), "{}", text(&out));
    assert!(text(&out).contains("it is not trusted"), "{}", text(&out));
    let out = decide(&s, Some(approver), &["approve", &run_id, "wipe"]);
    assert!(
        text(&out).contains("runbook::not_pending"),
        "{}",
        text(&out)
    );
    std::fs::write(&record, &original).unwrap();
    std::os::unix::fs::chown(&record, Some(resumer_uid), None).unwrap();

    let out = decide(&s, Some(approver), &["approve", &run_id, "wipe"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("echo wiped >> trail"), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\nwiped\n");
    let decided = run.events_of("gate_decided");
    let wipe_decided = decided.iter().find(|d| d["step"] == "wipe").unwrap();
    assert_eq!(wipe_decided["who"], approver, "{wipe_decided}");
    assert_eq!(wipe_decided["via"], "remote", "{wipe_decided}");
    // The journal names who started and resumed it by uid, not `$USER`.
    let journal =
        std::fs::read_to_string(s.path().join("runs").join(&run_id).join("journal.jsonl")).unwrap();
    let records: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["event"], "run_started");
    assert_eq!(records[0]["user"], "tester");
    assert_eq!(records[0]["uid"], 0);
    let resumed = records
        .iter()
        .find(|r| r["event"] == "run_resumed")
        .unwrap();
    assert_ne!(resumed["uid"], 0, "{resumed}");
}

/// A run directory without a `gates/` of its owner's (a run started before
/// runbook made one at the start): a colleague's resume that would wait
/// for remote decisions fails at once, saying how to fix it, before
/// anything runs or is journaled.
#[test]
fn a_resume_that_cannot_publish_its_gates_fails_at_once_saying_why() {
    let Some(resumer) = resumer() else { return };
    let s = Sandbox::new(GATED);
    store(&s);
    shared_trail(&s);
    let out = as_member(&s, None, &["run", "p.yaml", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let run_id = only_run(&s);
    let run_dir = s.path().join("runs").join(&run_id);
    std::fs::remove_dir(run_dir.join("gates")).unwrap();
    let journal = std::fs::read(run_dir.join("journal.jsonl")).unwrap();
    let out = as_member(
        &s,
        Some(resumer),
        &[
            "resume",
            &run_id,
            "--journal-dir",
            "runs",
            "--approve",
            "restart",
            "--wait-for-approval",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--wait-for-approval"), "{}", text(&out));
    assert!(text(&out).contains("mkdir -m 1770"), "{}", text(&out));
    assert_eq!(s.read("trail"), "", "nothing ran");
    assert_eq!(
        std::fs::read(run_dir.join("journal.jsonl")).unwrap(),
        journal
    );
    assert!(
        !run_dir.join("gates").exists(),
        "no gates/ of the resumer's"
    );

    // Once its owner makes it, the same resume works.
    std::fs::create_dir(run_dir.join("gates")).unwrap();
    std::fs::set_permissions(
        run_dir.join("gates"),
        std::fs::Permissions::from_mode(0o1770),
    )
    .unwrap();
    let child = as_member(
        &s,
        Some(resumer),
        &[
            "resume",
            &run_id,
            "--journal-dir",
            "runs",
            "--approve",
            "restart",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
            "--output",
            "json",
        ],
    )
    .spawn()
    .unwrap();
    // The starter writes their own approval by hand. The run does not
    // take it, and cannot remove it (root's, in root's sticky `gates/`),
    // where it would keep any other decision from being written: the gate
    // is rejected, saying why.
    let wipe = pending_at(&s, "wipe");
    let nonce = wipe["nonce"].as_str().unwrap();
    let forged = serde_json::json!({
        "version": 1, "nonce": nonce, "plan_hash": wipe["plan_hash"],
        "step": "wipe", "verdict": "approve", "answer": null, "reason": "my own run"
    });
    let gates = gates_dir(&s, &wipe);
    std::fs::write(
        gates.join(format!("{nonce}.decision.json")),
        forged.to_string(),
    )
    .unwrap();
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\n");
    let decided = run.events_of("gate_decided");
    let wipe = decided.iter().find(|d| d["step"] == "wipe").unwrap();
    assert_eq!(wipe["approved"], false, "{wipe}");
    assert_eq!(wipe["who"], "root", "{wipe}");
    let reason = wipe["reason"].as_str().unwrap();
    assert!(reason.contains("started or resumed"), "{reason}");
    assert!(reason.contains("cannot be removed"), "{reason}");
}

/// `runbook pending --all --format json` of the store.
pub(crate) fn pending_all(s: &Sandbox) -> Vec<Value> {
    let out = s
        .command(&[
            "pending",
            "--journal-dir",
            "runs",
            "--format",
            "json",
            "--all",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A run killed with SIGKILL while it waits leaves its pending record:
/// `runbook pending` does not list it as waiting (it says how many stale
/// records it left out), `--all` shows it stale, `approve` does not decide
/// it. `runbook resume` retires it and publishes a new record when it
/// reaches the gate again, which is decided as any other.
#[test]
fn a_killed_runs_stale_record_is_hidden_and_retired_by_its_resume() {
    let s = Sandbox::new(GATED);
    store(&s);
    let mut child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let gates = gates_dir(&s, &record);
    let old = record["nonce"].as_str().unwrap().to_string();
    child.kill().unwrap();
    child.wait().unwrap();
    // The run's lock goes with its process; its record stays, stale.
    wait_for("the killed run's lock released", || {
        (!pending_all(&s).is_empty() && pending_all(&s)[0]["live"] == false).then_some(())
    });
    assert_eq!(pending_files(&gates), [format!("{old}.pending.json")]);
    let out = s
        .command(&["pending", "--journal-dir", "runs"])
        .output()
        .unwrap();
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("nothing waits for a decision"), "{shown}");
    assert!(shown.contains("1 stale record(s) not shown"), "{shown}");
    assert!(shown.contains("--prune"), "{shown}");
    assert!(pending(&s).is_empty(), "JSON lists only what waits");
    let out = s
        .command(&["pending", "--journal-dir", "runs", "--all"])
        .output()
        .unwrap();
    assert!(text(&out).contains("stale: process"), "{}", text(&out));
    assert!(
        text(&out).contains("it cannot be decided"),
        "{}",
        text(&out)
    );
    let out = decide(&s, None, &["approve", &run_id, "restart"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("runbook::not_pending"),
        "{}",
        text(&out)
    );
    // Help text is wrapped to the terminal's width: read it unwrapped.
    let said = text(&out).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(said.contains("its record is stale"), "{said}");
    assert!(
        said.contains(&format!("runbook resume {run_id} --journal-dir runs")),
        "{said}"
    );

    let child = s
        .command(&[
            "resume",
            &run_id,
            "--journal-dir",
            "runs",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
            "--output",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let again = wait_for("the gate published again", || {
        pending(&s)
            .into_iter()
            .find(|r| r["step"] == "restart" && r["nonce"] != old.as_str())
    });
    assert_eq!(again["live"], true);
    assert!(
        !gates.join(format!("{old}.pending.json")).exists(),
        "the killed process's record is retired"
    );
    assert_eq!(pending_all(&s).len(), 1, "{:?}", pending_all(&s));
    let out = decide(&s, None, &["approve", &run_id, "restart"]);
    assert!(out.status.success(), "{}", text(&out));
    pending_at(&s, "wipe");
    let out = decide(&s, None, &["reject", &run_id, "wipe"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\n");
    assert!(pending_files(&gates).is_empty());
}

/// `runbook pending --prune` removes the stale records of a killed run,
/// only for a user who owns them or the run directory, and never the
/// record of a run that is waiting.
#[test]
fn prune_removes_only_stale_records_the_caller_may_remove() {
    let Some(user) = approver() else { return };
    let s = Sandbox::new(GATED);
    store(&s);
    let mut killed = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let stale = pending_at(&s, "restart");
    killed.kill().unwrap();
    killed.wait().unwrap();
    wait_for("the killed run's record stale", || {
        pending_all(&s)
            .iter()
            .any(|r| r["nonce"] == stale["nonce"] && r["live"] == false)
            .then_some(())
    });
    let waiting = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let live = wait_for("a second run waiting", || {
        pending(&s)
            .into_iter()
            .find(|r| r["run_id"] != stale["run_id"])
    });
    let stale_file =
        gates_dir(&s, &stale).join(format!("{}.pending.json", stale["nonce"].as_str().unwrap()));
    let live_file =
        gates_dir(&s, &live).join(format!("{}.pending.json", live["nonce"].as_str().unwrap()));

    // A colleague owns neither the record nor the run directory.
    let out = decide(&s, Some(user), &["pending", "--prune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("only its owner or the owner of the run directory"),
        "{}",
        text(&out)
    );
    assert!(stale_file.exists() && live_file.exists());

    // The owner: the stale record goes, the waiting run's stays.
    let out = decide(&s, None, &["pending", "--prune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "removed runs/{}/gates/{}.pending.json",
            stale["run_id"].as_str().unwrap(),
            stale["nonce"].as_str().unwrap()
        )),
        "{}",
        text(&out)
    );
    assert!(!stale_file.exists());
    assert!(
        live_file.exists(),
        "the record of a live run is never removed"
    );
    let listed = pending_all(&s);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["nonce"], live["nonce"]);

    let out = decide(
        &s,
        None,
        &["reject", live["run_id"].as_str().unwrap(), "restart"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(finish(waiting).code, 3);
}

/// The commands `runbook pending` prints are exactly what to paste: run by
/// a real shell, as printed, they decide the gate of a run whose journal
/// directory's path has spaces, quotes and a `$(...)` in it.
#[test]
fn the_printed_commands_decide_when_pasted_into_a_shell() {
    let s = Sandbox::new(
        r#"
steps:
  - id: classify
    ask:
      question: Workload or platform?
      choices: [workload, "it's $(touch pwned)"]
  - id: restart
    needs: [classify]
    shell: echo restarted >> trail
    approval: Restart the workers?
"#,
    );
    let store = "team's \"runs\" $(touch pwned2)";
    let mut child = s
        .command(&[
            "run",
            "p.yaml",
            "--output",
            "json",
            "--journal-dir",
            store,
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listed = |step: &str| {
        wait_for(&format!("`{step}` listed"), || {
            let out = s
                .command(&["pending", "--journal-dir", store])
                .output()
                .unwrap();
            let shown = String::from_utf8_lossy(&out.stdout).into_owned();
            shown.contains(&format!("`{step}`")).then_some(shown)
        })
    };
    let paste = |line: &str| {
        let command = line.trim_start_matches(['│', '└', ' ']);
        assert!(command.starts_with("runbook "), "{line}");
        let path = format!(
            "{}:{}",
            binary().parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .args(["-c", command])
            .current_dir(s.path())
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("RUNBOOK_JOURNAL_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "`{command}`: {}", text(&out));
    };
    let shown = listed("classify");
    let hostile = shown
        .lines()
        .find(|l| l.contains("runbook answer") && l.contains("classify=it"))
        .unwrap_or_else(|| panic!("{shown}"));
    paste(hostile);
    let shown = listed("restart");
    let approve = shown
        .lines()
        .find(|l| l.contains("runbook approve"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(approve.contains("--journal-dir 'team'"), "{approve}");
    paste(approve);
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{out}");
    assert_eq!(s.read("trail"), "restarted\n");
    assert!(out.contains("it's $(touch pwned)"), "{out}");
    assert!(!s.path().join("pwned").exists() && !s.path().join("pwned2").exists());
}

/// Asked about one run whose `gates/` they may not read, a user is told so,
/// not that nothing waits.
#[test]
fn pending_of_a_run_whose_gates_cannot_be_read_says_so() {
    let Some(user) = approver() else { return };
    let s = Sandbox::new(GATED);
    store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let gates = gates_dir(&s, &record);
    let mode = std::fs::metadata(&gates).unwrap().permissions().mode();
    std::fs::set_permissions(&gates, std::fs::Permissions::from_mode(0o1700)).unwrap();
    let out = decide(&s, Some(user), &["pending", run_id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("cannot be read"), "{}", text(&out));
    assert!(
        text(&out).contains("group of the run store"),
        "{}",
        text(&out)
    );
    std::fs::set_permissions(&gates, std::fs::Permissions::from_mode(mode)).unwrap();
    let out = decide(&s, None, &["reject", run_id, "restart"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(finish(child).code, 3);
}
