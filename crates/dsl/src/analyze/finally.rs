//! A cleanup (`finally: true`) runs when the run stops, after a rejected
//! gate or on a signal too, where nobody may be there to answer: it cannot
//! wait for a person (an approval gate, an `ask`, a `manual` step). A
//! branch cannot be one: the steps it would choose are not cleanups and
//! would not run when the run stops. And a cleanup must come after the
//! work that follows its setup: with its needs only ordering it, a cleanup
//! that needs just the silence expires it at once, while the work runs.

use crate::activation::Ended;
use crate::ast::{Action, Playbook};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::graph::{Ancestry, StepGraph};

pub(super) fn check(playbook: &Playbook, diags: &mut Diagnostics) {
    for step in &playbook.steps {
        let Some(at) = &step.finally else {
            continue;
        };
        if let Action::Branch(branch) = &step.action {
            diags.push(
                Diagnostic::error(
                    Code::FinallyBranch,
                    format!("the branch `{}` cannot be a cleanup", step.id.value),
                )
                .label(branch.keyword.span, "decides what runs next")
                .label(**at, "marked `finally`")
                .help("when the run stops, only `finally` steps run, so the steps a branch chooses would not: mark those steps `finally` instead, each with a `when:` that says when it applies"),
            );
            continue;
        }
        let waits = match (&step.action, &step.approval) {
            (Action::Ask(ask), _) => Some((ask.span, "an `ask` waits for an answer")),
            (Action::Manual { span, .. }, _) => {
                Some((*span, "a `manual` step waits for a person to confirm"))
            }
            (_, Some(approval)) => Some((approval.span, "this gate waits for an approval")),
            _ => None,
        };
        let Some((span, what)) = waits else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::FinallyWaits,
                format!("the cleanup `{}` waits for a person", step.id.value),
            )
            .label(span, what)
            .label(**at, "runs when the run stops, a signal or a rejection included")
            .help("a `finally` step must be able to run unattended: drop the gate (make the cleanup safe to run at any time, such as expiring a silence by its id), or make it an ordinary step"),
        );
    }
}

/// Warns of a cleanup that work can run after or alongside: a step that
/// comes after one of the cleanup's needs (its setup) and is neither
/// upstream nor downstream of the cleanup. A cleanup that needs nothing
/// runs when the run starts.
pub(super) fn check_order(
    playbook: &Playbook,
    graph: &StepGraph,
    ancestry: &Ancestry,
    diags: &mut Diagnostics,
) {
    for (f, cleanup) in playbook.steps.iter().enumerate() {
        let Some(at) = &cleanup.finally else {
            continue;
        };
        let needs: Vec<usize> = graph.incoming(f).map(|(from, _)| from).collect();
        if needs.is_empty() {
            diags.push(
                Diagnostic::warning(
                    Code::FinallyUnordered,
                    format!("the cleanup `{}` needs nothing: it runs when the run starts", cleanup.id.value),
                )
                .label(**at, "undoes nothing yet at the start")
                .help("list in `needs` the step it undoes and the work done under it (`needs: [quiet, restart]`): its needs only order it, it runs however they end"),
            );
            continue;
        }
        let unordered = playbook.steps.iter().enumerate().find_map(|(w, work)| {
            let apart = w != f
                && !work.is_finally()
                && !ancestry.is_upstream(w, f)
                && !ancestry.is_upstream(f, w);
            let setup = needs.iter().find(|&&n| ancestry.is_upstream(n, w))?;
            apart.then_some((work, playbook.steps[*setup].id.value.as_str()))
        });
        if let Some((work, setup)) = unordered {
            diags.push(
                Diagnostic::warning(
                    Code::FinallyUnordered,
                    format!(
                        "the cleanup `{}` can run before or during `{}`",
                        cleanup.id.value, work.id.value
                    ),
                )
                .label(work.id.span, format!("comes after `{setup}`, and the cleanup does not wait for it"))
                .label(**at, "runs once its needs have ended")
                .help(format!(
                    "add `{}` to the cleanup's `needs` (its needs only order it: it runs however `{}` ends)",
                    work.id.value, work.id.value
                )),
            );
        }
    }
}

/// Warns of a cleanup that fails when a step it reads did not succeed
/// (`expire: "{{steps.quiet.id}}"` after a failed `quiet`): a cleanup runs
/// however its needs ended, so unless its `when` says `succeeded(quiet)`,
/// it runs and cannot fill in what it reads.
pub(super) fn check_reads(
    playbook: &Playbook,
    plans: &[crate::plan::StepPlan],
    vars: &std::collections::HashMap<&str, &crate::expr::Expr>,
    diags: &mut Diagnostics,
) {
    let index: std::collections::HashMap<&str, usize> = playbook
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.value.as_str(), i))
        .collect();
    let is_loop = |j: usize| playbook.steps[j].for_each.is_some();
    for (f, cleanup) in playbook.steps.iter().enumerate() {
        if !cleanup.is_finally() {
            continue;
        }
        for &r in &plans[f].reads {
            if playbook.steps[r].is_finally() {
                continue;
            }
            // `r` failed, or never ran (the run stopped before it). A step
            // that needs it did not succeed then either: failed (not under
            // `on_failure: continue`), `r` skips what needs it; not run,
            // nothing after it ran. So `when: succeeded(after_r)` guards
            // the cleanup as `succeeded(r)` would.
            let carries_on = matches!(
                playbook.steps[r].on_failure.as_ref().map(|o| &o.value),
                Some(crate::ast::OnFailure::Continue)
            );
            let setup = playbook.steps[r].id.value.as_str();
            let needs_r = |j: usize| playbook.steps[j].needs.iter().any(|n| n.value == setup);
            let read = [Ended::Failed, Ended::Skipped].into_iter().find_map(|how| {
                let ended = |j: usize| {
                    if j == r {
                        how
                    } else if needs_r(j) && !(how == Ended::Failed && carries_on) {
                        Ended::Skipped
                    } else {
                        Ended::Unsettled
                    }
                };
                let values = super::skipped_reads::PathValues::new(&index, &ended, vars)
                    .failed_has_none(&is_loop);
                // Its guard decides first: `when: succeeded(quiet)` keeps it
                // from running.
                if let Some(when) = &plans[f].when {
                    if matches!(
                        crate::expr::eval(when, &values),
                        Ok(crate::expr::Outcome::Known(serde_json::Value::Bool(false)))
                    ) {
                        return None;
                    }
                }
                super::skipped_reads::first(&plans[f], &values)
            });
            let Some(read) = read else {
                continue;
            };
            diags.push(
                Diagnostic::warning(
                    Code::FinallyUnguardedRead,
                    format!(
                        "the cleanup `{}` fails when `{setup}` did not succeed: it reads its result",
                        cleanup.id.value
                    ),
                )
                .label(read.span, format!("has no value when `{setup}` failed or did not run"))
                .label(cleanup.id.span, "runs however its needs ended")
                .help(if playbook.steps[r].for_each.is_some() {
                    format!(
                        "guard it with `when: succeeded({setup}) || failed({setup})` (in .runbook, `when succeeded({setup}) || failed({setup})`): a loop that failed or was rejected may have done some of its elements, which `steps.{setup}.results` lists; `succeeded({setup})` alone would leave those in place"
                    )
                } else {
                    format!(
                        "guard it with `when: succeeded({setup})` (in .runbook, `when succeeded({setup})`): then it undoes `{setup}` only when `{setup}` was done"
                    )
                }),
            );
            break;
        }
    }
}
