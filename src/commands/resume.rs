//! `runbook resume RUN_ID`: continue a run from its journal. Steps that
//! succeeded keep their results and do not run again; the step that was
//! running when the run stopped is reported and asked for again (it may have
//! done part of its work); a changed playbook is refused unless `--force`.

use super::run::{execute, operator, plan_hash, Session};
use super::{load, INVALID, OK};
use crate::cli::ResumeArgs;
use crate::inputs::{self, Given};
use runbook_runtime::event::Event;
use runbook_runtime::journal;
use runbook_runtime::mask::MASK;
use runbook_runtime::operator::current_user;
use runbook_runtime::resume;
use runbook_runtime::Mode;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(args: &ResumeArgs) -> i32 {
    let decisions = &args.decisions;
    let path = journal::path_of(&decisions.journal_dir, &args.run_id);
    let records = match journal::read(&path) {
        Ok(records) => records,
        Err(e) => {
            return fail(&format!(
                "cannot read the journal of run `{}` ({}): {e}",
                args.run_id,
                path.display()
            ))
        }
    };
    let journaled = match resume::from_records(&records) {
        Ok(j) => j,
        Err(e) => return fail(&format!("{}: {e}", path.display())),
    };
    if journaled.mode == Mode::DryRun {
        return fail("that was a dry-run, which changed nothing: run it again instead");
    }
    if journaled.finished {
        eprintln!(
            "run `{}` already succeeded: nothing to resume",
            journaled.run_id
        );
        return OK;
    }
    // The playbook path is relative to where `runbook run` was started.
    let mut playbook = PathBuf::from(&journaled.playbook);
    if playbook.is_relative() && !playbook.exists() {
        playbook = PathBuf::from(&journaled.workdir).join(&playbook);
    }
    let checked = load(&playbook);
    crate::report::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    if let Some(problem) = super::run::not_runnable(&plan) {
        eprint!("{}", problem.render(crate::view::color()));
        return INVALID;
    }
    if plan_hash(&plan) != journaled.plan_hash && !args.force {
        return fail(&format!(
            "`{}` changed since run `{}` started: its steps may not mean what they meant. Pass `--force` to resume anyway, or start a new run",
            playbook.display(),
            journaled.run_id
        ));
    }
    // Inputs: as journaled, except secrets (masked there), which must be given again.
    let mut given = match Given::read(&decisions.input, decisions.inputs_file.as_deref()) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    for (k, v) in &journaled.inputs {
        let secret = plan
            .playbook()
            .inputs
            .iter()
            .any(|i| &i.name.value == k && i.is_secret());
        if secret || v == &Value::String(MASK.into()) {
            continue;
        }
        given.values.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let inputs = match inputs::resolve(plan.playbook(), &given) {
        Ok(inputs) => inputs,
        Err(errors) => {
            for e in errors {
                eprintln!("runbook resume: {e}");
            }
            return INVALID;
        }
    };
    let operator = match operator(decisions, &plan) {
        Ok(op) => op,
        Err(code) => return code,
    };
    let mut restored_ids: Vec<String> = journaled.restored.succeeded.keys().cloned().collect();
    restored_ids.sort();
    let mut interrupted: Vec<String> = journaled.restored.interrupted.iter().cloned().collect();
    interrupted.sort();
    for step in &interrupted {
        eprintln!("step `{step}` was running when the run stopped: it may have done part of its work, and will be asked for again");
    }
    let session = Session {
        plan: Arc::new(plan),
        playbook_arg: journaled.playbook.clone(),
        run_id: journaled.run_id.clone(),
        mode: Mode::Run,
        jobs: args.jobs as usize,
        journal_dir: decisions.journal_dir.clone(),
        output: decisions.output,
        gate_timeout: decisions.gate_timeout,
        // Shell steps run where the interrupted run ran them.
        workdir: Some(PathBuf::from(&journaled.workdir))
            .filter(|d| d.is_dir())
            .unwrap_or_else(super::run::started_in),
        seq: journaled.next_seq,
    };
    let resumed = Event::RunResumed {
        run_id: journaled.run_id.clone(),
        user: current_user(),
        restored: restored_ids,
    };
    let mut events = vec![resumed];
    events.extend(
        interrupted
            .into_iter()
            .map(|step| Event::StepInterrupted { step }),
    );
    execute(session, inputs, operator, journaled.restored, events)
}

fn fail(message: &str) -> i32 {
    eprintln!("runbook resume: {message}");
    INVALID
}
