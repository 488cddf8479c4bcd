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
    tls: bool,
    _server: Killed,
    dir: tempfile::TempDir,
}

impl TestRedis {
    pub fn start() -> TestRedis {
        TestRedis::start_with(None, false)
    }

    /// A server that refuses every command until `AUTH PASSWORD`.
    pub fn with_password(password: &str) -> TestRedis {
        TestRedis::start_with(Some(password), false)
    }

    /// A server that speaks only TLS, its certificate (for 127.0.0.1)
    /// signed by a CA of its own, [`TestRedis::ca`] (made with `openssl`).
    pub fn with_tls() -> TestRedis {
        TestRedis::start_with(None, true)
    }

    fn start_with(password: Option<&str>, tls: bool) -> TestRedis {
        require_program(Path::new("/usr/bin/redis-server"), "redis-server");
        require_program(Path::new("/usr/bin/redis-cli"), "redis-tools");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new("/usr/bin/redis-server");
        if tls {
            make_certificates(dir.path());
            let file = |name: &str| dir.path().join(name);
            command
                .args(["--port", "0", "--tls-port", &port.to_string()])
                .arg("--tls-cert-file")
                .arg(file("server.pem"))
                .arg("--tls-key-file")
                .arg(file("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(file("ca.pem"))
                .args(["--tls-auth-clients", "no"]);
        } else {
            command.args(["--port", &port.to_string()]);
        }
        command
            .args(["--bind", "127.0.0.1"])
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
        let scheme = if tls { "rediss" } else { "redis" };
        let url = match password {
            Some(p) => format!("{scheme}://:{}@127.0.0.1:{port}/0", percent_encoded(p)),
            None => format!("{scheme}://127.0.0.1:{port}/0"),
        };
        let redis = TestRedis {
            url,
            port,
            password: password.map(str::to_string),
            tls,
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
        if self.tls {
            command.arg("--tls").arg("--cacert").arg(self.ca());
        }
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

    /// The CA that signed a TLS server's certificate.
    pub fn ca(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
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

/// `ca.pem` and `server.pem`/`server.key` (for 127.0.0.1, signed by the
/// CA) in `dir`.
fn make_certificates(dir: &Path) {
    require_program(Path::new("/usr/bin/openssl"), "openssl");
    let openssl = |args: &[&str]| {
        let out = Command::new("/usr/bin/openssl")
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=runbook test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "san.cnf",
    ]);
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
