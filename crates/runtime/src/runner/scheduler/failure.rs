//! What a failed step does to the run: its `on_failure` decides, except
//! that a rejection stops the run whatever it says, and a failing cleanup
//! does not stop the other cleanups.

use super::Scheduler;
use crate::event::{RunStatus, StepState};
use crate::runner::outcome::Failure;
use runbook_dsl::ast::OnFailure;
use runbook_dsl::Span;

impl Scheduler<'_> {
    /// What a failure does to the run: `on_failure` decides.
    pub(super) fn failed(
        &mut self,
        i: usize,
        message: &Option<String>,
        state: StepState,
        span: Option<Span>,
    ) {
        let step = self.plan.step(i).0;
        let on_failure = step
            .on_failure
            .as_ref()
            .map(|o| &o.value)
            .unwrap_or(&OnFailure::Abort);
        let message = message
            .clone()
            .unwrap_or_else(|| format!("step `{}` {}", step.id.value, state.name()));
        match (state, on_failure) {
            // Cancelled by an abort or Ctrl-C: the cause is already recorded.
            (StepState::Cancelled, _) => {}
            // A rejection stops the run whatever `on_failure` says.
            (StepState::Rejected, _) | (_, OnFailure::Abort) => {
                self.failures.push(Failure {
                    step: i,
                    state,
                    message,
                    span,
                    handled: false,
                });
                if self.stop.is_none() {
                    self.stop = Some(if state == StepState::Rejected {
                        RunStatus::Rejected
                    } else {
                        RunStatus::Failed
                    });
                }
                // A failing cleanup does not stop the other cleanups.
                if !self.cleanup.started() {
                    self.abort.cancel();
                }
            }
            (_, OnFailure::Continue | OnFailure::Goto(_)) => {
                self.failures.push(Failure {
                    step: i,
                    state,
                    message,
                    span,
                    handled: true,
                });
            }
        }
    }
}
