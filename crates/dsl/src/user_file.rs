//! Reading a file a user named (a playbook, `--inputs-file`, `--answers`, a
//! scenario file, a journal, `runbook.toml`): the one place that does it.
//!
//! Such a path may be hostile or a mistake: `/dev/zero` would be read until
//! memory runs out, a FIFO would block forever, a directory or a device is
//! never a playbook. So only regular files are read (the file is opened
//! without blocking and its type checked on the open descriptor, so there
//! is no window between the check and the read), and at most a bounded
//! number of bytes.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The largest playbook, inputs, answers, scenario or config file read:
/// hand-written files are kilobytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The largest playbook read. Hand-written playbooks are kilobytes, but a
/// generated one (a step per host of a fleet, the benchmarks' 100,000-step
/// files at 25 MB) is larger than the other files; `check` holds about
/// twenty times the file in memory, so this still bounds a mistake.
pub const MAX_PLAYBOOK_BYTES: u64 = 32 * 1024 * 1024;

/// The largest journal read: journals hold what steps printed (up to the
/// per-step output cap), so they may be larger than a hand-written file.
pub const MAX_JOURNAL_BYTES: u64 = 256 * 1024 * 1024;

/// Opens a regular file for reading, refusing anything else and anything
/// larger than `limit` bytes.
pub fn open(path: &Path, limit: u64) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    checked(file, limit)
}

/// `file`, opened by the caller (without blocking), if it is a regular
/// file of at most `limit` bytes.
pub fn checked(file: File, limit: u64) -> io::Result<File> {
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a named pipe (FIFO)"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}; only regular files are read"),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok(file)
}

/// The bytes of a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_file(open(path, limit)?, limit)
}

/// The bytes of `file`, opened by the caller, if it is a regular file of at
/// most `limit` bytes.
pub fn read_file(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let file = checked(file, limit)?;
    let mut bytes = Vec::new();
    // The file may grow between the check and the read.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// The text of a regular UTF-8 file of at most [`MAX_FILE_BYTES`] bytes.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path, MAX_FILE_BYTES)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("it is larger than {} MiB", limit / (1024 * 1024)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        for (path, expected) in [
            (Path::new("/dev/zero"), "a device"),
            (dir.path(), "a directory"),
        ] {
            let error = read(path, MAX_FILE_BYTES).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; 11]).unwrap();
        assert!(read(&big, 10)
            .unwrap_err()
            .to_string()
            .contains("larger than"));
        assert_eq!(read(&big, 11).unwrap().len(), 11);
    }
}
