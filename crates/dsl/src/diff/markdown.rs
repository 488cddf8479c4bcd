//! The diff as a pull-request comment: a summary line, a risk table, steps
//! with their changed fields, edges, and a Mermaid graph of the changed
//! region (GitHub renders it), so a reviewer sees where in the procedure the
//! change lands without reading the whole playbook.

use super::{EdgeStatus, FieldChange, PlanDiff, StepStatus, WordTag};
use crate::graph::EdgeKind;
use crate::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The diff as GitHub-flavoured Markdown.
pub fn markdown(diff: &PlanDiff, old: Option<&Plan>, new: Option<&Plan>) -> String {
    let mut out = String::new();
    let name = if diff.new_name.is_empty() {
        &diff.old_name
    } else {
        &diff.new_name
    };
    let from = diff
        .renamed_from
        .as_ref()
        .map(|f| format!(" (renamed from `{f}`)"))
        .unwrap_or_default();
    let _ = writeln!(out, "### Playbook `{name}`{from}\n");
    if diff.is_empty() {
        out.push_str("No change to the procedure.\n");
        return out;
    }
    let count = |s: StepStatus| diff.steps.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        out,
        "{} added, {} removed, {} renamed, {} changed steps; {}; **{}**\n",
        count(StepStatus::Added),
        count(StepStatus::Removed),
        count(StepStatus::Renamed),
        count(StepStatus::Changed),
        counted(diff.edges.len(), "edge change"),
        counted(diff.risks.len(), "risk")
    );
    if !diff.risks.is_empty() {
        out.push_str("| Severity | Risk | Step | What |\n|---|---|---|---|\n");
        for risk in &diff.risks {
            let icon = match risk.severity {
                super::RiskSeverity::High => "🔴 high",
                super::RiskSeverity::Medium => "🟠 medium",
                super::RiskSeverity::Low => "🟡 low",
            };
            let _ = writeln!(
                out,
                "| {icon} | `{}` | `{}` | {} |",
                risk.kind.code(),
                risk.step,
                cell(&risk.message)
            );
        }
        out.push('\n');
    }
    if !diff.steps.is_empty() {
        out.push_str("#### Steps\n\n");
        for step in &diff.steps {
            let what = format!("{}, {}", step.kind, step.effect.name());
            let _ = match step.status {
                StepStatus::Added => writeln!(out, "- ➕ **added** `{}` ({what})", step.id),
                StepStatus::Removed => writeln!(out, "- ➖ **removed** `{}` ({what})", step.id),
                StepStatus::Renamed => writeln!(
                    out,
                    "- ✏️ **renamed** `{}` → `{}` ({what})",
                    step.old_id.as_deref().unwrap_or_default(),
                    step.id
                ),
                StepStatus::Changed => writeln!(out, "- ✏️ **changed** `{}` ({what})", step.id),
            };
            for field in &step.fields {
                field_item(&mut out, field);
            }
        }
        out.push('\n');
    }
    if !diff.edges.is_empty() {
        out.push_str("#### Edges\n\n");
        for edge in &diff.edges {
            let label = match (&edge.condition, edge.kind) {
                (Some(c), _) => format!(" when {}", code(c)),
                (None, "needs") => String::new(),
                (None, kind) => format!(" ({kind})"),
            };
            let _ = match edge.status {
                EdgeStatus::Added => writeln!(out, "- ➕ `{}` → `{}`{label}", edge.from, edge.to),
                EdgeStatus::Removed => {
                    writeln!(out, "- ➖ `{}` → `{}`{label}", edge.from, edge.to)
                }
                EdgeStatus::ConditionChanged => writeln!(
                    out,
                    "- ✏️ `{}` → `{}` condition {} → {}",
                    edge.from,
                    edge.to,
                    code(edge.old_condition.as_deref().unwrap_or_default()),
                    code(edge.condition.as_deref().unwrap_or_default())
                ),
            };
        }
        out.push('\n');
    }
    if !diff.playbook.is_empty() {
        out.push_str("#### Playbook fields\n\n");
        for field in &diff.playbook {
            field_item(&mut out, field);
        }
        out.push('\n');
    }
    let graph = region_graph(diff, old, new);
    if !graph.is_empty() {
        out.push_str("<details><summary>Graph of the changed region</summary>\n\n```mermaid\n");
        out.push_str(&graph);
        out.push_str("```\n\n</details>\n");
    }
    out
}

/// "1 risk", "2 risks".
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Text for inside a table cell: GitHub ends a cell at any `|` not
/// escaped, even inside a code span.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `text` as one CommonMark code span that shows it as written: fenced
/// with one backtick more than its longest run of backticks, and padded
/// with a space when it starts or ends with a backtick (trailing
/// whitespace is dropped, so no space at both ends is stripped by a reader).
fn code(text: &str) -> String {
    let text = text.trim_end().replace('\n', " ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "&#124;")
        .replace('\n', " ")
}

fn field_item(out: &mut String, field: &FieldChange) {
    let value = match (&field.old, &field.new, &field.words) {
        (_, _, Some(words)) => {
            let inner: String = words
                .iter()
                .map(|w| match w.tag {
                    WordTag::Same => html(&w.text),
                    WordTag::Removed => format!("<del>{}</del>", html(&w.text)),
                    WordTag::Added => format!("<ins>{}</ins>", html(&w.text)),
                })
                .collect();
            format!("<code>{}</code>", inner.trim_end())
        }
        (Some(old), Some(new), None) => format!("{} → {}", code(old), code(new)),
        (None, Some(new), None) => format!("added {}", code(new)),
        (Some(old), None, None) => format!("removed {}", code(old)),
        (None, None, None) => String::new(),
    };
    let _ = writeln!(out, "  - `{}`: {value}", field.path);
}

/// Mermaid node ids: prefixed, so a step called `end` or `graph` is not a keyword.
fn node_id(id: &str) -> String {
    format!("s_{id}")
}

fn label(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('\n', " ")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The changed steps and edges with their neighbours in the new graph, plus
/// removed steps and edges drawn dashed. Empty when nothing is to be drawn.
fn region_graph(diff: &PlanDiff, old: Option<&Plan>, new: Option<&Plan>) -> String {
    let mut status: BTreeMap<&str, StepStatus> = BTreeMap::new();
    for step in &diff.steps {
        status.insert(step.id.as_str(), step.status);
    }
    let mut region: BTreeSet<String> = diff.steps.iter().map(|s| s.id.clone()).collect();
    for edge in &diff.edges {
        region.insert(edge.from.clone());
        region.insert(edge.to.clone());
    }
    if region.is_empty() {
        return String::new();
    }
    let mut shown: BTreeSet<String> = region.clone();
    if let Some(new) = new {
        for id in &region {
            let Some(i) = new.index_of(id) else { continue };
            for (to, _) in new.graph().outgoing(i) {
                shown.insert(new.playbook().steps[to].id.value.clone());
            }
            for (from, _) in new.graph().incoming(i) {
                shown.insert(new.playbook().steps[from].id.value.clone());
            }
        }
    }
    let mut out = String::from("flowchart TD\n");
    // Nodes: from the new plan where they exist, from the old one for removed steps.
    for id in &shown {
        let (plan, index) = match new.and_then(|p| p.index_of(id).map(|i| (p, i))) {
            Some(found) => found,
            None => match old.and_then(|p| p.index_of(id).map(|i| (p, i))) {
                Some(found) => found,
                None => continue,
            },
        };
        let step = &plan.playbook().steps[index];
        let lock = if plan.waits_for_approval(index) {
            "🔒 "
        } else {
            ""
        };
        let text = label(&format!(
            "{lock}{} ({}, {})",
            step.id.value,
            step.action.kind_name(),
            plan.step_plan(index).effect.name()
        ));
        let _ = writeln!(out, "  {}[\"{text}\"]", node_id(id));
        if let Some(s) = status.get(id.as_str()) {
            let class = match s {
                StepStatus::Added => "added",
                StepStatus::Removed => "removed",
                StepStatus::Renamed | StepStatus::Changed => "changed",
            };
            let _ = writeln!(out, "  class {} {class}", node_id(id));
        }
    }
    let added: BTreeSet<(&str, &str)> = diff
        .edges
        .iter()
        .filter(|e| e.status != EdgeStatus::Removed)
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    if let Some(new) = new {
        for (a, b, edge) in new.edges_by_id() {
            if !shown.contains(a) || !shown.contains(b) {
                continue;
            }
            let arrow = if added.contains(&(a, b)) {
                "==>"
            } else {
                "-->"
            };
            let text = match &edge.kind {
                EdgeKind::Needs => String::new(),
                kind => format!("|\"{}\"|", label(&kind.label())),
            };
            let _ = writeln!(out, "  {} {arrow}{text} {}", node_id(a), node_id(b));
        }
    }
    for edge in diff
        .edges
        .iter()
        .filter(|e| e.status == EdgeStatus::Removed)
    {
        if shown.contains(&edge.from) && shown.contains(&edge.to) {
            let _ = writeln!(
                out,
                "  {} -.->|\"removed\"| {}",
                node_id(&edge.from),
                node_id(&edge.to)
            );
        }
    }
    out.push_str("  classDef added fill:#e6ffed,stroke:#2da44e\n");
    out.push_str("  classDef changed fill:#fff8c5,stroke:#bf8700\n");
    out.push_str("  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_shows_its_text_as_written() {
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(code("\"a|b`c\""), "``\"a|b`c\"``");
        assert_eq!(code("x ``y`` z"), "```x ``y`` z```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code(" x "), "` x`");
        assert_eq!(code("a\nb\n"), "`a b`");
    }

    #[test]
    fn a_table_cell_escapes_its_pipes() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(counted(1, "risk"), "1 risk");
        assert_eq!(counted(0, "risk"), "0 risks");
        assert_eq!(counted(2, "edge change"), "2 edge changes");
    }
}
