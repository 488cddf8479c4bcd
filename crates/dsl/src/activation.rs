//! The readiness rule of docs/semantics.md ("When a step becomes ready",
//! rules 1 and 2): whether the edges into a step let it run once every step
//! with an edge into it has settled. One function, used by the runner, by
//! `runbook plan`'s walk of the paths and by `check`'s reachability walk,
//! so that what `check` and `plan` predict is what a run does. A cleanup
//! (`finally: true`) is decided by its conditional edges alone: the steps it
//! needs order it, however they ended.

use crate::ast::{OnFailure, Step};
use crate::graph::{EdgeKind, StepGraph};

/// How a step with an edge into the decided one ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ended {
    Succeeded,
    Skipped,
    /// Failed or timed out: `on_failure` decides what that does.
    Failed,
    /// Rejected or cancelled: a failure that `continue` does not carry on.
    Stopped,
    /// Not settled (a restored run's gaps): blocks like a failure.
    Unsettled,
}

impl Ended {
    /// What `succeeded(ID)`, `failed(ID)` and `skipped(ID)` see of it
    /// (`None`: not settled).
    pub fn outcome(self) -> Option<crate::expr::StepOutcome> {
        use crate::expr::StepOutcome;
        match self {
            Ended::Succeeded => Some(StepOutcome::Succeeded),
            Ended::Skipped => Some(StepOutcome::Skipped),
            Ended::Failed | Ended::Stopped => Some(StepOutcome::Failed),
            Ended::Unsettled => None,
        }
    }

    /// Takes a failure edge (`on_failure: {goto}`).
    pub fn is_failure(self) -> bool {
        matches!(self, Ended::Failed | Ended::Stopped)
    }
}

/// Why a step does not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// A step it `needs` did not succeed (and did not fail under `continue`).
    Need(usize),
    /// It has conditional edges and none was taken: the first one.
    NotTaken {
        from: usize,
        /// The edge is a failure edge (its source did not fail).
        failure_edge: bool,
    },
    /// It has needs, none of its conditional edges was taken, and every
    /// need was skipped.
    AllNeedsSkipped,
}

/// Whether `step`'s failure carries the procedure on (`on_failure: continue`).
pub fn continues(step: &Step) -> bool {
    matches!(
        step.on_failure.as_ref().map(|f| &f.value),
        Some(OnFailure::Continue)
    )
}

/// Whether `step`'s `on_failure` handles its failure (`continue` or `goto`)
/// instead of stopping the run: such a failure is part of the procedure.
pub fn handles_failure(step: &Step) -> bool {
    matches!(
        step.on_failure.as_ref().map(|f| &f.value),
        Some(OnFailure::Continue | OnFailure::Goto(_))
    )
}

/// Decides step `i`: `ended(j)` is how step `j` ended, `took(branch)` whether
/// the branch `branch` chose `i`. A taken case is a positive decision, so it
/// outweighs needs that were all skipped (but not a need that failed).
pub fn activation(
    graph: &StepGraph,
    steps: &[Step],
    i: usize,
    ended: impl Fn(usize) -> Ended,
    took: impl Fn(usize) -> bool,
) -> Result<(), Blocked> {
    let (mut not_taken, mut taken) = (None, false);
    let (mut needs, mut skipped_needs) = (0, 0);
    // A cleanup's needs only order it: it runs however they ended.
    let finally = steps[i].is_finally();
    for (from, edge) in graph.incoming(i) {
        let state = ended(from);
        match &edge.kind {
            EdgeKind::Needs if finally => {}
            EdgeKind::Needs => {
                needs += 1;
                match state {
                    Ended::Succeeded => {}
                    Ended::Skipped => skipped_needs += 1,
                    // `continue` carries the procedure on: what comes after
                    // runs, and can ask `failed(...)` what happened.
                    Ended::Failed if continues(&steps[from]) => {}
                    _ => return Err(Blocked::Need(from)),
                }
            }
            EdgeKind::Case { .. } | EdgeKind::Else => {
                if state == Ended::Succeeded && took(from) {
                    taken = true;
                } else if not_taken.is_none() {
                    not_taken = Some((from, false));
                }
            }
            EdgeKind::Failure => {
                if state.is_failure() {
                    taken = true;
                } else if not_taken.is_none() {
                    not_taken = Some((from, true));
                }
            }
        }
    }
    if taken {
        return Ok(());
    }
    if let Some((from, failure_edge)) = not_taken {
        return Err(Blocked::NotTaken { from, failure_edge });
    }
    if needs > 0 && skipped_needs == needs {
        return Err(Blocked::AllNeedsSkipped);
    }
    Ok(())
}
