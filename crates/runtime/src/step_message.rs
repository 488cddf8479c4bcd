//! What a step's task tells the scheduler loop, on one channel so that its
//! output lines, its events and its end arrive in order. Its own module
//! because both sides use it: the runner's loop receives, and an action's
//! line sink (`action::LineSink`) sends the lines and relayed events.

use crate::event::{Event, Record, StepState, Stream};
use runbook_dsl::Span;
use serde_json::{Map, Value};
use std::time::Duration;

/// How a started step ended, as its task reports it.
#[derive(Debug)]
pub(crate) struct StepDone {
    pub(crate) index: usize,
    pub(crate) state: StepState,
    pub(crate) message: Option<String>,
    pub(crate) span: Option<Span>,
    pub(crate) results: Map<String, Value>,
    pub(crate) outputs: Map<String, Value>,
    pub(crate) simulated: bool,
    pub(crate) attempts: u32,
    pub(crate) duration: Duration,
    /// It failed as given ([`crate::ActionResult::misconfigured`]).
    pub(crate) misconfigured: bool,
}

/// A line of live output, as it travels to the runner.
#[derive(Clone, Debug)]
pub struct OutputLine {
    pub step: String,
    pub stream: Stream,
    pub line: String,
    /// This piece continues the previous one of the stream (see
    /// [`crate::Event::StepOutput`]).
    pub continues: bool,
    /// The line goes on in a next piece (the reader cut it at its piece
    /// size): the runner may hold the piece's end back to mask a secret
    /// printed across the cut.
    pub open: bool,
    /// The line ended with `\r\n` (see [`crate::Event::StepOutput`]).
    pub crlf: bool,
    /// The loop element that printed it.
    pub item: Option<usize>,
}

/// What a task tells the loop.
pub(crate) enum TaskMsg {
    Output(OutputLine),
    Event(Event),
    /// A called playbook's record, journaled already (see
    /// [`crate::EventBus::relay`]).
    Relayed(Record),
    /// An event that must be journaled before the task goes on (a step's
    /// start, a gate decision, an answer): the loop answers once it is.
    Recorded(Event, tokio::sync::oneshot::Sender<()>),
    /// An attempt ended and another follows (see [`Attempted`]).
    Attempted(Box<Attempted>),
    Done(Box<StepDone>),
}

/// An attempt of a step (or of a loop's element) that is followed by
/// another: the loop learns the secrets its results give before its held
/// lines are published, then publishes `event`.
#[derive(Debug)]
pub(crate) struct Attempted {
    pub(crate) index: usize,
    /// The loop element it was an attempt of.
    pub(crate) item: Option<usize>,
    pub(crate) results: Map<String, Value>,
    /// What comes next: `step_retrying` or `step_polling`.
    pub(crate) event: Event,
}

impl StepDone {
    pub(crate) fn new(index: usize, state: StepState) -> StepDone {
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
            misconfigured: false,
        }
    }
}
