//! Issue 12, section 2: computed values (`vars:`) against a real shell:
//! computed when a step first needs them (after the steps they read), used
//! in conditions and commands, journaled, and restored by `resume` so the
//! rest of the run sees the value the first part saw.

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"name: memory
inputs:
  limit: {type: int, default: 80}
vars:
  used_pct: steps.mem.outputs.used / steps.mem.outputs.total * 100
  high: vars.used_pct > inputs.limit
  label: format(vars.used_pct, 1) + "%"
  stamp: now()
steps:
  - id: mem
    shell: echo 870 1000
    effect: read
    outputs:
      used: {regex: '^(\d+)', type: int}
      total: {regex: ' (\d+)', type: int}
  - id: report
    needs: [mem]
    when: vars.high
    shell: echo {{vars.label}} {{vars.stamp}} > first.txt
  - id: again
    needs: [report]
    shell: test -f ok && echo {{vars.label}} {{vars.stamp}} > second.txt
"#;

#[test]
fn values_are_computed_after_the_steps_they_read_and_used() {
    let sandbox = Sandbox::new(PLAYBOOK);
    std::fs::write(sandbox.path().join("ok"), "").unwrap();
    let run = sandbox.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        sandbox.read("first.txt").starts_with("87.0% "),
        "{}",
        sandbox.read("first.txt")
    );
    // Each value is computed once, after `mem` finished.
    let kinds: Vec<String> = run
        .events
        .iter()
        .map(|e| match e["event"].as_str().unwrap() {
            "var_computed" => format!("var {}", e["name"].as_str().unwrap()),
            "step_finished" => format!("end {}", e["step"].as_str().unwrap()),
            other => other.to_string(),
        })
        .filter(|k| k.starts_with("var") || k.starts_with("end"))
        .collect();
    let mem_end = kinds.iter().position(|k| k == "end mem").unwrap();
    let vars: Vec<&String> = kinds.iter().filter(|k| k.starts_with("var")).collect();
    assert_eq!(vars.len(), 4, "{kinds:?}");
    assert!(kinds.iter().position(|k| k.starts_with("var")).unwrap() > mem_end);
    // Over the limit given on the command line, `report` is skipped.
    let sandbox = Sandbox::new(PLAYBOOK);
    let run = sandbox.run(&["--yes", "--input", "limit=90"]);
    assert_eq!(run.state("report"), "skipped", "{}", run.describe());
}

#[test]
fn resume_sees_the_values_the_first_part_computed() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let first = sandbox.run(&["--yes"]);
    assert_ne!(first.code, 0, "`again` fails without the file `ok`");
    assert_eq!(first.state("again"), "failed", "{}", first.describe());
    let run_id = sandbox.run_id();
    // `now()` would read a later second if it were computed again.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(sandbox.path().join("ok"), "").unwrap();
    let resumed = sandbox
        .command(&["resume", &run_id, "--yes"])
        .output()
        .expect("runbook resumes");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(sandbox.read("first.txt"), sandbox.read("second.txt"));
    let computed = sandbox
        .journal()
        .iter()
        .filter(|r| r["event"] == "var_computed")
        .count();
    assert_eq!(
        computed, 4,
        "each value is journaled once, not again on resume"
    );
}

#[test]
fn a_dry_run_and_a_plan_show_values_they_cannot_know() {
    let sandbox = Sandbox::new(PLAYBOOK);
    let plan = sandbox.command(&["plan", "p.yaml"]).output().expect("plan");
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let dry = sandbox.run(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.describe());
    // `mem` is a read step: it runs, so the values are real.
    assert_eq!(dry.state("report"), "succeeded", "{}", dry.describe());
    assert!(!sandbox.path().join("first.txt").exists());
}

/// A value computed from a secret is a secret: masked in the event that
/// records it and wherever it is inserted.
#[test]
fn a_value_computed_from_a_secret_is_masked() {
    let sandbox = Sandbox::new(
        r#"name: secret-values
inputs:
  token: {type: string, secret: true}
vars:
  header: '"Bearer " + upper(inputs.token)'
steps:
  - id: show
    log: "sending {{vars.header}}"
"#,
    );
    let run = sandbox.run(&["--input", "token=hunter2-s3cret"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(!run.stdout.contains("HUNTER2-S3CRET"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2-s3cret"), "{}", run.stdout);
    let journal = serde_json::to_string(&sandbox.journal()).unwrap();
    assert!(!journal.contains("HUNTER2-S3CRET"), "{journal}");
    assert!(run.events_of("var_computed").len() == 1, "{}", run.stdout);
}

/// A long value (a list of objects from an API) shows on one line of the
/// live view, cut and with its size; the journal keeps all of it.
#[test]
fn a_long_value_is_cut_in_the_live_view_and_whole_in_the_journal() {
    let sandbox = Sandbox::new(
        r#"name: long
vars:
  many: map(split(steps.gen.stdout, ","), n => n + "-a-fairly-long-name-for-an-element")
steps:
  - id: gen
    shell: seq -s, 1 40
    effect: read
  - id: use
    needs: [gen]
    when: len(vars.many) == 40
    shell: "true"
"#,
    );
    let out = sandbox
        .command(&["run", "p.yaml", "--yes"])
        .output()
        .expect("runbook runs");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("vars.many ="))
        .unwrap_or_else(|| panic!("no value line in:\n{stderr}"));
    assert!(line.ends_with("… (40 elements)"), "{line}");
    assert!(line.chars().count() < 220, "{line}");
    let computed = sandbox
        .journal()
        .into_iter()
        .find(|e| e["event"] == "var_computed")
        .expect("the value is journaled");
    assert_eq!(computed["value"].as_array().map(Vec::len), Some(40));
}
