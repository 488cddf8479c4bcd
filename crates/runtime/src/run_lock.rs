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
    // Information only: who holds it. Written over the old holder, then cut
    // to its length: never truncated to zero first, since ext4 flushes a
    // file truncated to zero when it is closed (`auto_da_alloc`), which a
    // one-step run paid at its exit (docs/performance.md, "Startup,
    // 2026-12-02 (night)").
    let holder = format!("{}\n", std::process::id());
    lock.rewind().map_err(LockError::Io)?;
    lock.write_all(holder.as_bytes()).map_err(LockError::Io)?;
    let written = holder.len() as u64;
    if lock.metadata().map_err(LockError::Io)?.len() > written {
        lock.set_len(written).map_err(LockError::Io)?;
    }
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

/// The uid a live process `pid` creates files as (its filesystem uid, from
/// `/proc/PID/status`): whose gate files the holder of a run's lock
/// writes. `None` when the process is gone or its status unreadable.
pub fn uid_of_process(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    fs_uid_in(&status)
}

/// The filesystem uid (the fourth of `Uid:`) in a `/proc/PID/status` text.
fn fs_uid_in(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Whether anyone works on a run, asked by taking its lock shared without
/// waiting (what [`probe`] found).
#[derive(Debug)]
pub enum Probe {
    /// Nobody holds the lock: no process works on the run. The shared
    /// lock is held for as long as this lives, so none starts meanwhile
    /// (a `resume` in that moment is refused as for a live run).
    Free(Option<Flock<File>>),
    /// A process holds it: its pid when the kernel's table names it.
    Held(Option<u32>),
}

/// Asks whether a process works on run directory `run_dir` by taking its
/// lock shared, without waiting: certain where [`holder`] alone cannot
/// tell "nobody" from "not in the table". For what must be sure no live
/// process is concerned (removing its gate files); listing uses
/// [`holder`], which never takes the lock.
pub fn probe(run_dir: &Path) -> std::io::Result<Probe> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(run_dir.join(FILE_NAME));
    let file = match opened {
        Ok(file) => file,
        // No lock file: no process ever held this run.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Free(None)),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the run's lock is not a regular file",
        ));
    }
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(lock) => Ok(Probe::Free(Some(lock))),
        Err((_, Errno::EWOULDBLOCK)) => Ok(Probe::Held(holder(run_dir))),
        Err((_, errno)) => Err(errno.into()),
    }
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
/// The values given to `--input` and `--answer` are left out (`--input
/// password=…`): the holder may have been given a secret on its command
/// line, and this message goes to another user's terminal and logs.
pub fn describe_process(pid: u32) -> String {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) if !cmdline.is_empty() => {
            let words: Vec<String> = cmdline
                .split(|&b| b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            let shown: Vec<String> = without_values(&words)
                .iter()
                .map(|w| w.escape_debug().to_string())
                .collect();
            format!("{pid} (`{}`)", shown.join(" "))
        }
        _ => pid.to_string(),
    }
}

/// The flags whose values may be secrets: `NAME=VALUE` pairs.
const VALUED: [&str; 2] = ["--input", "--answer"];

/// `words` with the value of each `--input NAME=VALUE`, `--input=NAME=VALUE`
/// (and `--answer`) replaced by `…`, the name kept.
fn without_values(words: &[String]) -> Vec<String> {
    let hide = |pair: &str| match pair.split_once('=') {
        Some((name, _)) => format!("{name}=…"),
        None => "…".to_string(),
    };
    let mut out = Vec::with_capacity(words.len());
    let mut next_is_value = false;
    for word in words {
        if next_is_value {
            out.push(hide(word));
            next_is_value = false;
            continue;
        }
        match VALUED
            .iter()
            .find_map(|flag| word.strip_prefix(flag).map(|rest| (flag, rest)))
        {
            Some((_, "")) => {
                next_is_value = true;
                out.push(word.clone());
            }
            Some((flag, rest)) if rest.starts_with('=') => {
                out.push(format!("{flag}={}", hide(&rest[1..])));
            }
            _ => out.push(word.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holders_input_and_answer_values_are_not_described() {
        let words: Vec<String> = [
            "runbook",
            "run",
            "p.yaml",
            "--input",
            "password=p@ss'\"$(id) #x",
            "--input=token=s3cr3t",
            "--answer",
            "pick=hard",
            "--inputs-file",
            "f.yaml",
            "--input",
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        assert_eq!(
            without_values(&words).join(" "),
            "runbook run p.yaml --input password=… --input=token=… --answer pick=… --inputs-file f.yaml --input"
        );
    }

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
    fn a_resumed_run_leaves_exactly_its_own_pid_over_a_longer_one() {
        let dir = std::env::temp_dir().join(format!("runbook-lock-over-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(FILE_NAME), "4194303999999\nleft over\n").unwrap();
        let held = acquire(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        drop(held);
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
    fn a_probe_finds_a_held_lock_and_its_holder_and_a_free_one_free() {
        let dir = std::env::temp_dir().join(format!("runbook-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(probe(&dir), Ok(Probe::Free(None))), "no lock file");
        let held = acquire(&dir).unwrap();
        match probe(&dir) {
            Ok(Probe::Held(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected the lock to be held: {other:?}"),
        }
        drop(held);
        let free = probe(&dir).unwrap();
        assert!(matches!(free, Probe::Free(Some(_))));
        // While the probe holds it, nobody takes the run.
        assert!(matches!(acquire(&dir), Err(LockError::Held { .. })));
        drop(free);
        assert!(acquire(&dir).is_ok());
        assert_eq!(
            uid_of_process(std::process::id()),
            Some(unsafe { libc::geteuid() })
        );
        assert_eq!(
            fs_uid_in("Name:\tx\nUid:\t1000\t1001\t1002\t1003\n"),
            Some(1003)
        );
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
