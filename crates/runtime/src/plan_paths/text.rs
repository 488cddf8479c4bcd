//! The paths of `runbook plan` as text.

use super::{Parts, PathStep, Paths, PlanPath, MAX_PATHS};
use runbook_dsl::plan::Plan;
use std::collections::HashMap;
use std::fmt::Write;

/// Lines said under a step: the gates inside the playbook it calls
/// ([`super::called_gates`]).
type Under = HashMap<usize, Vec<String>>;

/// The paths as text; `under` holds lines said under some steps.
pub fn text(plan: &Plan, paths: &Paths, under: &Under) -> String {
    let mut out = String::new();
    let name = plan
        .playbook()
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_else(|| plan.file().name().to_string());
    if let Some(parts) = &paths.parts {
        write_parts(plan, &name, parts, under, &mut out);
        write_cleanups(plan, &mut out);
        return out;
    }
    let count = paths.paths.len();
    let _ = writeln!(
        out,
        "{count} path{} through `{name}`{}; nothing was executed.",
        if count == 1 { "" } else { "s" },
        if paths.truncated {
            format!(" (only the first {MAX_PATHS} are listed)")
        } else {
            String::new()
        }
    );
    for (n, path) in paths.paths.iter().enumerate() {
        write_path(plan, &format!("path {}", n + 1), path, "", under, &mut out);
    }
    write_cleanups(plan, &mut out);
    out
}

/// The `finally` steps, which the paths show where they run when nothing
/// stops the run: they also run when it stops early.
fn write_cleanups(plan: &Plan, out: &mut String) {
    let ids: Vec<String> = plan
        .playbook()
        .steps
        .iter()
        .filter(|s| s.is_finally())
        .map(|s| format!("`{}`", s.id.value))
        .collect();
    if !ids.is_empty() {
        let _ = writeln!(
            out,
            "\nif the run stops early (a failure, a rejected gate, a signal), the cleanup still runs: {} (docs/semantics.md, \"Cleanup: `finally`\")",
            ids.join(", ")
        );
    }
}

fn write_path(
    plan: &Plan,
    title: &str,
    path: &PlanPath,
    indent: &str,
    under: &Under,
    out: &mut String,
) {
    let _ = writeln!(out, "\n{indent}{title}:");
    if path.decisions.is_empty() {
        let _ = writeln!(out, "{indent}  (no branch decisions)");
    }
    for decision in &path.decisions {
        let _ = writeln!(out, "{indent}  if {decision}");
    }
    let gates = path.steps.iter().filter(|s| s.gated).count();
    let inside: usize = path
        .steps
        .iter()
        .filter_map(|s| under.get(&s.index))
        .map(|lines| lines.iter().filter(|l| l.starts_with('◆')).count())
        .sum();
    let inside = match inside {
        0 => String::new(),
        n => format!(" and {n} in the playbooks they call"),
    };
    let _ = writeln!(
        out,
        "{indent}  {} step(s), {gates} gate(s){inside}:",
        path.steps.len()
    );
    write_steps(plan, &path.steps, &format!("{indent}    "), under, out);
}

fn write_steps(plan: &Plan, steps: &[PathStep], indent: &str, under: &Under, out: &mut String) {
    for s in steps {
        let (step, step_plan) = plan.step(s.index);
        let mut notes = vec![step_plan.effect.name().to_string()];
        if s.gated {
            notes.push("gate".into());
        }
        if step.is_finally() {
            notes.push("finally".into());
        }
        if s.fails {
            notes.push("fails".into());
        }
        if let Some(c) = &s.condition {
            notes.push(format!("only if {c}"));
        }
        let _ = writeln!(
            out,
            "{indent}{} {} [{}]",
            if s.gated { "◆" } else { "•" },
            step.id.value,
            notes.join(", ")
        );
        if let Some(body) = super::loop_body::loop_body(step) {
            let _ = writeln!(out, "{indent}    {body}");
        }
        for line in under.get(&s.index).into_iter().flatten() {
            let _ = writeln!(out, "{indent}    {line}");
        }
    }
}

/// Independent parts: the common steps, each part's paths, the joins.
fn write_parts(plan: &Plan, name: &str, parts: &Parts, under: &Under, out: &mut String) {
    let counts: Vec<String> = parts
        .parts
        .iter()
        .map(|p| p.paths.len().to_string())
        .collect();
    let _ = writeln!(
        out,
        "{} paths through `{name}`: {} independent parts ({}), each path taking one way through every part; nothing was executed.",
        parts.total,
        parts.parts.len(),
        counts.join(" × "),
    );
    let _ = writeln!(out, "\non every path:");
    if parts.common.is_empty() {
        let _ = writeln!(out, "  (no step)");
    }
    write_steps(plan, &parts.common, "  ", under, out);
    for (p, part) in parts.parts.iter().enumerate() {
        let count = part.paths.len();
        let _ = writeln!(
            out,
            "\npart {}: {count} way{}{}",
            p + 1,
            if count == 1 { "" } else { "s" },
            if part.truncated {
                format!(" (only the first {MAX_PATHS} are listed)")
            } else {
                String::new()
            }
        );
        for (n, path) in part.paths.iter().enumerate() {
            write_path(
                plan,
                &format!("way {}.{}", p + 1, n + 1),
                path,
                "  ",
                under,
                out,
            );
        }
    }
    if !parts.joins.is_empty() {
        let _ = writeln!(
            out,
            "\nafter several parts (each runs when the ways taken let it: docs/semantics.md, \"Joins after branches\"):"
        );
        for &i in &parts.joins {
            let (step, step_plan) = plan.step(i);
            let gated = plan.is_gated(i);
            let mut notes = vec![step_plan.effect.name().to_string()];
            if gated {
                notes.push("gate".into());
            }
            if step.is_finally() {
                notes.push("finally".into());
            }
            let _ = writeln!(
                out,
                "  {} {} [{}]",
                if gated { "◆" } else { "•" },
                step.id.value,
                notes.join(", ")
            );
            for line in under.get(&i).into_iter().flatten() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
}
