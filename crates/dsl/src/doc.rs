//! A playbook as the Markdown runbook an on-call engineer reads: what it is
//! for, what it needs, the triage tree as a picture, then every step in the
//! order it runs with the command it will run, the question its gate asks
//! and the instructions of manual steps.
//!
//! Generated from the checked [`Plan`], so the document says what `runbook
//! run` will do, not what someone remembered to write in a wiki.

use crate::ast::{Action, AnswerType, InputType, OnFailure, Step};
use crate::draw;
use crate::plan::Plan;
use crate::print::yaml_value::{self, Mapping};
use std::fmt::Write;

/// The Markdown runbook of a plan.
pub fn markdown(plan: &Plan) -> String {
    let playbook = plan.playbook();
    let mut out = String::new();
    let name = playbook.name.as_ref().map(|n| n.value.as_str());
    let title = playbook
        .title
        .as_ref()
        .map(|t| t.value.trim().to_string())
        .or(name.map(str::to_string))
        .unwrap_or_else(|| "Runbook".to_string());
    let _ = writeln!(out, "# {title}\n");
    let mut meta = Vec::new();
    if let Some(name) = name {
        meta.push(format!("Playbook `{name}`"));
    }
    if !playbook.owners.is_empty() {
        let owners: Vec<&str> = playbook.owners.iter().map(|o| o.value.as_str()).collect();
        meta.push(format!("owners: {}", owners.join(", ")));
    }
    if !playbook.tags.is_empty() {
        let tags: Vec<String> = playbook
            .tags
            .iter()
            .map(|t| format!("`{}`", t.value))
            .collect();
        meta.push(format!("tags: {}", tags.join(" ")));
    }
    if let Some(cap) = &playbook.output_cap {
        meta.push(format!("output cap {}", cap.text));
    }
    if !meta.is_empty() {
        let _ = writeln!(out, "{}\n", meta.join(" · "));
    }
    if let Some(description) = &playbook.description {
        let _ = writeln!(out, "{}\n", description.value.trim_end());
    }
    if !playbook.inputs.is_empty() {
        out.push_str("## Inputs\n\n| Input | Type | Default | Description |\n|---|---|---|---|\n");
        for input in &playbook.inputs {
            let ty = match &input.ty.value {
                InputType::Enum(choices) => {
                    let c: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                    format!("one of {}", c.join(", "))
                }
                other => other.name().to_string(),
            };
            let default = match (&input.default, &input.env) {
                (Some(d), _) => format!("`{}`", d.scalar_string().unwrap_or_default()),
                (None, Some(env)) => format!("from `${}`", env.value),
                (None, None) if input.is_required() => "**required**".to_string(),
                (None, None) => String::new(),
            };
            let mut description = input
                .description
                .as_ref()
                .map(|d| cell(&d.value))
                .unwrap_or_default();
            if input.is_secret() {
                description = format!("🔑 secret, masked in output. {description}");
            }
            let _ = writeln!(
                out,
                "| `{}` | {ty} | {default} | {} |",
                input.name.value,
                description.trim()
            );
        }
        out.push('\n');
    }
    if !playbook.vars.is_empty() {
        out.push_str("## Computed values\n\n| Value | Type | Computed as |\n|---|---|---|\n");
        for var in &playbook.vars {
            let ty = plan
                .vars()
                .iter()
                .find(|v| v.name == var.name.value)
                .map_or_else(|| "any".to_string(), |v| v.ty.to_string());
            let _ = writeln!(
                out,
                "| `vars.{}` | `{}` | `{}` |",
                var.name.value,
                cell(&ty),
                cell(&crate::runbook_words::expression(&var.expr.value))
            );
        }
        out.push('\n');
    }

    out.push_str("## The procedure at a glance\n\n");
    out.push_str("🔒 marks a step that waits for approval; a diamond is a decision.\n\n");
    out.push_str("```mermaid\n");
    out.push_str(&draw::mermaid(plan));
    out.push_str("```\n\n## Steps\n\n");

    for (n, &i) in plan.order().iter().enumerate() {
        step(&mut out, plan, i, n + 1);
    }
    out
}

fn cell(text: &str) -> String {
    text.trim().replace('|', "\\|").replace('\n', " ")
}

fn anchor(id: &str) -> String {
    format!("step-{}", id.replace('_', "-"))
}

fn link(plan: &Plan, id: &str) -> String {
    let title = plan
        .index_of(id)
        .and_then(|i| plan.playbook().steps[i].title.as_ref())
        .map(|t| format!(" ({})", t.value.trim()))
        .unwrap_or_default();
    format!("[`{id}`](#{}){title}", anchor(id))
}

fn step(out: &mut String, plan: &Plan, i: usize, number: usize) {
    let (step, info) = plan.step(i);
    let id = &step.id.value;
    let heading = match &step.title {
        Some(t) => format!("{} (`{id}`)", t.value.trim()),
        None => format!("`{id}`"),
    };
    let _ = writeln!(
        out,
        "<a id=\"{}\"></a>\n### {number}. {heading}\n",
        anchor(id)
    );
    let mut facts = vec![
        format!("**{}**", step.action.kind_name()),
        format!("effect: {}", info.effect.name()),
    ];
    if !step.needs.is_empty() {
        let needs: Vec<String> = step
            .needs
            .iter()
            .map(|n| format!("`{}`", n.value))
            .collect();
        facts.push(format!("after {}", needs.join(", ")));
    }
    if let Some(t) = &step.timeout {
        facts.push(format!("timeout {}", t.text));
    }
    if let Some(cap) = &step.output_cap {
        facts.push(format!("output cap {}", cap.text));
    }
    if let Some(r) = &step.retry {
        let delay = r
            .delay
            .as_ref()
            .map(|d| format!(", {} apart", d.text))
            .unwrap_or_default();
        facts.push(format!("{} attempts{delay}", r.attempts.value));
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    if step.is_finally() {
        let _ = writeln!(
            out,
            "Cleanup: runs however the run ends (after a failure, a rejected gate or a signal too), once its needs have ended.\n"
        );
    }
    if let Some(when) = &step.when {
        let _ = writeln!(out, "Only when `{}`.\n", when.value.trim());
    }
    if let Some(for_each) = &step.for_each {
        // The element's type, when the list's says it (`pod`, `string`).
        let typed = match plan
            .step_plan(i)
            .iteration
            .as_ref()
            .map(|it| &it.element_type)
        {
            Some(ty) if !ty.is_any() => {
                format!(" Each `{}` is {}.", for_each.element_name(), ty.describe())
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "↻ Runs once for {}.{typed}\n", for_each.summary());
    }
    if let Some(d) = &step.description {
        let _ = writeln!(out, "{}\n", d.value.trim_end());
    }
    if plan.waits_for_approval(i) {
        let question = match step.approval.as_ref().and_then(|a| a.question.as_ref()) {
            Some(q) => q.value.trim().to_string(),
            None => format!("Run `{id}`?"),
        };
        let _ = writeln!(out, "> 🔒 **Approval required:** {question}\n");
    }
    action(out, plan, i, step);
    if let Some(until) = &step.until {
        let mut text = format!("Repeated until `{}`", until.condition.value.trim());
        if let Some(every) = &until.every {
            text.push_str(&format!(", every {}", every.text));
        }
        match &until.within {
            Some(within) => text.push_str(&format!(", for at most {}", within.text)),
            None => text.push_str(", with no deadline"),
        }
        let _ = writeln!(out, "{text}.\n");
    }
    match step.on_failure.as_ref().map(|f| &f.value) {
        Some(OnFailure::Continue) => out.push_str("If it fails, the run continues.\n\n"),
        Some(OnFailure::Goto(target)) => {
            let _ = writeln!(out, "If it fails, go to {}.\n", link(plan, &target.value));
        }
        _ => {}
    }
    if !step.outputs.is_empty() {
        let outputs: Vec<String> = step
            .outputs
            .iter()
            .enumerate()
            .map(|(n, o)| {
                let holds_text = info.outputs_hold_text.get(n).copied().unwrap_or(true);
                let secret = if o.is_secret() {
                    " (secret)"
                } else if info.uses_secret && o.secret.is_none() && holds_text {
                    // Masked only when it looks like a secret (see
                    // docs/semantics.md, "Secrets"): not a number or a flag.
                    " (masked if it holds a secret: its step reads one)"
                } else {
                    ""
                };
                format!("`{}`{secret}", o.name.value)
            })
            .collect();
        let _ = writeln!(out, "Captures {}.\n", outputs.join(", "));
    }
}

fn action(out: &mut String, plan: &Plan, i: usize, step: &Step) {
    match &step.action {
        Action::Kind { name, params } => {
            // A kind that shows a command (shell) shows it as written, also
            // in its shorthand form, where the whole node is the command.
            let command = plan.step_plan(i).capabilities.command.and_then(|param| {
                params
                    .scalar_string()
                    .or_else(|| params.get(param).and_then(|c| c.scalar_string()))
            });
            match command {
                Some(command) => {
                    let _ = writeln!(out, "```sh\n{}\n```\n", command.trim_end());
                }
                None => {
                    // The kind's parameters as written, in canonical YAML.
                    let yaml = crate::print::step_yaml(step);
                    let value = yaml.get(name.value.as_str()).cloned().unwrap_or_default();
                    let mut map = Mapping::new();
                    map.insert(name.value.clone(), value);
                    let text = yaml_value::to_string(&map);
                    let _ = writeln!(out, "```yaml\n{}\n```\n", text.trim_end());
                }
            }
        }
        Action::Manual { instructions, .. } => {
            let _ = writeln!(
                out,
                "**Do this by hand, then confirm:**\n\n{}\n",
                instructions.value.trim_end()
            );
        }
        Action::Ask(ask) => {
            let _ = writeln!(out, "**Question:** {}\n", ask.question.value.trim());
            match &ask.answer {
                AnswerType::Choice(choices) => {
                    let c: Vec<String> = choices.iter().map(|c| format!("`{}`", c.value)).collect();
                    let _ = writeln!(out, "Answers: {}.\n", c.join(", "));
                }
                AnswerType::Number { min, max } => {
                    let range = match (min, max) {
                        (Some(a), Some(b)) => format!(" from {} to {}", a.value, b.value),
                        (Some(a), None) => format!(" of at least {}", a.value),
                        (None, Some(b)) => format!(" of at most {}", b.value),
                        (None, None) => String::new(),
                    };
                    let _ = writeln!(out, "Answer: a number{range}.\n");
                }
                AnswerType::Text => out.push_str("Answer: free text.\n\n"),
            }
        }
        Action::Branch(branch) => {
            for case in &branch.cases {
                let _ = writeln!(
                    out,
                    "- If `{}` → {}",
                    case.when.value.trim(),
                    link(plan, &case.then.value)
                );
            }
            match &branch.otherwise {
                Some(otherwise) => {
                    let _ = writeln!(out, "- Otherwise → {}", link(plan, &otherwise.value));
                }
                None if crate::lint::exhaustive(
                    plan,
                    plan.index_of(&step.id.value).unwrap_or(0),
                ) => {}
                None => out.push_str("- Otherwise: nothing more on this path.\n"),
            }
            out.push('\n');
        }
    }
}
