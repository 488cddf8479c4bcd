//! Issue 12, section 3: text filtering against a real shell: an output
//! declared as the lines matching a pattern (`lines:`) with `select: count
//! | first | last | all`, and a regex output capturing every match.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: logs
steps:
  - id: logs
    shell: |
      printf '%s\n' 'boot ok' 'error: disk full code=28' 'request served' 'panic: nil map code=11' "error: \$(touch PWNED) 'quoted'"
    effect: read
    outputs:
      errors:
        lines: error|panic
      error_count:
        lines: error|panic
        select: count
      first_error:
        lines: error|panic
        select: first
      last_error:
        lines: ^error
        select: last
      codes:
        regex: 'code=(\d+)'
        select: all
      none:
        lines: segfault
        select: first
        default: none
  - id: report
    needs: [logs]
    when: steps.logs.outputs.error_count > 2 && any(steps.logs.outputs.errors, l => starts_with(l, "panic"))
    shell: printf '%s\n' {{steps.logs.outputs.last_error}} {{join(steps.logs.outputs.codes, "+")}} {{steps.logs.outputs.none}} > report.txt
"#;

#[test]
fn lines_and_all_matches_are_outputs_a_branch_and_a_command_read() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let outputs = run.finished("logs")["outputs"].clone();
    assert_eq!(outputs["error_count"], 3);
    assert_eq!(outputs["errors"].as_array().unwrap().len(), 3);
    assert_eq!(outputs["first_error"], "error: disk full code=28");
    assert_eq!(outputs["codes"], serde_json::json!(["28", "11"]));
    assert_eq!(outputs["none"], "none");
    assert_eq!(run.state("report"), "succeeded", "{}", run.describe());
    assert_eq!(
        sandbox.read("report.txt"),
        "error: $(touch PWNED) 'quoted'\n28+11\nnone\n"
    );
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn lines_outputs_convert_between_syntaxes() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let converted = sandbox
        .command(&["convert", "p.yaml", "--to", "runbook"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&converted.stdout).into_owned();
    assert!(
        text.contains("lines \"error|panic\"") && text.contains("select count"),
        "{text}"
    );
    std::fs::write(sandbox.path().join("p.runbook"), &text).unwrap();
    let out = sandbox.command(&["check", "p.runbook"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
