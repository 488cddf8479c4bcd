//! `runbook run FILE`: check the playbook, refuse what cannot run, read the
//! inputs and decisions given, then start the run (the runtime's
//! [`Session`]) with the terminal view (or JSON lines) and signals.
//! `resume` shares [`execute`].

use super::{load, INVALID, JOURNAL_FAILED};
use crate::cli::{Decisions, OutputFormat, RunArgs};
use crate::inputs::{self, Given};
use crate::prompt::Terminal;
use crate::view;
use runbook_dsl::diagnostic::Report;
use runbook_dsl::plan::Plan;
use runbook_runtime::journal::{self, WriteFailure};
use runbook_runtime::operator::{current_user, Operator, Preapproved};
use runbook_runtime::pending::Waiting;
use runbook_runtime::runner::RunOutcome;
use runbook_runtime::session::inputs::{self as resolving, Environment};
use runbook_runtime::session::{Ended, OpenError, Session};
use runbook_runtime::{Mode, RunStatus};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// `runbook run`.
pub fn run(args: &RunArgs) -> i32 {
    let checked = load(&args.file);
    crate::diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    let given = match Given::read(&args.decisions.input, args.decisions.inputs_file.as_deref()) {
        Ok(given) => given,
        Err(e) => return usage(&e),
    };
    let inputs = match resolving::resolve(plan.playbook(), &given.values, Environment::Process) {
        Ok(inputs) => inputs,
        Err(problems) => {
            for problem in problems {
                eprintln!("runbook run: {}", inputs::say(&problem, plan.playbook()));
            }
            return INVALID;
        }
    };
    secret_on_command_line(&plan, &args.decisions.input);
    let refused = runbook_runtime::session::preflight::refused_inputs(&plan, &inputs);
    if !refused.is_empty() {
        for r in &refused {
            eprintln!(
                "runbook run: input `{}` cannot go where step `{}` puts it: {}",
                r.input,
                r.step,
                runbook_dsl::terminal_text::escape(&r.message)
            );
        }
        eprintln!("runbook run: nothing ran: give a value that fits there");
        return INVALID;
    }
    let operator = match operator(&args.decisions, &plan) {
        Ok(op) => op,
        Err(code) => return code,
    };
    for warning in crate::decisions::approving_nothing(&plan, &args.decisions.approve) {
        eprintln!("runbook: warning: {warning}");
    }
    let run_id = journal::new_run_id();
    let session = Session {
        plan: Arc::new(plan),
        playbook_arg: args.file.display().to_string(),
        run_id,
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Run
        },
        jobs: args.jobs as usize,
        journal_dir: args.decisions.journal_dir.clone(),
        gate_timeout: gate_timeout(&args.decisions),
        workdir: started_in(),
        output_cap: runbook_runtime::output_cap::OutputCaps::from_flag(args.decisions.output_cap),
        inputs,
        continued: None,
        waiting: waiting(&args.decisions),
    };
    execute(session, operator, &args.decisions)
}

/// Warns of a secret input given as `--input NAME=VALUE`: the value is in
/// the process's arguments, which every user of the machine can read
/// (`ps`), and in the shell's history. The value itself is never said.
pub fn secret_on_command_line(plan: &Plan, given: &[String]) {
    for pair in given {
        let name = pair.split('=').next().unwrap_or_default();
        let Some(input) = plan
            .playbook()
            .inputs
            .iter()
            .find(|i| i.name.value == name && i.is_secret())
        else {
            continue;
        };
        let instead = match &input.env {
            Some(var) => format!("set `{}` in the environment", var.value),
            None => "give it in `--inputs-file` (a file only you can read)".into(),
        };
        eprintln!(
            "runbook: warning: the secret input `{name}` was given with `--input`, where other users of this machine can read it (`ps`) and the shell's history keeps it: {instead} instead"
        );
    }
}

fn usage(message: &str) -> i32 {
    eprintln!("runbook: {message}");
    INVALID
}

/// The operator: a terminal prompt when stdin is a terminal, otherwise the
/// command-line decisions only (fail closed). The decisions are checked
/// against the playbook first; `Err` is the exit code when they are wrong.
pub fn operator(args: &Decisions, plan: &Plan) -> Result<Arc<dyn Operator>, i32> {
    let preapproved = preapproved(args).map_err(|e| usage(&e))?;
    let problems = crate::decisions::check(plan, &preapproved);
    if !problems.is_empty() {
        for problem in problems {
            eprint!("{}", problem.render(crate::diagnostics::style()));
        }
        return Err(INVALID);
    }
    Ok(if std::io::stdin().is_terminal() {
        Arc::new(Terminal::new(preapproved))
    } else {
        Arc::new(preapproved)
    })
}

/// How gates wait: at a terminal its prompt races remote decisions; with
/// no terminal they fail closed at once unless `--wait-for-approval`.
pub fn waiting(args: &Decisions) -> Waiting {
    if std::io::stdin().is_terminal() {
        Waiting::Prompt
    } else if args.wait_for_approval {
        Waiting::Remote
    } else {
        Waiting::FailClosed
    }
}

/// `--wait-for-approval` never waits forever: without `--gate-timeout`
/// a gate is rejected after [`DEFAULT_REMOTE_WAIT`].
pub fn gate_timeout(args: &Decisions) -> Option<std::time::Duration> {
    args.gate_timeout
        .or((args.wait_for_approval).then_some(DEFAULT_REMOTE_WAIT))
}

/// How long `--wait-for-approval` waits at a gate without `--gate-timeout`.
pub const DEFAULT_REMOTE_WAIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The decisions given on the command line, as written.
fn preapproved(args: &Decisions) -> Result<Preapproved, String> {
    let mut answers = HashMap::new();
    if let Some(file) = &args.answers {
        for (k, v) in inputs::read_mapping(file)? {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            answers.insert(k, v);
        }
    }
    for pair in &args.answer {
        let (k, v) = inputs::split_pair(pair, "--answer")?;
        answers.insert(k, v);
    }
    Ok(Preapproved {
        steps: args.approve.iter().cloned().collect(),
        yes: args.yes,
        answers,
        who: current_user(),
    })
}

/// Runs a session to its end with the terminal's views and signals;
/// returns the exit code. Its messages never panic when stderr is gone (a
/// SIGHUP when the terminal closed): the run still ends properly,
/// journaled, with its exit code.
pub fn execute(session: Session, mut operator: Arc<dyn Operator>, decisions: &Decisions) -> i32 {
    let output = decisions.output;
    let plan = session.plan.clone();
    let run_id = session.run_id.clone();
    let journal_dir = session.journal_dir.clone();
    let waits_remotely = session.waiting == Waiting::Remote;
    let mut opened = match session.open() {
        Ok(opened) => opened,
        Err(OpenError::RunId(e)) => return crate::run_dir::bad_id(&run_id, e),
        Err(OpenError::CreateDir(e)) => {
            return usage(&format!(
                "cannot create the journal under `{}`: {e}",
                journal_dir.display()
            ))
        }
        Err(OpenError::Locked(e)) => {
            return crate::run_dir::locked(&journal_dir.join(&run_id), &run_id, e)
        }
        Err(OpenError::Journal { path, error }) => {
            return usage(&format!(
                "cannot open the journal in `{}`: {error}",
                path.display()
            ))
        }
        Err(OpenError::Gates(why)) => {
            return usage(&format!(
            "`--wait-for-approval`: nobody could decide this run's gates from another terminal: {}",
            runbook_dsl::terminal_text::escape(&why)
        ))
        }
    };
    let mode = opened.mode();
    let asked_elements = crate::decisions::AskedElements::default();
    opened.subscribe(Box::new(asked_elements.clone()));
    let color = crate::palette::stderr();
    match output {
        OutputFormat::Json => opened.subscribe(Box::new(view::JsonLines)),
        OutputFormat::Human => {
            let titles = (0..plan.len())
                .filter_map(|i| {
                    let step = plan.step(i).0;
                    step.title
                        .as_ref()
                        .map(|t| (step.id.value.clone(), t.value.clone()))
                })
                .collect();
            // Live only on a terminal with colour (no `NO_COLOR`); forced
            // colour on a pipe (`CLICOLOR_FORCE`) colours the plain lines.
            if color && std::io::stderr().is_terminal() {
                let screen = crate::live::Screen::new();
                operator = Arc::new(crate::live::Pausing {
                    inner: operator,
                    screen: screen.clone(),
                });
                opened.subscribe(Box::new(crate::live::Live::new(screen, titles)));
            } else {
                opened.subscribe(Box::new(view::Human::new(color, titles)));
            }
        }
    }
    if waits_remotely && output == OutputFormat::Human {
        let dir = runbook_runtime::pending::journal_dir_flag(&journal_dir);
        let _ = writeln!(
            std::io::stderr(),
            "no terminal: gates, questions and manual steps wait for a decision from another terminal (`runbook pending {run_id}{dir}` shows how to decide each)"
        );
    }
    runbook_stdlib::watchdog::install(Some(opened.final_sync()));
    let ended = opened.run(
        Arc::new(runbook_stdlib::Builtins),
        operator,
        |cancel, interruption| {
            if let Err(e) = crate::signals::watch(cancel, interruption) {
                let _ = writeln!(
                    std::io::stderr(),
                    "runbook: cannot handle signals ({e}): a signal will end runbook at once"
                );
            }
        },
    );
    let Ended {
        outcome,
        journal_failure,
        journal_path,
        masker,
    } = match ended {
        Ok(ended) => ended,
        Err(e) => return usage(&format!("cannot start the runtime: {e}")),
    };
    // A stopped run whose cleanups all ran (its own, or those of a
    // playbook whose calling step stopped it): a resume would run nothing.
    let finished_off = (mode != Mode::DryRun && exit_code(&outcome, &journal_failure) != 0)
        .then(|| runbook_runtime::session::resume::nothing_left(&journal_path, &plan))
        .flatten();
    if output == OutputFormat::Human {
        for failure in outcome.failures.iter().filter(|f| !f.handled) {
            let step = plan.step(failure.step).0;
            let message = masker.mask(&failure.message);
            let mut problem = Report::problem(
                plan.file(),
                "runbook::step_failed",
                format!("step `{}` {}", step.id.value, failure.state.name()),
            )
            .label(step.id.span, message);
            if let Some(span) = failure.span.or_else(|| assertion_span(&plan, failure.step)) {
                if span != step.id.span && span.end > span.start {
                    problem = problem.label(span, "here");
                }
            }
            let _ = write!(
                std::io::stderr(),
                "{}",
                problem.render(crate::diagnostics::style())
            );
        }
        let handled: Vec<String> = outcome
            .failures
            .iter()
            .filter(|f| f.handled)
            .map(|f| format!("`{}`", plan.step(f.step).0.id.value))
            .collect();
        if !handled.is_empty() {
            let _ = writeln!(
                std::io::stderr(),
                "failed, handled by `on_failure`: {}",
                handled.join(", ")
            );
        }
        let code = exit_code(&outcome, &journal_failure);
        if code != 0 && mode == Mode::DryRun {
            // A dry-run changed nothing, so there is nothing to resume
            // (and `resume` refuses a dry-run's journal).
            let _ = writeln!(
                std::io::stderr(),
                "journal: {}\nreport with `runbook report {}`; fix the cause and dry-run again",
                journal_path.display(),
                run_id
            );
        } else if code != 0 && finished_off.is_some() {
            // A resume would finish the cleanup, which is done: it would
            // run nothing (said below, in both formats).
            let _ = writeln!(
                std::io::stderr(),
                "journal: {}\nreport with `runbook report {run_id}`",
                journal_path.display(),
            );
        } else if code != 0 {
            let _ = writeln!(
                std::io::stderr(),
                "journal: {}\nresume with `runbook resume {}`, report with `runbook report {}`",
                journal_path.display(),
                run_id,
                run_id
            );
        }
    }
    if output == OutputFormat::Json {
        // The records on stdout say everything to a machine; whoever reads
        // stderr (a person, a CI log) still learns why it failed and where
        // the journal is, one line each.
        for failure in outcome.failures.iter().filter(|f| !f.handled) {
            let _ = writeln!(
                std::io::stderr(),
                "runbook: step `{}` {}: {}",
                plan.step(failure.step).0.id.value,
                failure.state.name(),
                runbook_dsl::terminal_text::escape(&masker.mask(&failure.message))
                    .replace('\n', " ")
            );
        }
        if exit_code(&outcome, &journal_failure) != 0 {
            let _ = writeln!(
                std::io::stderr(),
                "runbook: run {run_id} {}; journal: {}",
                match outcome.status {
                    RunStatus::Succeeded => "succeeded",
                    RunStatus::Failed => "failed",
                    RunStatus::Rejected => "stopped at a gate",
                    RunStatus::Interrupted => "was interrupted",
                },
                journal_path.display()
            );
        }
    }
    // In both output formats: cleanups that did not finish.
    if mode != Mode::DryRun {
        cleanup_unfinished(&outcome, &run_id);
        match finished_off.as_deref() {
            Some(ran) if ran.iter().any(|c| c.contains('.')) => {
                let ran: Vec<String> = ran.iter().map(|c| format!("`{c}`")).collect();
                let _ = writeln!(
                    std::io::stderr(),
                    "its cleanups ran ({}, in the playbooks it called too), so a resume would run no work: start a new run to do the work (`runbook resume {run_id} --force` goes on past them)",
                    ran.join(", ")
                );
            }
            Some(_) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "its cleanup ran, so a resume would run no work: start a new run to do the work (`runbook resume {run_id} --force` goes on past the cleanup)"
                );
            }
            None => {}
        }
    }
    // In both output formats: an element approval that approved nothing.
    for unmatched in asked_elements.unmatched(&decisions.approve) {
        let _ = writeln!(std::io::stderr(), "runbook: warning: {unmatched}");
    }
    // Last, in both output formats: the record of the run is incomplete.
    if let Some(e) = journal_failure.get() {
        let _ = writeln!(std::io::stderr(),
            "runbook: but the journal is incomplete: writing {} failed ({e}); what happened after that is not recorded (exit {JOURNAL_FAILED} when the steps succeeded)",
            journal_path.display()
        );
    }
    exit_code(&outcome, &journal_failure)
}

/// Says on stderr which cleanups (`finally` steps) did not finish (a
/// second signal stopped them, one failed, the run was stopped before
/// them), so whoever ran it knows what is still in place.
fn cleanup_unfinished(outcome: &RunOutcome, run_id: &str) {
    // Its own and those of the playbooks it called.
    let unfinished = &outcome.cleanup_unfinished;
    if !unfinished.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "cleanup not finished: {}: what they undo may still be in place; `runbook resume {run_id}` finishes the cleanup",
            unfinished.join(", ")
        );
    }
}

/// The exit code of a run: its status's, or 128 + N for an interruption by
/// signal N; a run that succeeded but could not be fully journaled exits
/// [`JOURNAL_FAILED`].
fn exit_code(outcome: &RunOutcome, journal: &WriteFailure) -> i32 {
    match outcome.status {
        RunStatus::Interrupted => crate::signals::exit_code(outcome.signal.as_deref()),
        RunStatus::Succeeded if journal.get().is_some() => JOURNAL_FAILED,
        status => status.exit_code(),
    }
}

/// The expression an asserting step asserts (its kind's
/// [`assertion`](runbook_dsl::catalog::Capabilities::assertion)
/// parameter), to point at the expression that failed.
fn assertion_span(plan: &Plan, step: usize) -> Option<runbook_dsl::Span> {
    let p = plan.step_plan(step);
    let that = p.capabilities.assertion?;
    p.params.get(that).map(|t| t.span)
}

/// The directory `runbook` was started in, where shell steps run.
pub fn started_in() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}
