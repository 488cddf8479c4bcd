use super::{INVALID, OK};
use crate::cli::ReportFormat;
use runbook_runtime::journal::{self, RunSummary};
use runbook_runtime::report::{self, RunReport};
use std::path::Path;

/// `runbook report RUN_ID`: the journal as a Markdown timeline on stdout,
/// or (`--format json`) the run's summary and report model as one object.
/// The run id must be a plain id (never a path); a damaged journal is
/// refused with its line number unless `force`. A torn last record (a
/// write cut short) is left out and said so: in the Markdown, on stderr,
/// and as `torn` in the JSON.
pub fn run(run_id: &str, dir: &Path, force: bool, format: ReportFormat) -> i32 {
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
    if let Some(torn) = &journal.torn {
        eprintln!(
            "runbook report: run `{run_id}`: {}",
            report::torn_sentence(torn)
        );
    }
    if journal.records.is_empty() {
        let what = if journal.torn.is_some() {
            "holds only a torn record"
        } else {
            "is empty"
        };
        eprintln!("runbook report: the journal {} {what}", path.display());
        return INVALID;
    }
    match format {
        ReportFormat::Markdown => {
            // The journal keeps steps' output exact; the report is for
            // reading, so control characters are shown escaped.
            let markdown = report::markdown_of(&journal);
            print!("{}", runbook_dsl::terminal_text::escape(&markdown));
        }
        ReportFormat::Json => {
            let summary = RunSummary::of(run_id, &journal)
                .map(|summary| summary.running_if_held(&dir.join(run_id)));
            let value = serde_json::json!({
                "run": summary,
                "report": RunReport::of(&journal.records),
                "torn": journal.torn.is_some(),
                "torn_record": journal.torn,
            });
            println!("{value}");
        }
    }
    OK
}
