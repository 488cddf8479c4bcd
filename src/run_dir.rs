//! Working on a run's directory from `run`, `resume` and `report`: the run
//! id must be a plain name, one process at a time holds the run's lock, and
//! a journal is read strictly (a damaged line is refused with its number).
//! Each refusal is a miette report with a stable code and a hint.

use crate::exit_code::INVALID;
use runbook_dsl::diagnostic::Report;
use runbook_dsl::SourceFile;
use runbook_runtime::journal::{self, Journal};
use runbook_runtime::run_lock::{self, LockError, RunLock};
use std::path::Path;

/// Prints a problem that has no place in a playbook; returns the exit code.
pub fn refuse(what: &str, code: &'static str, message: String, help: String) -> i32 {
    let problem = Report::problem(&SourceFile::new(what, ""), code, message).help(help);
    eprint!("{}", problem.render(crate::diagnostics::style()));
    INVALID
}

/// Refuses a run id that is not a plain name (`../../x`, `a/b`, empty).
pub fn check_id(run_id: &str) -> Result<(), i32> {
    runbook_runtime::run_id::check(run_id).map_err(|e| {
        refuse(
            run_id,
            "runbook::bad_run_id",
            e,
            "give a run id as `runbook runs` lists it: a run id names a directory under `--journal-dir` and can never be a path".into(),
        )
    })
}

/// Takes the run's lock, or refuses naming the process that holds it.
pub fn lock(run_dir: &Path, run_id: &str) -> Result<RunLock, i32> {
    match run_lock::acquire(run_dir) {
        Ok(lock) => Ok(lock),
        Err(LockError::Held { path, pid }) => {
            let holder = pid
                .map(|pid| format!("process {}", run_lock::describe_process(pid)))
                .unwrap_or_else(|| "another process".into());
            Err(refuse(
                run_id,
                "runbook::run_locked",
                format!("run `{run_id}` is being worked on by {holder}"),
                format!(
                    "one process at a time: wait for it to end (or stop it), then `runbook resume {run_id}`. The lock is `{}`, held with flock for as long as that process lives",
                    path.display()
                ),
            ))
        }
        Err(LockError::Io(e)) => Err(refuse(
            run_id,
            "runbook::run_locked",
            format!("cannot lock run `{run_id}` in `{}`: {e}", run_dir.display()),
            "check that the journal directory is writable".into(),
        )),
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
    if let Some(first) = journal.damaged.first() {
        let lines: Vec<String> = journal.damaged.iter().map(|d| d.line.to_string()).collect();
        if !force {
            return Err(refuse(
                &path.display().to_string(),
                "runbook::journal_damaged",
                format!(
                    "the journal of run `{run_id}` is damaged at line {}: {}",
                    first.line, first.reason
                ),
                format!(
                    "damaged line(s): {}. Nothing was changed. A damaged line may be a step's start or end, so what ran cannot be known for sure; look at the file, then pass `--force` to {command} without the damaged lines",
                    lines.join(", ")
                ),
            ));
        }
        eprintln!(
            "runbook {command}: --force: skipping damaged line(s) {} of {}",
            lines.join(", "),
            path.display()
        );
    }
    Ok(journal)
}
