//! What later steps can read of a step that failed (docs/semantics.md,
//! "Results of a failed step"): what it produced is readable, what it did not
//! produce says why it has no value.

use crate::harness::http::TestHttp;
use crate::harness::{refusing_port, run_playbook};
use crate::running::Sandbox;
use crate::support::root;
use assert_cmd::Command;

#[test]
fn failed_step_results_are_readable() {
    // A shell probe under `continue` and one under `goto`: exit code, stdout
    // and stderr (hostile text included) are readable, and so is an output
    // the failed attempt could give.
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: |
      echo 'count=3 $(touch pwned) `id`'
      echo "no route to 'db' # really" >&2
      exit 7
    on_failure: continue
    outputs:
      count: {regex: 'count=(\d+)', type: int}
      missing: {regex: 'absent=(\d+)'}
  - id: why
    needs: [probe]
    when: failed(probe) && steps.probe.exit_code == 7 && steps.probe.outputs.count == 3
    log: "exit {{steps.probe.exit_code}}; stderr {{steps.probe.stderr}}; stdout {{steps.probe.stdout}}"
  - id: check
    shell: echo checking; echo 'disk full' >&2; exit 2
    on_failure: {goto: recover}
  - id: recover
    log: "check said {{steps.check.stderr}} (exit {{steps.check.exit_code}})"
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("why"), "succeeded", "{}", run.describe());
    let logged = run.finished("why")["results"]["message"].to_string();
    assert!(logged.contains("exit 7"), "{logged}");
    assert!(logged.contains("no route to 'db' # really"), "{logged}");
    assert!(logged.contains("count=3 $(touch pwned) `id`"), "{logged}");
    assert!(!s.path().join("pwned").exists());
    assert_eq!(run.finished("probe")["outputs"]["count"], 3);
    let recovered = run.finished("recover")["results"]["message"].to_string();
    assert!(recovered.contains("check said disk full"), "{recovered}");
    assert!(recovered.contains("exit 2"), "{recovered}");

    // An output the failed attempt could not give has no value, and says why.
    let s = Sandbox::new(
        r#"
steps:
  - id: probe
    shell: echo nothing; exit 1
    on_failure: continue
    outputs:
      lag: {regex: 'lag=(\d+)'}
  - id: show
    needs: [probe]
    log: "lag {{steps.probe.outputs.lag}}"
"#,
    );
    let run = s.run(&[]);
    assert_eq!(run.state("show"), "failed", "{}", run.describe());
    let message = run.message("show");
    assert!(
        message.contains(
            "`steps.probe.outputs.lag` has no value because `probe` failed before producing it"
        ),
        "{message}"
    );
}

#[test]
fn an_http_failure_keeps_its_status_and_a_refused_connection_says_why_it_has_none() {
    let server = TestHttp::start();
    let (_held, closed) = refusing_port();
    let closed = format!("http://127.0.0.1:{closed}/health");
    let ran = run_playbook(
        "http.yaml",
        &format!(
            r#"steps:
  - id: api
    http: "{url}/error"
    on_failure: continue
  - id: show
    needs: [api]
    when: steps.api.status == 503
    log: "status {{{{steps.api.status}}}}: {{{{steps.api.json.error}}}}"
  - id: down
    needs: [show]
    http: "{closed}"
    on_failure: {{goto: explain}}
  - id: explain
    log: "status {{{{steps.down.status}}}}"
"#,
            url = server.url
        ),
        &[],
        &[],
    );
    let show = ran.finished("show");
    assert_eq!(show["state"], "succeeded", "{}", ran.stderr);
    assert_eq!(
        show["results"]["message"],
        "status 503: upstream unavailable"
    );
    let explain = ran.finished("explain");
    assert_eq!(explain["state"], "failed");
    let message = explain["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "`steps.down.status` has no value because `down` failed before producing it:"
        ),
        "{message}"
    );
    // The cause is the request's own failure.
    let cause = ran.finished("down")["message"].as_str().unwrap_or_default();
    assert!(
        !cause.is_empty() && message.contains(cause),
        "{message}\n{cause}"
    );
}

#[test]
fn a_rehearsal_reads_the_results_of_a_failed_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("probe.yaml"),
        r#"name: probe
steps:
  - id: probe
    shell: curl -fsS http://jwks.internal/keys
    on_failure: continue
  - id: route
    needs: [probe]
    branch:
      - when: failed(probe) && steps.probe.exit_code == 7
        then: network
      - else: fine
  - id: network
    log: "cannot connect: {{steps.probe.stderr}}"
  - id: fine
    log: ok
"#,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("probe.scenario.yaml"),
        r#"playbook: probe.yaml
scenarios:
  - name: a refused connection is a network problem
    steps:
      probe: {state: failed, results: {exit_code: 7, stderr: "connection refused"}}
    expect:
      branches: {route: network}
      ran: [network]
      outcome: succeeded
"#,
    )
    .expect("write");
    let out = Command::cargo_bin("runbook")
        .expect("binary")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .arg("test")
        .arg(dir.path())
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn a_timed_out_step_says_its_timeout_once_and_how_it_was_stopped() {
    let s = Sandbox::new(
        r#"
steps:
  - id: slow
    shell: sleep 30
    timeout: 1s
"#,
    );
    let out = s.command(&["run", "p.yaml"]).output().expect("runs");
    // The progress lines go to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr.lines().find(|l| l.contains('⏱')).unwrap_or_default();
    assert_eq!(
        line, "⏱ slow timed out after 1s: stopped (its process group was killed)",
        "{stderr}"
    );
}

/// `steps.ID.message` says why a step failed, whatever its kind, so a
/// triage after the failure tells its causes apart; a refused connection
/// and a refused password take different paths. It is null for a step
/// that succeeded.
#[test]
fn a_failed_steps_message_tells_its_causes_apart() {
    let (_held, port) = refusing_port();
    let s = Sandbox::new(&format!(
        r#"
inputs:
  says: {{type: string}}
steps:
  - id: probe
    shell: echo "$SAYS" >&2; exit 1
    on_failure: {{goto: triage}}
  - id: fine
    shell: "true"
  - id: api
    http: "http://127.0.0.1:{port}/health"
    on_failure: continue
  - id: triage
    when: failed(probe)
    branch:
      - when: contains(steps.probe.message, "WRONGPASS")
        then: credentials
      - else: down
  - id: credentials
    log: "credentials: {{{{steps.probe.message}}}}"
  - id: down
    log: "down"
  - id: report
    needs: [api, fine]
    log: "api: {{{{steps.api.message}}}}; fine: {{{{default(steps.fine.message, \"none\")}}}}"
"#
    ));
    let run = s
        .command(&["run", "p.yaml", "--output", "json", "--input", "says=x"])
        .env("SAYS", "WRONGPASS invalid username-password pair")
        .output()
        .expect("runbook runs");
    let run = crate::running::Run::from(run);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.state("credentials"), "succeeded", "{}", run.describe());
    assert_eq!(run.state("down"), "skipped", "{}", run.describe());
    let logs: Vec<String> = run
        .events_of("step_output")
        .iter()
        .filter_map(|e| e["line"].as_str().map(str::to_string))
        .collect();
    assert!(
        logs.iter()
            .any(|l| l
                == "credentials: exited with status 1: WRONGPASS invalid username-password pair"),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.starts_with("api: ") && l.contains("fine: none")),
        "{logs:?}"
    );
}
