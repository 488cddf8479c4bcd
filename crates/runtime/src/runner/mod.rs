//! The scheduler: runs a [`Plan`]'s steps as their dependencies settle.
//!
//! Shape (after moonrepo's runner): a ready queue over the DAG, one tokio
//! task per started step in a `JoinSet`, a `Semaphore` for `--jobs`, a
//! `CancellationToken` tree (run -> step -> attempt) for abort, interruption
//! and timeouts, and one channel on which tasks report output lines, gate
//! events and their end. Only this loop publishes events, so they are in
//! order, and a step's end is journaled before any step that follows it
//! starts. The readiness rules are written down in `docs/semantics.md`.

use crate::action::Executors;
use crate::bus::EventBus;
use crate::operator::{Operator, Prompts};
use crate::scope::Scope;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

mod attempts;
mod branch;
mod element_labels;
mod gates;
mod iteration;
mod options;
mod outcome;
mod output_pieces;
mod scheduler;
mod step_task;

pub(crate) use element_labels::{default_label as iteration_label, labels as element_labels};
pub use options::RunOptions;
pub use outcome::{
    unfinished_cleanups, Captured, Failure, ItemCall, Restored, RestoredItem, RunOutcome,
};
pub(crate) use scheduler::ended;
use scheduler::Scheduler;

/// Runs plans.
pub struct Runner {
    plan: Arc<Plan>,
    actions: Arc<dyn Executors>,
    operator: Arc<dyn Operator>,
    options: RunOptions,
}

/// What step tasks share.
struct Shared {
    plan: Arc<Plan>,
    actions: Arc<dyn Executors>,
    operator: Arc<dyn Operator>,
    options: RunOptions,
    jobs: Semaphore,
    /// One prompt at a time on the terminal.
    prompt: Prompts,
}

impl Runner {
    pub fn new(
        plan: Arc<Plan>,
        actions: Arc<dyn Executors>,
        operator: Arc<dyn Operator>,
        options: RunOptions,
    ) -> Runner {
        Runner {
            plan,
            actions,
            operator,
            options,
        }
    }

    /// Runs the plan to the end, an abort, or `cancel` (Ctrl-C), publishing
    /// every event on `bus`. The caller publishes `RunStarted` first.
    pub async fn run(
        self,
        bus: &mut EventBus,
        inputs: Map<String, Value>,
        restored: Restored,
        cancel: CancellationToken,
    ) -> RunOutcome {
        let jobs = self.options.jobs.max(1);
        let prompt = self.options.prompt.clone();
        let shared = Arc::new(Shared {
            plan: self.plan.clone(),
            actions: self.actions,
            operator: self.operator,
            options: self.options,
            jobs: Semaphore::new(jobs),
            prompt,
        });
        let mut scheduler = Scheduler::new(shared, bus, Scope::new(inputs), cancel);
        scheduler.restore(restored);
        scheduler.run().await
    }
}
