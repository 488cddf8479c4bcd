//! Dry-run executes probes and describes changes; `plan` executes nothing.

use crate::running::Sandbox;

#[test]
fn dry_run_executes_reads_describes_writes_and_shows_gates() {
    let s = Sandbox::new(
        r#"
inputs:
  ns: {type: string, default: prod}
  token: {type: string, secret: true, env: DRY_TOKEN}
steps:
  - id: probe
    shell: echo probed >> trail; echo 3
    effect: read
    outputs:
      n: {type: int}
  - id: route
    needs: [probe]
    branch:
      - when: steps.probe.outputs.n > 2
        then: scale
      - else: nothing
  - id: scale
    shell: kubectl scale --replicas={{steps.probe.outputs.n}} -n {{inputs.ns}} --token {{inputs.token}}; echo scaled >> trail
    approval: Scale?
  - id: nothing
    log: nothing to do
  - id: after
    needs: [scale]
    shell: echo {{steps.scale.stdout}}
"#,
    );
    let out = s
        .command(&["run", "p.yaml", "--dry-run", "--output", "json"])
        .env("DRY_TOKEN", "tok-secret-1")
        .output()
        .unwrap();
    let run = crate::running::Run::from(out);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "probed\n", "only the read step executed");
    assert_eq!(
        run.state("nothing"),
        "skipped",
        "the branch decision is real"
    );
    let shown = run.events_of("gate_shown");
    assert_eq!(shown[0]["step"], "scale");
    let would = run.events_of("step_would_run");
    let scale = would.iter().find(|e| e["step"] == "scale").unwrap();
    assert_eq!(
        scale["description"],
        "kubectl scale --replicas=3 -n prod --token ***; echo scaled >> trail"
    );
    let after = would.iter().find(|e| e["step"] == "after").unwrap();
    // The placeholder of a value the dry-run does not know is quoted like
    // the value would be: `<` and `>` are redirections.
    assert_eq!(after["description"], "echo '<steps.scale.stdout>'");
    assert!(!run.stdout.contains("tok-secret-1"));
}

/// A dry-run does not pause at a fixed `wait` (what it lets settle is the
/// effect of a write the dry-run did not make): the step succeeds at once,
/// saying how long a run would wait, and the steps after it run. An hour's
/// wait that was slept would hang the test.
#[test]
fn a_dry_run_says_how_long_a_wait_would_pause_instead_of_pausing() {
    let s = Sandbox::new(
        r#"
steps:
  - id: scale
    shell: echo scaled >> trail
  - id: settle
    needs: [scale]
    wait: 1h
  - id: probe
    needs: [settle]
    shell: echo probed >> trail
    effect: read
"#,
    );
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("settle"), "succeeded", "{}", run.describe());
    assert_eq!(
        run.message("settle"),
        "a dry-run does not wait; a run waits 1h here"
    );
    assert_eq!(run.state("probe"), "succeeded", "{}", run.describe());
    assert_eq!(s.read("trail"), "probed\n", "only the read step executed");
}

#[test]
fn plan_lists_every_path_with_its_gates() {
    let out = crate::running::Sandbox::new("steps: []\n")
        .command(&[
            "plan",
            &format!(
                "{}/playbooks/alphaswarm/incident.yaml",
                env!("CARGO_MANIFEST_DIR")
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("paths through `alphaswarm-incident`; nothing was executed"),
        "{text}"
    );
    assert!(
        text.contains("if `route` -> `workload` (steps.classify.answer is `workload`)"),
        "{text}"
    );
    assert!(text.contains("◆ a_restart [write, gate]"), "{text}");
    let paths = text.lines().filter(|l| l.starts_with("path ")).count();
    assert!(paths >= 6, "{paths} paths:\n{text}");
}

#[test]
fn a_read_step_that_runs_in_a_dry_run_sees_unknown_values_as_quoted_placeholders() {
    let s = crate::running::Sandbox::new(
        r#"
steps:
  - id: make
    shell: echo made
  - id: look
    needs: [make]
    effect: read
    shell: printf '%s|%s' {{steps.make.stdout}} "in {{steps.make.stdout}} quotes" > seen
"#,
    );
    let run = crate::running::Run::from(
        s.command(&["run", "p.yaml", "--dry-run", "--output", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("look"), "succeeded");
    assert_eq!(
        s.read("seen"),
        "<steps.make.stdout>|in <steps.make.stdout> quotes"
    );
}

/// `runbook runs` says which runs were dry-runs: their `succeeded`
/// changed nothing.
#[test]
fn runs_lists_a_dry_run_as_one() {
    let s = Sandbox::new("steps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(s.run(&["--dry-run"]).code, 0);
    assert_eq!(s.run(&["--yes"]).code, 0);
    let out = s.command(&["runs", "--format", "json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let modes: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["dry_run", "run"]);
    let out = s.command(&["runs"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].contains(" MODE "), "{table}");
    assert!(rows[1].contains(" succeeded   dry-run "), "{table}");
    assert!(rows[2].contains(" succeeded   run "), "{table}");
}

/// What a shell step would run includes the environment it gives the
/// command (what `"$NAME"` reads), secret values masked.
#[test]
fn a_shell_steps_environment_is_shown_with_its_command_secrets_masked() {
    let s = Sandbox::new(
        r#"
inputs:
  tok: {type: string, secret: true, env: RB_TOK}
steps:
  - id: reissue
    shell:
      command: 'openssl req -keyout "$NAME.new.key" -passout "env:T"'
      env: {NAME: "short-lived", T: "{{inputs.tok}}"}
    approval: Reissue?
"#,
    );
    let out = s
        .command(&["run", "p.yaml", "--dry-run", "--output", "json"])
        .env("RB_TOK", "s3cret\"with\u{1b}escape-0123456789")
        .output()
        .unwrap();
    let run = crate::running::Run::from(out);
    assert_eq!(run.code, 0, "{}", run.describe());
    let would = run.events_of("step_would_run");
    let description = would[0]["description"].as_str().unwrap();
    assert!(
        description.ends_with("\nenv: NAME=\"short-lived\" T=\"***\""),
        "{description}"
    );
    assert!(!run.describe().contains("s3cret"), "{}", run.describe());
}
