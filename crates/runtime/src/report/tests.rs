//! The report model of journals cut at interesting moments: a gate put to
//! the operator and not decided yet, a step still running, a run with no
//! end; and the Markdown of hostile table text.

use super::{markdown, RunReport, Verdict};
use crate::event::Record;
use serde_json::json;

fn records(events: Vec<serde_json::Value>) -> Vec<Record> {
    events
        .into_iter()
        .enumerate()
        .map(|(seq, mut event)| {
            event["seq"] = json!(seq);
            event["time"] = json!(format!("2026-12-01T00:00:{seq:02}.000Z"));
            serde_json::from_value(event).expect("a record")
        })
        .collect()
}

fn started() -> serde_json::Value {
    json!({"event": "run_started", "run_id": "r1", "playbook": "p.yaml", "name": null,
           "plan_hash": "0123456789abcdef", "mode": "run", "inputs": {"token": "***"},
           "user": "a|b", "workdir": "/"})
}

#[test]
fn a_gate_waiting_and_a_step_running_are_shown_until_decided() {
    let mut events = vec![
        started(),
        json!({"event": "step_started", "step": "probe", "attempt": 1}),
        json!({"event": "step_started", "step": "ship", "attempt": 1}),
        json!({"event": "gate_requested", "step": "ship", "question": "Ship it?",
               "effect": "write", "detail": "deploy --all"}),
    ];
    let report = RunReport::of(&records(events.clone()));
    assert!(!report.complete);
    assert_eq!(report.waiting.len(), 1);
    assert_eq!(report.waiting[0].kind, "gate");
    assert_eq!(report.waiting[0].detail.as_deref(), Some("deploy --all"));
    let running: Vec<&str> = report
        .steps
        .iter()
        .filter(|r| r.ended.is_none())
        .map(|r| r.step.as_str())
        .collect();
    assert_eq!(running, ["probe", "ship"]);
    // The Markdown lists the steps with no end too, and says the run has
    // no end.
    let md = markdown(&records(events.clone()));
    assert!(
        md.contains("| `probe` | 2026-12-01T00:00:01.000Z | — | running | no end on record: still running, or the run was killed |"),
        "{md}"
    );
    assert!(md.contains("- Finished: **no**"), "{md}");

    events.push(
        json!({"event": "gate_decided", "step": "ship", "approved": false,
                       "who": "b", "via": "terminal", "reason": "not | now\nlater",
                       "plan_hash": "0123456789abcdef"}),
    );
    let report = RunReport::of(&records(events.clone()));
    assert!(report.waiting.is_empty());
    assert!(matches!(report.decisions[0].decision, Verdict::Rejected));
    let md = markdown(&records(events));
    // Text from the journal cannot break a table row.
    assert!(md.contains("| not \\| now<br>later |"), "{md}");
    assert!(md.contains("run started by a\\|b"), "{md}");
}

#[test]
fn pieces_of_a_long_line_are_one_line_of_the_report_and_old_journals_read_as_before() {
    let report = RunReport::of(&records(vec![
        started(),
        json!({"event": "step_started", "step": "s", "attempt": 1}),
        json!({"event": "step_output", "step": "s", "stream": "stdout", "line": "aaa"}),
        json!({"event": "step_output", "step": "s", "stream": "stderr", "line": "warn"}),
        json!({"event": "step_output", "step": "s", "stream": "stdout", "line": "bbb",
               "continues": true}),
        // Written before `continues` existed: a line of its own.
        json!({"event": "step_output", "step": "s", "stream": "stdout", "line": "next"}),
    ]));
    let lines: Vec<(&str, crate::event::Stream)> = report.output[0]
        .lines
        .iter()
        .map(|l| (l.text.as_str(), l.stream))
        .collect();
    use crate::event::Stream::{Stderr, Stdout};
    assert_eq!(
        lines,
        [("aaabbb", Stdout), ("warn", Stderr), ("next", Stdout)]
    );
}

/// What steps printed is in the report, each step's lines in a block no
/// printed line can close, stderr said as such.
#[test]
fn the_report_holds_what_steps_printed() {
    let md = markdown(&records(vec![
        started(),
        json!({"event": "step_started", "step": "psql_summary", "attempt": 1}),
        json!({"event": "step_output", "step": "psql_summary", "stream": "stdout", "line": "active|1"}),
        json!({"event": "step_output", "step": "psql_summary", "stream": "stdout", "line": "```"}),
        json!({"event": "step_output", "step": "psql_summary", "stream": "stdout", "line": "# not a heading"}),
        json!({"event": "step_output", "step": "psql_summary", "stream": "stderr", "line": "NOTICE: x"}),
    ]));
    let section = md.split("\n## Output\n").nth(1).expect("an Output section");
    assert_eq!(
        section,
        "\n`psql_summary`:\n\n````text\nactive|1\n```\n# not a heading\nstderr: NOTICE: x\n````\n\n"
    );
}

/// A step skipped in the run and again after each resume has one row; a
/// step rejected and then approved keeps both (that is the history).
#[test]
fn a_skip_decided_again_after_a_resume_is_one_row() {
    let finished = |step: &str, state: &str| {
        json!({"event": "step_finished", "step": step, "state": state, "message": null,
               "results": {}, "outputs": {}, "attempts": 0, "duration_ms": 0})
    };
    let resumed = json!({"event": "run_resumed", "run_id": "r1", "user": "a", "restored": []});
    let report = RunReport::of(&records(vec![
        started(),
        finished("no_idle", "skipped"),
        finished("drop", "rejected"),
        resumed.clone(),
        finished("no_idle", "skipped"),
        finished("drop", "succeeded"),
        resumed,
        finished("no_idle", "skipped"),
    ]));
    let rows: Vec<(&str, &str)> = report
        .steps
        .iter()
        .map(|r| (r.step.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("drop", "rejected"),
            ("drop", "succeeded"),
            ("no_idle", "skipped")
        ]
    );
}

/// A step run again after a resume starts when it started again; a retry
/// keeps the step's first start. Its start before the resume, which has no
/// end (the run was killed), is a row of its own: interrupted.
#[test]
fn a_step_run_again_after_a_resume_shows_its_new_start() {
    let report = RunReport::of(&records(vec![
        started(),
        json!({"event": "step_started", "step": "probe", "attempt": 1}),
        json!({"event": "run_resumed", "run_id": "r1", "user": "a", "restored": []}),
        json!({"event": "step_started", "step": "probe", "attempt": 1}),
        json!({"event": "step_retrying", "step": "probe", "attempt": 1, "delay_ms": 1, "message": "x"}),
        json!({"event": "step_started", "step": "probe", "attempt": 2}),
        json!({"event": "step_finished", "step": "probe", "state": "succeeded", "message": null,
               "results": {}, "outputs": {}, "attempts": 2, "duration_ms": 0}),
    ]));
    let rows: Vec<(&str, Option<&str>, bool)> = report
        .steps
        .iter()
        .map(|r| (r.result.as_str(), r.started.as_deref(), r.ended.is_some()))
        .collect();
    assert_eq!(
        rows,
        [
            ("interrupted", Some("2026-12-01T00:00:01.000Z"), false),
            ("succeeded", Some("2026-12-01T00:00:03.000Z"), true)
        ]
    );
}
