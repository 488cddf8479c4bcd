//! `tls` steps against a real TLS server (`openssl s_server`) presenting
//! certificates made by `openssl`: one signed by the test's CA (verified
//! with `ca_file`), an expired one, one for another name, a self-signed
//! one with `verify: false`; a server that does not speak TLS; hostile
//! server names refused before anything connects.

use crate::harness::tls::{Presents, TestTls};
use crate::harness::{run_playbook, Ran};
use std::io::Write;
use std::net::TcpListener;

fn playbook(steps: &str) -> String {
    format!(
        r#"name: certs
inputs:
  port:
    type: int
  ca:
    type: string
    default: ""
  sni:
    type: string
    default: localhost
steps:
{steps}"#
    )
}

fn run(server: &TestTls, steps: &str, args: &[&str]) -> Ran {
    let mut all = vec![
        format!("--input=port={}", server.port),
        format!("--input=ca={}", server.ca().display()),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_playbook("certs.yaml", &playbook(steps), &all, &[])
}

/// `2026-12-31T08:00:00Z`: RFC 3339 in UTC.
fn is_rfc3339(value: &serde_json::Value) -> bool {
    let re = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    value.as_str().is_some_and(|s| re.is_match(s))
}

#[test]
fn a_valid_certificate_verifies_and_its_expiry_is_asserted() {
    let server = TestTls::start(Presents::Valid);
    let ran = run(
        &server,
        r#"  - id: cert
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
      ca_file: "{{inputs.ca}}"
  - id: fresh
    needs: [cert]
    assert:
      that: steps.cert.days_left > 14 && steps.cert.verified
  - id: by_address
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      ca_file: "{{inputs.ca}}"
  - id: renew
    needs: [cert]
    branch:
      - when: steps.cert.days_left < 14
        then: ticket
      - else: fine
  - id: ticket
    log: "renew {{steps.cert.subject}}"
  - id: fine
    log: "{{steps.cert.days_left}} days left"
"#,
        &[],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let cert = &ran.finished("cert")["results"];
    assert_eq!(cert["verified"], true, "{cert}");
    assert!(cert["verify_error"].is_null());
    assert_eq!(cert["subject"], "CN=localhost");
    assert_eq!(cert["issuer"], "CN=runbook test CA");
    assert_eq!(cert["sans"], serde_json::json!(["localhost", "127.0.0.1"]));
    assert!(is_rfc3339(&cert["not_before"]), "{cert}");
    assert!(is_rfc3339(&cert["not_after"]), "{cert}");
    let days = cert["days_left"].as_i64().unwrap();
    assert!((29..=30).contains(&days), "{days}");
    assert!(cert["serial"].as_str().unwrap().contains(':'), "{cert}");
    assert_eq!(cert["protocol"], "TLS1.3");
    assert_eq!(cert["chain_length"], 1);
    assert_eq!(cert["address"], "127.0.0.1");
    assert_eq!(ran.finished("fresh")["state"], "succeeded");
    // The certificate names 127.0.0.1 too: the address itself verifies.
    assert_eq!(ran.finished("by_address")["results"]["verified"], true);
    assert_eq!(ran.finished("ticket")["state"], "skipped");
    assert_eq!(ran.finished("fine")["state"], "succeeded");
}

#[test]
fn an_expired_certificate_fails_and_is_still_reported() {
    let server = TestTls::start(Presents::Expired);
    let ran = run(
        &server,
        r#"  - id: cert
    on_failure: continue
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
      ca_file: "{{inputs.ca}}"
  - id: report
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
      ca_file: "{{inputs.ca}}"
      verify: false
  - id: soon
    needs: [report]
    assert:
      that: steps.report.days_left > 14
"#,
        &[],
    );
    let cert = ran.finished("cert");
    assert_eq!(cert["state"], "failed");
    let why = ran.message("cert");
    assert!(
        why.contains("does not verify: the certificate has expired"),
        "{why}"
    );
    assert_eq!(cert["results"]["verified"], false);
    // The leaf's `notAfter` is one day before it was made (`-days -1`, whole
    // seconds): rounded down, that is -1 day left within the second it was
    // made and -2 once the clock has passed it.
    let days_left = cert["results"]["days_left"].as_i64();
    assert!(matches!(days_left, Some(-2 | -1)), "{days_left:?}");
    assert_eq!(cert["results"]["subject"], "CN=localhost");
    let report = &ran.finished("report");
    assert_eq!(report["state"], "succeeded");
    assert_eq!(report["results"]["verified"], false);
    assert_eq!(
        report["results"]["verify_error"],
        "the certificate has expired"
    );
    // The runbook's own question: "does it expire soon?" fails the run.
    assert_eq!(ran.finished("soon")["state"], "failed");
    assert_ne!(ran.code, 0);
}

/// A leaf signed by an intermediate CA that the server sends after it:
/// the chain verifies to the test's CA, two certificates long. A server
/// that leaves the intermediate out fails, and the reason says so in
/// words.
#[test]
fn a_chain_through_an_intermediate_verifies_and_a_missing_one_is_named() {
    let steps = r#"  - id: cert
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
      ca_file: "{{inputs.ca}}"
"#;
    let server = TestTls::start(Presents::Intermediate);
    let ran = run(&server, steps, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let cert = &ran.finished("cert")["results"];
    assert_eq!(cert["verified"], true, "{cert}");
    assert_eq!(cert["chain_length"], 2, "{cert}");
    assert_eq!(cert["subject"], "CN=localhost");
    assert_eq!(cert["issuer"], "CN=runbook test intermediate");

    let server = TestTls::start(Presents::IntermediateNotSent);
    let ran = run(&server, steps, &[]);
    let cert = ran.finished("cert");
    assert_eq!(cert["state"], "failed");
    assert_eq!(cert["results"]["chain_length"], 1, "{cert}");
    let why = ran.message("cert");
    assert!(
        why.contains("issuer is not among the certificates of `ca_file`")
            && why.contains("does not send its intermediate certificates"),
        "{why}"
    );
    assert!(!why.contains("UnknownIssuer"), "{why}");
}

#[test]
fn a_certificate_for_another_name_does_not_verify() {
    let server = TestTls::start(Presents::Valid);
    let ran = run(
        &server,
        r#"  - id: cert
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: wrong.example
      ca_file: "{{inputs.ca}}"
"#,
        &[],
    );
    let cert = ran.finished("cert");
    assert_eq!(cert["state"], "failed");
    let why = ran.message("cert");
    assert!(why.contains("not valid for `wrong.example`"), "{why}");
    assert_eq!(cert["results"]["sans"][0], "localhost");
}

#[test]
fn a_self_signed_certificate_is_reported_with_verify_false() {
    let server = TestTls::start(Presents::SelfSigned);
    let ran = run(
        &server,
        r#"  - id: report
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
      verify: false
  - id: strict
    on_failure: continue
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: localhost
"#,
        &[],
    );
    let report = &ran.finished("report");
    assert_eq!(report["state"], "succeeded");
    assert_eq!(report["results"]["verified"], false);
    assert_eq!(report["results"]["issuer"], "CN=runbook self-signed test");
    let error = report["results"]["verify_error"].as_str().unwrap();
    assert!(
        error.contains("issuer is not among the system's trusted roots"),
        "{error}"
    );
    assert_eq!(ran.finished("strict")["state"], "failed");
}

#[test]
fn a_server_that_does_not_speak_tls_fails_the_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"SSH-2.0-not_tls\r\n");
        }
    });
    let ran = run_playbook(
        "certs.yaml",
        &format!(
            r#"name: certs
steps:
  - id: cert
    tls:
      host: 127.0.0.1
      port: {port}
      connect_timeout: 2s
"#
        ),
        &[],
        &[],
    );
    assert_eq!(ran.finished("cert")["state"], "failed");
    let why = ran.message("cert");
    assert!(why.contains("TLS handshake with 127.0.0.1"), "{why}");
    // In words, not rustls' debug text.
    assert!(why.contains("the server did not answer in TLS"), "{why}");
    assert!(
        !why.contains("InvalidMessage") && !why.contains("InvalidContentType"),
        "{why}"
    );
}

#[test]
fn a_server_that_never_answers_the_handshake_times_out() {
    // Accepts, then says nothing: the handshake waits for its ServerHello.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().flatten().collect();
        drop(held);
    });
    let ran = run_playbook(
        "certs.yaml",
        &format!(
            r#"name: certs
steps:
  - id: cert
    tls:
      host: 127.0.0.1
      port: {port}
      connect_timeout: 300ms
"#
        ),
        &[],
        &[],
    );
    assert_eq!(ran.finished("cert")["state"], "failed");
    let why = ran.message("cert");
    assert!(
        why.contains("did not finish within 300ms (connect_timeout)"),
        "{why}"
    );
}

#[test]
fn hostile_server_names_are_refused_before_connecting() {
    let server = TestTls::start(Presents::Valid);
    for hostile in [
        "evil.com/../x",
        "localhost\r\nHost: evil",
        "$(touch pwned)",
        "a b",
        "localhost#",
        "x@localhost",
        "localhost:443",
        "",
    ] {
        let ran = run(
            &server,
            r#"  - id: cert
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      server_name: "{{inputs.sni}}"
      ca_file: "{{inputs.ca}}"
"#,
            &[&format!("--input=sni={hostile}")],
        );
        let cert = ran.finished("cert");
        assert_eq!(cert["state"], "failed", "{hostile:?}");
        let why = ran.message("cert");
        assert!(
            why.contains("`server_name`") && why.contains("is not a host"),
            "{hostile:?}: {why}"
        );
        // Refused before connecting: nothing was presented or read.
        assert!(cert["results"]["subject"].is_null(), "{hostile:?}");
    }
}

#[test]
fn a_ca_file_must_be_a_regular_pem_file() {
    let server = TestTls::start(Presents::Valid);
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("notes.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for (ca, why) in [
        ("/dev/zero".to_string(), "cannot read `ca_file` /dev/zero"),
        (not_pem.display().to_string(), "holds no PEM certificate"),
        ("/no/such/ca.pem".to_string(), "cannot read `ca_file`"),
    ] {
        let ran = run(
            &server,
            r#"  - id: cert
    tls:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      ca_file: "{{inputs.ca}}"
"#,
            &[&format!("--input=ca={ca}")],
        );
        assert_eq!(ran.finished("cert")["state"], "failed", "{ca}");
        let message = ran.message("cert");
        assert!(message.contains(why), "{ca}: {message}");
    }
}
