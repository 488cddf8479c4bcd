use super::{load, FINDINGS, INVALID, OK};
use crate::cli::DiagnosticFormat;
use crate::diagnostics;
use runbook_dsl::lint::{self, LintConfig};
use std::path::{Path, PathBuf};

/// The configuration file `runbook lint` looks for.
pub const CONFIG_FILE: &str = "runbook.toml";

/// `runbook lint PATH...`: check, then lint each playbook the paths name
/// that checks clean.
/// Exit 2 when a file is invalid (or a config is), 1 on error-level
/// findings, 0 otherwise.
pub fn run(files: &[PathBuf], format: DiagnosticFormat, config: Option<&Path>) -> i32 {
    let (files, all_named) = super::playbooks(files);
    let (mut errors, mut warnings, mut invalid) = (0, 0, !all_named);
    for path in &files {
        let config_path = match config {
            Some(c) => Some(c.to_path_buf()),
            None => find_config(path),
        };
        let config = match config_path.as_deref().map(read_config).transpose() {
            Ok(c) => c.unwrap_or_default(),
            Err(message) => {
                eprintln!("error: {message}");
                invalid = true;
                continue;
            }
        };
        let checked = load(path);
        let mut diagnostics = checked.diagnostics.clone();
        if let Some(plan) = &checked.plan {
            diagnostics.extend(lint::lint(plan, runbook_stdlib::builtin(), &config));
        } else {
            invalid = true;
        }
        errors += diagnostics.iter().filter(|d| d.is_error()).count();
        warnings += diagnostics.iter().filter(|d| !d.is_error()).count();
        match format {
            DiagnosticFormat::Human => diagnostics::human(&checked.file, &diagnostics),
            DiagnosticFormat::Json => diagnostics::json(&checked.file, &diagnostics),
        }
    }
    if format == DiagnosticFormat::Human && !files.is_empty() {
        eprintln!("{}", diagnostics::summary(errors, warnings, files.len()));
    }
    if invalid {
        INVALID
    } else if errors > 0 {
        FINDINGS
    } else {
        OK
    }
}

/// The nearest `runbook.toml` in the playbook's directory or above it.
fn find_config(playbook: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(playbook).ok()?;
    absolute
        .ancestors()
        .skip(1)
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

fn read_config(path: &Path) -> Result<LintConfig, String> {
    let text = runbook_dsl::user_file::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    LintConfig::from_toml(&text).map_err(|e| format!("in `{}`: {e}", path.display()))
}
