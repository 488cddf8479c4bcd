//! `runbook diff --git BASE` follows git's rename detection: a playbook
//! moved (and edited) since the base is diffed against its old version,
//! not shown as one playbook deleted and another added.

use crate::diff::git;
use crate::support::root;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// A repository whose base commit has `playbooks/deploy.yaml`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("playbooks")).unwrap();
    std::fs::create_dir(dir.path().join("other")).unwrap();
    copy(
        dir.path(),
        "approval_removed/old.yaml",
        "playbooks/deploy.yaml",
    );
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    dir
}

fn copy(dir: &Path, fixture: &str, to: &str) {
    let from = root().join("tests/fixtures/diff").join(fixture);
    std::fs::copy(from, dir.join(to)).unwrap();
}

fn diff_git(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = Command::cargo_bin("runbook").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["diff", "--git"])
        .args(args)
        .assert()
}

#[test]
fn a_renamed_and_edited_playbook_is_diffed_against_its_old_version() {
    let dir = repository();
    git(
        dir.path(),
        &["mv", "playbooks/deploy.yaml", "playbooks/rollback.yaml"],
    );
    copy(
        dir.path(),
        "approval_removed/new.yaml",
        "playbooks/rollback.yaml",
    );
    git(dir.path(), &["commit", "-q", "-am", "rename"]);
    let renamed = "runbook diff playbooks/deploy.yaml -> playbooks/rollback.yaml";
    diff_git(dir.path(), &["HEAD~1"])
        .success()
        .stdout(predicate::str::contains(renamed))
        .stdout(predicate::str::contains("approval_removed"))
        .stdout(predicate::str::contains("+ added").not())
        .stdout(predicate::str::contains("- removed").not());
    // Narrowed to where it went, it is still the same playbook...
    diff_git(dir.path(), &["HEAD~1", "playbooks/rollback.yaml"])
        .success()
        .stdout(predicate::str::contains(renamed));
    // ...and the pull-request comment says where it came from.
    diff_git(dir.path(), &["HEAD~1", "--format", "markdown"])
        .success()
        .stdout(predicate::str::contains(
            "### Playbook `playbooks/rollback.yaml` (renamed from `playbooks/deploy.yaml`)",
        ));
}

#[test]
fn a_rename_not_yet_committed_is_followed_too() {
    let dir = repository();
    git(
        dir.path(),
        &["mv", "playbooks/deploy.yaml", "other/deploy.yaml"],
    );
    diff_git(dir.path(), &["HEAD"])
        .success()
        .stdout(predicate::str::contains(
            "runbook diff playbooks/deploy.yaml -> other/deploy.yaml",
        ))
        // Moved unchanged: no step differs.
        .stdout(predicate::str::contains("Steps").not());
}

#[test]
fn a_playbook_moved_without_git_is_followed_and_the_index_left_alone() {
    let dir = repository();
    std::fs::rename(
        dir.path().join("playbooks/deploy.yaml"),
        dir.path().join("playbooks/moved.yaml"),
    )
    .unwrap();
    diff_git(dir.path(), &["HEAD"])
        .success()
        .stdout(predicate::str::contains(
            "runbook diff playbooks/deploy.yaml -> playbooks/moved.yaml",
        ));
    // The repository's index is as it was: the new file still untracked.
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("?? playbooks/moved.yaml"), "{status}");
    assert!(status.contains(" D playbooks/deploy.yaml"), "{status}");
}
