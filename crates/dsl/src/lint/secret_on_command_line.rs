//! `lint::secret_on_command_line`: a secret written into the command line a
//! step starts. The value is quoted and masked in everything runbook shows,
//! but the process's arguments are readable by every user of the machine
//! (`ps`, `/proc/PID/cmdline`) for as long as it runs; its environment is
//! readable only by its own user and root. The same holds for a secret a
//! step passes to a called playbook, whose input the playbook writes into
//! a command line: secrecy carries over for masking, not for `ps`.

use super::{new, LintRule};
use crate::ast::{Action, Step};
use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::path::Path;
use crate::plan::{ParamValue, Plan};

pub(super) fn secret_on_command_line(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    for insertion in command_insertions(plan, i) {
        let Some(what) = insertion
            .paths()
            .into_iter()
            .find_map(|p| secret_named(plan, p))
        else {
            continue;
        };
        add(
            LintRule::SecretOnCommandLine,
            new(format!(
                "{what} is written into the command line of `{}`",
                step.id.value
            ))
            .label(insertion.span, "readable by every user with `ps` while it runs")
            .help("pass it in the environment instead: `env: {TOKEN: \"{{...}}\"}` on the step, and `\"$TOKEN\"` in the command"),
        );
    }
}

/// The insertions of step `i`'s command line (its kind's `command`
/// parameter: a shell command, an argv list).
fn command_insertions(plan: &Plan, i: usize) -> Vec<&crate::template::Insertion> {
    let step_plan = plan.step_plan(i);
    let command = step_plan
        .capabilities
        .command
        .and_then(|name| step_plan.params.get(name));
    crate::plan::leaves(command)
        .into_iter()
        .flat_map(|param| match &param.value {
            ParamValue::Template { template, .. } => template.insertions(),
            _ => Vec::new(),
        })
        .collect()
}

/// A secret given to a called playbook (a `playbook` step's `inputs`) that
/// the called playbook writes into a command line of its own.
pub(super) fn secret_passed_to_command_line(
    plan: &Plan,
    i: usize,
    step: &Step,
    catalog: &dyn Catalog,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let Action::Kind { params, .. } = &step.action else {
        return;
    };
    if !plan.step_plan(i).capabilities.calls_playbook {
        return;
    }
    let Some(relative) = crate::analyze::static_call_path(params) else {
        return;
    };
    let Some(entries) = crate::analyze::inputs_given(params).and_then(|n| n.as_map()) else {
        return;
    };
    let secret: Vec<(&str, String, crate::source::Span)> = entries
        .iter()
        .filter_map(|entry| {
            let parsed = crate::template::parse(entry.value.as_text()?).ok()?;
            parsed.insertions().iter().find_map(|insertion| {
                let what = insertion
                    .paths()
                    .into_iter()
                    .find_map(|p| secret_named(plan, p))?;
                Some((entry.key.value.as_str(), what, insertion.span))
            })
        })
        .collect();
    if secret.is_empty() {
        return;
    }
    let Some((_, called)) = super::called_playbook(plan, i, step, catalog) else {
        return;
    };
    for (input, what, span) in secret {
        let Some(reader) = command_line_reading(&called, input) else {
            continue;
        };
        add(
            LintRule::SecretOnCommandLine,
            new(format!(
                "{what} is passed to `{relative}` as `{input}`, which writes it into the command line of `{reader}`"
            ))
            .label(span, "readable by every user with `ps` while that step runs")
            .help(format!(
                "in `{relative}`, declare `{input}` `secret: true` and pass it to `{reader}` in the environment: `env: {{VALUE: \"{{{{inputs.{input}}}}}\"}}`, and `\"$VALUE\"` in the command"
            )),
        );
    }
}

/// The first step of `plan` that writes `inputs.NAME` into its command line.
fn command_line_reading<'p>(plan: &'p Plan, name: &str) -> Option<&'p str> {
    plan.playbook()
        .steps
        .iter()
        .enumerate()
        .find_map(|(i, step)| {
            command_insertions(plan, i)
                .iter()
                .any(|insertion| {
                    insertion
                        .paths()
                        .iter()
                        .any(|p| p.starts_with(&["inputs"]) && p.key(1) == Some(name))
                })
                .then_some(step.id.value.as_str())
        })
}

/// What secret `path` reads, in words: a secret input, a computed value
/// made from a secret, an output declared `secret`.
fn secret_named(plan: &Plan, path: &Path) -> Option<String> {
    let playbook = plan.playbook();
    match path.key(0)? {
        "inputs" => {
            let name = path.key(1)?;
            let input = playbook.inputs.iter().find(|i| i.name.value == name)?;
            input
                .is_secret()
                .then(|| format!("the secret input `{name}`"))
        }
        "vars" => {
            let name = path.key(1)?;
            let var = plan.vars().iter().find(|v| v.name == name)?;
            var.uses_secret
                .then(|| format!("`vars.{name}`, computed from a secret,"))
        }
        "steps" if path.key(2) == Some("outputs") => {
            let (id, name) = (path.key(1)?, path.key(3)?);
            let step = &playbook.steps[plan.index_of(id)?];
            let output = step.outputs.iter().find(|o| o.name.value == name)?;
            output
                .is_secret()
                .then(|| format!("the secret output `steps.{id}.outputs.{name}`"))
        }
        _ => None,
    }
}
