//! `tcp` steps against real sockets on loopback: a listener that sends a
//! banner and answers a line, a closed port (refused), a listener whose
//! accept queue is full (no answer: a timeout), a name that does not
//! resolve; `until` waiting for a port that opens later; a dry-run that
//! probes; hostile hosts refused before anything connects.

use crate::harness::{refusing_port, run_playbook, Ran};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// A listener that greets each connection with an SSH-like banner, then
/// answers one line with `echo:LINE`; it serves until the test ends.
fn banner_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.write_all(b"SSH-2.0-runbook_test\r\n");
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut line = String::new();
                if BufReader::new(&stream).read_line(&mut line).unwrap_or(0) > 0 {
                    let _ = stream.write_all(format!("echo:{line}").as_bytes());
                }
            });
        }
    });
    port
}

fn playbook(steps: &str) -> String {
    format!(
        r#"name: probes
inputs:
  host:
    type: string
    default: "127.0.0.1"
  port:
    type: int
    default: 1
steps:
{steps}"#
    )
}

fn run(steps: &str, args: &[&str]) -> Ran {
    run_playbook("probes.yaml", &playbook(steps), args, &[])
}

#[test]
fn a_listening_port_connects_and_its_banner_is_read() {
    let port = banner_server();
    let ran = run(
        r#"  - id: ssh
    tcp:
      host: "{{inputs.host}}"
      port: "{{inputs.port}}"
      expect: '^SSH-2\.0-'
  - id: ping
    tcp:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      send: "PING\r\n"
      expect: 'echo:PING\r\n'
  - id: bare
    tcp:
      host: localhost
      port: "{{inputs.port}}"
  - id: up
    needs: [ssh, ping, bare]
    assert:
      that: steps.ssh.connected && steps.ssh.connect_ms >= 0 && steps.bare.banner == null
  - id: wrong
    on_failure: continue
    tcp:
      host: 127.0.0.1
      port: "{{inputs.port}}"
      expect: "^HTTP/1"
      read_timeout: 300ms
"#,
        &[&format!("--input=port={port}")],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let ssh = &ran.finished("ssh")["results"];
    assert_eq!(ssh["connected"], true);
    assert_eq!(ssh["address"], "127.0.0.1");
    assert!(ssh["connect_ms"].is_u64(), "{ssh}");
    assert!(ssh["banner"]
        .as_str()
        .unwrap()
        .starts_with("SSH-2.0-runbook_test"));
    let ping = ran.finished("ping")["results"]["banner"].as_str().unwrap();
    assert!(ping.ends_with("echo:PING\r\n"), "{ping:?}");
    let bare = &ran.finished("bare")["results"];
    assert_eq!(bare["connected"], true);
    assert!(["127.0.0.1", "::1"].contains(&bare["address"].as_str().unwrap()));
    assert_eq!(ran.finished("up")["state"], "succeeded");
    // A banner that does not match fails the step, and is still read.
    let wrong = ran.finished("wrong");
    assert_eq!(wrong["state"], "failed");
    assert!(
        ran.message("wrong").contains("does not match `expect`"),
        "{wrong}"
    );
    assert!(wrong["results"]["banner"]
        .as_str()
        .unwrap()
        .starts_with("SSH-2.0"));
}

#[test]
fn refused_timed_out_and_unresolved_are_told_apart() {
    // Held bound and not listening for the whole test: a connect to it is
    // refused, and no other test's socket can take the port meanwhile (a
    // port only freed could become a busy listener's, whose full queue
    // drops the SYN).
    let (_held, closed) = refusing_port();
    // A listener whose accept queue is full: the kernel drops further
    // SYNs, so a connect gets no answer at all.
    let full = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: `listen` on a socket this test owns, only changing its backlog.
    assert_eq!(unsafe { libc::listen(full.as_raw_fd(), 0) }, 0);
    let full_port = full.local_addr().unwrap().port();
    let _queued = TcpStream::connect(("127.0.0.1", full_port)).unwrap();
    let ran = run(
        &format!(
            r#"  - id: refused
    on_failure: continue
    tcp:
      host: 127.0.0.1
      port: {closed}
  - id: silent
    on_failure: continue
    tcp:
      host: 127.0.0.1
      port: {full_port}
      connect_timeout: 300ms
  - id: unknown
    on_failure: continue
    tcp:
      host: no-such-host.invalid
      port: 80
      connect_timeout: 2s
"#
        ),
        &[],
    );
    assert_eq!(ran.finished("refused")["state"], "failed");
    assert_eq!(ran.finished("refused")["results"]["connected"], false);
    let refused = ran.message("refused");
    assert!(refused.contains("ECONNREFUSED"), "{refused}");
    assert!(
        refused.contains(&format!("127.0.0.1:{closed}")),
        "{refused}"
    );
    let silent = ran.message("silent");
    assert!(silent.contains("did not answer within 300ms"), "{silent}");
    assert!(!silent.contains("ECONNREFUSED"), "{silent}");
    let unknown = ran.message("unknown");
    assert!(
        unknown.contains("cannot resolve `no-such-host.invalid` (DNS)"),
        "{unknown}"
    );
    assert_eq!(ran.finished("silent")["state"], "failed");
    assert_eq!(ran.finished("unknown")["state"], "failed");
    drop(full);
}

#[test]
fn until_waits_for_a_port_to_open() {
    // Refused until the step has found it down, then listened on: the same
    // socket, so no other test's can take the port in between.
    let (held, port) = refusing_port();
    let mut held = Some(held);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probes.yaml");
    let steps = format!(
        r#"  - id: back
    tcp:
      host: 127.0.0.1
      port: {port}
      connect_timeout: 1s
    until:
      condition: steps.back.connected
      every: 200ms
      within: 60s
"#
    );
    std::fs::write(&file, playbook(&steps)).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .current_dir(dir.path())
        .arg("run")
        .arg(&file)
        .args(["--output", "json", "--journal-dir"])
        .arg(dir.path().join("journal"))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut listener = None;
    let mut polled = None;
    let mut finished = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap_or_default();
        // The service comes back once the step has found it down.
        if event["event"] == "step_polling" && listener.is_none() {
            polled = event["message"].as_str().map(str::to_string);
            let socket = held.take().unwrap();
            // SAFETY: `listen` on a bound socket this test owns.
            assert_eq!(unsafe { libc::listen(socket.as_raw_fd(), 16) }, 0);
            listener = Some(TcpListener::from(socket));
        }
        if event["event"] == "step_finished" {
            finished = Some(event);
        }
    }
    assert!(child.wait().unwrap().success());
    let polled = polled.expect("the first attempt found the port closed");
    assert!(polled.contains("ECONNREFUSED"), "{polled}");
    let finished = finished.expect("the step finished");
    assert_eq!(finished["state"], "succeeded");
    assert_eq!(finished["results"]["connected"], true);
}

#[test]
fn a_dry_run_probes() {
    let port = banner_server();
    let ran = run(
        &format!(
            r#"  - id: ssh
    tcp:
      host: 127.0.0.1
      port: {port}
      expect: "^SSH"
"#
        ),
        &["--dry-run"],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("ssh")["state"], "succeeded");
    assert_eq!(ran.finished("ssh")["results"]["connected"], true);
}

#[test]
fn hostile_hosts_are_refused_before_connecting() {
    let port = banner_server();
    for hostile in [
        "127.0.0.1; touch pwned",
        "$(touch pwned)",
        "`id`",
        "127.0.0.1\nlocalhost",
        "evil.com/../admin",
        "user@127.0.0.1",
        "127.0.0.1#x",
        "127.0.0.1:22",
        "::1",
        "'127.0.0.1'",
        "",
    ] {
        let ran = run(
            r#"  - id: probe
    tcp:
      host: "{{inputs.host}}"
      port: "{{inputs.port}}"
"#,
            &[
                &format!("--input=host={hostile}"),
                &format!("--input=port={port}"),
            ],
        );
        assert_eq!(ran.finished("probe")["state"], "failed", "{hostile:?}");
        let why = ran.message("probe");
        assert!(why.contains("is not a host"), "{hostile:?}: {why}");
        assert!(ran.finished("probe")["results"]["connected"].is_null());
    }
    for port in ["0", "65536", "-1"] {
        let ran = run(
            r#"  - id: probe
    tcp:
      host: 127.0.0.1
      port: "{{inputs.port}}"
"#,
            &[&format!("--input=port={port}")],
        );
        let why = ran.message("probe");
        assert!(why.contains("out of range"), "{port}: {why}");
    }
}

#[test]
fn an_ipv6_address_is_written_in_brackets() {
    let listener = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || for _ in listener.incoming() {});
    let ran = run(
        &format!(
            r#"  - id: v6
    tcp:
      host: "[::1]"
      port: {port}
  - id: templated
    tcp:
      host: "{{{{inputs.host}}}}"
      port: {port}
"#
        ),
        &["--input=host=[::1]"],
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("v6")["results"]["address"], "::1");
    assert_eq!(ran.finished("templated")["results"]["address"], "::1");
}
