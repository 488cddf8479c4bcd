//! Reading a file that holds a secret (a deciding console's
//! `--token-file`, the console's `--tls-key`): the one place that does it.
//!
//! Checking such a file by path and reading it again by path leaves a
//! window in which it can be replaced (by a symbolic link to a file of the
//! attacker's, say). So the file is opened once, without following a
//! symbolic link and without blocking (a FIFO must not hang the start),
//! its type, owner and mode are read from that open descriptor, and its
//! bytes from the same descriptor: what was checked is what is read.

use crate::run_dir::refuse;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// A file holding a secret, which only its reader may read or replace:
/// what it is called, its diagnostic code, and what its leak gives away.
pub struct Secret {
    pub name: &'static str,
    pub code: &'static str,
    pub stakes: &'static str,
}

/// The bytes of `file` (at most `limit`), if it is a regular file of the
/// reader's own that no one else may read or write (root may read one of
/// root's own). Otherwise the refusal, printed: it names the file and its
/// owner, mode or type and the fix, never what it holds.
pub fn read(file: &Path, secret: &Secret, limit: u64) -> Result<Vec<u8>, i32> {
    let shown = file.display().to_string();
    let name = secret.name;
    let problem = |message: String, help: String| refuse(&shown, secret.code, message, help);
    let unreadable = |why: String| {
        problem(
            format!("cannot read {name} `{shown}`: {why}"),
            "give a regular file of your own, mode 0600, e.g. made under `(umask 077; ...)`".into(),
        )
    };
    let opened = open(file).map_err(|e| unreadable(why_not_opened(&e)))?;
    let opened =
        runbook_dsl::user_file::checked(opened, limit).map_err(|e| unreadable(e.to_string()))?;
    let meta = opened.metadata().map_err(|e| unreadable(e.to_string()))?;
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    if meta.uid() != me {
        return Err(problem(
            format!(
                "{name} `{shown}` belongs to uid {}, not to you (uid {me})",
                meta.uid()
            ),
            format!("{}: keep it in a file of your own, mode 0600 (`install -m 600 FILE NEW` as you copies it)", secret.stakes),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(problem(
            format!("{name} `{shown}` can be read or written by others (mode {mode:04o})"),
            format!("{}: `chmod 600 FILE`", secret.stakes),
        ));
    }
    runbook_dsl::user_file::read_file(opened, limit).map_err(|e| unreadable(e.to_string()))
}

/// `file` opened for reading: not through a symbolic link, without
/// blocking on a FIFO or becoming a terminal's, not inherited by children.
fn open(file: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(file)
}

/// Why `file` could not be opened, in words: `O_NOFOLLOW` answers a
/// symbolic link with `ELOOP`, whose own text ("too many levels") misleads.
fn why_not_opened(error: &std::io::Error) -> String {
    if error.raw_os_error() == Some(libc::ELOOP) {
        "it is a symbolic link, which is not followed for a secret; give the file itself".into()
    } else {
        error.to_string()
    }
}
