//! A step's printed output is stored once in the journal: as its
//! `step_output` lines, written as they come (so a crash keeps them). The
//! `stdout` and `stderr` results of its `step_finished` record, which repeat
//! those lines, are left out of the journal and the record says so in
//! `output_in_lines`; a reader (resume) puts them back from the lines.
//!
//! Only a result equal to its lines joined by `\n` is left out, so nothing
//! is ever lost: output whose lines differ from the result (a `\r\n`, a
//! secret masked differently across lines) is stored in both places.

use crate::event::{Event, Stream};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The results a step's lines can stand for, by stream.
const STREAMS: [(Stream, &str); 2] = [(Stream::Stdout, "stdout"), (Stream::Stderr, "stderr")];

/// The lines of each step's current attempt, per stream.
#[derive(Debug, Default)]
pub struct OutputLedger {
    steps: HashMap<String, [Option<String>; 2]>,
}

impl OutputLedger {
    /// Follows one event: an attempt's start forgets the previous attempt's
    /// lines; a line of output is added to its stream.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::StepStarted { step, .. }
            | Event::StepRetrying { step, .. }
            | Event::StepPolling { step, .. } => {
                self.steps.remove(step);
            }
            Event::StepOutput { step, stream, line } => {
                let Some(i) = STREAMS.iter().position(|(s, _)| s == stream) else {
                    return;
                };
                let text = &mut self.steps.entry(step.clone()).or_default()[i];
                match text {
                    Some(text) => {
                        text.push('\n');
                        text.push_str(line);
                    }
                    None => *text = Some(line.clone()),
                }
            }
            _ => {}
        }
    }

    /// For the journal: the `step_finished` without the results its lines
    /// already hold (named in `output_in_lines`), or `None` to write it as it is.
    pub fn strip(&mut self, event: &Event) -> Option<Event> {
        let Event::StepFinished { step, results, .. } = event else {
            return None;
        };
        let lines = self.steps.remove(step).unwrap_or_default();
        let mut stripped = results.clone();
        let mut in_lines = Vec::new();
        for (i, (_, name)) in STREAMS.iter().enumerate() {
            let Some(Value::String(result)) = results.get(*name) else {
                continue;
            };
            if lines[i].as_deref().unwrap_or("") == result {
                stripped.remove(*name);
                in_lines.push(name.to_string());
            }
        }
        if in_lines.is_empty() {
            return None;
        }
        let mut event = event.clone();
        if let Event::StepFinished {
            results,
            output_in_lines,
            ..
        } = &mut event
        {
            *results = stripped;
            *output_in_lines = in_lines;
        }
        Some(event)
    }

    /// For a reader: puts back into `results` the streams `in_lines` names,
    /// from the lines seen since the step's last attempt started.
    pub fn restore(&mut self, step: &str, in_lines: &[String], results: &mut Map<String, Value>) {
        let lines = self.steps.remove(step).unwrap_or_default();
        for (i, (_, name)) in STREAMS.iter().enumerate() {
            if in_lines.iter().any(|n| n == name) {
                let text = lines[i].clone().unwrap_or_default();
                results.insert(name.to_string(), Value::String(text));
            }
        }
    }
}
