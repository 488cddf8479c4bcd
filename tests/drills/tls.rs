//! Drill of the certificate-expiry example
//! (playbooks/examples/cert-expiry.yaml) against a real TLS server
//! (`openssl s_server`) whose certificate a CA of the drill's own signed,
//! trusted through `SSL_CERT_FILE` as an operator would for a private CA:
//! a certificate with time left passes, the same with a higher threshold
//! is "expires soon", an expired one does not verify, and a dry-run takes
//! the same path (every step only reads).

use super::support::Drill;
use crate::harness::tls::{Presents, TestTls};

const PLAYBOOK: &str = "examples/cert-expiry.yaml";

fn drill(server: &TestTls) -> Drill {
    let mut drill = Drill::new();
    drill.env("SSL_CERT_FILE", &server.ca().display().to_string());
    drill
}

#[test]
fn a_certificate_with_time_left_passes_in_a_run_and_a_dry_run() {
    let server = TestTls::start(Presents::Valid);
    let port = format!("--input=port={}", server.port);
    let args = ["--input=host=127.0.0.1", port.as_str()];
    for dry in [false, true] {
        let run = drill(&server).run(PLAYBOOK, &args, dry);
        run.expect(
            0,
            &[
                ("reachable", "succeeded"),
                ("cert", "succeeded"),
                ("healthy", "succeeded"),
                ("untrusted", "skipped"),
                ("expiring", "skipped"),
            ],
        );
        let cert = &run.finished("cert")["results"];
        assert_eq!(cert["verified"], true, "{cert}");
        assert_eq!(cert["subject"], "CN=localhost");
    }
}

#[test]
fn a_certificate_within_the_threshold_expires_soon() {
    let server = TestTls::start(Presents::Valid);
    let port = format!("--input=port={}", server.port);
    let args = [
        "--input=host=127.0.0.1",
        port.as_str(),
        "--input=min_days=45",
    ];
    let run = drill(&server).run(PLAYBOOK, &args, false);
    assert_ne!(run.code, 0);
    assert_eq!(run.state("expiring"), "failed");
    assert_eq!(run.state("healthy"), "skipped");
    let message = run.finished("expiring")["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("Renew the certificate of 127.0.0.1 (CN=localhost"),
        "{message}"
    );
}

#[test]
fn an_expired_certificate_does_not_verify() {
    let server = TestTls::start(Presents::Expired);
    let port = format!("--input=port={}", server.port);
    let args = ["--input=host=127.0.0.1", port.as_str()];
    let run = drill(&server).run(PLAYBOOK, &args, false);
    assert_ne!(run.code, 0);
    assert_eq!(run.state("cert"), "succeeded");
    // The leaf's `notAfter` is one day before it was made (`-days -1`, whole
    // seconds): rounded down, that is -1 day left within the second it was
    // made and -2 once the clock has passed it.
    let days_left = run.finished("cert")["results"]["days_left"].as_i64();
    assert!(matches!(days_left, Some(-2 | -1)), "{days_left:?}");
    assert_eq!(run.state("untrusted"), "failed");
    assert_eq!(run.state("expiring"), "skipped");
    let message = run.finished("untrusted")["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("(the certificate has expired)"),
        "{message}"
    );
}
