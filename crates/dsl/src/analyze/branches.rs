//! Exhaustiveness of branches over a choice: every answer of an `ask` (or
//! value of an enum input) has an edge, or the branch has an `else`.

use crate::ast::{Action, AnswerType, InputType, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr;
use crate::path::Path;
use crate::plan::StepPlan;
use crate::source::Span;

pub(super) fn check_exhaustive(playbook: &Playbook, plans: &[StepPlan], diags: &mut Diagnostics) {
    for (step, plan) in playbook.steps.iter().zip(plans) {
        let Action::Branch(branch) = &step.action else {
            continue;
        };
        if branch.otherwise.is_some()
            || branch.cases.is_empty()
            || plan.cases.len() != branch.cases.len()
        {
            continue;
        }
        let mut subject: Option<Path> = None;
        let mut covered: Vec<String> = Vec::new();
        let mut all_coverage = true;
        for case in &plan.cases {
            let Some(coverage) = case.as_ref().and_then(expr::enum_coverage) else {
                all_coverage = false;
                break;
            };
            match &subject {
                Some(path) if !path.same_as(&coverage.0) => {
                    all_coverage = false;
                    break;
                }
                Some(_) => {}
                None => subject = Some(coverage.0.clone()),
            }
            covered.extend(coverage.1);
        }
        let Some(subject) = subject.filter(|_| all_coverage) else {
            continue;
        };
        let Some((choices, declared_at, what)) = choices_of(playbook, &subject) else {
            continue;
        };
        let missing: Vec<&String> = choices.iter().filter(|c| !covered.contains(c)).collect();
        if missing.is_empty() {
            continue;
        }
        let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        let noun = if missing.len() == 1 {
            "answer"
        } else {
            "answers"
        };
        diags.push(
            Diagnostic::error(
                Code::NonExhaustiveBranch,
                format!("the {} `{}` has no case for the {noun} {}", branch.keyword.value.name(), step.id.value, list.join(", ")),
            )
            .label(branch.keyword.span, format!("{} not covered", list.join(", ")))
            .label(declared_at, format!("{what} declared here"))
            .help(format!(
                "add a case for {} or an `else` case: otherwise, when the operator answers `{}`, no case is taken and every step this branch leads to is skipped",
                list.join(", "),
                missing[0]
            )),
        );
    }
}

/// The possible values of what a branch switches on: an ask's choices or an
/// enum input's, with where they are declared. `runbook plan` uses it too, to
/// follow one path per answer instead of an impossible "no case holds".
pub fn choices_of(playbook: &Playbook, path: &Path) -> Option<(Vec<String>, Span, &'static str)> {
    match (path.key(0)?, path.len()) {
        ("steps", 3) if path.key(2) == Some("answer") => {
            let id = path.key(1)?;
            let step = playbook.steps.iter().find(|s| s.id.value == id)?;
            match &step.action {
                Action::Ask(ask) => match &ask.answer {
                    AnswerType::Choice(choices) => {
                        let span = choices
                            .first()
                            .map(|c| c.span.to(choices[choices.len() - 1].span))
                            .unwrap_or(ask.span);
                        Some((
                            choices.iter().map(|c| c.value.clone()).collect(),
                            span,
                            "the choices are",
                        ))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        ("inputs", 2) => {
            let name = path.key(1)?;
            let input = playbook.inputs.iter().find(|i| i.name.value == name)?;
            match &input.ty.value {
                InputType::Enum(choices) => Some((
                    choices.iter().map(|c| c.value.clone()).collect(),
                    input.ty.span,
                    "the values are",
                )),
                _ => None,
            }
        }
        _ => None,
    }
}
