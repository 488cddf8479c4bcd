//! The playbooks git sees renamed since the base of a review, so that
//! `runbook diff --git` compares a moved playbook with its old version
//! rather than showing one deleted and another added.
//!
//! Git's own rename detection (`git diff -M`) is asked, of the whole tree:
//! narrowed to one side of a rename, git would see only an addition or a
//! deletion. A file git does not track yet (moved with `mv`, not `git mv`)
//! is known to it only once added, so the untracked playbooks are added
//! with intent to add (`git add -N`) to a private copy of the index; the
//! repository's own index is never written.

use std::path::PathBuf;
use std::process::Output;

/// `(old path, new path)` of each file renamed since `base`, relative to
/// the working directory.
pub(super) fn renamed_since(base: &str) -> Result<Vec<(String, String)>, String> {
    let index = TempIndex::copy()?;
    let untracked = run(
        &index,
        &["ls-files", "-z", "--others", "--exclude-standard"],
    )?;
    let playbooks: Vec<String> = untracked
        .split(|&b| b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| runbook_dsl::Syntax::from_path(p).is_some())
        .collect();
    if !playbooks.is_empty() {
        let mut args = vec!["add", "--intent-to-add", "--"];
        args.extend(playbooks.iter().map(String::as_str));
        run(&index, &args)?;
    }
    let listed = run(
        &index,
        &["diff", "--name-status", "-z", "-M", "--relative", base],
    )?;
    Ok(parse_name_status(&listed))
}

/// The renames of `git diff --name-status -z`: a status, then one path,
/// or two for a rename (`R` and its score) or a copy (`C`).
fn parse_name_status(listed: &[u8]) -> Vec<(String, String)> {
    let mut fields = listed
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut out = Vec::new();
    while let Some(status) = fields.next() {
        if status.is_empty() {
            break;
        }
        let first = fields.next().unwrap_or_default();
        if status.starts_with('R') || status.starts_with('C') {
            let second = fields.next().unwrap_or_default();
            if status.starts_with('R') {
                out.push((first, second));
            }
        }
    }
    out
}

/// Runs git with the private index; its output, or why it failed.
fn run(index: &TempIndex, args: &[&str]) -> Result<Vec<u8>, String> {
    let output: Output = crate::programs::command("git")
        .args(args)
        .env("GIT_INDEX_FILE", &index.path)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    super::git_stdout(args, output)
}

/// A copy of the repository's index in a private temporary file, removed
/// when dropped.
struct TempIndex {
    path: PathBuf,
}

impl TempIndex {
    fn copy() -> Result<TempIndex, String> {
        let located = crate::programs::command("git")
            .args(["rev-parse", "--git-path", "index"])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let index = PathBuf::from(String::from_utf8_lossy(&located.stdout).trim());
        let path = std::env::temp_dir().join(format!(
            "runbook-diff-index-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let copy = TempIndex { path };
        // A repository with nothing staged yet may have no index: git then
        // starts the copy from nothing, as it would the index.
        if located.status.success() && index.is_file() {
            let bytes =
                std::fs::read(&index).map_err(|e| format!("cannot read the git index: {e}"))?;
            let mut options = std::fs::OpenOptions::new();
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            use std::io::Write;
            options
                .write(true)
                .create_new(true)
                .open(&copy.path)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(|e| format!("cannot copy the git index: {e}"))?;
        }
        Ok(copy)
    }
}

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        // Git writes the new index next to it and renames it into place.
        let _ = std::fs::remove_file(self.path.with_extension("lock"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_read_from_name_status() {
        let listed =
            b"M\0a.yaml\0R087\0old/x.yaml\0new/x.yaml\0C100\0c.yaml\0d.yaml\0D\0gone.yaml\0";
        assert_eq!(
            parse_name_status(listed),
            [("old/x.yaml".to_string(), "new/x.yaml".to_string())]
        );
    }
}
