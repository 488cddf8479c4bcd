//! A `sql` step stopped while its statement runs (its `timeout`, SIGTERM)
//! leaves nothing running on the server: the run asks PostgreSQL to cancel
//! the statement, which closing the connection alone would not do until the
//! statement next wrote to it.

use crate::harness::postgres::TestPostgres;
use crate::harness::run_playbook;
use crate::running::binary;
use std::time::{Duration, Instant};

fn sleeper(url: &str, name: &str, timeout: &str) -> String {
    format!(
        r#"name: sleeper
steps:
  - id: long
    sql:
      url: "{url}?application_name={name}"
      query: SELECT pg_sleep(120)
    timeout: {timeout}
"#
    )
}

/// How many statements of `name` the server is running.
fn active(pg: &TestPostgres, name: &str) -> String {
    pg.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}' AND state = 'active'"
    ))
}

/// Waits (bounded) until `active` reads `want`.
fn wait_active(pg: &TestPostgres, name: &str, want: &str) {
    let bound = Instant::now() + Duration::from_secs(20);
    while active(pg, name) != want {
        assert!(
            Instant::now() < bound,
            "{name}: never {want} statement(s) running"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_timed_out_statement_is_cancelled_on_the_server() {
    let pg = TestPostgres::start();
    let ran = run_playbook(
        "sleeper.yaml",
        &sleeper(&pg.url, "rb_timeout", "1s"),
        &[],
        &[],
    );
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.finished("long")["state"], "timed_out");
    // The message says the timeout and that the server was asked to cancel.
    let message = ran.finished("long")["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.starts_with("timed out after 1s: stopped while the statement ran; the server was asked to cancel it"),
        "{message}"
    );
    // The cancel request is sent before the step ends; the server acts
    // on it at once, but is given a moment on a loaded machine.
    wait_active(&pg, "rb_timeout", "0");
}

#[test]
fn sigterm_cancels_the_running_statement_on_the_server() {
    let pg = TestPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sleeper.yaml");
    std::fs::write(&file, sleeper(&pg.url, "rb_sigterm", "10m")).unwrap();
    let mut child = std::process::Command::new(binary())
        .current_dir(dir.path())
        .arg("run")
        .arg(&file)
        .args(["--output", "json"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_active(&pg, "rb_sigterm", "1");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    wait_active(&pg, "rb_sigterm", "0");
}
