//! The real OpenSSH server (Debian package `openssh-server`) on a loopback
//! port, with a throwaway host key and user key in a temporary directory,
//! accepting `root` with that key: what `ssh host cmd ...` does with its
//! arguments (join them with spaces, hand the string to the remote login
//! shell) is then tested for real.

use super::{free_port, require_program, wait_until, Killed};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SSHD: &str = "/usr/sbin/sshd";
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

/// A running `sshd`; stopped and its keys removed when dropped.
pub struct TestSshd {
    pub port: u16,
    /// The private key that logs in as `root`.
    pub key: PathBuf,
    _process: Killed,
    _dir: tempfile::TempDir,
}

impl TestSshd {
    pub fn start() -> TestSshd {
        require_program(Path::new(SSHD), "openssh-server");
        require_program(Path::new(SSH_KEYGEN), "openssh-client");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path();
        for key in ["host_key", "user_key"] {
            let status = Command::new(SSH_KEYGEN)
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path.join(key))
                .status()
                .expect("ssh-keygen runs");
            assert!(status.success(), "ssh-keygen failed for {key}");
        }
        std::fs::copy(path.join("user_key.pub"), path.join("authorized_keys"))
            .expect("authorize the user key");
        let port = free_port();
        let config = path.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\n\
                 AuthorizedKeysFile {dir}/authorized_keys\nPermitRootLogin yes\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPidFile {dir}/sshd.pid\n",
                dir = path.display()
            ),
        )
        .expect("write sshd_config");
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd (run the tests as root)");
        let log = std::fs::File::create(path.join("sshd.log")).expect("sshd log");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        let process = Killed(child);
        wait_until(
            &format!(
                "sshd did not listen on port {port} (its log: {})",
                path.join("sshd.log").display()
            ),
            Duration::from_secs(30),
            || TcpStream::connect(("127.0.0.1", port)).is_ok(),
        );
        TestSshd {
            port,
            key: path.join("user_key"),
            _process: process,
            _dir: dir,
        }
    }

    /// The `ssh` options that reach this server without asking anything.
    /// Sessions share one connection (a control master, which exits with
    /// the server): each still runs its command through the remote login
    /// shell, and the tests do not pay a key exchange per command.
    pub fn options(&self) -> String {
        format!(
            "-p {} -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ControlMaster=auto -o ControlPath={} -o ControlPersist=yes",
            self.port,
            self.key.display(),
            self._dir.path().join("control").display()
        )
    }
}
