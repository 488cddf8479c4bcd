//! An input is tried where the steps insert it before anything runs: a
//! value that cannot go there (a space in a URL's host, a port past 65535)
//! is refused with nothing done, instead of failing the step mid-run,
//! where `on_failure: {goto: ...}` would read it as what the step probes
//! (docs/semantics.md, "Inputs are tried before the run").

use crate::running::Sandbox;

const PLAYBOOK: &str = r#"
inputs:
  host: {type: string, default: 127.0.0.1}
  port: {type: int, default: 1}
  via: {type: string, default: http}
  token: {type: string, secret: true, env: PREFLIGHT_TOKEN}
steps:
  - id: ping
    when: inputs.via == "http"
    http: "http://{{inputs.host}}:{{inputs.port}}/health"
    on_failure: {goto: failover}
  - id: tokened
    when: inputs.via == "tokened"
    http: "http://{{inputs.token}}.example/health"
  - id: failover
    when: failed(ping)
    shell: echo promoted > trail
"#;

#[test]
fn an_input_that_cannot_go_where_a_step_puts_it_is_refused_before_anything_runs() {
    let s = Sandbox::new(PLAYBOOK);
    for (input, why) in [
        ("host=127.0.0.1 ", "cannot go in the host"),
        ("host=127.0.0.1/admin#", "cannot go in the host"),
        ("port=99999", "a port is a number from 1 to 65535"),
        ("port=0", "a port is a number from 1 to 65535"),
    ] {
        let run = s
            .command(&["run", "p.yaml", "--input", input])
            .env("PREFLIGHT_TOKEN", "unused-token")
            .output()
            .expect("runbook runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{input}: {stderr}");
        let name = input.split('=').next().unwrap_or_default();
        assert!(
            stderr.contains(&format!(
                "input `{name}` cannot go where step `ping` puts it"
            )) && stderr.contains(why)
                && stderr.contains("nothing ran"),
            "{input}: {stderr}"
        );
        assert!(
            !s.path().join("trail").exists(),
            "{input}: the failover ran"
        );
        assert!(
            !s.path().join(".runbook").exists(),
            "{input}: a run started"
        );
    }
}

#[test]
fn a_step_the_inputs_keep_from_running_is_not_tried_and_secrets_stay_masked() {
    let s = Sandbox::new(PLAYBOOK);
    // `tokened` does not run with `via=http`: its host is not tried.
    let run = s
        .command(&["run", "p.yaml", "--output", "json"])
        .env("PREFLIGHT_TOKEN", "a token with spaces")
        .output()
        .expect("runbook runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("cannot go where"), "{stderr}");
    // With `via=tokened` it runs, and the secret is not shown.
    let run = s
        .command(&["run", "p.yaml", "--input", "via=tokened"])
        .env("PREFLIGHT_TOKEN", "a token with spaces")
        .output()
        .expect("runbook runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("input `token` cannot go where step `tokened` puts it"),
        "{stderr}"
    );
    assert!(!stderr.contains("a token with spaces"), "{stderr}");
}
