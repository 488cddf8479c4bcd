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
    if let Err(code) = crate::run_dir::check_id(&args.run_id) {
        return code;
    }
    let run_dir = decisions.journal_dir.join(&args.run_id);
    let path = journal::path_of(&decisions.journal_dir, &args.run_id);
    if !path.is_file() {
        return fail(&format!(
            "no journal for run `{}` ({}): `runbook runs --journal-dir {}` lists the runs",
            args.run_id,
            path.display(),
            decisions.journal_dir.display()
        ));
    }
    // Locked before reading: no other process may append between the read
    // and this one's first record.
    let lock = match crate::run_dir::lock(&run_dir, &args.run_id) {
        Ok(lock) => lock,
        Err(code) => return code,
    };
    let journal = match crate::run_dir::read_journal(&path, &args.run_id, args.force, "resume") {
        Ok(j) => j,
        Err(code) => return code,
    };
    let journaled = match resume::from_records(&journal.records) {
        Ok(j) => j,
        Err(e) => return fail(&format!("{}: {e}", path.display())),
    };
    // The journal names its run; it is only ever written where it was read.
    if let Err(e) = runbook_runtime::run_id::check(&journaled.run_id) {
        return crate::run_dir::refuse(
            &path.display().to_string(),
            "runbook::bad_run_id",
            format!(
                "the journal of run `{}` names its run `{}`, which is not a run id: {e}",
                args.run_id,
                journaled.run_id.escape_debug()
            ),
            "the journal was changed by hand or damaged; nothing was written".into(),
        );
    }
    if journaled.mode == Mode::DryRun {
        return fail("that was a dry-run, which changed nothing: run it again instead");
    }
    if journaled.finished {
        eprintln!("run `{}` already succeeded: nothing to resume", args.run_id);
        return OK;
    }
    // The playbook path is relative to where `runbook run` was started.
    let mut playbook = PathBuf::from(&journaled.playbook);
    if playbook.is_relative() && !playbook.exists() {
        playbook = PathBuf::from(&journaled.workdir).join(&playbook);
    }
    let checked = load(&playbook);
    crate::diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    if let Some(problem) = super::run::not_runnable(&plan) {
        eprint!("{}", problem.render(crate::diagnostics::style()));
        return INVALID;
    }
    if plan_hash(&plan) != journaled.plan_hash && !args.force {
        return fail(&format!(
            "`{}` changed since run `{}` started: its steps may not mean what they meant. Pass `--force` to resume anyway, or start a new run",
            playbook.display(),
            args.run_id
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
    // A torn last line (a write cut short by a crash) is cut off before
    // anything is appended, and that is the first thing journaled.
    let mut events = Vec::new();
    if let Some(torn) = journal.torn {
        if let Err(e) = journal::cut_torn(&path, torn) {
            return fail(&format!(
                "cannot cut the torn last line off {}: {e}",
                path.display()
            ));
        }
        // Said by the view (and `--output json`) when it is journaled.
        events.push(Event::JournalRepaired {
            line: torn.line,
            dropped_bytes: torn.bytes,
        });
    }
    let session = Session {
        plan: Arc::new(plan),
        playbook_arg: journaled.playbook.clone(),
        run_id: args.run_id.clone(),
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
        output_cap: decisions.output_cap,
        lock: Some(lock),
    };
    events.push(Event::RunResumed {
        run_id: args.run_id.clone(),
        user: current_user(),
        restored: restored_ids,
    });
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
