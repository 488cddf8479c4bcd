//! Tests of computed insertions (`{{format(x, 1)}}`, `{{a * 2}}`): what is
//! read as an expression and what stays a path, spans, checking, and
//! hostile function results run through a real `sh -c`.

use super::tests::{check_src, err, file, r, render, t};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn calls_and_operators_are_expressions_paths_stay_paths() {
    for (src, expr) in [
        ("{{len(inputs.list)}}", "len(inputs.list)"),
        ("{{ inputs.n * 2 }}", "inputs.n * 2"),
        ("{{inputs.n - 1}}", "inputs.n - 1"),
        (
            "{{json map(inputs.list, x => upper(x))}}",
            "map(inputs.list, x => upper(x))",
        ),
        (
            "{{raw join(inputs.list, \" \")}}",
            "join(inputs.list, \" \")",
        ),
    ] {
        let tpl = t(src);
        let insertion = tpl.insertions()[0];
        assert_eq!(insertion.subject(), expr, "{src}");
        assert!(insertion.expr.is_some(), "{src}");
        assert!(tpl.paths().is_empty(), "{src}");
    }
    assert!(t("{{json map(inputs.list, x => x)}}").insertions()[0].format == Format::Json);
    assert!(t("{{raw len(inputs.list)}}").insertions()[0].raw);
    // Names with dashes, helpers and blocks are what they were.
    for src in [
        "{{a-b}}",
        "{{default inputs.v \"a-b (c)\"}}",
        "{{#if inputs.n}}x{{/if}}",
    ] {
        assert!(
            t(src).insertions().iter().all(|i| i.expr.is_none()),
            "{src}"
        );
    }
}

#[test]
fn expression_errors_point_into_the_tag() {
    let (d, at) = err("echo {{len(inputs.list}}");
    assert_eq!(d.code, Code::ExprSyntax);
    assert_eq!(at, "");
    let (d, at) = err("echo {{inputs.n * }}");
    assert_eq!(d.code, Code::ExprSyntax);
    assert_eq!(d.message, "expected a value");
    assert_eq!(at, "");
    let (d, _) = err("{{lower (upper x)}}");
    assert_eq!(d.code, Code::TemplateSyntax);
    // Spans of names inside the expression are file spans.
    let (f, text) = file("echo {{len(inputs.nope)}}");
    let tpl = parse(&text).expect("parses");
    let expr = tpl.insertions()[0].expr.clone().expect("expr");
    assert_eq!(f.slice(expr.paths()[0].span), "inputs.nope");
}

#[test]
fn computed_insertions_are_checked() {
    assert!(check_src("echo {{len(steps.pods.outputs.names)}}").is_empty());
    assert_eq!(
        check_src("echo {{len(inputs.nope)}}"),
        vec![(
            Code::UnknownInput,
            "unknown `inputs.nope`".into(),
            "inputs.nope".into()
        )]
    );
    assert_eq!(
        check_src("echo {{lower(inputs.replicas)}}"),
        vec![(
            Code::TypeMismatch,
            "`lower` needs strings, this is an integer".into(),
            "inputs.replicas".into()
        )]
    );
    assert_eq!(
        check_src("echo {{filter(steps.pods.outputs.names, n => n != \"a\")}}")[0].1,
        "inserting a list of strings as text"
    );
    assert_eq!(
        check_src("echo {{format(inputs.replicas, \"1\")}}")[0].0,
        Code::TypeMismatch
    );
}

#[test]
fn computed_values_render_and_are_quoted_in_shell_commands() {
    assert_eq!(r("n={{inputs.n * 2}}", Quoting::None), "n=6");
    assert_eq!(
        r("{{format(inputs.n / 4 * 100, 1)}}%", Quoting::None),
        "75.0%"
    );
    assert_eq!(r("{{join(inputs.list, \",\")}}", Quoting::None), "a b,c");
    assert_eq!(
        r("echo {{join(inputs.list, \",\")}}", Quoting::Shell),
        "echo 'a b,c'"
    );
    assert_eq!(
        r("{{json map(inputs.list, x => upper(x))}}", Quoting::None),
        "[\"A B\",\"C\"]"
    );
    let error = render(
        "{{max(inputs.nothing)}}",
        &super::tests::ctx(),
        Quoting::None,
    )
    .expect_err("null is not a list");
    assert!(
        error.message.contains("`max` needs a list"),
        "{}",
        error.message
    );
}

#[test]
fn hostile_function_results_never_execute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let values = [
        "$(touch pwned)",
        "`touch pwned`",
        "' ; touch pwned ; '",
        "\" ; touch pwned ; \"",
        "a\ntouch pwned",
        "$HOME ${PATH}",
        "# x",
    ];
    let templates = [
        "printf '%s\\n' {{lower(inputs.v)}}",
        "printf '%s\\n' \"{{join(split(lower(inputs.v), \",\"), \",\")}}\"",
        "printf '%s\\n' \"$(printf '%s' {{lower(inputs.v)}})\"",
        "sh -c 'printf \"%s\\n\" '{{quote lower(inputs.v)}}",
        "printf '%s\\n' {{join(map(split(inputs.v, \"|\"), p => lower(p)), \"|\")}}",
    ];
    for template in templates {
        for value in values {
            let context = json!({"inputs": {"v": value}});
            let command = render(template, &context, Quoting::Shell).expect("renders");
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .env("HOME", "/home/none")
                .current_dir(dir.path())
                .output()
                .expect("sh runs");
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                format!("{}\n", value.to_lowercase()),
                "{command}"
            );
            let created = std::fs::read_dir(dir.path()).expect("read dir").count();
            assert_eq!(created, 0, "{command} created a file");
        }
    }
}
