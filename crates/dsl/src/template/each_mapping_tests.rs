//! Tests of `{{#each}}` over mappings: `@key` and `as |value key|`, the
//! error for a key read over a list, rendering in key order, and hostile
//! keys and values through a real `sh -c`.

use super::tests::{check_src, err, file, render};
use super::*;
use crate::code::Code;
use serde_json::json;

#[test]
fn each_over_a_mapping_reads_the_key_and_names_both() {
    let (_, text) =
        file("{{#each steps.pods.outputs.labels as |value key|}}{{key}}={{value}}{{/each}}");
    let tpl = parse(&text).expect("parses");
    let Segment::If(block) = &tpl.segments[0] else {
        panic!("{tpl:?}")
    };
    let each = block.each.as_ref().expect("an each");
    assert_eq!(each.alias.as_deref(), Some("value"));
    assert_eq!(each.key_alias.as_deref(), Some("key"));
    for bad in [
        "{{#each a as |v k j|}}{{/each}}",
        "{{#each a as |v v|}}{{/each}}",
        "{{#each a as |v steps|}}{{/each}}",
        "{{#each a as |v| k}}{{/each}}",
    ] {
        let (d, _) = err(bad);
        assert_eq!(d.code, Code::TemplateSyntax, "{bad}");
    }
}

#[test]
fn a_key_is_checked_as_a_string_and_refused_over_a_list() {
    assert!(check_src(
        "{{#each steps.pods.outputs.labels}}{{@key}}={{upper this}} {{#if @key != \"x\"}}y{{/if}}{{/each}}"
    )
    .is_empty());
    assert!(
        check_src("{{#each steps.pods.outputs.labels as |v k|}}{{lower k}}={{v}}{{/each}}")
            .is_empty()
    );
    // JSON of unknown shape may be a mapping.
    assert!(check_src("{{#each steps.pods.json}}{{@key}}{{/each}}").is_empty());
    let over_list = check_src("{{#each steps.pods.outputs.names}}{{@key}}{{/each}}");
    assert_eq!(
        over_list,
        vec![(
            Code::ElementOutOfScope,
            "`@key` is the key of a mapping's entry, and this `{{#each}}` walks a list".into(),
            "@key".into()
        )]
    );
    let named = check_src("{{#each steps.pods.outputs.names as |n i|}}{{i}}{{/each}}");
    assert_eq!(named[0].0, Code::ElementOutOfScope);
    assert_eq!(named[0].2, "i");
    // In a condition too; and an inner list hides an outer mapping's `@key`.
    let cond =
        check_src("{{#each steps.pods.outputs.names}}{{#if @key == \"a\"}}x{{/if}}{{/each}}");
    assert_eq!(cond[0].0, Code::ElementOutOfScope);
    let nested = check_src(
        "{{#each steps.pods.outputs.labels}}{{#each steps.pods.outputs.names}}{{@key}}{{/each}}{{/each}}",
    );
    assert_eq!(nested[0].0, Code::ElementOutOfScope);
    // Outside any block, `@key` is out of scope as `@index` is.
    let (d, at) = err("{{@key}}");
    assert_eq!(d.code, Code::ElementOutOfScope);
    assert_eq!(at, "@key");
    // A value that is neither a list nor a mapping.
    assert_eq!(
        check_src("{{#each inputs.namespace}}{{this}}{{/each}}")[0].1,
        "`#each` walks a list or a mapping, this is a string"
    );
}

#[test]
fn each_over_a_mapping_renders_in_key_order() {
    let context = json!({"inputs": {"m": {"b": 2, "a": "x y", "c": null}}});
    let out = render(
        "{{#each inputs.m}}{{@index}}:{{@key}}={{this}}{{#if !@last}},{{/if}}{{/each}}",
        &context,
        Quoting::None,
    )
    .expect("renders");
    assert_eq!(out, "0:a=x y,1:b=2,2:c=");
    let out = render(
        "{{#each inputs.m as |v k|}}{{k}}{{/each}}",
        &context,
        Quoting::None,
    )
    .expect("renders");
    assert_eq!(out, "abc");
    let out = render(
        "{{#each inputs.e}}x{{else}}empty{{/each}}",
        &json!({"inputs": {"e": {}}}),
        Quoting::None,
    )
    .expect("renders");
    assert_eq!(out, "empty");
    let error = render(
        "{{#each inputs.s}}x{{/each}}",
        &json!({"inputs": {"s": "secret-ish"}}),
        Quoting::None,
    )
    .expect_err("a string is neither");
    assert!(
        error
            .message
            .contains("needs a list or a mapping, this is a string"),
        "{}",
        error.message
    );
    assert!(!error.message.contains("secret-ish"), "{}", error.message);
    // Over a list at run time, `@key` has no value: an error, not "".
    let error = render(
        "{{#each inputs.l}}{{@key}}{{/each}}",
        &json!({"inputs": {"l": [1]}}),
        Quoting::None,
    )
    .expect_err("no key");
    assert!(error.message.contains("has no value"), "{}", error.message);
}

#[test]
fn hostile_keys_and_values_never_execute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = json!({
        "$(touch pwned)": "`touch pwned`",
        "' ; touch pwned ; '": "a\ntouch pwned",
        "# x": "\"$(touch pwned)\"",
        "../../etc": "$HOME",
        "a\nb": "' \\"
    });
    for template in [
        "{{#each inputs.v}}printf '%s|%s\\n' {{@key}} {{this}}; {{/each}}",
        "{{#each inputs.v as |value key|}}printf '%s|%s\\n' \"{{key}}\" \"{{value}}\"; {{/each}}",
        "{{#each inputs.v}}printf '%s|%s\\n' {{@key}}{{#if @first}}{{/if}} \"$(printf %s {{this}})\"; {{/each}}",
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
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}|{}\n", v.as_str().unwrap()))
            .collect();
        assert_eq!(String::from_utf8_lossy(&output.stdout), expected, "{command}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{command}");
    }
}
