//! `for_each` in the checker: the loop is one step of the plan, its element
//! is typed from the list and bound only where it exists, and its results
//! are read as a list.

use crate::ast::Effect;
use crate::catalog::{no_rules, KindList, KindSchema, ParamSchema, ParamType, ResultField};
use crate::code::Code;
use crate::expr::Type;
use crate::load::{check, Checked};
use crate::node::Node;
use crate::plan::IterationList;
use crate::source::SourceFile;

fn write(_: &Node) -> Effect {
    Effect::Write
}

/// A `run` kind with a shell-quoted command and typed results.
fn catalog() -> KindList {
    KindList::new(vec![KindSchema {
        name: "run",
        summary: "Runs a command.",
        params: vec![ParamSchema::required(
            "command",
            ParamType::ShellTemplate,
            "The command.",
        )],
        shorthand: Some("command"),
        results: vec![
            ResultField::new("exit_code", crate::ast::ValueType::Int, "Exit status."),
            ResultField::new("stdout", crate::ast::ValueType::String, "Output."),
            ResultField::new("names", crate::ast::ValueType::List, "Names."),
        ],
        primary_result: "stdout",
        default_effect: write,
        effect_doc: "`write`.",
        rules: no_rules,
        capabilities: Default::default(),
    }])
}

fn checked(yaml: &str) -> Checked {
    check(SourceFile::new("t.yaml", yaml), &catalog())
}

fn codes(yaml: &str) -> Vec<(Code, String)> {
    checked(yaml)
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect()
}

#[test]
fn a_loop_is_one_step_of_the_plan_with_its_element_typed_from_the_list() {
    let ok = checked(
        r#"
steps:
  - id: zones
    for_each: ["eu-1", "eu-2"]
    as: zone
    run: ./drain.sh {{zone}}
  - id: each
    for_each: '[1, 2, 3]'
    run: echo {{item}}
  - id: after
    needs: [zones, each]
    when: steps.zones.all_succeeded && steps.each.count == 3 && steps.zones.results[0].exit_code == 0
    run: echo {{steps.zones.results.[1].stdout}} {{steps.zones.failed_count}}
"#,
    );
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let plan = ok.plan.expect("a plan");
    assert_eq!(plan.len(), 3, "one plan step per loop, not per element");
    let zones = plan.step_plan(0).iteration.as_ref().expect("an iteration");
    assert_eq!(zones.element, "zone");
    assert_eq!(zones.element_type, Type::String);
    assert!(matches!(&zones.list, IterationList::Literal(v) if v.len() == 2));
    let each = plan.step_plan(1).iteration.as_ref().expect("an iteration");
    assert_eq!(each.element, "item");
    assert_eq!(each.element_type, Type::Int);
    assert!(matches!(each.list, IterationList::Expr(_)));
}

#[test]
fn mistakes_about_the_element_are_reported_where_they_are() {
    let found = codes(
        r#"
steps:
  - id: list
    run: echo
    effect: read
  - id: loop
    needs: [list]
    for_each: steps.list.stdout
    run: echo {{item}}
  - id: named
    for_each: ["a"]
    as: pod
    when: pod == "a"
    run: echo {{item}} {{pod.name}}
  - id: outside
    needs: [named]
    run: echo {{pod}} {{steps.named.exit_code}} {{steps.named.results.[0].nope}}
"#,
    );
    let has = |code: Code, text: &str| found.iter().any(|(c, m)| *c == code && m.contains(text));
    assert!(
        has(Code::NotAList, "`for_each` needs a list, this is a string"),
        "{found:#?}"
    );
    assert!(
        has(Code::ElementOutOfScope, "not bound in `when`"),
        "{found:#?}"
    );
    assert!(
        has(
            Code::InvalidPath,
            "`item` is not something this step can read"
        ),
        "{found:#?}"
    );
    assert!(
        has(
            Code::InvalidPath,
            "the element `pod` is a string, it has no fields"
        ),
        "{found:#?}"
    );
    assert!(
        has(Code::ElementOutOfScope, "`pod` is the element of a loop"),
        "{found:#?}"
    );
    assert!(
        has(Code::UnknownResult, "runs once per element"),
        "{found:#?}"
    );
    assert!(
        has(Code::UnknownResult, "has no result `nope`"),
        "{found:#?}"
    );
    // The element of a list that is not one is not reported again.
    assert!(
        !found
            .iter()
            .any(|(_, m)| m.contains("`item` is the element")),
        "{found:#?}"
    );
}

#[test]
fn loop_fields_need_a_loop_and_sensible_values() {
    let found = codes(
        r#"
steps:
  - id: a
    parallel: 2
    approval_per_item: true
    run: echo
  - id: b
    for_each: ["x"]
    parallel: 0
    as: inputs
    on_item_failure: maybe
    approval_per_item: true
    run: echo {{item}}
  - id: c
    for_each: ["x"]
    manual: do it
"#,
    );
    let count = |code: Code| found.iter().filter(|(c, _)| *c == code).count();
    assert_eq!(count(Code::LoopFieldWithoutForEach), 3, "{found:#?}");
    assert_eq!(count(Code::InvalidId), 1, "{found:#?}");
    assert_eq!(count(Code::InvalidValue), 3, "{found:#?}");
}

#[test]
fn the_element_is_bound_in_the_question_only_of_a_gate_asked_per_element() {
    let set = codes(
        r#"
steps:
  - id: a
    for_each: ["x"]
    run: echo {{item}}
    approval: "Run {{item}}?"
"#,
    );
    assert!(
        set.iter()
            .any(|(c, m)| *c == Code::ElementOutOfScope && m.contains("gate asked once")),
        "{set:#?}"
    );
    let per_item = codes(
        r#"
steps:
  - id: a
    for_each: ["x"]
    approval_per_item: true
    run: echo {{item}}
    approval: "Run {{item}}?"
"#,
    );
    assert!(per_item.is_empty(), "{per_item:#?}");
}

#[test]
fn a_loop_may_poll_its_own_element_results() {
    let ok = codes(
        r#"
steps:
  - id: a
    for_each: ["x", "y"]
    run: check {{item}}
    until: steps.a.exit_code == 0
"#,
    );
    assert!(ok.is_empty(), "{ok:#?}");
}

#[test]
fn an_input_is_not_a_list_and_the_help_says_to_write_the_list_out() {
    let found = checked(
        r#"
inputs:
  hosts: {type: string}
steps:
  - id: a
    for_each: inputs.hosts
    run: ping {{item}}
"#,
    );
    let not_a_list = found
        .diagnostics
        .iter()
        .find(|d| d.code == Code::NotAList)
        .expect("not_a_list");
    assert!(
        not_a_list
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("an input holds one value"),
        "{not_a_list:?}"
    );
}

#[test]
fn a_computed_value_reading_an_unknown_name_or_an_element_is_an_error_not_a_panic() {
    // Found by the runbook_front_end fuzz target: a computed value is
    // checked with no current step, and an unknown root name looked one up.
    for (value, code, message) in [
        ("foo.bar", Code::InvalidPath, "`foo`"),
        (
            "map(steps.a.outputs.names, p => q.x)",
            Code::InvalidPath,
            "`q`",
        ),
        (
            "item",
            Code::ElementOutOfScope,
            "a computed value (`var`) is not in any loop",
        ),
    ] {
        let yaml = format!(
            "name: t\nvars:\n  x: '{value}'\nsteps:\n  - id: a\n    for_each: [\"a\"]\n    run: echo\n    outputs:\n      names:\n        from: stdout\n        type: list\n"
        );
        let found = codes(&yaml);
        assert!(
            found.iter().any(|(c, m)| *c == code && m.contains(message)),
            "{value}: {found:?}"
        );
    }
}
