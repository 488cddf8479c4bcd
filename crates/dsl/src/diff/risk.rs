//! What a reviewer must look at in a playbook change, with a severity, so CI
//! can stop a pull request that removes a gate (`--fail-on high`).
//!
//! The rules, each a [`RiskKind`] with a stable code:
//! - four-eyes removed from an approval (`by: other`; high before a
//!   destructive step, medium otherwise);
//! - an approval removed (high before a write or destructive step, medium
//!   otherwise), or weakened to the generic question (low);
//! - an effect raised: to `write` medium, to `destructive` high;
//! - an effect lowered: to `read` high (a dry-run now executes the step),
//!   from `destructive` medium (`--yes` now passes its gate, and the
//!   live view stops marking it);
//! - a new or newly writing step without a gate: write medium, destructive high;
//! - what a step does changed (its kind's parameters: a command, a query,
//!   a URL): write low, destructive medium, and low for a read step of a
//!   kind that acts outside the run, since a dry-run executes it;
//! - a timeout removed (medium on a write, low otherwise), a retry removed (low),
//!   a polling deadline (`until.within`) removed (medium);
//! - a step that became unreachable (medium);
//! - a branch that lost its `else` (medium);
//! - a cleanup removed, or no longer `finally` (medium);
//! - the list a write loop runs over changed (medium, high when
//!   destructive), or its elements no longer approved one by one (same);
//! - an input's default changed in a playbook that writes (medium): runs
//!   that do not give it now act elsewhere;
//! - a write step that a branch case or a failure chose now runs on every
//!   path (medium, high when destructive): a case was removed;
//! - a write loop that runs more elements at once, or goes on after an
//!   element fails (medium, high when destructive), and a cleanup whose
//!   `when:` guard changed (medium): see [`loosened`];
//! - what a step that feeds a write or destructive step reads changed
//!   (medium, high when it feeds a destructive step): see `risk/feeds.rs`;
//! - two steps that swapped ids, or an id that another step took (low,
//!   medium or high by the more acting step): see `risk/ids.rs`.

mod feeds;
mod ids;
mod loosened;
mod vars_changed;

use super::{Sides, StepChange, StepStatus};
use crate::ast::{Action, Effect};
use serde::Serialize;

/// How much a reviewer should worry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskSeverity {
    Low,
    Medium,
    High,
}

impl RiskSeverity {
    pub fn name(self) -> &'static str {
        match self {
            RiskSeverity::Low => "low",
            RiskSeverity::Medium => "medium",
            RiskSeverity::High => "high",
        }
    }
}

/// The kinds of risk, each with a stable code (`approval_removed`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    ApprovalRemoved,
    ApprovalWeakened,
    EffectRaised,
    EffectLowered,
    UngatedWrite,
    ActionChanged,
    TimeoutRemoved,
    RetryRemoved,
    DeadlineRemoved,
    BecameUnreachable,
    ElseRemoved,
    FinallyRemoved,
    TargetsChanged,
    InputDefaultChanged,
    BecameUnconditional,
    ParallelRaised,
    ItemFailureContinues,
    CleanupGuardChanged,
    FeedChanged,
    IdsSwapped,
    IdReused,
}

impl RiskKind {
    /// Every kind, for the width of the text output's code column (a new
    /// kind goes here too).
    pub const ALL: [RiskKind; 21] = [
        RiskKind::ApprovalRemoved,
        RiskKind::ApprovalWeakened,
        RiskKind::EffectRaised,
        RiskKind::EffectLowered,
        RiskKind::UngatedWrite,
        RiskKind::ActionChanged,
        RiskKind::TimeoutRemoved,
        RiskKind::RetryRemoved,
        RiskKind::DeadlineRemoved,
        RiskKind::BecameUnreachable,
        RiskKind::ElseRemoved,
        RiskKind::FinallyRemoved,
        RiskKind::TargetsChanged,
        RiskKind::InputDefaultChanged,
        RiskKind::BecameUnconditional,
        RiskKind::ParallelRaised,
        RiskKind::ItemFailureContinues,
        RiskKind::CleanupGuardChanged,
        RiskKind::FeedChanged,
        RiskKind::IdsSwapped,
        RiskKind::IdReused,
    ];

    /// The length of the longest code.
    pub fn code_width() -> usize {
        Self::ALL.iter().map(|k| k.code().len()).max().unwrap_or(0)
    }

    pub fn code(self) -> &'static str {
        match self {
            RiskKind::ApprovalRemoved => "approval_removed",
            RiskKind::ApprovalWeakened => "approval_weakened",
            RiskKind::EffectRaised => "effect_raised",
            RiskKind::EffectLowered => "effect_lowered",
            RiskKind::UngatedWrite => "ungated_write",
            RiskKind::ActionChanged => "action_changed",
            RiskKind::TimeoutRemoved => "timeout_removed",
            RiskKind::RetryRemoved => "retry_removed",
            RiskKind::DeadlineRemoved => "deadline_removed",
            RiskKind::BecameUnreachable => "became_unreachable",
            RiskKind::ElseRemoved => "else_removed",
            RiskKind::FinallyRemoved => "finally_removed",
            RiskKind::TargetsChanged => "targets_changed",
            RiskKind::InputDefaultChanged => "input_default_changed",
            RiskKind::BecameUnconditional => "became_unconditional",
            RiskKind::ParallelRaised => "parallel_raised",
            RiskKind::ItemFailureContinues => "item_failure_continues",
            RiskKind::CleanupGuardChanged => "cleanup_guard_changed",
            RiskKind::FeedChanged => "feed_changed",
            RiskKind::IdsSwapped => "ids_swapped",
            RiskKind::IdReused => "id_reused",
        }
    }
}

/// One thing a reviewer must look at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Risk {
    pub severity: RiskSeverity,
    pub kind: RiskKind,
    /// The step concerned (its new id; its old id when it was removed).
    pub step: String,
    pub message: String,
}

/// How much a change to a step of this effect weighs: nothing for a read,
/// medium for a write, high for a destructive step.
fn by_effect(effect: Effect) -> Option<RiskSeverity> {
    match effect {
        Effect::Read => None,
        Effect::Write => Some(RiskSeverity::Medium),
        Effect::Destructive => Some(RiskSeverity::High),
    }
}

fn ungated(severity_of: Effect, step: &str, why: &str) -> Option<Risk> {
    let severity = by_effect(severity_of)?;
    Some(Risk {
        severity,
        kind: RiskKind::UngatedWrite,
        step: step.to_string(),
        message: format!(
            "{why} `{step}` is {} and runs without an approval",
            severity_of.name()
        ),
    })
}

pub(super) fn assess(sides: &Sides, changes: &[StepChange]) -> Vec<Risk> {
    let mut risks = Vec::new();
    let mut push = |severity, kind, step: &str, message: String| {
        risks.push(Risk {
            severity,
            kind,
            step: step.to_string(),
            message,
        })
    };
    for change in changes {
        match change.status {
            StepStatus::Added => {
                let (Some(new), Some(n)) =
                    (sides.new, sides.new.and_then(|p| p.index_of(&change.id)))
                else {
                    continue;
                };
                // A cleanup is not asked to be gated (see `Plan::is_cleanup`).
                if !new.waits_for_approval(n) && !new.is_cleanup(n) {
                    if let Some(r) = ungated(new.step_plan(n).effect, &change.id, "the new step") {
                        push(r.severity, r.kind, &r.step, r.message);
                    }
                }
            }
            StepStatus::Changed | StepStatus::Renamed if acts(sides, change) => {
                let changed = action_fields(change);
                if !changed.is_empty() {
                    let severity = if change.effect == Effect::Destructive {
                        RiskSeverity::Medium
                    } else {
                        RiskSeverity::Low
                    };
                    let why = if change.effect == Effect::Read {
                        "`run --dry-run` runs this step too, so read the new version"
                    } else {
                        "read the new version"
                    };
                    push(
                        severity,
                        RiskKind::ActionChanged,
                        &change.id,
                        format!(
                            "what the {} step `{}` does changed (`{}`): {why}",
                            change.effect.name(),
                            change.id,
                            changed.join("`, `")
                        ),
                    );
                }
            }
            StepStatus::Removed => {
                let old_step = sides
                    .old
                    .and_then(|p| p.index_of(&change.id).map(|o| &p.playbook().steps[o]));
                if old_step.is_some_and(|s| s.is_finally()) {
                    push(
                        RiskSeverity::Medium,
                        RiskKind::FinallyRemoved,
                        &change.id,
                        format!(
                            "the cleanup `{}` was removed: what it undid stays in place when a run stops early",
                            change.id
                        ),
                    );
                }
            }
            // A removed `approve` step is reported on each step it gated.
            StepStatus::Changed | StepStatus::Renamed => {}
        }
    }
    for r in ids::assess(sides)
        .into_iter()
        .chain(feeds::assess(sides, changes))
    {
        push(r.severity, r.kind, &r.step, r.message);
    }
    let (Some(old), Some(new)) = (sides.old, sides.new) else {
        return risks;
    };
    // A loop that is new is an addition, not a changed target list.
    for r in vars_changed::assess(old, new, &|n| sides.new_to_old.contains_key(&n)) {
        push(r.severity, r.kind, &r.step, r.message);
    }
    let writes = (0..new.len()).any(|n| new.step_plan(n).effect >= Effect::Write);
    for input in &new.playbook().inputs {
        let name = &input.name.value;
        let Some(was) = old.playbook().inputs.iter().find(|i| &i.name.value == name) else {
            continue;
        };
        let shown = |d: &Option<crate::node::Node>| d.as_ref().map(|n| n.to_json().to_string());
        let (before, after) = (shown(&was.default), shown(&input.default));
        if writes && before.is_some() && before != after {
            push(
                RiskSeverity::Medium,
                RiskKind::InputDefaultChanged,
                name,
                format!(
                    "the default of the input `{name}` changed from {} to {}: a run that does not give it now acts on the new value",
                    before.unwrap_or_default(),
                    after.unwrap_or_else(|| "none (it must be given)".into())
                ),
            );
        }
    }
    for (n, step) in new.playbook().steps.iter().enumerate() {
        let Some(&o) = sides.new_to_old.get(&n) else {
            continue;
        };
        let old_step = &old.playbook().steps[o];
        let id = step.id.value.as_str();
        let (old_plan, new_plan) = (old.step_plan(o), new.step_plan(n));
        let (was_gated, is_gated) = (old.waits_for_approval(o), new.waits_for_approval(n));
        if was_gated && !is_gated {
            let severity = if new_plan.effect >= Effect::Write {
                RiskSeverity::High
            } else {
                RiskSeverity::Medium
            };
            push(
                severity,
                RiskKind::ApprovalRemoved,
                id,
                format!(
                    "the approval before `{id}` was removed: this {} step now runs without asking",
                    new_plan.effect.name()
                ),
            );
        } else if let (Some(old_gate), Some(new_gate)) = (&old_step.approval, &step.approval) {
            if old_gate.by_other() && !new_gate.by_other() {
                let severity = if new_plan.effect == Effect::Destructive {
                    RiskSeverity::High
                } else {
                    RiskSeverity::Medium
                };
                push(
                    severity,
                    RiskKind::ApprovalWeakened,
                    id,
                    format!(
                        "the approval of `{id}` no longer needs a second person (`by: other` removed): whoever runs the playbook may approve this {} step",
                        new_plan.effect.name()
                    ),
                );
            }
            if old_gate.question.is_some() && new_gate.question.is_none() {
                push(
                    RiskSeverity::Low,
                    RiskKind::ApprovalWeakened,
                    id,
                    format!(
                        "the approval of `{id}` lost its question: the operator is asked a generic one"
                    ),
                );
            }
        }
        if new_plan.effect > old_plan.effect {
            let severity = if new_plan.effect == Effect::Destructive {
                RiskSeverity::High
            } else {
                RiskSeverity::Medium
            };
            push(
                severity,
                RiskKind::EffectRaised,
                id,
                format!(
                    "the effect of `{id}` was raised from {} to {}",
                    old_plan.effect.name(),
                    new_plan.effect.name()
                ),
            );
            if !is_gated && !was_gated && !new.is_cleanup(n) {
                if let Some(r) = ungated(new_plan.effect, id, "the step") {
                    push(r.severity, r.kind, &r.step, r.message);
                }
            }
        }
        if new_plan.effect < old_plan.effect {
            let (severity, consequence) = if new_plan.effect == Effect::Read {
                (RiskSeverity::High, "a dry-run now executes it")
            } else if is_gated {
                (
                    RiskSeverity::Medium,
                    "`--yes` now passes its gate, which needed `--approve` by name",
                )
            } else {
                (
                    RiskSeverity::Medium,
                    "it is no longer marked destructive where it is shown",
                )
            };
            push(
                severity,
                RiskKind::EffectLowered,
                id,
                format!(
                    "the effect of `{id}` was lowered from {} to {}: {consequence}",
                    old_plan.effect.name(),
                    new_plan.effect.name()
                ),
            );
        }
        if let (Some(was), Some(now)) = (&old_step.for_each, &step.for_each) {
            let severity = by_effect(new_plan.effect);
            // Compared as the new plan names steps: a renamed step read
            // by the list is the same list.
            let before = sides.renamed(&list_of(was));
            let after = list_of(now);
            if let Some(severity) = severity.filter(|_| before != after) {
                push(
                    severity,
                    RiskKind::TargetsChanged,
                    id,
                    format!(
                        "the {} step `{id}` now runs over {after} instead of {before}: it acts on other targets (does its gate's question still say which?)",
                        new_plan.effect.name()
                    ),
                );
            }
            let per_item = was.approval_per_item() && !now.approval_per_item();
            if let Some(severity) = severity.filter(|_| per_item && is_gated) {
                push(
                    severity,
                    RiskKind::ApprovalWeakened,
                    id,
                    format!(
                        "the elements of `{id}` are no longer approved one by one (`approval_per_item` removed): one approval covers every target"
                    ),
                );
            }
        }
        for r in loosened::assess(sides, old_step, step, new_plan) {
            push(r.severity, r.kind, &r.step, r.message);
        }
        if old_step.is_finally() && !step.is_finally() {
            push(
                RiskSeverity::Medium,
                RiskKind::FinallyRemoved,
                id,
                format!(
                    "`{id}` is no longer a cleanup (`finally` removed): it does not run when a run stops early (a failure, a rejected gate, a signal), so what it undoes can stay in place"
                ),
            );
        }
        if old_step.timeout.is_some() && step.timeout.is_none() {
            let severity = if new_plan.effect >= Effect::Write {
                RiskSeverity::Medium
            } else {
                RiskSeverity::Low
            };
            push(
                severity,
                RiskKind::TimeoutRemoved,
                id,
                format!("the timeout of `{id}` was removed: it can now hang the run"),
            );
        }
        if old_step.retry.is_some() && step.retry.is_none() {
            push(
                RiskSeverity::Low,
                RiskKind::RetryRemoved,
                id,
                format!("the retry of `{id}` was removed: one transient failure now fails it"),
            );
        }
        let had_deadline = old_step.until.as_ref().is_some_and(|u| u.within.is_some());
        let has_deadline = step.until.as_ref().is_none_or(|u| u.within.is_some());
        if had_deadline && !has_deadline {
            push(
                RiskSeverity::Medium,
                RiskKind::DeadlineRemoved,
                id,
                format!("the polling deadline (`until.within`) of `{id}` was removed: it can poll forever"),
            );
        }
        let conditional = |plan: &crate::plan::Plan, i: usize| {
            plan.graph()
                .incoming(i)
                .any(|(_, e)| !matches!(e.kind, crate::graph::EdgeKind::Needs))
        };
        let severity = by_effect(new_plan.effect);
        if let Some(severity) = severity.filter(|_| conditional(old, o) && !conditional(new, n)) {
            let when = if new.graph().incoming(n).next().is_none() {
                "it now starts with the run, on every path"
            } else {
                "it now runs on every path that reaches its needs"
            };
            push(
                severity,
                RiskKind::BecameUnconditional,
                id,
                format!(
                    "the {} step `{id}` is no longer chosen by a branch case or a failure: {when}",
                    new_plan.effect.name()
                ),
            );
        }
        if !old_plan.unreachable && new_plan.unreachable {
            push(
                RiskSeverity::Medium,
                RiskKind::BecameUnreachable,
                id,
                format!("`{id}` became unreachable: no path of the new graph runs it"),
            );
        }
        if let (Action::Branch(old_branch), Action::Branch(new_branch)) =
            (&old_step.action, &step.action)
        {
            if old_branch.otherwise.is_some() && new_branch.otherwise.is_none() {
                push(
                    RiskSeverity::Medium,
                    RiskKind::ElseRemoved,
                    id,
                    format!(
                        "the {} `{id}` lost its `else`: when no case holds, nothing after it runs",
                        new_branch.keyword.value.name()
                    ),
                );
            }
        }
    }
    risks
}

/// The changed fields of a step that are its kind's parameters (`sql.query`,
/// `shell`): what it does.
fn action_fields(change: &StepChange) -> Vec<&str> {
    let kind = change.kind.as_str();
    change
        .fields
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| {
            *p == kind
                || p.strip_prefix(kind)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
        .collect()
}

/// Whether a change to what a step does is a risk: a write or destructive
/// step acts, and so does a read step of a kind that acts outside the run
/// (`shell`, `sql`, `http`: not `log`, `assert`, `wait`), because a
/// dry-run executes read steps.
fn acts(sides: &Sides, change: &StepChange) -> bool {
    if change.effect >= Effect::Write {
        return true;
    }
    let Some(new) = sides.new else {
        return false;
    };
    new.index_of(&change.id).is_some_and(|n| {
        matches!(new.playbook().steps[n].action, Action::Kind { .. })
            && !new.step_plan(n).capabilities.pure
    })
}

/// What a loop runs over, as written: its expression, or its literal list.
fn list_of(each: &crate::ast::ForEach) -> String {
    match &each.list {
        crate::ast::ForEachList::Expr(text) => format!("`{}`", text.value.trim()),
        crate::ast::ForEachList::Literal(node) => format!("`{}`", node.to_json()),
    }
}
