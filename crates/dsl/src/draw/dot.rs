use super::{kind_of, step_label};
use crate::ast::{Action, Effect};
use crate::graph::EdgeKind;
use crate::plan::Plan;
use std::fmt::Write;

/// The plan as a Graphviz digraph: branches are diamonds, questions
/// parallelograms, gated and destructive steps drawn bold; conditional edges
/// are dashed and labelled with their condition.
pub fn dot(plan: &Plan) -> String {
    let mut out = String::from("digraph playbook {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, step) in plan.playbook().steps.iter().enumerate() {
        let info = plan.step_plan(i);
        let shape = match &step.action {
            Action::Branch(_) => "diamond",
            Action::Ask(_) => "parallelogram",
            Action::Manual { .. } => "note",
            Action::Kind { .. } => "box",
        };
        let label = format!(
            "{}\\n{} · {}",
            escape(&step_label(step)),
            kind_of(step),
            info.effect.name()
        );
        let mut attrs = vec![format!("label=\"{label}\""), format!("shape={shape}")];
        if plan.is_gated(i) || info.effect == Effect::Destructive {
            attrs.push("penwidth=2".into());
        }
        if info.effect == Effect::Destructive {
            attrs.push("color=red".into());
        }
        if info.unreachable {
            attrs.push("style=\"rounded,dashed\"".into());
        }
        let _ = writeln!(out, "  {} [{}];", step.id.value, attrs.join(", "));
    }
    for (a, b, edge) in plan.edges_by_id() {
        match &edge.kind {
            EdgeKind::Needs => {
                let _ = writeln!(out, "  {a} -> {b};");
            }
            EdgeKind::Failure => {
                let _ = writeln!(
                    out,
                    "  {a} -> {b} [label=\"on failure\", style=dashed, color=red];"
                );
            }
            kind => {
                let _ = writeln!(
                    out,
                    "  {a} -> {b} [label=\"{}\", style=dashed];",
                    escape(&kind.label())
                );
            }
        }
    }
    out.push_str("}\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
