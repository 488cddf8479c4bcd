//! How a run ended (and, re-exported, what a resume brings back).

use crate::event::{RunStatus, StepState};
use runbook_dsl::Span;

pub use crate::restored::{Captured, ItemCall, Restored, RestoredItem};

/// The step whose failure ended the run, for the terminal's report.
#[derive(Clone, Debug)]
pub struct Failure {
    pub step: usize,
    pub state: StepState,
    pub message: String,
    /// A more precise place than the step, when known (a template, an expression).
    pub span: Option<Span>,
    /// `on_failure: continue` or `goto` took care of it: the run went on.
    pub handled: bool,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub states: Vec<StepState>,
    /// Failures, in the order they happened.
    pub failures: Vec<Failure>,
    /// The signal that interrupted the run: this part's, or, for a resume
    /// that only finished the cleanups, the one that had stopped it.
    pub signal: Option<String>,
    /// When it stopped early: the cleanups that ran ([`cleanups_ran`]).
    pub cleaned_up: Vec<String>,
    /// The cleanups that did not finish ([`unfinished_cleanups`]).
    pub cleanup_unfinished: Vec<String>,
}

/// The ids of the cleanups (`finally` steps) of `plan` that succeeded.
pub fn cleanups_ran(plan: &runbook_dsl::plan::Plan, states: &[StepState]) -> Vec<String> {
    plan.playbook()
        .steps
        .iter()
        .zip(states)
        .filter(|(step, state)| step.is_finally() && **state == StepState::Succeeded)
        .map(|(step, _)| step.id.value.clone())
        .collect()
}

/// The cleanups (`finally` steps) of `plan` that did not finish, each as
/// `` `ID` (state) `` (`not run` for one the run never reached): a second
/// signal stopped them, one failed, or the run stopped before them.
pub fn unfinished_cleanups(plan: &runbook_dsl::plan::Plan, states: &[StepState]) -> Vec<String> {
    plan.playbook()
        .steps
        .iter()
        .zip(states)
        .filter(|(step, state)| {
            step.is_finally() && !matches!(state, StepState::Succeeded | StepState::Skipped)
        })
        .map(|(step, state)| {
            let how = match state {
                StepState::Pending => "not run",
                other => other.name(),
            };
            format!("`{}` ({how})", step.id.value)
        })
        .collect()
}
