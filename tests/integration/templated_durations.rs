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

/// `wait`'s `duration` written as a template: rendered when the step runs,
/// shown rendered by a dry-run, and text that is not a duration fails the
/// step before it waits, naming the parameter and the text.
const WAITS: &str = r#"name: waits
inputs:
  settle: {type: duration, default: 10ms}
  said: {type: string, default: 20ms}
steps:
  - id: settle
    wait: "{{inputs.settle}}"
  - id: said
    needs: [settle]
    wait:
      duration: "{{inputs.said}}"
    # Declared `write` so that a dry-run shows it instead of waiting.
    effect: write
  - id: after
    needs: [said]
    shell: echo done > after.txt
    effect: read
"#;

#[test]
fn a_templated_wait_renders_its_duration() {
    let sandbox = Sandbox::new(WAITS);
    let run = sandbox.run(&["--yes", "--input", "settle=1ms", "--input", "said=2ms"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("settle"), "succeeded", "{}", run.describe());
    assert_eq!(run.state("said"), "succeeded", "{}", run.describe());
    assert_eq!(sandbox.read("after.txt"), "done\n");
    std::fs::remove_file(sandbox.path().join("after.txt")).expect("written");
    let dry = sandbox.run(&["--dry-run", "--input", "said=90m"]);
    assert_eq!(dry.code, 0, "{}", dry.describe());
    let would = dry.events_of("step_would_run");
    assert_eq!(would.len(), 1, "{}", dry.describe());
    assert_eq!(would[0]["step"], "said");
    assert_eq!(would[0]["description"], "wait 5400s");
}

#[test]
fn a_templated_wait_that_is_not_a_duration_fails_before_it_waits() {
    // An input: refused before anything runs, naming the step.
    let sandbox = Sandbox::new(WAITS);
    let run = sandbox.run(&["--yes", "--input", "said=$(touch PWNED) later"]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.events_of("step_finished").is_empty(),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr
            .contains("input `said` cannot go where step `said` puts it")
            && run
                .stderr
                .contains("`duration` is `$(touch PWNED) later`, which is not a duration"),
        "{}",
        run.stderr
    );
    assert!(
        !sandbox.path().join("after.txt").exists(),
        "{}",
        run.describe()
    );
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn a_templated_duration_known_at_check_time_is_checked_there() {
    let sandbox = Sandbox::new(&WAITS.replace("default: 20ms", "default: 5x"));
    let run = sandbox.run(&[]);
    assert_ne!(run.code, 0, "{}", run.describe());
    assert!(
        run.stderr
            .contains("`duration` renders `5x`, which is not a duration"),
        "{}",
        run.describe()
    );
    assert!(
        run.events_of("step_finished").is_empty(),
        "{}",
        run.describe()
    );
    // Given another value, the default is not what the run would use, but
    // the playbook is refused all the same: its default is wrong.
    let given = sandbox.run(&["--input", "said=1ms"]);
    assert_ne!(given.code, 0, "{}", given.describe());
}

#[test]
fn a_person_is_not_timed_by_a_default_when_the_timeout_does_not_render() {
    let sandbox = Sandbox::new(
        r#"name: people
inputs:
  t: {type: string, default: 5m}
steps:
  - id: status_page
    manual: Update the status page.
    timeout: "{{inputs.t}}"
"#,
    );
    let run = sandbox.run(&["--input", "t=`touch PWNED` soon", "--gate-timeout", "1s"]);
    assert_eq!(run.state("status_page"), "failed", "{}", run.describe());
    let message = run.message("status_page");
    assert!(
        message.contains("`timeout` is ``touch PWNED` soon`, which is not a duration"),
        "{message}"
    );
    assert!(run.events_of("asked").is_empty(), "{}", run.describe());
    assert!(!sandbox.path().join("PWNED").exists());
}

#[test]
fn a_wait_that_reads_what_a_dry_run_only_described_is_undecided() {
    let sandbox = Sandbox::new(
        r#"name: undecided
steps:
  - id: pick
    shell: echo 5ms
    outputs:
      grace: {from: stdout}
  - id: settle
    needs: [pick]
    wait: "{{steps.pick.outputs.grace}}"
"#,
    );
    let dry = sandbox.run(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.describe());
    assert_eq!(dry.state("settle"), "skipped", "{}", dry.describe());
    assert!(
        dry.message("settle")
            .contains("cannot be decided in a dry-run"),
        "{}",
        dry.message("settle")
    );
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.state("settle"), "succeeded", "{}", run.describe());
}

#[test]
fn a_gated_step_whose_timeout_does_not_render_fails_before_its_gate() {
    let sandbox = Sandbox::new(
        r#"name: gated
inputs:
  t: {type: string, default: 5m}
steps:
  - id: restart
    shell: touch restarted
    approval: true
    timeout: "{{inputs.t}}"
"#,
    );
    let run = sandbox.run(&["--yes", "--approve", "restart", "--input", "t=soon"]);
    assert_eq!(run.state("restart"), "failed", "{}", run.describe());
    assert!(
        run.message("restart")
            .contains("`timeout` is `soon`, which is not a duration"),
        "{}",
        run.message("restart")
    );
    assert!(
        run.events_of("gate_requested").is_empty(),
        "{}",
        run.describe()
    );
    assert!(
        run.events_of("gate_decided").is_empty(),
        "{}",
        run.describe()
    );
    assert!(!sandbox.path().join("restarted").exists());
    // With a duration, the same run asks its gate (approved on the command line).
    let fine = sandbox.run(&["--yes", "--approve", "restart", "--input", "t=1m"]);
    assert_eq!(fine.state("restart"), "succeeded", "{}", fine.describe());
    assert_eq!(
        fine.events_of("gate_decided").len(),
        1,
        "{}",
        fine.describe()
    );
}

/// `.runbook`'s one-line `retry` takes a templated delay as a string, like
/// `every`/`within` do: it runs, and converts to the YAML form.
#[test]
fn a_one_line_retry_takes_a_templated_delay_in_runbook() {
    let s = Sandbox::new("steps: []\n");
    std::fs::write(
        s.path().join("r.runbook"),
        "playbook r\ninput pause {\n  type duration\n  default 50ms\n}\nstep flaky {\n  shell \"echo x >> tries; false\"\n  retry 3 delay \"{{inputs.pause}}\" backoff 2\n}\n",
    )
    .unwrap();
    let out = s.command(&["run", "r.runbook"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(s.path().join("tries")).unwrap(),
        "x\nx\nx\n"
    );
    let yaml = s
        .command(&["convert", "--to", "yaml", "r.runbook"])
        .output()
        .unwrap();
    let yaml = String::from_utf8_lossy(&yaml.stdout);
    assert!(yaml.contains("delay: \"{{inputs.pause}}\""), "{yaml}");
}
