//! `runbook test`: scenario files rehearse playbooks with the real scheduler
//! and a scripted world. The fixtures under `tests/fixtures/rehearsals/` hold
//! a passing file, a path that differs, an incomplete scenario and malformed
//! files; the seed playbooks' own scenarios run here as CI runs them, and
//! their branch coverage is computed from the rehearsals.

use crate::support::root;
use assert_cmd::Command;
use runbook_runtime::rehearsal::{self, coverage, World};
use std::sync::Arc;

/// Snapshots of the reports live with the other snapshots.
pub(crate) fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/rehearsals"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

pub(crate) fn runbook_test(path: &str) -> (i32, String) {
    let out = Command::cargo_bin("runbook")
        .expect("binary builds")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["test", path])
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_passing_file_reports_each_scenario_and_exits_0() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/pass");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(":: a workload error restarts the workers ... ok"),
        "{out}"
    );
    assert!(out.ends_with("4 passed, 0 failed\n"), "{out}");
}

#[test]
fn a_path_that_differs_points_at_the_first_step_where_it_parts() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/path");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 passed, 1 failed"), "{out}");
    snapshot("path_differs", &out);
}

#[test]
fn a_step_without_a_scripted_result_is_pointed_at_in_the_playbook() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/unscripted");
    assert_eq!(code, 1, "{out}");
    snapshot("unscripted", &out);
}

#[test]
fn malformed_scenario_files_get_diagnostics_in_the_scenario_file() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/malformed");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 passed, 5 failed"), "{out}");
    snapshot("malformed", &out);
}

#[test]
fn no_scenario_files_is_a_usage_error() {
    let (code, out) = runbook_test("tests/fixtures/bad");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no scenario files"), "{out}");
}

#[test]
fn the_seed_playbooks_rehearse_cleanly() {
    let (code, out) = runbook_test("playbooks");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

/// Every case and `else` of every seed playbook is taken by a scenario.
#[test]
fn the_seed_scenarios_take_every_branch_case() {
    let world = World {
        catalog: runbook_stdlib::builtin(),
        pure: Arc::new(runbook_stdlib::Builtins),
    };
    let dir = root().join("playbooks");
    let mut untaken = Vec::new();
    let mut uncovered_files = Vec::new();
    let scenario_files = runbook_dsl::files::expand(
        std::slice::from_ref(&dir),
        runbook_dsl::files::Wanted::Scenarios,
    )
    .files;
    let reports: Vec<_> = scenario_files
        .iter()
        .map(|f| rehearsal::rehearse_file(f, &world))
        .collect();
    for playbook in crate::support::playbooks_under(&dir) {
        if playbook.extension().is_some_and(|e| e != "yaml") {
            continue;
        }
        let checked = crate::support::check(&playbook);
        let Some(plan) = checked.plan else { continue };
        if coverage::arms(&plan).is_empty() {
            continue;
        }
        let runs: Vec<_> = reports
            .iter()
            .filter(|r| {
                r.plan.as_ref().is_some_and(|p| {
                    std::path::Path::new(p.file().name()).ends_with(plan.file().name())
                })
            })
            .flat_map(|r| r.scenarios.iter().map(|s| &s.rehearsed))
            .collect();
        if runs.is_empty() {
            uncovered_files.push(plan.file().name().to_string());
            continue;
        }
        for arm in coverage::untaken(&plan, runs) {
            untaken.push(format!(
                "{}: `{}` -> `{}` ({})",
                plan.file().name(),
                arm.branch,
                arm.target,
                arm.label
            ));
        }
    }
    assert!(
        uncovered_files.is_empty() && untaken.is_empty(),
        "playbooks with branches but no scenario:\n  {}\nbranch cases no scenario takes:\n  {}",
        uncovered_files.join("\n  "),
        untaken.join("\n  ")
    );
}

/// Issue 11, item 13: outputs captured by `(?m)^`-anchored (and
/// case-insensitive) regexes are scripted with `outputs:`, an integer is a
/// `type: float` output's value, and a regex whose group cannot hold the
/// scripted value gets a hint that does not send the author back to
/// `outputs:`.
#[test]
fn issue11_item13_rehearsals_script_regex_and_float_outputs() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/outputs");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fixtures/rehearsals/outputs/config.yaml"),
        dir.path().join("config.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.scenario.yaml"),
        "playbook: config.yaml\nscenarios:\n  - name: a replica count that is not a number\n    steps:\n      env:\n        outputs: { provider: s3, bucket: b, replicas: many }\n      latency:\n        outputs: { p99_ms: 1 }\n    expect:\n      outcome: succeeded\n",
    )
    .unwrap();
    let out = Command::cargo_bin("runbook")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["test", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("`replicas`"), "{text}");
    assert!(text.contains("under `results:` instead"), "{text}");
    assert!(!text.contains("give `outputs:"), "{text}");
}

/// Issue 11, item 13: a rehearsal whose run failed says which step failed
/// and why, also when another difference is reported first.
#[test]
fn issue11_item13_a_failed_rehearsal_run_says_which_step_failed_and_why() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/failed_run");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the run failed: `healthy` failed"), "{out}");
    assert!(out.contains("does not hold"), "{out}");
    snapshot("failed_run", &out);
}

/// Issue 11, item 2: a scenario scripts a called playbook's steps, answers,
/// gates and manual steps as `CALL.STEP` (the address `--approve` and
/// `--answer` take in a run): the called playbook runs in the rehearsal,
/// each answer takes its branch (the other branch is unscripted, so taking
/// it would be an incomplete scenario), a rejected gate or an unconfirmed
/// manual step in it rejects the run, and an unknown address is a
/// diagnostic in the scenario file with the closest one.
#[test]
fn issue11_item2_rehearsals_script_a_called_playbooks_decisions() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/called");
    assert_eq!(code, 0, "{out}");
    for name in [
        "the database is restored",
        "the application is redeployed",
        "a rejected restore rejects the run",
        "an unconfirmed site check rejects the run",
        "the rollback scripted as one result runs none of its steps",
    ] {
        assert!(out.contains(&format!(":: {name} ... ok")), "{name}: {out}");
    }
    assert!(out.ends_with("5 passed, 0 failed\n"), "{out}");

    // The rehearsal really goes through the called playbook: a rejection
    // there is the run's outcome, and an answer takes its own branch.
    let world = World {
        catalog: runbook_stdlib::builtin(),
        pure: Arc::new(runbook_stdlib::Builtins),
    };
    let report = rehearsal::rehearse_file(
        &root().join("tests/fixtures/rehearsals/called/deploy.scenario.yaml"),
        &world,
    );
    let status = |name: &str| {
        report
            .scenarios
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.rehearsed.status)
    };
    use runbook_runtime::event::RunStatus;
    assert_eq!(
        status("a rejected restore rejects the run"),
        Some(RunStatus::Rejected)
    );
    assert_eq!(
        status("the database is restored"),
        Some(RunStatus::Succeeded)
    );

    let (code, out) = runbook_test("tests/fixtures/rehearsals/called_unknown");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("did you mean `rollback.which`?"), "{out}");
    snapshot("called_unknown", &out);

    let (code, out) = runbook_test("tests/fixtures/rehearsals/called_unscripted");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("add under `steps:` in the scenario: `rollback.restore_db: succeeded`"),
        "{out}"
    );
    snapshot("called_unscripted", &out);
}

/// Issue 12, section 2: rehearsals compute `vars` and evaluate the list
/// functions from the scripted results, so each scenario takes its path.
#[test]
fn rehearsals_compute_values_and_functions_from_scripted_results() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/computed");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(":: a hot pod reports even with memory to spare ... ok"),
        "{out}"
    );
    assert!(out.ends_with("3 passed, 0 failed\n"), "{out}");
}
