//! A real Redis (Debian package `redis-server`) of the test's own, on a
//! loopback port, without persistence, optionally with a password
//! (`requirepass`); killed when dropped. Set up and inspected with the
//! real `redis-cli` (Debian package `redis-tools`).

use super::{free_port, require_program, wait_until, Killed};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct TestRedis {
    /// `redis://[:PASSWORD@]127.0.0.1:PORT/0`.
    pub url: String,
    port: u16,
    password: Option<String>,
    _server: Killed,
    dir: tempfile::TempDir,
}

impl TestRedis {
    pub fn start() -> TestRedis {
        TestRedis::start_with(None)
    }

    /// A server that refuses every command until `AUTH PASSWORD`.
    pub fn with_password(password: &str) -> TestRedis {
        TestRedis::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> TestRedis {
        require_program(Path::new("/usr/bin/redis-server"), "redis-server");
        require_program(Path::new("/usr/bin/redis-cli"), "redis-tools");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new("/usr/bin/redis-server");
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir.path())
            .arg("--unixsocket")
            .arg(dir.path().join("redis.sock"))
            .args(["--unixsocketperm", "700"]);
        if let Some(password) = password {
            command.arg("--requirepass").arg(password);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let url = match password {
            Some(p) => format!("redis://:{}@127.0.0.1:{port}/0", percent_encoded(p)),
            None => format!("redis://127.0.0.1:{port}/0"),
        };
        let redis = TestRedis {
            url,
            port,
            password: password.map(str::to_string),
            _server: Killed(child),
            dir,
        };
        wait_until("Redis did not answer PING", Duration::from_secs(20), || {
            redis.try_cli(&["PING"]).is_some_and(|o| o == "PONG")
        });
        redis
    }

    fn try_cli(&self, args: &[&str]) -> Option<String> {
        let mut command = Command::new("/usr/bin/redis-cli");
        command.args(["-p", &self.port.to_string()]);
        if let Some(password) = &self.password {
            command.env("REDISCLI_AUTH", password);
        }
        let out = command.args(args).stdin(Stdio::null()).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Unix socket it also listens on.
    pub fn socket(&self) -> std::path::PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// Runs `redis-cli ARGS` (setup and checks outside the playbook).
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|| panic!("redis-cli {args:?} failed"))
    }
}

/// A password as it goes in a URL's user-info.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
