//! The journal's output ledger: written as the journal writes, read back
//! as a resume reads.

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

#[test]
fn a_called_playbooks_step_is_stored_once_inside_its_wrapper() {
    let called = |event: Event| Event::Called {
        call: "call".into(),
        record: Box::new(crate::journal::readdress(&event, |s| format!("call.{s}"))),
    };
    let mut writer = OutputLedger::default();
    assert!(writer
        .journaled(&called(out(Stream::Stdout, "printed", false)))
        .is_none());
    let written = writer.journaled(&called(finished("printed", "")));
    let Some(Event::Called { call, record }) = written else {
        panic!("the end is written without its streams: {written:?}")
    };
    assert_eq!(call, "call");
    let Event::StepFinished {
        step,
        results,
        output_in_lines,
        ..
    } = *record
    else {
        panic!("{record:?}")
    };
    assert_eq!(step, "call.s");
    assert_eq!(output_in_lines, ["stdout", "stderr"]);
    assert!(results.get("stdout").is_none(), "{results:?}");
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
        command: None,
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
            command: None,
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
