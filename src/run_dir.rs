//! Working on a run's directory from `run`, `resume` and `report`: the run
//! id must be a plain name, one process at a time holds the run's lock, and
//! a journal is read strictly (a damaged line is refused with its number).
//! Each refusal is a miette report with a stable code and a hint.

use crate::exit_code::INVALID;
use runbook_dsl::diagnostic::Report;
use runbook_dsl::SourceFile;
use runbook_runtime::journal::{self, Damage, Journal};
use runbook_runtime::run_lock::{self, LockError};
use std::path::Path;

/// Prints a problem that has no place in a playbook; returns the exit code.
pub fn refuse(what: &str, code: &'static str, message: String, help: String) -> i32 {
    let problem = Report::problem(&SourceFile::new(what, ""), code, message).help(help);
    eprint!("{}", problem.render(crate::diagnostics::style()));
    INVALID
}

/// Refuses a run id that is not a plain name (`../../x`, `a/b`, empty).
pub fn check_id(run_id: &str) -> Result<(), i32> {
    runbook_runtime::run_id::check(run_id).map_err(|e| bad_id(run_id, e))
}

/// The refusal of a run id that is not a plain name, `why`.
pub fn bad_id(run_id: &str, why: String) -> i32 {
    refuse(
        run_id,
        "runbook::bad_run_id",
        why,
        "give a run id as `runbook runs` lists it: a run id names a directory under `--journal-dir` and can never be a path".into(),
    )
}

/// The refusal of a run whose lock could not be taken, naming the process
/// that holds it.
pub fn locked(run_dir: &Path, run_id: &str, error: LockError) -> i32 {
    match error {
        LockError::Held { path, pid } => {
            let holder = pid
                .map(|pid| format!("process {}", run_lock::describe_process(pid)))
                .unwrap_or_else(|| "another process".into());
            refuse(
                run_id,
                "runbook::run_locked",
                format!("run `{run_id}` is being worked on by {holder}"),
                format!(
                    "one process at a time: wait for it to end (or stop it), then `runbook resume {run_id}`. The lock is `{}`, held with flock for as long as that process lives",
                    path.display()
                ),
            )
        }
        LockError::Io(e) => refuse(
            run_id,
            "runbook::run_locked",
            format!("cannot lock run `{run_id}` in `{}`: {e}", run_dir.display()),
            "check that the journal directory is writable".into(),
        ),
    }
}

/// Reads a run's journal; a damaged line (not UTF-8, not a record) is
/// refused with its line number unless `force`, where it is skipped with a
/// warning. A torn last line is not damage: it is the caller's to cut.
pub fn read_journal(path: &Path, run_id: &str, force: bool, command: &str) -> Result<Journal, i32> {
    let journal = match journal::read(path) {
        Ok(j) => j,
        Err(e) => {
            eprintln!(
                "runbook {command}: cannot read the journal of run `{run_id}` ({}): {e}",
                path.display()
            );
            return Err(INVALID);
        }
    };
    if !journal.damaged.is_empty() {
        if !force {
            return Err(damaged(path, run_id, &journal.damaged, command));
        }
        skipping(path, &journal.damaged, command);
    }
    Ok(journal)
}

/// The refusal of a damaged journal.
pub fn damaged(path: &Path, run_id: &str, damaged: &[Damage], command: &str) -> i32 {
    let lines: Vec<String> = damaged.iter().map(|d| d.line.to_string()).collect();
    let (line, reason) = damaged
        .first()
        .map(|d| (d.line, d.reason.as_str()))
        .unwrap_or((0, ""));
    refuse(
        &path.display().to_string(),
        "runbook::journal_damaged",
        format!("the journal of run `{run_id}` is damaged at line {line}: {reason}"),
        format!(
            "damaged line(s): {}. Nothing was changed. A damaged line may be a step's start or end, so what ran cannot be known for sure; look at the file, then pass `--force` to {command} without the damaged lines",
            lines.join(", ")
        ),
    )
}

/// The warning that `--force` skips damaged lines.
pub fn skipping(path: &Path, damaged: &[Damage], command: &str) {
    if damaged.is_empty() {
        return;
    }
    let lines: Vec<String> = damaged.iter().map(|d| d.line.to_string()).collect();
    eprintln!(
        "runbook {command}: --force: skipping damaged line(s) {} of {}",
        lines.join(", "),
        path.display()
    );
}
