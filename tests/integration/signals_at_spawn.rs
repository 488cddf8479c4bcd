//! What a step's process gets of `runbook`'s signal dispositions: nothing.
//! It resets only the signals `runbook` changes
//! (`runbook_stdlib::signals::CHANGED`), so these tests read the masks of
//! `/proc/PID/status` of a real step's shell, of a command it runs, and of
//! `runbook` itself in the middle of a run.

use crate::running::{binary, Run, Sandbox};
use runbook_stdlib::signals::CHANGED;
use std::process::{Command, Stdio};

/// `own`: a step's process prints its own masks (an argv, no shell: the
/// process `runbook` started is `cat` itself, which sets no signal; `grep`
/// would catch SIGSEGV); `runbook`: a shell prints
/// its parent's, `runbook`'s, in the middle of the run.
const PLAYBOOK: &str = r#"name: p
steps:
  - id: own
    shell: [cat, /proc/self/status]
  - id: runbook
    shell: "grep '^Sig' /proc/$PPID/status"
"#;

/// A mask (`SigIgn:`, ...) that a step printed from `/proc/PID/status`.
fn mask(run: &Run, step: &str, name: &str) -> u64 {
    let text = run.finished(step)["results"]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let line = text
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} from {step}: {}", run.describe()));
    u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
}

/// Runs the playbook with `runbook` started by `env ARGS` (which sets the
/// signal dispositions `runbook` starts with).
fn run_under_env(env_args: &[&str]) -> Run {
    let s = Sandbox::new(PLAYBOOK);
    let out = Command::new("env")
        .args(env_args)
        .arg(binary())
        .args(["run", "p.yaml", "--output", "json"])
        .current_dir(s.path())
        .env("NO_COLOR", "1")
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .expect("env(1) runs runbook");
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{}", run.describe());
    run
}

fn bit(signal: i32) -> u64 {
    1 << (signal - 1)
}

/// glibc's own two signals (32 and 33), for its threads' internals:
/// `sigaction` refuses to change them, no handler of `runbook`'s is one,
/// and glibc's `posix_spawn` (`std`'s `Command`, with which the test starts
/// `runbook`) leaves them ignored in the program it starts.
fn glibc() -> u64 {
    bit(32) | bit(33)
}

fn assert_all_default(run: &Run) {
    for name in ["SigBlk:", "SigIgn:", "SigCgt:"] {
        let mask = mask(run, "own", name) & !glibc();
        assert_eq!(mask, 0, "{name}: {}", run.describe());
    }
}

#[test]
fn a_step_gets_every_signal_at_its_default() {
    assert_all_default(&run_under_env(&["--default-signal"]));
}

#[test]
fn signals_runbook_changes_are_default_in_a_step_even_if_ignored_at_its_start() {
    // As a background job of a script (INT, QUIT ignored), under `nohup`
    // (HUP), under a parent that ignores SIGPIPE or SIGCHLD: each of these
    // is a signal `runbook` changes itself, so the step gets the default
    // (and with SIGCHLD ignored, `runbook` can still wait for the step).
    assert_all_default(&run_under_env(&[
        "--default-signal",
        "--ignore-signal=INT,QUIT,HUP,TERM,PIPE,CHLD,SEGV,BUS",
    ]));
}

#[test]
fn runbook_changes_no_signal_that_a_step_does_not_reset() {
    let run = run_under_env(&["--default-signal"]);
    let listed = CHANGED.iter().fold(0, |all, &sig| all | bit(sig as i32));
    for name in ["SigIgn:", "SigCgt:"] {
        let changed = mask(&run, "runbook", name) & !glibc();
        assert_eq!(
            changed & !listed,
            0,
            "runbook has signals in {name} {changed:#x} that a step's process does not reset: add them to runbook_stdlib::signals::CHANGED"
        );
    }
    // The run's handlers are installed by then (the test sees them).
    let handled = mask(&run, "runbook", "SigCgt:");
    assert_ne!(handled & bit(nix::libc::SIGINT), 0, "{}", run.describe());
}
