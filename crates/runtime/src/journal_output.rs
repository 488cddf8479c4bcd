//! A step's printed output is stored once in the journal: as its
//! `step_output` lines, written as they come (so a crash keeps them). The
//! `stdout` and `stderr` results of its `step_finished` record, which repeat
//! those lines, are left out of the journal and the record says so in
//! `output_in_lines`; a reader (resume) puts them back from the lines.
//!
//! A line longer than the reader's piece size (64 KiB) comes as several
//! `step_output` records, each after the first marked `continues`: the
//! text is the lines joined by `\n` (`\r\n` after a line marked `crlf`),
//! except that a continuing piece is joined to the previous one of its
//! stream with nothing between.
//!
//! The elements of a `for_each` loop print under the loop's step id, at
//! once: each `step_output` names its element (`item`), each element's
//! lines are joined on their own and stand for its `item_finished`'s
//! streams, and the loop's `step_finished`, which repeats every element's
//! results in `results`, leaves out those its elements' records stood for
//! (`results[INDEX].stdout` in `output_in_lines`).
//!
//! A called playbook's records, wrapped in `called` with its steps
//! addressed `CALL.STEP`, are stored the same way inside their wrapper; a
//! resume reads them back through the called run's own records.
//!
//! Only a result equal to that text is left out, so nothing is ever lost:
//! output whose lines differ from the result (a secret masked differently
//! across lines, a journal written by an older `runbook` that did not mark
//! `crlf`) is stored in both places.

use crate::event::{Event, Stream};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The results a step's lines can stand for, by stream.
const STREAMS: [(Stream, &str); 2] = [(Stream::Stdout, "stdout"), (Stream::Stderr, "stderr")];

/// Whose lines: a step's, or one element's of a loop (`item`).
type Key = (String, Option<usize>);

/// The lines of each step's (and loop element's) current attempt, per
/// stream; and, for a loop, what each element's streams were, which its
/// `step_finished` repeats in `results`.
#[derive(Debug, Default)]
pub struct OutputLedger {
    lines: HashMap<Key, [Lines; 2]>,
    elements: HashMap<String, HashMap<usize, [Option<String>; 2]>>,
}

/// One stream's text so far.
#[derive(Debug, Default)]
struct Lines {
    /// `None` before its first line (no line and one empty line differ).
    text: Option<String>,
    /// The last line ended with `\r\n`: a next line comes after `\r\n`
    /// (the end of the output drops it, as the result does).
    crlf: bool,
}

impl Lines {
    fn push(&mut self, line: &str, continues: bool, crlf: bool) {
        match &mut self.text {
            Some(text) => {
                if !continues {
                    text.push_str(if self.crlf { "\r\n" } else { "\n" });
                }
                text.push_str(line);
            }
            None => self.text = Some(line.to_string()),
        }
        self.crlf = crlf;
    }

    fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }
}

impl OutputLedger {
    /// For the journal: follows `event` ([`OutputLedger::observe`]) and
    /// gives what to write instead of it ([`OutputLedger::strip`]), if
    /// anything. A called playbook's event ([`Event::Called`]) is followed
    /// inside its wrapper: its step ids are addressed (`CALL.STEP`), so
    /// they are the caller's own, and its steps' output is stored once too.
    pub fn journaled(&mut self, event: &Event) -> Option<Event> {
        if let Event::Called { call, record } = event {
            let inner = self.journaled(record)?;
            return Some(Event::Called {
                call: call.clone(),
                record: Box::new(inner),
            });
        }
        self.observe(event);
        self.strip(event)
    }

    /// Follows one event: an attempt's start forgets the previous attempt's
    /// lines (a loop's start, its elements' too; an element's start, its
    /// own); a line of output is added to its stream.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::StepStarted { step, .. } => {
                self.lines.retain(|(s, _), _| s != step);
                self.elements.remove(step);
            }
            Event::StepRetrying { step, .. } | Event::StepPolling { step, .. } => {
                self.lines.remove(&(step.clone(), None));
            }
            Event::ItemStarted { step, index, .. } => {
                self.lines.remove(&(step.clone(), Some(*index)));
            }
            Event::StepOutput {
                step,
                stream,
                line,
                continues,
                crlf,
                item,
            } => {
                let Some(i) = STREAMS.iter().position(|(s, _)| s == stream) else {
                    return;
                };
                let lines = self.lines.entry((step.clone(), *item)).or_default();
                lines[i].push(line, *continues, *crlf);
            }
            _ => {}
        }
    }

    /// For the journal: the `step_finished` or `item_finished` without the
    /// results its lines already hold (named in `output_in_lines`), or
    /// `None` to write it as it is. A loop's `step_finished` also leaves
    /// out each element's streams its `item_finished` stood for
    /// (`results[INDEX].stdout`).
    pub fn strip(&mut self, event: &Event) -> Option<Event> {
        let mut event = event.clone();
        let in_lines = match &mut event {
            Event::StepFinished {
                step,
                results,
                output_in_lines,
                ..
            } => {
                let lines = self.lines.remove(&(step.clone(), None));
                let mut in_lines = strip_streams(lines, results);
                if let Some(elements) = self.elements.remove(step.as_str()) {
                    in_lines.extend(strip_elements(&elements, results));
                }
                *output_in_lines = in_lines.clone();
                in_lines
            }
            Event::ItemFinished {
                step,
                index,
                results,
                output_in_lines,
                ..
            } => {
                self.remember(step, *index, results);
                let lines = self.lines.remove(&(step.clone(), Some(*index)));
                *output_in_lines = strip_streams(lines, results);
                output_in_lines.clone()
            }
            _ => return None,
        };
        (!in_lines.is_empty()).then_some(event)
    }

    /// For a reader: puts back into `results` the streams `in_lines` names,
    /// from the lines seen since the step's last attempt started (and, for
    /// a loop, each element's from what its `item_finished` stood for).
    pub fn restore(&mut self, step: &str, in_lines: &[String], results: &mut Map<String, Value>) {
        let lines = self.lines.remove(&(step.to_string(), None));
        restore_streams(lines, in_lines, results);
        let elements = self.elements.remove(step).unwrap_or_default();
        let Some(Value::Array(entries)) = results.get_mut("results") else {
            return;
        };
        for name in in_lines {
            let Some((index, stream)) = element_stream(name) else {
                continue;
            };
            let text = elements.get(&index).and_then(|e| e[stream].clone());
            let entry = entries
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .find(|e| e.get("index").and_then(Value::as_u64) == Some(index as u64));
            if let Some(entry) = entry {
                let name = STREAMS[stream].1;
                entry.insert(name.into(), Value::String(text.unwrap_or_default()));
            }
        }
    }

    /// For a reader: the same for an element's `item_finished`; what its
    /// streams then are is kept for its loop's `step_finished`.
    pub fn restore_item(
        &mut self,
        step: &str,
        index: usize,
        in_lines: &[String],
        results: &mut Map<String, Value>,
    ) {
        let lines = self.lines.remove(&(step.to_string(), Some(index)));
        restore_streams(lines, in_lines, results);
        self.remember(step, index, results);
    }

    /// What an element's streams were, as its `item_finished` stands for them.
    fn remember(&mut self, step: &str, index: usize, results: &Map<String, Value>) {
        let streams = STREAMS.map(|(_, name)| {
            results
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        self.elements
            .entry(step.to_string())
            .or_default()
            .insert(index, streams);
    }
}

/// Takes out of `results` the streams equal to the text of their lines;
/// returns their names.
fn strip_streams(lines: Option<[Lines; 2]>, results: &mut Map<String, Value>) -> Vec<String> {
    let lines = lines.unwrap_or_default();
    let mut in_lines = Vec::new();
    for (i, (_, name)) in STREAMS.iter().enumerate() {
        if results.get(*name).and_then(Value::as_str) == Some(lines[i].text()) {
            results.remove(*name);
            in_lines.push(name.to_string());
        }
    }
    in_lines
}

/// Takes out of a loop's `results` entries the streams equal to what the
/// element's `item_finished` stood for; returns their names
/// (`results[INDEX].STREAM`).
fn strip_elements(
    elements: &HashMap<usize, [Option<String>; 2]>,
    results: &mut Map<String, Value>,
) -> Vec<String> {
    let mut in_lines = Vec::new();
    let Some(Value::Array(entries)) = results.get_mut("results") else {
        return in_lines;
    };
    for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
        let Some(index) = entry.get("index").and_then(Value::as_u64) else {
            continue;
        };
        let Some(element) = elements.get(&(index as usize)) else {
            continue;
        };
        for (i, (_, name)) in STREAMS.iter().enumerate() {
            let Some(text) = &element[i] else {
                continue;
            };
            if entry.get(*name).and_then(Value::as_str) == Some(text.as_str()) {
                entry.remove(*name);
                in_lines.push(format!("results[{index}].{name}"));
            }
        }
    }
    in_lines
}

/// Puts back the streams `in_lines` names from their lines.
fn restore_streams(
    lines: Option<[Lines; 2]>,
    in_lines: &[String],
    results: &mut Map<String, Value>,
) {
    let lines = lines.unwrap_or_default();
    for (i, (_, name)) in STREAMS.iter().enumerate() {
        if in_lines.iter().any(|n| n == name) {
            let text = lines[i].text().to_string();
            results.insert(name.to_string(), Value::String(text));
        }
    }
}

/// `results[3].stdout` -> (3, the index of `stdout` in [`STREAMS`]).
fn element_stream(name: &str) -> Option<(usize, usize)> {
    let rest = name.strip_prefix("results[")?;
    let (index, stream) = rest.split_once("].")?;
    let stream = STREAMS.iter().position(|(_, n)| *n == stream)?;
    Some((index.parse().ok()?, stream))
}

#[cfg(test)]
mod tests;
