//! `lint::secret_on_command_line`: a secret written into the command line a
//! step starts. The value is quoted and masked in everything runbook shows,
//! but the process's arguments are readable by every user of the machine
//! (`ps`, `/proc/PID/cmdline`) for as long as it runs; its environment is
//! readable only by its own user and root.

use super::{new, LintRule};
use crate::ast::Step;
use crate::diagnostic::Diagnostic;
use crate::path::Path;
use crate::plan::{Param, ParamValue, Plan};

pub(super) fn secret_on_command_line(
    plan: &Plan,
    i: usize,
    step: &Step,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    let step_plan = plan.step_plan(i);
    let Some(command) = step_plan
        .capabilities
        .command
        .and_then(|name| step_plan.params.get(name))
    else {
        return;
    };
    let mut stack: Vec<&Param> = vec![command];
    while let Some(param) = stack.pop() {
        match &param.value {
            ParamValue::Template { template, .. } => {
                for insertion in template.insertions() {
                    let paths = insertion.paths();
                    let Some(what) = paths.into_iter().find_map(|p| secret_named(plan, p)) else {
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
            ParamValue::List(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
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
