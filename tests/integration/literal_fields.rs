//! Every field is either a template (filled in and checked) or a literal
//! that rejects `{{...}}` at check time (docs/language.md, "Templates").

use crate::running::Sandbox;

fn check(playbook: &str) -> (i32, String) {
    let s = Sandbox::new(playbook);
    let out = s.command(&["check", "p.yaml"]).output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn parameters_that_are_never_interpreted_reject_templates() {
    // A template in a plain-string parameter failed at run time ("no
    // resource type `{{steps...}}`"); in a description it was shown as
    // written. Both are check errors now.
    let (code, text) = check(
        r#"
steps:
  - id: kind
    description: "Scale {{ inputs.deployment }} now"
    ask:
      question: Which resource?
      choices: [deployment, statefulset]
  - id: scale
    needs: [kind]
    title: "Scale {{#if steps.kind.answer}}it{{/if}}"
    k8s:
      operation: scale
      resource: "{{steps.kind.answer}}"
      name: api
      replicas: 3
  - id: count
    sql:
      url: postgres://localhost/app
      query: "SELECT count(*) FROM jobs WHERE queue = '{{steps.kind.answer}}'"
"#,
    );
    assert_eq!(code, 2, "{text}");
    assert_eq!(
        text.matches("runbook::template_in_literal").count(),
        4,
        "{text}"
    );
    assert!(text.contains("`resource` is not a template"), "{text}");
    assert!(text.contains("`query` is not a template"), "{text}");
    assert!(text.contains("pass values as `params`"), "{text}");
    assert!(text.contains("a `description` is not a template"), "{text}");
    assert!(text.contains("a `title` is not a template"), "{text}");

    // Braces that are not insertions stay literal: a Postgres array, JSON.
    let (code, text) = check(
        r#"
steps:
  - id: arrays
    description: 'Compares {"a": 1} with the array {{1,2},{3,4}}'
    sql:
      url: postgres://localhost/app
      query: "SELECT '{{1,2},{3,4}}'::int[][] AS grid, '{\"k\": {\"v\": 1}}'::jsonb"
"#,
    );
    assert_eq!(code, 0, "{text}");

    // kubectl's JSONPath form is an error whose help gives this dialect's.
    let (code, text) = check(
        r#"
steps:
  - id: rollout
    k8s:
      operation: get
      resource: deployment
      name: api
    outputs:
      ready: {from: object, json: "{.status.readyReplicas}", type: int}
"#,
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("runbook::invalid_json_path"), "{text}");
    assert!(
        text.contains("write `$.status.readyReplicas`, without kubectl's braces"),
        "{text}"
    );
}
