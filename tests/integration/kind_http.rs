//! `http` and `notify` steps against a real HTTP server started by the test.

use crate::harness::http::TestHttp;
use crate::harness::run_playbook;
use serde_json::json;

#[test]
fn a_json_health_check_captures_status_headers_json_and_time() {
    let server = TestHttp::start();
    let ran = run_playbook(
        "health.yaml",
        &format!(
            r#"name: health
steps:
  - id: health
    http:
      url: "{url}/health"
    outputs:
      version:
        from: json
        json: "version"
  - id: check
    needs: [health]
    assert: steps.health.status == 200 && steps.health.outputs.version == "1.4.2" && steps.health.elapsed_ms < 2000
"#,
            url = server.url
        ),
        &[],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let health = ran.finished("health");
    assert_eq!(health["state"], "succeeded");
    assert_eq!(health["results"]["status"], 200);
    assert_eq!(health["results"]["json"]["checks"]["queue"], 3);
    assert_eq!(
        health["results"]["headers"]["content-type"],
        "application/json"
    );
    assert!(health["results"]["elapsed_ms"].as_u64().is_some());
    assert_eq!(ran.finished("check")["state"], "succeeded");
}

#[test]
fn the_runbook_syntax_runs_the_same_step() {
    let server = TestHttp::start();
    let ran = run_playbook(
        "health.runbook",
        &format!(
            "playbook health\n\nstep health {{\n  http {{\n    url \"{}/text\"\n  }}\n}}\n",
            server.url
        ),
        &[],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let health = ran.finished("health");
    assert_eq!(health["results"]["body"], "plain text\nsecond line");
    assert!(health["results"].get("json").is_none());
}

#[test]
fn method_headers_query_and_json_body_are_sent() {
    let server = TestHttp::start();
    let ran = run_playbook(
        "post.yaml",
        &format!(
            r#"name: post
steps:
  - id: scale
    http:
      url: "{url}/echo"
      method: POST
      headers:
        x-token: abc
      query:
        replicas: "8"
        reason: "queue backlog"
      json:
        replicas: 8
        note: "scaled by runbook"
"#,
            url = server.url
        ),
        &[],
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let echo = &ran.finished("scale")["results"]["json"];
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["headers"]["x-token"], "abc");
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["query"]["reason"], "queue backlog");
    assert_eq!(
        echo["json"],
        json!({"replicas": 8, "note": "scaled by runbook"})
    );
}

#[test]
fn an_unexpected_status_fails_with_the_status_and_body_and_any_accepts_it() {
    let server = TestHttp::start();
    let text = format!(
        r#"name: errors
steps:
  - id: strict
    http: "{url}/error"
    on_failure: continue
  - id: lenient
    http:
      url: "{url}/error"
      expect_status: any
  - id: listed
    http:
      url: "{url}/error"
      expect_status: [500, 503]
"#,
        url = server.url
    );
    let ran = run_playbook("errors.yaml", &text, &[], &[]);
    let strict = ran.finished("strict");
    assert_eq!(strict["state"], "failed");
    let message = strict["message"].as_str().unwrap();
    assert!(message.contains("answered 503, expected 2xx"), "{message}");
    assert!(message.contains("upstream unavailable"), "{message}");
    assert_eq!(strict["results"]["status"], 503);
    assert_eq!(ran.finished("lenient")["state"], "succeeded");
    assert_eq!(ran.finished("listed")["state"], "succeeded");
}

#[test]
fn redirects_are_followed_unless_told_not_to_and_a_loop_is_an_error() {
    let server = TestHttp::start();
    let text = format!(
        r#"name: redirects
steps:
  - id: followed
    http: "{url}/redirect"
  - id: not_followed
    http:
      url: "{url}/redirect"
      follow_redirects: false
      expect_status: 307
  - id: looping
    http: "{url}/redirect-loop"
    on_failure: continue
"#,
        url = server.url
    );
    let ran = run_playbook("redirects.yaml", &text, &[], &[]);
    assert_eq!(ran.finished("followed")["results"]["json"]["status"], "ok");
    let not_followed = &ran.finished("not_followed")["results"];
    assert_eq!(not_followed["status"], 307);
    assert_eq!(not_followed["headers"]["location"], "/health");
    let looping = ran.finished("looping");
    assert_eq!(looping["state"], "failed");
    assert!(
        looping["message"]
            .as_str()
            .unwrap()
            .contains("too many redirects"),
        "{looping}"
    );
}

/// Each class of transport failure gets its own words.
#[test]
fn refused_timeout_and_tls_failures_are_distinct() {
    let server = TestHttp::start();
    let (_held, closed) = crate::harness::refusing_port();
    let https_to_plain = server.url.replace("http://", "https://");
    let text = format!(
        r#"name: failures
steps:
  - id: refused
    http: "http://127.0.0.1:{closed}/health"
    on_failure: continue
  - id: slow
    http:
      url: "{url}/slow?ms=3000"
      timeout: 300ms
    on_failure: continue
  - id: tls
    http: "{https_to_plain}/health"
    on_failure: continue
"#,
        url = server.url
    );
    let ran = run_playbook("failures.yaml", &text, &[], &[]);
    let message = |step: &str| ran.finished(step)["message"].as_str().unwrap().to_string();
    assert!(
        message("refused").starts_with("connection refused: nothing is listening at 127.0.0.1:"),
        "{}",
        message("refused")
    );
    assert!(
        message("slow").starts_with("timed out after 300ms"),
        "{}",
        message("slow")
    );
    assert!(
        message("tls").starts_with("TLS error"),
        "{}",
        message("tls")
    );
}

/// A self-signed certificate is refused, with the reason, unless the step
/// says `insecure: true`.
#[test]
fn a_self_signed_certificate_is_a_tls_error_unless_insecure() {
    let server = TestHttp::start_tls();
    let text = format!(
        r#"name: tls
steps:
  - id: verified
    http: "{url}/health"
    on_failure: continue
  - id: trusting
    http:
      url: "{url}/health"
      insecure: true
"#,
        url = server.url
    );
    let ran = run_playbook("tls.yaml", &text, &[], &[]);
    let verified = ran.finished("verified");
    let message = verified["message"].as_str().unwrap();
    assert!(
        message.starts_with("TLS error talking to 127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("invalid peer certificate"), "{message}");
    let trusting = ran.finished("trusting");
    assert_eq!(trusting["state"], "succeeded", "{trusting}");
    assert_eq!(trusting["results"]["json"]["status"], "ok");
}

/// A name that does not resolve, without sending a query off this machine:
/// the binary runs in a network namespace of its own with no route anywhere.
#[test]
fn a_name_that_does_not_resolve_is_a_dns_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.yaml");
    std::fs::write(
        &file,
        "name: dns\nsteps:\n  - id: lookup\n    http: \"http://no-such-host.invalid/health\"\n",
    )
    .unwrap();
    let out = std::process::Command::new("unshare")
        .arg("-n")
        .arg(assert_cmd::cargo::cargo_bin("runbook"))
        .arg("run")
        .arg(&file)
        .args(["--output", "json", "--journal-dir"])
        .arg(dir.path().join("journal"))
        .output()
        .expect("unshare (util-linux) runs");
    assert!(
        out.status.code() != Some(0),
        "unshare -n failed or the lookup succeeded: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("DNS failure: cannot resolve the host name `no-such-host.invalid`"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_dry_run_executes_a_get_and_only_describes_a_post() {
    let server = TestHttp::start();
    let text = format!(
        r#"name: dry
steps:
  - id: probe
    http: "{url}/health"
  - id: change
    http:
      url: "{url}/webhook"
      method: POST
      json:
        text: "should not arrive"
"#,
        url = server.url
    );
    let ran = run_playbook("dry.yaml", &text, &["--dry-run"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("probe")["results"]["status"], 200);
    let would = ran.events("step_would_run");
    assert_eq!(would.len(), 1);
    assert_eq!(
        would[0]["description"],
        format!(
            "POST {}/webhook with JSON {{\"text\":\"should not arrive\"}}",
            server.url
        )
    );
    assert!(server.webhooks().is_empty());
}

#[test]
fn notify_posts_a_slack_payload_and_a_broken_webhook_fails() {
    let server = TestHttp::start();
    let text = format!(
        r##"name: notify
inputs:
  webhook:
    type: string
    secret: true
steps:
  - id: announce
    notify:
      url: "{{{{inputs.webhook}}}}"
      text: "SEV-2 declared: queue backlog"
      channel: "#incidents"
      username: runbook
  - id: broken
    needs: [announce]
    notify:
      url: "{url}/webhook-broken"
      text: "never read"
"##,
        url = server.url
    );
    let webhook = format!("webhook={}/webhook", server.url);
    let ran = run_playbook("notify.yaml", &text, &["--yes", "--input", &webhook], &[]);
    assert_eq!(ran.finished("announce")["results"]["status"], 200);
    assert_eq!(
        server.webhooks(),
        vec![
            json!({"text": "SEV-2 declared: queue backlog", "channel": "#incidents", "username": "runbook"})
        ]
    );
    let broken = ran.finished("broken");
    assert_eq!(broken["state"], "failed");
    assert_eq!(broken["results"]["status"], 500);
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .contains("the webhook answered 500 Internal Server Error: no_service"),
        "{broken}"
    );
    assert_ne!(ran.code, 0);
}

/// A value with a line break inserted into a header would end the header
/// there and start one of the value's choosing: the step fails naming the
/// header, before anything is sent, and a secret value is not shown.
#[test]
fn a_header_value_with_a_line_break_is_refused_before_sending() {
    let server = TestHttp::start();
    let playbook = format!(
        r#"name: headers
inputs:
  token: {{type: string, secret: true}}
  tenant: {{type: string}}
steps:
  - id: call
    http:
      url: "{url}/tenant-api"
      headers:
        Authorization: "Bearer {{{{inputs.token}}}}"
        X-Tenant: "{{{{inputs.tenant}}}}"
"#,
        url = server.url
    );
    for (token, tenant, header) in [
        ("abc", "a\r\nX-Admin: true", "X-Tenant"),
        ("hunter2\nX-Admin: true", "t", "Authorization"),
        ("hunter2\r", "t", "Authorization"),
    ] {
        let ran = run_playbook(
            "headers.yaml",
            &playbook,
            &[
                "--input",
                &format!("token={token}"),
                "--input",
                &format!("tenant={tenant}"),
            ],
            &[],
        );
        assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
        let message = ran.message("call");
        assert!(
            message.contains(&format!(
                "the value of header `{header}` holds a line break"
            )),
            "{message}"
        );
        assert!(!ran.stdout.contains("hunter2") && !ran.stderr.contains("hunter2"));
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // The same request with plain values is sent (and recorded).
    let ran = run_playbook(
        "headers.yaml",
        &playbook,
        &["--input", "token=abc", "--input", "tenant=t"],
        &[],
    );
    assert_eq!(ran.finished("call")["state"], "succeeded", "{}", ran.stdout);
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
}
