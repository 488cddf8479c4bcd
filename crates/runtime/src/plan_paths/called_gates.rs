//! The gates inside the playbooks that `playbook` steps call, for `runbook
//! plan`: a run stops at them too, and `--approve` names them `CALL.STEP`,
//! so the plan lists them under the calling step instead of leaving the
//! operator to meet them at the prompt; and the destructive steps there
//! that ask no one, which the calling step's effect does not show.

use crate::called_plan::{called_plan, is_call};
use runbook_dsl::analyze::MAX_CALL_DEPTH;
use runbook_dsl::ast::Effect;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use std::collections::HashMap;

/// For each step of `plan` that calls a playbook: the lines that say the
/// gates inside it (and inside what it calls), by address, or why they
/// cannot be known before the run.
pub fn called_gates(plan: &Plan, catalog: &dyn Catalog) -> HashMap<usize, Vec<String>> {
    let mut out = HashMap::new();
    for i in 0..plan.playbook().steps.len() {
        if is_call(plan, i) {
            let mut lines = Vec::new();
            gates_inside(plan, i, "", catalog, 1, &mut lines);
            out.insert(i, lines);
        }
    }
    out
}

/// The gates of the playbook step `index` of `plan` calls, their
/// addresses after `prefix`; `depth` calls deep.
fn gates_inside(
    plan: &Plan,
    index: usize,
    prefix: &str,
    catalog: &dyn Catalog,
    depth: usize,
    lines: &mut Vec<String>,
) {
    let call = format!("{prefix}{}", plan.step(index).0.id.value);
    let called = match called_plan(plan, index, catalog) {
        Ok(called) => called,
        Err(why) => {
            lines.push(format!(
                "the gates in the playbook `{call}` calls are not known before the run: {why}"
            ));
            return;
        }
    };
    let before = lines.len();
    for j in 0..called.playbook().steps.len() {
        let (step, step_plan) = called.step(j);
        if called.is_gated(j) {
            lines.push(format!(
                "◆ {call}.{} [{}, gate in the playbook it calls]",
                step.id.value,
                step_plan.effect.name(),
            ));
        } else if step_plan.effect == Effect::Destructive
            && !called.waits_for_approval(j)
            && !called.is_cleanup(j)
        {
            // What a reviewer of the calling playbook must not miss.
            lines.push(format!(
                "▲ {call}.{} [destructive, NO gate, in the playbook it calls]",
                step.id.value,
            ));
        }
        if is_call(&called, j) && depth < MAX_CALL_DEPTH {
            gates_inside(&called, j, &format!("{call}."), catalog, depth + 1, lines);
        }
    }
    if depth == 1 && !lines[before..].iter().any(|l| l.starts_with('◆')) {
        lines.push("no gate in the playbook it calls".to_string());
    }
}
