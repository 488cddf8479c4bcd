//! `playbook` steps: another playbook run as one step, with inputs, its
//! outputs returned; its diagnostics point into its own file.

use crate::harness::{run_file, Ran};
use crate::running::Sandbox;
use serde_json::json;
use std::path::Path;

const CHILD: &str = r#"name: start-here
inputs:
  service:
    type: string
  threshold:
    type: int
    default: 5
steps:
  - id: probe
    shell:
      command: "echo {{inputs.service}} has 7 errors"
    effect: read
    outputs:
      errors:
        regex: (\d+) errors
        type: int
  - id: check
    needs: [probe]
    assert: steps.probe.outputs.errors > inputs.threshold
  - id: page
    needs: [check]
    shell:
      command: "echo paging for {{inputs.service}} > paged.txt"
"#;

fn parent(child: &str) -> String {
    format!(
        r#"name: incident
steps:
  - id: shared
    playbook:
      path: {child}
      inputs:
        service: alphaswarm-core
        threshold: "3"
"#
    )
}

fn run(dir: &Path, child: &str, args: &[&str]) -> Ran {
    std::fs::write(dir.join("incident.yaml"), parent(child)).unwrap();
    run_file(&dir.join("incident.yaml"), dir, args, &[])
}

#[test]
fn a_called_playbook_runs_with_inputs_and_returns_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::write(dir.path().join("shared/start-here.yaml"), CHILD).unwrap();
    let ran = run(dir.path(), "shared/start-here.yaml", &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let shared = ran.finished("shared");
    assert_eq!(
        shared["results"]["outputs"],
        json!({"probe": {"errors": 7}})
    );
    // Its shell steps ran where `runbook` was started, as the caller's do.
    assert!(dir.path().join("paged.txt").exists());
    assert!(!dir.path().join("shared/paged.txt").exists());
}

#[test]
fn a_dry_run_dry_runs_the_called_playbook() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("start-here.yaml"), CHILD).unwrap();
    let ran = run(dir.path(), "start-here.yaml", &["--dry-run"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let would = ran.events("step_would_run");
    assert_eq!(would.len(), 1);
    let description = would[0]["description"].as_str().unwrap();
    assert!(
        description.contains("(preview: start-here.yaml dry-ran to its end)"),
        "{description}"
    );
    assert!(!dir.path().join("paged.txt").exists());
}

#[test]
fn diagnostics_of_the_called_playbook_point_into_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "name: broken\ninputs:\n  service: {type: string}\n  threshold: {type: int}\nsteps:\n  - id: a\n    log: hi\n    needs: [nowhere]\n",
    )
    .unwrap();
    let ran = run(dir.path(), "broken.yaml", &[]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("shared")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("broken.yaml does not check"), "{message}");
    assert!(message.contains("runbook::unknown_step"), "{message}");
    assert!(message.contains("broken.yaml:8:"), "{message}");
}

#[test]
fn a_failing_called_playbook_fails_the_step_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("start-here.yaml"),
        CHILD.replace("> inputs.threshold", "> 100"),
    )
    .unwrap();
    let ran = run(dir.path(), "start-here.yaml", &[]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("shared")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.starts_with("start-here.yaml failed: "), "{message}");
}

/// A gate inside the called playbook goes to the caller's operator as
/// `CALL.STEP`: it fails closed (exit 3) unless decided there (`--yes` for a
/// `write` gate, or `--approve shared.change`), or the calling step's own
/// gate was approved (and then only a `write` one).
#[test]
fn gates_in_the_called_playbook_follow_the_calling_steps_approval() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gated.yaml"),
        "name: gated\nsteps:\n  - id: change\n    shell: echo changed >> trail\n    approval: true\n",
    )
    .unwrap();
    let call = |approval: &str| {
        format!("name: caller\nsteps:\n  - id: shared\n    playbook: gated.yaml\n{approval}")
    };
    std::fs::write(dir.path().join("caller.yaml"), call("")).unwrap();
    let ran = run_file(&dir.path().join("caller.yaml"), dir.path(), &[], &[]);
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    let message = ran.finished("shared")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("gated.yaml stopped at a gate"),
        "{message}"
    );
    assert!(message.contains("--approve shared.change"), "{message}");
    assert!(!dir.path().join("trail").exists());

    let ran = run_file(
        &dir.path().join("caller.yaml"),
        dir.path(),
        &["--approve", "shared.change"],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);

    std::fs::write(dir.path().join("caller.yaml"), call("    approval: true\n")).unwrap();
    let ran = run_file(
        &dir.path().join("caller.yaml"),
        dir.path(),
        &["--approve", "shared"],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("trail")).unwrap(),
        "changed\nchanged\n"
    );
}

/// A called playbook's required input bound to `env:` and not given by the
/// calling step is read from the environment, as a top-level run reads it
/// (`check` accepts the call for that reason), and is missing, with the
/// variable named, when the environment has no value either.
#[test]
fn a_called_playbooks_input_bound_to_env_reads_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("child.yaml"),
        r#"name: child
inputs:
  token:
    type: string
    env: RUNBOOK_TEST_CHILD_TOKEN
steps:
  - id: keep
    shell: "printf '%s' {{inputs.token}} > token.txt"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("parent.yaml"),
        "name: parent\nsteps:\n  - id: call\n    playbook: child.yaml\n",
    )
    .unwrap();
    let hostile = "$(touch pwned) `touch pwned2` 'q' \"d\" ../ #x\nline";
    let ran = run_file(
        &dir.path().join("parent.yaml"),
        dir.path(),
        &[],
        &[("RUNBOOK_TEST_CHILD_TOKEN", hostile)],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("token.txt")).unwrap(),
        hostile
    );
    assert!(!dir.path().join("pwned").exists());
    assert!(!dir.path().join("pwned2").exists());

    std::fs::remove_file(dir.path().join("token.txt")).unwrap();
    let ran = run_file(&dir.path().join("parent.yaml"), dir.path(), &[], &[]);
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let message = ran.finished("call")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("input `token` of")
            && message
                .contains("is required: give it in `inputs` or set $RUNBOOK_TEST_CHILD_TOKEN"),
        "{message}"
    );
    assert!(!dir.path().join("token.txt").exists());
}

/// What a called playbook would do in a dry-run is said under the calling
/// step (its writes described with their rendered commands, never
/// reported "succeeded"), and so is each poll of a called step that waits.
#[test]
fn a_call_says_what_its_steps_would_run_and_what_they_wait_for() {
    let s = crate::running::Sandbox::new(
        "steps:\n  - id: call\n    playbook: inner.yaml\n    effect: write\n",
    );
    std::fs::write(
        s.path().join("inner.yaml"),
        r#"
steps:
  - id: mute
    shell: echo muted-by-test > muted
  - id: wait_up
    shell: test -e up && echo up
    effect: read
    until:
      condition: succeeded(wait_up)
      every: 100ms
      within: 30s
"#,
    )
    .unwrap();
    let dry = s.run(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.describe());
    let lines: Vec<String> = dry
        .events_of("step_output")
        .iter()
        .filter_map(|e| e["line"].as_str().map(str::to_string))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l == "mute: would run (write): echo muted-by-test > muted"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "mute: described, not run (dry-run)"),
        "{lines:#?}"
    );
    assert!(!s.path().join("muted").exists());

    // A real run: the poll is said while it waits.
    let dir = s.path().to_path_buf();
    let maker = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(600));
        std::fs::write(dir.join("up"), "").unwrap();
    });
    let run = s.run(&["--approve", "call", "--approve", "call.mute"]);
    maker.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.describe());
    let polled = run
        .events_of("step_output")
        .iter()
        .filter_map(|e| e["line"].as_str())
        .any(|l| l.starts_with("wait_up: ") && l.contains("again in 100ms"));
    assert!(polled, "{}", run.describe());
}

#[test]
fn what_a_called_playbook_prints_is_shown_under_the_call_with_secrets_masked() {
    let s = crate::running::Sandbox::new(
        r#"
inputs:
  token: {type: string, secret: true, env: RB_TEST_TOKEN}
steps:
  - id: call
    playbook:
      path: child.yaml
      inputs: {token: "{{inputs.token}}"}
"#,
    );
    std::fs::write(
        s.path().join("child.yaml"),
        r#"
inputs:
  token: {type: string, secret: true}
steps:
  - id: summary
    log: "summary from the child, token {{inputs.token}}"
  - id: sh
    shell:
      command: echo "shell output, token $TOKEN"
      env: {TOKEN: "{{inputs.token}}"}
"#,
    )
    .unwrap();
    let out = s
        .command(&["run", "p.yaml"])
        .env("RB_TEST_TOKEN", "s3cr3t-value")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("│ summary: summary from the child, token ***"),
        "{shown}"
    );
    assert!(shown.contains("│ sh │ shell output, token ***"), "{shown}");
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
    let journal = serde_json::to_string(&s.journal()).unwrap();
    assert!(!journal.contains("s3cr3t-value"));
}

/// `steps.ID.outputs` names what the calling step declares; reading the
/// called playbook's outputs there is refused with how to read them (a
/// declared output from the kind's result), and that way works.
#[test]
fn a_called_playbooks_output_is_read_through_a_declared_one() {
    let s = Sandbox::new(
        "steps:\n  - id: verify\n    playbook: verify.yaml\n  - id: show\n    needs: [verify]\n    log: \"usage {{steps.verify.outputs.usage.pct}}\"\n",
    );
    std::fs::write(
        s.path().join("verify.yaml"),
        "steps:\n  - id: usage\n    shell: 'echo \"{\\\"pct\\\": 42}\"'\n    effect: read\n    outputs:\n      pct: {from: stdout, json: $.pct}\n",
    )
    .unwrap();
    let out = s.command(&["check", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("`outputs: {usage: {from: outputs, json: $.usage.pct}}`, then `steps.verify.outputs.usage`"),
        "{text}"
    );
    std::fs::write(
        s.path().join("p.yaml"),
        "steps:\n  - id: verify\n    playbook: verify.yaml\n    outputs:\n      usage: {from: outputs, json: $.usage.pct}\n  - id: show\n    needs: [verify]\n    log: \"usage {{steps.verify.outputs.usage}}\"\n",
    )
    .unwrap();
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(run.stdout.contains("usage 42"), "{}", run.describe());
}
