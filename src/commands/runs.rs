use super::{INVALID, OK};
use runbook_runtime::journal;
use std::path::Path;

/// `runbook runs`: one line per run in the journal directory, oldest first;
/// a damaged journal is listed as `damaged`, with what is wrong on stderr.
pub fn run(dir: &Path) -> i32 {
    let runs = match journal::list(dir) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("runbook runs: cannot read `{}`: {e}", dir.display());
            return INVALID;
        }
    };
    if runs.is_empty() {
        eprintln!("no runs under `{}`", dir.display());
        return OK;
    }
    println!(
        "{:<26} {:<24} {:<11} {:>5}  PLAYBOOK",
        "RUN", "STARTED", "STATUS", "STEPS"
    );
    for r in &runs {
        println!(
            "{:<26} {:<24} {:<11} {:>5}  {}",
            r.run_id.escape_debug(),
            r.started,
            r.status,
            r.steps_finished,
            r.playbook.escape_debug()
        );
    }
    for r in runs {
        if let Some(damage) = r.damage {
            eprintln!(
                "run `{}` is damaged ({damage}): `resume` and `report` refuse it without `--force`",
                r.run_id.escape_debug()
            );
        }
    }
    OK
}
