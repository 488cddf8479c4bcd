//! `runbook serve --tls-cert FILE --tls-key FILE`: the console over TLS,
//! with a certificate made by `openssl` for the test (signed by a CA of
//! the test's own) and a real TLS client (reqwest trusting only that CA),
//! over real runs waiting at real gates. A certificate or key that cannot
//! serve is refused by name before anything listens; deciding in clear
//! HTTP off loopback is refused unless `--insecure-http`; so is a key
//! file others could read or replace, or of another owner.

use crate::console_decide::{attribute, Console};
use crate::harness::tls::{make_certificates, Presents};
use crate::remote_approvals::{finish, pending_at, start, store, GATED};
use crate::running::{binary, Sandbox};
use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// `ca.pem`, `leaf.pem` and `leaf.key` (for `localhost` and 127.0.0.1),
/// the keys mode 0600 as `runbook serve` requires of `--tls-key`.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path(), Presents::Valid);
    for key in ["leaf.key", "ca.key"] {
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(dir.path().join(key), private).unwrap();
    }
    dir
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// Blocks on one request of `client`: its status, or the error's text.
fn fetch(client: reqwest::Client, url: &str) -> Result<u16, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        client
            .get(url)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{e:?}"))
    })
}

#[test]
fn a_console_given_a_certificate_speaks_tls_with_secure_cookies() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let certs = certificates();
    let (cert, key) = (
        path(certs.path(), "leaf.pem"),
        path(certs.path(), "leaf.key"),
    );
    let ca = certs.path().join("ca.pem");
    let console = Console::start_with(
        &runs,
        None,
        &["--tls-cert", &cert, "--tls-key", &key],
        Some(&ca),
    );
    assert_eq!(console.served.scheme, "https");
    assert!(console.origin.starts_with("https://127.0.0.1:"));

    // Signing in over TLS: the cookie is `Secure` (checked by sign_in).
    let cookie = console.sign_in();
    let page = console.get(&format!("/runs/{run_id}"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200, "{}", page.body);
    // Reached as 127.0.0.1: no HSTS, which would hold for every port of
    // this machine (see the test below).
    assert!(
        page.headers.get("strict-transport-security").is_none(),
        "{:?}",
        page.headers
    );
    let csrf = attribute(&page.body, "data-csrf").expect("a CSRF token");
    // Over TLS a page of the same host in clear is another origin.
    let clear_origin = console.origin.replacen("https://", "http://", 1);
    let answer = console.post(
        "/signin",
        &[("origin", &clear_origin)],
        &json!({ "token": console.token }),
    );
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.cookie.is_none());
    let nonce = record["nonce"].as_str().unwrap();
    let decision = console.decision(run_id, nonce);
    let approve = json!({ "plan_hash": record["plan_hash"], "verdict": "approve" });
    let answer = console.post(
        &decision,
        &[
            ("origin", &clear_origin),
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
        ],
        &approve,
    );
    assert_eq!(answer.status, 403, "{}", answer.body);
    // From the console's own https origin, the decision is taken.
    let origin = console.origin.clone();
    let answer = console.post(
        &decision,
        &[
            ("origin", &origin),
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
        ],
        &approve,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["decided"]["via"], "web");
    let wipe = pending_at(&s, "wipe");
    let bearer = format!("Bearer {}", console.token);
    let answer = console.post(
        &console.decision(run_id, wipe["nonce"].as_str().unwrap()),
        &[("authorization", &bearer)],
        &json!({ "plan_hash": wipe["plan_hash"], "verdict": "reject", "reason": "not now" }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(finish(child).code, 3);
    assert_eq!(s.read("trail").trim(), "restarted");

    // Nothing is served in clear on that port, and a client that does not
    // trust the test's CA refuses the certificate.
    let clear = fetch(
        reqwest::Client::new(),
        &format!("http://{}/signin", console.served.address),
    );
    assert!(clear.is_err(), "{clear:?}");
    let untrusted = fetch(
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .build()
            .unwrap(),
        &console.served.url("/signin"),
    );
    let why = untrusted.expect_err("an unknown issuer is refused");
    assert!(why.contains("UnknownIssuer"), "{why}");
}

/// The refusal of `runbook serve ARGS` (exit 2): its stderr.
fn refused(journal_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(["serve", "--journal-dir"])
        .arg(journal_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: nothing listens");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // As one line: the diagnostic is wrapped to the terminal's width.
    stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_certificate_or_key_that_cannot_serve_is_refused_by_name() {
    let certs = certificates();
    let dir = certs.path();
    let journal = tempfile::tempdir().unwrap();
    let (cert, key) = (path(dir, "leaf.pem"), path(dir, "leaf.key"));
    std::fs::write(dir.join("words.pem"), "not a certificate\n").unwrap();
    std::fs::write(
        dir.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n%%% not base64 %%%\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = path(dir, "missing.pem");
    let folder = dir.display().to_string();
    let words = path(dir, "words.pem");
    let broken = path(dir, "broken.pem");
    let garbage = path(dir, "garbage.pem");
    let other_key = path(dir, "ca.key");
    // A certificate given as the key, private as a key must be.
    std::fs::copy(dir.join("leaf.pem"), dir.join("cert-as-key.pem")).unwrap();
    let cert_as_key = path(dir, "cert-as-key.pem");
    std::fs::set_permissions(&cert_as_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cases: Vec<([&str; 2], &str, &str)> = vec![
        ([&missing, &key], "--tls-cert", "cannot read it"),
        (
            [&cert, &missing],
            "--tls-key",
            "cannot read the `--tls-key` file",
        ),
        ([&folder, &key], "--tls-cert", "cannot read it"),
        ([&words, &key], "--tls-cert", "holds no PEM certificate"),
        ([&broken, &key], "--tls-cert", "is not a PEM file"),
        (
            [&garbage, &key],
            "--tls-cert",
            "cannot be read as a certificate",
        ),
        (
            [&cert, &cert_as_key],
            "--tls-key",
            "holds no PEM private key",
        ),
        (
            [&cert, &other_key],
            "--tls-cert",
            "is not the one of the key",
        ),
    ];
    for ([c, k], flag, why) in cases {
        let stderr = refused(journal.path(), &["--tls-cert", c, "--tls-key", k]);
        let named = if flag == "--tls-cert" { c } else { k };
        assert!(
            stderr.contains("runbook::bad_tls_file"),
            "{c} {k}: {stderr}"
        );
        // Named as the flag and file, or (a key that cannot be read, by
        // the check every secret file gets) as "the `--tls-key` file".
        assert!(
            stderr.contains(&format!("`{flag} {named}`"))
                || stderr.contains(&format!("`{flag}` file `{named}`")),
            "{c} {k}: {stderr}"
        );
        assert!(stderr.contains(why), "{c} {k}: {why} in {stderr}");
        // The key's bytes never appear in a refusal.
        let secret = std::fs::read_to_string(dir.join("leaf.key")).unwrap();
        let body = secret.lines().nth(1).unwrap();
        assert!(!stderr.contains(body), "{stderr}");
    }
    // One without the other is a usage error.
    let stderr = refused(journal.path(), &["--tls-cert", &cert]);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

#[test]
fn a_key_others_can_read_or_replace_is_refused_by_name_without_its_contents() {
    let certs = certificates();
    let dir = certs.path();
    let journal = tempfile::tempdir().unwrap();
    let (cert, key) = (path(dir, "leaf.pem"), path(dir, "leaf.key"));
    let secret = std::fs::read_to_string(dir.join("leaf.key")).unwrap();
    let body = secret.lines().nth(1).unwrap().to_string();
    let args = ["--tls-cert", cert.as_str(), "--tls-key", key.as_str()];
    let set = |mode: u32| {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for mode in [0o640, 0o644, 0o604, 0o620, 0o602, 0o660] {
        set(mode);
        let stderr = refused(journal.path(), &args);
        assert!(stderr.contains("runbook::bad_tls_file"), "{stderr}");
        assert!(
            stderr.contains(&format!("the `--tls-key` file `{key}`")),
            "{stderr}"
        );
        assert!(stderr.contains(&format!("(mode {mode:04o})")), "{stderr}");
        assert!(stderr.contains("chmod 600 FILE"), "{stderr}");
        assert!(!stderr.contains(&body), "{stderr}");
    }
    // Another user's key, private to them: refused, naming its owner.
    set(0o600);
    std::os::unix::fs::chown(&key, Some(65534), None).unwrap();
    let stderr = refused(journal.path(), &args);
    assert!(stderr.contains("runbook::bad_tls_file"), "{stderr}");
    assert!(stderr.contains("belongs to uid 65534"), "{stderr}");
    assert!(!stderr.contains(&body), "{stderr}");
    // The user's own, mode 0600 (root's own when run as root): served.
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    std::os::unix::fs::chown(&key, Some(me), None).unwrap();
    let listen = ["--listen", "127.0.0.1:0"];
    let server = started(journal.path(), &[&args[..], &listen[..]].concat());
    let line = server.line.clone();
    assert!(
        line.starts_with("runbook serve: listening on https://127.0.0.1:"),
        "{line}"
    );
    let stderr = server.stop();
    assert!(!stderr.contains(&body), "{stderr}");
}

/// A token file of the user's own, mode 0600.
fn token_file(dir: &Path) -> PathBuf {
    let file = dir.join("console.token");
    std::fs::write(&file, "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    file
}

#[test]
fn hsts_is_sent_for_a_host_name_never_for_this_machine() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let certs = certificates();
    let (cert, key) = (
        path(certs.path(), "leaf.pem"),
        path(certs.path(), "leaf.key"),
    );
    let token = token_file(certs.path());
    let console = Console::start_with(
        &runs,
        None,
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--token-file",
            token.to_str().unwrap(),
        ],
        Some(&certs.path().join("ca.pem")),
    );
    assert_eq!(console.served.scheme, "https");
    let port = console
        .served
        .address
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {}", console.token);
    // Over the same TLS connection to 127.0.0.1, the `Host` the browser
    // would send for each name.
    let hsts = |host: &str| {
        let answer = console.get("/", &[("host", host), ("authorization", &bearer)]);
        assert_eq!(answer.status, 200, "{host}: {}", answer.body);
        answer
            .headers
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap().to_string())
    };
    for name in [
        "console.example",
        "runbook.internal",
        "10.0.0.5",
        "[2001:db8::1]",
        "localhost.evil.example",
        "evillocalhost",
    ] {
        for host in [name.to_string(), format!("{name}:{port}")] {
            assert_eq!(hsts(&host).as_deref(), Some("max-age=31536000"), "{host}");
        }
    }
    // HSTS holds for a host name on every port: sent for this machine, it
    // would break every plain-HTTP service on it in that browser.
    for name in [
        "localhost",
        "LocalHost",
        "app.localhost",
        "localhost.",
        "127.0.0.1",
        "127.8.9.10",
        "[::1]",
    ] {
        for host in [name.to_string(), format!("{name}:{port}")] {
            assert_eq!(hsts(&host), None, "{host}");
        }
    }
}

/// `runbook serve ARGS`, running, and the first line it printed.
struct Started {
    line: String,
    child: Child,
    /// Kept open while it runs: it may print more.
    _stdout: BufReader<ChildStdout>,
}

fn started(journal_dir: &Path, args: &[&str]) -> Started {
    let mut child = Command::new(binary())
        .args(["serve", "--journal-dir"])
        .arg(journal_dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    Started {
        line,
        child,
        _stdout: stdout,
    }
}

impl Started {
    /// Stops it: what it wrote on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stderr = String::new();
        let mut pipe = self.child.stderr.take().unwrap();
        pipe.read_to_string(&mut stderr).unwrap();
        stderr
    }
}

#[test]
fn deciding_in_clear_off_loopback_is_refused_unless_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let token = token.to_str().unwrap();
    let journal = dir.path().join("runs");
    let off = ["--listen", "0.0.0.0:0", "--token-file", token];

    let stderr = refused(&journal, &[&off[..], &["--decide"]].concat());
    assert!(
        stderr.contains("runbook::serve_decide_in_clear"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--tls-cert FILE --tls-key FILE"),
        "{stderr}"
    );
    assert!(!stderr.contains("0123456789abcdef"), "{stderr}");

    // Accepted with --insecure-http, and said to be in clear.
    let server = started(
        &journal,
        &[&off[..], &["--decide", "--insecure-http"]].concat(),
    );
    let line = server.line.clone();
    assert!(
        line.starts_with("runbook serve: listening on http://0.0.0.0:"),
        "{line}"
    );
    let stderr = server.stop();
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("clear HTTP"), "{stderr}");

    // Read-only in clear: served, with the warning.
    let server = started(&journal, &off);
    let line = server.line.clone();
    assert!(
        line.starts_with("runbook serve: listening on http://0.0.0.0:"),
        "{line}"
    );
    let stderr = server.stop();
    assert!(
        stderr.contains("the token and every page cross the network unencrypted"),
        "{stderr}"
    );

    // Over TLS off loopback: deciding, no warning.
    let certs = certificates();
    let (cert, key) = (
        path(certs.path(), "leaf.pem"),
        path(certs.path(), "leaf.key"),
    );
    let tls = ["--tls-cert", cert.as_str(), "--tls-key", key.as_str()];
    let server = started(&journal, &[&off[..], &tls[..], &["--decide"]].concat());
    let line = server.line.clone();
    assert!(
        line.starts_with("runbook serve: listening on https://0.0.0.0:"),
        "{line}"
    );
    let stderr = server.stop();
    assert!(!stderr.contains("warning"), "{stderr}");
    // Insecure HTTP and TLS at once is a usage error.
    let stderr = refused(
        &journal,
        &[&off[..], &tls[..], &["--decide", "--insecure-http"]].concat(),
    );
    assert!(stderr.contains("--insecure-http"), "{stderr}");
}
