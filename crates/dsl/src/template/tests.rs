//! Tests of templates: the segments and spans `parse` produces, every
//! diagnostic, checking through a Scope, rendering, and shell injection
//! attempts run through a real `sh -c`.

use super::*;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Scope, Type};
use crate::node::Text;
use crate::path::Segment as PathSegment;
use crate::source::{SourceFile, Span, Spanned};
use serde_json::{json, Value};

/// The template written as a YAML value, so spans are file offsets.
pub(super) fn file(src: &str) -> (SourceFile, Text) {
    let prefix = "shell: ";
    let file = SourceFile::new("p.yaml", format!("{prefix}{src}\n"));
    let text = Text::verbatim(src, Span::new(prefix.len(), prefix.len() + src.len()));
    (file, text)
}

pub(super) fn t(src: &str) -> Template {
    let (_, text) = file(src);
    parse(&text).unwrap_or_else(|d| panic!("{src:?}: {} {:?}", d.message, d.help))
}

pub(super) fn err(src: &str) -> (Diagnostic, String) {
    let (f, text) = file(src);
    match parse(&text) {
        Ok(tpl) => panic!("{src:?} parsed: {tpl:?}"),
        Err(d) => {
            let at = f.slice(d.primary_span()).to_string();
            (d, at)
        }
    }
}

fn insertions(src: &str) -> Vec<(String, Format, bool)> {
    t(src)
        .insertions()
        .into_iter()
        .map(|i| (i.path.to_string(), i.format.clone(), i.raw))
        .collect()
}

#[test]
fn splits_text_and_insertions_with_file_spans() {
    let src = "kubectl get pods -n {{inputs.namespace}} -o wide";
    let (f, text) = file(src);
    let tpl = parse(&text).expect("parses");
    assert_eq!(tpl.segments.len(), 3);
    let Segment::Text {
        text: first, span, ..
    } = &tpl.segments[0]
    else {
        panic!()
    };
    assert_eq!(first, "kubectl get pods -n ");
    assert_eq!(f.slice(*span), "kubectl get pods -n ");
    let Segment::Insert(insertion) = &tpl.segments[1] else {
        panic!()
    };
    assert_eq!(f.slice(insertion.span), "{{inputs.namespace}}");
    assert_eq!(f.slice(insertion.path.span), "inputs.namespace");
    let names: Vec<&str> = insertion
        .path
        .segments
        .iter()
        .map(|s| f.slice(s.span))
        .collect();
    assert_eq!(names, vec!["inputs", "namespace"]);
    assert!(!insertion.raw);
    assert!(!tpl.is_literal());
    assert!(t("plain text").is_literal());
}

#[test]
fn every_supported_insertion() {
    assert_eq!(
        insertions(
            "{{a}} {{raw b}} {{{c}}} {{&d}} {{json e}} {{{json f}}} {{upper g}} {{lower h}} \
             {{default i \"x\"}} {{default j 3}} {{~k~}}"
        ),
        vec![
            ("a".into(), Format::Plain, false),
            ("b".into(), Format::Plain, true),
            ("c".into(), Format::Plain, true),
            ("d".into(), Format::Plain, true),
            ("e".into(), Format::Json, false),
            ("f".into(), Format::Json, true),
            ("g".into(), Format::Upper, false),
            ("h".into(), Format::Lower, false),
            ("i".into(), Format::Default(json!("x")), false),
            ("j".into(), Format::Default(json!(3)), false),
            ("k".into(), Format::Plain, false),
        ]
    );
    assert_eq!(
        insertions("{{default i 'it\\'s'}}")[0].1,
        Format::Default(json!("it's"))
    );
}

#[test]
fn handlebars_paths_become_indexed_paths() {
    let src = "{{steps.api.json.items.[0].name}} {{steps.api.json.items.1}} {{x.[a key]}}";
    let (f, text) = file(src);
    let tpl = parse(&text).expect("parses");
    let paths = tpl.paths();
    assert_eq!(paths[0].to_string(), "steps.api.json.items[0].name");
    assert_eq!(paths[0].segments[4].value, PathSegment::Index(0));
    assert_eq!(f.slice(paths[0].segments[4].span), "[0]");
    assert_eq!(paths[1].segments[4].value, PathSegment::Index(1));
    assert_eq!(paths[2].segments[1].value, PathSegment::Key("a key".into()));
}

/// An index written as an expression writes it, `items[0]`, is the same
/// path as handlebars' `items.[0]`.
#[test]
fn expression_style_indexes_are_paths_too() {
    let src = "{{steps.api.json.items[0].name}} {{x[1][a key]}}";
    let (f, text) = file(src);
    let tpl = parse(&text).expect("parses");
    let paths = tpl.paths();
    assert_eq!(paths[0].to_string(), "steps.api.json.items[0].name");
    assert_eq!(paths[0].segments[4].value, PathSegment::Index(0));
    assert_eq!(f.slice(paths[0].segments[4].span), "[0]");
    assert_eq!(paths[1].segments[1].value, PathSegment::Index(1));
    assert_eq!(paths[1].segments[2].value, PathSegment::Key("a key".into()));
    assert_eq!(
        r("{{steps.api.json.items[0].name}}", Quoting::Shell),
        "first"
    );
}

#[test]
fn blocks_comments_and_escapes() {
    let src = "{{#if inputs.force}}--force {{inputs.x}}{{else}}--dry-run{{/if}}\
               {{#unless steps.a.ok}}!{{/unless}}{{! note }}{{!-- {{not.a.path}} --}} \\{{literal}}";
    let tpl = t(src);
    let paths: Vec<String> = tpl.paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, vec!["inputs.force", "inputs.x", "steps.a.ok"]);
    let Segment::If(c) = &tpl.segments[0] else {
        panic!("{:?}", tpl.segments[0])
    };
    assert!(!c.negated);
    assert_eq!(c.then.len(), 2);
    assert_eq!(c.otherwise.len(), 1);
    let Segment::If(u) = &tpl.segments[1] else {
        panic!()
    };
    assert!(u.negated);
    let Some(Segment::Text { text, .. }) = tpl.segments.last() else {
        panic!()
    };
    assert_eq!(text, " {{literal}}");
    // Nested blocks.
    let nested = t("{{#if a}}{{#unless b}}{{c}}{{else}}{{#if d}}x{{/if}}{{/unless}}{{/if}}");
    let paths: Vec<String> = nested.paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, vec!["a", "b", "c", "d"]);
}

#[test]
fn diagnostics_name_what_is_supported() {
    let cases: &[(&str, Code, &str, &str)] = &[
        (
            "echo {{inputs.x",
            Code::TemplateSyntax,
            "this `{{` is never closed",
            "{{",
        ),
        (
            "{{{inputs.x}}",
            Code::TemplateSyntax,
            "this `{{{` is never closed",
            "{{{",
        ),
        (
            "{{#with items}}x{{/with}}",
            Code::UnknownFunction,
            "there is no template helper `with`",
            "with",
        ),
        (
            "{{uper inputs.x}}",
            Code::UnknownFunction,
            "there is no template helper `uper`",
            "uper",
        ),
        (
            "{{json a b}}",
            Code::WrongArity,
            "`json` takes one path, but 2 were given",
            "{{json a b}}",
        ),
        (
            "{{default a}}",
            Code::WrongArity,
            "`default` takes a path and a fallback, but 1 was given",
            "{{default a}}",
        ),
        (
            "{{default a b}}",
            Code::TemplateSyntax,
            "the fallback of `default` must be a literal",
            "b",
        ),
        (
            "{{> partial}}",
            Code::TemplateSyntax,
            "partials and decorators are not supported",
            "{{> partial}}",
        ),
        (
            "{{this}}",
            Code::TemplateSyntax,
            "`this`, `../` and `@` variables are not supported",
            "this",
        ),
        (
            "{{../x}}",
            Code::TemplateSyntax,
            "`this`, `../` and `@` variables are not supported",
            "../x",
        ),
        (
            "{{@root.x}}",
            Code::TemplateSyntax,
            "`this`, `../` and `@` variables are not supported",
            "@root.x",
        ),
        (
            "{{lower (upper x)}}",
            Code::TemplateSyntax,
            "subexpressions `( )` are not supported",
            "(",
        ),
        (
            "{{x key=1}}",
            Code::TemplateSyntax,
            "named arguments (`key=value`) are not supported",
            "=",
        ),
        (
            "{{#if a}}x",
            Code::TemplateSyntax,
            "`{{#if}}` is never closed",
            "{{#if a}}",
        ),
        (
            "x{{/if}}",
            Code::TemplateSyntax,
            "`{{/if}}` closes nothing",
            "{{/if}}",
        ),
        (
            "{{#if a}}{{/unless}}",
            Code::TemplateSyntax,
            "`{{#if}}` is closed by `{{/unless}}`",
            "{{/unless}}",
        ),
        (
            "{{#if a}}{{else if b}}{{/if}}",
            Code::TemplateSyntax,
            "`{{else if ...}}` chains are not supported",
            "{{else if b}}",
        ),
        (
            "{{else}}",
            Code::TemplateSyntax,
            "`{{else}}` outside of an `{{#if}}` block",
            "{{else}}",
        ),
        ("{{}}", Code::TemplateSyntax, "an empty `{{ }}`", "{{}}"),
        (
            "{{items[0]x}}",
            Code::TemplateSyntax,
            "unexpected character in a path",
            "x",
        ),
        ("{{a/b}}", Code::TemplateSyntax, "write paths with `.`", "/"),
        (
            "{{{{raw}}}}x{{{{/raw}}}}",
            Code::TemplateSyntax,
            "raw blocks (`{{{{`) are not supported",
            "{{{{",
        ),
    ];
    for (src, code, message, at) in cases {
        let (d, got_at) = err(src);
        assert_eq!((d.code, d.message.as_str()), (*code, *message), "{src}");
        assert_eq!(&got_at, at, "{src}");
        assert!(d.help.is_some(), "{src} has help");
    }
    let (d, _) = err("{{uper inputs.x}}");
    assert!(d
        .help
        .as_deref()
        .unwrap_or("")
        .starts_with("did you mean `upper`?"));
}

#[test]
fn handlebars_errors_are_mapped_to_the_file() {
    // Our scanner lets this through; handlebars rejects the closing tag.
    let src = "echo\n{{#if a}}x{{/if a b}}";
    let (d, at) = err(src);
    assert_eq!(d.code, Code::TemplateSyntax);
    assert_eq!(d.message, "the template cannot be read here");
    assert_eq!(at, "a");
    let (f, _) = file(src);
    assert_eq!(f.line_col(d.primary_span().start), (2, 17));
    let rendered = crate::diagnostic::render(&f, &[d], crate::diagnostic::RenderStyle::Plain);
    assert!(rendered.contains("runbook::template_syntax"), "{rendered}");
    assert!(rendered.contains("[p.yaml:2:17]"), "{rendered}");
}

#[test]
fn closing_tags_take_no_parameters() {
    // The one mistake the handlebars crate used to catch after our scanner:
    // the scanner now rejects it itself, pointing at the first extra word.
    for (src, extra, help) in [
        (
            "{{#unless b}}x{{/unless b}}",
            "b",
            "close the block with `{{/unless}}`",
        ),
        (
            "{{#if a}}{{/if \"$(rm -rf /)\"}}",
            "\"$(rm -rf /)\"",
            "close the block with `{{/if}}`",
        ),
        (
            "{{#if a}}{{/if ../x}}",
            "../x",
            "close the block with `{{/if}}`",
        ),
        ("{{/if a}}", "a", "close the block with `{{/if}}`"),
    ] {
        let (d, at) = err(src);
        assert_eq!(d.code, Code::TemplateSyntax, "{src}");
        assert_eq!(at, extra, "{src}");
        assert_eq!(d.help.as_deref(), Some(help), "{src}");
    }
    // Whitespace control and a block closed right still parse.
    t("{{#if a}}x{{~/if~}}");
}

#[test]
fn hostile_nesting_is_rejected_not_overflowed() {
    let deep = format!(
        "{}x{}",
        "{{#if a}}".repeat(100_000),
        "{{/if}}".repeat(100_000)
    );
    let (d, _) = err(&deep);
    assert!(d.message.contains("nested more than"), "{}", d.message);
    let ok = format!(
        "{}x{}",
        "{{#if a}}".repeat(MAX_BLOCK_DEPTH),
        "{{/if}}".repeat(MAX_BLOCK_DEPTH)
    );
    t(&ok);
    // Array literals nest in handlebars' grammar; we reject them first.
    let arrays = format!(
        "{{{{default a {}1{}}}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let (_, text) = file(&arrays);
    assert!(parse(&text).is_err());
}

#[test]
fn fuzz_never_panics() {
    let pieces = [
        "{{",
        "}}",
        "{{{",
        "}}}",
        "{{#if a}}",
        "{{#if a.b > 1}}",
        "{{#unless !x}}",
        "{{#if len(",
        "{{#if ",
        " && ",
        "{{/if}}",
        "{{else}}",
        "{{#unless b}}",
        "{{/unless}}",
        "{{!",
        "--}}",
        "{{!--",
        "x",
        ".",
        "[0]",
        "[",
        "]",
        "\\",
        "\"",
        "'",
        "(",
        "=",
        "~",
        " ",
        "raw",
        "json",
        "default",
        "a.b",
        "é",
        "\n",
        "&",
        ">",
        "#",
        "/",
        "@",
    ];
    let mut seed: u64 = 11;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..20_000 {
        let src: String = (0..next() % 10)
            .map(|_| pieces[next() % pieces.len()])
            .collect();
        let (_, text) = file(&src);
        if let Ok(tpl) = parse(&text) {
            let _ = tpl.paths();
            let _ = render(&src, &json!({"a": {"b": 1}, "x": "v"}), Quoting::Shell);
        }
    }
}

// ---------------------------------------------------------------- checking

pub(super) struct TestScope;

impl Scope for TestScope {
    fn resolve(&mut self, path: &crate::path::Path, diags: &mut Diagnostics) -> Type {
        match path.to_string().as_str() {
            "inputs.namespace" => Type::String,
            "inputs.replicas" => Type::Int,
            "steps.pods.outputs.names" => Type::List(Box::new(Type::String)),
            "steps.pods.outputs.labels" => crate::expr::map_of(Type::String),
            "steps.pods.json" => Type::Any,
            _ => {
                diags.push(
                    Diagnostic::error(Code::UnknownInput, format!("unknown `{path}`"))
                        .label(path.span, "unknown"),
                );
                Type::Any
            }
        }
    }

    fn step(&mut self, _: &Spanned<String>, _: &mut Diagnostics) {}
}

pub(super) fn check_src(src: &str) -> Vec<(Code, String, String)> {
    let (f, text) = file(src);
    let tpl = parse(&text).expect("parses");
    let mut diags = Diagnostics::new();
    check(&tpl, Quoting::None, &mut TestScope, &mut diags);
    diags
        .into_iter()
        .map(|d| {
            (
                d.code,
                d.message.clone(),
                f.slice(d.primary_span()).to_string(),
            )
        })
        .collect()
}

#[test]
fn check_resolves_every_path_through_the_scope() {
    assert!(
        check_src("kubectl -n {{inputs.namespace}} scale --replicas={{inputs.replicas}}")
            .is_empty()
    );
    assert_eq!(
        check_src("{{#if inputs.nope}}{{inputs.namspace}}{{/if}}"),
        vec![
            (
                Code::UnknownInput,
                "unknown `inputs.nope`".into(),
                "inputs.nope".into()
            ),
            (
                Code::UnknownInput,
                "unknown `inputs.namspace`".into(),
                "inputs.namspace".into()
            ),
        ]
    );
    assert_eq!(
        check_src("echo {{steps.pods.outputs.names}}"),
        vec![(
            Code::TypeMismatch,
            "inserting a list of strings as text".into(),
            "steps.pods.outputs.names".into()
        )]
    );
    assert!(check_src("echo {{json steps.pods.outputs.names}}").is_empty());
    assert_eq!(
        check_src("{{upper inputs.replicas}}")[0].1,
        "changing the case of an integer"
    );
}

// ---------------------------------------------------------------- rendering

/// Parses and renders a template text against a JSON context, as a step's
/// parameter is at run time.
pub(super) fn render(src: &str, context: &Value, quoting: Quoting) -> Result<String, FillError> {
    let text = Text::verbatim(src, Span::new(0, src.len()));
    let template = parse(&text).map_err(|d| FillError {
        message: d.message,
        span: d.labels.first().map(|l| l.span).unwrap_or_default(),
    })?;
    let env = crate::expr::JsonEnv {
        root: context.clone(),
        states: Default::default(),
    };
    super::fill(&template, &env, quoting)
}

pub(super) fn ctx() -> Value {
    json!({
        "inputs": {"namespace": "alphaswarm", "msg": "it's here", "n": 3, "force": true,
                   "empty": "", "nothing": null, "list": ["a b", "c"]},
        "steps": {"api": {"json": {"items": [{"name": "first"}]}}}
    })
}

pub(super) fn r(src: &str, quoting: Quoting) -> String {
    render(src, &ctx(), quoting).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn renders_with_shell_quoting() {
    let q = Quoting::Shell;
    assert_eq!(
        r("kubectl -n {{inputs.namespace}}", q),
        "kubectl -n alphaswarm"
    );
    assert_eq!(r("echo {{inputs.msg}}", q), r"echo 'it'\''s here'");
    assert_eq!(r("echo {{inputs.empty}}", q), "echo ''");
    assert_eq!(r("echo {{inputs.n}}", q), "echo 3");
    assert_eq!(r("echo {{raw inputs.msg}}", q), "echo it's here");
    assert_eq!(r("echo {{{inputs.msg}}}", q), "echo it's here");
    assert_eq!(r("echo {{&inputs.msg}}", q), "echo it's here");
    assert_eq!(r("echo {{json inputs.list}}", q), r#"echo '["a b","c"]'"#);
    assert_eq!(r("echo {{{json inputs.list}}}", q), r#"echo ["a b","c"]"#);
    assert_eq!(r("echo {{upper inputs.namespace}}", q), "echo ALPHASWARM");
    assert_eq!(r("echo {{lower inputs.msg}}", q), r"echo 'it'\''s here'");
    assert_eq!(
        r("echo {{default inputs.nothing \"a b\"}}", q),
        "echo 'a b'"
    );
    assert_eq!(r("echo {{default inputs.missing 'x'}}", q), "echo x");
    assert_eq!(r("echo {{default inputs.n 'x'}}", q), "echo 3");
    assert_eq!(r("{{steps.api.json.items.[0].name}}", q), "first");
    assert_eq!(
        r("x {{#if inputs.force}}--force{{else}}--dry-run{{/if}} {{#unless inputs.force}}no{{/unless}}", q),
        "x --force "
    );
    assert_eq!(r("{{#if inputs.missing}}yes{{else}}no{{/if}}", q), "no");
}

#[test]
fn renders_without_quoting() {
    let q = Quoting::None;
    assert_eq!(r("msg: {{inputs.msg}}", q), "msg: it's here");
    assert_eq!(r("{{json inputs.msg}}", q), r#""it's here""#);
    assert_eq!(r("<{{inputs.namespace}}>", q), "<alphaswarm>");
}

#[test]
fn prose_keeps_an_inserted_value_on_one_line() {
    let c = json!({"inputs": {"key": "evil\r\n\u{2514} approve? [y/n] y\n  ok", "n": 3}});
    let question = "Delete {{inputs.key}} ({{inputs.n}} of them)?\nIts data is lost.";
    assert_eq!(
        render(question, &c, Quoting::Prose).expect("renders"),
        "Delete evil\\r\\n\u{2514} approve? [y/n] y\\n  ok (3 of them)?\nIts data is lost."
    );
    // Without it, values go in as they are.
    assert!(render(question, &c, Quoting::None)
        .expect("renders")
        .contains("evil\r\n"));
}

#[test]
fn render_is_strict_and_checks_the_subset() {
    let e = render("echo {{inputs.missing}}", &ctx(), Quoting::Shell).expect_err("strict");
    assert_eq!(e.message, "`inputs.missing` has no value");
    let e = render("echo {{raw inputs.missing}}", &ctx(), Quoting::Shell).expect_err("strict");
    assert!(e.message.contains("inputs.missing"), "{}", e.message);
    let e = render("{{json steps.api.nope}}", &ctx(), Quoting::Shell).expect_err("strict");
    assert!(e.message.contains("steps.api.nope"), "{}", e.message);
    let e = render(
        "{{#with inputs.list}}{{this}}{{/with}}",
        &ctx(),
        Quoting::Shell,
    )
    .expect_err("unsupported");
    assert!(e.message.contains("with"), "{}", e.message);
    let e = render("{{lookup inputs 'n'}}", &ctx(), Quoting::Shell).expect_err("unsupported");
    assert!(e.message.contains("lookup"), "{}", e.message);
}

/// Values that try to break out of a shell word, run through a real `sh -c`:
/// the command must print each value back verbatim and create nothing, in
/// every context where an insertion is accepted. `{{quote}}` is run by a
/// shell that runs another one, as `ssh` does.
#[test]
fn shell_injection_never_executes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let values = [
        "$(touch pwned)",
        "`touch pwned`",
        "; touch pwned",
        "&& touch pwned",
        "| touch pwned",
        "' ; touch pwned ; '",
        "\" ; touch pwned ; \"",
        "it's",
        "a\ntouch pwned",
        "$HOME ${PATH} $((1+1))",
        "* ? [a] ~ {a,b} # comment",
        "\\'\\\\",
        ">pwned <x 2>&1",
        "",
        "-n",
        "=touch",
        "!!",
        "{{inputs.v}}",
    ];
    // (template, what it prints around the value)
    let templates = [
        ("printf '%s\\n' {{inputs.v}}", ("", "")),
        ("printf '%s\\n' {{lower inputs.v}}", ("", "")),
        ("printf '%s\\n' {{default inputs.v 'x'}}", ("", "")),
        ("printf '%s\\n' {{json inputs.v}}", ("", "")),
        ("printf '%s\\n' \"{{inputs.v}}\"", ("", "")),
        (
            "printf '%s\\n' \"dq:$HOME:{{inputs.v}}:\"",
            ("dq:/home/none:", ":"),
        ),
        ("printf '%s\\n' sq:'$HOME:'{{inputs.v}}", ("sq:$HOME:", "")),
        ("printf '%s\\n' \"$(printf '%s' {{inputs.v}})\"", ("", "")),
        (
            "printf '%s\\n' \"$(printf '%s' \"<{{inputs.v}}>\")\"",
            ("<", ">"),
        ),
        ("sh -c 'printf \"%s\\n\" '{{quote inputs.v}}", ("", "")),
        ("sh -c 'printf \"%s\\n\" {{quote inputs.v}}'", ("", "")),
        ("sh -c \"printf '%s\\n' {{quote inputs.v}}\"", ("", "")),
    ];
    for (template, (before, after)) in templates {
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
            let expected = if template.contains("lower") {
                value.to_lowercase()
            } else if template.contains("json") {
                serde_json::to_string(value).expect("json")
            } else {
                value.to_string()
            };
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                format!("{before}{expected}{after}\n"),
                "{command}"
            );
            let created: Vec<_> = std::fs::read_dir(dir.path())
                .expect("read dir")
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect();
            assert!(created.is_empty(), "{command} created {created:?}");
        }
    }
}

#[test]
fn quote_quotes_for_one_more_shell() {
    let c = json!({"inputs": {"f": "a b", "n": "db.gz"}});
    let r = |src: &str| render(src, &c, Quoting::Shell).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(
        r("ssh h restore {{quote inputs.f}}"),
        r"ssh h restore ''\''a b'\'''"
    );
    assert_eq!(
        r("ssh h 'restore {{quote inputs.f}}'"),
        r"ssh h 'restore '''\''a b'\'''''"
    );
    assert_eq!(r("ssh h restore {{quote inputs.n}}"), "ssh h restore db.gz");
    // Outside a shell command (an argv element), quoted once.
    assert_eq!(
        render("{{quote inputs.f}}", &c, Quoting::None).expect("renders"),
        "'a b'"
    );
}

#[test]
fn contexts_that_cannot_be_made_safe_are_refused() {
    let refused = |src: &str| {
        let e = render(src, &ctx(), Quoting::Shell).expect_err(src);
        assert!(e.message.starts_with("`inputs."), "{src}: {}", e.message);
        e.message
    };
    assert!(refused("echo 'sq {{inputs.msg}}'").contains("inside `'...'`"));
    assert!(refused("cat <<EOF\n{{inputs.msg}}\nEOF").contains("here-document"));
    assert!(refused("echo `echo {{inputs.msg}}`").contains("backquotes"));
    assert!(refused("echo $(( {{inputs.msg}} + 1 ))").contains("arithmetic"));
    assert!(refused("echo ${X:-{{inputs.msg}}}").contains("${...}"));
    assert!(refused("echo # {{inputs.msg}}").contains("comment"));
    assert!(refused("echo \\\\\\{{inputs.msg}}").contains("after"));
    assert_eq!(r("echo \\\\{{inputs.n}}", Quoting::Shell), "echo \\\\3");
    assert_eq!(
        r("echo $(( {{inputs.n}} + 1 ))", Quoting::Shell),
        "echo $(( 3 + 1 ))"
    );
    assert_eq!(
        r(
            "echo {{#if inputs.force}}'x'{{else}}\"y\"{{/if}} {{inputs.msg}}",
            Quoting::Shell
        ),
        r"echo 'x' 'it'\''s here'"
    );
}

/// Random shell commands built from the pieces the lexer cares about
/// (quotes, substitutions, here-documents, comments, escapes, `case`), with
/// hostile values inserted: whenever `check` accepts the template, a real
/// `sh` running the rendered command never runs the value.
#[test]
fn accepted_insertions_never_execute_in_random_commands() {
    let pieces = [
        "printf '%s' ",
        "echo ",
        "\"",
        "'",
        "$(",
        ")",
        "`",
        " ",
        ";",
        "\n",
        "#",
        "\\",
        "<<EOF\n",
        "\nEOF\n",
        "<<'E'\n",
        "\nE\n",
        "${X:-",
        "}",
        "$((1+",
        "))",
        "{{inputs.v}}",
        "{{inputs.v}}",
        "{{quote inputs.v}}",
        "a",
        "case x in x) ",
        ";; esac",
        "(",
        "$",
        "$'",
        "|",
        "{{#if inputs.v}}\"{{else}}'{{/if}}",
        "{{#if inputs.v}}x{{/if}}",
    ];
    let values = [
        "$(touch pwned)",
        "`touch pwned`",
        "';touch pwned;'",
        "\";touch pwned;\"",
        "\ntouch pwned\n",
        "EOF\ntouch pwned\nEOF",
        "E\ntouch pwned\nE",
        "x\\",
        ")touch pwned",
        "}$(touch pwned)",
    ];
    struct V;
    impl Scope for V {
        fn resolve(&mut self, _: &crate::path::Path, _: &mut Diagnostics) -> Type {
            Type::String
        }
        fn step(&mut self, _: &Spanned<String>, _: &mut Diagnostics) {}
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seed: u64 = 7;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut accepted = 0;
    for _ in 0..4_000 {
        let src: String = (0..1 + next() % 8)
            .map(|_| pieces[next() % pieces.len()])
            .collect();
        if !src.contains("{{") {
            continue;
        }
        let (_, text) = file(&src);
        let Ok(tpl) = parse(&text) else { continue };
        let mut diags = Diagnostics::new();
        check(&tpl, Quoting::Shell, &mut V, &mut diags);
        if !diags.is_empty() {
            continue;
        }
        accepted += 1;
        let value = values[next() % values.len()];
        let context = json!({"inputs": {"v": value}});
        let Ok(command) = render(&src, &context, Quoting::Shell) else {
            panic!("{src:?} checks but does not render");
        };
        let _ = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("sh runs");
        assert!(
            !dir.path().join("pwned").exists(),
            "{src:?} with {value:?} ran it: {command:?}"
        );
    }
    assert!(
        accepted > 300,
        "only {accepted} random commands were accepted"
    );
}
