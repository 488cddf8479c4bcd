//! Who syncs a run's journal at its end: the watchdog, after `runbook` has
//! exited, when a step started a process; `runbook` itself otherwise
//! (docs/semantics.md, "Durability"). Observed with `strace`, which follows
//! every process of the run and says which one called `fdatasync`.

use crate::running::{binary, Sandbox};
use std::process::Command;

/// The `fdatasync` calls of a run traced by `strace -f`, each with whether
/// `runbook` itself (the traced process) made it and whether it came
/// after `runbook` had begun to exit (`exit_group`, before which its
/// descriptors, the watchdog's pipe among them, are all open).
fn final_syncs(s: &Sandbox) -> Vec<(bool, bool)> {
    final_syncs_with(s, &[])
}

/// [`final_syncs`] with `env` added to `runbook`'s environment.
fn final_syncs_with(s: &Sandbox, env: &[(&str, &str)]) -> Vec<(bool, bool)> {
    let trace = s.path().join("trace");
    let status = Command::new("strace")
        .current_dir(s.path())
        .args(["-f", "-qq", "-e", "trace=fdatasync,execve,exit_group", "-o"])
        .arg(&trace)
        .arg(binary())
        .args(["run", "p.yaml"])
        .env("NO_COLOR", "1")
        .env("USER", "tester")
        .envs(env.iter().copied())
        .output()
        .expect("strace runs");
    assert!(status.status.success(), "{status:?}");
    let text = std::fs::read_to_string(&trace).unwrap();
    let pid_of = |line: &str| line.split_whitespace().next().unwrap_or("").to_string();
    let runbook = text
        .lines()
        .find(|l| l.contains("execve(") && l.contains(&*binary().to_string_lossy()))
        .map(pid_of)
        .unwrap_or_else(|| panic!("no execve of runbook in {text}"));
    let mut exited = false;
    let mut syncs = Vec::new();
    for line in text.lines() {
        let pid = pid_of(line);
        if pid == runbook && line.contains("exit_group(") {
            exited = true;
        }
        if line.contains("fdatasync(") {
            syncs.push((pid == runbook, exited));
        }
    }
    syncs
}

#[test]
fn a_run_that_started_a_process_leaves_the_final_sync_to_its_watchdog() {
    let s = Sandbox::new("name: p\nsteps:\n  - id: a\n    shell: \"true\"\n");
    // One sync, not by runbook, after runbook exited: the run's end did not
    // wait for the disk, and the journal was still synced.
    assert_eq!(final_syncs(&s), vec![(false, true)]);
}

#[test]
fn a_run_without_a_process_syncs_its_journal_itself() {
    let s = Sandbox::new("name: p\nsteps:\n  - id: a\n    log: hello\n");
    assert_eq!(final_syncs(&s), vec![(true, false)]);
}

#[test]
fn a_hand_over_the_watchdog_does_not_confirm_leaves_the_sync_to_runbook() {
    // The watchdog declines the journal (a debug build's switch, standing
    // for a `dup2` that failed): it does not confirm, so `runbook` syncs
    // the journal itself before it exits, and the watchdog does not.
    let s = Sandbox::new("name: p\nsteps:\n  - id: a\n    shell: \"true\"\n");
    let env = [("RUNBOOK_DEBUG_WATCHDOG_DECLINES_JOURNAL", "1")];
    assert_eq!(final_syncs_with(&s, &env), vec![(true, false)]);
    // The journal is whole: the run's end is in it.
    let journal = s.journal();
    assert_eq!(
        journal.last().unwrap()["event"],
        "run_finished",
        "{journal:?}"
    );
}
