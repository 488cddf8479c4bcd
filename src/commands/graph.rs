use super::{load, INVALID, OK};
use crate::cli::GraphFormat;
use crate::diagnostics;
use runbook_dsl::draw;
use std::path::Path;

/// `runbook graph FILE`: the step graph as text, DOT or Mermaid.
pub fn run(path: &Path, format: GraphFormat) -> i32 {
    let checked = load(path);
    diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    let out = match format {
        GraphFormat::Text => draw::text(&plan),
        GraphFormat::Dot => draw::dot(&plan),
        GraphFormat::Mermaid => draw::mermaid(&plan),
    };
    print!("{out}");
    OK
}
