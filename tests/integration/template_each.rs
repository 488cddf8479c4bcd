//! Issue 12, section 2: `{{#each}}` blocks in a real shell command: every
//! element of a list a step produced, quoted where it lands, in order.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: each
steps:
  - id: pods
    shell: |
      printf '%s' '[{"name":"web-1"},{"name":"$(touch PWNED)"},{"name":"it'"'"'s"}]'
    effect: read
    outputs:
      items:
        json: $
        type: list
  - id: list
    needs: [pods]
    shell: "{{#each steps.pods.outputs.items as |pod|}}printf '%s=%s\\n' {{@index}} {{pod.name}} >> pods.txt; {{else}}echo none; {{/each}}"
"#;

#[test]
fn each_writes_every_element_quoted_into_a_real_shell_command() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        sandbox.read("pods.txt"),
        "0=web-1\n1=$(touch PWNED)\n2=it's\n"
    );
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn a_dry_run_shows_the_command_for_every_element() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let would = run.events_of("step_would_run");
    let description = would[0]["description"].as_str().unwrap();
    assert!(description.contains("'$(touch PWNED)'"), "{description}");
    assert!(!sandbox.path().join("pods.txt").exists());
}

/// `@index`, `@first` and `@last` in `{{#if}}` conditions inside a block:
/// a list of names joined as a person writes them, by a real shell, each
/// hostile name still one quoted word.
#[test]
fn conditions_read_the_elements_position_in_a_real_shell() {
    let s = Sandbox::new(
        r#"name: positions
steps:
  - id: pods
    shell: |
      printf '%s' '["api-1","$(touch PWNED)","it'"'"'s"]'
    effect: read
    outputs:
      names: {json: $, type: list}
  - id: summary
    needs: [pods]
    shell: "echo {{#each steps.pods.outputs.names as |pod|}}{{#if @index > 0 && !@last}}, {{/if}}{{#if @last && !@first}} and {{/if}}{{pod}}{{#unless !@last}}.{{/unless}}{{/each}} > summary"
  - id: solo
    shell: printf '%s' '["solo"]'
    effect: read
    outputs:
      names: {json: $, type: list}
  - id: one
    needs: [solo]
    shell: "echo {{#each steps.solo.outputs.names as |x|}}{{#if @first && @last && @index == 0}}only {{x}}{{/if}}{{/each}} > one"
"#,
    );
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("summary"), "api-1, $(touch PWNED) and it's.\n");
    assert_eq!(s.read("one"), "only solo\n");
    assert!(!s.path().join("PWNED").exists());

    // Outside a block the names are refused before anything runs.
    let bad = Sandbox::new(
        "name: outside\nsteps:\n  - id: a\n    when: \"@last\"\n    shell: echo {{#if @index > 0}}x{{/if}} > ran\n",
    );
    let out = bad.command(&["check", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(
        text.matches("runbook::element_out_of_scope").count(),
        2,
        "{text}"
    );
    let run = bad.run(&["--yes"]);
    assert_ne!(run.code, 0);
    assert!(!bad.path().join("ran").exists());
}
