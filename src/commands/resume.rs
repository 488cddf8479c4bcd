//! `runbook resume RUN_ID`: continue a run from its journal (the runtime's
//! [`resume`]). Steps that succeeded keep their results and do not run
//! again; the step that was running when the run stopped is reported and
//! asked for again (it may have done part of its work); a changed playbook
//! is refused unless `--force`. Here: the command line, the playbook's
//! diagnostics and every refusal, worded for the terminal.

use super::run::{execute, gate_timeout, operator, started_in, waiting};
use super::{load, INVALID, OK};
use crate::cli::ResumeArgs;
use crate::inputs::Given;
use runbook_runtime::session::resume::{self, Opened, Refusal, Settings};

pub fn run(args: &ResumeArgs) -> i32 {
    let decisions = &args.decisions;
    let stopped = match resume::open(&decisions.journal_dir, &args.run_id, args.force) {
        Ok(Opened::Stopped(stopped)) => stopped,
        Ok(Opened::Finished) => {
            eprintln!("run `{}` already succeeded: nothing to resume", args.run_id);
            return OK;
        }
        Err(refusal) => return refused(args, refusal),
    };
    crate::run_dir::skipping(stopped.path(), stopped.skipped(), "resume");
    let playbook = stopped.playbook().to_path_buf();
    let checked = load(&playbook);
    crate::diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    let given = match Given::read(&decisions.input, decisions.inputs_file.as_deref()) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    super::run::secret_on_command_line(&plan, &decisions.input);
    let operator = match operator(decisions, &plan) {
        Ok(op) => op,
        Err(code) => return code,
    };
    let inputs_of = plan.playbook().clone();
    let settings = Settings {
        jobs: args.jobs as usize,
        journal_dir: decisions.journal_dir.clone(),
        gate_timeout: gate_timeout(decisions),
        // The interrupted run's `--output-cap` holds unless this one is lower.
        output_cap: runbook_runtime::output_cap::OutputCaps::resumed(
            stopped.output_cap(),
            decisions.output_cap,
        ),
        started_in: started_in(),
        waiting: waiting(decisions),
        approved: decisions.approve.iter().cloned().collect(),
    };
    let resumed = match stopped.resume(plan, args.force, &given.values, settings) {
        Ok(resumed) => resumed,
        Err(Refusal::Inputs(problems)) => {
            for problem in problems {
                eprintln!(
                    "runbook resume: {}",
                    crate::inputs::say(&problem, &inputs_of)
                );
            }
            return INVALID;
        }
        Err(refusal) => return refused(args, refusal),
    };
    let cleanups: Vec<&str> = resumed
        .session
        .plan
        .playbook()
        .steps
        .iter()
        .filter(|s| s.is_finally())
        .map(|s| s.id.value.as_str())
        .collect();
    for step in &resumed.interrupted {
        if cleanups.contains(&step.as_str()) {
            eprintln!(
                "cleanup `{step}` was running when the run stopped: it runs again, unattended"
            );
        } else {
            eprintln!("step `{step}` was running when the run stopped: it may have done part of its work, and will be asked for again");
        }
    }
    if resumed.finishing {
        eprintln!(
            "runbook resume: the cleanup of run `{}` had begun when it stopped: this resume finishes the cleanup and runs no work (going on would work past what the cleanup undid). Start a new run to do the work, or pass `--force` to go on with it anyway",
            args.run_id
        );
    }
    if !resumed.past_cleanups.is_empty() {
        eprintln!(
            "runbook resume: warning: going on past cleanups that already ran ({}): what they undid stays undone while the work goes on",
            resumed
                .past_cleanups
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    execute(resumed.session, operator, decisions)
}

/// A refusal, said; the exit code.
fn refused(args: &ResumeArgs, refusal: Refusal) -> i32 {
    let journal_dir = &args.decisions.journal_dir;
    let run_id = &args.run_id;
    match refusal {
        Refusal::RunId(why) => crate::run_dir::bad_id(run_id, why),
        Refusal::NoJournal { path } => fail(&format!(
            "no journal for run `{run_id}` ({}): `runbook runs --journal-dir {}` lists the runs",
            path.display(),
            journal_dir.display()
        )),
        Refusal::Locked { run_dir, error } => crate::run_dir::locked(&run_dir, run_id, error),
        Refusal::Unreadable { path, error } => {
            eprintln!(
                "runbook resume: cannot read the journal of run `{run_id}` ({}): {error}",
                path.display()
            );
            INVALID
        }
        Refusal::Damaged { path, damaged } => {
            crate::run_dir::damaged(&path, run_id, &damaged, "resume")
        }
        Refusal::NotARun { path, reason } => fail(&format!("{}: {reason}", path.display())),
        Refusal::NamesBadRunId {
            path,
            named,
            reason,
        } => crate::run_dir::refuse(
            &path.display().to_string(),
            "runbook::bad_run_id",
            format!(
                "the journal of run `{run_id}` names its run `{}`, which is not a run id: {reason}",
                named.escape_debug()
            ),
            "the journal was changed by hand or damaged; nothing was written".into(),
        ),
        Refusal::DryRun => fail("that was a dry-run, which changed nothing: run it again instead"),
        Refusal::Changed { playbook } => fail(&format!(
            "`{}` changed since run `{run_id}` started: its steps may not mean what they meant. Pass `--force` to resume anyway, or start a new run",
            playbook.display(),
        )),
        Refusal::InputsChanged(changed) => fail(&format!(
            "run `{run_id}` ran with other inputs: {}. The steps that ran used them; resume with the run's own values (leave `--input` out), start a new run, or pass `--force` to go on with the new ones (journaled and reported)",
            changed
                .iter()
                .map(|(name, old, new)| format!(
                    "`{name}` was {} and is given as {}",
                    runbook_dsl::terminal_text::escape(&old.to_string()),
                    runbook_dsl::terminal_text::escape(&new.to_string())
                ))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Refusal::Inputs(_) => INVALID,
        Refusal::Unapproved(steps) => {
            // Asked with nobody to answer, they would be rejected: the run
            // would stop again and run its cleanups, closing it.
            for step in &steps {
                eprintln!(
                    "runbook resume: step `{step}` was running when the run stopped and may have done part of its work: pass `--approve {step}` to run it again"
                );
            }
            eprintln!(
                "runbook resume: nothing ran: no terminal to ask (or run with `--wait-for-approval` to decide from another terminal)"
            );
            crate::exit_code::REJECTED
        }
        Refusal::CutTorn { path, error } => fail(&format!(
            "cannot cut the torn last line off {}: {error}",
            path.display()
        )),
    }
}

fn fail(message: &str) -> i32 {
    eprintln!("runbook resume: {message}");
    INVALID
}
