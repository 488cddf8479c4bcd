//! Held output: the live lines and notes of a running step whose secret
//! outputs are not known yet (see [`super::holds_output`]). They wait until
//! what printed them ends — an attempt that is retried or polled again, an
//! element of a loop, the step itself — and the masker has learnt the
//! secrets it produced; then they are published, masked, in the order they
//! came, before the record that follows that end (the next attempt's start,
//! the element's or the step's end). So each attempt's lines are journaled
//! once, between its start and the next one, and masked with its own
//! secrets, not only the last attempt's.

use super::Scheduler;
use crate::event::Event;
use crate::outputs;
use crate::step_message::{Attempted, TaskMsg};
use serde_json::Map;
use std::collections::HashMap;

/// What is held, by step id.
#[derive(Default)]
pub(in crate::runner) struct Held {
    steps: HashMap<String, Vec<TaskMsg>>,
}

impl Held {
    /// Holds the live output of `step` from now until it ends.
    pub(in crate::runner) fn hold(&mut self, step: &str) {
        self.steps.insert(step.to_string(), Vec::new());
    }

    /// Keeps `msg` if its step's output is held; otherwise gives it back.
    fn keep(&mut self, msg: TaskMsg) -> Option<TaskMsg> {
        let step = match &msg {
            TaskMsg::Output(line) => Some(line.step.as_str()),
            TaskMsg::Event(event) => event.step(),
            _ => None,
        };
        match step.and_then(|step| self.steps.get_mut(step)) {
            Some(held) => {
                held.push(msg);
                None
            }
            None => Some(msg),
        }
    }

    /// What one attempt of `step` printed: everything held for a step, the
    /// lines of one element (`item`) for a loop's element (the loop's own
    /// notes wait for its end).
    fn take_attempt(&mut self, step: &str, item: Option<usize>) -> Vec<TaskMsg> {
        let Some(held) = self.steps.get_mut(step) else {
            return Vec::new();
        };
        let Some(index) = item else {
            return std::mem::take(held);
        };
        let (theirs, rest) = std::mem::take(held)
            .into_iter()
            .partition(|msg| matches!(msg, TaskMsg::Output(line) if line.item == Some(index)));
        *held = rest;
        theirs
    }

    /// Everything held for `step`, which ended: it is held no longer.
    fn take_all(&mut self, step: &str) -> Vec<TaskMsg> {
        self.steps.remove(step).unwrap_or_default()
    }
}

impl Scheduler<'_> {
    /// Publishes what a running step reports, unless the step's lines are
    /// held until its secret outputs are known.
    pub(super) fn publish_live(&mut self, msg: TaskMsg) {
        if let Some(msg) = self.held.keep(msg) {
            self.publish_now(msg);
        }
    }

    /// An attempt ended and another follows (a retry, a poll): the masker
    /// learns the secrets it produced, its held lines go out, then the
    /// event that says what comes next.
    pub(super) fn attempted(&mut self, attempted: Attempted) {
        let Attempted {
            index,
            item,
            results,
            event,
        } = attempted;
        self.learn_available(index, &results);
        self.release_attempt(index, item);
        self.publish_now(TaskMsg::Event(event));
    }

    /// An element of a loop ended (its `item_finished` is published next):
    /// the masker learns its secrets, what it produced even when it failed,
    /// and its held lines go out.
    pub(super) fn element_ended(&mut self, i: usize, index: usize, event: &Event) {
        let Event::ItemFinished {
            outputs, results, ..
        } = event
        else {
            return;
        };
        self.learn_secrets(i, outputs);
        self.learn_available(i, results);
        self.release_attempt(i, Some(index));
    }

    /// A step ended and the masker knows its secrets: what is still held
    /// of it goes out.
    pub(super) fn release_all(&mut self, id: &str) {
        for msg in self.held.take_all(id) {
            self.publish_now(msg);
        }
    }

    fn release_attempt(&mut self, i: usize, item: Option<usize>) {
        let id = self.plan.step(i).0.id.value.clone();
        for msg in self.held.take_attempt(&id, item) {
            self.publish_now(msg);
        }
    }

    /// The masker learns the secret outputs an attempt's `results` give,
    /// whether or not it succeeded (a failed attempt's outputs are
    /// readable, and may have been printed).
    fn learn_available(&mut self, i: usize, results: &Map<String, serde_json::Value>) {
        let plan = self.plan.clone();
        let step = plan.step(i).0;
        if step.outputs.is_empty() {
            return;
        }
        let primary = plan.step_plan(i).primary_result;
        let available = outputs::capture_available(&step.outputs, primary, results);
        self.learn_secrets(i, &available);
    }
}
