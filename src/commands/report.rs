use super::{INVALID, OK};
use runbook_runtime::journal;
use std::path::Path;

/// `runbook report RUN_ID`: the journal as a Markdown timeline on stdout.
/// The run id must be a plain id (never a path); a damaged journal is
/// refused with its line number unless `force`.
pub fn run(run_id: &str, dir: &Path, force: bool) -> i32 {
    if let Err(code) = crate::run_dir::check_id(run_id) {
        return code;
    }
    // Never outside the journal directory: a run directory or journal that
    // is a symbolic link is refused.
    let path = match journal::contained_path(dir, run_id) {
        Ok(path) => path,
        Err(e) => {
            eprintln!(
                "runbook report: cannot read the journal of run `{run_id}` ({}): {e}",
                journal::path_of(dir, run_id).display()
            );
            return INVALID;
        }
    };
    let journal = match crate::run_dir::read_journal(&path, run_id, force, "report") {
        Ok(journal) => journal,
        Err(code) => return code,
    };
    if journal.records.is_empty() {
        eprintln!("runbook report: the journal {} is empty", path.display());
        return INVALID;
    }
    // The journal keeps steps' output exact; the report is for reading, so
    // control characters are shown escaped.
    let markdown = runbook_runtime::report::markdown(&journal.records);
    print!("{}", runbook_dsl::terminal_text::escape(&markdown));
    OK
}
