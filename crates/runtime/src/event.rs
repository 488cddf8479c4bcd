//! What happens during a run, as one serializable enum.
//!
//! The runner never prints: it publishes [`Event`]s to an [`crate::EventBus`],
//! and the terminal view, `--output json`, the journal and the report are all
//! subscribers or readers of the same stream. The JSON form (one [`Record`]
//! per line) is the journal format and the `--output json` format, documented
//! in `docs/cli.md`; fields are only ever added to it.

use crate::mode::Mode;
use crate::operator::Via;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a step is in its life. The terminal states are those a
/// [`Event::StepFinished`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not yet decided: some of its dependencies have not settled.
    Pending,
    /// Its action is executing (or polling, or between retries).
    Running,
    /// Waiting for the operator at a gate, a `manual` step or an `ask`.
    AwaitingApproval,
    Succeeded,
    Failed,
    /// Not run, with a reason (a `when` guard, a branch case not taken, a
    /// failed dependency under `on_failure: continue`, ...).
    Skipped,
    /// Its gate was rejected, timed out, or could not be asked.
    Rejected,
    /// Its last attempt exceeded the step's `timeout`.
    TimedOut,
    /// Stopped by an abort or an interruption while it was running.
    Cancelled,
}

impl StepState {
    /// Whether the step will not change state any more.
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            StepState::Pending | StepState::Running | StepState::AwaitingApproval
        )
    }

    /// Whether this counts as a failure of the step for `on_failure`.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            StepState::Failed | StepState::TimedOut | StepState::Cancelled | StepState::Rejected
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::AwaitingApproval => "awaiting approval",
            StepState::Succeeded => "succeeded",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
            StepState::Rejected => "rejected",
            StepState::TimedOut => "timed out",
            StepState::Cancelled => "cancelled",
        }
    }
}

/// How a whole run ended; decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every step settled and no failure stopped the run (exit 0).
    Succeeded,
    /// A step failed and its failure was not handled (exit 1).
    Failed,
    /// A gate was rejected or an answer was missing (exit 3).
    Rejected,
    /// Interrupted by a signal: exit 128 + the signal's number (Ctrl-C
    /// 130, SIGTERM 143, SIGHUP 129, SIGQUIT 131); 130 when no signal is known.
    Interrupted,
}

impl RunStatus {
    pub fn exit_code(self) -> i32 {
        match self {
            RunStatus::Succeeded => 0,
            RunStatus::Failed => 1,
            RunStatus::Rejected => 3,
            RunStatus::Interrupted => 130,
        }
    }
}

/// Which stream a line of live output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    /// A `log` step's message.
    Log,
}

/// One thing that happened. Every string in it has gone through the run's
/// [`crate::Masker`] before any subscriber sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The first event of a journal.
    RunStarted {
        run_id: String,
        /// The playbook path as given on the command line.
        playbook: String,
        name: Option<String>,
        /// SHA-256 of the checked playbook's canonical form (see
        /// `session::hash`): `resume` refuses a changed playbook.
        plan_hash: String,
        mode: Mode,
        /// The inputs as resolved (secret ones masked).
        inputs: Map<String, Value>,
        /// Who started it, as their session names them (`$USER`): for
        /// people to read.
        user: String,
        /// The working directory of the run, relative paths resolve from it.
        workdir: String,
        /// The real uid of the process that started it: who started the run
        /// for four-eyes (absent from journals written before it was).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uid: Option<u32>,
        /// The operator's `--output-cap` in bytes, when given: `resume`
        /// keeps it as the run's bound unless given a lower one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_cap: Option<u64>,
    },
    /// A computed value (`vars:`) was computed, the first time a step
    /// needed it; `resume` restores it so the rest of the run sees the same.
    VarComputed { name: String, value: Value },
    /// `runbook resume` picked the run up again.
    RunResumed {
        run_id: String,
        user: String,
        /// Steps whose success was restored from the journal.
        restored: Vec<String>,
        /// Elements of loops not finished that succeeded before and will
        /// not run again (their loop is not among `restored`).
        #[serde(default, skip_serializing_if = "is_zero")]
        elements_kept: usize,
        /// The real uid of the resuming process (see `RunStarted::uid`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uid: Option<u32>,
        /// The operator's bound on output caps from here on, in bytes: the
        /// interrupted run's `--output-cap`, or the resume's when lower.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_cap: Option<u64>,
        /// Inputs given a new value at this resume (`--force`), as they are
        /// from here on; secret ones, given again at every resume, are not
        /// listed.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        inputs: Map<String, Value>,
    },
    StepStarted {
        step: String,
        /// 1 for the first try.
        attempt: u32,
        /// What it runs, as the kind describes it (the rendered command,
        /// the request), masked: on the first attempt, so a review after
        /// the incident reads what ran, gated or not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
    },
    /// One element of a `for_each` step started an attempt.
    ItemStarted {
        step: String,
        /// The element's position in the list, from 0.
        index: usize,
        /// The element as shown to people (a name, the value itself).
        label: String,
        /// 1 for the first try.
        attempt: u32,
        /// As [`Event::StepStarted`]'s.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
    },
    /// One element of a `for_each` step ended; `resume` does not run an
    /// element again once this record says it succeeded.
    ItemFinished {
        step: String,
        index: usize,
        label: String,
        state: StepState,
        message: Option<String>,
        /// The kind's result fields for this element.
        results: Map<String, Value>,
        /// The step's declared outputs, captured from this element.
        outputs: Map<String, Value>,
        attempts: u32,
        /// Journal only: the results (`stdout`, `stderr`) left out of this
        /// record because the element's `step_output` lines (those with its
        /// `item`) hold them; see `journal_output`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        output_in_lines: Vec<String>,
    },
    /// A line a step printed (or a `log` message), or one piece of a line
    /// longer than the reader's piece size (64 KiB).
    StepOutput {
        step: String,
        stream: Stream,
        line: String,
        /// This piece continues the previous `step_output` of the same step
        /// and stream: the two are one line, with no line break between
        /// them. Left out when false, so journals written before it read
        /// the same.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        continues: bool,
        /// The line (this piece ends it) ended with `\r\n`, not `\n`: the
        /// `\r` is not in `line`, and a reader rebuilding the text puts
        /// `\r\n` before the next line. Left out when false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        crlf: bool,
        /// The position of the `for_each` element that printed it, for the
        /// lines of a loop (its elements may run at once, so their lines
        /// and pieces interleave under the step's id). Left out otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
    },
    /// An attempt failed and another one follows after `delay_ms`.
    StepRetrying {
        step: String,
        attempt: u32,
        delay_ms: u64,
        message: String,
    },
    /// An `until` condition did not hold yet; the step runs again after `every_ms`.
    StepPolling {
        step: String,
        attempt: u32,
        every_ms: u64,
        message: String,
    },
    /// Dry-run: what a `write`/`destructive` step would do, not done.
    StepWouldRun {
        step: String,
        effect: String,
        description: String,
    },
    /// A gate (an `approval`, an `approve` step, or a re-run of an
    /// interrupted step on resume) is put to the operator.
    GateRequested {
        step: String,
        question: String,
        effect: String,
        /// The rendered command or request, when the step has one.
        detail: Option<String>,
    },
    /// Dry-run: a gate that would be asked.
    GateShown {
        step: String,
        question: String,
        effect: String,
    },
    /// The decision at a gate: journaled with who, when (the record's time),
    /// why, and the plan that was approved.
    GateDecided {
        step: String,
        /// The element of a loop whose own gate this was
        /// (`approval_per_item`), as the run shows it: `[INDEX] LABEL`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        element: Option<String>,
        approved: bool,
        who: String,
        via: Via,
        reason: Option<String>,
        plan_hash: String,
    },
    /// A `manual` step's instructions or an `ask` question, rendered, as
    /// put to the operator (also when the command line answers it, so the
    /// journal and the terminal show what was confirmed).
    Asked {
        step: String,
        /// `manual` or `ask`.
        kind: String,
        /// The instructions, or the question.
        text: String,
        /// The step's `description`, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// An operator's answer to an `ask`, or confirmation of a `manual` step.
    Answered {
        step: String,
        answer: Value,
        who: String,
        via: Via,
    },
    /// On resume: the step was running when the run stopped; it may have
    /// done part or all of its work.
    StepInterrupted { step: String },
    /// The run was interrupted from outside: running steps are cancelled
    /// and their process groups killed (TERM, then KILL after the grace
    /// period). Journaled when the interruption arrives, before the steps end.
    RunInterrupted {
        /// The signal (`SIGINT`, `SIGTERM`, `SIGHUP`, `SIGQUIT`), or
        /// `interrupt` when the run was cancelled by its caller.
        signal: String,
    },
    /// A second signal, after the one `RunInterrupted` journals: the
    /// process groups still being stopped are killed at once, and the
    /// running cleanups are stopped. Journaled when it arrives; what
    /// stopped the run first stays how it ended.
    RunInterruptedAgain {
        /// As in `run_interrupted`.
        signal: String,
    },
    /// Written by `resume` before anything else is appended: the journal's
    /// last line was torn (a write cut short by a crash, no newline) and was
    /// cut off.
    JournalRepaired {
        /// The 1-based line number of the torn line.
        line: u64,
        /// How many bytes were cut off.
        dropped_bytes: u64,
    },
    StepFinished {
        step: String,
        state: StepState,
        /// Why it was skipped, why it failed, what it would do.
        message: Option<String>,
        /// The kind's result fields (`stdout`, `exit_code`, `answer`, ...).
        results: Map<String, Value>,
        /// The step's declared outputs.
        outputs: Map<String, Value>,
        /// Dry-run: the step did not execute, its results are unknown.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        simulated: bool,
        /// Journal only: the results (`stdout`, `stderr`) left out of this
        /// record because the step's `step_output` lines hold them (joined
        /// by newlines); see `journal_output`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        output_in_lines: Vec<String>,
        attempts: u32,
        duration_ms: u64,
    },
    RunFinished {
        status: RunStatus,
        duration_ms: u64,
        /// How many steps ended in each state.
        summary: Map<String, Value>,
        /// The cleanups (`finally` steps) that did not finish, each as
        /// `` `ID` (state) ``: what they undo may still be in place, and
        /// `runbook resume` finishes them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cleanup_unfinished: Vec<String>,
        /// When the run stopped early: the cleanups that ran (succeeded).
        /// With none unfinished, a resume would run nothing, and a calling
        /// step whose called run ended so is not run again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cleaned_up: Vec<String>,
    },
    /// Journal only: an event of the run of a playbook that the step
    /// `call` called (`CALL` or, for calls within calls, `CALL.INNER`),
    /// journaled inside its caller's journal so that `resume` continues
    /// inside it. Its step ids are addressed `CALL.STEP`. Views and
    /// `--output json` never carry it (they show the calling step).
    Called { call: String, record: Box<Event> },
}

impl Event {
    /// The step an event is about, if any.
    pub fn step(&self) -> Option<&str> {
        match self {
            Event::StepStarted { step, .. }
            | Event::ItemStarted { step, .. }
            | Event::ItemFinished { step, .. }
            | Event::StepOutput { step, .. }
            | Event::StepRetrying { step, .. }
            | Event::StepPolling { step, .. }
            | Event::StepWouldRun { step, .. }
            | Event::GateRequested { step, .. }
            | Event::GateShown { step, .. }
            | Event::GateDecided { step, .. }
            | Event::Asked { step, .. }
            | Event::Answered { step, .. }
            | Event::StepInterrupted { step }
            | Event::StepFinished { step, .. } => Some(step),
            _ => None,
        }
    }
}

/// An event with its place in the run: the unit of the journal and of
/// `--output json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the journal, from 0; continues across resumes.
    pub seq: u64,
    /// RFC 3339 UTC time with milliseconds.
    pub time: String,
    #[serde(flatten)]
    pub event: Event,
}

/// The current time as the journal writes it.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// For `skip_serializing_if`: a count of nothing is left out.
fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::Via;

    /// Lines as runbook wrote them before `via` was an enum (the first two
    /// copied from a run of that binary): they read into the enum and are
    /// written back byte for byte.
    #[test]
    fn journal_lines_written_before_via_was_an_enum_still_read() {
        let lines = [
            (
                r#"{"seq":2,"time":"2026-11-30T21:44:23.088Z","event":"gate_decided","step":"deploy","approved":true,"who":"root","via":"--approve","reason":null,"plan_hash":"4d6e682aaa0787ae81751b9aaa2a2006707fad54da7b8b2fa87c93cea450155d"}"#,
                Via::Approve,
            ),
            (
                r#"{"seq":7,"time":"2026-11-30T21:44:23.106Z","event":"answered","step":"pick","answer":"b","who":"root","via":"--answer"}"#,
                Via::Answer,
            ),
            (
                r#"{"seq":4,"time":"2026-11-30T21:44:23.100Z","event":"gate_decided","step":"rollback.drain","approved":true,"who":"alice","via":"approval of `rollback`","reason":null,"plan_hash":"ab"}"#,
                Via::CallerApproval("rollback".into()),
            ),
            (
                r#"{"seq":5,"time":"2026-11-30T21:44:23.100Z","event":"gate_decided","step":"go","approved":false,"who":"alice","via":"no terminal","reason":"no terminal to ask: pass `--approve go` to approve it","plan_hash":"ab"}"#,
                Via::NoTerminal,
            ),
            (
                r#"{"seq":6,"time":"2026-11-30T21:44:23.100Z","event":"answered","step":"pick","answer":"a","who":"alice","via":"timeout (the default)"}"#,
                Via::TimeoutDefault,
            ),
        ];
        for (line, want) in lines {
            let record: Record = serde_json::from_str(line).expect(line);
            let via = match &record.event {
                Event::GateDecided { via, .. } | Event::Answered { via, .. } => via,
                other => panic!("{other:?}"),
            };
            assert_eq!(*via, want);
            assert_eq!(serde_json::to_string(&record).unwrap(), line);
        }
        let unknown = r#"{"seq":1,"time":"t","event":"answered","step":"a","answer":"b","who":"c","via":"by email"}"#;
        assert!(serde_json::from_str::<Record>(unknown).is_err());
    }
}
