//! What a step task tells the scheduler loop.

use crate::action::OutputLine;
use crate::event::{Event, StepState};
use runbook_dsl::Span;
use serde_json::{Map, Value};
use std::time::Duration;

/// How a started step ended, as its task reports it.
#[derive(Debug)]
pub(crate) struct StepDone {
    pub(super) index: usize,
    pub(super) state: StepState,
    pub(super) message: Option<String>,
    pub(super) span: Option<Span>,
    pub(super) results: Map<String, Value>,
    pub(super) outputs: Map<String, Value>,
    pub(super) simulated: bool,
    pub(super) attempts: u32,
    pub(super) duration: Duration,
}

/// What a task tells the loop.
pub(crate) enum TaskMsg {
    Output(OutputLine),
    Event(Event),
    /// An event that must be journaled before the task goes on (a step's
    /// start, a gate decision, an answer): the loop answers once it is.
    Recorded(Event, tokio::sync::oneshot::Sender<()>),
    Done(Box<StepDone>),
}

impl StepDone {
    pub(super) fn new(index: usize, state: StepState) -> StepDone {
        StepDone {
            index,
            state,
            message: None,
            span: None,
            results: Map::new(),
            outputs: Map::new(),
            simulated: false,
            attempts: 0,
            duration: Duration::ZERO,
        }
    }
}
