//! Issue 12, section 2: `duration` inputs, and `timeout`/`within`/`every`/
//! `delay` written as templates, against a real shell: checked where the
//! type is known, rendered when the step runs.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: durations
inputs:
  limit: {type: duration, default: 10s}
  text: {type: string, default: 5s}
steps:
  - id: slow
    shell: sleep 5
    effect: read
    timeout: "{{inputs.limit}}"
  - id: said
    shell: echo {{inputs.limit}} > limit.txt
    effect: read
    timeout: "{{inputs.text}}"
  - id: poll
    shell: touch polled; ls polled
    effect: read
    until:
      condition: steps.poll.exit_code == 0
      every: "{{inputs.limit}}"
      within: "{{inputs.text}}"
"#;

#[test]
fn a_duration_input_sets_a_timeout_when_the_step_runs() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--input", "limit=300ms"]);
    assert_eq!(run.state("slow"), "timed_out", "{}", run.describe());
    assert_eq!(run.state("said"), "succeeded", "{}", run.describe());
    assert_eq!(run.state("poll"), "succeeded", "{}", run.describe());
    // A duration is its number of seconds where it is inserted.
    assert_eq!(sandbox.read("limit.txt"), "0.3\n");
}

#[test]
fn text_that_is_not_a_duration_fails_the_step_that_reads_it() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--input", "text=$(touch PWNED) soon"]);
    assert_eq!(run.state("said"), "failed", "{}", run.describe());
    assert!(
        run.message("said")
            .contains("`timeout` is `$(touch PWNED) soon`, which is not a duration"),
        "{}",
        run.message("said")
    );
    assert!(!sandbox.path().join("PWNED").exists());
    // A duration input refuses what is not one, before anything runs.
    let bad = sandbox.run(&["--input", "limit=300"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.describe());
}
