//! Issue 12, section 2: `filter`/`map` over lists with a path. An element
//! path (`.name` as the argument of a list function, short for
//! `x => x.name`) runs against a real shell in both syntaxes, and `fmt` and
//! `convert` print it back as written.

use crate::running::Sandbox;

/// Pods as JSON from a real shell; one name is hostile, so the joined
/// insertion must stay one quoted word.
const YAML: &str = r#"name: element-paths
vars:
  ready: map(filter(steps.pods.outputs.items, .status.ready), .metadata.name)
steps:
  - id: pods
    shell: printf '%s' '[{"metadata":{"name":"web-1"},"status":{"ready":true}},{"metadata":{"name":"$(touch pwned)"},"status":{"ready":true}},{"metadata":{"name":"db-1"},"status":{"ready":false}}]'
    effect: read
    outputs:
      items:
        json: $
        type: list
  - id: report
    needs: [pods]
    when: any(steps.pods.outputs.items, .status.ready) && count(steps.pods.outputs.items, .status["ready"]) == 2
    shell: printf '%s\n' {{join(vars.ready, ",")}} > ready.txt
  - id: never
    needs: [pods]
    when: all(steps.pods.outputs.items, .status.ready)
    shell: touch never.txt
"#;

fn assert_ran(sandbox: &Sandbox, file: &str) {
    let run = crate::running::Run::from(
        sandbox
            .command(&["run", file, "--output", "json", "--yes"])
            .output()
            .expect("runbook runs"),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(sandbox.read("ready.txt"), "web-1,$(touch pwned)\n");
    assert_eq!(run.state("never"), "skipped", "{}", run.describe());
    assert!(!sandbox.path().join("pwned").exists());
    assert!(!sandbox.path().join("never.txt").exists());
}

#[test]
fn element_paths_filter_and_map_in_both_syntaxes() {
    let sandbox = Sandbox::new(YAML);
    assert_ran(&sandbox, "p.yaml");

    let converted = sandbox
        .command(&["convert", "p.yaml", "--to", "runbook"])
        .output()
        .expect("convert runs");
    assert!(converted.status.success());
    let runbook = String::from_utf8(converted.stdout).unwrap();
    assert!(
        runbook.contains(
            "var ready = map(filter(steps.pods.outputs.items, .status.ready), .metadata.name)"
        ),
        "{runbook}"
    );
    assert!(
        runbook.contains(r#"when any(steps.pods.outputs.items, .status.ready) && count(steps.pods.outputs.items, .status["ready"]) == 2"#),
        "{runbook}"
    );

    let sandbox = Sandbox::new("");
    std::fs::write(sandbox.path().join("p.runbook"), &runbook).unwrap();
    assert_ran(&sandbox, "p.runbook");
    // `fmt` of the converted file changes nothing: the paths stay as written.
    let fmt = sandbox
        .command(&["fmt", "--check", "p.runbook"])
        .output()
        .expect("fmt runs");
    assert!(
        fmt.status.success(),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}
