//! Shared helpers for the integration tests.

use runbook_dsl::diagnostic::{render, RenderStyle};
use runbook_dsl::load::{self, Checked};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every playbook file under a directory (recursively), sorted.
pub fn playbooks_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if runbook_dsl::Syntax::from_path(&path.to_string_lossy()).is_some()
                // Scenario files (`runbook test`) sit next to playbooks.
                && !path.to_string_lossy().ends_with(".scenario.yaml")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
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
