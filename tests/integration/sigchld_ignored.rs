//! `runbook` started with SIGCHLD ignored (`env --ignore-signal=CHLD`, as
//! some supervisors leave it): the kernel would reap its children as they
//! exit and waiting for one would fail with "No child processes". A
//! command that runs a program (`runbook diff --git` runs `git`) resets it
//! first, through `src/programs.rs`, the one place that builds a
//! `std::process::Command` outside tests.

use crate::running::binary;
use crate::support::{root, rust_files};
use std::path::Path;
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn runbook_diff_runs_git_when_started_with_sigchld_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures/diff/approval_removed");
    std::fs::copy(fixtures.join("old.yaml"), dir.path().join("deploy.yaml")).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::copy(fixtures.join("new.yaml"), dir.path().join("deploy.yaml")).unwrap();
    let out = Command::new("env")
        .arg("--ignore-signal=CHLD")
        .arg(binary())
        .args(["diff", "--git", "HEAD"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("env(1) runs runbook");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("runbook diff deploy.yaml"), "{stdout}");
    assert!(stdout.contains("approval_removed"), "{stdout}");
    assert!(!stderr.contains("child"), "{stderr}");
}

#[test]
fn programs_are_started_only_through_the_helper() {
    let root = root();
    let mut elsewhere = Vec::new();
    for dir in ["src", "crates"] {
        for file in rust_files(&root.join(dir)) {
            let relative = file.strip_prefix(&root).unwrap().to_path_buf();
            let test_code = relative.components().any(|c| c.as_os_str() == "tests")
                || relative.to_string_lossy().ends_with("tests.rs");
            if test_code || relative == Path::new("src/programs.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            if text.contains("process::Command") {
                elsewhere.push(relative.display().to_string());
            }
        }
    }
    // Steps start through `runbook_stdlib::spawn`, which resets SIGCHLD
    // itself; its portable path is `tokio::process::Command`.
    elsewhere.retain(|f| !f.starts_with("crates/stdlib/src/spawn"));
    assert!(
        elsewhere.is_empty(),
        "start programs with `crate::programs::command` (SIGCHLD): {elsewhere:?}"
    );
}
