//! Rehearsals of loops element by element (issue 12, section 1): elements
//! scripted by `index` and/or `label` under the loop step's script (which
//! answers the others), expectations on each element and on the loop
//! (`expect: loops:`), expectations naming a called playbook's steps as
//! `CALL.STEP`, and every mistake in those a diagnostic in the scenario file.

use crate::rehearsals::{runbook_test, snapshot};
use crate::support::root;
use runbook_runtime::event::StepState;
use runbook_runtime::rehearsal::{self, World};
use std::sync::Arc;

/// `runbook test DIR` passes its `scenarios`, every one.
fn passes(dir: &str, scenarios: usize) {
    let (code, out) = runbook_test(dir);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with(&format!("{scenarios} passed, 0 failed\n")),
        "{out}"
    );
}

fn world() -> World {
    World {
        catalog: runbook_stdlib::builtin(),
        pure: Arc::new(runbook_stdlib::Builtins),
    }
}

#[test]
fn elements_are_scripted_and_expected_one_by_one() {
    passes("tests/fixtures/rehearsals/elements", 4);

    // Each element really answers from its own script: web-2 (by label)
    // failed, the others answered from the loop step's script.
    let report = rehearsal::rehearse_file(
        &root().join("tests/fixtures/rehearsals/elements/restart.scenario.yaml"),
        &world(),
    );
    let rehearsed = &report
        .scenarios
        .iter()
        .find(|s| s.name == "web-2 cannot be restarted and the run escalates")
        .expect("the scenario ran")
        .rehearsed;
    let states: Vec<(usize, &str, StepState)> = rehearsed.items["restart"]
        .iter()
        .map(|e| (e.index, e.label.as_str(), e.state))
        .collect();
    assert_eq!(
        states,
        [
            (0, "web-1", StepState::Succeeded),
            (1, "web-2", StepState::Failed),
            (2, "$(reboot)", StepState::Succeeded),
        ]
    );
    // The called playbook ran once per node; its steps are addressed
    // `CALL.STEP` whichever element reached them.
    assert_eq!(rehearsed.items["drain"].len(), 2);
    assert_eq!(
        rehearsed.called["drain.evict"].state,
        StepState::Succeeded,
        "{:?}",
        rehearsed.called
    );
}

#[test]
fn expectations_on_elements_and_called_steps_that_differ_are_drawn_at_the_loop() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/elements_differ");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 passed, 3 failed"), "{out}");
    assert!(
        out.contains(
            "element [1] `web-2` of the loop `restart` failed (expected succeeded, actual failed)"
        ),
        "{out}"
    );
    snapshot("elements_differ", &out);
}

#[test]
fn mistakes_in_element_scripts_and_expectations_are_diagnostics_in_the_scenario() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/elements_malformed");
    assert_eq!(code, 1, "{out}");
    for said in [
        "`escalate` is not a `for_each` step: it has no elements to script",
        "has 3 elements: there is no element [3]",
        "has no element `web-22`",
        "element [0] of `restart` is `web-1`, not `web-2`",
        "this element is named by neither `index` nor `label`",
        "the list of `drain`, as the scenario scripts it, has no element `node-c`",
        "`pods` is not a `for_each` step: it has no elements to expect",
        "`drain.evict` is not a `for_each` step",
        "did you mean `drain.evict`?",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
    assert!(
        !out.contains(" ... ok"),
        "no scenario of the file runs: {out}"
    );
    snapshot("elements_malformed", &out);
}

#[test]
fn expectations_name_a_called_playbooks_steps_as_call_step() {
    passes("tests/fixtures/rehearsals/called_expect", 3);

    let (code, out) = runbook_test("tests/fixtures/rehearsals/called_expect_differ");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the branch `rollback.route` took `redeploy_app` (expected `restore_db`"),
        "{out}"
    );
    snapshot("called_expect_differ", &out);
}

/// Hostile elements are labels like any other: scripted and expected by
/// them, nothing executes, and a label the list does not have (a newline,
/// a command substitution) is a diagnostic, never a panic.
#[test]
fn hostile_labels_script_their_elements_and_run_nothing() {
    let s = crate::running::Sandbox::new(
        r##"name: hostile
steps:
  - id: each
    for_each: ["$(touch pwned)", "`touch pwned`", "it's \"q\"", "../etc", "# not a comment"]
    shell: echo {{item}}
    on_item_failure: continue
"##,
    );
    std::fs::write(
        s.path().join("p.scenario.yaml"),
        r##"playbook: p.yaml
scenarios:
  - name: each hostile element answers from its own script
    steps:
      each:
        state: succeeded
        items:
          - { label: "$(touch pwned)", state: failed }
          - { label: "`touch pwned`", state: failed }
          - { label: "it's \"q\"", index: 2, state: failed }
          - { label: "../etc", results: { exit_code: 0 } }
    expect:
      loops:
        each:
          state: failed
          ran: 5
          items:
            - { label: "$(touch pwned)", state: failed }
            - { label: "`touch pwned`", state: failed }
            - { index: 2, state: failed }
            - { label: "../etc", state: succeeded }
            - { label: "# not a comment", state: succeeded }
      outcome: failed
"##,
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");
    assert!(!s.path().join("pwned").exists(), "nothing executes");

    std::fs::write(
        s.path().join("p.scenario.yaml"),
        "playbook: p.yaml\nscenarios:\n  - name: labels the list cannot have\n    steps:\n      each:\n        state: succeeded\n        items:\n          - { label: \"$(touch pwned)\\n\", state: failed }\n          - { index: 18446744073709551616, state: failed }\n          - { index: 4, label: \"../etc\", state: failed }\n    expect: { outcome: failed }\n",
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        text.contains("has no element `$(touch pwned)\\n`"),
        "{text}"
    );
    assert!(text.contains("expected `index` (a whole number"), "{text}");
    assert!(
        text.contains("element [4] of `each` is `# not a comment`, not `../etc`"),
        "{text}"
    );
    assert!(!s.path().join("pwned").exists(), "nothing executes");
}

/// `CALL[LABEL].STEP` / `CALL[INDEX].STEP` in `expect:`: one element's
/// called run, in `path` (order-sensitive within each playbook, free
/// between elements' runs), `ran`, `skipped` and `branches`; mistakes in
/// those addresses are diagnostics in the scenario file.
#[test]
fn expectations_address_one_elements_called_run_by_label_or_index() {
    passes("tests/fixtures/rehearsals/called_elements", 2);

    let (code, out) = runbook_test("tests/fixtures/rehearsals/called_elements_differ");
    assert_eq!(code, 1, "{out}");
    for said in [
        // Each element's run by its label, as the scenario can write it.
        "the path lists `each[10.0.0.1:5432].route` before `each[10.0.0.1:5432].ping`, which runs first",
        "`report` is listed too early",
        "`each[10.0.0.1:5432].ping` runs before it",
        "`each[10.0.0.2:5432].primary_lag` did not run",
        "the branch `each[10.0.0.2:5432].route` took `replica_lag` (expected `primary_lag`",
        "actual: [each[10.0.0.1:5432].ping, each[10.0.0.1:5432].route,",
    ] {
        assert!(flat(&out).contains(said), "{said}: {out}");
    }
    assert!(out.contains("0 passed, 3 failed"), "{out}");
    snapshot("called_elements_differ", &out);

    let (code, out) = runbook_test("tests/fixtures/rehearsals/called_elements_malformed");
    assert_eq!(code, 1, "{out}");
    for said in [
        "has 2 elements: there is no element [2]",
        "did you mean `each[10.0.0.1:5432].ping`?",
        "did you mean `each[0].ping`?",
        "`each[0` is not an address: the `[` after `each` is never closed",
        "`each[0]` selects an element of `each` and names no step in its run",
        "`each[].ping` is not an address",
        "`rollback` is not a `for_each` step: it has no elements to address",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
    assert!(!out.contains(" ... ok"), "{out}");
    snapshot("called_elements_malformed", &out);
}

/// `CALL[LABEL].STEP` / `CALL[INDEX].STEP` under `steps:`, `answers:` and
/// `gates:` script one element's called run, over the `CALL.STEP` entry
/// for every element: the rolling restart drill (web-2's restore fails,
/// web-3's gate is rejected, on web-1 the operator answers `skip`).
#[test]
fn one_elements_called_run_is_scripted_by_label_or_index() {
    passes("tests/fixtures/rehearsals/rolling", 8);

    let report = rehearsal::rehearse_file(
        &root().join("tests/fixtures/rehearsals/rolling/rolling.scenario.yaml"),
        &world(),
    );
    let rehearsed = &report
        .scenarios
        .iter()
        .find(|s| s.name == "the drill, all at once")
        .expect("the scenario ran")
        .rehearsed;
    let states: Vec<(&str, StepState)> = rehearsed.items["restart"]
        .iter()
        .map(|e| (e.label.as_str(), e.state))
        .collect();
    assert_eq!(
        states,
        [
            ("web-1", StepState::Succeeded),
            ("web-2", StepState::Failed),
            ("web-3", StepState::Rejected),
        ]
    );
    // Each element's own entry answered its run, the shared one the others.
    let state = |address: &str| rehearsed.called.get(address).map(|r| r.state);
    assert_eq!(state("restart[0].leave"), Some(StepState::Succeeded));
    assert_eq!(state("restart[1].restore_db"), Some(StepState::Failed));
    assert_eq!(state("restart[2].stop_app"), Some(StepState::Rejected));
    assert_eq!(state("restart[2].restore_db"), None, "not reached");
}

/// Labels no bare address can name (`].`, quotes, a backslash, spaces, `#`,
/// unicode, a number, a command substitution) are named in quotes
/// (`each["we]ird.label"].work`) under `gates:` and `steps:` and in
/// `expect:`; nothing executes.
const HOSTILE: &[&str] = &[
    "we]ird.label",
    "].",
    "it's \"q\"",
    "back\\slash\\",
    "# not a comment",
    "two words",
    "ünï ✓",
    "443",
    "$(touch pwned)",
    "`touch pwned`",
    "a: b",
    "- dash",
];

/// A loop over `labels` whose elements each run `one.yaml` (one gated step).
fn hostile_sandbox(labels: &[&str]) -> crate::running::Sandbox {
    let list = serde_json::to_string(labels).unwrap();
    let s = crate::running::Sandbox::new(&format!(
        "name: hostile\nsteps:\n  - id: each\n    for_each: {list}\n    playbook:\n      path: one.yaml\n      inputs: {{name: \"{{{{item}}}}\"}}\n    on_item_failure: continue\n"
    ));
    std::fs::write(
        s.path().join("one.yaml"),
        "name: one\ninputs:\n  name: {type: string}\nsteps:\n  - id: work\n    shell: touch pwned {{inputs.name}}\n    approval: Do it?\n",
    )
    .unwrap();
    s
}

/// An address of `each`'s element `label`'s step `work`, in quotes when it
/// must be, as YAML (a JSON string).
fn quoted(label: &str) -> String {
    let escaped = label.replace('\\', "\\\\").replace('"', "\\\"");
    serde_json::to_string(&format!("each[\"{escaped}\"].work")).unwrap()
}

#[test]
fn hostile_labels_are_named_in_quotes_and_script_their_elements_runs() {
    let s = hostile_sandbox(HOSTILE);
    // Every element's gate approved by its own entry (none for every
    // element); odd elements fail.
    let mut scenario = String::from(
        "playbook: p.yaml\nsteps:\n  each.work: succeeded\nscenarios:\n  - name: each element by its label\n    steps:\n",
    );
    for label in HOSTILE.iter().skip(1).step_by(2) {
        scenario.push_str(&format!("      {}: failed\n", quoted(label)));
    }
    scenario.push_str("    gates:\n");
    for label in HOSTILE {
        scenario.push_str(&format!("      {}: approve\n", quoted(label)));
    }
    scenario.push_str("    expect:\n      ran:\n");
    for label in HOSTILE {
        scenario.push_str(&format!("        - {}\n", quoted(label)));
    }
    scenario.push_str("      loops:\n        each:\n          items:\n");
    for (i, label) in HOSTILE.iter().enumerate() {
        let state = if i % 2 == 1 { "failed" } else { "succeeded" };
        scenario.push_str(&format!(
            "            - {{label: {}, state: {state}}}\n",
            serde_json::to_string(label).unwrap()
        ));
    }
    scenario.push_str("      outcome: failed\n");
    std::fs::write(s.path().join("p.scenario.yaml"), &scenario).unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{scenario}\n{text}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");
    assert!(!s.path().join("pwned").exists(), "nothing executes");

    // A label close to a hostile one: the address it means, quoted.
    std::fs::write(
        s.path().join("p.scenario.yaml"),
        "playbook: p.yaml\nsteps:\n  each.work: succeeded\nscenarios:\n  - name: misspelled\n    gates:\n      'each[\"we]ird.lab\"].work': approve\n    expect: {outcome: succeeded}\n",
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        flat(&text).contains("did you mean `each[\"we]ird.label\"].work`?"),
        "{text}"
    );
}

/// The entry a report says to add for one element's run names the element
/// by its label, quoted as it must be, as YAML: pasted back into the
/// scenario, it scripts that element's run.
#[test]
fn the_entry_to_add_for_a_hostile_label_works_when_pasted_back() {
    for label in HOSTILE {
        let s = hostile_sandbox(&["web-1", label]);
        let file = s.path().join("p.scenario.yaml");
        let scenario = |gates: &str| {
            format!(
                "playbook: p.yaml\nsteps:\n  each.work: succeeded\nscenarios:\n  - name: one element's gate\n    gates:\n      each[web-1].work: approve\n{gates}    expect:\n      loops:\n        each: {{state: succeeded, ran: 2}}\n"
            )
        };
        std::fs::write(&file, scenario("")).unwrap();
        let report = rehearsal::rehearse_file(&file, &world());
        let rehearsal::Verdict::Unscripted(diags) = &report.scenarios[0].verdict else {
            panic!("{label}: {:?}", report.scenarios[0].verdict);
        };
        let help = diags[0].help.clone().unwrap_or_default();
        let (_, rest) = help
            .split_once("for this element's run: `")
            .unwrap_or_else(|| panic!("{label}: {help}"));
        let entry = &rest[..rest.rfind("`, or for every element's").expect(&help)];
        assert!(help.contains("each.work: approve"), "{help}");

        std::fs::write(&file, scenario(&format!("      {entry}\n"))).unwrap();
        let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{label}: {entry}\n{text}");
        assert!(!s.path().join("pwned").exists(), "nothing executes");
    }
}

/// Where the scenario does not make a loop's list known (a called
/// playbook's list, computed from its input), an entry by label and one by
/// position of the same element are found out when the run reaches it.
#[test]
fn one_element_scripted_twice_in_a_list_known_only_at_run_time_is_reported() {
    let s = crate::running::Sandbox::new(
        "name: top\nsteps:\n  - id: group\n    playbook:\n      path: group.yaml\n      inputs: {hosts: \"web-1,web-2\"}\n",
    );
    std::fs::write(
        s.path().join("group.yaml"),
        "name: group\ninputs:\n  hosts: {type: string}\nsteps:\n  - id: each\n    for_each: split(inputs.hosts, \",\")\n    playbook:\n      path: one.yaml\n      inputs: {name: \"{{item}}\"}\n",
    )
    .unwrap();
    std::fs::write(
        s.path().join("one.yaml"),
        "name: one\ninputs:\n  name: {type: string}\nsteps:\n  - id: work\n    shell: echo {{inputs.name}}\n    approval: Do it?\n",
    )
    .unwrap();
    std::fs::write(
        s.path().join("p.scenario.yaml"),
        "playbook: p.yaml\nsteps:\n  group.each.work: succeeded\ngates:\n  group.each.work: approve\nscenarios:\n  - name: a gate twice\n    gates:\n      group.each[1].work: reject\n      group.each[web-2].work: approve\n    expect: {outcome: rejected}\n  - name: web-2 twice\n    steps:\n      group.each[web-2].work: failed\n      group.each[1].work: succeeded\n    expect: {outcome: failed}\n  - name: web-2 once\n    steps:\n      group.each[web-2].work: failed\n    expect:\n      ran: [\"group.each[web-1].work\"]\n      outcome: failed\n",
    )
    .unwrap();
    let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("web-2 once ... ok"), "{text}");
    assert!(
        flat(&text).contains("scripts `group.each[web-2].work` under `steps:` more than once: `group.each[web-2].work`, `group.each[1].work`"),
        "{text}"
    );
    assert!(
        flat(&text).contains("scripts `group.each[web-2].work` under `gates:` more than once: `group.each[1].work`, `group.each[web-2].work`"),
        "{text}"
    );
    assert_eq!(
        text.matches("more than once").count(),
        2,
        "each reported once: {text}"
    );
}

/// Mistakes in entries for one element's run are diagnostics in the
/// scenario file, before any scenario runs: an element selected of a step
/// that is no loop over a `playbook` step, a position past the end or a
/// label no element has (with its labels), a step its called playbook
/// does not have (the closest address), one element named twice (by label
/// and position, or a label bare and in quotes), and quoted labels that
/// do not read.
#[test]
fn mistakes_in_entries_for_one_elements_run_are_diagnostics_in_the_scenario() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/rolling_malformed");
    assert_eq!(code, 1, "{out}");
    for said in [
        "has 3 elements: there is no element [3]",
        "has no element `web-4`",
        "did you mean `restart[web-1].restore_db`? (its elements: web-1, web-2, web-3)",
        "did you mean `restart[web-2].restore_db`?",
        "did you mean `restart[web-2].check`?",
        "`restart[web-1]` selects an element of `restart` and names no step in its run",
        "`announce[0].x` cannot be scripted: `announce` is a `log` step",
        "`restart[web-1].route` is a branch",
        "did you mean `restart[web-3].stop_app`?",
        "there is no element [4]",
        "`restart[web-2].restore_db` and `restart[1].restore_db` under `steps:` name the same",
        "`restart[web-1].start_app` and `restart[0].start_app` under `steps:` name the same",
        "`restart[web-1].check` and `restart[\"web-1\"].check` under `answers:` name the same",
        "`restart[2].stop_app` and `restart[web-3].stop_app` under `gates:` name the same",
        "the quote after `restart[` is never closed",
        "the quoted label after `restart[` is not followed by `]`",
        "`restart[\"\"]` names no element",
        "escapes only `\"` and `\\`",
        "`announce.x[0].y` cannot be scripted",
    ] {
        assert!(flat(&out).contains(said), "{said}: {out}");
    }
    assert!(
        !out.contains(" ... ok"),
        "no scenario of the file runs: {out}"
    );
    snapshot("rolling_malformed", &out);
}

/// An element's run reached without an entry is pointed at at the loop,
/// with the entry to add for that element (by its label) and for every
/// element.
#[test]
fn an_elements_unscripted_step_gets_the_entries_to_add() {
    let (code, out) = runbook_test("tests/fixtures/rehearsals/rolling_unscripted");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("gives no result for `restart[web-2].restore_db`"),
        "{out}"
    );
    assert!(out.contains("0 passed, 2 failed"), "{out}");
    snapshot("rolling_unscripted", &out);
}

/// A difference report names an element's run by its label (quoted when
/// it must be, as hints do), not its position: what it says, pasted back
/// into the scenario, names the same step of the same element's run.
#[test]
fn a_difference_names_an_elements_run_by_its_label_ready_to_paste() {
    for label in ["443", "we]ird.label", "$(touch pwned)", "it's \"q\""] {
        let s = hostile_sandbox(&["web-1", label]);
        let file = s.path().join("p.scenario.yaml");
        let scenario = |expect: &str| {
            format!(
                "playbook: p.yaml\nsteps:\n  each.work: succeeded\ngates:\n  each.work: approve\nscenarios:\n  - name: the second element's step\n    expect:\n      {expect}\n"
            )
        };
        std::fs::write(&file, scenario("skipped: [\"each[1].work\"]")).unwrap();
        let report = rehearsal::rehearse_file(&file, &world());
        let rehearsal::Verdict::Failed(differences) = &report.scenarios[0].verdict else {
            panic!("{label}: {:?}", report.scenarios[0].verdict);
        };
        let message = &differences[0].message;
        assert!(!message.contains("each[1]"), "{label}: {message}");
        let address = message
            .strip_prefix('`')
            .and_then(|m| m.strip_suffix("` ran"))
            .unwrap_or_else(|| panic!("{label}: {message}"));
        // Pasted back under `ran:`, the scenario passes.
        let yaml = serde_json::to_string(address).unwrap();
        std::fs::write(&file, scenario(&format!("ran: [{yaml}]"))).unwrap();
        let out = s.command(&["test", "p.scenario.yaml"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{label}: {address}\n{text}");
        assert!(!s.path().join("pwned").exists(), "nothing executes");
    }
}

/// A report's text on one line: miette's wrapping and margins undone.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Under `gates:`, `STEP[INDEX]` and `STEP[LABEL]` decide one element's
/// own gate of a loop with `approval_per_item`; the step's entry decides
/// the others. An element the scripted list does not have, and an element
/// of a loop with one gate for all, are diagnostics in the scenario file.
#[test]
fn one_elements_gate_is_scripted_by_index_or_label() {
    passes("tests/fixtures/rehearsals/element_gates", 2);

    let (code, out) = runbook_test("tests/fixtures/rehearsals/element_gates_malformed");
    assert_eq!(code, 1, "{out}");
    snapshot("element_gates_malformed", &out);
}

/// A step the scenario expects skipped, whose gate it rejected, was
/// reached and did not run: the headline says so, not "ran", in the
/// playbook and in a playbook it calls.
#[test]
fn a_rejected_step_expected_skipped_was_reached_not_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.yaml"),
        "steps:\n  - id: restart\n    approval: Restart?\n    shell: echo restart\n  - id: call\n    needs: [restart]\n    playbook: child.yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("child.yaml"),
        "steps:\n  - id: drain\n    approval: Drain?\n    shell: echo drain\n",
    )
    .unwrap();
    let file = dir.path().join("p.scenario.yaml");
    for (gates, skipped, headline) in [
        (
            "{restart: reject}",
            "[restart]",
            "`restart` was reached (rejected)",
        ),
        (
            "{restart: approve, call.drain: reject}",
            "[call.drain]",
            "`call.drain` was reached (rejected)",
        ),
    ] {
        std::fs::write(
            &file,
            format!(
                "playbook: p.yaml\nsteps:\n  restart: succeeded\n  call.drain: succeeded\ngates: {gates}\nscenarios:\n  - name: refused\n    expect:\n      skipped: {skipped}\n"
            ),
        )
        .unwrap();
        let report = rehearsal::rehearse_file(&file, &world());
        let rehearsal::Verdict::Failed(differences) = &report.scenarios[0].verdict else {
            panic!("{gates}: {:?}", report.scenarios[0].verdict);
        };
        assert_eq!(differences[0].message, headline, "{gates}");
    }
}
