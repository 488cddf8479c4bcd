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
