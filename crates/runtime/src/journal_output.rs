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
mod tests {
    use super::*;
    use crate::event::StepState;
    use serde_json::json;

    fn out(stream: Stream, line: &str, continues: bool) -> Event {
        Event::StepOutput {
            step: "s".into(),
            stream,
            line: line.into(),
            continues,
            crlf: false,
            item: None,
        }
    }

    fn crlf(line: &str, continues: bool) -> Event {
        Event::StepOutput {
            step: "s".into(),
            stream: Stream::Stdout,
            line: line.into(),
            continues,
            crlf: true,
            item: None,
        }
    }

    fn finished(stdout: &str, stderr: &str) -> Event {
        Event::StepFinished {
            step: "s".into(),
            state: StepState::Succeeded,
            message: None,
            results: json!({"stdout": stdout, "stderr": stderr, "exit_code": 0})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            outputs: Map::new(),
            simulated: false,
            output_in_lines: Vec::new(),
            attempts: 1,
            duration_ms: 0,
        }
    }

    /// Writes `events` through a ledger as the journal does, reads them
    /// back as resume does: the results left out, and the results rebuilt.
    fn round_trip(events: &[Event]) -> (Vec<String>, Map<String, Value>) {
        let mut writer = OutputLedger::default();
        let mut reader = OutputLedger::default();
        for event in events {
            writer.observe(event);
            let written = writer.strip(event).unwrap_or_else(|| event.clone());
            // Through JSON, as the journal file holds it.
            let text = serde_json::to_string(&written).unwrap_or_default();
            let read: Event = serde_json::from_str(&text).unwrap_or(written);
            reader.observe(&read);
            if let Event::StepFinished {
                step,
                mut results,
                output_in_lines,
                ..
            } = read
            {
                reader.restore(&step, &output_in_lines, &mut results);
                return (output_in_lines, results);
            }
        }
        (Vec::new(), Map::new())
    }

    #[test]
    fn pieces_of_a_long_line_rebuild_the_result_interleaved_with_the_other_stream() {
        let events = [
            out(Stream::Stdout, "aaa", false),
            out(Stream::Stderr, "warn", false),
            out(Stream::Stdout, "bbb", true),
            out(Stream::Stdout, "ccc", true),
            out(Stream::Stdout, "next", false),
            out(Stream::Stderr, "tail", true),
            finished("aaabbbccc\nnext", "warntail"),
        ];
        let (in_lines, results) = round_trip(&events);
        assert_eq!(in_lines, ["stdout", "stderr"]);
        assert_eq!(results["stdout"], "aaabbbccc\nnext");
        assert_eq!(results["stderr"], "warntail");
    }

    #[test]
    fn a_continuing_piece_is_journaled_as_such_and_a_whole_line_as_before() {
        let piece = serde_json::to_value(out(Stream::Stdout, "b", true)).unwrap_or_default();
        assert_eq!(piece["continues"], true);
        let line = serde_json::to_value(out(Stream::Stdout, "b", false)).unwrap_or_default();
        assert!(line.get("continues").is_none(), "{line}");
    }

    #[test]
    fn a_journal_written_before_pieces_were_marked_still_restores() {
        // As a journal written before `continues` existed holds a long line:
        // its pieces read as lines, the result stored whole.
        let old = [
            r#"{"event":"step_output","step":"s","stream":"stdout","line":"aaa"}"#,
            r#"{"event":"step_output","step":"s","stream":"stdout","line":"bbb"}"#,
        ];
        let mut events: Vec<Event> = old
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(events.len(), 2);
        events.push(finished("aaabbb", ""));
        let (in_lines, results) = round_trip(&events);
        assert_eq!(in_lines, ["stderr"]);
        assert_eq!(results["stdout"], "aaabbb");
    }

    #[test]
    fn lines_ending_in_crlf_rebuild_the_result_with_their_cr() {
        // The last line's `\r\n` is not in the result, as the reader
        // drops the output's last line ending; a line that ends with
        // `\r\r\n` keeps its first `\r` in its text.
        let events = [
            crlf("one", false),
            out(Stream::Stdout, "lf", false),
            out(Stream::Stdout, "long-", false),
            crlf("piece", true),
            crlf("cr\r", false),
            crlf("", false),
            crlf("last", false),
            finished("one\r\nlf\nlong-piece\r\ncr\r\r\n\r\nlast", ""),
        ];
        let (in_lines, results) = round_trip(&events);
        assert_eq!(in_lines, ["stdout", "stderr"]);
        assert_eq!(
            results["stdout"],
            "one\r\nlf\nlong-piece\r\ncr\r\r\n\r\nlast"
        );
        let line = serde_json::to_value(crlf("x", false)).unwrap_or_default();
        assert_eq!(line["crlf"], true);
    }

    #[test]
    fn output_that_its_lines_do_not_rebuild_is_kept_in_the_result() {
        // As an older journal holds `\r\n` output: lines without `crlf`.
        let events = [
            out(Stream::Stdout, "a", false),
            out(Stream::Stdout, "b", false),
            finished("a\r\nb", ""),
        ];
        let (in_lines, results) = round_trip(&events);
        assert_eq!(in_lines, ["stderr"]);
        assert_eq!(results["stdout"], "a\r\nb");
    }

    #[test]
    fn a_retry_forgets_the_pieces_of_the_failed_attempt() {
        let events = [
            out(Stream::Stdout, "old", false),
            out(Stream::Stdout, "-piece", true),
            Event::StepRetrying {
                step: "s".into(),
                attempt: 1,
                delay_ms: 0,
                message: "again".into(),
            },
            out(Stream::Stdout, "new", false),
            out(Stream::Stdout, "-piece", true),
            finished("new-piece", ""),
        ];
        let (in_lines, results) = round_trip(&events);
        assert_eq!(in_lines, ["stdout", "stderr"]);
        assert_eq!(results["stdout"], "new-piece");
    }

    fn element_line(index: usize, line: &str, continues: bool) -> Event {
        Event::StepOutput {
            step: "s".into(),
            stream: Stream::Stdout,
            line: line.into(),
            continues,
            crlf: false,
            item: Some(index),
        }
    }

    fn element_started(index: usize) -> Event {
        Event::ItemStarted {
            step: "s".into(),
            index,
            label: format!("e{index}"),
            attempt: 1,
        }
    }

    fn element_finished(index: usize, stdout: &str) -> Event {
        Event::ItemFinished {
            step: "s".into(),
            index,
            label: format!("e{index}"),
            state: StepState::Succeeded,
            message: None,
            results: json!({"stdout": stdout, "stderr": "", "exit_code": 0})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            outputs: Map::new(),
            attempts: 1,
            output_in_lines: Vec::new(),
        }
    }

    #[test]
    fn a_loops_interleaved_elements_are_stored_once_and_restored() {
        let loop_end = {
            let entries = json!([
                {"index": 0, "label": "e0", "stdout": "aaa-piece\nmore", "stderr": "", "state": "succeeded"},
                {"index": 1, "label": "e1", "stdout": "bbb", "stderr": "", "state": "succeeded"},
                {"index": 2, "label": "e2", "state": "skipped"},
            ]);
            let mut end = finished("", "");
            if let Event::StepFinished { results, .. } = &mut end {
                results.insert("results".into(), entries);
                results.insert("count".into(), json!(3));
            }
            end
        };
        let events = [
            Event::StepStarted {
                step: "s".into(),
                attempt: 1,
            },
            element_started(0),
            element_started(1),
            element_line(0, "aaa", false),
            element_line(1, "bbb", false),
            element_line(0, "-piece", true),
            element_line(0, "more", false),
            element_finished(1, "bbb"),
            element_finished(0, "aaa-piece\nmore"),
            loop_end.clone(),
        ];
        let mut writer = OutputLedger::default();
        let mut reader = OutputLedger::default();
        let mut restored = Vec::new();
        for event in &events {
            writer.observe(event);
            let written = writer.strip(event).unwrap_or_else(|| event.clone());
            let text = serde_json::to_string(&written).unwrap_or_default();
            assert!(
                !text.contains("aaa-piece") || !text.contains("item_finished"),
                "{text}"
            );
            let mut read: Event = serde_json::from_str(&text).unwrap_or(written);
            reader.observe(&read);
            match &mut read {
                Event::ItemFinished {
                    step,
                    index,
                    results,
                    output_in_lines,
                    ..
                } => {
                    assert_eq!(output_in_lines, &["stdout", "stderr"]);
                    assert!(results.get("stdout").is_none());
                    reader.restore_item(step, *index, output_in_lines, results);
                    restored.push(read.clone());
                }
                Event::StepFinished {
                    step,
                    results,
                    output_in_lines,
                    ..
                } => {
                    assert!(
                        output_in_lines.contains(&"results[0].stdout".to_string())
                            && output_in_lines.contains(&"results[1].stdout".to_string()),
                        "{output_in_lines:?}"
                    );
                    assert!(!text.contains("bbb"), "{text}");
                    reader.restore(step, output_in_lines, results);
                    restored.push(read.clone());
                }
                _ => {}
            }
        }
        assert_eq!(restored.len(), 3);
        let Event::ItemFinished { results, .. } = &restored[0] else {
            unreachable!()
        };
        assert_eq!(results["stdout"], "bbb");
        let Event::ItemFinished { results, .. } = &restored[1] else {
            unreachable!()
        };
        assert_eq!(results["stdout"], "aaa-piece\nmore");
        let Event::StepFinished { results, .. } = &restored[2] else {
            unreachable!()
        };
        let Event::StepFinished { results: whole, .. } = &loop_end else {
            unreachable!()
        };
        assert_eq!(results["results"], whole["results"]);
    }
}
