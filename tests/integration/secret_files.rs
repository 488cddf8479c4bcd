//! The files `runbook serve` holds secrets in (a deciding console's
//! `--token-file`, the `--tls-key`), read with real files of every shape
//! that must be refused: a symbolic link to a good file, a FIFO (refused
//! without hanging the start), a file others may read, another user's
//! file; a good file is served. Each refusal names the file, never what
//! it holds. Run as root, as the suite is (`chown` to uid 65534).

use crate::harness::tls::{make_certificates, Presents};
use crate::harness::Killed;
use crate::running::binary;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A token that must never appear in a refusal.
const TOKEN: &str = "s3cret-token-0123456789abcdef";

/// `runbook serve --listen 127.0.0.1:0 ARGS` over an empty journal
/// directory: `Ok(first line)` when it listens (it is then stopped), or
/// `Err(stderr)` when it refuses (exit 2), as one line. A start that
/// neither listens nor ends within a minute (a FIFO read blocking) fails.
fn serve(dir: &Path, args: &[&str]) -> Result<String, String> {
    let child = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--journal-dir"])
        .arg(dir.join("runs"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let stdout = child.0.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("`runbook serve` listens or ends: a FIFO must not hang its start");
    if !line.is_empty() {
        return Ok(line);
    }
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // As one line: the diagnostic is wrapped to the terminal's width.
    Err(stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// `file` made `mode`, owned by `uid`.
fn own(file: &Path, mode: u32, uid: u32) {
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(file, Some(uid), None).unwrap();
}

/// The refusals every secret file gets: `good` (the user's own, mode
/// 0600) is served through `args_for(path)`; a symlink to it, a FIFO, it
/// at mode 0644 and it owned by uid 65534 are refused with `code`, naming
/// the file, never `secret` (a line of what it holds).
fn refuses_all_but_a_private_file(
    dir: &Path,
    good: &Path,
    code: &str,
    name: &str,
    secret: &str,
    args_for: &dyn Fn(&str) -> Vec<String>,
) {
    let serve_with = |file: &Path| {
        let args = args_for(file.to_str().unwrap());
        serve(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let refused = |file: &Path, why: &str| {
        let stderr = serve_with(file).expect_err("refused");
        let shown = file.display().to_string();
        assert!(stderr.contains(code), "{stderr}");
        assert!(stderr.contains(&format!("{name} `{shown}`")), "{stderr}");
        assert!(stderr.contains(why), "{why} in {stderr}");
        assert!(!stderr.contains(secret), "{stderr}");
    };
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    own(good, 0o600, me);

    let link = dir.join("link $(touch pwned) 'q' #1");
    std::os::unix::fs::symlink(good, &link).unwrap();
    refused(&link, "it is a symbolic link");

    let fifo = dir.join("fifo \"x\" ..#");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    refused(&fifo, "a named pipe (FIFO)");

    own(good, 0o644, me);
    refused(good, "can be read or written by others (mode 0644)");

    own(good, 0o600, 65534);
    refused(good, "belongs to uid 65534, not to you");

    own(good, 0o600, me);
    let line = serve_with(good).expect("the user's own private file is served");
    assert!(line.starts_with("runbook serve: listening on"), "{line}");
    assert!(!line.contains(secret), "{line}");
    assert!(!dir.join("pwned").exists());
}

#[test]
fn a_deciding_consoles_token_file_is_read_only_if_it_is_a_private_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("console $(id) 'token'.txt");
    std::fs::write(&good, format!("{TOKEN}\n")).unwrap();
    refuses_all_but_a_private_file(
        dir.path(),
        &good,
        "runbook::bad_token_file",
        "the token file",
        TOKEN,
        &|file| vec!["--decide".into(), "--token-file".into(), file.into()],
    );
}

#[test]
fn a_tls_key_is_read_only_if_it_is_a_private_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path(), Presents::Valid);
    let key = dir.path().join("leaf.key");
    let secret = std::fs::read_to_string(&key).unwrap();
    let body = secret.lines().nth(1).unwrap().to_string();
    let cert = dir.path().join("leaf.pem").display().to_string();
    refuses_all_but_a_private_file(
        dir.path(),
        &key,
        "runbook::bad_tls_file",
        "the `--tls-key` file",
        &body,
        &|file| {
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                file.into(),
            ]
        },
    );
}
