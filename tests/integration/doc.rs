//! `runbook doc`: the AlphaSwarm incident playbook as a Markdown runbook,
//! snapshotted; every command, gate question, manual instruction and
//! question of the playbook appears in it, and both syntaxes give the same
//! document.

use crate::support::{check, root};
use assert_cmd::Command;
use predicates::prelude::*;
use runbook_dsl::ast::Action;

fn doc(path: &str) -> (String, runbook_dsl::plan::Plan) {
    let checked = check(&root().join(path));
    let plan = checked.plan.expect("the playbook checks");
    (runbook_dsl::doc::markdown(&plan), plan)
}

#[test]
fn the_incident_runbook_is_snapshotted() {
    let (markdown, _) = doc("playbooks/alphaswarm/incident.yaml");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/doc"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("alphaswarm_incident", markdown));
}

#[test]
fn every_command_gate_and_instruction_appears() {
    let (markdown, plan) = doc("playbooks/alphaswarm/incident.yaml");
    let mut checked = 0;
    for step in &plan.playbook().steps {
        let mut expect = |text: &str| {
            assert!(
                markdown.contains(text.trim()),
                "`{}` is missing from the document",
                text.trim()
            );
            checked += 1;
        };
        let anchor = format!("<a id=\"step-{}\"></a>", step.id.value.replace('_', "-"));
        assert!(
            markdown.contains(&anchor),
            "no section for `{}`",
            step.id.value
        );
        match &step.action {
            Action::Kind { name, params } if name.value == "shell" => {
                expect(&params.scalar_string().expect("shell shorthand"));
            }
            Action::Manual { instructions, .. } => expect(&instructions.value),
            Action::Ask(ask) => expect(&ask.question.value),
            _ => {}
        }
        if let Some(question) = step.approval.as_ref().and_then(|a| a.question.as_ref()) {
            expect(&question.value);
        }
    }
    assert!(checked >= 20, "only {checked} texts checked");
    assert_eq!(markdown.matches("🔒 **Approval required:**").count(), 7);
    assert!(markdown.contains("```mermaid\nflowchart TD"));
}

#[test]
fn both_syntaxes_give_the_same_document() {
    let (yaml, _) = doc("playbooks/alphaswarm/incident.yaml");
    let (runbook, _) = doc("playbooks/alphaswarm/incident.runbook");
    assert_eq!(yaml, runbook);
}

#[test]
fn the_cli_prints_the_document() {
    Command::cargo_bin("runbook")
        .unwrap()
        .current_dir(root())
        .args(["doc", "playbooks/alphaswarm/incident.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# AlphaSwarm incident response",
        ));
    Command::cargo_bin("runbook")
        .unwrap()
        .current_dir(root())
        .args(["doc", "tests/fixtures/bad/unknown_step.yaml"])
        .assert()
        .code(2);
}
