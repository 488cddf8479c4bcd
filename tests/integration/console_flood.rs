//! `runbook serve --max-connections N`: a flood of real TCP connections
//! held open against a real console, some saying nothing, some stopping
//! halfway through a request's headers or a TLS ClientHello, never takes
//! more than N places; each new connection closes the oldest idle one,
//! so a signed-in operator's request still gets through, in clear and
//! over TLS.

use crate::console_decide::Console;
use crate::harness::tls::{make_certificates, Presents};
use crate::running::binary;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The bound the consoles here are started with.
const MAX: usize = 8;
/// Connections opened and held by the flood.
const FLOOD: usize = 40;

/// What a flood's connection sends before going silent: nothing, the
/// start of a request's headers, or a TLS record header and the start of
/// a ClientHello (each cut short, so the console waits for more).
const NOTHING: &[u8] = b"";
const HALF_REQUEST: &[u8] = b"GET /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
const HALF_HELLO: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

/// `FLOOD` connections to `address`, oldest first, taking turns to send
/// one of `says` and then nothing.
fn flood(address: &str, says: &[&[u8]]) -> Vec<TcpStream> {
    (0..FLOOD)
        .map(|i| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream.write_all(says[i % says.len()]).unwrap();
            stream
        })
        .collect()
}

/// Whether the console closed `stream`: it reads the end (or a reset).
/// The timeout only keeps a broken console from hanging the test.
fn closed_by_console(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            // An answer to a half-sent request is not expected, but is
            // not a place held either: read on to the end.
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Floods `console`, then checks a signed-in request is answered and the
/// oldest connections were closed to make room for it.
fn flood_then_request(console: &Console, says: &[&[u8]]) {
    let mut held = flood(&console.served.address, says);
    let bearer = format!("Bearer {}", console.token);
    let answer = console.get("/api/v1/runs", &[("authorization", &bearer)]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("\"runs\""), "{}", answer.body);
    // FLOOD + 1 connections came and at most MAX stay: the oldest went.
    for (i, stream) in held.iter_mut().take(FLOOD + 1 - MAX).enumerate() {
        assert!(closed_by_console(stream), "connection {i} is still open");
    }
    // The console goes on answering, the flood's newest still held.
    let again = console.get("/api/v1/runs", &[("authorization", &bearer)]);
    assert_eq!(again.status, 200, "{}", again.body);
}

#[test]
fn a_flood_of_idle_connections_cannot_keep_a_signed_in_operator_out() {
    let journal = tempfile::tempdir().unwrap();
    let max = MAX.to_string();
    let console = Console::start(journal.path(), None, &["--max-connections", &max]);
    assert_eq!(console.served.scheme, "http");
    flood_then_request(&console, &[NOTHING, HALF_REQUEST]);
}

#[test]
fn a_flood_of_half_done_tls_handshakes_cannot_keep_a_signed_in_operator_out() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path(), Presents::Valid);
    let key = certs.path().join("leaf.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cert = certs.path().join("leaf.pem");
    let journal = tempfile::tempdir().unwrap();
    let max = MAX.to_string();
    let args = [
        "--max-connections",
        &max,
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let ca = certs.path().join("ca.pem");
    let console = Console::start_with(journal.path(), None, &args, Some(&ca));
    assert_eq!(console.served.scheme, "https");
    flood_then_request(&console, &[NOTHING, HALF_HELLO]);
}

#[test]
fn a_bound_of_no_connections_or_not_a_number_is_a_usage_error() {
    let journal = tempfile::tempdir().unwrap();
    for bad in ["0", "-1", "many", "65537", "99999999999999999999", ""] {
        let out = serve(journal.path(), &[&format!("--max-connections={bad}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--max-connections"), "{bad}: {stderr}");
        assert!(out.stdout.is_empty(), "{bad}: nothing listens");
    }
}

#[test]
fn a_bound_over_the_open_files_limit_raises_it_or_is_warned_of() {
    let journal = tempfile::tempdir().unwrap();
    let dir = journal.path().display().to_string();
    // Under a soft limit of 100 and a hard one of 1024, 256 fit once the
    // soft limit is raised: no warning. Under a hard limit of 300, 1000
    // do not: served, with a warning naming the limit.
    for (limits, max, warned) in [
        ("-Hn 1024; ulimit -Sn 100", "256", false),
        ("-n 300", "1000", true),
    ] {
        let script = format!(
            "ulimit {limits} && exec \"$0\" serve --listen 127.0.0.1:0 --journal-dir \"$1\" --max-connections {max}"
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .arg(binary())
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("runbook serve: listening on http://127.0.0.1:"),
            "{limits}: {line}"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let warning =
            format!("`--max-connections {max}` does not fit under the open-files limit (300,");
        assert_eq!(stderr.contains(&warning), warned, "{limits}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

fn serve(journal: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--journal-dir"])
        .arg(journal)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A connection from `from` (a loopback address of its own) to `address`.
fn connect_from(from: &str, address: &str) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(address.parse().unwrap()).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}

/// One keep-alive request on `stream`: the status line and the body,
/// read to its `Content-Length`, the connection left open.
fn keep_alive_get(stream: &mut TcpStream, path: &str, bearer: &str) -> (String, String) {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {bearer}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header == "\r\n" || header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The flood comes from one address and the operator from another: the
/// connections closed to make room are the flood's own, and the
/// operator's idle keep-alive connection, the oldest of all, stays open.
#[test]
fn a_flood_from_one_address_closes_its_own_connections_not_an_operators() {
    let journal = tempfile::tempdir().unwrap();
    let max = MAX.to_string();
    let console = Console::start(journal.path(), None, &["--max-connections", &max]);
    let bearer = format!("Bearer {}", console.token);
    let address = &console.served.address;
    let mut operator = connect_from("127.0.0.2", address);
    let (status, body) = keep_alive_get(&mut operator, "/api/v1/runs", &bearer);
    assert!(status.contains(" 200 "), "{status} {body}");
    let mut held = flood(address, &[NOTHING, HALF_REQUEST]);
    // FLOOD came after it, MAX - 1 of them at most stay: the flood's oldest
    // went, and the operator's connection still answers.
    for (i, stream) in held.iter_mut().take(FLOOD + 1 - MAX).enumerate() {
        assert!(closed_by_console(stream), "connection {i} is still open");
    }
    let (status, body) = keep_alive_get(&mut operator, "/api/v1/runs", &bearer);
    assert!(status.contains(" 200 "), "{status} {body}");
    assert!(body.contains("\"runs\""), "{body}");
}
