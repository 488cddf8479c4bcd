//! A real PostgreSQL server (Debian package `postgresql`) of the test's
//! own: `initdb` in a temporary directory, `pg_ctl start` on a loopback port,
//! stopped and removed when dropped. As root, the server runs as the
//! `postgres` user (PostgreSQL refuses to run as root).

use super::{free_port, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A running server with a trust-authenticated `postgres` superuser.
pub struct TestPostgres {
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    dir: tempfile::TempDir,
}

/// The newest `/usr/lib/postgresql/*/bin`.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "no /usr/lib/postgresql/*/bin/initdb: install the Debian package `postgresql` \
             (`apt-get install -y postgresql`; scripts/test does this when it can)"
        )
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `program args` as the server's user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPostgres {
    pub fn start() -> TestPostgres {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("a temporary directory");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:postgres").arg(dir.path());
                    c
                },
                "chown of the data directory to the `postgres` user",
            );
        }
        let data = dir.path().join("data");
        let mut initdb = as_server_user(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run(initdb, "initdb");
        let port = free_port();
        let mut start = as_server_user(&bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
                dir.path().display()
            ))
            .args(["-w", "-t", "60", "start"]);
        run(start, "pg_ctl start");
        let server = TestPostgres {
            url: format!("postgresql://postgres@127.0.0.1:{port}/postgres"),
            bin,
            data,
            dir,
        };
        wait_until(
            "PostgreSQL did not accept connections",
            Duration::from_secs(30),
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        );
        server
    }

    /// A standby's stand-in: `pg_receivewal` streaming into `into` through
    /// the physical slot `slot`, which is active for as long as it runs.
    pub fn receive_wal(&self, slot: &str, into: &Path) -> std::process::Child {
        Command::new(self.bin.join("pg_receivewal"))
            .args([
                "--no-password",
                "--no-sync",
                "-d",
                &self.url,
                "-S",
                slot,
                "-D",
            ])
            .arg(into)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pg_receivewal runs")
    }

    /// Runs SQL through `psql` (setup and checks outside the step under test).
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in("postgres", sql)
    }

    /// What the server wrote to its log so far (with `log_statement = 'all'`,
    /// every statement it received).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A `psql` session named `application_name` running `sql`, left to run.
    pub fn session(&self, application_name: &str, sql: &str) -> std::process::Child {
        Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-d", &self.url, "-c", sql])
            .env("PGAPPNAME", application_name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql starts")
    }

    /// A `psql` session named `application_name` that runs `sql` and stays
    /// connected, reading its standard input, until the child is killed or
    /// the server ends it: a transaction `sql` leaves open holds its locks
    /// meanwhile ("idle in transaction").
    pub fn open_session(&self, application_name: &str, sql: &str) -> std::process::Child {
        use std::io::Write;
        let mut child = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-d", &self.url])
            .env("PGAPPNAME", application_name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql starts");
        let stdin = child.stdin.as_mut().expect("psql's stdin");
        writeln!(stdin, "{sql}").expect("psql reads the statement");
        child
    }

    /// `pg_dump` of database `db`: schema, rows and sequence values (without
    /// the `\restrict` lines, whose key is new on every dump).
    pub fn dump(&self, db: &str) -> String {
        let out = Command::new(self.bin.join("pg_dump"))
            .args(["--no-password", "-d", &self.url_of(db)])
            .stdin(Stdio::null())
            .output()
            .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The URL of database `db` on this server.
    pub fn url_of(&self, db: &str) -> String {
        format!("{}/{db}", self.url.rsplit_once('/').unwrap().0)
    }

    /// [`TestPostgres::psql`] in database `db`.
    pub fn psql_in(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url_of(db),
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let mut stop = as_server_user(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
    }
}
