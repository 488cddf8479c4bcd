use super::kind_of;
use crate::ast::{Action, InputType, OnFailure};
use crate::graph::EdgeKind;
use crate::node::Value;
use crate::plan::Plan;
use std::fmt::Write;

/// The plan as indented text: inputs, then each step in topological order
/// with its kind, effect, gate, guards and outgoing edges.
pub fn text(plan: &Plan) -> String {
    let playbook = plan.playbook();
    let mut out = String::new();
    let name = playbook
        .name
        .as_ref()
        .map(|n| n.value.as_str())
        .unwrap_or("(unnamed)");
    let _ = write!(out, "playbook {name}");
    if let Some(title) = &playbook.title {
        let _ = write!(out, ": {}", title.value.trim());
    }
    out.push('\n');
    if !playbook.inputs.is_empty() {
        out.push_str("inputs:\n");
        for input in &playbook.inputs {
            let ty = match &input.ty.value {
                InputType::Enum(choices) => {
                    let names: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                    format!("enum({})", names.join(" | "))
                }
                other => other.name().to_string(),
            };
            let _ = write!(out, "  {}: {ty}", input.name.value);
            if let Some(default) = &input.default {
                let shown = match &default.value {
                    Value::Str(t) => format!("{:?}", t.value),
                    _ => default
                        .scalar_string()
                        .unwrap_or_else(|| default.type_name().to_string()),
                };
                let _ = write!(out, " = {shown}");
            }
            let mut flags = Vec::new();
            if input.is_required() {
                flags.push("required".to_string());
            }
            if input.is_secret() {
                flags.push("secret".to_string());
            }
            if let Some(env) = &input.env {
                flags.push(format!("env {}", env.value));
            }
            if !flags.is_empty() {
                let _ = write!(out, " ({})", flags.join(", "));
            }
            out.push('\n');
        }
    }
    if !plan.vars().is_empty() {
        out.push_str("vars (in the order they are computed):\n");
        for var in plan.vars() {
            let secret = if var.uses_secret { " (secret)" } else { "" };
            let _ = writeln!(out, "  {} = {}{secret}", var.name, var.expr);
        }
    }
    out.push_str("steps:\n");
    for &i in plan.order() {
        let (step, info) = plan.step(i);
        let mut tags = vec![kind_of(step).to_string(), info.effect.name().to_string()];
        if plan.is_gated(i) {
            tags.push("gate".into());
        }
        if step.is_finally() {
            tags.push("finally".into());
        }
        if info.uses_secret {
            tags.push("secret".into());
        }
        if info.unreachable {
            tags.push("unreachable".into());
        }
        let _ = writeln!(out, "  {} [{}]", step.id.value, tags.join(", "));
        let needs: Vec<&str> = step.needs.iter().map(|n| n.value.as_str()).collect();
        if !needs.is_empty() {
            let _ = writeln!(out, "    needs {}", needs.join(", "));
        }
        if let Some(when) = &step.when {
            let _ = writeln!(out, "    when {}", when.value.trim());
        }
        if let Some(for_each) = &step.for_each {
            let _ = writeln!(out, "    for {}", for_each.summary());
        }
        if let Some(until) = &step.until {
            let _ = write!(out, "    until {}", until.condition.value.trim());
            if let Some(every) = &until.every {
                let _ = write!(out, " every {}", every.text);
            }
            if let Some(within) = &until.within {
                let _ = write!(out, " within {}", within.text);
            }
            out.push('\n');
        }
        if let Some(timeout) = &step.timeout {
            let _ = writeln!(out, "    timeout {}", timeout.text);
        }
        if let Some(retry) = &step.retry {
            let _ = write!(out, "    retry {}", retry.attempts.value);
            if let Some(delay) = &retry.delay {
                let _ = write!(out, " delay {}", delay.text);
            }
            if let Some(backoff) = &retry.backoff {
                let _ = write!(out, " backoff {}", backoff.value);
            }
            out.push('\n');
        }
        if let Some(approval) = &step.approval {
            match &approval.question {
                Some(q) => {
                    let _ = writeln!(out, "    approval {:?}", q.value.trim());
                }
                None => out.push_str("    approval\n"),
            }
        }
        if let Some(on_failure) = &step.on_failure {
            if let OnFailure::Continue = on_failure.value {
                out.push_str("    on failure continue\n");
            }
        }
        if let Action::Ask(ask) = &step.action {
            let _ = writeln!(out, "    ask {:?}", ask.question.value.trim());
        }
        for output in &step.outputs {
            let from = output
                .from
                .as_ref()
                .map(|f| f.value.as_str())
                .unwrap_or("(primary)");
            let _ = write!(out, "    output {} <- {from}", output.name.value);
            if let Some(json) = &output.json {
                let _ = write!(out, " json {:?}", json.value);
            }
            if let Some(regex) = &output.regex {
                let _ = write!(out, " regex {:?}", regex.value);
            }
            if let Some(lines) = &output.lines {
                let _ = write!(out, " lines {:?}", lines.value);
            }
            if let Some(separator) = &output.separator {
                let _ = write!(out, " separator {}", separator.value.name());
            }
            if let Some(select) = &output.select {
                let _ = write!(out, " select {}", select.value.name());
            }
            if let Some(ty) = &output.ty {
                let _ = write!(out, " type {}", ty.value.name());
            }
            if let Some(default) = &output.default {
                let _ = write!(out, " default {}", default.to_json());
            }
            if output.is_secret() {
                out.push_str(" (secret)");
            }
            out.push('\n');
        }
        let mut edges: Vec<(usize, &EdgeKind)> = plan
            .graph()
            .outgoing(i)
            .filter(|(_, e)| e.kind.is_conditional())
            .map(|(to, e)| (to, &e.kind))
            .collect();
        edges.sort_by_key(|(to, kind)| match kind {
            EdgeKind::Case { index, .. } => (0, *index, *to),
            EdgeKind::Else => (1, 0, *to),
            _ => (2, 0, *to),
        });
        for (to, kind) in edges {
            let target = &plan.playbook().steps[to].id.value;
            match kind {
                EdgeKind::Case { condition, .. } => {
                    let _ = writeln!(out, "    -> {target} when {condition}");
                }
                EdgeKind::Else => {
                    let _ = writeln!(out, "    -> {target} else");
                }
                EdgeKind::Failure => {
                    let _ = writeln!(out, "    -> {target} on failure");
                }
                EdgeKind::Needs => {}
            }
        }
    }
    out
}
