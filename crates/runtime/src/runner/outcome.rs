//! What a run brings back and how it ended.

use crate::event::{RunStatus, StepState};
use runbook_dsl::Span;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A step's result fields and its captured outputs.
pub type Captured = (Map<String, Value>, Map<String, Value>);

/// What a resume brings back from the journal.
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Steps that succeeded, with their results and outputs.
    pub succeeded: HashMap<String, Captured>,
    /// Steps that were running when the run stopped: asked for again.
    pub interrupted: HashSet<String>,
    /// The runs of the playbooks that steps called, by calling step: a
    /// calling step that runs again continues inside its called playbook
    /// (its steps that succeeded do not run again).
    pub called: HashMap<String, Restored>,
    /// The plan hash the run started with (for a called playbook: whether
    /// it changed since).
    pub plan_hash: Option<String>,
}

impl Restored {
    /// Whether there is nothing to restore.
    pub fn is_empty(&self) -> bool {
        self.succeeded.is_empty() && self.interrupted.is_empty() && self.called.is_empty()
    }
}

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
}
