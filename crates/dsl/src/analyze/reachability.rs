//! Steps that can never run: behind a case that is never taken, a `when`
//! that is always false, or only after such steps. Reported as warnings.

use crate::ast::{Action, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr;
use crate::graph::{EdgeKind, StepGraph};
use crate::plan::StepPlan;
use fixedbitset::FixedBitSet;
use serde_json::Value;

pub(super) fn mark_unreachable(
    playbook: &Playbook,
    graph: &StepGraph,
    order: &[usize],
    plans: &mut [StepPlan],
    diags: &mut Diagnostics,
) {
    let n = playbook.steps.len();
    // Dead cases: (branch step, case index).
    let mut dead_cases: Vec<(usize, usize)> = Vec::new();
    let mut dead_else = FixedBitSet::with_capacity(n);
    for (i, step) in playbook.steps.iter().enumerate() {
        let Action::Branch(branch) = &step.action else {
            continue;
        };
        let mut always_taken: Option<usize> = None;
        for (c, case) in branch.cases.iter().enumerate() {
            let constant = plans[i]
                .cases
                .get(c)
                .and_then(|e| e.as_ref())
                .and_then(expr::const_eval);
            if let Some(earlier) = always_taken {
                dead_cases.push((i, c));
                diags.push(
                    Diagnostic::warning(Code::UnreachableCase, "this case can never be taken")
                        .label(case.when.span, "never taken")
                        .label(
                            branch.cases[earlier].when.span,
                            "this earlier case is always taken",
                        )
                        .help("remove the case, or fix the earlier condition"),
                );
                continue;
            }
            match constant {
                Some(Value::Bool(false)) | Some(Value::Null) => {
                    dead_cases.push((i, c));
                    diags.push(
                        Diagnostic::warning(
                            Code::UnreachableCase,
                            "this case can never be taken: its condition is always false",
                        )
                        .label(case.when.span, "always false")
                        .help("remove the case, or make its condition depend on a result"),
                    );
                }
                Some(Value::Bool(true)) => always_taken = Some(c),
                _ => {}
            }
        }
        if let (Some(earlier), Some(otherwise)) = (always_taken, &branch.otherwise) {
            dead_else.insert(i);
            diags.push(
                Diagnostic::warning(
                    Code::UnreachableCase,
                    "the `else` of this branch is never taken",
                )
                .label(otherwise.span, "never taken")
                .label(branch.cases[earlier].when.span, "this case is always taken")
                .help("remove the `else`, or fix the condition"),
            );
        }
    }
    let mut reachable = FixedBitSet::with_capacity(n);
    for &i in order {
        let step = &playbook.steps[i];
        let never = plans[i]
            .when
            .as_ref()
            .and_then(expr::const_eval)
            .is_some_and(|v| matches!(v, Value::Bool(false) | Value::Null));
        let mut incoming = graph.incoming(i).peekable();
        let live = if incoming.peek().is_none() {
            true
        } else {
            incoming.any(|(from, edge)| {
                reachable.contains(from)
                    && match &edge.kind {
                        EdgeKind::Case { index, .. } => !dead_cases.contains(&(from, *index)),
                        EdgeKind::Else => !dead_else.contains(from),
                        EdgeKind::Needs | EdgeKind::Failure => true,
                    }
            })
        };
        if live && !never {
            reachable.insert(i);
            continue;
        }
        plans[i].unreachable = true;
        let diagnostic = if never {
            let when = step.when.as_ref().map(|w| w.span).unwrap_or(step.id.span);
            Diagnostic::warning(
                Code::UnreachableStep,
                format!("step `{}` can never run", step.id.value),
            )
            .label(step.id.span, "never runs")
            .label(when, "this guard is always false")
            .help("remove the step, or make its `when` depend on an input or a result")
        } else {
            Diagnostic::warning(Code::UnreachableStep, format!("step `{}` can never run", step.id.value))
                .label(step.id.span, "never runs")
                .help("every edge into it comes from a case that is never taken or a step that never runs")
        };
        diags.push(diagnostic);
    }
}
