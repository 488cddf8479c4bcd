//! Decisions left behind: a run resumed by a colleague who does not own the
//! run directory takes a decision another user wrote but may not remove it
//! (a sticky `gates/` lets only the file's owner and the directory's owner
//! remove a file). Such a decision is never shown as pending; `runbook
//! pending` counts it and says who may remove it; `--prune` removes it for
//! whoever decided or the run directory's owner, never for anyone else;
//! the owner's resume retires it. Three real OS users: root starts the
//! run, a colleague resumes it, a third approves.

use crate::remote_approvals::{
    approver, as_member, decide, finish, gates_dir, only_run, pending, pending_at, resumer,
    shared_trail, store, text, wait_for, GATED,
};
use crate::running::{Run, Sandbox};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

fn decisions(gates: &Path) -> Vec<(String, u32)> {
    let mut found: Vec<(String, u32)> = std::fs::read_dir(gates)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".decision.json"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().uid(),
            )
        })
        .collect();
    found.sort();
    found
}

fn uid(user: &str) -> u32 {
    let out = std::process::Command::new("id")
        .args(["-u", user])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Root starts the run (its first gate fails closed: no terminal); the
/// colleague resumes it, waiting for remote decisions.
fn resumed_by_a_colleague(s: &Sandbox, resumer: &str) -> (String, std::process::Child) {
    store(s);
    shared_trail(s);
    let out = as_member(s, None, &["run", "p.yaml", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let run_id = only_run(s);
    let child = as_member(
        s,
        Some(resumer),
        &[
            "resume",
            &run_id,
            "--journal-dir",
            "runs",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
            "--output",
            "json",
        ],
    )
    .spawn()
    .unwrap();
    (run_id, child)
}

#[test]
fn decisions_a_colleagues_resume_cannot_remove_are_pruned_by_who_may() {
    let (Some(approver), Some(resumer)) = (approver(), resumer()) else {
        return;
    };
    let s = Sandbox::new(GATED);
    let (run_id, child) = resumed_by_a_colleague(&s, resumer);
    let restart = pending_at(&s, "restart");
    let gates = gates_dir(&s, &restart);
    // Root (the run directory's owner) approves the first gate, the third
    // user the four-eyes one: the resumer's process takes both and may
    // remove neither.
    let out = decide(&s, None, &["approve", &run_id, "restart"]);
    assert!(out.status.success(), "{}", text(&out));
    let wipe = pending_at(&s, "wipe");
    assert_eq!(decisions(&gates).len(), 1, "the taken decision stays");
    // Not pending: only the wipe is listed; the left decision is counted.
    let out = decide(&s, None, &["pending"]);
    let shown = text(&out);
    assert!(
        shown.contains("`wipe`") && !shown.contains("`restart`"),
        "{shown}"
    );
    assert!(
        shown.contains("1 decision file(s) of gates decided already"),
        "{shown}"
    );
    let out = decide(&s, Some(approver), &["approve", &run_id, "wipe"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\nwiped\n");
    let left = decisions(&gates);
    assert_eq!(
        left,
        {
            let mut want = vec![
                (
                    format!("{}.decision.json", restart["nonce"].as_str().unwrap()),
                    0,
                ),
                (
                    format!("{}.decision.json", wipe["nonce"].as_str().unwrap()),
                    uid(approver),
                ),
            ];
            want.sort();
            want
        },
        "the resumer could remove neither"
    );

    // Nothing pending, in either format; the left decisions counted once.
    assert!(pending(&s).is_empty());
    let out = decide(&s, None, &["pending"]);
    let shown = text(&out);
    assert!(shown.contains("nothing waits for a decision"), "{shown}");
    assert!(
        shown.contains("2 decision file(s) of gates decided already"),
        "{shown}"
    );
    assert!(shown.contains("--prune"), "{shown}");
    let out = decide(&s, None, &["pending", "--all"]);
    assert!(!text(&out).contains("┌ run"), "{}", text(&out));

    // The resumer owns neither the files nor the run directory: kept.
    let out = decide(&s, Some(resumer), &["pending", "--prune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("a decision already taken"),
        "{}",
        text(&out)
    );
    assert_eq!(decisions(&gates).len(), 2);
    // Whoever decided removes their own, and only that.
    let out = decide(&s, Some(approver), &["pending", "--prune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "removed runs/{run_id}/gates/{}.decision.json",
            wipe["nonce"].as_str().unwrap()
        )),
        "{}",
        text(&out)
    );
    assert_eq!(decisions(&gates).len(), 1);
    // The run directory's owner removes the rest.
    let out = decide(&s, None, &["pending", &run_id, "--prune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(decisions(&gates).is_empty());
    let out = decide(&s, None, &["pending"]);
    assert!(!text(&out).contains("decision file(s)"), "{}", text(&out));
}

#[test]
fn the_owners_resume_retires_decisions_a_colleagues_resume_left() {
    let (Some(approver), Some(resumer)) = (approver(), resumer()) else {
        return;
    };
    let s = Sandbox::new(GATED);
    let (run_id, child) = resumed_by_a_colleague(&s, resumer);
    let restart = pending_at(&s, "restart");
    let gates = gates_dir(&s, &restart);
    let out = decide(&s, None, &["approve", &run_id, "restart"]);
    assert!(out.status.success(), "{}", text(&out));
    let wipe = pending_at(&s, "wipe");
    assert_eq!(decisions(&gates).len(), 1);
    // The colleague's process is stopped while it waits (it removes its
    // own pending record, not root's decision).
    let pid = wipe["pid"].as_i64().unwrap() as i32;
    // SAFETY: a plain kill(2) of the waiting runbook process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let stopped = Run::from(child.wait_with_output().unwrap());
    assert_eq!(stopped.code, 143, "{}", stopped.describe());
    assert_eq!(decisions(&gates).len(), 1, "left behind");

    // Root, who owns the run directory, resumes: the left decision is
    // retired before the gate is asked again.
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
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let again = wait_for("the wipe asked again", || {
        pending(&s)
            .into_iter()
            .find(|r| r["step"] == "wipe" && r["nonce"] != wipe["nonce"])
    });
    assert!(decisions(&gates).is_empty(), "{:?}", decisions(&gates));
    let out = decide(&s, Some(approver), &["reject", &run_id, "wipe"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    assert_eq!(again["live"], true);
}
