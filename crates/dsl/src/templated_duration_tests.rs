//! Durations written as templates, in the checker (`analyze/durations.rs`):
//! filled in at check time when every value they read is known (input
//! defaults, values computed from them), and otherwise left for the run.

use crate::ast::Effect;
use crate::catalog::{no_rules, KindList, KindSchema, ParamSchema, ParamType, ResultField};
use crate::code::Code;
use crate::load::{check, Checked};
use crate::node::Node;
use crate::plan::ParamValue;
use crate::source::SourceFile;

fn read(_: &Node) -> Effect {
    Effect::Read
}

/// A `pause` kind with a duration parameter, as `wait` has, and a result.
fn catalog() -> KindList {
    KindList::new(vec![KindSchema {
        name: "pause",
        summary: "Pauses.",
        params: vec![ParamSchema::required(
            "duration",
            ParamType::Duration,
            "How long.",
        )],
        shorthand: Some("duration"),
        results: vec![ResultField::new(
            "stdout",
            crate::ast::ValueType::String,
            "What it said.",
        )],
        primary_result: "stdout",
        default_effect: read,
        effect_doc: "`read`.",
        rules: no_rules,
        capabilities: Default::default(),
    }])
}

fn checked(yaml: &str) -> Checked {
    check(SourceFile::new("t.yaml", yaml), &catalog())
}

/// Each diagnostic: its code, message and the text under each label.
fn found(yaml: &str) -> Vec<(Code, String, Vec<String>)> {
    checked(yaml)
        .diagnostics
        .iter()
        .map(|d| {
            let labels = d
                .labels
                .iter()
                .map(|l| yaml[l.span.start..l.span.end].to_string())
                .collect();
            (d.code, d.message.clone(), labels)
        })
        .collect()
}

#[test]
fn a_default_that_renders_a_duration_passes_and_one_that_does_not_is_refused() {
    let playbook = |default: &str| {
        format!(
            "inputs:\n  t: {{type: string, default: \"{default}\"}}\nsteps:\n  - id: a\n    pause: 1s\n    timeout: \"{{{{inputs.t}}}}\"\n"
        )
    };
    assert!(found(&playbook("5m")).is_empty());
    assert!(found(&playbook("1h30m")).is_empty());
    let bad = found(&playbook("5x"));
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].0, Code::InvalidDuration);
    assert!(
        bad[0]
            .1
            .starts_with("`timeout` renders `5x`, which is not a duration"),
        "{}",
        bad[0].1
    );
    // The default first (the primary label), then the use.
    assert_eq!(bad[0].2, vec!["\"5x\"", "\"{{inputs.t}}\""]);
}

#[test]
fn values_known_only_when_the_run_starts_are_left_for_the_run() {
    // No default, a step's result, a value computed from one: not checked.
    let yaml = r#"inputs:
  t: {type: string}
vars:
  late: 'steps.a.outputs.text + "x"'
steps:
  - id: a
    pause: 1s
    outputs:
      text: {from: stdout}
  - id: b
    needs: [a]
    pause: "{{inputs.t}}"
    timeout: "{{vars.late}}"
    retry:
      attempts: 2
      delay: "{{steps.a.outputs.text}}"
"#;
    let found = found(yaml);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn every_value_read_is_pointed_at_and_conditions_are_evaluated() {
    let yaml = r#"inputs:
  n: {type: string, default: "1"}
  unit: {type: string, default: x}
  fast: {type: bool, default: false}
vars:
  grace: '"2 fortnights"'
steps:
  - id: a
    pause: "{{inputs.n}}{{inputs.unit}}"
    until:
      condition: "true"
      every: "{{#if inputs.fast}}1s{{else}}soon{{/if}}"
      within: "{{vars.grace}}"
"#;
    let found = found(yaml);
    let messages: Vec<&str> = found.iter().map(|(_, m, _)| m.as_str()).collect();
    assert_eq!(found.len(), 3, "{messages:?}");
    assert!(found.iter().all(|(c, _, _)| *c == Code::InvalidDuration));
    let pause = found
        .iter()
        .find(|(_, m, _)| m.starts_with("`duration` renders `1x`"))
        .expect("pause");
    assert_eq!(
        pause.2,
        vec!["\"1\"", "x", "\"{{inputs.n}}{{inputs.unit}}\""]
    );
    let every = found
        .iter()
        .find(|(_, m, _)| m.starts_with("`every` renders `soon`"))
        .expect("every");
    assert_eq!(every.2[0], "false");
    let within = found
        .iter()
        .find(|(_, m, _)| m.starts_with("`within` renders `2 fortnights`"))
        .expect("within");
    assert_eq!(within.2[0], "'\"2 fortnights\"'");
    // With the other side of the block taken, the rendering is a duration.
    let fast = yaml
        .replace("default: false", "default: true")
        .replace("default: x", "default: h")
        .replace("2 fortnights", "10m");
    let found = self::found(&fast);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_templated_duration_parameter_is_kept_as_a_template() {
    let checked = checked(
        "inputs:\n  s: {type: duration, default: 2m}\nsteps:\n  - id: a\n    pause: \"{{inputs.s}}\"\n",
    );
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let plan = checked.plan.expect("a plan");
    let param = &plan.step_plan(0).params["duration"];
    assert!(
        matches!(param.value, ParamValue::DurationTemplate(_)),
        "{param:?}"
    );
}

#[test]
fn a_secret_default_is_not_shown() {
    let found = found(
        "inputs:\n  t: {type: string, default: hunter2, secret: true}\nsteps:\n  - id: a\n    pause: \"{{inputs.t}}\"\n",
    );
    let error = found
        .iter()
        .find(|(c, _, _)| *c == Code::InvalidDuration)
        .expect("refused");
    assert!(!error.1.contains("hunter2"), "{}", error.1);
    assert!(error.1.contains("not shown"), "{}", error.1);
}
