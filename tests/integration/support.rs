//! Shared helpers for the integration tests.

use runbook_dsl::diagnostic::{render, RenderStyle};
use runbook_dsl::load::{self, Checked};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file at or under `path` that `keep` accepts, iteratively, sorted.
pub fn files_under(path: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            stack.extend(entries.flatten().map(|e| e.path()));
        } else if path.is_file() && keep(&path) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Every `.rs` file at or under `path`, sorted.
pub fn rust_files(path: &Path) -> Vec<PathBuf> {
    files_under(path, |f| f.extension().is_some_and(|e| e == "rs"))
}

/// The directories of the workspace's crates: the root and `crates/*`.
pub fn workspace_crates() -> Vec<PathBuf> {
    let root = root();
    let members = std::fs::read_dir(root.join("crates")).expect("crates/");
    let mut out = vec![root];
    let mut members: Vec<PathBuf> = members.map(|m| m.expect("crates/ entry").path()).collect();
    members.sort();
    out.extend(members);
    out
}

/// Every playbook file under a directory (recursively), sorted.
pub fn playbooks_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, |path| {
        runbook_dsl::Syntax::from_path(&path.to_string_lossy()).is_some()
            // Scenario files (`runbook test`) sit next to playbooks.
            && !path.to_string_lossy().ends_with(".scenario.yaml")
    })
}

/// Checks a file, named relative to the repository root so snapshots are stable.
pub fn check(path: &Path) -> Checked {
    let relative = path.strip_prefix(root()).unwrap_or(path);
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let file = runbook_dsl::SourceFile::new(relative.display().to_string(), text);
    load::check(file, runbook_stdlib::builtin())
}

/// The diagnostics of a checked file as a person sees them, without colour.
pub fn rendered(checked: &Checked) -> String {
    render(&checked.file, &checked.diagnostics, RenderStyle::Plain)
}

/// A snapshot name for a fixture: `bad/unknown_step.yaml` -> `bad__unknown_step.yaml`.
pub fn snapshot_name(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
        .replace(['/', '\\'], "__")
}

/// The diff of two playbooks given as YAML text.
pub fn diff_of_texts(old: &str, new: &str) -> runbook_dsl::diff::PlanDiff {
    let checked = |name: &str, text: &str| {
        let file = runbook_dsl::SourceFile::new(name.to_string(), text.to_string());
        let c = runbook_dsl::load::check(file, runbook_stdlib::builtin());
        assert!(
            c.plan.is_some(),
            "{name} does not check: {:?}",
            c.diagnostics
        );
        c
    };
    let (old, new) = (checked("old.yaml", old), checked("new.yaml", new));
    runbook_dsl::diff::diff(old.plan.as_ref(), new.plan.as_ref())
}
