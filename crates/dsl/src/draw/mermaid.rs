use super::step_label;
use crate::ast::{Action, Effect};
use crate::graph::EdgeKind;
use crate::plan::Plan;
use std::fmt::Write;

/// The plan as a Mermaid flowchart, which GitHub renders in Markdown.
pub fn mermaid(plan: &Plan) -> String {
    let mut out = String::from("flowchart TD\n");
    for (i, step) in plan.playbook().steps.iter().enumerate() {
        let info = plan.step_plan(i);
        let mut label = escape(&step_label(step));
        if plan.is_gated(i) {
            label = format!("🔒 {label}");
        }
        let node = match &step.action {
            Action::Branch(_) => format!("{{\"{label}\"}}"),
            Action::Ask(_) => format!("[/\"{label}\"/]"),
            Action::Manual { .. } => format!("[[\"{label}\"]]"),
            Action::Kind { .. } => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  {}{node}", step.id.value);
        if info.effect == Effect::Destructive {
            let _ = writeln!(out, "  class {} destructive", step.id.value);
        }
    }
    for (a, b, edge) in plan.edges_by_id() {
        match &edge.kind {
            EdgeKind::Needs => {
                let _ = writeln!(out, "  {a} --> {b}");
            }
            EdgeKind::Failure => {
                let _ = writeln!(out, "  {a} -.->|\"on failure\"| {b}");
            }
            kind => {
                let _ = writeln!(out, "  {a} -->|\"{}\"| {b}", escape(&kind.label()));
            }
        }
    }
    out.push_str("  classDef destructive stroke:#d33,stroke-width:2px\n");
    out
}

/// Mermaid labels are quoted; quotes and a few characters need entity codes.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('\n', " ")
        .replace('|', "#124;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
