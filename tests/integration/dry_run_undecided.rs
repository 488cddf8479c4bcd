//! What a dry-run cannot decide is reported as such, not as a failure
//! (docs/semantics.md, "Dry-run"): reads after a write it only described,
//! branches decided on such reads,
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

#[test]
fn a_branch_decided_on_reads_after_a_described_write_says_a_run_may_differ() {
    // A recheck after a fix the dry-run did not make still sees the fault,
    // so the dry-run takes the escalation; it must say that a run may not.
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: echo broken
    effect: read
  - id: first
    needs: [probe]
    branch:
      - when: steps.probe.stdout == "broken"
        then: fix
      - else: fine
  - id: fine
    log: fine
  - id: fix
    shell: echo fixed > state
  - id: recheck
    needs: [fix]
    shell: cat state 2>/dev/null || echo broken
    effect: read
  - id: again
    needs: [recheck]
    branch:
      - when: steps.recheck.stdout == "broken"
        then: escalate
      - else: done
  - id: escalate
    log: escalate
  - id: done
    log: done
  - id: evidence
    shell: echo saved > evidence
  - id: triage
    needs: [probe, evidence]
    branch:
      - when: steps.probe.stdout == "broken"
        then: page
      - else: calm
  - id: page
    log: page
  - id: calm
    log: calm
"#,
    );
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    // Before any described step: a plain decision.
    assert_eq!(run.message("first"), "took `fix`");
    // After a described step it only waits for, on values read before it:
    // a plain decision too.
    assert_eq!(run.message("triage"), "took `page`", "{}", run.describe());
    let message = run.message("again");
    assert_eq!(
        message,
        "took `escalate`, on values read after `fix`, which the dry-run only described: a run may take another case"
    );
    // A run says nothing of the kind.
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.message("again"), "took `done`");
}

/// A read that fails as it is given (credentials the server refused, a
/// URL that does not parse) fails a dry-run even after a step the dry-run
/// only described: no earlier step could have changed that.
#[test]
fn a_read_refused_its_credentials_fails_the_dry_run_after_a_described_write() {
    let redis = crate::harness::redis::TestRedis::with_password("right-password-1");
    let port = redis.port();
    let s = Sandbox::new(
        r#"
inputs:
  url: {type: string, secret: true, env: RB_REDIS_URL}
steps:
  - id: mute
    shell: echo muted
  - id: info
    needs: [mute]
    redis:
      url: "{{inputs.url}}"
      command: [INFO, memory]
  - id: bad_url
    needs: [mute]
    redis:
      url: "redis://127.0.0.1:notaport/0"
      command: [PING]
    on_failure: continue
"#,
    );
    let run = crate::running::Run::from(
        s.command(&["run", "p.yaml", "--dry-run", "--output", "json"])
            .env(
                "RB_REDIS_URL",
                format!("redis://:wrong-password-2@127.0.0.1:{port}/0"),
            )
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("info"), "failed", "{}", run.describe());
    assert!(
        run.message("info").contains("refused the login"),
        "{}",
        run.message("info")
    );
    assert_eq!(run.state("bad_url"), "failed", "{}", run.describe());
    let shown = run.describe();
    assert!(!shown.contains("wrong-password-2"), "{shown}");
}

/// The same rule through a called playbook: a check inside it, after the
/// caller's write the dry-run only described, cannot be decided. Before,
/// the called playbook's dry-run (the call's preview) failed the whole
/// dry-run ("fix the cause"), where the same check inline was skipped.
#[test]
fn a_called_playbooks_check_after_a_described_write_is_undecided_too() {
    let s = Sandbox::new(
        r#"
steps:
  - id: fix
    shell: touch fixed
  - id: verify
    needs: [fix]
    playbook: verify.yaml
  - id: unrelated
    shell: echo fine
    effect: read
"#,
    );
    std::fs::write(
        s.path().join("verify.yaml"),
        "steps:\n  - id: check\n    shell: test -f fixed\n    effect: read\n  - id: note\n    needs: [check]\n    shell: touch noted\n",
    )
    .unwrap();
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("verify"), "skipped", "{}", run.describe());
    let message = run.message("verify");
    assert!(
        message.contains(
            "cannot be decided in a dry-run: it comes after `fix`, which the dry-run only described"
        ),
        "{message}"
    );
    assert_eq!(run.state("unrelated"), "succeeded", "{}", run.describe());
    assert!(!s.path().join("fixed").exists());
    assert!(!s.path().join("noted").exists());
    // Not after a described write, the called check's failure is a failure.
    std::fs::write(
        s.path().join("p.yaml"),
        "steps:\n  - id: verify\n    playbook: verify.yaml\n",
    )
    .unwrap();
    let run = s.run(&["--dry-run"]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(run.state("verify"), "failed", "{}", run.describe());
}
