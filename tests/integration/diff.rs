//! `runbook diff`: one before/after pair per kind of change under
//! tests/fixtures/diff, snapshotted as text and Markdown; the risks each
//! pair must (and must only) raise; the CLI's exit codes and `--git`.

use crate::support::{check, rendered, root};
use assert_cmd::Command;
use predicates::prelude::*;
use runbook_dsl::diff::{self, PlanDiff, RiskKind, RiskSeverity, TextStyle};
use runbook_dsl::load::Checked;
use std::path::Path;

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fixtures/diff"))
        .expect("tests/fixtures/diff exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn checked(case: &str, side: &str) -> Checked {
    let path = root().join(format!("tests/fixtures/diff/{case}/{side}.yaml"));
    let checked = check(&path);
    assert!(
        checked.plan.is_some(),
        "{} does not check:\n{}",
        path.display(),
        rendered(&checked)
    );
    checked
}

fn diff_of(case: &str) -> (PlanDiff, Checked, Checked) {
    let (old, new) = (checked(case, "old"), checked(case, "new"));
    let d = diff::diff(old.plan.as_ref(), new.plan.as_ref());
    (d, old, new)
}

#[test]
fn every_pair_is_snapshotted_as_text_and_markdown() {
    let cases = cases();
    assert!(cases.len() >= 15, "expected a pair per kind of change");
    for case in cases {
        let (d, old, new) = diff_of(&case);
        let shown = format!(
            "{}\n----- markdown -----\n{}",
            diff::text(&d, TextStyle::Plain),
            diff::markdown(&d, old.plan.as_ref(), new.plan.as_ref())
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("tests/snapshots/diff"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(case.clone(), shown));
    }
}

/// The risks each pair raises, as `(kind, severity)`, most severe first.
fn expected(case: &str) -> Vec<(RiskKind, RiskSeverity)> {
    use RiskKind::*;
    use RiskSeverity::*;
    match case {
        "approval_removed" => vec![(ApprovalRemoved, High)],
        "approval_weakened" => vec![(ApprovalWeakened, Low)],
        "four_eyes_removed" => vec![(ApprovalWeakened, High)],
        "effect_raised" => vec![
            (EffectRaised, High),
            (UngatedWrite, High),
            (ActionChanged, Medium),
        ],
        "effect_lowered" => vec![(EffectLowered, Medium)],
        "effect_lowered_to_read" => vec![(EffectLowered, High)],
        "ungated_write" => vec![(UngatedWrite, Medium)],
        "timeout_removed" => vec![(TimeoutRemoved, Medium)],
        "retry_removed" => vec![(RetryRemoved, Low)],
        "deadline_removed" => vec![(DeadlineRemoved, Medium)],
        "became_unreachable" => vec![(BecameUnreachable, Medium)],
        "else_removed" => vec![(ElseRemoved, Medium)],
        "approve_step_removed" => vec![(ApprovalRemoved, High)],
        "command_changed" => vec![(ActionChanged, Low)],
        "input_changed" => vec![(InputDefaultChanged, Medium)],
        "targets_changed" => vec![(TargetsChanged, Medium), (ApprovalWeakened, Medium)],
        "finally_removed" => vec![(FinallyRemoved, Medium)],
        "became_unconditional" => vec![(BecameUnconditional, Medium)],
        // A cleanup cannot be gated (`finally_waits`): not an ungated write.
        "cleanup_added" => vec![],
        // A renamed step read by a loop's list is the same list.
        "loop_list_renamed" => vec![],
        "cleanup_guard_changed" => vec![(CleanupGuardChanged, Medium)],
        "loop_parallel_added" => vec![(ParallelRaised, High)],
        "loop_continues_on_failure" => vec![(ItemFailureContinues, Medium)],
        // A dry-run runs read steps: what one does is worth a look; this
        // one lists what a destructive loop drops.
        "read_command_changed" => vec![(FeedChanged, High), (ActionChanged, Low)],
        // A query is compared in its normal form: reflowed is no change...
        "query_reformatted" => vec![],
        // ...and a real change still is, however it is spaced.
        "query_changed" => vec![(ActionChanged, Medium)],
        // A read that lost its `WHERE` feeds a destructive loop: the
        // targets may have widened, whatever the read's own risk.
        "feed_changed" => vec![(FeedChanged, High), (ActionChanged, Low)],
        // ...a selector dropped from a command a destructive step reads...
        "feed_changed_template" => vec![(FeedChanged, High), (ActionChanged, Low)],
        // ...a label matcher dropped from a query a write loop runs over.
        // Matched by content, not by id: the steps did not change, their
        // ids did, and whatever names them by id now reaches the other.
        "ids_swapped" => vec![(IdsSwapped, High)],
        // A step inserted before numbered steps: each is matched by content
        // under the next number, and each number now names another step.
        "id_reused" => vec![(IdReused, High), (IdReused, Medium)],
        // An insertion into a list is one insertion (the list a write loop
        // runs over still changed).
        "case_inserted" => vec![],
        "list_inserted" => vec![(TargetsChanged, Medium)],
        "feed_changed_write_loop" => vec![(FeedChanged, Medium), (ActionChanged, Low)],
        // The list's text is the same, the value it reads (through another
        // one) is computed differently: the canary is restarted too.
        "targets_changed_through_vars" => vec![(TargetsChanged, Medium)],
        _ => vec![],
    }
}

#[test]
fn each_pair_raises_exactly_its_risks() {
    for case in cases() {
        let (d, _, _) = diff_of(&case);
        let found: Vec<(RiskKind, RiskSeverity)> =
            d.risks.iter().map(|r| (r.kind, r.severity)).collect();
        assert_eq!(found, expected(&case), "risks of {case}");
    }
}

#[test]
fn a_rename_is_matched_by_content_and_references_follow_it() {
    let (d, _, _) = diff_of("step_renamed");
    assert_eq!(d.steps.len(), 1, "{:#?}", d.steps);
    assert_eq!(d.steps[0].old_id.as_deref(), Some("probe"));
    assert_eq!(d.steps[0].id, "health");
    assert!(d.steps[0].fields.is_empty());
    assert!(d.edges.is_empty(), "{:#?}", d.edges);
}

#[test]
fn steps_that_swapped_ids_are_matched_by_content() {
    let (d, _, _) = diff_of("ids_swapped");
    let renamed: Vec<(Option<&str>, &str, usize)> = d
        .steps
        .iter()
        .map(|s| (s.old_id.as_deref(), s.id.as_str(), s.fields.len()))
        .collect();
    assert_eq!(
        renamed,
        [(Some("cordon"), "drain", 0), (Some("drain"), "cordon", 0)]
    );
    // The step that reads both is unchanged, and so is every edge.
    assert!(d.edges.is_empty(), "{:#?}", d.edges);
}

#[test]
fn steps_shifted_into_the_ids_others_left_are_matched_by_content() {
    let (d, _, _) = diff_of("id_reused");
    let matched: Vec<(Option<&str>, &str, usize)> = d
        .steps
        .iter()
        .map(|s| (s.old_id.as_deref(), s.id.as_str(), s.fields.len()))
        .collect();
    // `step2` gained a need (the inserted step); `step3` is unchanged.
    assert_eq!(
        matched,
        [
            (None, "step1", 0),
            (Some("step1"), "step2", 1),
            (Some("step2"), "step3", 0)
        ]
    );
}

#[test]
fn a_reformatted_playbook_has_no_diff() {
    let (d, _, _) = diff_of("unchanged");
    assert!(d.is_empty(), "{d:#?}");
    // Queries reflowed (`>-` against one line) and in lower case.
    let (d, _, _) = diff_of("query_reformatted");
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn every_risk_code_is_in_the_reference() {
    let cli = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    for kind in RiskKind::ALL {
        let row = format!("| `{}` |", kind.code());
        assert!(cli.contains(&row), "docs/cli.md has no row {row}");
    }
}

#[test]
fn json_names_risks_by_code() {
    let (d, _, _) = diff_of("approval_removed");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["risks"][0]["kind"], "approval_removed");
    assert_eq!(json["risks"][0]["severity"], "high");
    assert_eq!(json["steps"][0]["status"], "changed");
    assert_eq!(json["steps"][0]["effect"], "write");
}

fn runbook() -> Command {
    let mut cmd = Command::cargo_bin("runbook").expect("binary builds");
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

fn pair(case: &str) -> [String; 2] {
    [
        format!("tests/fixtures/diff/{case}/old.yaml"),
        format!("tests/fixtures/diff/{case}/new.yaml"),
    ]
}

#[test]
fn fail_on_sets_exit_1_at_or_above_the_severity() {
    let [old, new] = pair("timeout_removed");
    runbook().args(["diff", &old, &new]).assert().code(0);
    runbook()
        .args(["diff", &old, &new, "--fail-on", "high"])
        .assert()
        .code(0);
    runbook()
        .args(["diff", &old, &new, "--fail-on", "medium"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("timeout_removed"));
    runbook()
        .args(["diff", &old, &new, "--fail-on", "low"])
        .assert()
        .code(1);
}

#[test]
fn diff_of_an_invalid_playbook_exits_2() {
    runbook()
        .args([
            "diff",
            "tests/fixtures/bad/unknown_step.yaml",
            "tests/fixtures/diff/unchanged/new.yaml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runbook::unknown_step"));
}

#[test]
fn markdown_and_json_formats() {
    let [old, new] = pair("effect_raised");
    runbook()
        .args(["diff", &old, &new, "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("```mermaid"))
        .stdout(predicate::str::contains("| 🔴 high | `effect_raised`"));
    let out = runbook()
        .args(["diff", &old, &new, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["risks"][0]["kind"], "effect_raised");
}

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
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
fn git_mode_diffs_every_changed_playbook_against_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures/diff");
    let copy = |from: &str, to: &str| {
        std::fs::copy(fixtures.join(from), dir.path().join(to)).unwrap();
    };
    copy("approval_removed/old.yaml", "deploy.yaml");
    copy("retry_removed/old.yaml", "same.yaml");
    std::fs::write(dir.path().join("notes.txt"), "not a playbook").unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    copy("approval_removed/new.yaml", "deploy.yaml");
    copy("ungated_write/new.yaml", "added.yaml");
    std::fs::write(dir.path().join("notes.txt"), "changed").unwrap();
    let mut cmd = Command::cargo_bin("runbook").unwrap();
    cmd.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["diff", "--git", "HEAD", "--fail-on", "high"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("runbook diff deploy.yaml"))
        .stdout(predicate::str::contains("approval_removed"))
        .stdout(predicate::str::contains("runbook diff added.yaml"))
        .stdout(predicate::str::contains("+ added   `scale`"))
        .stdout(predicate::str::contains("same.yaml").not())
        .stderr(predicate::str::contains(
            "runbook diff: 1 risk(s) at `high` or above (`--fail-on high`)",
        ));
    let mut cmd = Command::cargo_bin("runbook").unwrap();
    cmd.current_dir(dir.path())
        .args(["diff", "--git", "no-such-rev"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`no-such-rev` is not a git revision",
        ));
    // A base that git would read as an option never reaches it.
    let mut cmd = Command::cargo_bin("runbook").unwrap();
    cmd.current_dir(dir.path())
        .args(["diff", "--git=--output=pwned"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("starts with `-`"));
    assert!(!dir.path().join("pwned").exists());
    // Outside a repository git's own reason is told, not "no such revision".
    let outside = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("runbook").unwrap();
    cmd.current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .args(["diff", "--git", "HEAD"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git repository"));
}

#[test]
fn the_ci_example_is_a_workflow_that_runs_every_command() {
    let text = std::fs::read_to_string(root().join("docs/examples/runbook-ci.yml")).unwrap();
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("valid YAML");
    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert!(jobs.len() >= 2);
    for command in [
        "runbook check",
        "runbook lint",
        "runbook test",
        "runbook diff --git \"$BASE_SHA\" --format markdown",
        "--fail-on high",
    ] {
        assert!(
            text.contains(command),
            "the workflow does not run `{command}`"
        );
    }
    // Event values reach scripts through env, never `${{ }}` in `run:`.
    for line in text.lines().filter(|l| l.trim_start().starts_with("run:")) {
        assert!(!line.contains("${{"), "{line}");
    }
    // The Check step, run as written in a repository with a broken
    // playbook: one annotation whose title keeps the code whole, and the
    // job fails. The Rehearse step passes with a notice when there is no
    // scenario file.
    let steps = |name: &str| {
        jobs.values()
            .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
            .find(|step| step["name"] == name)
            .and_then(|step| step["run"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("a step named {name}"))
    };
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("playbooks")).unwrap();
    std::fs::write(
        repo.path().join("playbooks/broken.yaml"),
        "steps:\n  - id: a\n    shell: [\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .output()
            .expect("git runs")
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    let bin = crate::running::binary();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run_step = |name: &str| {
        std::process::Command::new("bash")
            .args(["-e", "-c", &steps(name)])
            .current_dir(repo.path())
            .env("PATH", &path)
            .output()
            .expect("bash runs")
    };
    let checked = run_step("Check");
    let out = String::from_utf8_lossy(&checked.stdout);
    // `xargs` says 123 for a command that failed.
    assert_ne!(checked.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("::error file=playbooks/broken.yaml,line=")
            && out.contains(",title=runbook%3A%3Ayaml_syntax::invalid YAML"),
        "{out}"
    );
    let rehearsed = run_step("Rehearse");
    let out = String::from_utf8_lossy(&rehearsed.stdout);
    assert_eq!(rehearsed.status.code(), Some(0), "{out}");
    assert!(out.starts_with("::notice::no rehearsal scenarios"), "{out}");
}

/// A pull request that renames a called playbook (and its call) diffs:
/// the base version of the caller is checked against the base's files,
/// not the working tree's.
#[test]
fn git_mode_checks_the_base_against_the_bases_called_playbooks() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("pb");
    std::fs::create_dir(&pb).unwrap();
    let caller =
        |called: &str| format!("name: caller\nsteps:\n  - id: clean\n    playbook: {called}\n");
    let called =
        "name: cleanup\nsteps:\n  - id: rm\n    shell: rm -f old.log\n    approval: Remove?\n";
    std::fs::write(pb.join("caller.yaml"), caller("cleanup.yaml")).unwrap();
    std::fs::write(pb.join("cleanup.yaml"), called).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    git(dir.path(), &["mv", "pb/cleanup.yaml", "pb/cleanup-v2.yaml"]);
    std::fs::write(pb.join("caller.yaml"), caller("cleanup-v2.yaml")).unwrap();
    let out = Command::cargo_bin("runbook")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["diff", "--git", "HEAD"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("runbook diff pb/caller.yaml"), "{stdout}");
    assert!(stdout.contains("cleanup-v2.yaml"), "{stdout}");
}

/// `--git` reviews what `runbook check .` would read: not a workflow under
/// `.github`, not a rehearsal scenario, not YAML without top-level `steps`
/// (each skipped with a note, not a failed job); paths narrow it; a broken
/// base version is named as the base's.
#[test]
fn git_mode_reviews_only_playbooks_under_the_given_paths() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures/diff");
    let write = |to: &str, text: &str| {
        let path = dir.path().join(to);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let copy = |from: &str, to: &str| {
        write(to, &std::fs::read_to_string(fixtures.join(from)).unwrap());
    };
    copy("approval_removed/old.yaml", "pb/deploy.yaml");
    copy("retry_removed/old.yaml", "other/retry.yaml");
    write(
        "pb/broken.yaml",
        "name: broken\nsteps:\n  - id: a\n    needs: [nope]\n    log: hi\n",
    );
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    copy("approval_removed/new.yaml", "pb/deploy.yaml");
    copy("retry_removed/new.yaml", "other/retry.yaml");
    write(
        "pb/broken.yaml",
        "name: broken\nsteps:\n  - id: a\n    log: hi\n",
    );
    write(
        ".github/workflows/runbook.yml",
        "on: pull_request\njobs:\n  diff:\n    runs-on: ubuntu-latest\n    steps:\n      - run: runbook diff --git HEAD\n",
    );
    write(
        "docker-compose.yaml",
        "services:\n  db:\n    image: postgres:16\n",
    );
    write(
        "pb/deploy.scenario.yaml",
        "playbook: deploy.yaml\nscenarios: []\n",
    );
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("runbook")
            .unwrap()
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    // Narrowed to `other/`: the broken base playbook under `pb/` is not read.
    let (code, stdout, stderr) = run(&["diff", "--git", "HEAD", "other"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("runbook diff other/retry.yaml"), "{stdout}");
    assert!(!stdout.contains("deploy.yaml"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    // A file argument narrows to that file.
    let (code, stdout, _) = run(&["diff", "--git", "HEAD", "--", "pb/deploy.yaml"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("approval_removed"), "{stdout}");
    assert!(!stdout.contains("retry.yaml"), "{stdout}");
    // Everything: other YAML is skipped with a note, the broken base named.
    let (code, stdout, stderr) = run(&["diff", "--git", "HEAD"]);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("pb/broken.yaml (at HEAD)"), "{stderr}");
    assert!(
        stderr.contains("note: skipped `docker-compose.yaml`: not a playbook"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: skipped `pb/deploy.scenario.yaml`, a rehearsal scenario"),
        "{stderr}"
    );
    assert!(!stderr.contains("runbook.yml"), "{stderr}");
    // With the fix in the base, the job passes.
    git(dir.path(), &["add", "pb/broken.yaml"]);
    git(dir.path(), &["commit", "-q", "-m", "fix broken"]);
    let (code, stdout, stderr) = run(&["diff", "--git", "HEAD"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("runbook diff pb/deploy.yaml"), "{stdout}");
    assert!(stdout.contains("runbook diff other/retry.yaml"), "{stdout}");
    assert!(!stdout.contains("docker-compose"), "{stdout}");
    // Without `--git`, two files and only two.
    let (code, _, stderr) = run(&["diff", "pb/deploy.yaml"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("takes two files"), "{stderr}");
}
