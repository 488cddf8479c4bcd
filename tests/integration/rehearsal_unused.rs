//! Entries of a scenario file that no rehearsal used are warnings
//! (`runbook::unused_scenario_entry`) drawn at the entry in the scenario
//! file: a scenario's own entry its run did not use, a shared entry no
//! scenario used, an entry for an element the loop did not have (with its
//! elements and the closest label). They fail no scenario.

use crate::rehearsals::{runbook_test, snapshot};
use crate::support::root;
use runbook_dsl::{Code, Severity};
use runbook_runtime::rehearsal::{self, World};
use std::sync::Arc;

fn world() -> World {
    World {
        catalog: runbook_stdlib::builtin(),
        pure: Arc::new(runbook_stdlib::Builtins),
    }
}

/// A report's text on one line: miette's wrapping and margins undone.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of the scenario file at each warning's first label, and its
/// message: where each is drawn.
fn drawn(path: &str) -> Vec<(String, String)> {
    let report = rehearsal::rehearse_file(&root().join(path), &world());
    let text = report.file.text().to_string();
    report
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, Code::UnusedScenarioEntry, "{d:?}");
            assert_eq!(d.severity, Severity::Warning, "{d:?}");
            assert!(d.help.is_some(), "{d:?}");
            let span = d.labels[0].span;
            (text[span.start..span.end].to_string(), d.message.clone())
        })
        .collect()
}

/// A shared entry is judged over every scenario that has it: used by one
/// scenario's run it is fine, used by none (or replaced by every
/// scenario) it warns; a scenario's own entry its run did not use warns.
/// Each is drawn at the entry.
#[test]
fn entries_no_rehearsal_uses_are_warnings_drawn_at_the_entry() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/unused");
    assert_eq!(code, 0, "warnings fail nothing: {out}");
    assert!(out.ends_with("3 passed, 0 failed\n"), "{out}");
    assert_eq!(
        drawn("tests/fixtures/rehearsals/unused/triage.scenario.yaml"),
        vec![
            (
                "escalate".to_string(),
                "`escalate` under `answers:` answers for nothing: no scenario's rehearsal used it"
                    .to_string()
            ),
            (
                "restart".to_string(),
                "`restart` under `gates:` in scenario `healthy` answers for nothing: its rehearsal never used it"
                    .to_string()
            ),
            (
                "kind".to_string(),
                "`kind` under `answers:` answers for nothing: every scenario replaces it".to_string()
            ),
        ]
    );
    // `restart: succeeded` and the shared gate are used by the first scenario.
    assert_eq!(
        flat(&out).matches("runbook::unused_scenario_entry").count(),
        3,
        "{out}"
    );
    snapshot("unused", &out);
}

/// Where the scenario cannot know a loop's list (here a called playbook's,
/// split from its input), an entry for an element the run did not have (a
/// label none had, a position past the end, under `steps:`, `answers:`,
/// `gates:` or a loop's `items:`) answers for nothing: a warning at the
/// entry with the loop's elements and the closest label. A shared entry
/// is judged over every scenario; nothing executes.
#[test]
fn an_entry_for_an_element_the_run_did_not_have_is_drawn_in_the_scenario_file() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/unused_entries");
    assert_eq!(code, 0, "{out}");
    let flat = flat(&out);
    for said in [
        "`group.restart[web-7].stop_app` under `gates:` answers for nothing: no scenario's rehearsal used it",
        "the loop `group.restart` had no element `web-7`",
        "`group.restart[web-22].stop_app` under `steps:` in scenario `a misspelled host under steps, answers and gates` answers for nothing",
        "the loop `group.restart` had no element `web-22`",
        "the loop `group.restart` had no element [3]",
        "the loop `group.restart` had no element `$(touch pwned) ].x`",
        "the element `wbe-3` under `items:` of `group.restart` in scenario `a misspelled host under items`",
        "did you mean `label: web-3`?",
        "the element [5] under `items:` of `group.restart`",
        "its elements: [0] web-1, [1] web-2, [2] web-3",
        "3 passed, 0 failed",
    ] {
        assert!(flat.contains(said), "{said}: {out}");
    }
    let drawn = drawn("tests/fixtures/rehearsals/unused_entries/fleet.scenario.yaml");
    let places: Vec<&str> = drawn.iter().map(|(at, _)| at.as_str()).collect();
    assert_eq!(
        places,
        [
            "group.restart[web-7].stop_app",
            "group.restart[web-22].stop_app",
            "group.restart[3].check",
            "'group.restart[\"web 1\"].stop_app'",
            "'group.restart[\"$(touch pwned) ].x\"].stop_app'",
            "{ label: wbe-3, state: failed }",
            "{ index: 5, state: failed }",
        ],
        "{drawn:?}"
    );
    assert!(!std::path::Path::new("pwned").exists(), "nothing executes");
    snapshot("unused_entries", &out);
}

/// A scenario whose run stopped on a step it does not script did not go
/// where it meant to: its entries, and the shared ones, are not judged.
#[test]
fn an_incomplete_scenario_judges_no_entry() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(
        root().join("tests/fixtures/rehearsals/unused/triage.yaml"),
        dir.path().join("triage.yaml"),
    )
    .expect("copy the playbook");
    let file = dir.path().join("triage.scenario.yaml");
    std::fs::write(
        &file,
        "playbook: triage.yaml\ngates: { restart: approve }\nscenarios:\n  - name: health is not scripted\n    answers: { kind: workload, escalate: true }\n    expect: { outcome: succeeded }\n",
    )
    .expect("write the scenario");
    let report = rehearsal::rehearse_file(&file, &world());
    assert!(
        matches!(
            report.scenarios[0].verdict,
            rehearsal::Verdict::Unscripted(_)
        ),
        "{:?}",
        report.scenarios[0].verdict
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
}
