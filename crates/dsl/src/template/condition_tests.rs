//! Tests of `{{#if EXPR}}` / `{{#unless EXPR}}`: reading the condition with
//! file spans, checking it as `when:` is (types, unknown names, a condition
//! that is not a boolean), evaluating it, and hostile values inside a block
//! run through a real `sh -c`.

use super::tests::{check_src, err, file, r, render};
use super::*;
use crate::code::Code;
use serde_json::json;

fn condition_of(src: &str) -> (String, Conditional) {
    let (f, text) = file(src);
    let tpl = parse(&text).unwrap_or_else(|d| panic!("{src}: {}", d.message));
    let Segment::If(block) = &tpl.segments[0] else {
        panic!("{tpl:?}")
    };
    let written = f
        .slice(block.condition.as_ref().expect("an expression").span)
        .to_string();
    (written, block.clone())
}

#[test]
fn conditions_written_as_expressions_are_read_with_spans() {
    for (src, written) in [
        ("{{#if inputs.replicas > 1}}x{{/if}}", "inputs.replicas > 1"),
        (
            "{{#if len(steps.pods.outputs.names) > 0}}x{{else}}y{{/if}}",
            "len(steps.pods.outputs.names) > 0",
        ),
        ("{{#unless !inputs.force}}x{{/unless}}", "!inputs.force"),
        (
            "{{~#if inputs.namespace == \"}}\" ~}}x{{/if}}",
            "inputs.namespace == \"}}\"",
        ),
        (
            "{{#if 'a' in steps.pods.outputs.names}}x{{/if}}",
            "'a' in steps.pods.outputs.names",
        ),
        (
            "{{#if contains(inputs.namespace, \"prod\") && inputs.replicas >= 2}}x{{/if}}",
            "contains(inputs.namespace, \"prod\") && inputs.replicas >= 2",
        ),
    ] {
        let (at, block) = condition_of(src);
        assert_eq!(at, written, "{src}");
        assert!(block.path.segments.is_empty(), "{src}");
    }
    let (_, block) = condition_of("{{#unless inputs.replicas == 1}}x{{/unless}}");
    assert!(block.negated);
    // A single path keeps handlebars' truthiness: no expression.
    let tpl = super::tests::t("{{#if inputs.force}}x{{/if}}");
    let Segment::If(block) = &tpl.segments[0] else {
        panic!()
    };
    assert!(block.condition.is_none());
    // The expression's paths are not the template's own paths (as for an
    // expression insertion), and the block still closes by its name.
    let (d, at) = err("{{#if inputs.replicas > }}x{{/if}}");
    assert_eq!(d.code, Code::ExprSyntax, "{}", d.message);
    assert!(
        at.is_empty() || "inputs.replicas > ".contains(&at),
        "{at:?}"
    );
    // A condition reads the element's position: `@index`, `@first`, `@last`.
    assert_eq!(
        r(
            "{{#each inputs.list}}{{#if @index > 0}}, {{/if}}{{#if @first}}<{{/if}}{{this}}{{#unless !@last}}>{{/unless}}{{/each}}",
            Quoting::None
        ),
        "<a b, c>"
    );
    assert_eq!(
        r(
            "{{#each inputs.list}}{{this}}{{#if !@last && @index == 0}};{{/if}}{{@first}}{{/each}}",
            Quoting::None
        ),
        "a b;truecfalse"
    );
    assert_eq!(
        r(
            "{{#each inputs.list}}{{#if @index}}, {{/if}}{{this}}{{/each}}",
            Quoting::None
        ),
        "a b, c"
    );
    let (d, _) = err("{{#if inputs.replicas > 1}}x{{/unless}}");
    assert_eq!(d.message, "`{{#if}}` is closed by `{{/unless}}`");
}

#[test]
fn conditions_are_checked_as_when_is() {
    assert!(check_src("{{#if inputs.replicas > 1}}{{inputs.namespace}}{{/if}}").is_empty());
    assert!(check_src("{{#if len(steps.pods.outputs.names) > 0}}x{{/if}}").is_empty());
    assert!(check_src(
        "{{#each steps.pods.outputs.names as |n|}}{{#if n == \"a\" || this != \"b\"}}{{n}}{{/if}}{{/each}}"
    )
    .is_empty());
    // Not a boolean: an error on the condition, inside the template.
    assert_eq!(
        check_src("{{#if inputs.replicas + 1}}x{{/if}}"),
        vec![(
            Code::TypeMismatch,
            "an `{{#if}}` condition must be a boolean, this is an integer".into(),
            "inputs.replicas + 1".into()
        )]
    );
    assert_eq!(
        check_src("{{#unless len(inputs.namespace)}}x{{/unless}}")[0].1,
        "an `{{#unless}}` condition must be a boolean, this is an integer"
    );
    // Types of operands and unknown names, as in `when:`.
    let found = check_src("{{#if inputs.namespace > 1 && inputs.namspace == \"a\"}}x{{/if}}");
    let codes: Vec<Code> = found.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(
        codes,
        vec![Code::TypeMismatch, Code::UnknownInput],
        "{found:?}"
    );
    assert_eq!(found[1].2, "inputs.namspace");
    // The element of an `{{#each}}` is typed inside the condition.
    let found = check_src("{{#each steps.pods.outputs.names}}{{#if this > 1}}x{{/if}}{{/each}}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Code::TypeMismatch);
}

#[test]
fn conditions_are_evaluated_when_filled_in() {
    let q = Quoting::None;
    assert_eq!(r("{{#if inputs.n > 2}}big{{else}}small{{/if}}", q), "big");
    assert_eq!(r("{{#if inputs.n > 5}}big{{else}}small{{/if}}", q), "small");
    assert_eq!(r("{{#unless inputs.n > 5}}no{{/unless}}", q), "no");
    assert_eq!(
        r(
            "{{#if len(inputs.list) == 2 && contains(inputs.namespace, \"swarm\")}}y{{/if}}",
            q
        ),
        "y"
    );
    assert_eq!(
        r(
            "{{#each inputs.list as |x|}}{{#if x != \"c\"}}[{{x}}]{{else}}<{{@index}}>{{/if}}{{/each}}",
            q
        ),
        "[a b]<1>"
    );
    // An absent value is an error as in `when:` (not a silent `false`),
    // at the part of the condition that failed.
    let e = render(
        "{{#if inputs.missing > 1}}x{{/if}}",
        &super::tests::ctx(),
        q,
    )
    .expect_err("no value");
    assert!(e.message.contains("inputs.missing"), "{}", e.message);
    // A dry-run's unknown shows a placeholder and takes the other side.
    let text = crate::node::Text::verbatim(
        "{{#if steps.a.exit_code == 0}}ok{{else}}ko{{/if}}",
        crate::source::Span::new(0, 45),
    );
    let tpl = parse(&text).expect("parses");
    struct Unknown;
    impl crate::expr::Env for Unknown {
        fn lookup(&self, _: &crate::path::Path) -> crate::expr::Lookup {
            crate::expr::Lookup::Unknown
        }
        fn step_state(&self, _: &str) -> Option<crate::expr::StepOutcome> {
            None
        }
    }
    assert_eq!(
        fill(&tpl, &Unknown, q).expect("fills"),
        "<if steps.a.exit_code == 0>ko"
    );
}

/// Hostile values inside and around `{{#if EXPR}}` blocks, through a real
/// `sh -c`: the block only chooses text; every insertion is quoted for
/// where it lands, on whichever side is taken.
#[test]
fn hostile_values_in_blocks_never_execute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let values = [
        "$(touch pwned)",
        "`touch pwned`",
        "' ; touch pwned ; '",
        "\" ; touch pwned ; \"",
        "a\ntouch pwned",
        "# x",
        "../../etc/passwd",
        "",
    ];
    let templates = [
        "printf '%s\\n' {{#if len(inputs.v) > 3}}{{inputs.v}}{{else}}\"{{inputs.v}}\"{{/if}}",
        "printf '%s\\n' {{#unless inputs.v == \"\"}}\"{{inputs.v}}\"{{else}}{{json inputs.v}}{{/unless}}",
        "printf '%s\\n' \"$(printf '%s' {{#if contains(inputs.v, \"touch\")}}{{inputs.v}}{{else}}{{inputs.v}}{{/if}})\"",
    ];
    for template in templates {
        for value in values {
            let context = json!({"inputs": {"v": value}});
            let command = render(template, &context, Quoting::Shell).expect("renders");
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .current_dir(dir.path())
                .output()
                .expect("sh runs");
            let expected = if template.contains("json") && value.is_empty() {
                "\"\"".to_string()
            } else {
                value.to_string()
            };
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                format!("{expected}\n"),
                "{command}"
            );
            assert_eq!(
                std::fs::read_dir(dir.path()).expect("read dir").count(),
                0,
                "{command}"
            );
        }
    }
}

#[test]
fn position_names_are_typed_inside_each_and_refused_outside() {
    assert!(check_src(
        "{{#each steps.pods.outputs.names}}{{#if @index >= 1 && !@first || @last}}x{{/if}}{{/each}}"
    )
    .is_empty());
    let typed = check_src("{{#each steps.pods.outputs.names}}{{#if @first > 1}}x{{/if}}{{/each}}");
    assert_eq!(typed.len(), 1, "{typed:?}");
    assert_eq!(typed[0].0, Code::TypeMismatch, "{typed:?}");
    let number = check_src("{{#each steps.pods.outputs.names}}{{#if @index}}x{{/if}}{{#if @index + 1}}y{{/if}}{{/each}}");
    assert_eq!(number.len(), 1, "{number:?}");
    assert_eq!(number[0].0, Code::TypeMismatch, "{number:?}");
    // Outside a block: a single path is refused as the template is read.
    for (src, at) in [("{{@index}}", "@index"), ("{{#if @last}}x{{/if}}", "@last")] {
        let (d, written) = err(src);
        assert_eq!(d.code, Code::ElementOutOfScope, "{src}: {}", d.message);
        assert_eq!(written, at);
    }
    let (d, _) = err("{{#each inputs.list}}{{@frist}}{{/each}}");
    assert_eq!(d.code, Code::InvalidPath);
    assert_eq!(d.help.as_deref(), Some("did you mean `@first`?"));
}
