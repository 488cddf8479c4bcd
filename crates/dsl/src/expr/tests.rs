//! Tests of the expression language: each operator, precedence, every
//! diagnostic (code, message, span in the file), evaluation with unknowns,
//! coverage, printing, and hostile input.

use super::*;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::Text;
use crate::path::{Path, Segment};
use crate::source::{SourceFile, Span, Spanned};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The expression written as a YAML `when:` value, so spans are file offsets.
pub(super) fn file(src: &str) -> (SourceFile, Text) {
    let prefix = "when: ";
    let file = SourceFile::new("p.yaml", format!("{prefix}{src}\n"));
    let text = Text::verbatim(src, Span::new(prefix.len(), prefix.len() + src.len()));
    (file, text)
}

pub(super) fn p(src: &str) -> Expr {
    let (_, text) = file(src);
    match parse(&text) {
        Ok(e) => e,
        Err(d) => panic!("{src:?} did not parse: {}", d.message),
    }
}

pub(super) fn parse_err(src: &str) -> (SourceFile, Diagnostic) {
    let (f, text) = file(src);
    match parse(&text) {
        Ok(e) => panic!("{src:?} parsed as {e}"),
        Err(d) => (f, d),
    }
}

/// Parse, print canonically.
pub(super) fn canon(src: &str) -> String {
    p(src).to_string()
}

// ---------------------------------------------------------------- parsing

#[test]
fn precedence_and_associativity() {
    assert_eq!(canon("a || b && c"), "a || b && c");
    assert_eq!(canon("(a || b) && c"), "(a || b) && c");
    assert_eq!(canon("1 + 2 * 3"), "1 + 2 * 3");
    assert_eq!(canon("(1 + 2) * 3"), "(1 + 2) * 3");
    assert_eq!(canon("a - b - c"), "a - b - c");
    assert_eq!(canon("a - (b - c)"), "a - (b - c)");
    assert_eq!(canon("a / (b * c) % d"), "a / (b * c) % d");
    assert_eq!(canon("((x))"), "x");
    assert_eq!(canon("-x * y"), "-x * y");
    assert_eq!(canon("-(x * y)"), "-(x * y)");
    assert_eq!(canon("a - -b"), "a - -b");
    assert_eq!(
        canon("x == 1 && y != 2 || z < 3"),
        "x == 1 && y != 2 || z < 3"
    );
    let Expr {
        kind: ExprKind::Binary { op, lhs, .. },
        ..
    } = p("a - b - c")
    else {
        panic!("not binary")
    };
    assert_eq!(op.value, BinaryOp::Sub);
    assert!(matches!(lhs.kind, ExprKind::Binary { .. }), "left-assoc");
}

#[test]
fn not_binds_looser_than_comparisons() {
    // As in Python: `!a == b` is `!(a == b)`.
    let e = p("!a == b");
    let ExprKind::Unary { op, operand } = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(op.value, UnaryOp::Not);
    assert!(matches!(operand.kind, ExprKind::Binary { .. }));
    assert_eq!(canon("!a && b"), "!a && b");
    assert_eq!(canon("!(a && b)"), "!(a && b)");
    assert_eq!(canon("a == (!b)"), "a == (!b)");
    assert_eq!(canon("(!a) == b"), "(!a) == b");
    assert_eq!(canon("!!a"), "!!a");
}

#[test]
fn word_spellings_of_logic() {
    assert_eq!(canon("not a and b or c"), "!a && b || c");
    assert_eq!(canon("x not in [1, 2]"), "x not in [1, 2]");
    assert_eq!(canon("x in ['a', \"b\"]"), r#"x in ["a", "b"]"#);
    assert_eq!(canon("name matches '^a.*$'"), r#"name matches "^a.*$""#);
    // Names that start with a keyword are names.
    assert_eq!(
        canon("order || notice || android || index"),
        "order || notice || android || index"
    );
}

#[test]
fn every_binary_operator_parses() {
    for op in [
        "||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "matches", "+", "-", "*",
        "/", "%",
    ] {
        let src = format!("a {op} b");
        assert_eq!(canon(&src), src);
    }
}

#[test]
fn literals() {
    assert_eq!(p("42").kind, ExprKind::Literal(Literal::Int(42)));
    assert_eq!(p("2.5").kind, ExprKind::Literal(Literal::Float(2.5)));
    assert_eq!(p("1e3").kind, ExprKind::Literal(Literal::Float(1000.0)));
    assert_eq!(p("true").kind, ExprKind::Literal(Literal::Bool(true)));
    assert_eq!(p("false").kind, ExprKind::Literal(Literal::Bool(false)));
    assert_eq!(p("null").kind, ExprKind::Literal(Literal::Null));
    assert_eq!(
        p(r#""a\"b\n\t\\ \u{e9}""#).kind,
        ExprKind::Literal(Literal::String("a\"b\n\t\\ é".into()))
    );
    assert_eq!(
        p(r"'it\'s'").kind,
        ExprKind::Literal(Literal::String("it's".into()))
    );
    assert!(matches!(p("[1, 2,]").kind, ExprKind::List(ref items) if items.len() == 2));
    assert!(matches!(p("[]").kind, ExprKind::List(ref items) if items.is_empty()));
}

#[test]
fn paths_keep_a_span_per_segment() {
    let src = r#"steps.api.json.items[0]["a key"].name"#;
    let (f, text) = file(src);
    let e = parse(&text).unwrap_or_else(|d| panic!("{}", d.message));
    let path = e.as_path().expect("a path");
    let shown: Vec<(&Segment, &str)> = path
        .segments
        .iter()
        .map(|s| (&s.value, f.slice(s.span)))
        .collect();
    assert_eq!(
        shown,
        vec![
            (&Segment::Name("steps".into()), "steps"),
            (&Segment::Name("api".into()), "api"),
            (&Segment::Name("json".into()), "json"),
            (&Segment::Name("items".into()), "items"),
            (&Segment::Index(0), "[0]"),
            (&Segment::Key("a key".into()), r#"["a key"]"#),
            (&Segment::Name("name".into()), "name"),
        ]
    );
    assert_eq!(f.slice(path.span), src);
    assert_eq!(e.to_string(), r#"steps.api.json.items[0]["a key"].name"#);
}

#[test]
fn dynamic_indexes_are_index_nodes() {
    assert!(matches!(p("items[inputs.i]").kind, ExprKind::Index { .. }));
    assert!(matches!(p("lower(x)[0]").kind, ExprKind::Index { .. }));
    assert!(matches!(p("items[-1]").kind, ExprKind::Index { .. }));
    assert_eq!(canon("(a + b)[0]"), "(a + b)[0]");
    assert_eq!(canon("f(x).name"), r#"f(x)["name"]"#);
}

#[test]
fn calls() {
    let e = p("starts_with(inputs.ns, 'kube-')");
    let ExprKind::Call { name, args } = &e.kind else {
        panic!()
    };
    assert_eq!(name.value, "starts_with");
    assert_eq!(args.len(), 2);
    assert_eq!(canon("len( x )"), "len(x)");
    assert_eq!(canon("succeeded(health)"), "succeeded(health)");
}

#[test]
fn minus_never_eats_an_arrow() {
    assert_eq!(canon("x - 1"), "x - 1");
    assert_eq!(canon("x-1"), "x - 1");
    let (f, d) = parse_err("steps.a.ok -> fix");
    assert_eq!(d.code, Code::ExprSyntax);
    assert_eq!(f.slice(d.primary_span()), "->");
    assert!(d.help.as_deref().unwrap_or("").contains("branch case"));
}

#[test]
fn syntax_errors_point_at_the_file() {
    let cases: &[(&str, &str, &str)] = &[
        ("steps.health.status ==", "expected a value", ""),
        (
            "a b",
            "expected an operator or the end of the expression",
            "b",
        ),
        ("(a", "expected an operator or `)`", ""),
        ("len(a", "expected an operator or `,` or `)`", ""),
        ("a && || b", "expected a value", "||"),
        (
            "a = 1",
            "expected an operator or the end of the expression",
            "=",
        ),
        ("steps.", "expected a name", ""),
        (")", "expected a value", ")"),
        ("'abc", "this string is never closed", "'"),
        (r#""a\qb""#, "unknown escape in a string", r"\q"),
        (
            "99999999999999999999",
            "this integer is too large",
            "99999999999999999999",
        ),
        ("   ", "the expression is empty", "   "),
    ];
    for (src, message, at) in cases {
        let (f, d) = parse_err(src);
        assert_eq!(d.code, Code::ExprSyntax, "{src}");
        assert_eq!(&d.message, message, "{src}");
        assert_eq!(&f.slice(d.primary_span()), at, "{src}");
    }
    // At the end: an empty span right after the last character.
    let (_, d) = parse_err("a +");
    assert_eq!(d.primary_span(), Span::at(6 + 3));
}

#[test]
fn spans_follow_the_text_map_into_quoted_yaml() {
    // when: "x == 'a'" written with YAML escapes: value offsets map through runs.
    let text = Text {
        value: "x == +".into(),
        span: Span::new(6, 14),
        map: crate::node::TextMap::Runs(vec![(0, 7)]),
    };
    let d = parse(&text).expect_err("incomplete");
    // `+` is value offset 5, file offset 7 + 5.
    assert_eq!(d.primary_span(), Span::new(12, 13));
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    let (f, d) = parse_err(&deep);
    assert_eq!(d.code, Code::ExprSyntax);
    assert!(d.message.contains("nested"), "{}", d.message);
    assert_eq!(f.slice(d.primary_span()), "(");

    let lists = format!("{}1{}", "[".repeat(70), "]".repeat(70));
    assert!(parse_err(&lists).1.message.contains("nested"));

    let nots = format!("{}x", "!".repeat(100_000));
    assert!(parse_err(&nots).1.message.contains("prefix operators"));
    let negs = format!("{}x", "- ".repeat(10_000));
    assert!(parse_err(&negs).1.message.contains("prefix operators"));

    let chain = vec!["a"; 10_000].join(" || ");
    assert!(parse_err(&chain).1.message.contains("levels deep"));
    let indexes = format!("x{}", "[y]".repeat(10_000));
    assert!(parse_err(&indexes).1.message.contains("levels deep"));
}

#[test]
fn the_deepest_accepted_trees_can_be_walked() {
    let parens = format!(
        "{}x + 1{}",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    let lists = format!(
        "{}1{}",
        "[".repeat(MAX_NESTING - 1),
        "]".repeat(MAX_NESTING - 1)
    );
    let chain = vec!["x == 1"; MAX_DEPTH / 2].join(" || ");
    let nots = format!("{}x", "!".repeat(MAX_NESTING));
    for src in [parens, lists, chain, nots] {
        let e = p(&src);
        let printed = e.to_string();
        assert_eq!(p(&printed).without_spans(), e.without_spans());
        let mut diags = Diagnostics::new();
        check(&e, &mut TestScope::default(), &mut diags);
        let _ = eval(&e, &env());
        let _ = const_eval(&e);
        let _ = enum_coverage(&e);
    }
}

/// A tiny deterministic generator, so the fuzz test needs no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

#[test]
fn fuzz_never_panics_and_printing_round_trips() {
    let pieces = [
        "a",
        "steps.x.status",
        "inputs.n",
        "1",
        "2.5",
        "'s'",
        "\"t\"",
        "true",
        "null",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        "==",
        "!=",
        "<",
        ">=",
        "&&",
        "||",
        "!",
        "not",
        "and",
        "or",
        "in",
        "not in",
        "matches",
        "+",
        "-",
        "*",
        "/",
        "%",
        "len(",
        "default(",
        "succeeded(",
        "->",
        "\\",
        "'",
        "\"",
        "é",
        "\u{0}",
        " ",
        "x[0]",
        "[\"k\"]",
        "1e400",
        "9223372036854775808",
    ];
    let mut rng = Lcg(7);
    let mut parsed = 0;
    for round in 0..20_000 {
        let operands = [
            "a", "x.y[0]", "1", "'s'", "(b)", "[1, c]", "len(d)", "-e", "!f", "null",
        ];
        let operators = [
            "||", "&&", "==", "<", "in", "not in", "matches", "+", "-", "*", "/",
        ];
        let src: String = if round % 2 == 1 {
            // Well-formed chains, to exercise precedence and printing.
            let mut s = rng.pick(&operands).to_string();
            for _ in 0..rng.next() % 6 {
                s = format!("{s} {} {}", rng.pick(&operators), rng.pick(&operands));
                if matches!(rng.next() % 4, 0) {
                    s = format!("({s})");
                }
                if matches!(rng.next() % 5, 0) {
                    s = format!("not {s}");
                }
            }
            s
        } else if round % 4 == 0 {
            // Random bytes, made into a string.
            let bytes: Vec<u8> = (0..rng.next() % 40).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..1 + rng.next() % 12)
                .map(|_| rng.pick(&pieces))
                .collect::<Vec<_>>()
                .join(if round % 3 == 0 { "" } else { " " })
        };
        let text = Text::verbatim(src.as_str(), Span::new(3, 3 + src.len()));
        let Ok(e) = parse(&text) else { continue };
        parsed += 1;
        let printed = e.to_string();
        let again = parse(&Text::verbatim(printed.as_str(), Span::default()))
            .unwrap_or_else(|d| panic!("{src:?} printed as {printed:?}: {}", d.message));
        assert_eq!(
            again.without_spans(),
            e.without_spans(),
            "{src:?} -> {printed:?}"
        );
        let mut diags = Diagnostics::new();
        check(&e, &mut TestScope::default(), &mut diags);
        let _ = eval(&e, &env());
        let _ = const_eval(&e);
        let _ = enum_coverage(&e);
    }
    assert!(parsed > 8000, "only {parsed} inputs parsed");
}

// ---------------------------------------------------------------- checking

/// inputs: namespace (string), replicas (int), env (enum prod/staging);
/// steps: health (status int, body string, outputs.db string, json any),
/// pods (outputs.crashlooping int), kind (answer: workload/platform).
#[derive(Default)]
pub(super) struct TestScope {
    steps_seen: Vec<String>,
}

impl Scope for TestScope {
    fn resolve(&mut self, path: &Path, diags: &mut Diagnostics) -> Type {
        let keys: Vec<&str> = (0..path.len()).map_while(|i| path.key(i)).collect();
        match keys.as_slice() {
            ["inputs", "namespace"] => Type::String,
            ["inputs", "replicas"] => Type::Int,
            ["inputs", "ratio"] => Type::Float,
            ["inputs", "verbose"] => Type::Bool,
            ["inputs", "env"] => Type::Enum(vec!["prod".into(), "staging".into()]),
            ["steps", "health", "status"] => Type::Int,
            ["steps", "health", "body"] => Type::String,
            ["steps", "health", "outputs", "db"] => Type::String,
            ["steps", "health", "outputs", "tags"] => Type::List(Box::new(Type::String)),
            ["steps", "cpu", "series"] => Type::List(Box::new(Type::Map)),
            ["steps", "cpu", "outputs", "loads"] => Type::List(Box::new(Type::Float)),
            ["steps", "pods", "json", ..] => Type::Any,
            ["steps", "health", "json", ..] => Type::Any,
            ["steps", "pods", "outputs", "crashlooping"] => Type::Int,
            ["steps", "kind", "answer"] => Type::Enum(vec!["workload".into(), "platform".into()]),
            _ => {
                diags.push(
                    Diagnostic::error(Code::UnknownInput, format!("unknown `{path}`"))
                        .label(path.span, "unknown"),
                );
                Type::Any
            }
        }
    }

    fn step(&mut self, id: &Spanned<String>, diags: &mut Diagnostics) {
        if ["health", "pods", "kind"].contains(&id.value.as_str()) {
            self.steps_seen.push(id.value.clone());
        } else {
            diags.push(
                Diagnostic::error(Code::UnknownStep, format!("unknown step `{}`", id.value))
                    .label(id.span, "unknown"),
            );
        }
    }
}

pub(super) fn check_src(src: &str) -> (SourceFile, Type, Vec<Diagnostic>) {
    let (f, text) = file(src);
    let e = parse(&text).unwrap_or_else(|d| panic!("{src}: {}", d.message));
    let mut diags = Diagnostics::new();
    let ty = check(&e, &mut TestScope::default(), &mut diags);
    (f, ty, diags.into_iter().collect())
}

pub(super) fn type_of(src: &str) -> Type {
    let (_, ty, diags) = check_src(src);
    assert!(
        diags.is_empty(),
        "{src}: {:?}",
        diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    ty
}

/// The one diagnostic of `src`, with its labels as (text, message).
pub(super) fn one_error(src: &str) -> (Diagnostic, Vec<(String, String)>) {
    let (f, _, diags) = check_src(src);
    assert_eq!(
        diags.len(),
        1,
        "{src}: {:?}",
        diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let d = diags.into_iter().next().expect("one");
    let labels = d
        .labels
        .iter()
        .map(|l| (f.slice(l.span).to_string(), l.message.clone()))
        .collect();
    (d, labels)
}

pub(super) fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn types_of_well_typed_expressions() {
    assert_eq!(
        type_of("steps.health.status == 200 && steps.pods.outputs.crashlooping > 1"),
        Type::Bool
    );
    assert_eq!(type_of("inputs.replicas + 1"), Type::Int);
    assert_eq!(type_of("inputs.replicas * 1.5"), Type::Float);
    assert_eq!(type_of("inputs.replicas / 2"), Type::Float);
    assert_eq!(type_of("inputs.replicas % 2"), Type::Int);
    assert_eq!(type_of("-inputs.replicas"), Type::Int);
    assert_eq!(type_of("inputs.namespace + '-canary'"), Type::String);
    assert_eq!(type_of("[1, 2] + [3]"), Type::List(Box::new(Type::Int)));
    assert_eq!(type_of("[1, 2.5]"), Type::List(Box::new(Type::Float)));
    assert_eq!(type_of("steps.health.status == 200.0"), Type::Bool);
    assert_eq!(type_of("inputs.env == 'prod'"), Type::Bool);
    assert_eq!(type_of("inputs.env in ['prod', 'staging']"), Type::Bool);
    assert_eq!(type_of("'db' in steps.health.outputs.tags"), Type::Bool);
    assert_eq!(type_of("'ok' in steps.health.body"), Type::Bool);
    assert_eq!(type_of("steps.health.body matches '^ok'"), Type::Bool);
    assert_eq!(type_of("inputs.namespace < 'm'"), Type::Bool);
    assert_eq!(
        type_of("steps.health.json.items[0].name == 'x'"),
        Type::Bool
    );
    assert_eq!(type_of("steps.health.json.count + 1"), Type::Any);
    assert_eq!(type_of("steps.health.outputs.db != null"), Type::Bool);
    assert_eq!(type_of("!inputs.verbose"), Type::Bool);
}

#[test]
fn types_of_function_calls() {
    assert_eq!(type_of("len(steps.health.outputs.tags)"), Type::Int);
    assert_eq!(type_of("contains(steps.health.body, 'ok')"), Type::Bool);
    assert_eq!(
        type_of("contains(steps.health.outputs.tags, 'db')"),
        Type::Bool
    );
    assert_eq!(type_of("starts_with(inputs.namespace, 'kube')"), Type::Bool);
    assert_eq!(type_of("ends_with(inputs.namespace, 'prod')"), Type::Bool);
    assert_eq!(type_of("lower(inputs.env)"), Type::String);
    assert_eq!(type_of("upper(inputs.namespace)"), Type::String);
    assert_eq!(type_of("int(steps.health.body)"), Type::Int);
    assert_eq!(type_of("float(inputs.replicas)"), Type::Float);
    assert_eq!(type_of("string(inputs.replicas)"), Type::String);
    assert_eq!(type_of("default(inputs.replicas, 3)"), Type::Int);
    assert_eq!(type_of("default(steps.health.json.n, 3)"), Type::Any);
    assert_eq!(
        type_of("succeeded(health) || failed(steps.pods) || skipped(kind)"),
        Type::Bool
    );
}

#[test]
fn step_functions_name_steps_through_the_scope() {
    let (_, text) = file("succeeded(health) && failed(steps.pods)");
    let e = parse(&text).expect("parses");
    let mut scope = TestScope::default();
    let mut diags = Diagnostics::new();
    check(&e, &mut scope, &mut diags);
    assert!(diags.is_empty());
    assert_eq!(scope.steps_seen, vec!["health", "pods"]);

    let (d, l) = one_error("succeeded(helth)");
    assert_eq!(d.code, Code::UnknownStep);
    assert_eq!(l, labels(&[("helth", "unknown")]));

    let (d, l) = one_error("succeeded('health')");
    assert_eq!(d.code, Code::InvalidPath);
    assert_eq!(d.message, "`succeeded` takes a step id");
    assert_eq!(l, labels(&[("'health'", "not a step id")]));
}

#[test]
fn comparing_a_number_with_a_string_explains_the_fix() {
    let (d, l) = one_error(r#"steps.health.status == "200""#);
    assert_eq!(d.code, Code::TypeMismatch);
    assert_eq!(
        d.message,
        "`==` compares an integer with a string, which are never equal"
    );
    assert_eq!(
        l,
        labels(&[
            ("steps.health.status", "this is an integer"),
            (r#""200""#, "this is a string"),
        ])
    );
    assert_eq!(
        d.help.as_deref(),
        Some(r#"compare with a number: `200` instead of `"200"`"#)
    );

    let (d, _) = one_error("steps.health.body == 200");
    assert_eq!(
        d.help.as_deref(),
        Some(
            "convert the value to a number: `int(steps.health.body)`, or declare the output it reads with `type: int`"
        )
    );

    let (d, _) = one_error("steps.health.body > inputs.replicas");
    assert_eq!(
        d.message,
        "`>` orders two numbers or two strings, not a string and an integer"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("convert the text to a number: `int(steps.health.body)`")
    );
}

#[test]
fn logic_needs_booleans() {
    let (d, l) = one_error("steps.health.status && inputs.verbose");
    assert_eq!(d.code, Code::TypeMismatch);
    assert_eq!(d.message, "`&&` needs booleans, this is an integer");
    assert_eq!(l, labels(&[("steps.health.status", "this is an integer")]));

    let (d, l) = one_error("inputs.namespace || 1");
    assert_eq!(l.len(), 2, "both operands are labelled: {l:?}");
    assert!(d.message.starts_with("`||` needs booleans"));

    let (d, l) = one_error("!inputs.replicas");
    assert_eq!(d.message, "`!` needs a boolean, this is an integer");
    assert_eq!(l, labels(&[("inputs.replicas", "this is an integer")]));
}

#[test]
fn arithmetic_needs_numbers() {
    let (d, l) = one_error("steps.health.body * 2");
    assert_eq!(d.message, "`*` needs numbers, this is a string");
    assert_eq!(l, labels(&[("steps.health.body", "this is a string")]));
    assert_eq!(
        d.help.as_deref(),
        Some("convert it to a number: `int(steps.health.body)`")
    );

    let (d, _) = one_error("inputs.namespace + 1");
    assert_eq!(d.message, "`+` cannot combine a string and an integer");
    assert_eq!(
        d.help.as_deref(),
        Some("to join text with another value, convert it: `string(...)`")
    );

    let (d, _) = one_error("-inputs.namespace");
    assert_eq!(d.message, "`-` needs a number, this is a string");
}

#[test]
fn membership_and_matches_check_their_operands() {
    let (d, _) = one_error("1 in steps.health.outputs.tags");
    assert_eq!(
        d.message,
        "`in` looks for an integer in a list of strings, which never holds it"
    );
    let (d, l) = one_error("1 in inputs.replicas");
    assert_eq!(
        d.message,
        "`in` needs a list, a string or a mapping on its right, this is an integer"
    );
    assert_eq!(l, labels(&[("inputs.replicas", "this is an integer")]));
    let (d, _) = one_error("inputs.replicas matches 'a'");
    assert_eq!(d.message, "`matches` needs strings, this is an integer");
}

#[test]
fn invalid_regex_literal_is_reported_at_check_time() {
    let (d, l) = one_error("steps.health.body matches '(unclosed'");
    assert_eq!(d.code, Code::InvalidRegex);
    assert_eq!(d.message, "this regular expression does not compile");
    assert_eq!(l, labels(&[("'(unclosed'", "not a valid regex")]));
    assert!(
        d.help.as_deref().unwrap_or("").contains("unclosed group"),
        "{:?}",
        d.help
    );
}

#[test]
fn unknown_choice_suggests_the_close_one() {
    let (d, l) = one_error("steps.kind.answer == 'wokload'");
    assert_eq!(d.code, Code::UnknownChoice);
    assert_eq!(d.message, "`steps.kind.answer` is never `wokload`");
    assert_eq!(
        l,
        labels(&[
            ("'wokload'", "not one of the choices"),
            ("steps.kind.answer", "this is one of `workload`, `platform`"),
        ])
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `workload`?"));

    let (d, l) = one_error("inputs.env in ['prod', 'qa']");
    assert_eq!(d.code, Code::UnknownChoice);
    assert_eq!(
        l[0],
        ("'qa'".to_string(), "not one of the choices".to_string())
    );
    assert_eq!(
        d.help.as_deref(),
        Some("the choices are: `prod`, `staging`")
    );

    // Reversed operands too.
    assert_eq!(
        one_error("'plat' != steps.kind.answer").0.code,
        Code::UnknownChoice
    );
}

#[test]
fn unknown_function_and_wrong_arity() {
    let (d, l) = one_error("lenght(steps.health.body) > 1");
    assert_eq!(d.code, Code::UnknownFunction);
    assert_eq!(d.message, "there is no function `lenght`");
    assert_eq!(l, labels(&[("lenght", "unknown function")]));
    assert_eq!(d.help.as_deref(), Some("did you mean `len`?"));

    let (d, l) = one_error("contains(steps.health.body)");
    assert_eq!(d.code, Code::WrongArity);
    assert_eq!(d.message, "`contains` takes 2 arguments, but 1 was given");
    assert_eq!(
        l,
        labels(&[("contains(steps.health.body)", "missing arguments")])
    );
    assert_eq!(
        d.help.as_deref(),
        Some("call it as `contains(haystack, needle)`")
    );

    let (d, l) = one_error("len(inputs.namespace, 1, 2)");
    assert_eq!(d.message, "`len` takes 1 argument, but 3 were given");
    assert_eq!(l, labels(&[("1, 2", "extra arguments")]));
}

#[test]
fn function_arguments_are_typed() {
    let (d, l) = one_error("lower(inputs.replicas)");
    assert_eq!(d.message, "`lower` needs strings, this is an integer");
    assert_eq!(l, labels(&[("inputs.replicas", "this is an integer")]));
    let (d, _) = one_error("len(inputs.replicas)");
    assert_eq!(
        d.message,
        "`len` needs a string, a list or a mapping, this is an integer"
    );
    let (d, _) = one_error("default(inputs.replicas, 'x')");
    assert_eq!(
        d.message,
        "the fallback of `default` is a string, but the value is an integer"
    );
}

#[test]
fn unknown_names_do_not_cascade() {
    let (f, _, diags) = check_src("steps.nope.status == 'x' && inputs.nope + 1 > 2");
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::UnknownInput, Code::UnknownInput]);
    assert_eq!(f.slice(diags[0].primary_span()), "steps.nope.status");
}

#[test]
fn check_bool_requires_a_condition() {
    let (_, text) = file("steps.health.status");
    let e = parse(&text).expect("parses");
    let mut diags = Diagnostics::new();
    let ty = check_bool(&e, &mut TestScope::default(), &mut diags, "a `when` guard");
    assert_eq!(ty, Type::Int);
    let d: Vec<Diagnostic> = diags.into_iter().collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::TypeMismatch);
    assert_eq!(
        d[0].message,
        "a `when` guard must be a boolean, this is an integer"
    );
    assert_eq!(
        d[0].help.as_deref(),
        Some("write a condition, such as `steps.health.status > 0`")
    );
    let (_, text) = file("steps.health.status == 1");
    let mut diags = Diagnostics::new();
    check_bool(
        &parse(&text).expect("parses"),
        &mut TestScope::default(),
        &mut diags,
        "x",
    );
    assert!(diags.is_empty());
}

// ---------------------------------------------------------------- coverage

#[test]
fn coverage_of_choice_cases() {
    let (path, values) = enum_coverage(&p("steps.kind.answer == 'workload'")).expect("covers");
    assert_eq!(path.to_string(), "steps.kind.answer");
    assert_eq!(values, vec!["workload"]);
    let (_, values) = enum_coverage(&p("'platform' == steps.kind.answer")).expect("covers");
    assert_eq!(values, vec!["platform"]);
    let (_, values) = enum_coverage(&p(
        "inputs.env in ['prod', 'qa'] || inputs.env == 'dev' || inputs.env == 'prod'",
    ))
    .expect("covers");
    assert_eq!(values, vec!["prod", "qa", "dev"]);
    assert_eq!(
        enum_coverage(&p("inputs.env == 'a' || inputs.other == 'b'")),
        None
    );
    assert_eq!(enum_coverage(&p("inputs.env == 'a' && x")), None);
    assert_eq!(enum_coverage(&p("inputs.env != 'a'")), None);
    assert_eq!(enum_coverage(&p("inputs.env == inputs.x")), None);
    assert_eq!(enum_coverage(&p("inputs.env in [inputs.x]")), None);
}

// ---------------------------------------------------------------- evaluation

pub(super) fn env() -> JsonEnv {
    JsonEnv {
        root: json!({
            "inputs": {"namespace": "prod", "replicas": 3, "ratio": 0.5, "verbose": true, "nothing": null},
            "steps": {
                "health": {"status": 200, "body": "ok: db up", "outputs": {"tags": ["db", "api"]}},
                "cpu": {"series": [
                    {"labels": {"pod": "web-1"}, "value": 42.5},
                    {"labels": {"pod": "web-2"}, "value": 91.25},
                    {"labels": {"pod": "web-3"}, "value": 7}
                ], "outputs": {"loads": [0.5, 1.5, 1]}},
                "api": {"json": {"items": [{"name": "a"}, {"name": "b"}], "labels": {"app": "web"}}}
            }
        }),
        states: HashMap::from([
            ("health".to_string(), StepOutcome::Succeeded),
            ("pods".to_string(), StepOutcome::Failed),
            ("kind".to_string(), StepOutcome::Skipped),
        ]),
    }
}

pub(super) fn ev(src: &str) -> Value {
    match eval(&p(src), &env()) {
        Ok(Outcome::Known(v)) => v,
        other => panic!("{src}: {other:?}"),
    }
}

pub(super) fn ev_err(src: &str) -> (String, String) {
    let (f, text) = file(src);
    let e = parse(&text).expect("parses");
    match eval(&e, &env()) {
        Err(err) => (err.message, f.slice(err.span).to_string()),
        Ok(v) => panic!("{src}: {v:?}"),
    }
}

#[test]
fn evaluates_every_operator() {
    let cases: &[(&str, Value)] = &[
        ("steps.health.status == 200", json!(true)),
        ("steps.health.status == 200.0", json!(true)),
        ("steps.health.status != 200", json!(false)),
        ("inputs.replicas < 4", json!(true)),
        ("inputs.replicas <= 3", json!(true)),
        ("inputs.replicas > 3", json!(false)),
        ("inputs.replicas >= 3.5", json!(false)),
        ("'a' < 'b'", json!(true)),
        ("'db' in steps.health.outputs.tags", json!(true)),
        ("'x' not in steps.health.outputs.tags", json!(true)),
        ("'db up' in steps.health.body", json!(true)),
        ("'app' in steps.api.json.labels", json!(true)),
        ("steps.health.body matches '^ok: \\\\w+'", json!(true)),
        ("1 + 2 * 3", json!(7)),
        ("(1 + 2) * 3", json!(9)),
        ("7 - 2 - 1", json!(4)),
        ("7 / 2", json!(3.5)),
        ("7 % 3", json!(1)),
        ("7.5 % 2", json!(1.5)),
        ("1 + 0.5", json!(1.5)),
        ("-inputs.replicas", json!(-3)),
        ("'a' + 'b'", json!("ab")),
        ("[1] + [2]", json!([1, 2])),
        ("!inputs.verbose", json!(false)),
        ("not inputs.verbose or true", json!(true)),
        ("true && false", json!(false)),
        ("false || true", json!(true)),
        ("steps.api.json.items[1].name", json!("b")),
        ("steps.api.json.items[inputs.replicas - 2].name", json!("b")),
        ("[10, 20][1]", json!(20)),
        ("[1, 2] == [1, 2.0]", json!(true)),
        ("inputs.nothing == null", json!(true)),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn evaluates_every_function() {
    let cases: &[(&str, Value)] = &[
        ("len(steps.health.outputs.tags)", json!(2)),
        ("len('héllo')", json!(5)),
        ("len(steps.api.json.labels)", json!(1)),
        ("contains(steps.health.body, 'db')", json!(true)),
        ("contains(steps.health.outputs.tags, 'x')", json!(false)),
        ("starts_with(inputs.namespace, 'pr')", json!(true)),
        ("ends_with(inputs.namespace, 'x')", json!(false)),
        ("lower('AbC')", json!("abc")),
        ("upper('AbC')", json!("ABC")),
        ("int(' 42 ')", json!(42)),
        ("int('2.9')", json!(2)),
        ("int(-2.9)", json!(-2)),
        ("int(true)", json!(1)),
        ("float('1.5')", json!(1.5)),
        ("float(2)", json!(2.0)),
        ("string(42)", json!("42")),
        ("string([1])", json!("[1]")),
        ("default(steps.health.outputs.missing, 'x')", json!("x")),
        ("default(inputs.nothing, 5)", json!(5)),
        ("default(inputs.replicas, 5)", json!(3)),
        (
            "default(steps.api.json.items[9].name, 'none')",
            json!("none"),
        ),
        ("succeeded(health)", json!(true)),
        ("failed(steps.pods)", json!(true)),
        ("skipped(kind)", json!(true)),
        ("succeeded(kind)", json!(false)),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn runtime_errors_point_at_the_culprit() {
    let cases: &[(&str, &str, &str)] = &[
        ("1 / 0", "division by zero", "1 / 0"),
        ("1 % 0", "division by zero", "1 % 0"),
        ("1.5 / 0.0", "division by zero", "1.5 / 0.0"),
        (
            "9223372036854775807 + 1",
            "integer overflow",
            "9223372036854775807 + 1",
        ),
        (
            "steps.health.outputs.missing == 1",
            "`steps.health.outputs.missing` has no value",
            "steps.health.outputs.missing",
        ),
        (
            "steps.api.json.items[5].name",
            "`steps.api.json.items[5].name` has no value",
            "steps.api.json.items[5].name",
        ),
        (
            "inputs.replicas && true",
            "`&&` needs a boolean, found an integer (3)",
            "inputs.replicas",
        ),
        (
            "'a' < 1",
            "`<` cannot combine a string (\"a\") and an integer (1)",
            "'a' < 1",
        ),
        (
            "int('abc')",
            "`int` needs a number or numeric text, found a string (\"abc\")",
            "'abc'",
        ),
        ("'a' matches '('", "invalid regular expression", "'('"),
        ("succeeded(1)", "expected a step id", "1"),
    ];
    for (src, message, at) in cases {
        let (m, s) = ev_err(src);
        assert!(m.starts_with(message), "{src}: {m}");
        assert_eq!(&s, at, "{src}");
    }
}

/// Every path unknown, `health` succeeded, other steps not finished.
struct Symbolic;

impl Env for Symbolic {
    fn lookup(&self, _: &Path) -> Lookup {
        Lookup::Unknown
    }
    fn step_state(&self, id: &str) -> Option<StepOutcome> {
        (id == "health").then_some(StepOutcome::Succeeded)
    }
}

#[test]
fn three_valued_logic() {
    let cases: &[(&str, Option<bool>)] = &[
        ("false && x", Some(false)),
        ("x && false", Some(false)),
        ("true && x", None),
        ("x && true", None),
        ("true || x", Some(true)),
        ("x || true", Some(true)),
        ("false || x", None),
        ("!x", None),
        ("x == 1", None),
        ("succeeded(health) || x", Some(true)),
        ("failed(health) && x", Some(false)),
        ("succeeded(pods)", None),
        ("x in [1, 2]", None),
        ("1 in [1, x]", None),
        ("default(x, 1) == 1", None),
        // Short-circuit: the error on the right is never reached.
        ("false && 1 / 0 == 1", Some(false)),
    ];
    for (src, want) in cases {
        let got = eval(&p(src), &Symbolic).unwrap_or_else(|e| panic!("{src}: {e}"));
        match want {
            Some(b) => assert_eq!(got, Outcome::Known(json!(b)), "{src}"),
            None => assert_eq!(got, Outcome::Unknown, "{src}"),
        }
    }
}

#[test]
fn const_eval_finds_constant_cases() {
    assert_eq!(const_eval(&p("1 + 1 == 2")), Some(json!(true)));
    assert_eq!(const_eval(&p("'a' in ['a', 'b']")), Some(json!(true)));
    assert_eq!(const_eval(&p("false && steps.x.ok")), Some(json!(false)));
    assert_eq!(const_eval(&p("steps.x.ok || true")), Some(json!(true)));
    assert_eq!(const_eval(&p("steps.x.ok")), None);
    assert_eq!(const_eval(&p("succeeded(x)")), None);
    assert_eq!(const_eval(&p("1 / 0 == 1")), None);
}

#[test]
fn printing_round_trips_a_corpus() {
    let corpus = [
        "steps.health.status == 200 && steps.pods.outputs.crashlooping > 1",
        "!(a || b) && -(1 + 2) * 3 % 4 / 5 >= 6",
        r#"x["k"][0].y in [1, 2.5, "s", 'q', true, false, null]"#,
        "a matches \"^\\\\d+$\" || b not in c",
        "default(steps.x.outputs.y, \"none\") != lower(inputs.z)",
        "- - 1 - -1",
        "(!a) == b",
        "'\\u{1F600}\\0\\r' + \"\\\"\"",
        "1e300 + 0.1 + 2.0",
    ];
    for src in corpus {
        let e = p(src);
        let printed = e.to_string();
        assert_eq!(
            p(&printed).without_spans(),
            e.without_spans(),
            "{src} -> {printed}"
        );
        assert_eq!(p(&printed).to_string(), printed, "printing is stable");
    }
}

#[test]
fn a_type_mismatch_renders_for_people() {
    let (f, _, diags) = check_src(r#"steps.health.status == "200""#);
    let rendered = crate::diagnostic::render(&f, &diags, crate::diagnostic::RenderStyle::Plain);
    let expected = [
        "runbook::type_mismatch",
        "× `==` compares an integer with a string, which are never equal",
        "[p.yaml:1:7]",
        "1 │ when: steps.health.status == \"200\"",
        "this is an integer",
        "this is a string",
        "help: compare with a number: `200` instead of `\"200\"`",
    ];
    for line in expected {
        assert!(rendered.contains(line), "{line:?} not in\n{rendered}");
    }
}
