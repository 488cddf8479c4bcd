//! A `playbook` step with no approval of its own that calls a playbook
//! whose `destructive` step runs without approval: the caller's lint is
//! where a reviewer of the calling playbook looks, and its `ungated_write`
//! skips calls (the called steps carry their own gates, linted in their
//! file). A destructive step that carries none would pass unseen there.

use super::{new, LintRule};
use crate::ast::{Effect, Step};
use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::plan::Plan;

pub(super) fn called_ungated_destructive(
    plan: &Plan,
    i: usize,
    step: &Step,
    catalog: &dyn Catalog,
    add: &mut impl FnMut(LintRule, Diagnostic),
) {
    if plan.waits_for_approval(i) {
        return;
    }
    let Some((relative, called)) = super::called_playbook(plan, i, step, catalog) else {
        return;
    };
    let ungated: Vec<&str> = (0..called.len())
        .filter(|&j| {
            called.step_plan(j).effect == Effect::Destructive
                && !called.waits_for_approval(j)
                && !called.is_cleanup(j)
        })
        .map(|j| called.step(j).0.id.value.as_str())
        .collect();
    let Some(first) = ungated.first() else {
        return;
    };
    let more = match ungated.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    add(
        LintRule::UngatedWrite,
        new(format!(
            "`{}` calls `{relative}`, whose destructive step `{first}`{more} runs without approval",
            step.id.value
        ))
        .label(step.id.span, "no approval here, none there")
        .help(format!(
            "give `{first}` an `approval` in `{relative}` (`runbook lint {relative}` lists it), or give `{}` one here",
            step.id.value
        )),
    );
}
