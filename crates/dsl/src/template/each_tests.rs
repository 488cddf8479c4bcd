//! Tests of `{{#each}}` blocks: reading, the names the body binds,
//! checking, rendering, and hostile elements through a real `sh -c`.

use super::tests::{check_src, err, file, r, render};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn each_blocks_read_with_this_index_and_a_name() {
    let (f, text) =
        file("{{#each inputs.list as |item|}}{{@index}}={{item}} {{this}};{{else}}none{{/each}}");
    let tpl = parse(&text).expect("parses");
    let Segment::If(block) = &tpl.segments[0] else {
        panic!("{tpl:?}")
    };
    assert_eq!(
        block.each.as_ref().and_then(|e| e.alias.as_deref()),
        Some("item")
    );
    assert_eq!(f.slice(block.path.span), "inputs.list");
    assert_eq!(block.otherwise.len(), 1);
    let paths: Vec<String> = tpl
        .insertions()
        .iter()
        .map(|i| i.path.to_string())
        .collect();
    assert_eq!(paths, vec!["[\"@index\"]", "item", "this"]);
    // `this` outside a block is still refused, with the same words as before.
    let (d, at) = err("{{this}}");
    assert_eq!(
        d.message,
        "`this`, `../` and `@` variables are not supported"
    );
    assert_eq!(at, "this");
    for bad in [
        "{{#each}}{{/each}}",
        "{{#each a as item}}{{/each}}",
        "{{#each a as |steps|}}{{/each}}",
    ] {
        let (d, _) = err(bad);
        assert_eq!(d.code, Code::TemplateSyntax, "{bad}");
    }
    let (d, _) = err("{{#each inputs.list}}x{{/if}}");
    assert_eq!(d.message, "`{{#each}}` is closed by `{{/if}}`");
}

#[test]
fn each_bodies_are_checked_like_the_rest() {
    assert!(check_src("{{#each steps.pods.outputs.names}}{{this}} {{@index}}{{/each}}").is_empty());
    assert!(
        check_src("{{#each steps.pods.outputs.names as |n|}}{{upper n}} {{len(n)}}{{/each}}")
            .is_empty()
    );
    assert_eq!(
        check_src("{{#each inputs.namespace}}{{this}}{{/each}}"),
        vec![(
            Code::TypeMismatch,
            "`#each` walks a list or a mapping, this is a string".into(),
            "inputs.namespace".into()
        )]
    );
    assert_eq!(
        check_src("{{#each steps.pods.outputs.names}}{{inputs.nope}}{{this.name}}{{/each}}"),
        vec![
            (
                Code::UnknownInput,
                "unknown `inputs.nope`".into(),
                "inputs.nope".into()
            ),
            (
                Code::InvalidPath,
                "`this` is a string, it has no fields".into(),
                "name".into()
            ),
        ]
    );
}

#[test]
fn each_renders_every_element_in_order() {
    assert_eq!(
        r(
            "{{#each inputs.list}}[{{@index}}:{{this}}]{{/each}}",
            Quoting::None
        ),
        "[0:a b][1:c]"
    );
    assert_eq!(
        r(
            "{{#each inputs.nothing}}x{{else}}empty{{/each}}",
            Quoting::None
        ),
        "empty"
    );
    assert_eq!(
        r(
            "{{#each steps.api.json.items as |i|}}{{i.name}}/{{upper(this.name)}}{{/each}}",
            Quoting::None
        ),
        "first/FIRST"
    );
    assert_eq!(
        r("rm {{#each inputs.list}}{{this}} {{/each}}", Quoting::Shell),
        "rm 'a b' c "
    );
    let error = render(
        "{{#each inputs.n}}x{{/each}}",
        &super::tests::ctx(),
        Quoting::None,
    )
    .expect_err("3 is not a list");
    assert!(error.message.contains("needs a list"), "{}", error.message);
}

#[test]
fn hostile_elements_never_execute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = json!([
        "$(touch pwned)",
        "`touch pwned`",
        "' ; touch pwned ; '",
        "a\ntouch pwned",
        "# x"
    ]);
    for template in [
        "printf '%s\\n' {{#each inputs.v}}{{this}} {{/each}}",
        "printf '%s\\n' {{#each inputs.v as |x|}}\"{{x}}\" {{/each}}",
        "printf '%s\\n' {{#each inputs.v}}{{lower(this)}} {{/each}}",
    ] {
        let command =
            render(template, &json!({"inputs": {"v": hostile}}), Quoting::Shell).expect("renders");
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(dir.path())
            .output()
            .expect("sh runs");
        let expected: String = hostile
            .as_array()
            .unwrap()
            .iter()
            .map(|v| format!("{}\n", v.as_str().unwrap()))
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "{command}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{command}"
        );
    }
    // A body that leaves a quote open would repeat it: refused by check.
    let open_quote = check_src_shell("echo {{#each steps.pods.outputs.names}}'{{/each}}");
    assert!(
        open_quote
            .iter()
            .any(|(c, _, _)| *c == Code::UnsafeShellInsertion),
        "{open_quote:?}"
    );
}

fn check_src_shell(src: &str) -> Vec<(Code, String, String)> {
    let (f, text) = file(src);
    let tpl = parse(&text).expect("parses");
    let mut diags = crate::diagnostic::Diagnostics::new();
    check(
        &tpl,
        Quoting::Shell,
        &mut super::tests::TestScope,
        &mut diags,
    );
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
