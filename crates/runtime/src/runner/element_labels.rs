//! How the elements of a `for_each` step are named: by the step's `label:`
//! expression, evaluated once per element with the element bound, or (with
//! no `label:`) by the element itself, an object's `metadata.name`, `name`
//! or `id`, else its position. The name is what the live view, `--output
//! json`, the journal's item records, `runbook report`, a rehearsal's
//! `items:` and `resume` know the element by; it is never used as a path
//! (an element's called run is addressed `CALL[INDEX]`).
//!
//! A written label is kept exact (the journal holds it as evaluated; the
//! views escape control characters), so it must be a short single line
//! and unique among the elements: otherwise the step fails before any
//! element runs. See docs/semantics.md, "Loops".

use crate::scope::Scope;
use runbook_dsl::expr::{self, Outcome};
use runbook_dsl::plan::Iteration;
use runbook_dsl::Span;
use serde_json::Value;
use std::collections::HashMap;

/// The longest label, in characters: a name to read on one line, not a value.
pub const MAX_LABEL: usize = 200;

/// Why a loop's elements cannot be named; the step fails with it.
#[derive(Debug)]
pub(crate) struct LabelError {
    pub message: String,
    /// The `label:` expression, or the part of it that failed.
    pub span: Span,
}

/// The name of every element of `values`, in order.
pub(crate) fn labels(
    iteration: &Iteration,
    values: &[Value],
    scope: &Scope,
) -> Result<Vec<String>, LabelError> {
    let Some(label) = &iteration.label else {
        return Ok(told_apart(
            values
                .iter()
                .enumerate()
                .map(|(index, value)| default_label(value, index))
                .collect(),
        ));
    };
    let fail = |message: String| LabelError {
        message,
        span: label.span,
    };
    let mut out = Vec::with_capacity(values.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let bound = scope.with_element(&iteration.element, value.clone());
        let text = match expr::eval(label, &bound) {
            Ok(Outcome::Known(Value::String(s))) => s,
            Ok(Outcome::Known(v @ (Value::Number(_) | Value::Bool(_)))) => v.to_string(),
            Ok(Outcome::Known(other)) => {
                return Err(fail(format!(
                    "the label `{label}` of element [{index}] is {}, not a line of text",
                    kind_of(&other)
                )))
            }
            // A dry-run: the label reads a step that was only described.
            Ok(Outcome::Unknown) => default_label(value, index),
            Err(e) => {
                return Err(LabelError {
                    message: format!(
                        "cannot evaluate the label `{label}` of element [{index}]: {e}"
                    ),
                    span: e.span,
                })
            }
        };
        if let Some(why) = unfit(&text) {
            return Err(fail(format!(
                "the label of element [{index}] ({}) {why}",
                shown(&text)
            )));
        }
        if let Some(first) = seen.insert(text.clone(), index) {
            return Err(fail(format!(
                "elements [{first}] and [{index}] have the same label {}: a label names one element (in the journal, in rehearsals and on resume); add a field that tells them apart",
                shown(&text)
            )));
        }
        out.push(text);
    }
    Ok(out)
}

/// Default labels made unique: two elements whose names read the same
/// once cut to 80 characters or escaped (`a<newline>b` and `a\nb`), or
/// two equal values, get their position appended, ` (#INDEX)`, so a
/// label (`--approve 'STEP[LABEL]'`, `runbook approve`) never names two
/// elements and an operator can tell their prompts apart.
fn told_apart(mut labels: Vec<String>) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::with_capacity(labels.len());
    for label in &labels {
        *count.entry(label.as_str()).or_default() += 1;
    }
    let shared: Vec<usize> = (0..labels.len())
        .filter(|&i| count[labels[i].as_str()] > 1)
        .collect();
    for &i in &shared {
        labels[i] = format!("{} (#{i})", labels[i]);
    }
    // A value that already read `x (#1)` could meet one made so: the later
    // of two equal labels takes its position too, until none are equal
    // (each round adds a position no other label ends with).
    loop {
        let mut seen: std::collections::HashSet<String> = Default::default();
        let clash: Vec<usize> = (0..labels.len())
            .filter(|&i| !seen.insert(labels[i].clone()))
            .collect();
        if clash.is_empty() {
            return labels;
        }
        for i in clash {
            labels[i] = format!("{} #{i}", labels[i]);
        }
    }
}

/// Why a written label cannot name an element, if it cannot.
fn unfit(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("is empty".into());
    }
    if text.contains(['\n', '\r']) {
        return Some("spans more than one line".into());
    }
    let length = text.chars().count();
    if length > MAX_LABEL {
        return Some(format!(
            "is {length} characters long; a label is at most {MAX_LABEL}"
        ));
    }
    None
}

/// A label inside a message: quoted, control characters escaped, cut short.
fn shown(text: &str) -> String {
    let escaped: String = text
        .chars()
        .take(60)
        .flat_map(char::escape_default)
        .collect();
    let more = if text.chars().count() > 60 { "..." } else { "" };
    format!("`{escaped}{more}`")
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        _ => "a scalar",
    }
}

/// The name of an element with no `label:`: a string as itself, an object
/// by its `metadata.name` or `name` (a pod, a row) or `id`, else its
/// position. One line, control characters escaped, at most 80 characters.
pub(crate) fn default_label(value: &Value, index: usize) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(map) => map
            .get("metadata")
            .and_then(|m| m.get("name"))
            .or_else(|| map.get("name"))
            .or_else(|| map.get("id"))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| format!("#{index}")),
        _ => format!("#{index}"),
    };
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    let escaped = if text.chars().any(char::is_control) {
        escaped
    } else {
        text
    };
    match escaped.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::plan::IterationList;
    use serde_json::json;

    #[test]
    fn default_labels_that_read_the_same_are_told_apart() {
        let long = "x".repeat(90);
        let labels = told_apart(vec![
            default_label(&json!(format!("{long}-deleteme")), 0),
            default_label(&json!(format!("{long}-keepme")), 1),
            default_label(&json!("a\nb"), 2),
            default_label(&json!("a\\nb"), 3),
            default_label(&json!("web-1"), 4),
        ]);
        assert_eq!(labels[0], format!("{}... (#0)", "x".repeat(80)));
        assert_eq!(labels[1], format!("{}... (#1)", "x".repeat(80)));
        assert_eq!(labels[2], "a\\nb (#2)");
        assert_eq!(labels[3], "a\\nb (#3)");
        assert_eq!(labels[4], "web-1");
        assert_eq!(
            told_apart(vec!["x (#1)".into(), "x".into(), "x".into()]),
            ["x (#1)", "x (#1) #1", "x (#2)"]
        );
    }

    #[test]
    fn labels_name_elements_on_one_line() {
        assert_eq!(default_label(&json!("web-1"), 0), "web-1");
        assert_eq!(
            default_label(&json!({"metadata": {"name": "api-7"}}), 3),
            "api-7"
        );
        assert_eq!(default_label(&json!({"name": "orders"}), 1), "orders");
        assert_eq!(default_label(&json!({"x": 1}), 2), "#2");
        assert_eq!(default_label(&json!([1, 2]), 4), "#4");
        assert_eq!(default_label(&json!("a\nb"), 0), "a\\nb");
        assert_eq!(default_label(&json!("x".repeat(100)), 0).len(), 83);
    }

    fn iteration(label: &str) -> Iteration {
        let text = runbook_dsl::node::Text::verbatim(label, Span::new(0, label.len()));
        Iteration {
            list: IterationList::Literal(Vec::new()),
            element: "item".into(),
            element_type: runbook_dsl::expr::Type::Any,
            label: Some(expr::parse(&text).expect("a label expression")),
        }
    }

    fn named(label: &str, values: Vec<Value>) -> Result<Vec<String>, String> {
        labels(&iteration(label), &values, &Scope::new(Default::default())).map_err(|e| e.message)
    }

    #[test]
    fn a_written_label_is_evaluated_per_element_and_kept_exact() {
        let targets = vec![
            json!({"labels": {"instance": "10.0.0.1:9100"}}),
            json!({"labels": {"instance": "../\u{1b}[2Jx"}}),
        ];
        assert_eq!(
            named("item.labels.instance", targets).unwrap(),
            vec!["10.0.0.1:9100", "../\u{1b}[2Jx"]
        );
        assert_eq!(
            named("item.port", vec![json!({"port": 80}), json!({"port": 443})]).unwrap(),
            vec!["80", "443"]
        );
    }

    #[test]
    fn a_label_that_cannot_name_an_element_fails() {
        let dup = named(
            "item.zone",
            vec![json!({"zone": "a"}), json!({"zone": "a"})],
        );
        assert!(dup
            .unwrap_err()
            .contains("elements [0] and [1] have the same label `a`"));
        let lines = named("item", vec![json!("a\nb")]).unwrap_err();
        assert!(lines.contains("spans more than one line"), "{lines}");
        assert!(lines.contains("a\\nb"), "{lines}");
        let long = named("item", vec![json!("x".repeat(10_000))]).unwrap_err();
        assert!(long.contains("10000 characters long"), "{long}");
        assert!(long.len() < 300, "{long}");
        assert!(named("item", vec![json!("")])
            .unwrap_err()
            .contains("is empty"));
        let missing = named("item.nope", vec![json!({"x": 1})]).unwrap_err();
        assert!(missing.contains("element [0]"), "{missing}");
        let list = named("item", vec![json!([1])]).unwrap_err();
        assert!(list.contains("a list"), "{list}");
    }
}
