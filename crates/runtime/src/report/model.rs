//! A run as people read it, built once from its journal records: the
//! header (playbook, plan, who, inputs), one row per step, the decisions
//! taken at gates and questions, the timeline, what each step printed and
//! read, and each element of a loop. `runbook report` renders it as
//! Markdown (`report::markdown`) and `runbook serve` as HTML and JSON, so
//! both show the same run. Every string comes from the journal, which was
//! masked when written; nothing is added that the journal does not hold.

use crate::event::{Event, Record, StepState, Stream};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use super::parts::plain;
use super::parts::{code, started_line, text, word};

/// Everything a report shows of one run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunReport {
    /// From the journal's `run_started`; `None` if it has none.
    pub header: Option<Header>,
    /// Each end of the run (a resumed run can have ended before).
    pub finished: Vec<Finish>,
    /// The journal ends with the end of the run; otherwise the run is
    /// still going, or was interrupted or killed.
    pub complete: bool,
    /// One row per step end, in the order they ended (a step killed with
    /// the run, `ended` `None`, where the run was resumed), then the steps
    /// that started and have not ended (`ended` is `None`), a calling step
    /// and the steps of its called playbook alike.
    pub steps: Vec<StepRow>,
    /// Each element of a `for_each` step that ended.
    pub elements: Vec<Element>,
    /// What steps read (their last attempt), as the live view showed it.
    pub evidence: Vec<Evidence>,
    /// Gate decisions, confirmed `manual` steps and answers.
    pub decisions: Vec<Decision>,
    /// Gates and questions put to the operator and not decided yet.
    pub waiting: Vec<Waiting>,
    pub timeline: Vec<Moment>,
    /// The lines each step printed, in the order steps first printed.
    pub output: Vec<StepOutput>,
}

/// The run's identity and how it was started.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    pub run_id: String,
    /// The playbook's `name`, or its path.
    pub title: String,
    /// The playbook path as given on the command line.
    pub playbook: String,
    pub plan_hash: String,
    pub started: String,
    pub user: String,
    /// `run` or `dry_run`.
    pub mode: String,
    /// The inputs as journaled: secret ones masked.
    pub inputs: Map<String, Value>,
}

/// An end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Finish {
    pub time: String,
    pub status: String,
    /// How many steps ended in each state.
    pub counts: Map<String, Value>,
    /// The cleanups that did not finish at that end (`` `ID` (state) ``).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cleanup_unfinished: Vec<String>,
}

/// A step's end (or, with `ended` empty, a step still running).
#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    /// `STEP`, or `CALL.STEP` inside a called playbook.
    pub step: String,
    pub started: Option<String>,
    pub ended: Option<String>,
    /// A state's name (`succeeded`, `skipped`, ...), `dry-run` for a step a
    /// dry-run did not execute, `running` for one not ended, `interrupted`
    /// for one that had not ended when the run was resumed (it was killed).
    pub result: String,
    /// Why it was skipped, why it failed, what it would do.
    pub notes: String,
    pub outputs: Map<String, Value>,
}

/// One element of a loop, ended.
#[derive(Clone, Debug, Serialize)]
pub struct Element {
    pub time: String,
    pub step: String,
    pub index: usize,
    pub label: String,
    pub result: String,
    pub message: Option<String>,
}

/// What one step read.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub step: String,
    pub lines: Vec<String>,
}

/// A decision a person (or the command line) took.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub time: String,
    pub step: String,
    /// The loop element whose own gate was decided (`[INDEX] LABEL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    pub decision: Verdict,
    pub who: String,
    /// How it was given (`terminal`, `--approve`, ...).
    pub via: String,
    /// The reason given at a gate, or the note of a `manual` step.
    pub why: Option<String>,
    /// The plan approved at a gate.
    pub plan_hash: Option<String>,
}

/// What was decided.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
    /// A `manual` step confirmed done: its instructions.
    Done {
        instructions: String,
    },
    /// An `ask` answered.
    Answered {
        answer: String,
    },
}

/// A gate or a question waiting for someone.
#[derive(Clone, Debug, Serialize)]
pub struct Waiting {
    pub time: String,
    pub step: String,
    /// `gate`, `manual` or `ask`.
    pub kind: String,
    pub question: String,
    /// The rendered command or request, for a gate that has one.
    pub detail: Option<String>,
}

/// A row of the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Moment {
    pub time: String,
    pub what: Vec<Part>,
}

/// A piece of a timeline row: prose, or a name or value shown as code.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Code(String),
}

/// The lines one step printed.
#[derive(Clone, Debug, Serialize)]
pub struct StepOutput {
    pub step: String,
    pub lines: Vec<OutputLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OutputLine {
    pub stream: Stream,
    pub text: String,
    /// The loop element that printed it: a piece joins a line of its own
    /// element only (elements' lines interleave).
    #[serde(skip)]
    pub item: Option<usize>,
}

impl RunReport {
    /// Builds the report of the records of one run.
    pub fn of(records: &[Record]) -> RunReport {
        let mut report = RunReport::default();
        let mut started: BTreeMap<String, String> = BTreeMap::new();
        // Steps started (their last start), to list those not ended.
        let mut open: Vec<String> = Vec::new();
        // The instructions of the `manual` steps asked, by step.
        let mut manual: BTreeMap<String, String> = BTreeMap::new();
        let timeline = &mut report.timeline;
        for record in records {
            let time = &record.time;
            let mut at = |what: Vec<Part>| {
                timeline.push(Moment {
                    time: time.clone(),
                    what,
                })
            };
            // A called playbook's run, journaled inside this one: its steps
            // are already addressed `CALL.STEP` and take their place in the
            // tables; its own start and end are timeline rows.
            let (call, event) = match &record.event {
                Event::Called { call, record } => (Some(call.as_str()), record.as_ref()),
                event => (None, event),
            };
            if let Some(call) = call {
                match event {
                    Event::RunStarted { playbook, .. } => {
                        at(vec![code(call), text(" runs "), code(playbook)]);
                        continue;
                    }
                    Event::RunResumed { .. } => {
                        at(vec![code(call), text(" resumes its playbook")]);
                        continue;
                    }
                    Event::RunFinished { status, .. } => {
                        at(vec![
                            text("the playbook "),
                            code(call),
                            text(format!(" runs {}", word(status))),
                        ]);
                        continue;
                    }
                    // A signal reaches the whole run at once: the caller's
                    // own record of it says it, once.
                    Event::RunInterrupted { .. } | Event::RunInterruptedAgain { .. } => continue,
                    _ => {}
                }
            }
            match event {
                Event::RunStarted {
                    run_id,
                    playbook,
                    name,
                    plan_hash,
                    mode,
                    inputs,
                    user,
                    ..
                } => {
                    report.header = Some(Header {
                        run_id: run_id.clone(),
                        title: name.clone().unwrap_or_else(|| playbook.clone()),
                        playbook: playbook.clone(),
                        plan_hash: plan_hash.clone(),
                        started: time.clone(),
                        user: user.clone(),
                        mode: word(mode),
                        inputs: inputs.clone(),
                    });
                    at(vec![text(format!("run started by {user}"))]);
                }
                Event::RunResumed {
                    user,
                    restored,
                    elements_kept,
                    inputs,
                    ..
                } => {
                    // The steps that had started and have no end were
                    // stopped with the run, without a record of it (it was
                    // killed): a row says so, before any of them runs again.
                    for step in std::mem::take(&mut open) {
                        report.steps.push(StepRow {
                            started: started.get(&step).cloned(),
                            step,
                            ended: None,
                            result: "interrupted".into(),
                            notes: "no end on record: the run was killed while it ran".into(),
                            outputs: Map::new(),
                        });
                    }
                    let elements = match elements_kept {
                        0 => String::new(),
                        n => format!(" and {n} loop element(s)"),
                    };
                    let mut line = vec![text(format!(
                        "run resumed by {user} ({} step(s){elements} kept)",
                        restored.len()
                    ))];
                    // Inputs forced to new values: from here on the run
                    // has them, and the header shows them.
                    for (i, (name, value)) in inputs.iter().enumerate() {
                        line.push(text(if i == 0 { ", with " } else { ", " }));
                        line.push(code(format!("{name} = {}", plain(value))));
                        if let Some(header) = report.header.as_mut() {
                            header.inputs.insert(name.clone(), value.clone());
                        }
                    }
                    at(line);
                }
                Event::StepStarted {
                    step,
                    attempt,
                    command,
                } => {
                    // A retry keeps the step's start; a first attempt (the
                    // step run again after a resume) is a start of its own.
                    if *attempt == 1 {
                        started.insert(step.clone(), time.clone());
                    } else {
                        started.entry(step.clone()).or_insert_with(|| time.clone());
                    }
                    open.retain(|s| s != step);
                    open.push(step.clone());
                    if *attempt == 1 {
                        at(started_line(step, None, command.as_deref()));
                    }
                }
                // What an element ran; its end is in the loop's elements.
                Event::ItemStarted {
                    step,
                    index,
                    label,
                    attempt: 1,
                    command: Some(command),
                } => at(started_line(
                    step,
                    Some(format!("[{index}] {label}")),
                    Some(command),
                )),
                Event::ItemFinished {
                    step,
                    index,
                    label,
                    state,
                    message,
                    ..
                } => {
                    let why = message
                        .as_deref()
                        .filter(|_| *state != StepState::Succeeded)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    at(vec![
                        code(step),
                        text(format!(" element [{index}] {label} {}{why}", state.name())),
                    ]);
                    report.elements.push(Element {
                        time: time.clone(),
                        step: step.clone(),
                        index: *index,
                        label: label.clone(),
                        result: state.name().to_string(),
                        message: message.clone(),
                    });
                }
                Event::StepOutput {
                    step,
                    stream,
                    line,
                    continues,
                    item,
                    ..
                } => {
                    let line = OutputLine {
                        stream: *stream,
                        text: line.clone(),
                        item: *item,
                    };
                    match report.output.iter_mut().find(|o| &o.step == step) {
                        Some(output) => {
                            // A piece of a long line joins the line it continues.
                            let continued = output
                                .lines
                                .iter_mut()
                                .rev()
                                .find(|l| l.stream == line.stream && l.item == line.item)
                                .filter(|_| *continues);
                            match continued {
                                Some(previous) => previous.text.push_str(&line.text),
                                None => output.lines.push(line),
                            }
                        }
                        None => report.output.push(StepOutput {
                            step: step.clone(),
                            lines: vec![line],
                        }),
                    }
                }
                Event::StepRetrying {
                    step,
                    attempt,
                    message,
                    ..
                } => at(vec![
                    code(step),
                    text(format!(" attempt {attempt} failed: {message}")),
                ]),
                Event::StepInterrupted { step } => {
                    at(vec![code(step), text(" had been interrupted")])
                }
                Event::RunInterrupted { signal } => at(vec![text(format!(
                    "{signal} received: the running steps are stopped"
                ))]),
                Event::RunInterruptedAgain { signal } => at(vec![text(format!(
                    "{signal} received again: what still ran was killed at once, the cleanups too"
                ))]),
                Event::JournalRepaired {
                    line,
                    dropped_bytes,
                } => at(vec![text(format!(
                    "journal repaired: torn line {line} cut off ({dropped_bytes} bytes)"
                ))]),
                Event::StepWouldRun {
                    step, description, ..
                } => at(vec![code(step), text(" would run: "), code(description)]),
                Event::GateRequested {
                    step,
                    question,
                    detail,
                    ..
                } => report.waiting.push(Waiting {
                    time: time.clone(),
                    step: step.clone(),
                    kind: "gate".into(),
                    question: question.clone(),
                    detail: detail.clone(),
                }),
                Event::GateDecided {
                    step,
                    element,
                    approved,
                    who,
                    via,
                    reason,
                    plan_hash,
                } => {
                    report.waiting.retain(|w| &w.step != step);
                    let verdict = if *approved { "approved" } else { "rejected" };
                    report.decisions.push(Decision {
                        time: time.clone(),
                        step: step.clone(),
                        element: element.clone(),
                        decision: if *approved {
                            Verdict::Approved
                        } else {
                            Verdict::Rejected
                        },
                        who: via.decided_by(who).to_string(),
                        via: via.to_string(),
                        why: reason.clone(),
                        plan_hash: Some(plan_hash.clone()),
                    });
                    let who = via.decided_by(who);
                    let element = element
                        .as_ref()
                        .map(|e| format!(" {e}"))
                        .unwrap_or_default();
                    at(vec![
                        text("gate of "),
                        code(step),
                        text(format!("{element} {verdict} by {who}")),
                    ]);
                }
                Event::Asked {
                    step, kind, text, ..
                } => {
                    if kind == "manual" {
                        manual.insert(step.clone(), text.clone());
                    }
                    report.waiting.push(Waiting {
                        time: time.clone(),
                        step: step.clone(),
                        kind: kind.clone(),
                        question: text.clone(),
                        detail: None,
                    });
                }
                Event::Answered {
                    step,
                    answer,
                    who,
                    via,
                } => {
                    report.waiting.retain(|w| &w.step != step);
                    let (decision, why) = match manual.remove(step) {
                        Some(instructions) => {
                            at(vec![code(step), text(format!(" done, confirmed by {who}"))]);
                            let note = plain(answer);
                            (
                                Verdict::Done { instructions },
                                Some(note).filter(|n| !n.is_empty()),
                            )
                        }
                        None => {
                            at(vec![
                                code(step),
                                text(format!(" answered by {who}: ")),
                                code(plain(answer)),
                            ]);
                            let answer = plain(answer);
                            (Verdict::Answered { answer }, None)
                        }
                    };
                    report.decisions.push(Decision {
                        time: time.clone(),
                        step: step.clone(),
                        element: None,
                        decision,
                        who: who.clone(),
                        via: via.to_string(),
                        why,
                        plan_hash: None,
                    });
                }
                Event::StepFinished {
                    step,
                    state,
                    message,
                    outputs,
                    simulated,
                    results,
                    ..
                } => {
                    open.retain(|s| s != step);
                    report.waiting.retain(|w| &w.step != step);
                    let read = crate::evidence::lines(results);
                    report.evidence.retain(|e| &e.step != step);
                    if !read.is_empty() {
                        report.evidence.push(Evidence {
                            step: step.clone(),
                            lines: read,
                        });
                    }
                    let result = if *simulated {
                        "dry-run".to_string()
                    } else {
                        state.name().to_string()
                    };
                    if *state != StepState::Skipped {
                        at(vec![code(step), text(format!(" {result}"))]);
                    }
                    // A step skipped before and decided again after a
                    // resume has one row: a skip is not history worth a row
                    // of its own (a rejection or a failure is).
                    report
                        .steps
                        .retain(|row| !(&row.step == step && row.result == "skipped"));
                    report.steps.push(StepRow {
                        step: step.clone(),
                        started: started.get(step).cloned(),
                        ended: Some(time.clone()),
                        result,
                        notes: message.clone().unwrap_or_default(),
                        outputs: outputs.clone(),
                    });
                }
                Event::RunFinished {
                    status,
                    summary,
                    cleanup_unfinished,
                    ..
                } => {
                    let status = word(status);
                    at(vec![text(format!("run {status}"))]);
                    report.finished.push(Finish {
                        time: time.clone(),
                        status,
                        counts: summary.clone(),
                        cleanup_unfinished: cleanup_unfinished.clone(),
                    });
                }
                _ => {}
            }
        }
        report.complete = records
            .last()
            .is_some_and(|r| matches!(r.event, Event::RunFinished { .. }));
        for step in open {
            report.steps.push(StepRow {
                started: started.get(&step).cloned(),
                step,
                ended: None,
                result: StepState::Running.name().to_string(),
                notes: String::new(),
                outputs: Map::new(),
            });
        }
        report
    }
}
