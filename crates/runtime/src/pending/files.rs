//! The `gates/` directory of a run and reading and writing in it, safely
//! in a directory other users of the group write to: no symlink is
//! followed (a decision file cannot point outside the run directory), only
//! regular files with one link are read, sizes are bounded, every write is
//! a temporary file renamed into place, and modes are set explicitly (an
//! approver's `umask 077` must not make the decision unreadable, a
//! starter's must not lock the approvers out).

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{open, openat, renameat2, AtFlags, OFlag, RenameFlags};
use nix::sys::stat::{fchmod, fstat, fstatat, mkdirat, Mode};
use nix::unistd::{unlinkat, UnlinkatFlags};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
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

/// The file name of the pending record of attempt `nonce`.
pub fn pending_name(nonce: &str) -> String {
    format!("{nonce}.pending.json")
}

/// The file name of the decision for attempt `nonce`.
pub fn decision_name(nonce: &str) -> String {
    format!("{nonce}.decision.json")
}

/// The file name of the run's note that it took the decision of attempt
/// `nonce` ([`super::record::TakenMark`]).
pub fn taken_name(nonce: &str) -> String {
    format!("{nonce}.taken.json")
}

/// The nonce of a taken mark's file name, if it is one.
pub fn nonce_of_taken(name: &str) -> Option<&str> {
    name.strip_suffix(".taken.json").filter(|n| is_nonce(n))
}

/// The nonce of a pending record's file name, if it is one.
pub fn nonce_of_pending(name: &str) -> Option<&str> {
    name.strip_suffix(".pending.json").filter(|n| is_nonce(n))
}

/// The nonce of a decision file's name, if it is one.
pub fn nonce_of_decision(name: &str) -> Option<&str> {
    name.strip_suffix(".decision.json").filter(|n| is_nonce(n))
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

/// A run's `gates/` directory, held open: the run directory and then
/// `gates/` are opened with `O_DIRECTORY|O_NOFOLLOW`, and every file in it
/// is opened, renamed and removed relative to that handle (`openat`,
/// `renameat2`, `unlinkat`), as `journal::read_run` reads a journal. A
/// member of a group that can write the run directory who swaps `gates/`
/// (or the run directory) for a symlink, or renames another directory into
/// its place, is refused when it is opened, and cannot redirect a handle
/// already open: what is read and written is always in the directory that
/// was checked.
#[derive(Debug)]
pub struct Gates {
    dir: OwnedFd,
    /// The uid owning the run directory: whose pending records are trusted.
    pub run_owner: u32,
    /// For messages only; never opened again by name.
    pub path: PathBuf,
}

/// An `open` failure that means a symlink or a non-directory.
fn refused(what: &Path, e: nix::errno::Errno) -> io::Error {
    match e {
        Errno::ELOOP | Errno::ENOTDIR => io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is not a directory (a symlink is refused)",
                what.display()
            ),
        ),
        e => io::Error::from(e),
    }
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

impl Gates {
    /// Opens `run_dir/gates`, refusing a symlink at either level;
    /// `NotFound` when the run has no gates directory.
    pub fn open(run_dir: &Path) -> io::Result<Gates> {
        Self::open_in(run_dir, false)
    }

    /// Opens `run_dir/gates`, making it if missing (only when this user
    /// owns the run directory), group-writable and sticky (keeping a
    /// setgid bit inherited from a shared journal directory, so the files
    /// in it belong to the team's group).
    pub fn create(run_dir: &Path) -> io::Result<Gates> {
        Self::open_in(run_dir, true)
    }

    fn open_in(run_dir: &Path, create: bool) -> io::Result<Gates> {
        let run = open(run_dir, DIR_FLAGS, Mode::empty()).map_err(|e| refused(run_dir, e))?;
        let run_owner = fstat(&run).map_err(io::Error::from)?.st_uid;
        let path = run_dir.join(GATES_DIR);
        // Only the run directory's owner makes it: one made by anyone else
        // would be refused below, and left behind in the way.
        // SAFETY: geteuid cannot fail.
        let made = create
            && run_owner == unsafe { libc::geteuid() }
            && match mkdirat(&run, GATES_DIR, Mode::from_bits_truncate(0o700)) {
                Ok(()) => true,
                Err(Errno::EEXIST) => false,
                Err(e) => return Err(io::Error::from(e)),
            };
        let dir =
            openat(&run, GATES_DIR, DIR_FLAGS, Mode::empty()).map_err(|e| refused(&path, e))?;
        let owner = fstat(&dir).map_err(io::Error::from)?.st_uid;
        if owner != run_owner {
            // A directory of someone else's renamed into place: its owner
            // could remove or rename what the run publishes in it.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` belongs to uid {owner}, not to the owner of the run directory (uid {run_owner})",
                    path.display()
                ),
            ));
        }
        if made {
            let mode = fstat(&dir).map_err(io::Error::from)?.st_mode;
            fchmod(&dir, Mode::from_bits_truncate((mode & 0o7777) | GATES_MODE))
                .map_err(io::Error::from)?;
        }
        Ok(Gates {
            dir,
            run_owner,
            path,
        })
    }

    /// The names of the entries in the directory (`.` and `..` left out).
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut dir =
            Dir::openat(&self.dir, ".", DIR_FLAGS, Mode::empty()).map_err(io::Error::from)?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(io::Error::from)?;
            if let Ok(name) = entry.file_name().to_str() {
                if name != "." && name != ".." {
                    names.push(name.to_string());
                }
            }
        }
        Ok(names)
    }

    /// Writes `bytes` to file `name` atomically (a temporary file beside
    /// it, synced, renamed). With `exclusive`, an existing `name` is kept
    /// and the write fails with `AlreadyExists`: the first decision stands.
    pub fn write_atomically(&self, name: &str, bytes: &[u8], exclusive: bool) -> io::Result<()> {
        let temp = format!(".{name}.{}.tmp", std::process::id());
        let flags =
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(
            &self.dir,
            temp.as_str(),
            flags,
            Mode::from_bits_truncate(FILE_MODE),
        )
        .map_err(io::Error::from)?;
        let mut file = File::from(fd);
        let written = (|| {
            // Whatever the umask, the group reads it.
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            file.write_all(bytes)?;
            file.sync_all()?;
            let how = if exclusive {
                RenameFlags::RENAME_NOREPLACE
            } else {
                RenameFlags::empty()
            };
            renameat2(&self.dir, temp.as_str(), &self.dir, name, how).map_err(io::Error::from)
        })();
        if written.is_err() {
            self.remove(&temp);
        }
        written
    }

    /// Reads file `name` without following a symlink, refusing anything
    /// but a regular file with one link of at most `cap` bytes. `Ok(None)`
    /// when there is no such file; `Err` says why it is refused.
    pub fn read_owned(&self, name: &str, cap: u64) -> Result<Option<Owned>, String> {
        // O_NONBLOCK: a FIFO planted under the name does not block the run.
        let flags = OFlag::O_RDONLY
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_CLOEXEC;
        let file = match openat(&self.dir, name, flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP) => return Err("it is a symlink, which is never followed".into()),
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

    /// The uid owning entry `name` (a symlink itself, never followed), or
    /// `None` when there is no such entry.
    pub fn owner(&self, name: &str) -> io::Result<Option<u32>> {
        match fstatat(&self.dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(stat.st_uid)),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(io::Error::from(e)),
        }
    }

    /// Removes file `name` if it is there; a directory planted under the
    /// name is left.
    pub fn remove(&self, name: &str) {
        let _ = self.try_remove(name);
    }

    /// Removes file `name`, saying why not (`EPERM`: the directory is
    /// sticky, and the file is neither this user's nor in a directory of
    /// theirs).
    pub fn try_remove(&self, name: &str) -> io::Result<()> {
        unlinkat(&self.dir, name, UnlinkatFlags::NoRemoveDir).map_err(io::Error::from)
    }

    /// Whether this process may create files in the directory (its
    /// effective ids, as the kernel will check them).
    pub fn writable(&self) -> bool {
        use std::os::fd::AsRawFd;
        // SAFETY: a live descriptor and a NUL-terminated name.
        unsafe {
            libc::faccessat(
                self.dir.as_raw_fd(),
                c".".as_ptr(),
                libc::W_OK | libc::X_OK,
                libc::AT_EACCESS,
            ) == 0
        }
    }
}

/// A gate file as read: its bytes and the uid that owns it.
#[derive(Debug)]
pub struct Owned {
    pub bytes: Vec<u8>,
    pub uid: u32,
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
        let gates = Gates::create(&dir).unwrap();
        let path = dir.join(GATES_DIR);
        let outside = dir.join("outside.json");
        std::fs::write(&outside, "{}").unwrap();
        std::os::unix::fs::symlink(&outside, path.join("link.json")).unwrap();
        assert!(gates
            .read_owned("link.json", 10)
            .unwrap_err()
            .contains("symlink"));
        std::fs::hard_link(&outside, path.join("hard.json")).unwrap();
        assert!(gates
            .read_owned("hard.json", 10)
            .unwrap_err()
            .contains("link"));
        nix::unistd::mkfifo(&path.join("fifo.json"), Mode::S_IRWXU).unwrap();
        assert!(gates
            .read_owned("fifo.json", 10)
            .unwrap_err()
            .contains("regular"));
        std::fs::write(path.join("big.json"), vec![b' '; 11]).unwrap();
        assert!(gates
            .read_owned("big.json", 10)
            .unwrap_err()
            .contains("limit"));
        assert!(gates.read_owned("none.json", 10).unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_exclusive_write_keeps_the_first_file_and_modes_ignore_the_umask() {
        let dir = scratch("write");
        let gates = Gates::create(&dir).unwrap();
        let path = dir.join(GATES_DIR);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o1770, 0o1770);
        gates.write_atomically("d.json", b"first", true).unwrap();
        let err = gates
            .write_atomically("d.json", b"second", true)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(path.join("d.json")).unwrap(), b"first");
        let mode = std::fs::metadata(path.join("d.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, FILE_MODE);
        assert_eq!(gates.names().unwrap(), vec!["d.json".to_string()]);
        assert!(is_nonce(&new_nonce().unwrap()));
        assert!(!is_nonce("../../etc/passwd"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `gates/` (or the run directory) swapped for a symlink to a
    /// directory elsewhere is refused when opened, and a handle opened
    /// before the swap keeps reading and writing the directory it checked.
    #[test]
    fn a_gates_directory_swapped_for_a_symlink_is_refused() {
        let dir = scratch("swap");
        let run = dir.join("run");
        std::fs::create_dir(&run).unwrap();
        let before = Gates::create(&run).unwrap();
        let elsewhere = dir.join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("d.json"), b"forged").unwrap();
        std::fs::rename(run.join(GATES_DIR), dir.join("moved")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, run.join(GATES_DIR)).unwrap();
        let err = Gates::open(&run).unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(Gates::create(&run).is_err());
        // The handle opened before the swap still names the moved directory.
        assert!(before.read_owned("d.json", 100).unwrap().is_none());
        before.write_atomically("mine.json", b"x", true).unwrap();
        assert!(dir.join("moved/mine.json").exists());
        assert!(!elsewhere.join("mine.json").exists());
        // A real directory of another user's renamed into place is refused
        // (giving it to another user takes root: skipped otherwise).
        std::fs::remove_file(run.join(GATES_DIR)).unwrap();
        std::fs::rename(&elsewhere, run.join(GATES_DIR)).unwrap();
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(run.join(GATES_DIR), Some(65534), None).unwrap();
            let err = Gates::open(&run).unwrap_err();
            assert!(err.to_string().contains("uid 65534"), "{err}");
        }
        // The run directory itself as a symlink is refused too.
        let linked = dir.join("linked-run");
        std::os::unix::fs::symlink(dir.join("moved/.."), &linked).unwrap();
        assert!(Gates::open(&linked).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
