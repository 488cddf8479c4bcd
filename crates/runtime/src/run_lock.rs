//! One live process per run: `run` and `resume` hold an exclusive `flock`
//! on `<run-dir>/lock` for as long as they work on the run, so a second
//! `resume` (or a `run` reusing the id) is refused instead of running the
//! remaining steps twice and interleaving two writers in one journal.
//!
//! The lock is the truth: the kernel drops it when the process ends, however
//! it ends, and it is not inherited by step processes (the file is opened
//! close-on-exec). The pid written into the file only says who holds it.

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside a run's directory.
pub const FILE_NAME: &str = "lock";

/// Held for as long as the process works on the run.
#[derive(Debug)]
pub struct RunLock {
    _lock: Flock<File>,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it; its pid as it wrote it, when readable.
    Held {
        path: PathBuf,
        pid: Option<u32>,
    },
    Io(std::io::Error),
}

/// Takes the lock of the run directory `run_dir` (which must exist),
/// without waiting.
pub fn acquire(run_dir: &Path) -> Result<RunLock, LockError> {
    let path = run_dir.join(FILE_NAME);
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path);
    // In a shared run store another user's lock file may be read-only to
    // this one (`resume` of a colleague's run): flock works on a read-only
    // descriptor, only the pid is not written then.
    let (file, writable) = match opened {
        Ok(file) => (file, true),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => (
            OpenOptions::new()
                .read(true)
                .open(&path)
                .map_err(LockError::Io)?,
            false,
        ),
        Err(e) => return Err(LockError::Io(e)),
    };
    let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => lock,
        Err((mut file, Errno::EWOULDBLOCK)) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Held {
                path,
                pid: text.trim().parse().ok(),
            });
        }
        Err((_, errno)) => return Err(LockError::Io(errno.into())),
    };
    if !writable {
        return Ok(RunLock { _lock: lock });
    }
    // Information only: who holds it.
    lock.set_len(0).map_err(LockError::Io)?;
    lock.rewind().map_err(LockError::Io)?;
    let holder = format!("{}\n", std::process::id());
    lock.write_all(holder.as_bytes()).map_err(LockError::Io)?;
    Ok(RunLock { _lock: lock })
}

/// The pid of the process holding the lock of run directory `run_dir`,
/// read from the kernel's table of locks (`/proc/locks`) without taking
/// the lock, so that listing runs never gets in the way of a `resume`.
/// `None` when nobody holds it, and where the table cannot be read (not
/// Linux) or does not name the file's device as `stat` does.
pub fn holder(run_dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(run_dir.join(FILE_NAME)).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let device = nix::sys::stat::major(meta.dev());
    let minor = nix::sys::stat::minor(meta.dev());
    let file = format!("{device:02x}:{minor:02x}:{}", meta.ino());
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    holder_in(&table, &file)
}

/// The pid of the `FLOCK` on `file` (`MAJOR:MINOR:INODE` as `/proc/locks`
/// writes it) in the lock table `table`; waiters (`->`) are not holders.
fn holder_in(table: &str, file: &str) -> Option<u32> {
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "FLOCK", _, _, pid, at, ..] if *at == file => pid.parse().ok(),
            _ => None,
        }
    })
}

/// A description of a live process for a message: `1234 (runbook resume ...)`.
pub fn describe_process(pid: u32) -> String {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) if !cmdline.is_empty() => {
            let words: Vec<String> = cmdline
                .split(|&b| b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).escape_debug().to_string())
                .collect();
            format!("{pid} (`{}`)", words.join(" "))
        }
        _ => pid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_run_is_refused_with_the_holders_pid() {
        let dir = std::env::temp_dir().join(format!("runbook-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let held = acquire(&dir).unwrap();
        match acquire(&dir) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected the lock to be held: {other:?}"),
        }
        drop(held);
        assert!(acquire(&dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_holder_is_read_from_the_kernel_without_taking_the_lock() {
        let dir = std::env::temp_dir().join(format!("runbook-holder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(holder(&dir), None, "no lock file yet");
        let held = acquire(&dir).unwrap();
        assert_eq!(holder(&dir), Some(std::process::id()));
        // Asking did not take it: the holder still holds it alone.
        assert!(matches!(acquire(&dir), Err(LockError::Held { .. })));
        drop(held);
        assert_eq!(holder(&dir), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn waiters_and_other_files_are_not_holders() {
        let table = "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 77 fd:01:99 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 88 fd:01:99 0 EOF\n";
        assert_eq!(holder_in(table, "fd:01:1234"), Some(4242));
        assert_eq!(holder_in(table, "fd:01:99"), None);
        assert_eq!(holder_in(table, "fd:01:5"), None);
    }
}
