//! `http` with local files: the response body saved to a file (`save_to`)
//! and a file sent as the request body (`body_file`), for exports, imports
//! and backups.
//!
//! A saved body never leaves a half-written or clobbered file behind: it is
//! written to a temporary file beside the target, synced, and only then
//! renamed over it (or linked in place when `overwrite` is off, so a file
//! that appeared meanwhile is not replaced). A failed status, a dropped
//! connection, a timeout or Ctrl-C leave the target as it was.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// A path as the step rendered it, made absolute against the directory
/// runbook was started in (where `shell` steps run too).
pub fn resolve(workdir: &Path, rendered: &str) -> PathBuf {
    let path = Path::new(rendered);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        workdir.join(path)
    };
    // `./x` and `a/./x` name what they say; `..` is kept (only an input can
    // write one, and resolving it here would change what a symlink means).
    joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// A file to send as the request body: a regular file, streamed.
pub async fn body_file(path: &Path) -> Result<(reqwest::Body, u64), String> {
    let shown = path.display();
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("cannot open the body file {shown}: {e}"))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| format!("cannot read the body file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("the body file {shown} is not a regular file"));
    }
    Ok((reqwest::Body::from(file), meta.len()))
}

/// The size of a body file, for a dry-run's description (nothing is read).
pub fn body_file_size(path: &Path) -> Result<u64, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("the body file {}: {e}", path.display()))?;
    if meta.is_file() {
        Ok(meta.len())
    } else {
        Err(format!(
            "the body file {} is not a regular file",
            path.display()
        ))
    }
}

/// A response body on its way to a file.
pub struct Saving {
    target: PathBuf,
    overwrite: bool,
    /// `None` in a dry-run: the body is counted and hashed, not written.
    temp: Option<NamedTempFile>,
    hasher: Sha256,
    bytes: u64,
}

impl Saving {
    /// Checks the target can be written before the request is sent: its
    /// directory exists, and it does not exist yet unless `overwrite`.
    pub fn begin(target: PathBuf, overwrite: bool, dry_run: bool) -> Result<Saving, String> {
        let shown = target.display().to_string();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.file_name().is_none() {
            return Err(format!("`save_to: {shown}` does not name a file"));
        }
        if !dir.is_dir() {
            return Err(format!(
                "cannot save to {shown}: the directory {} does not exist",
                dir.display()
            ));
        }
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => {
                return Err(format!("cannot save to {shown}: it is a directory"))
            }
            Ok(_) if !overwrite => {
                return Err(format!(
                    "{shown} already exists; set `overwrite: true` to replace it"
                ))
            }
            _ => {}
        }
        let temp = if dry_run {
            None
        } else {
            let temp = tempfile::Builder::new()
                .prefix(".runbook-save-")
                .tempfile_in(&dir)
                .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
            Some(temp)
        };
        Ok(Saving {
            target,
            overwrite,
            temp,
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        if let Some(temp) = &mut self.temp {
            temp.write_all(chunk)
                .map_err(|e| format!("writing {}: {e}", self.target.display()))?;
        }
        Ok(())
    }

    /// Puts the complete body in place and gives the step's results about
    /// it: `saved_to` (not in a dry-run), `bytes`, `sha256`.
    pub fn finish(self) -> Result<Map<String, Value>, String> {
        let shown = self.target.display().to_string();
        let mut fields = Map::new();
        fields.insert("bytes".into(), Value::from(self.bytes));
        let digest = self.hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        fields.insert("sha256".into(), Value::String(hex));
        let Some(temp) = self.temp else {
            return Ok(fields);
        };
        temp.as_file()
            .sync_all()
            .map_err(|e| format!("writing {shown}: {e}"))?;
        let persisted = if self.overwrite {
            temp.persist(&self.target).map(drop)
        } else {
            temp.persist_noclobber(&self.target).map(drop)
        };
        persisted.map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{shown} appeared while the body was downloading; it was left as it is")
            }
            _ => format!("cannot save to {shown}: {}", e.error),
        })?;
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename is durable once the directory is synced.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        fields.insert("saved_to".into(), Value::String(shown));
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_is_from_the_start_directory_without_dots() {
        let dir = Path::new("/work/run");
        assert_eq!(resolve(dir, "./a.json"), Path::new("/work/run/a.json"));
        assert_eq!(resolve(dir, "b/./c"), Path::new("/work/run/b/c"));
        assert_eq!(resolve(dir, "/tmp/./x"), Path::new("/tmp/x"));
    }

    #[test]
    fn a_saved_body_appears_whole_and_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("export.json");
        let mut saving = Saving::begin(target.clone(), false, false).unwrap();
        saving.write(b"{\"a\":").unwrap();
        assert!(!target.exists(), "nothing at the target before the end");
        saving.write(b"1}").unwrap();
        let fields = saving.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{\"a\":1}");
        assert_eq!(fields["bytes"], 7);
        assert_eq!(fields["saved_to"], target.display().to_string());
        assert_eq!(
            fields["sha256"],
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file is gone");
    }

    #[test]
    fn an_abandoned_body_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("backup.sql");
        std::fs::write(&target, "old").unwrap();
        let mut saving = Saving::begin(target.clone(), true, false).unwrap();
        saving.write(b"half of the new").unwrap();
        drop(saving);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_existing_file_is_kept_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x");
        std::fs::write(&target, "old").unwrap();
        let err = Saving::begin(target.clone(), false, false).err().unwrap();
        assert!(err.contains("already exists"), "{err}");
        // A file that appears during the download is not replaced either.
        let other = dir.path().join("y");
        let mut saving = Saving::begin(other.clone(), false, false).unwrap();
        std::fs::write(&other, "theirs").unwrap();
        saving.write(b"ours").unwrap();
        assert!(saving.finish().unwrap_err().contains("appeared"));
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "theirs");
    }

    #[test]
    fn a_dry_run_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x");
        let mut saving = Saving::begin(target.clone(), false, true).unwrap();
        saving.write(b"data").unwrap();
        let fields = saving.finish().unwrap();
        assert_eq!(fields["bytes"], 4);
        assert!(fields.get("saved_to").is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_missing_directory_or_a_directory_target_is_refused_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        let err = Saving::begin(dir.path().join("no/such/x"), true, false)
            .err()
            .unwrap();
        assert!(err.contains("does not exist"), "{err}");
        let err = Saving::begin(dir.path().to_path_buf(), true, false)
            .err()
            .unwrap();
        assert!(err.contains("directory"), "{err}");
    }
}
