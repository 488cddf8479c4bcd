//! A step whose results feed a write or destructive step and whose query,
//! command or selector changed (`feed_changed`): a `WHERE` clause or a
//! label matcher dropped from a read widens what the step it feeds acts on,
//! while the read itself looks like a harmless change. Who feeds whom is
//! the plan's [`crate::plan::StepPlan::reads`] (template reads, `for_each`
//! lists, guards, through computed values), followed through any chain of
//! steps, never the text of a command.

use super::{action_fields, by_effect, Risk, RiskKind};
use crate::ast::{Action, Effect};
use crate::diff::{Sides, StepChange, StepStatus};
use crate::expr::Expr;
use crate::plan::{IterationList, Plan};
use std::collections::VecDeque;

/// One `feed_changed` risk per changed step that feeds a write or
/// destructive step, at the severity of the most acting step it feeds.
pub(super) fn assess(sides: &Sides, changes: &[StepChange]) -> Vec<Risk> {
    let Some(new) = sides.new else {
        return Vec::new();
    };
    // Readers of each step: the reverse of `reads`.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); new.len()];
    for r in 0..new.len() {
        for &source in &new.step_plan(r).reads {
            if source != r {
                readers[source].push(r);
            }
        }
    }
    let mut risks = Vec::new();
    for change in changes {
        if !matches!(change.status, StepStatus::Changed | StepStatus::Renamed) {
            continue;
        }
        let Some(n) = new.index_of(&change.id) else {
            continue;
        };
        if !matches!(new.playbook().steps[n].action, Action::Kind { .. }) {
            continue;
        }
        // What it reads or runs, and what of it the results keep (an
        // output added feeds nothing that read the old ones).
        let mut changed = action_fields(change);
        changed.extend(
            change
                .fields
                .iter()
                .filter(|f| f.old.is_some())
                .map(|f| f.path.as_str())
                .filter(|p| *p == "outputs" || p.starts_with("outputs.")),
        );
        if changed.is_empty() {
            continue;
        }
        let fed = fed_steps(new, &readers, n);
        let Some(worst) = fed.iter().map(|f| new.step_plan(f.step).effect).max() else {
            continue;
        };
        let Some(severity) = by_effect(worst) else {
            continue;
        };
        let id = change.id.as_str();
        let list: Vec<String> = fed.iter().map(|f| f.describe(new, id)).collect();
        risks.push(Risk {
            severity,
            kind: RiskKind::FeedChanged,
            step: id.to_string(),
            message: format!(
                "what `{id}` reads changed (`{}`) and its results feed {}: what they act on, or whether they act, may have changed (a dropped `WHERE` clause, label matcher or selector widens it)",
                changed.join("`, `"),
                list.join(", ")
            ),
        });
    }
    risks
}

/// A write or destructive step fed by the changed one, and the step it
/// reads the feed from (the changed step itself, or one in between).
struct Fed {
    step: usize,
    through: usize,
}

impl Fed {
    fn describe(&self, plan: &Plan, source: &str) -> String {
        let steps = &plan.playbook().steps;
        let id = steps[self.step].id.value.as_str();
        let effect = plan.step_plan(self.step).effect.name();
        let through = steps[self.through].id.value.as_str();
        let how = if through != source {
            format!("through `{through}`")
        } else if loops_over(plan, self.step, source) {
            "its `for_each` list".to_string()
        } else if guarded_by(plan, self.step, source) {
            "its `when` guard".to_string()
        } else {
            "reads them".to_string()
        };
        format!("the {effect} step `{id}` ({how})")
    }
}

/// The write and destructive steps that read `source`'s results, directly
/// or through other steps, in the new plan's order.
fn fed_steps(plan: &Plan, readers: &[Vec<usize>], source: usize) -> Vec<Fed> {
    let mut through: Vec<Option<usize>> = vec![None; plan.len()];
    let mut queue = VecDeque::from([source]);
    while let Some(s) = queue.pop_front() {
        for &r in &readers[s] {
            if r != source && through[r].is_none() {
                through[r] = Some(s);
                queue.push_back(r);
            }
        }
    }
    through
        .iter()
        .enumerate()
        .filter_map(|(step, t)| t.map(|through| Fed { step, through }))
        .filter(|f| plan.step_plan(f.step).effect >= Effect::Write)
        .collect()
}

/// Whether the step's `for_each` list reads `source` (`steps.SOURCE...`).
fn loops_over(plan: &Plan, step: usize, source: &str) -> bool {
    let Some(iteration) = &plan.step_plan(step).iteration else {
        return false;
    };
    match &iteration.list {
        IterationList::Expr(list) => reads_step(list, source),
        IterationList::Literal(_) => false,
    }
}

/// Whether the step's `when:` guard reads `source`: the feed decides
/// whether it acts (its templates may read it too; the guard is named).
fn guarded_by(plan: &Plan, step: usize, source: &str) -> bool {
    let (_, step_plan) = plan.step(step);
    step_plan
        .when
        .as_ref()
        .is_some_and(|w| reads_step(w, source))
}

fn reads_step(expr: &Expr, source: &str) -> bool {
    expr.paths()
        .iter()
        .any(|p| p.key(0) == Some("steps") && p.key(1) == Some(source))
}
