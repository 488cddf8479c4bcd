use super::{INVALID, OK};
use runbook_runtime::journal;
use std::path::Path;

/// `runbook report RUN_ID`: the journal as a Markdown timeline on stdout.
pub fn run(run_id: &str, dir: &Path) -> i32 {
    let path = journal::path_of(dir, run_id);
    match journal::read(&path) {
        Ok(records) if !records.is_empty() => {
            // The journal keeps steps' output exact; the report is for
            // reading, so control characters are shown escaped.
            let markdown = runbook_runtime::report::markdown(&records);
            print!("{}", runbook_dsl::terminal_text::escape(&markdown));
            OK
        }
        Ok(_) => {
            eprintln!("runbook report: the journal {} is empty", path.display());
            INVALID
        }
        Err(e) => {
            eprintln!(
                "runbook report: cannot read the journal of run `{run_id}` ({}): {e}",
                path.display()
            );
            INVALID
        }
    }
}
