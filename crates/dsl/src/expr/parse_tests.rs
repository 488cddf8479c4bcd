//! Tests of the hand-written expression parser (`lex.rs`, `parse.rs`,
//! `parse_error.rs`): precedence and associativity, every literal form, the
//! span of every kind of node, and hostile input, where every error must
//! carry a code, a span inside the expression and a hint.

use super::tests::{canon, file, p, parse_err};
use super::*;
use crate::code::Code;
use crate::path::Segment;

/// The source text of every node's span, outermost first.
fn spans(src: &str) -> Vec<String> {
    let (f, text) = file(src);
    let e = parse(&text).unwrap_or_else(|d| panic!("{src}: {}", d.message));
    let mut out = Vec::new();
    let mut stack = vec![&e];
    while let Some(e) = stack.pop() {
        out.push(f.slice(e.span).to_string());
        stack.extend(e.children().into_iter().rev());
    }
    out
}

/// The tree with explicit parentheses around every operation.
fn tree(src: &str) -> String {
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", show(lhs), op.value.symbol(), show(rhs))
            }
            ExprKind::Unary { op, operand } => format!("({}{})", op.value.symbol(), show(operand)),
            _ => e.to_string(),
        }
    }
    show(&p(src))
}

#[test]
fn every_precedence_level_in_order() {
    assert_eq!(tree("a || b && c"), "(a || (b && c))");
    assert_eq!(tree("a && b || c"), "((a && b) || c)");
    assert_eq!(tree("!a && b"), "((!a) && b)");
    assert_eq!(tree("!a == b"), "(!(a == b))");
    assert_eq!(tree("a == b + c"), "(a == (b + c))");
    assert_eq!(tree("a + b * c"), "(a + (b * c))");
    assert_eq!(tree("a * -b"), "(a * (-b))");
    assert_eq!(tree("-a.b"), "(-a.b)");
    assert_eq!(tree("a < b == c"), "((a < b) == c)");
    assert_eq!(
        tree("x in xs && y not in ys"),
        "((x in xs) && (y not in ys))"
    );
    assert_eq!(tree("s matches \"a\" || t"), "((s matches \"a\") || t)");
    assert_eq!(tree("not a or b and c"), "((!a) || (b && c))");
}

#[test]
fn binary_operators_associate_to_the_left() {
    assert_eq!(tree("a - b - c"), "((a - b) - c)");
    assert_eq!(tree("a / b * c % d"), "(((a / b) * c) % d)");
    assert_eq!(tree("a || b || c"), "((a || b) || c)");
    assert_eq!(tree("a == b != c"), "((a == b) != c)");
    assert_eq!(tree("a - (b - c)"), "(a - (b - c))");
    // Prefix operators nest to the right.
    assert_eq!(tree("!!a"), "(!(!a))");
    assert_eq!(tree("- -a"), "(-(-a))");
    assert_eq!(tree("!-a"), "(!(-a))");
}

#[test]
fn every_literal_form() {
    let lit = |src: &str| p(src).kind;
    let int = |i| ExprKind::Literal(Literal::Int(i));
    let float = |f| ExprKind::Literal(Literal::Float(f));
    let string = |s: &str| ExprKind::Literal(Literal::String(s.into()));
    assert_eq!(lit("0"), int(0));
    assert_eq!(lit("007"), int(7));
    assert_eq!(lit("9223372036854775807"), int(i64::MAX));
    assert_eq!(lit("1.5"), float(1.5));
    assert_eq!(lit("1e3"), float(1000.0));
    assert_eq!(lit("2.5E-3"), float(0.0025));
    assert_eq!(lit("1e+2"), float(100.0));
    assert_eq!(tree("-9223372036854775807"), "(-9223372036854775807)");
    // `1.x` is the integer 1 and a field; `1e` is 1 and then a stray name.
    assert_eq!(canon("1.x"), "1[\"x\"]");
    assert_eq!(
        parse_err("1e").1.message,
        "expected an operator or the end of the expression"
    );
    assert_eq!(lit("\"\""), string(""));
    assert_eq!(lit("''"), string(""));
    assert_eq!(lit(r#""\n\t\r\0\\\"\'\/""#), string("\n\t\r\0\\\"'/"));
    assert_eq!(lit(r"'say \'hi\''"), string("say 'hi'"));
    assert_eq!(lit(r#""\u{48}\u{1F600}""#), string("H\u{1F600}"));
    assert_eq!(lit("\"é ü 日本\""), string("é ü 日本"));
    assert_eq!(lit("\"two\nlines\""), string("two\nlines"));
    assert_eq!(
        lit("\"$(rm -rf /) `id` # ../\""),
        string("$(rm -rf /) `id` # ../")
    );
    assert_eq!(lit("true"), ExprKind::Literal(Literal::Bool(true)));
    assert_eq!(lit("false"), ExprKind::Literal(Literal::Bool(false)));
    assert_eq!(lit("null"), ExprKind::Literal(Literal::Null));
    // Names that start with a keyword are names.
    assert!(matches!(lit("trueish"), ExprKind::Path(_)));
    assert!(matches!(lit("null_count"), ExprKind::Path(_)));
    assert_eq!(canon("[1, [2, 'x'], [],]"), "[1, [2, \"x\"], []]");
    // Durations are written with `duration`, checked as a literal.
    assert_eq!(
        canon("duration( \"1h30m\" ) * 2"),
        "duration(\"1h30m\") * 2"
    );
}

#[test]
fn calls_lambdas_indexes_and_fields() {
    assert_eq!(canon("f()"), "f()");
    assert_eq!(canon("f(a, b,)"), "f(a, b)");
    assert_eq!(canon("len (x)"), "len(x)");
    assert_eq!(canon("any(xs,x=>x.ok)"), "any(xs, x => x.ok)");
    assert_eq!(
        canon("any(xs, x => any(ys, y => y == x.name))"),
        "any(xs, x => any(ys, y => y == x.name))"
    );
    assert_eq!(canon("a.in.not.true"), "a.in.not.true");
    assert_eq!(canon("xs[0][\"a b\"].c"), "xs[0][\"a b\"].c");
    assert_eq!(canon("xs[ 1 + 1 ]"), "xs[1 + 1]");
    assert_eq!(canon("(xs)[0]"), "xs[0]");
    assert_eq!(canon("[1, 2][0]"), "[1, 2][0]");
    assert_eq!(canon("lower(x).y[0]"), "lower(x)[\"y\"][0]");
    let e = p("steps.a.json.items[0].name");
    let path = e.as_path().expect("a path");
    assert_eq!(path.segments[4].value, Segment::Index(0));
    // `.` and `[` must follow their value directly.
    assert_eq!(
        parse_err("a .b").1.message,
        "expected an operator or the end of the expression"
    );
    assert_eq!(
        parse_err("a [0]").1.message,
        "expected an operator or the end of the expression"
    );
}

#[test]
fn every_node_spans_its_own_characters() {
    assert_eq!(
        spans("!(a.b == 'x') || f(1, y => y[0])"),
        vec![
            "!(a.b == 'x') || f(1, y => y[0])",
            "!(a.b == 'x')",
            "(a.b == 'x')",
            "a.b",
            "'x'",
            "f(1, y => y[0])",
            "1",
            "y => y[0]",
            "y[0]",
        ]
    );
    assert_eq!(
        spans("x not  in [1]"),
        vec!["x not  in [1]", "x", "[1]", "1"]
    );
    let (f, text) = file("x not  in [1]");
    let ExprKind::Binary { op, .. } = parse(&text).expect("parses").kind else {
        panic!("not binary")
    };
    assert_eq!(f.slice(op.span), "not  in");
}

#[test]
fn syntax_errors_say_what_was_expected_and_where() {
    let cases: &[(&str, &str, &str)] = &[
        ("[1 2]", "expected an operator or `,` or `]`", "2"),
        ("xs[1", "expected an operator or `]`", ""),
        ("f(a b)", "expected an operator or `,` or `)`", "b"),
        ("f(,)", "expected a value", ","),
        ("a ==", "expected a value", ""),
        ("a === b", "expected a value", "="),
        (
            "a & b",
            "expected an operator or the end of the expression",
            "&",
        ),
        (
            "a | b",
            "expected an operator or the end of the expression",
            "|",
        ),
        (
            "x => x",
            "expected an operator or the end of the expression",
            "=>",
        ),
        ("a.1", "expected a name", "1"),
        ("a. b", "expected a name", "b"),
        ("$x", "expected a value", "$"),
        ("`id`", "expected a value", "`"),
        (
            "a # comment",
            "expected an operator or the end of the expression",
            "#",
        ),
        ("é", "expected a value", "é"),
        (".5", "expected a value", "."),
        ("and", "expected a value", "and"),
        (
            "\"a\" \"b\"",
            "expected an operator or the end of the expression",
            "\"b\"",
        ),
        ("\"abc", "this string is never closed", "\""),
        ("'a\\'", "this string is never closed", "'"),
        (
            "\"\\u{110000}\"",
            "unknown escape in a string",
            "\\u{110000}",
        ),
        ("\"\\u{zz}\"", "unknown escape in a string", "\\u{zz}"),
        ("1e999", "this number is too large", "1e999"),
        (
            "-99999999999999999999",
            "this integer is too large",
            "99999999999999999999",
        ),
    ];
    for (src, message, at) in cases {
        let (f, d) = parse_err(src);
        assert_eq!(d.code, Code::ExprSyntax, "{src}");
        assert_eq!(&d.message, message, "{src}");
        assert_eq!(&f.slice(d.primary_span()), at, "{src}");
        assert!(d.help.is_some(), "{src}: no hint");
    }
    // An unclosed bracket also points at where it was opened.
    let (f, d) = parse_err("f(a, (b");
    let shown: Vec<&str> = d.labels.iter().map(|l| f.slice(l.span)).collect();
    assert_eq!(shown, vec!["", "("]);
    assert_eq!(d.help.as_deref(), Some("close it with `)`"));
    // A missing operand is blamed on the operator that needs it.
    let (f, d) = parse_err("steps.health.status == && true");
    assert_eq!(f.slice(d.primary_span()), "&&");
    assert_eq!(
        d.help.as_deref(),
        Some("`==` needs a value after it, not `&&`")
    );
    let (_, d) = parse_err("&& a");
    assert_eq!(d.help.as_deref(), Some("`&&` needs a value on each side"));
    let (_, d) = parse_err("a = 1");
    assert_eq!(d.help.as_deref(), Some("compare with `==`"));
}

#[test]
fn hostile_input_is_an_error_never_a_panic() {
    let deep_parens = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    let deep_lists = "[".repeat(100_000);
    let deep_calls = "f(".repeat(100_000);
    let deep_lambdas = "f(x => ".repeat(100_000);
    let nots = "not ".repeat(100_000) + "x";
    let long_chain = vec!["a"; 100_000].join(" + ");
    let long_path = format!("a{}", ".b".repeat(100_000));
    let many_strings = "'".repeat(100_001);
    let huge_number = "9".repeat(100_000);
    let huge_float = format!("{}.5", "9".repeat(400));
    for src in [
        deep_parens.as_str(),
        &deep_lists,
        &deep_calls,
        &deep_lambdas,
        &nots,
        &long_chain,
        &many_strings,
        &huge_number,
        &huge_float,
        "\u{0}",
        "\u{feff}x",
        "a\u{2028}b",
        "x ==\t\r\n",
        "\"\\",
        "'\\u{",
        "\"\\u{1F600\"",
        ")(",
        "]",
        "f(x =>)",
        "f(=> x)",
        "f(x => y => z)",
        "...",
        "a..b",
        "a[]",
        "->",
        "not",
        "not in x",
        "x not",
    ] {
        let (text_file, text) = file(src);
        if let Err(d) = parse(&text) {
            let span = d.primary_span();
            assert!(
                span.start >= text.span.start && span.end <= text.span.end,
                "{src:.40}: span {span:?} outside {:?}",
                text.span
            );
            assert!(text_file.text().is_char_boundary(span.start), "{src:.40}");
            assert!(d.help.is_some(), "{src:.40}: {} has no hint", d.message);
        }
    }
    // A path of any length is flat, so it parses.
    assert_eq!(p(&long_path).as_path().map(|p| p.len()), Some(100_001));
}
