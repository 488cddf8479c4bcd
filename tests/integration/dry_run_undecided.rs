//! What a dry-run cannot decide is reported as such, not as a failure
//! (docs/semantics.md, "Dry-run"): reads after a write it only described,
//! and waits for a rollout it did not start.

use crate::harness::k8s::TestK8s;
use crate::harness::run_playbook;
use crate::running::Sandbox;

#[test]
fn dry_run_reports_undecided_reads_instead_of_failing() {
    // A backup verification after a dump the dry-run only described.
    let s = Sandbox::new(
        r#"
steps:
  - id: dump
    shell: echo 'rows; $(touch pwned)' > "backup's.sql"
  - id: verify
    needs: [dump]
    shell: test -s "backup's.sql"
    effect: read
  - id: after
    needs: [verify]
    shell: echo after
    effect: read
  - id: unrelated
    shell: echo fine
    effect: read
"#,
    );
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("verify"), "skipped", "{}", run.describe());
    let message = run.message("verify");
    assert!(
        message.contains(
            "cannot be decided in a dry-run: it comes after `dump`, which the dry-run only described"
        ),
        "{message}"
    );
    assert!(message.contains("exit"), "the failure is kept: {message}");
    assert_eq!(run.state("after"), "skipped", "{}", run.describe());
    assert_eq!(run.state("unrelated"), "succeeded", "{}", run.describe());
    assert!(!s.path().join("backup's.sql").exists());
    assert!(!s.path().join("pwned").exists());

    // `rollout_status` after a previewed change probes once, like an `until`.
    let k8s = TestK8s::start();
    let kubeconfig = k8s.kubeconfig.display().to_string();
    let ran = run_playbook(
        "rollout.yaml",
        r#"name: rollout
steps:
  - id: env
    k8s:
      operation: set_env
      name: alphaswarm-core
      env:
        LOG_LEVEL: debug
  - id: watch
    needs: [env]
    k8s:
      operation: rollout_status
      name: alphaswarm-core
      timeout: 20s
"#,
        &["--dry-run"],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let watch = ran.finished("watch");
    assert_eq!(watch["state"], "skipped", "{watch}");
    let message = watch["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("a dry-run probes once and does not wait"),
        "{message}"
    );
    assert!(message.contains("20s"), "{message}");

    // A dry-run that fails does not suggest resuming it.
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: echo 'no such table' >&2; exit 3
    effect: read
"#,
    );
    let out = s
        .command(&["run", "p.yaml", "--dry-run"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("runbook resume"), "{stderr}");
    assert!(stderr.contains("dry-run again"), "{stderr}");
}
