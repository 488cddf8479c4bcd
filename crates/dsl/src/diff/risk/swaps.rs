//! Two steps that swapped ids (`ids_swapped`): everything outside the
//! playbook that names a step by id now names the other one. A journal of
//! a run started before the change (resumed with `--force`), an
//! `--approve ID` or `--answer ID=VALUE` in a script or a runbook page:
//! each now reaches the step that was the other.

use super::{by_effect, Risk, RiskKind, RiskSeverity};
use crate::diff::Sides;

/// One risk per swap, at the weight of the more acting of the two steps
/// (low when both only read).
pub(super) fn assess(sides: &Sides) -> Vec<Risk> {
    let Some(new) = sides.new else {
        return Vec::new();
    };
    let effect = |id: &str| new.index_of(id).map(|n| new.step_plan(n).effect);
    sides
        .swaps
        .iter()
        .map(|(a, b)| {
            let worst = effect(a).max(effect(b));
            Risk {
                severity: worst.and_then(by_effect).unwrap_or(RiskSeverity::Low),
                kind: RiskKind::IdsSwapped,
                step: a.clone(),
                message: format!(
                    "`{a}` and `{b}` swapped ids (each matched by content to the other's old id): an `--approve {a}`, a resumed journal or anything else that names `{a}` now reaches what was `{b}`, and the other way round"
                ),
            }
        })
        .collect()
}
