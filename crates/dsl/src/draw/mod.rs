//! Drawing a checked plan as a graph (`runbook graph`, `runbook doc`): text
//! (for people and snapshot tests), DOT (Graphviz) and Mermaid (which GitHub
//! renders in pull requests).

mod dot;
mod mermaid;
mod text;

pub use dot::dot;
pub use mermaid::mermaid;
pub use text::text;

use crate::ast::{Action, Step};

/// The node label of a step: its title, or its id.
fn step_label(step: &Step) -> String {
    let label = match &step.title {
        Some(title) => title.value.trim().to_string(),
        None => step.id.value.clone(),
    };
    let label = match &step.for_each {
        // A loop is one node; the mark says it runs once per element.
        Some(for_each) => format!("↻ {label} (each {})", for_each.element_name()),
        None => label,
    };
    // A cleanup runs however the run ends, not only along its edges.
    if step.is_finally() {
        format!("{label} (finally)")
    } else {
        label
    }
}

/// How a step is described in one word-ish phrase: `shell`, `triage`, ...
fn kind_of(step: &Step) -> &str {
    match &step.action {
        Action::Kind { name, .. } => &name.value,
        other => other.kind_name(),
    }
}
