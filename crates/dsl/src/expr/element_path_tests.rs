//! Tests of element paths, `map(steps.pods.items, .metadata.name)`: the
//! shorthand of `x => x.metadata.name` as an argument of the list
//! functions. Parsed into the same lambda, typed and evaluated like it,
//! printed back as written; misplaced, it is an error with a hint.

use super::tests::{canon, check_src, ev, one_error, p, parse_err, type_of};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn an_element_path_is_the_lambda_it_stands_for() {
    let e = p("map(xs, .metadata.name)");
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Lambda { param, body } = &args[1].kind else {
        panic!("{:?}", args[1])
    };
    assert_eq!(param.value, ELEMENT);
    let path = body.as_path().expect("a path");
    assert_eq!(path.key(0), Some(ELEMENT));
    assert_eq!(path.key(1), Some("metadata"));
    assert_eq!(path.key(2), Some("name"));
    // Only `xs` is a value of the playbook.
    let paths: Vec<String> = e.paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, vec!["xs"]);
}

#[test]
fn element_paths_print_back_as_written() {
    for src in [
        "map(steps.pods.json.items, .metadata.name)",
        "filter(steps.pods.json.items, .status.ready)",
        "any(xs, .a[0][\"a key\"].b)",
        "count(xs, .in)",
        "map(filter(xs, .ok), .spec.containers[0].image)",
    ] {
        assert_eq!(canon(src), src);
        let e = p(src);
        assert_eq!(
            p(&e.to_string()).without_spans(),
            e.without_spans(),
            "{src}"
        );
    }
    assert_eq!(canon("map( xs , .a.b , )"), "map(xs, .a.b)");
}

#[test]
fn element_paths_are_typed_like_lambdas() {
    assert_eq!(
        type_of("map(steps.cpu.series, .labels.pod)"),
        type_of("map(steps.cpu.series, s => s.labels.pod)")
    );
    assert_eq!(
        type_of("filter(steps.pods.json.items, .ready)"),
        type_of("filter(steps.pods.json.items, t => t.ready)")
    );
    assert_eq!(type_of("any(steps.cpu.series, .ok)"), Type::Bool);
    // A string element has no fields.
    let (d, labels) = one_error("map(steps.health.outputs.tags, .name)");
    assert_eq!(d.code, Code::InvalidPath);
    assert_eq!(d.message, "each element is a string, it has no fields");
    assert_eq!(labels[0].0, "name");
    // Anywhere but the second argument of a list function, it is no value.
    let (_, _, diags) = check_src("len(.a)");
    let d = diags
        .iter()
        .find(|d| d.message == "a `.field` path is not a value on its own")
        .expect("an error");
    assert_eq!(d.code, Code::TypeMismatch);
    assert!(d
        .help
        .as_deref()
        .unwrap_or("")
        .contains("map(steps.pods.items"));
}

#[test]
fn element_paths_evaluate_for_each_element() {
    assert_eq!(
        ev("map(steps.cpu.series, .labels.pod)"),
        json!(["web-1", "web-2", "web-3"])
    );
    assert_eq!(ev("map(steps.api.json.items, .name)"), json!(["a", "b"]));
    assert_eq!(
        ev("map(filter(steps.cpu.series, s => s.value > 40), .labels[\"pod\"])"),
        json!(["web-1", "web-2"])
    );
    assert_eq!(ev("max(steps.cpu.series, .value)"), json!(91.25));
}

#[test]
fn misused_element_paths_are_syntax_errors_with_a_hint() {
    let cases: &[(&str, &str, &str)] = &[
        ("map(xs, .)", "`.` alone is not a path", "."),
        ("map(xs, . name)", "`.` alone is not a path", "."),
        ("map(xs, .[0])", "`.` alone is not a path", "."),
        (
            ".status.ready",
            "a `.field` path stands for each element only as an argument of a list function",
            ".",
        ),
        (
            "x == [.a]",
            "a `.field` path stands for each element only as an argument of a list function",
            ".",
        ),
        (
            "map(xs, .a[inputs.i])",
            "a `.field` path takes only fixed indexes and keys",
            "inputs.i",
        ),
        (
            "filter(xs, .ready && .ok)",
            "expected `,` or `)` after a `.field` path",
            "&&",
        ),
        ("map(xs, .a.)", "expected a name", ")"),
    ];
    for (src, message, at) in cases {
        let (f, d) = parse_err(src);
        assert_eq!(d.code, Code::ExprSyntax, "{src}");
        assert_eq!(&d.message, message, "{src}");
        assert_eq!(&f.slice(d.primary_span()), at, "{src}");
        assert!(d.help.is_some(), "{src}");
    }
}
