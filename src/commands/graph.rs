use super::{load, INVALID, OK};
use crate::cli::GraphFormat;
use crate::diagnostics;
use runbook_dsl::render;
use std::path::Path;

/// `runbook graph FILE`: the step graph as text, DOT or Mermaid.
pub fn run(path: &Path, format: GraphFormat) -> i32 {
    let checked = load(path);
    diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    let out = match format {
        GraphFormat::Text => render::text(&plan),
        GraphFormat::Dot => render::dot(&plan),
        GraphFormat::Mermaid => render::mermaid(&plan),
    };
    print!("{out}");
    OK
}
