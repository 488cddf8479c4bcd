//! Every command that prints ends quietly when its reader has gone away
//! (`runbook plan FILE | head`): killed by SIGPIPE like `cat`, with no panic
//! and no backtrace; `run` finishes its steps and exits as usual.
//!
//! The pipe's read end is closed before the command starts, so every write
//! meets a closed pipe: no race with how fast the reader is.

use crate::support::root;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The write end of a pipe whose read end is already closed.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two new descriptors into the array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    // SAFETY: both descriptors are fresh and owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

/// Which stream the reader closed.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Stdout,
    Stderr,
}

fn run(dir: &Path, args: &[&str], closed: Closed) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    match closed {
        Closed::Stdout => command.stdout(closed_pipe()).stderr(Stdio::piped()),
        Closed::Stderr => command.stdout(Stdio::piped()).stderr(closed_pipe()),
    };
    command.output().expect("runbook starts")
}

/// Ended by SIGPIPE, having printed no panic (when stderr is still open).
fn assert_quiet_end(dir: &Path, args: &[&str], closed: Closed) {
    let output = run(dir, args, closed);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGPIPE),
        "runbook {args:?} with {closed:?} closed: {:?}, stderr: {stderr}",
        output.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "runbook {args:?}: {stderr}"
    );
}

#[test]
fn printing_commands_end_quietly_when_stdout_closes() {
    let root = root();
    let scratch = tempfile::tempdir().unwrap();
    // An unformatted copy, for `fmt --check`, and a changed copy for `diff`.
    let runbook_text =
        std::fs::read_to_string(root.join("playbooks/alphaswarm/incident.runbook")).unwrap();
    let unformatted = scratch.path().join("unformatted.runbook");
    std::fs::write(&unformatted, format!("\n\n\n{runbook_text}")).unwrap();
    let incident =
        std::fs::read_to_string(root.join("playbooks/alphaswarm/incident.yaml")).unwrap();
    let changed = scratch.path().join("changed.yaml");
    std::fs::write(&changed, incident.replace("title:", "title: changed")).unwrap();
    let (unformatted, changed) = (unformatted.to_str().unwrap(), changed.to_str().unwrap());
    let incident = "playbooks/alphaswarm/incident.yaml";
    let cases: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec![
            "check",
            "--format",
            "json",
            "tests/fixtures/bad/unknown_step.yaml",
        ],
        vec![
            "lint",
            "--format",
            "json",
            "tests/fixtures/lint/ungated_write/bad.yaml",
        ],
        vec!["graph", incident],
        vec!["graph", "--format", "dot", incident],
        vec!["graph", "--format", "mermaid", incident],
        vec!["fmt", "--check", unformatted],
        vec!["convert", "--to", "runbook", incident],
        vec!["plan", incident],
        vec!["diff", incident, changed],
        vec!["diff", "--format", "markdown", incident, changed],
        vec!["diff", "--format", "json", incident, changed],
        vec!["schema"],
        vec!["doc", incident],
        vec!["test", "tests/fixtures/rehearsals/pass"],
    ];
    for args in &cases {
        assert_quiet_end(&root, args, Closed::Stdout);
    }
}

#[test]
fn diagnostics_end_quietly_when_stderr_closes() {
    let root = root();
    assert_quiet_end(
        &root,
        &["check", "tests/fixtures/bad/unknown_step.yaml"],
        Closed::Stderr,
    );
    assert_quiet_end(
        &root,
        &["lint", "tests/fixtures/lint/ungated_write/bad.yaml"],
        Closed::Stderr,
    );
}

/// `run` does not die with its reader: the steps run to the end, the
/// journal is complete, and `runs` and `report` then end quietly too.
#[test]
fn a_run_finishes_when_stdout_closes_and_its_journal_reads_back_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("two.yaml"),
        "name: two\nsteps:\n  - id: first\n    shell: echo one\n  - id: second\n    needs: [first]\n    shell: touch done.txt\n    effect: write\n",
    )
    .unwrap();
    let output = run(
        dir.path(),
        &[
            "run",
            "--yes",
            "--output",
            "json",
            "--journal-dir",
            "journal",
            "two.yaml",
        ],
        Closed::Stdout,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.path().join("done.txt").exists(), "the second step ran");

    assert_quiet_end(
        dir.path(),
        &["runs", "--journal-dir", "journal"],
        Closed::Stdout,
    );
    let listing = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir.path())
        .args(["runs", "--journal-dir", "journal"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    // Below the header, the first column.
    let run_id = listing
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("a run id in {listing:?}"));
    assert_quiet_end(
        dir.path(),
        &["report", run_id, "--journal-dir", "journal"],
        Closed::Stdout,
    );
}
