//! `runbook pending`, `approve`, `reject` and `answer`: what waits in the
//! run store and deciding it from another terminal. The deciding is the
//! runtime's `pending::decide` (the one code path a web console takes too);
//! here are the words on the terminal. Every text from the record or the
//! decision (a hostile reason, a command with escape sequences) is shown
//! with its control characters escaped.

use super::{INVALID, OK};
use crate::cli::{DecideArgs, DiagnosticFormat};
use runbook_dsl::terminal_text::escape;
use runbook_runtime::pending::{self, DecideError, Listed, PendingKind, PendingRecord, Verdict};
use std::path::Path;

/// `runbook pending [RUN_ID]`.
pub fn list(journal_dir: &Path, run_id: Option<&str>, format: DiagnosticFormat) -> i32 {
    let (found, refused) = match pending::list(journal_dir, run_id) {
        Ok(listed) => listed,
        Err(e) => return refuse(run_id.unwrap_or(""), &e),
    };
    for why in &refused {
        eprintln!("runbook pending: skipped {}", escape(why));
    }
    match format {
        DiagnosticFormat::Json => {
            for listed in &found {
                let mut value = serde_json::to_value(&listed.record).unwrap_or_default();
                value["live"] = listed.live.into();
                println!("{value}");
            }
        }
        DiagnosticFormat::Human => {
            if found.is_empty() {
                println!("nothing waits for a decision in {}", journal_dir.display());
            }
            for listed in &found {
                print!("{}", describe(listed));
            }
        }
    }
    OK
}

/// A pending record as a person reads it before deciding.
fn describe(listed: &Listed) -> String {
    let r = &listed.record;
    let mut out = String::new();
    let mut title = r
        .title
        .as_deref()
        .map(|t| format!(" — {}", escape(t)))
        .unwrap_or_default();
    if let Some(element) = &r.element {
        title.push_str(&format!(", element {}", escape(element)));
    }
    out.push_str(&format!(
        "┌ run {}: `{}`{title} ({})\n",
        r.run_id,
        escape(&r.step),
        match (r.kind, &r.effect) {
            (PendingKind::Gate, Some(effect)) => format!("approval, effect {effect}"),
            (kind, _) => kind.name().to_string(),
        }
    ));
    if !listed.live {
        out.push_str(&format!(
            "│ stale: process {} is gone, nobody waits for this any more\n",
            r.pid
        ));
    }
    out.push_str(&format!(
        "│ started by {}, asked {}",
        escape(&r.starter),
        r.asked_at
    ));
    match &r.deadline {
        Some(deadline) => out.push_str(&format!(", rejected if undecided at {deadline}\n")),
        None => out.push('\n'),
    }
    if r.by_other {
        out.push_str(&format!(
            "│ four-eyes: only someone other than {} may approve it\n",
            escape(&r.starter)
        ));
    }
    if r.rerun {
        out.push_str(
            "│ this step was running when the run stopped: it may have done part of its work\n",
        );
    }
    for line in &r.context {
        out.push_str(&format!("│ {}\n", escape(line)));
    }
    if let Some(command) = &r.command {
        for (i, line) in command.lines().enumerate() {
            let lead = if i == 0 { "runs:  " } else { "       " };
            out.push_str(&format!("│ {lead} {}\n", escape(line)));
        }
    }
    for line in r.question.lines() {
        out.push_str(&format!("│ {}\n", escape(line)));
    }
    if let Some(pending::AnswerSpec::Choice { choices }) = &r.answer {
        for (i, c) in choices.iter().enumerate() {
            out.push_str(&format!("│   {}) {}\n", i + 1, escape(c)));
        }
    }
    let how = match r.kind {
        PendingKind::Gate => format!(
            "runbook approve {0} {1} (or reject {0} {1}) [--reason TEXT]",
            r.run_id,
            escape(&r.step)
        ),
        PendingKind::Ask => format!(
            "runbook answer {0} {1}=VALUE (or reject {0} {1})",
            r.run_id,
            escape(&r.step)
        ),
        PendingKind::Manual => format!(
            "runbook approve {0} {1} once it is done (or reject {0} {1})",
            r.run_id,
            escape(&r.step)
        ),
    };
    out.push_str(&format!("└ {how}\n"));
    out
}

/// `runbook approve` (`approved`) and `runbook reject`.
pub fn approve(args: &DecideArgs, approved: bool) -> i32 {
    let verdict = Verdict::approval(approved, args.reason.clone());
    decide(&args.journal_dir, &args.run_id, &args.step, &verdict)
}

/// `runbook answer RUN STEP=VALUE`.
pub fn answer(journal_dir: &Path, run_id: &str, pair: &str) -> i32 {
    let (step, value) = match crate::inputs::split_pair(pair, "answer") {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("runbook answer: {e}");
            return INVALID;
        }
    };
    decide(journal_dir, run_id, &step, &Verdict::Answer { value })
}

fn decide(journal_dir: &Path, run_id: &str, step: &str, verdict: &Verdict) -> i32 {
    // What is decided is shown first, as the prompt would show it.
    if let Ok((found, _)) = pending::list(journal_dir, Some(run_id)) {
        if let Some(listed) = found.iter().find(|l| l.record.step == step && l.live) {
            eprint!("{}", describe(listed));
        }
    }
    match pending::decide(journal_dir, run_id, step, verdict) {
        Ok(record) => {
            eprintln!("{}", said(&record, verdict));
            OK
        }
        Err(e) => refuse(run_id, &e),
    }
}

/// What was decided, in one line.
fn said(record: &PendingRecord, verdict: &Verdict) -> String {
    let what = match verdict {
        Verdict::Approve { .. } if record.kind == PendingKind::Manual => "confirmed",
        Verdict::Approve { .. } => "approved",
        Verdict::Reject { .. } => "rejected",
        Verdict::Answer { .. } => "answered",
    };
    format!(
        "{what} `{}` of run {} as {}: the run takes it within a moment",
        escape(&record.step),
        record.run_id,
        runbook_runtime::operator::user_name(unsafe { libc::getuid() })
    )
}

fn refuse(run_id: &str, error: &DecideError) -> i32 {
    let (code, help) = match error {
        DecideError::NoRun(_) => (
            "runbook::bad_run_id",
            "give a run id as `runbook runs` or `runbook pending` lists it".to_string(),
        ),
        DecideError::NotPending { .. } => (
            "runbook::not_pending",
            format!("`runbook pending {run_id}` lists what waits; a decision is taken only while the run waits at that step"),
        ),
        DecideError::WrongVerdict(_) => (
            "runbook::wrong_decision",
            "a gate is approved or rejected, an `ask` answered or rejected, a `manual` step approved (done) or rejected".into(),
        ),
        DecideError::InvalidAnswer(_) => (
            "runbook::invalid_answer",
            "give one of the answers it accepts (a choice by name or by its number); nothing was decided".into(),
        ),
        DecideError::FourEyes { .. } => (
            "runbook::four_eyes",
            "the step says `approval: {by: other}`: ask a colleague to run `runbook approve` as their own user; you may still reject it".into(),
        ),
        DecideError::AlreadyDecided { .. } => (
            "runbook::already_decided",
            "see `runbook report` for who decided".into(),
        ),
        DecideError::Changed(_) => (
            "runbook::changed",
            format!("`runbook pending {run_id}` lists what waits now"),
        ),
        DecideError::Io(_) => (
            "runbook::decision_failed",
            "check that you are in the group of the journal directory and it is writable (docs/run-store.md)".into(),
        ),
    };
    crate::run_dir::refuse(run_id, code, escape(&error.to_string()).into_owned(), help);
    INVALID
}
