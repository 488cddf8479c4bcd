//! The `runbook` binary: exit codes and output formats.

use crate::support::root;
use assert_cmd::Command;
use predicates::prelude::*;

fn runbook() -> Command {
    let mut cmd = Command::cargo_bin("runbook").expect("binary builds");
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

#[test]
fn check_exits_2_on_errors_and_names_the_code() {
    runbook()
        .args(["check", "tests/fixtures/bad/unknown_step.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runbook::unknown_step"))
        .stderr(predicate::str::contains(
            "tests/fixtures/bad/unknown_step.yaml",
        ));
}

#[test]
fn check_exits_0_on_a_clean_playbook() {
    runbook()
        .args(["check", "playbooks/alphaswarm/incident.yaml"])
        .assert()
        .success()
        .stderr(predicate::str::contains("no problems"));
}

#[test]
fn check_prints_json_lines_with_positions() {
    let output = runbook()
        .args([
            "check",
            "--format",
            "json",
            "tests/fixtures/bad/unknown_step.yaml",
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "runbook::unknown_step");
    assert_eq!(first["file"], "tests/fixtures/bad/unknown_step.yaml");
    assert!(first["line"].as_u64().unwrap() > 1);
    assert!(first["column"].as_u64().unwrap() >= 1);
}

#[test]
fn check_reports_a_missing_file() {
    runbook()
        .args(["check", "nope.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runbook::io"));
}

#[test]
fn graph_prints_mermaid_with_labelled_conditional_edges() {
    runbook()
        .args([
            "graph",
            "--format",
            "mermaid",
            "playbooks/alphaswarm/incident.yaml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("flowchart TD"))
        .stdout(predicate::str::contains("-->|\""));
}

#[test]
fn graph_prints_dot() {
    runbook()
        .args([
            "graph",
            "--format",
            "dot",
            "playbooks/alphaswarm/incident.runbook",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph playbook {"))
        .stdout(predicate::str::contains("style=dashed"));
}

#[test]
fn fmt_check_accepts_formatted_files_and_rejects_others() {
    let dir = tempfile::tempdir().unwrap();
    let formatted =
        std::fs::read_to_string(root().join("playbooks/alphaswarm/incident.runbook")).unwrap();
    let path = dir.path().join("p.runbook");
    std::fs::write(&path, &formatted).unwrap();
    runbook()
        .args(["fmt", "--check"])
        .arg(&path)
        .assert()
        .success();
    std::fs::write(&path, formatted.replace("\n  ", "\n      ")).unwrap();
    runbook()
        .args(["fmt", "--check"])
        .arg(&path)
        .assert()
        .code(1);
    runbook().args(["fmt"]).arg(&path).assert().success();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), formatted);
}

#[test]
fn convert_round_trips_between_syntaxes() {
    let dir = tempfile::tempdir().unwrap();
    let out = runbook()
        .args([
            "convert",
            "--to",
            "runbook",
            "playbooks/alphaswarm/incident.yaml",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let path = dir.path().join("x.runbook");
    std::fs::write(&path, out).unwrap();
    runbook().arg("check").arg(&path).assert().success();
}

/// Comments cannot go into the YAML: converting says so instead of dropping
/// them silently, and a file without comments converts without a word.
#[test]
fn converting_comments_to_yaml_says_they_are_not_carried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.runbook");
    std::fs::write(
        &path,
        "playbook c\n# about the step\nstep a {\n  shell \"true\" # trailing\n}\n",
    )
    .unwrap();
    runbook()
        .args(["convert", "--to", "yaml"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("id: a"))
        .stderr(predicate::str::contains("2 comments of"))
        .stderr(predicate::str::contains("are not carried into the YAML"));
    std::fs::write(&path, "playbook c\nstep a {\n  shell \"true\"\n}\n").unwrap();
    runbook()
        .args(["convert", "--to", "yaml"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

/// The same the other way: a YAML playbook's comments are not carried into
/// the `.runbook` (the YAML front end keeps none); `#` inside values, a
/// shell script's own comments included, are not comments.
#[test]
fn converting_yaml_comments_to_runbook_says_they_are_not_carried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let script = "  - id: a\n    shell: |\n      # the script's own\n      echo '# x'\n";
    std::fs::write(
        &path,
        format!("# about the playbook\nname: c\nsteps:\n{script}  - id: b\n    log: \"a # b\" # trailing\n"),
    )
    .unwrap();
    runbook()
        .args(["convert", "--to", "runbook"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("step a"))
        .stdout(predicate::str::contains("# the script's own"))
        .stderr(predicate::str::contains("note: 2 comments of"))
        .stderr(predicate::str::contains(
            "are not carried into the .runbook; keep the YAML file as the source",
        ));
    std::fs::write(&path, format!("name: c\nsteps:\n{script}")).unwrap();
    runbook()
        .args(["convert", "--to", "runbook"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn check_and_lint_leave_rehearsal_scenarios_to_runbook_test() {
    for command in ["check", "lint"] {
        runbook()
            .args([
                command,
                "playbooks/pilot/disk-full.yaml",
                "playbooks/pilot/disk-full.scenario.yaml",
            ])
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "skipped `playbooks/pilot/disk-full.scenario.yaml`",
            ));
    }
}

/// Issue 11, item 16: `check`, `lint` and `test` take directories and glob
/// patterns, through one expansion; a directory is not counted as a
/// playbook, and an argument that names no playbook is a usage error.
#[test]
fn issue11_item16_check_lint_and_test_accept_directories_and_globs() {
    let playbooks = crate::support::playbooks_under(&root().join("playbooks")).len();
    let checked = format!("{playbooks} playbooks checked, no problems");
    for command in ["check", "lint"] {
        runbook()
            .args([command, "playbooks"])
            .assert()
            .success()
            .stderr(predicate::str::contains(&checked))
            .stderr(predicate::str::contains("rehearsal scenario").not());
        // Quoted, so that runbook expands it, not the shell.
        runbook()
            .args([command, "playbooks/**/*.runbook", "playbooks/trevor/*.yaml"])
            .assert()
            .success()
            .stderr(predicate::str::contains("playbooks checked, no problems"))
            .stderr(predicate::str::contains("skipped 7 rehearsal scenarios"));
        runbook()
            .args([command, "playbooks/*.yaml"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("no playbooks"))
            .stderr(predicate::str::contains("match `playbooks/*.yaml`"));
        runbook()
            .args([command, "src"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("no playbooks"));
    }
    runbook()
        .args(["check", "tests/fixtures/bad"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runbook::unknown_step"));
    runbook()
        .args(["test", "playbooks/pilot/*.scenario.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("disk-full.scenario.yaml :: "))
        .stdout(predicate::str::contains("trevor").not());
}
