//! Tests of the list, text, number and time functions and of lambdas:
//! parsing and printing, types and diagnostics (code, message, span),
//! evaluation, unknowns, durations.

use super::tests::{canon, check_src, env, ev, ev_err, labels, one_error, p, parse_err, type_of};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn lambdas_parse_print_and_round_trip() {
    assert_eq!(
        canon("any(steps.cpu.series, s=>s.value>80)"),
        "any(steps.cpu.series, s => s.value > 80)"
    );
    assert_eq!(
        canon("map(filter(xs, x => x.ready && x.age > 1), x => x.name)"),
        "map(filter(xs, x => x.ready && x.age > 1), x => x.name)"
    );
    for src in [
        "count(xs, x => !x.ok || x.n == 2)",
        "sum(xs, x => x.a * 2)",
        "max(xs, x => -x.v)",
    ] {
        let e = p(src);
        let again = p(&e.to_string());
        assert_eq!(e.without_spans(), again.without_spans(), "{src}");
    }
    let e = p("any(xs, x => x.ready)");
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Lambda { param, body } = &args[1].kind else {
        panic!("{:?}", args[1])
    };
    assert_eq!(param.value, "x");
    assert_eq!(body.to_string(), "x.ready");
    // The parameter is not a value of the playbook.
    let paths: Vec<String> = e.paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, vec!["xs"]);
    // `=>` outside a call is a syntax error, and a keyword is not a parameter.
    let (_, d) = parse_err("x => x");
    assert_eq!(d.code, Code::ExprSyntax);
    let (_, d) = parse_err("any(xs, true => x)");
    assert_eq!(d.code, Code::ExprSyntax);
}

#[test]
fn types_of_the_new_functions() {
    assert_eq!(
        type_of("any(steps.cpu.series, s => s.value > 80)"),
        Type::Bool
    );
    assert_eq!(
        type_of("all(steps.health.outputs.tags, t => t != \"\")"),
        Type::Bool
    );
    assert_eq!(type_of("count(steps.health.outputs.tags)"), Type::Int);
    assert_eq!(type_of("max(steps.cpu.outputs.loads)"), Type::Float);
    assert_eq!(type_of("max(steps.cpu.series, s => s.value)"), Type::Any);
    assert_eq!(type_of("sum([1, 2, 3])"), Type::Int);
    assert_eq!(
        type_of("filter(steps.health.outputs.tags, t => starts_with(t, \"d\"))"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(
        type_of("map(steps.health.outputs.tags, t => len(t))"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(
        type_of("join(steps.health.outputs.tags, \", \")"),
        Type::String
    );
    assert_eq!(
        type_of("split(inputs.namespace, \"-\")"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(type_of("round(inputs.ratio)"), Type::Int);
    assert_eq!(type_of("round(inputs.ratio, 2)"), Type::Float);
    assert_eq!(type_of("format(inputs.ratio * 100, 1)"), Type::String);
    assert_eq!(type_of("format(duration(\"90s\"))"), Type::String);
    assert_eq!(type_of("now()"), Type::String);
    assert_eq!(type_of("from_now(duration(\"2h\"))"), Type::String);
    assert_eq!(type_of("age(now())"), Type::Duration);
    assert_eq!(type_of("duration(\"5m\") * 2"), Type::Duration);
    assert_eq!(type_of("duration(\"5m\") / duration(\"1m\")"), Type::Float);
    assert_eq!(type_of("age(now()) > duration(\"1h\")"), Type::Bool);
    assert_eq!(
        type_of("sum([duration(\"1m\"), duration(\"30s\")])"),
        Type::Duration
    );
    // Nested lambdas see both parameters.
    assert_eq!(
        type_of("any(steps.cpu.series, s => any(steps.health.outputs.tags, t => t == s.name))"),
        Type::Bool
    );
}

#[test]
fn wrong_argument_counts_and_types_are_diagnostics_with_spans() {
    let (d, l) = one_error("any(steps.cpu.series, s => s.value > 80, 3)");
    assert_eq!(d.code, Code::WrongArity);
    assert_eq!(d.message, "`any` takes 1 or 2 arguments, but 3 were given");
    assert_eq!(l, labels(&[("3", "extra arguments")]));

    let (d, _) = one_error("now(1)");
    assert_eq!(d.message, "`now` takes no arguments, but 1 was given");

    let (d, l) = one_error("filter(steps.cpu.series, 3)");
    assert_eq!(d.code, Code::TypeMismatch);
    assert_eq!(
        d.message,
        "the second argument of `filter` is a lambda, this is an integer"
    );
    assert_eq!(l, labels(&[("3", "this is an integer")]));

    let (d, l) = one_error("any(inputs.namespace, x => x)");
    assert_eq!(d.message, "`any` needs a list, this is a string");
    assert_eq!(l, labels(&[("inputs.namespace", "this is a string")]));

    let (d, l) = one_error("any(steps.health.outputs.tags, t => len(t))");
    assert_eq!(
        d.message,
        "`any`: the lambda must give a boolean, this is an integer"
    );
    assert_eq!(l, labels(&[("len(t)", "this is an integer")]));

    let (d, _) = one_error("sum(steps.health.outputs.tags)");
    assert_eq!(
        d.message,
        "`sum` needs numbers or durations, this is a string"
    );

    let (d, l) = one_error("any(steps.health.outputs.tags, t => t.name == 1)");
    assert_eq!(d.code, Code::InvalidPath);
    assert_eq!(l, labels(&[("name", "no such field")]));

    let (d, l) = one_error("any(steps.health.outputs.tags, steps => true)");
    assert_eq!(d.code, Code::InvalidPath);
    assert_eq!(l, labels(&[("steps", "this name is the playbook's own")]));

    let (d, l) = one_error("lower(inputs.replicas)");
    assert_eq!(d.message, "`lower` needs strings, this is an integer");
    assert_eq!(l, labels(&[("inputs.replicas", "this is an integer")]));

    let (d, _) = one_error("format(inputs.namespace, 1)");
    assert_eq!(d.message, "`format` needs a number, this is a string");
    // One argument: a duration to show a person; a plain number says no unit.
    let (d, l) = one_error("format(inputs.ratio)");
    assert_eq!(
        d.message,
        "`format` needs a duration (or a number and its decimals), this is a number"
    );
    assert_eq!(l, labels(&[("inputs.ratio", "this is a number")]));
    let (d, l) = one_error("format(inputs.ratio, 40)");
    assert_eq!(d.message, "`format` keeps from 0 to 12 decimals, not 40");
    assert_eq!(l, labels(&[("40", "out of range")]));

    let (d, l) = one_error("duration(\"5 parsecs\")");
    assert_eq!(d.code, Code::InvalidDuration);
    assert_eq!(l, labels(&[("\"5 parsecs\"", "not a duration")]));

    let (d, _) = one_error("age(now()) > 300");
    assert_eq!(d.code, Code::TypeMismatch);
    assert_eq!(
        d.help.as_deref(),
        Some("compare a duration with a duration: `duration(\"5m\")`, not a bare number")
    );

    let (d, _) = one_error("duration(\"1m\") + 1");
    assert_eq!(d.code, Code::TypeMismatch);

    let (d, _) = one_error("join(steps.cpu.series, \",\")");
    assert_eq!(
        d.message,
        "`join` needs a list of texts or numbers, this is a list of mappings"
    );

    // A lambda anywhere else is not a value.
    let (_, _, diags) = check_src("len(xs => 1)");
    assert!(diags
        .iter()
        .any(|d| d.message == "a lambda is not a value on its own"));
}

#[test]
fn evaluates_the_list_functions() {
    let cases: &[(&str, serde_json::Value)] = &[
        ("any(steps.cpu.series, s => s.value > 80)", json!(true)),
        ("all(steps.cpu.series, s => s.value > 80)", json!(false)),
        ("count(steps.cpu.series, s => s.value > 40)", json!(2)),
        ("count(steps.cpu.series)", json!(3)),
        ("max(steps.cpu.series, s => s.value)", json!(91.25)),
        ("min(steps.cpu.series, s => s.value)", json!(7)),
        ("sum([1, 2, 3])", json!(6)),
        ("sum(steps.cpu.outputs.loads)", json!(3.0)),
        (
            "map(filter(steps.cpu.series, s => s.value > 40), s => s.labels.pod)",
            json!(["web-1", "web-2"]),
        ),
        ("any([], x => x)", json!(false)),
        ("all([], x => x)", json!(true)),
        ("join(steps.health.outputs.tags, \", \")", json!("db, api")),
        ("join([1, 2.5, true], \"-\")", json!("1-2.5-true")),
        ("split(\"a,b,,c\", \",\")", json!(["a", "b", "", "c"])),
        ("round(2.5)", json!(3)),
        ("round(-2.5)", json!(-3)),
        ("round(2.345, 2)", json!(2.35)),
        ("format(87.54321, 1) + \"%\"", json!("87.5%")),
        ("format(3, 2)", json!("3.00")),
        ("format(duration(\"90m\"))", json!("1h30m")),
        ("format(duration(\"500ms\") * 3)", json!("1s500ms")),
        ("format(-duration(\"2m\"))", json!("-2m")),
        ("format(duration(\"0s\"))", json!("0s")),
        ("duration(\"5m\")", json!(300)),
        ("duration(\"1m\") + duration(\"500ms\")", json!(60.5)),
        ("duration(\"5m\") > duration(\"90s\")", json!(true)),
        (
            "age(\"1970-01-01T00:00:00Z\") > duration(\"1000d\")",
            json!(true),
        ),
        ("age(0) > duration(\"1000d\")", json!(true)),
        ("starts_with(now(), \"2\")", json!(true)),
        // A maintenance window's end is after its start, and reads back as
        // the duration it was made from (to the second).
        (
            "round(age(now()) - age(from_now(duration(\"2h\"))))",
            json!(7200),
        ),
        (
            "age(from_now(-duration(\"1h\"))) > duration(\"59m\")",
            json!(true),
        ),
        ("default(max([]), 0)", json!(0)),
        // Nested lambdas: the inner parameter shadows nothing here.
        (
            "any(steps.cpu.series, s => any([\"web-2\"], n => n == s.labels.pod))",
            json!(true),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(&ev(src), want, "{src}");
    }
}

#[test]
fn runtime_errors_of_functions_point_at_the_argument() {
    let (m, at) = ev_err("max([])");
    assert_eq!(m, "`max(...)` has no value because the list is empty");
    assert_eq!(at, "max([])");
    let (m, at) = ev_err("any(steps.health.outputs.tags, t => len(t))");
    assert_eq!(m, "`any` needs booleans, found an integer (2)");
    assert_eq!(at, "t => len(t)");
    let (m, at) = ev_err("split(\"a\", \"\")");
    assert_eq!(
        m,
        "`split` needs a separator that is not empty, found a string (\"\")"
    );
    assert_eq!(at, "\"\"");
    let (m, _) = ev_err("age(\"yesterday\")");
    assert!(m.starts_with("`age` needs a timestamp"), "{m}");
    let (m, _) = ev_err("from_now(inputs.namespace)");
    assert!(m.starts_with("`from_now` needs a duration"), "{m}");
    let (m, _) = ev_err("duration(inputs.namespace)");
    assert!(m.starts_with("`prod` is not a duration"), "{m}");
}

#[test]
fn unknowns_and_now_stay_out_of_constant_folding() {
    // `now()` depends on when it runs, so the checker never folds it.
    assert_eq!(const_eval(&p("now() == now()")), None);
    assert_eq!(const_eval(&p("from_now(duration(\"1h\"))")), None);
    assert_eq!(const_eval(&p("age(0) > duration(\"1s\")")), None);
    assert_eq!(const_eval(&p("sum([1, 2]) == 3")), Some(json!(true)));
    // An unknown list makes the whole call unknown.
    struct Unknowns;
    impl Env for Unknowns {
        fn lookup(&self, _: &crate::path::Path) -> Lookup {
            Lookup::Unknown
        }
        fn step_state(&self, _: &str) -> Option<StepOutcome> {
            None
        }
    }
    assert_eq!(
        eval(&p("any(steps.cpu.series, s => s.value > 80)"), &Unknowns),
        Ok(Outcome::Unknown)
    );
    let _ = env();
}
