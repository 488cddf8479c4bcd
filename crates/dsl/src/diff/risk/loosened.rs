//! Risks of a step that stayed the same but runs under looser rules: a
//! write loop that now runs elements side by side or goes on past a failed
//! one (a mistake then reaches many targets before anyone can stop it), and
//! a cleanup whose `when:` guard changed (it may now undo what was never
//! done, or no longer undo what was).

use super::{by_effect, Risk, RiskKind, RiskSeverity};
use crate::ast::{ItemFailure, Step};
use crate::diff::Sides;
use crate::plan::StepPlan;

/// The loosened rules of one step matched in both plans, `old` renamed to
/// the new plan's ids already where it matters.
pub(super) fn assess(sides: &Sides, old: &Step, new: &Step, plan: &StepPlan) -> Vec<Risk> {
    let id = new.id.value.as_str();
    let effect = plan.effect.name();
    let mut risks = Vec::new();
    if let (Some(was), Some(now), Some(severity)) =
        (&old.for_each, &new.for_each, by_effect(plan.effect))
    {
        if now.parallel() > was.parallel() {
            risks.push(Risk {
                severity,
                kind: RiskKind::ParallelRaised,
                step: id.to_string(),
                message: format!(
                    "the {effect} loop `{id}` now runs {} elements at once instead of {}: a mistake reaches more targets before the first failure stops it",
                    now.parallel(),
                    was.parallel()
                ),
            });
        }
        if was.on_item_failure() == ItemFailure::Stop
            && now.on_item_failure() == ItemFailure::Continue
        {
            risks.push(Risk {
                severity,
                kind: RiskKind::ItemFailureContinues,
                step: id.to_string(),
                message: format!(
                    "the {effect} loop `{id}` now goes on after an element fails (`on_item_failure: continue`): a failure no longer stops it before the next target"
                ),
            });
        }
    }
    if old.is_finally() && new.is_finally() {
        let guard = |when: Option<String>| when.map(|w| w.trim().to_string());
        let before = guard(old.when.as_ref().map(|w| sides.renamed(&w.value)));
        let after = guard(new.when.as_ref().map(|w| w.value.clone()));
        if before != after {
            let shown = |w: &Option<String>| {
                w.as_ref()
                    .map_or_else(|| "none (it always runs)".to_string(), |w| format!("`{w}`"))
            };
            risks.push(Risk {
                severity: RiskSeverity::Medium,
                kind: RiskKind::CleanupGuardChanged,
                step: id.to_string(),
                message: format!(
                    "the guard of the cleanup `{id}` changed from {} to {}: does it still run exactly when there is something to undo?",
                    shown(&before),
                    shown(&after)
                ),
            });
        }
    }
    risks
}
