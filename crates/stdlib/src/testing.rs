//! Helpers shared by the kinds' unit tests.

use runbook_dsl::catalog::KindSchema;
use runbook_dsl::node::{Entry, Node, Text, Value};
use runbook_dsl::Span;
use std::collections::HashSet;

/// A string node.
pub fn text(s: &str) -> Node {
    Node::new(
        Value::Str(Text::verbatim(s, Span::default())),
        Span::default(),
    )
}

/// A mapping node from `(key, value)` pairs, as a step's parameters arrive.
pub fn map(entries: Vec<(&str, Node)>) -> Node {
    let entries = entries
        .into_iter()
        .map(|(k, v)| Entry {
            key: Text::verbatim(k, Span::default()),
            value: v,
        })
        .collect();
    Node::new(Value::Map(entries), Span::default())
}

pub fn boolean(b: bool) -> Node {
    Node::new(Value::Bool(b), Span::default())
}

pub fn int(i: i64) -> Node {
    Node::new(Value::Int(i), Span::default())
}

fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn assert_description(what: &str, description: &str) {
    assert!(!description.trim().is_empty(), "{what}: empty description");
    assert!(
        !description.contains('\n'),
        "{what}: description is not one line"
    );
    assert!(
        description.ends_with('.'),
        "{what}: description is not a sentence"
    );
}

/// What the checker and the docs rely on: unique snake_case names, a shorthand
/// that names a required parameter, a primary result that names a result (or
/// is empty when the kind produces none), and a real description everywhere.
pub fn assert_consistent(schema: &KindSchema) {
    let kind = schema.name;
    assert!(is_snake_case(kind), "kind name {kind:?}");
    assert_description(kind, schema.summary);

    let mut seen = HashSet::new();
    for p in &schema.params {
        assert!(is_snake_case(p.name), "{kind}: parameter {:?}", p.name);
        assert!(
            seen.insert(p.name),
            "{kind}: duplicate parameter {}",
            p.name
        );
        assert_description(&format!("{kind}.{}", p.name), p.description);
    }
    if let Some(shorthand) = schema.shorthand {
        let p = schema
            .param(shorthand)
            .unwrap_or_else(|| panic!("{kind}: shorthand {shorthand} is not a parameter"));
        assert!(p.required, "{kind}: shorthand {shorthand} is not required");
    }

    let mut seen = HashSet::new();
    for r in &schema.results {
        assert!(is_snake_case(r.name), "{kind}: result {:?}", r.name);
        assert!(seen.insert(r.name), "{kind}: duplicate result {}", r.name);
        assert_description(&format!("{kind} result {}", r.name), r.description);
    }
    if schema.results.is_empty() {
        assert_eq!(
            schema.primary_result, "",
            "{kind}: primary result of no results"
        );
    } else {
        assert!(
            schema.result(schema.primary_result).is_some(),
            "{kind}: primary result {} is not a result",
            schema.primary_result
        );
    }
    assert!(
        !schema.effect_doc.trim().is_empty(),
        "{kind}: no effect_doc"
    );
    let caps = &schema.capabilities;
    let named = [
        caps.command,
        caps.assertion,
        caps.question,
        match caps.describes_itself {
            runbook_dsl::catalog::DescribesItself::With(p) => Some(p),
            _ => None,
        },
    ];
    for p in named.into_iter().flatten() {
        assert!(
            schema.param(p).is_some(),
            "{kind}: capability names {p}, not a parameter"
        );
    }
    if !caps.read_only_operations.is_empty() {
        let Some(runbook_dsl::catalog::ParamType::Enum(operations)) =
            schema.param("operation").map(|p| &p.ty)
        else {
            panic!("{kind}: read-only operations without an `operation` enum");
        };
        for op in caps.read_only_operations {
            assert!(operations.contains(op), "{kind}: {op} is not an operation");
        }
    }
}
