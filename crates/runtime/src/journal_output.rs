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
//! Only a result equal to that text is left out, so nothing is ever lost:
//! output whose lines differ from the result (a secret masked differently
//! across lines, a journal written by an older `runbook` that did not mark
//! `crlf`) is stored in both places.

use crate::event::{Event, Stream};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The results a step's lines can stand for, by stream.
const STREAMS: [(Stream, &str); 2] = [(Stream::Stdout, "stdout"), (Stream::Stderr, "stderr")];

/// The lines of each step's current attempt, per stream.
#[derive(Debug, Default)]
pub struct OutputLedger {
    steps: HashMap<String, [Lines; 2]>,
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
    /// lines; a line of output is added to its stream.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::StepStarted { step, .. }
            | Event::StepRetrying { step, .. }
            | Event::StepPolling { step, .. } => {
                self.steps.remove(step);
            }
            Event::StepOutput {
                step,
                stream,
                line,
                continues,
                crlf,
            } => {
                let Some(i) = STREAMS.iter().position(|(s, _)| s == stream) else {
                    return;
                };
                self.steps.entry(step.clone()).or_default()[i].push(line, *continues, *crlf);
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
            if lines[i].text() == result {
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
                let text = lines[i].text().to_string();
                results.insert(name.to_string(), Value::String(text));
            }
        }
    }
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
        }
    }

    fn crlf(line: &str, continues: bool) -> Event {
        Event::StepOutput {
            step: "s".into(),
            stream: Stream::Stdout,
            line: line.into(),
            continues,
            crlf: true,
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
}
