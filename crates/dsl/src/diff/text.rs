//! The diff for a terminal: risks first (what to worry about), then steps,
//! edges and playbook fields. Colour is optional so snapshots are plain.

use super::{EdgeChange, EdgeStatus, FieldChange, PlanDiff, RiskSeverity, StepStatus, WordTag};
use std::fmt::Write;

/// Whether to colour the output with ANSI escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextStyle {
    Color,
    Plain,
}

struct Paint(TextStyle);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        match self.0 {
            TextStyle::Color => format!("\x1b[{code}m{text}\x1b[0m"),
            TextStyle::Plain => text.to_string(),
        }
    }
    fn red(&self, t: &str) -> String {
        self.wrap("31", t)
    }
    fn green(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn severity(&self, s: RiskSeverity) -> String {
        let label = format!("{:<6}", s.name().to_uppercase());
        match s {
            RiskSeverity::High => self.wrap("1;31", &label),
            RiskSeverity::Medium => self.wrap("33", &label),
            RiskSeverity::Low => self.wrap("36", &label),
        }
    }
}

/// The diff as text for a person at a terminal.
pub fn text(diff: &PlanDiff, style: TextStyle) -> String {
    let p = Paint(style);
    let mut out = String::new();
    let title = if diff.old_name == diff.new_name || diff.old_name.is_empty() {
        diff.new_name.clone()
    } else if diff.new_name.is_empty() {
        diff.old_name.clone()
    } else {
        format!("{} -> {}", diff.old_name, diff.new_name)
    };
    let _ = writeln!(out, "{}", p.bold(&format!("runbook diff {title}")));
    if diff.is_empty() {
        out.push_str("  no change to the procedure\n");
        return out;
    }
    if !diff.risks.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Risks"));
        // Aligned to the longest code of all, so every diff lines up alike.
        let width = super::RiskKind::code_width();
        for risk in &diff.risks {
            let _ = writeln!(
                out,
                "  {} {:<width$} {}",
                p.severity(risk.severity),
                risk.kind.code(),
                risk.message
            );
        }
    }
    if !diff.steps.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Steps"));
        for step in &diff.steps {
            let what = format!("({}, {})", step.kind, step.effect.name());
            match step.status {
                StepStatus::Added => {
                    let _ = writeln!(out, "  {} `{}` {what}", p.green("+ added  "), step.id);
                }
                StepStatus::Removed => {
                    let _ = writeln!(out, "  {} `{}` {what}", p.red("- removed"), step.id);
                }
                StepStatus::Renamed => {
                    let _ = writeln!(
                        out,
                        "  {} `{}` -> `{}` {what}",
                        p.yellow("~ renamed"),
                        step.old_id.as_deref().unwrap_or_default(),
                        step.id
                    );
                }
                StepStatus::Changed => {
                    let _ = writeln!(out, "  {} `{}` {what}", p.yellow("~ changed"), step.id);
                }
            }
            for field in &step.fields {
                field_line(&mut out, &p, field);
            }
        }
    }
    if !diff.edges.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Edges"));
        for edge in &diff.edges {
            edge_line(&mut out, &p, edge);
        }
    }
    if !diff.playbook.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Playbook"));
        for field in &diff.playbook {
            field_line(&mut out, &p, field);
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.trim_end().replace('\n', "⏎")
}

fn field_line(out: &mut String, p: &Paint, field: &FieldChange) {
    let value = match (&field.old, &field.new, &field.words) {
        (_, _, Some(words)) => words
            .iter()
            .map(|w| match w.tag {
                WordTag::Same => w.text.replace('\n', "⏎"),
                WordTag::Removed => p.red(&format!("[-{}-]", w.text.replace('\n', "⏎"))),
                WordTag::Added => p.green(&format!("{{+{}+}}", w.text.replace('\n', "⏎"))),
            })
            .collect::<String>()
            .trim_end_matches('⏎')
            .to_string(),
        (Some(old), Some(new), None) => {
            format!("{} -> {}", p.red(&one_line(old)), p.green(&one_line(new)))
        }
        (None, Some(new), None) => p.green(&format!("+ {}", one_line(new))),
        (Some(old), None, None) => p.red(&format!("- {}", one_line(old))),
        (None, None, None) => String::new(),
    };
    let _ = writeln!(out, "      {}: {value}", field.path);
}

fn edge_line(out: &mut String, p: &Paint, edge: &EdgeChange) {
    let label = match (&edge.condition, edge.kind) {
        (Some(c), _) => format!(" when {c}"),
        (None, "needs") => String::new(),
        (None, kind) => format!(" ({kind})"),
    };
    match edge.status {
        EdgeStatus::Added => {
            let _ = writeln!(
                out,
                "  {} {} -> {}{label}",
                p.green("+"),
                edge.from,
                edge.to
            );
        }
        EdgeStatus::Removed => {
            let _ = writeln!(out, "  {} {} -> {}{label}", p.red("-"), edge.from, edge.to);
        }
        EdgeStatus::ConditionChanged => {
            let _ = writeln!(
                out,
                "  {} {} -> {} condition: {} -> {}",
                p.yellow("~"),
                edge.from,
                edge.to,
                p.red(edge.old_condition.as_deref().unwrap_or_default()),
                p.green(edge.condition.as_deref().unwrap_or_default())
            );
        }
    }
}
