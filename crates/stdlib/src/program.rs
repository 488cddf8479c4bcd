//! Where a program named without a `/` is, looked up once per process.
//!
//! Spawning `sh` by name makes the child search `PATH` itself, which on a
//! typical `PATH` is several failed `execve` calls for every step (the
//! benchmarks in docs/performance.md traced them). A run's steps share one
//! `PATH`, so the answer is found once and remembered. A step that sets
//! `PATH` in its `env:` keeps the child's own search, and a name that is not
//! found is passed on unchanged, so the spawn fails as it always did.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The program to spawn for `name`: its path found on runbook's own `PATH`,
/// or `name` itself when it holds a `/`, is not found, or `path_is_set`
/// (the step sets its own `PATH`).
pub fn resolve(name: &str, path_is_set: bool) -> OsString {
    if path_is_set || name.is_empty() || name.contains('/') {
        return name.into();
    }
    static FOUND: OnceLock<Mutex<HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    let mut found = found
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = found
        .entry(name.to_string())
        .or_insert_with(|| search(name, std::env::var_os("PATH").as_deref()));
    match path {
        Some(path) => path.clone().into_os_string(),
        None => name.into(),
    }
}

/// The first executable regular file called `name` in the directories of
/// `path` (an empty entry is the current directory, as for `execvp`: it is
/// skipped here, so the child's own search decides it).
fn search(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty() && dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_on_the_path_once_and_leaves_other_names_alone() {
        let sh = resolve("sh", false);
        assert!(Path::new(&sh).is_absolute(), "{sh:?}");
        assert_eq!(resolve("sh", false), sh);
        assert_eq!(resolve("sh", true), OsString::from("sh"));
        assert_eq!(resolve("./x", false), OsString::from("./x"));
        assert_eq!(resolve("/bin/sh", false), OsString::from("/bin/sh"));
        let missing = "no-such-program-anywhere-$(x)";
        assert_eq!(resolve(missing, false), OsString::from(missing));
    }

    #[test]
    fn relative_and_empty_path_entries_are_not_searched() {
        let dir = std::env::temp_dir().join(format!("runbook-program-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let program = dir.join("tool");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([Path::new(""), Path::new("rel"), &dir]).unwrap();
        assert_eq!(search("tool", Some(&path)), Some(program.clone()));
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(search("tool", Some(&path)), None);
        assert_eq!(search("tool", None), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
