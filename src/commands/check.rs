use super::{load, INVALID, OK};
use crate::cli::DiagnosticFormat;
use crate::diagnostics;
use std::path::PathBuf;

/// `runbook check PATH...`: every diagnostic of every playbook the paths
/// name; exit 2 on any error, or when a path names no playbook.
pub fn run(files: &[PathBuf], format: DiagnosticFormat) -> i32 {
    let (mut errors, mut warnings) = (0, 0);
    let (files, all_named) = super::playbooks(files);
    for path in &files {
        let checked = load(path);
        errors += checked.diagnostics.iter().filter(|d| d.is_error()).count();
        warnings += checked.diagnostics.iter().filter(|d| !d.is_error()).count();
        match format {
            DiagnosticFormat::Human => diagnostics::human(&checked.file, &checked.diagnostics),
            DiagnosticFormat::Json => diagnostics::json(&checked.file, &checked.diagnostics),
        }
        // The process is about to exit: freeing a large plan piece by piece
        // would only add to the time `check` takes (as rustc does, skip it).
        std::mem::forget(checked);
    }
    if format == DiagnosticFormat::Human && !files.is_empty() {
        eprintln!("{}", diagnostics::summary(errors, warnings, files.len()));
    }
    if errors > 0 || !all_named {
        INVALID
    } else {
        OK
    }
}
