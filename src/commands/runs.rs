use super::{INVALID, OK};
use crate::cli::DiagnosticFormat;
use runbook_runtime::journal::{self, RunSummary};
use std::path::Path;

/// `runbook runs`: one line per run in the journal directory, oldest first;
/// a damaged journal is listed as `damaged`, and a torn last record (a
/// write cut short) is said, on stderr. `--format json` prints one object
/// listing the runs (`torn` in each).
pub fn run(dir: &Path, format: DiagnosticFormat) -> i32 {
    let runs = match journal::list(dir) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("runbook runs: cannot read `{}`: {e}", dir.display());
            return INVALID;
        }
    };
    if format == DiagnosticFormat::Json {
        println!("{}", serde_json::json!({ "runs": runs }));
        return OK;
    }
    if runs.is_empty() {
        eprintln!("no runs under `{}`", dir.display());
        return OK;
    }
    println!(
        "{:<26} {:<24} {:<11} {:<7} {:>5}  PLAYBOOK",
        "RUN", "STARTED", "STATUS", "MODE", "STEPS"
    );
    for r in &runs {
        let mode = match r.mode {
            runbook_runtime::Mode::Run => "run",
            runbook_runtime::Mode::DryRun => "dry-run",
        };
        // Escaped to a string first: `EscapeDebug` writes its characters
        // without the padding that lines the columns up.
        println!(
            "{:<26} {:<24} {:<11} {mode:<7} {:>5}  {}",
            r.run_id.escape_debug().to_string(),
            r.started,
            r.status,
            r.steps_finished,
            r.playbook.escape_debug()
        );
    }
    for r in &runs {
        if let Some(damage) = &r.damage {
            eprintln!(
                "run `{}` is damaged ({damage}): `resume` and `report` refuse it without `--force`",
                r.run_id.escape_debug()
            );
        }
        torn(r);
        if !r.cleanup_unfinished.is_empty() {
            eprintln!(
                "run `{}`: cleanup not finished: {}: `runbook resume {}` finishes it",
                r.run_id.escape_debug(),
                r.cleanup_unfinished.join(", "),
                r.run_id.escape_debug()
            );
        }
    }
    OK
}

/// Says that a run's last record is torn, unless the run is going (its
/// last record is then being written).
fn torn(run: &RunSummary) {
    let Some(torn) = run.torn_record.filter(|_| run.status != "running") else {
        return;
    };
    eprintln!(
        "run `{}`: {}; `runbook resume` cuts it off",
        run.run_id.escape_debug(),
        runbook_runtime::report::torn_sentence(&torn)
    );
}
