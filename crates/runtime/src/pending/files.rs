//! The `gates/` directory of a run and reading and writing in it, safely
//! in a directory other users of the group write to: no symlink is
//! followed (a decision file cannot point outside the run directory), only
//! regular files with one link are read, sizes are bounded, every write is
//! a temporary file renamed into place, and modes are set explicitly (an
//! approver's `umask 077` must not make the decision unreadable, a
//! starter's must not lock the approvers out).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The directory of a run's gate files.
pub const GATES_DIR: &str = "gates";
/// A decision file larger than this is refused (an answer and a reason).
pub const MAX_DECISION_BYTES: u64 = 64 * 1024;
/// A pending record larger than this is refused (its context is bounded
/// by the evidence shown at a prompt).
pub const MAX_PENDING_BYTES: u64 = 8 * 1024 * 1024;
/// The gates directory: the group may create decision files in it, and
/// (sticky) nobody but a file's owner and the run may delete or replace
/// one, so a member of the group cannot swap a pending record for one
/// showing another command.
const GATES_MODE: u32 = 0o1770;
/// Gate files: the group may read them.
pub const FILE_MODE: u32 = 0o640;

pub fn pending_path(gates: &Path, nonce: &str) -> PathBuf {
    gates.join(format!("{nonce}.pending.json"))
}

pub fn decision_path(gates: &Path, nonce: &str) -> PathBuf {
    gates.join(format!("{nonce}.decision.json"))
}

/// The nonce of a pending record's file name, if it is one.
pub fn nonce_of_pending(name: &str) -> Option<&str> {
    name.strip_suffix(".pending.json").filter(|n| is_nonce(n))
}

/// A nonce is 32 lowercase hex digits: never a path.
pub fn is_nonce(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A fresh nonce from the kernel's random source.
pub fn new_nonce() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Refuses a path that is a symlink or not a directory.
pub fn real_directory(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is not a directory (a symlink is refused)",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// The run's gates directory, made if missing, group-writable and sticky
/// (keeping a setgid bit inherited from a shared journal directory, so the
/// files in it belong to the team's group).
pub fn gates_dir(run_dir: &Path) -> io::Result<PathBuf> {
    real_directory(run_dir)?;
    let gates = run_dir.join(GATES_DIR);
    match std::fs::create_dir(&gates) {
        Ok(()) => {
            let mode = std::fs::metadata(&gates)?.permissions().mode();
            std::fs::set_permissions(
                &gates,
                std::fs::Permissions::from_mode((mode & 0o7777) | GATES_MODE),
            )?;
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    real_directory(&gates)?;
    Ok(gates)
}

/// Writes `bytes` to `path` atomically (a temporary file beside it,
/// synced, renamed). With `exclusive`, an existing `path` is kept and the
/// write fails with `AlreadyExists`: the first decision stands.
pub fn write_atomically(path: &Path, bytes: &[u8], exclusive: bool) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("gate");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&temp)?;
    let written = (|| {
        // Whatever the umask, the group reads it.
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        rename(&temp, path, exclusive)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

fn rename(from: &Path, to: &Path, exclusive: bool) -> io::Result<()> {
    if !exclusive {
        return std::fs::rename(from, to);
    }
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: two valid NUL-terminated paths, relative to the cwd.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A gate file as read: its bytes and the uid that owns it.
#[derive(Debug)]
pub struct Owned {
    pub bytes: Vec<u8>,
    pub uid: u32,
}

/// Reads a gate file without following a symlink, refusing anything but a
/// regular file with one link of at most `cap` bytes. `Ok(None)` when
/// there is no such file; `Err` says why it is refused.
pub fn read_owned(path: &Path, cap: u64) -> Result<Option<Owned>, String> {
    let file = OpenOptions::new()
        .read(true)
        // O_NONBLOCK: a FIFO planted under the name does not block the run.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match file {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err("it is a symlink, which is never followed".into())
        }
        Err(e) => return Err(format!("it cannot be opened: {e}")),
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("it is not a regular file".into());
    }
    if meta.nlink() != 1 {
        return Err("it has more than one link (a hard link to another file?)".into());
    }
    if meta.len() > cap {
        return Err(format!(
            "it is {} bytes, over the limit of {cap}",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("it is over the limit of {cap} bytes"));
    }
    Ok(Some(Owned {
        bytes,
        uid: meta.uid(),
    }))
}

/// Removes a file if it is there; a file planted as a directory is left.
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runbook-gates-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn symlinks_fifos_links_and_oversized_files_are_refused() {
        let dir = scratch("refuse");
        let gates = gates_dir(&dir).unwrap();
        let outside = dir.join("outside.json");
        std::fs::write(&outside, "{}").unwrap();
        let link = gates.join("link.json");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        assert!(read_owned(&link, 10).unwrap_err().contains("symlink"));
        let hard = gates.join("hard.json");
        std::fs::hard_link(&outside, &hard).unwrap();
        assert!(read_owned(&hard, 10).unwrap_err().contains("link"));
        let fifo = gates.join("fifo.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(read_owned(&fifo, 10).unwrap_err().contains("regular"));
        let big = gates.join("big.json");
        std::fs::write(&big, vec![b' '; 11]).unwrap();
        assert!(read_owned(&big, 10).unwrap_err().contains("limit"));
        assert!(read_owned(&gates.join("none.json"), 10).unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_exclusive_write_keeps_the_first_file_and_modes_ignore_the_umask() {
        let dir = scratch("write");
        let gates = gates_dir(&dir).unwrap();
        let mode = std::fs::metadata(&gates).unwrap().permissions().mode();
        assert_eq!(mode & 0o1770, 0o1770);
        let path = gates.join("d.json");
        write_atomically(&path, b"first", true).unwrap();
        let err = write_atomically(&path, b"second", true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, FILE_MODE);
        assert!(is_nonce(&new_nonce().unwrap()));
        assert!(!is_nonce("../../etc/passwd"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
