//! Ids that now name another step: two steps that swapped ids
//! (`ids_swapped`), or an id another step left and a step renamed or added
//! took (`id_reused`, as when steps numbered `step1`, `step2` are shifted
//! by an insertion). Everything outside the playbook that names a step by
//! id then reaches another one: a journal of a run started before the
//! change (resumed with `--force`), an `--approve ID` or `--answer
//! ID=VALUE` in a script or a runbook page.

use super::{by_effect, Risk, RiskKind, RiskSeverity};
use crate::ast::Effect;
use crate::diff::Sides;

/// One risk per swap and per reused id, at the weight of the more acting
/// of the steps the id named and names (low when both only read).
pub(super) fn assess(sides: &Sides) -> Vec<Risk> {
    let (Some(old), Some(new)) = (sides.old, sides.new) else {
        return Vec::new();
    };
    let weight = |effects: &[Option<Effect>]| {
        let worst = effects.iter().flatten().max().copied();
        worst.and_then(by_effect).unwrap_or(RiskSeverity::Low)
    };
    let new_effect = |id: &str| new.index_of(id).map(|n| new.step_plan(n).effect);
    let mut risks: Vec<Risk> = sides
        .swaps
        .iter()
        .map(|(a, b)| Risk {
            severity: weight(&[new_effect(a), new_effect(b)]),
            kind: RiskKind::IdsSwapped,
            step: a.clone(),
            message: format!(
                "`{a}` and `{b}` swapped ids (each matched by content to the other's old id): an `--approve {a}`, a resumed journal or anything else that names `{a}` now reaches what was `{b}`, and the other way round"
            ),
        })
        .collect();
    let swapped = |id: &str| sides.swaps.iter().any(|(a, b)| a == id || b == id);
    for (n, step) in new.playbook().steps.iter().enumerate() {
        let id = step.id.value.as_str();
        let Some(was) = old.index_of(id) else {
            continue;
        };
        if sides.new_to_old.get(&n) == Some(&was) || swapped(id) {
            continue;
        }
        let now = match sides.new_to_old.get(&n) {
            Some(&o) => format!("the step that was `{}`", sides.old_id(o)),
            None => "a new step".to_string(),
        };
        let then = match sides.old_to_new.get(&was) {
            Some(&m) => format!("is now `{}`", sides.new_id(m)),
            None => "was removed".to_string(),
        };
        risks.push(Risk {
            severity: weight(&[Some(new.step_plan(n).effect), Some(old.step_plan(was).effect)]),
            kind: RiskKind::IdReused,
            step: id.to_string(),
            message: format!(
                "`{id}` now names {now}, and the step it named {then}: an `--approve {id}`, a resumed journal or anything else that names `{id}` now reaches another step"
            ),
        });
    }
    risks
}
