use super::{load, INVALID, OK};
use crate::diagnostics;
use std::path::Path;

/// `runbook doc FILE`: the playbook as a Markdown runbook on stdout.
pub fn run(path: &Path) -> i32 {
    let checked = load(path);
    diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    print!("{}", runbook_dsl::doc::markdown(&plan));
    OK
}
