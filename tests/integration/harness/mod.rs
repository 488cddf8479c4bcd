//! Real servers for the tests of the step kinds: an HTTP server (axum) with
//! the routes the `http`, `notify` and `prometheus` tests need, the real
//! Prometheus, PostgreSQL and Redis from their Debian packages, and a Kubernetes API
//! server written for the tests.
//!
//! Every server listens on loopback on a free port, keeps its files in a
//! temporary directory and is stopped when its handle is dropped. A server
//! that cannot start fails the test with a message saying what is missing;
//! no test is ever skipped for lack of one.

pub mod alertmanager;
pub mod answer_once;
pub mod closing;
pub mod http;
pub mod k8s;
pub mod postgres;
pub mod prometheus;
pub mod redis;
pub mod sshd;
pub mod tls;

use std::net::TcpListener;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 for a server the test starts on it (bound
/// and released; the race with another process taking it in between is
/// accepted, as every such harness does). A port that must refuse is
/// [`refusing_port`].
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A loopback TCP port bound but not listening, held as long as the
/// descriptor lives: connecting to it is refused (RST), and no other
/// test's socket can take it meanwhile, as it could a port [`free_port`]
/// found free (a busy listener's full queue drops the SYN instead; a
/// server answers). Keep the descriptor for the whole test (`let (_held,
/// port)`, never `let (_, port)`); `listen` on it opens the port.
pub fn refusing_port() -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns, with
    // an address structure of the size given.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket");
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        addr.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0,
            "bind"
        );
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut bound_len = len;
        assert_eq!(
            libc::getsockname(
                fd,
                &mut bound as *mut _ as *mut libc::sockaddr,
                &mut bound_len
            ),
            0,
            "getsockname"
        );
        (owned, u16::from_be(bound.sin_port))
    }
}

/// Polls `ready` until it holds or `limit` passes; panics with `what`.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        if started.elapsed() > limit {
            panic!("{what} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A program from a Debian package, or a panic saying how to install it.
pub fn require_program(path: &Path, package: &str) {
    assert!(
        path.exists(),
        "{} is missing: install the Debian package `{package}` (`apt-get install -y {package}`; \
         scripts/test does this when it can)",
        path.display()
    );
}

/// A child process killed (and reaped) when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How a `runbook run` ended: its exit code and its `--output json` records
/// (each with its type in `event`).
pub struct Ran {
    pub code: i32,
    pub records: Vec<serde_json::Value>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The `step_finished` event of a step.
    pub fn finished(&self, step: &str) -> &serde_json::Value {
        self.records
            .iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == step)
            .unwrap_or_else(|| {
                panic!(
                    "no step_finished for `{step}`\nstdout:\n{}\nstderr:\n{}",
                    self.stdout, self.stderr
                )
            })
    }

    /// The message a step finished with (empty when it had none).
    pub fn message(&self, step: &str) -> String {
        self.finished(step)["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The events of one type.
    pub fn events(&self, kind: &str) -> Vec<&serde_json::Value> {
        self.records.iter().filter(|e| e["event"] == kind).collect()
    }
}

/// Writes `text` as `name` in a fresh temporary directory and runs
/// `runbook run` on it with `--output json` and `args`.
pub fn run_playbook(name: &str, text: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(name);
    std::fs::write(&file, text).expect("write the playbook");
    run_file(&file, dir.path(), args, env)
}

/// Runs `runbook run FILE --output json ARGS` in `dir` (where its shell
/// steps run) with its journal there.
pub fn run_file(file: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"));
    cmd.current_dir(dir)
        .arg("run")
        .arg(file)
        .args(["--output", "json", "--journal-dir"])
        .arg(dir.join("journal"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runbook runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Ran {
        code: out.status.code().unwrap_or(-1),
        records: stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
