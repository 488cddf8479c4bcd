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
    /// Elements of `for_each` steps that succeeded before the run stopped,
    /// by step: they do not run again.
    pub items: HashMap<String, Vec<RestoredItem>>,
}

/// An element of a loop that succeeded in an earlier part of the run.
#[derive(Clone, Debug)]
pub struct RestoredItem {
    pub index: usize,
    /// Compared with the element at `index` now: a list that changed does
    /// not restore an element it no longer holds there.
    pub label: String,
    pub results: Map<String, Value>,
    pub outputs: Map<String, Value>,
    pub attempts: u32,
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
