//! `failed(x)` where it can never be true: when `x` aborts the run on
//! failure (the default), nothing after it runs once it has failed, so a
//! guard or a branch case asking `failed(x)` is decided in advance. Authors
//! meet this when they probe something and branch on the probe's failure
//! without `on_failure: continue` — the recovery they wrote never runs.
//! A cleanup (`finally: true`) is the exception: it runs after the failure
//! that stopped the run, where `failed(x)` is true.

use crate::ast::{OnFailure, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{step_argument, Expr, ExprKind};
use crate::plan::StepPlan;

pub(super) fn check(playbook: &Playbook, plans: &[StepPlan], diags: &mut Diagnostics) {
    for (step, plan) in playbook.steps.iter().zip(plans) {
        if step.is_finally() {
            continue;
        }
        let exprs = plan.when.iter().chain(plan.cases.iter().flatten());
        for expr in exprs {
            for (call, target) in failed_calls(expr) {
                let Some(source) = playbook.steps.iter().find(|s| s.id.value == target.value)
                else {
                    continue;
                };
                let aborts = matches!(
                    source.on_failure.as_ref().map(|f| &f.value),
                    None | Some(OnFailure::Abort)
                );
                if !aborts || source.id.value == step.id.value {
                    continue;
                }
                diags.push(
                    Diagnostic::warning(
                        Code::UnreachableCase,
                        format!("`failed({})` is always false here", target.value),
                    )
                    .label(call, format!("never true: if `{}` fails, the run stops", target.value))
                    .help(format!(
                        "`{0}` aborts the run when it fails (the default); give it `on_failure: continue` so that the procedure goes on after its failure, or `on_failure: {{goto: STEP}}` to a recovery step",
                        target.value
                    )),
                );
            }
        }
    }
}

/// Every `failed(step)` call in an expression, with its span and its step.
fn failed_calls(expr: &Expr) -> Vec<(crate::source::Span, crate::source::Spanned<String>)> {
    let mut found = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        if let ExprKind::Call { name, args } = &e.kind {
            if name.value == "failed" {
                if let Some(target) = args.first().and_then(step_argument) {
                    found.push((e.span, target));
                }
            }
        }
        stack.extend(e.children());
    }
    found
}
