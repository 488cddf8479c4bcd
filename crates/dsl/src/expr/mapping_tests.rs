//! Tests of map literals and of `keys`, `values`, `entries`: parsing and
//! printing, types, diagnostics (code, message, span), evaluation, and
//! hostile keys.

use super::tests::{canon, check_src, ev, ev_err, one_error, p, parse_err, type_of};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn map_literals_parse_print_and_round_trip() {
    assert_eq!(
        canon("{name:\"web\",'x-y' : 1, count: steps.a.n,}"),
        "{name: \"web\", \"x-y\": 1, count: steps.a.n}"
    );
    // Keywords are keys as written after `.`; the printer quotes them.
    assert_eq!(
        canon("{in: 1, \"a key\": [1, {}]}"),
        "{\"in\": 1, \"a key\": [1, {}]}"
    );
    for src in [
        "{}",
        "{a: {b: {c: 1}}}.a.b",
        "keys({\"$(x)\": 1, \"\\n\": 2})",
        "{a: 1}[\"a\"] + 1",
    ] {
        let e = p(src);
        let again = p(&e.to_string());
        assert_eq!(e.without_spans(), again.without_spans(), "{src}");
    }
    let e = p("{a: inputs.x, b: steps.y.z}");
    let paths: Vec<String> = e.paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, vec!["inputs.x", "steps.y.z"]);
}

#[test]
fn malformed_map_literals_are_syntax_errors_at_the_token() {
    for (src, at) in [
        ("{a 1}", "1"),
        ("{: 1}", ":"),
        ("{1: 2}", "1"),
        ("{a: 1", ""),
        ("{a: 1 b: 2}", "b"),
        ("{@key: 1}", "@key"),
    ] {
        let (f, d) = parse_err(src);
        assert_eq!(d.code, Code::ExprSyntax, "{src}: {}", d.message);
        let span = d.labels[0].span;
        assert_eq!(f.slice(span), at, "{src}: {}", d.message);
        assert!(d.help.is_some(), "{src}");
    }
    // Braces count toward the nesting bound, like brackets.
    let deep = format!(
        "{}1{}",
        "{a: ".repeat(MAX_NESTING + 1),
        "}".repeat(MAX_NESTING + 1)
    );
    let (_, d) = parse_err(&deep);
    assert!(d.message.contains("nested"), "{}", d.message);
}

#[test]
fn a_map_literal_is_a_record_of_its_keys() {
    let ty = type_of("{name: \"web\", \"x-y\": 1, on: true}");
    assert_eq!(ty.to_string(), "{name: string, \"x-y\": int, on: bool}");
    // A key that is not a plain name is printed as a map literal writes it:
    // quoted, its quotes, line breaks and control characters escaped, so
    // a hostile key cannot end a diagnostic's line or its backticks.
    let hostile = type_of(r#"{"a b": 1, "q\"`": 2, "l\nx\r\u{1b}[2J": 3, "$(id) #c": 4, true: 5}"#);
    let shown = hostile.to_string();
    assert_eq!(
        shown,
        r#"{"a b": int, "q\"`": int, "l\nx\r\u{1b}[2J": int, "$(id) #c": int, "true": int}"#
    );
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let (d, _) = one_error("{\"a\\nb\": 1, \"x-y\": 2, \"x-y\": 3}");
    assert_eq!(d.message, "`\"x-y\"` is given twice in this mapping");
    assert_eq!(type_of("{name: \"web\"}.name"), Type::String);
    assert_eq!(type_of("{a: [1, 2]}.a"), Type::List(Box::new(Type::Int)));
    assert_eq!(type_of("\"a\" in {a: 1}"), Type::Bool);
    assert_eq!(type_of("len({a: 1})"), Type::Int);
    let (d, labels) = one_error("{name: \"web\"}.nmae");
    assert_eq!(d.code, Code::UnknownRecordField);
    assert_eq!(labels[0].0, "nmae");
}

#[test]
fn a_key_written_twice_is_a_duplicate_key_on_the_second() {
    let (d, labels) = one_error("{a: 1, b: 2, a: 3}.b == 2");
    assert_eq!(d.code, Code::DuplicateKey);
    assert_eq!(d.message, "`a` is given twice in this mapping");
    assert_eq!(
        labels,
        vec![
            ("a".to_string(), "given again here".to_string()),
            ("a".to_string(), "first given here".to_string())
        ]
    );
    // The second `a` is the one labelled "again".
    let (f, _, diags) = check_src("{a: 1, \"a\": 3}");
    let again = diags[0].labels[0].span;
    assert_eq!(f.slice(again), "\"a\"");
}

#[test]
fn keys_values_entries_are_typed() {
    let strings = Type::List(Box::new(Type::String));
    assert_eq!(type_of("keys({a: 1})"), strings);
    assert_eq!(
        type_of("values({a: 1, b: 2})"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(
        type_of("values({a: 1, b: 2.5})"),
        Type::List(Box::new(Type::Float))
    );
    assert_eq!(
        type_of("values({a: 1, b: \"x\"})"),
        Type::List(Box::new(Type::Any))
    );
    assert_eq!(
        type_of("entries({a: 1})").to_string(),
        "list<{key: string, value: int}>"
    );
    assert_eq!(
        type_of("map(entries({a: 1}), e => e.value + 1)"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(type_of("keys(steps.health.json)"), strings);
    assert_eq!(
        type_of("values(steps.health.json)"),
        Type::List(Box::new(Type::Any))
    );
    let (d, _) = one_error("map(entries({a: 1}), e => e.vlaue)");
    assert_eq!(d.code, Code::UnknownRecordField);
}

#[test]
fn keys_of_what_is_not_a_mapping_is_a_type_mismatch_at_the_argument() {
    for (src, arg, message) in [
        (
            "keys([1, 2])",
            "[1, 2]",
            "`keys` needs a mapping, this is a list of integers",
        ),
        (
            "values(\"ab\")",
            "\"ab\"",
            "`values` needs a mapping, this is a string",
        ),
        (
            "entries(3)",
            "3",
            "`entries` needs a mapping, this is an integer",
        ),
    ] {
        let (d, labels) = one_error(src);
        assert_eq!(d.code, Code::TypeMismatch, "{src}");
        assert_eq!(d.message, message);
        assert_eq!(labels[0].0, arg);
        assert!(d.help.is_some());
    }
    let (d, _) = one_error("keys({a: 1}, 2)");
    assert_eq!(d.code, Code::WrongArity);
}

#[test]
fn mappings_evaluate_in_key_order() {
    assert_eq!(ev("{b: 1, a: inputs.replicas}"), json!({"a": 3, "b": 1}));
    assert_eq!(
        ev("keys({b: 1, a: 2, \"x-y\": 3})"),
        json!(["a", "b", "x-y"])
    );
    assert_eq!(ev("values({b: 1, a: 2})"), json!([2, 1]));
    assert_eq!(
        ev("entries({b: \"x\", a: null})"),
        json!([{"key": "a", "value": null}, {"key": "b", "value": "x"}])
    );
    assert_eq!(ev("{a: {b: [1, 2]}}.a.b[1]"), json!(2));
    assert_eq!(ev("\"a\" in {a: 1} && !(\"b\" in {a: 1})"), json!(true));
    assert_eq!(ev("{a: 1} == {a: 1.0}"), json!(true));
    assert_eq!(ev("keys(steps.api.json.labels)"), json!(["app"]));
    // Hostile keys are only data.
    assert_eq!(
        ev("keys({\"$(touch x)\": 1, \"../..\": 2, \"#\": 3, \"a\\nb\": 4, \"'\\\"\": 5})"),
        json!(["#", "$(touch x)", "'\"", "../..", "a\nb"])
    );
    let (message, at) = ev_err("keys(steps.health.outputs.tags)");
    assert_eq!(
        message,
        "`keys` needs a mapping, found a list ([\"db\",\"api\"])"
    );
    assert_eq!(at, "steps.health.outputs.tags");
    // An unknown value makes the literal unknown.
    let e = p("{a: steps.later.x}");
    let unknown = const_eval(&e);
    assert_eq!(unknown, None);
}
