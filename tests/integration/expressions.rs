//! Issue 12, section 2: functions in expressions and templates, against a
//! real shell: list functions with lambdas decide a branch, computed
//! insertions fill a command in, and a hostile value that goes through a
//! function is still quoted where it lands.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: functions
inputs:
  note:
    type: string
    default: plain
steps:
  - id: pods
    shell: |
      printf '%s' '[{"name":"web-1","cpu":42.5},{"name":"web-2","cpu":91.25},{"name":"db-1","cpu":7}]'
    effect: read
    outputs:
      items:
        from: stdout
        json: $
        type: list
  - id: hot
    needs: [pods]
    when: any(steps.pods.outputs.items, p => p.cpu > 80) && count(steps.pods.outputs.items, p => starts_with(p.name, "web")) == 2
    shell: |
      printf '%s|%s|%s|%s\n' {{join(map(filter(steps.pods.outputs.items, p => p.cpu > 40), p => upper(p.name)), ",")}} {{format(max(steps.pods.outputs.items, p => p.cpu), 1)}} "{{sum(steps.pods.outputs.items, p => p.cpu) / len(steps.pods.outputs.items)}}" {{lower(inputs.note)}} > hot.txt
  - id: cold
    needs: [pods]
    when: all(steps.pods.outputs.items, p => p.cpu < 50)
    shell: touch cold.txt
"#;

#[test]
fn functions_decide_and_fill_in_a_real_shell_command() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("hot"), "succeeded", "{}", run.describe());
    assert_eq!(run.state("cold"), "skipped", "{}", run.describe());
    assert_eq!(
        sandbox.read("hot.txt"),
        "WEB-1,WEB-2|91.2|46.916666666666664|plain\n"
    );
    assert!(!sandbox.path().join("cold.txt").exists());
}

#[test]
fn a_hostile_value_through_a_function_is_still_quoted() {
    let sandbox = Sandbox::new(PLAYBOOK);
    for hostile in [
        "$(touch PWNED)",
        "`touch PWNED`",
        "it's \"x\"; touch PWNED",
        "a\ntouch PWNED",
    ] {
        let run = sandbox.run(&["--yes", "--input", &format!("note={hostile}")]);
        assert_eq!(run.code, 0, "{}", run.describe());
        let written = sandbox.read("hot.txt");
        assert!(
            written.ends_with(&format!("|{}\n", hostile.to_lowercase())),
            "{written:?}"
        );
        assert!(!sandbox.path().join("PWNED").exists());
        assert!(!sandbox.path().join("pwned").exists());
    }
}

#[test]
fn check_types_functions_in_both_syntaxes() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let out = sandbox
        .command(&["check", "p.yaml"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same playbook converted to the other syntax and back checks the same.
    let converted = sandbox
        .command(&["convert", "p.yaml", "--to", "runbook"])
        .output()
        .expect("runs");
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let text = String::from_utf8_lossy(&converted.stdout).into_owned();
    assert!(
        text.contains("any(steps.pods.outputs.items, p => p.cpu > 80)"),
        "{text}"
    );
    std::fs::write(sandbox.path().join("p.runbook"), &text).expect("write");
    let out = sandbox
        .command(&["check", "p.runbook"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
