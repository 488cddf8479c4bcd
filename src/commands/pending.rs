//! `runbook pending`, `approve`, `reject` and `answer`: what waits in the
//! run store and deciding it from another terminal. The deciding is the
//! runtime's `pending::decide` (the one code path a web console takes too);
//! here are the words on the terminal. Every text from the record or the
//! decision (a hostile reason, a command with escape sequences) is shown
//! with its control characters escaped.

use super::{INVALID, OK};
use crate::cli::{DecideArgs, DiagnosticFormat};
use runbook_dsl::terminal_text::escape;
use runbook_runtime::pending::{self, DecideError, Decided, Listed, PendingKind, Target, Verdict};
use std::path::Path;

/// `runbook pending [RUN_ID] [--all]`: what waits, and with `all` the
/// stale records too (otherwise only counted, on stderr).
pub fn list(journal_dir: &Path, run_id: Option<&str>, format: DiagnosticFormat, all: bool) -> i32 {
    let (found, refused) = match pending::list(journal_dir, run_id) {
        Ok(listed) => listed,
        Err(e) => return refuse(run_id.unwrap_or(""), &e),
    };
    for why in &refused {
        eprintln!("runbook pending: skipped {}", escape(why));
    }
    let (shown, stale): (Vec<&Listed>, Vec<&Listed>) = found.iter().partition(|l| l.live || all);
    let dir = pending::journal_dir_to_name(journal_dir);
    match format {
        DiagnosticFormat::Json => {
            for listed in &shown {
                let mut value = serde_json::to_value(&listed.record).unwrap_or_default();
                value["live"] = listed.live.into();
                println!("{value}");
            }
        }
        DiagnosticFormat::Human => {
            if shown.iter().all(|l| !l.live) {
                println!("nothing waits for a decision in {}", journal_dir.display());
            }
            for listed in &shown {
                print!("{}", describe(listed, dir));
            }
        }
    }
    let run = run_id.map(|r| format!(" {r}")).unwrap_or_default();
    let dir = pending::journal_dir_flag(journal_dir);
    // Decisions already taken are nothing pending: only counted, with
    // who may remove them.
    let decided = pending::leftovers(journal_dir, run_id).unwrap_or_default();
    if !decided.is_empty() {
        eprintln!(
            "runbook pending: {} decision file(s) of gates decided already are left in `gates/` (nothing waits for them; a run resumed by someone who does not own its directory cannot remove another user's decision): `runbook pending{run}{dir} --prune`, run by the owner of the run directory or by whoever decided, removes them",
            decided.len()
        );
    }
    if !stale.is_empty() {
        eprintln!(
            "runbook pending: {} stale record(s) not shown: their process is gone or no longer works on the run, so nobody waits for them (`runbook pending{run}{dir} --all` shows them, `runbook pending{run}{dir} --prune` removes them)",
            stale.len()
        );
    }
    OK
}

/// `runbook pending [RUN_ID] --prune`: removes the stale records the
/// caller may remove; says what it removed and what it left.
pub fn prune(journal_dir: &Path, run_id: Option<&str>, format: DiagnosticFormat) -> i32 {
    let pruned = match pending::prune(journal_dir, run_id) {
        Ok(pruned) => pruned,
        Err(e) => return refuse(run_id.unwrap_or(""), &e),
    };
    for path in &pruned.removed {
        match format {
            DiagnosticFormat::Json => println!(
                "{}",
                serde_json::json!({"removed": path.display().to_string()})
            ),
            DiagnosticFormat::Human => println!("removed {}", escape(&path.display().to_string())),
        }
    }
    for why in &pruned.kept {
        eprintln!("runbook pending: kept {}", escape(why));
    }
    if pruned.removed.is_empty() && format == DiagnosticFormat::Human {
        println!("no stale record removed in {}", journal_dir.display());
    }
    OK
}

/// A pending record as a person reads it before deciding, ending with the
/// exact commands that decide it (`--journal-dir` named when a `runbook`
/// in the same environment would not find it by itself).
fn describe(listed: &Listed, journal_dir: Option<&Path>) -> String {
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
        escape(&r.named_step()),
        match (r.kind, &r.effect) {
            (PendingKind::Gate, Some(effect)) => format!("approval, effect {effect}"),
            (kind, _) => kind.name().to_string(),
        }
    ));
    if !listed.live {
        out.push_str(&format!(
            "│ stale: process {} no longer waits for it (it is gone, or the run was resumed since)\n",
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
    if !listed.live {
        out.push_str("└ it cannot be decided\n");
        return out;
    }
    out.push_str("│ decide it with one of these (approve and reject take --reason TEXT):\n");
    let commands = pending::commands(r, journal_dir);
    let last = commands.len().saturating_sub(1);
    for (i, c) in commands.iter().enumerate() {
        let lead = if i == last { '└' } else { '│' };
        out.push_str(&format!("{lead}   {}\n", escape(&c.command)));
    }
    out
}

/// `runbook approve RUN STEP[ELEMENT]` (`approved`) and `runbook reject`.
pub fn approve(args: &DecideArgs, approved: bool) -> i32 {
    let verb = if approved { Verdict::APPROVE } else { "reject" };
    let target = match Target::parse(&args.step) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("runbook {verb}: {}", escape(&e));
            return INVALID;
        }
    };
    let verdict = Verdict::approval(approved, args.reason.clone());
    decide(&args.journal_dir, &args.run_id, &target, &verdict)
}

/// `runbook answer RUN STEP[ELEMENT]=VALUE`.
pub fn answer(journal_dir: &Path, run_id: &str, pair: &str) -> i32 {
    let (target, value) = match Target::parse_answer(pair) {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("runbook answer: {}", escape(&e));
            return INVALID;
        }
    };
    decide(journal_dir, run_id, &target, &Verdict::Answer { value })
}

fn decide(journal_dir: &Path, run_id: &str, target: &Target, verdict: &Verdict) -> i32 {
    // What is decided is shown first, as the prompt would show it.
    let found = pending::list(journal_dir, Some(run_id))
        .map(|(found, _)| found)
        .unwrap_or_default();
    let named: Vec<&Listed> = found
        .iter()
        .filter(|l| l.live && target.matches(&l.record))
        .collect();
    if let [listed] = named.as_slice() {
        eprint!(
            "{}",
            describe(listed, pending::journal_dir_to_name(journal_dir))
        );
    }
    match pending::decide(journal_dir, run_id, target, verdict) {
        Ok(decided) => {
            eprintln!("{}", said(&decided, verdict));
            OK
        }
        // Only a stale record at that step: say why it cannot be decided.
        Err(e @ DecideError::NotPending { .. })
            if found.iter().any(|l| target.matches(&l.record) && !l.live) =>
        {
            crate::run_dir::refuse(
                run_id,
                "runbook::not_pending",
                escape(&e.to_string()).into_owned(),
                format!(
                    "its record is stale: the process that waited at it is gone, or the run was resumed since; `runbook resume {run_id}{}` asks again",
                    pending::journal_dir_flag(journal_dir)
                ),
            )
        }
        Err(
            e @ (DecideError::Ambiguous { .. } | DecideError::ElementNotNamed { .. }),
        ) => name_one(journal_dir, run_id, &e, verdict),
        Err(e) => refuse(run_id, &e),
    }
}

/// Refuses a decision that does not name one element of a loop gated one
/// by one: a bare `STEP` while elements of it wait, or a name of several
/// records waiting at once. Nothing is decided; each waiting record is
/// listed with the command that decides it alone, one per line after the
/// diagnostic (never wrapped, so each can be pasted as shown).
fn name_one(journal_dir: &Path, run_id: &str, error: &DecideError, verdict: &Verdict) -> i32 {
    let (code, step, waiting) = match error {
        DecideError::Ambiguous { step, waiting } => ("runbook::ambiguous_gate", step, waiting),
        DecideError::ElementNotNamed { step, waiting } => {
            ("runbook::element_not_named", step, waiting)
        }
        other => return refuse(run_id, other),
    };
    let help = match waiting.first() {
        Some(first) if first.element.is_some() => {
            let bare = first.named_step();
            format!("name the one you mean, `{bare}[INDEX]` or `{bare}[LABEL]`, as the commands below do")
        }
        // A step of a playbook a loop calls: one element's run of it.
        Some(_) => "name the element of the calling loop you mean, `CALL[INDEX].STEP` or `CALL[LABEL].STEP`, as the commands below do".to_string(),
        None => format!("name the one you mean, `{step}[INDEX]` or `{step}[LABEL]`, as the commands below do"),
    };
    crate::run_dir::refuse(run_id, code, escape(&error.to_string()).into_owned(), help);
    let dir = pending::journal_dir_to_name(journal_dir);
    eprintln!("waiting at `{}`:", escape(step));
    for record in waiting {
        let element = match &record.element {
            Some(element) => format!(", element {}", escape(element)),
            None => String::new(),
        };
        eprintln!("  `{}`{element}", escape(&record.named_step()));
        // The commands of the verb given; all of them when it decides no
        // such record (`answer` at a gate), so each record has its commands.
        let commands = pending::commands(record, dir);
        let same_verb = commands.iter().any(|c| c.verb == verdict.name());
        for c in commands {
            if c.verb == verdict.name() || !same_verb {
                eprintln!("    {}", escape(&c.command));
            }
        }
    }
    INVALID
}

/// What was decided, in one line, and whether the run took it already.
fn said(decided: &Decided, verdict: &Verdict) -> String {
    let record = &decided.record;
    let what = match verdict {
        Verdict::Approve { .. } if record.kind == PendingKind::Manual => "confirmed",
        Verdict::Approve { .. } => "approved",
        Verdict::Reject { .. } => "rejected",
        Verdict::Answer { .. } => "answered",
    };
    let taken = if decided.taken {
        "the run took it"
    } else {
        "the run has not read it yet, and takes it when it next looks"
    };
    format!(
        "{what} `{}` of run {} as {}: {taken}",
        escape(&Target::of(record).to_string()),
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
        DecideError::Ambiguous { .. } => (
            "runbook::ambiguous_gate",
            format!("`runbook pending {run_id}` lists each waiting element with the command that decides it"),
        ),
        DecideError::ElementNotNamed { .. } => (
            "runbook::element_not_named",
            format!("`runbook pending {run_id}` lists each waiting element with the command that decides it"),
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
