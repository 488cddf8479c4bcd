//! The cleanup phase: when a run stops early (a failure that aborts it, a
//! rejected gate, a signal), the `finally` steps that have not run yet run
//! once the stopped steps have ended, in their order, each once the cleanups
//! it needs have settled. A step that did not run counts as one that will
//! not (its conditional edges are not taken; a cleanup's needs only order
//! it). The stopped run's cancellation has fired, so the phase runs under a
//! token of its own: a signal during the phase (a later one after a signal
//! stopped the run; not one sent before the phase began, which only cut
//! the grace period short) cancels it, and a failing cleanup does not cancel
//! the others (docs/semantics.md, "Cleanup: `finally`"). On a resume that
//! only finishes the cleanups, a calling step whose called playbook's
//! cleanups did not finish runs in the phase too, as a cleanup.

use super::Scheduler;
use crate::event::StepState;
use tokio_util::sync::CancellationToken;

/// Where the cleanup phase stands.
#[derive(Default)]
pub(in crate::runner) struct Cleanup {
    /// The run stopped early and the phase began.
    started: bool,
    /// Cancels the phase on a second signal (when a signal stopped the run).
    watcher: Option<tokio::task::JoinHandle<()>>,
    /// On a resume that finishes the cleanups: the calling steps that run
    /// in the phase, unattended, to finish their called playbooks'
    /// cleanups ([`crate::Restored::unfinished_calls`]).
    pub(in crate::runner) calls: std::collections::HashSet<usize>,
}

impl Cleanup {
    pub(in crate::runner) fn started(&self) -> bool {
        self.started
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
    }
}

impl Scheduler<'_> {
    /// Decides the cleanups that can be decided now, once the run has
    /// stopped early and nothing it started still runs.
    pub(super) fn clean_up(&mut self) {
        if self.stop.is_none() || (!self.cleanup.started && self.running > 0) {
            return;
        }
        let plan = self.plan.clone();
        let steps = &plan.playbook().steps;
        let calls = self.cleanup.calls.clone();
        let cleans = |i: usize| steps[i].is_finally() || calls.contains(&i);
        if !self.cleanup.started {
            if !(0..steps.len()).any(cleans) {
                return;
            }
            self.cleanup.started = true;
            let token = CancellationToken::new();
            if self.interrupt.is_cancelled() {
                // A signal stopped the run: the operator's next one, sent
                // during the cleanup, stops it too. One sent before it
                // began cut the stopped steps' grace period short, and
                // that is all it asked for.
                let interruption = self.shared.options.interruption.clone();
                let seen = interruption.hurries();
                let cancel = token.clone();
                self.cleanup.watcher = Some(tokio::spawn(async move {
                    interruption.hurried_after(seen).await;
                    cancel.cancel();
                }));
            }
            // Otherwise a first signal reaches the scheduler's own
            // interrupt branch, which cancels `abort`: this token.
            self.abort = token;
            // What never ran has no values and did not succeed: a
            // cleanup's `when: succeeded(flag)` is false, not unknown.
            for (i, step) in steps.iter().enumerate() {
                if self.states[i] == StepState::Pending && !cleans(i) {
                    self.scope.settled(
                        &step.id.value,
                        runbook_dsl::expr::StepOutcome::Skipped,
                        "the run stopped before it ran",
                    );
                }
            }
        }
        for &i in plan.order() {
            if self.states[i] != StepState::Pending || !cleans(i) {
                continue;
            }
            let waits = plan.graph().incoming(i).any(|(from, _)| {
                cleans(from) && matches!(self.states[from], StepState::Pending | StepState::Running)
            });
            if !waits {
                self.decide(i);
            }
        }
    }
}
