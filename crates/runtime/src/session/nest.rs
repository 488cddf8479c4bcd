//! A playbook called by a `playbook` step, run the way every run starts:
//! read and checked (its diagnostics point into its own file), its inputs
//! resolved as a top-level run's are (what the step gives, else the
//! input's `env:` variable, else its default), its secret inputs masked,
//! and run by a runner of its own with the caller's actions (a rehearsal's
//! scripted ones: [`ActionContext::called_actions`]). Its gates, `manual`
//! steps and questions go to the caller's operator addressed `CALL.STEP`
//! ([`Nested`]), and those decisions are journaled in the caller's journal
//! under that address. Its steps' outputs come back as `outputs.STEP.NAME`.
//!
//! Its whole run is journaled inside the caller's journal: every event
//! wrapped in [`Event::Called`] with its address (`CALL`, `CALL.INNER` for
//! calls within calls), its step ids addressed `CALL.STEP`, numbered in the
//! caller's sequence. A resume of the caller reads it back
//! ([`super::journaled`]) and hands it to the calling step when that step
//! runs again ([`ActionContext::resumed`]): the called playbook then
//! continues where it stopped, as a resume does (its steps that succeeded
//! do not run again, one that was running is asked for again), and is
//! refused if it changed since, unless `--force`.

use super::inputs::{self, Environment, InputProblem};
use super::plan_hash;
use crate::action::{ActionContext, Executors, LineSink};
use crate::bus::{EventBus, Subscriber};
use crate::event::{Event, Record, Stream};
use crate::journal::CallJournal;
use crate::operator::{current_uid, current_user, Nested};
use crate::runner::{RunOptions, RunOutcome, Runner};
use crate::Mode;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::diagnostic::{render, RenderStyle};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A playbook to call from the step `ctx` runs.
pub struct Call<'a> {
    pub ctx: &'a ActionContext,
    /// The called file, relative to the calling playbook's directory.
    pub path: &'a str,
    /// The values the step gives for its inputs.
    pub inputs: Map<String, Value>,
    pub mode: Mode,
    /// The kinds the called playbook is checked against.
    pub catalog: &'a dyn Catalog,
    /// Its actions, when the step gives none of its own
    /// ([`ActionContext::called_actions`]).
    pub actions: Arc<dyn Executors>,
}

/// How a called playbook's run ended.
pub struct Called {
    pub outcome: RunOutcome,
    /// Its steps' outputs, by step.
    pub outputs: Map<String, Value>,
}

/// Runs the called playbook to its end. `Err` says why it could not start
/// (unreadable, does not check, inputs that do not resolve, too deep).
pub async fn call(call: Call<'_>) -> Result<Called, String> {
    let ctx = call.ctx;
    let file = ctx.playbook_dir.join(call.path);
    // `check` reports cycles it can see; a path known only at run time
    // (a template) is bounded here.
    if ctx.call_depth >= runbook_dsl::analyze::MAX_CALL_DEPTH {
        return Err(format!(
            "calling {} would nest playbook calls deeper than {} (a playbook that calls itself?)",
            file.display(),
            runbook_dsl::analyze::MAX_CALL_DEPTH
        ));
    }
    let text = runbook_dsl::user_file::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let source = runbook_dsl::SourceFile::new(file.display().to_string(), text);
    let checked = runbook_dsl::load::check(source, call.catalog);
    let Some(plan) = checked.plan else {
        return Err(format!(
            "{} does not check:\n{}",
            file.display(),
            render(&checked.file, &checked.diagnostics, RenderStyle::Plain)
        ));
    };
    let inputs = inputs::resolve(plan.playbook(), &call.inputs, Environment::Process).map_err(
        |problems| {
            let said: Vec<String> = problems
                .iter()
                .map(|p| match p {
                    InputProblem::Unknown { name } => {
                        format!("{} has no input `{name}`", file.display())
                    }
                    InputProblem::Invalid { name, error } => format!("input `{name}`: {error}"),
                    InputProblem::Missing { name, env } => format!(
                        "input `{name}` of {} is required: give it in `inputs`{}",
                        file.display(),
                        env.as_ref()
                            .map(|e| format!(" or set ${e}"))
                            .unwrap_or_default()
                    ),
                })
                .collect();
            said.join("; ")
        },
    )?;
    let hash = plan_hash(&plan);
    // A resume continues inside the called playbook, unless it changed.
    let mut resumed = ctx.resumed.clone();
    let force = ctx.journal.as_ref().is_some_and(|j| j.force);
    if let Some(journaled) = resumed.plan_hash.as_ref().filter(|_| !resumed.is_empty()) {
        if *journaled != hash && !force {
            return Err(format!(
                "{} changed since the run started: its steps may not mean what they meant. Resume with `--force` to continue inside it anyway, or start a new run",
                file.display()
            ));
        }
    }
    resumed.settle_loops(&plan);
    // Its cleanups had begun after its work stopped: it finishes them and
    // runs no work, as the run the command line resumes does, unless the
    // caller's resume was forced, which goes on past them inside it too.
    let steps = &plan.playbook().steps;
    if !force {
        resumed = resumed.finishing_if_cleanups_began(steps);
    } else if resumed.work_stopped(steps) || resumed.stopped_early() {
        let past = resumed.cleanups_ran_or_began(steps);
        if !past.is_empty() {
            let past: Vec<String> = past.iter().map(|c| format!("`{c}`")).collect();
            ctx.emit(
                Stream::Stderr,
                format!(
                    "going on inside {} past cleanups that already ran ({}): what they undid stays undone while the work goes on",
                    call.path,
                    past.join(", ")
                ),
            );
        }
    }
    let outputs = Arc::new(Mutex::new(Map::new()));
    for (step, (_, captured)) in &resumed.succeeded {
        if !captured.is_empty() {
            outputs
                .lock()
                .expect("not poisoned")
                .insert(step.clone(), Value::Object(captured.clone()));
        }
    }
    let mut bus = EventBus::new();
    // Its secret inputs, and every secret its caller knew.
    *bus.masker_mut() = inputs::secrets(plan.playbook(), &inputs);
    bus.masker_mut().extend(&ctx.masker);
    // Journaled inside the caller's journal, at its address (an element
    // of a loop at its own, `STEP[INDEX]`).
    let journal = ctx
        .journal
        .as_ref()
        .map(|j| j.at(j.address_of(&ctx.call_address())));
    bus.subscribe(Box::new(Collect {
        outputs: outputs.clone(),
        sink: ctx.line_sink(),
        call: ctx.call_address(),
        journal: journal.clone(),
    }));
    let run_id = journal
        .as_ref()
        .map(|j| j.run_id.clone())
        .unwrap_or_default();
    if resumed.is_empty() {
        bus.publish(Event::RunStarted {
            run_id,
            playbook: call.path.to_string(),
            name: plan.playbook().name.as_ref().map(|n| n.value.clone()),
            plan_hash: hash.clone(),
            mode: call.mode,
            inputs: inputs::shown(plan.playbook(), &inputs),
            user: current_user(),
            workdir: ctx.workdir.display().to_string(),
            uid: Some(current_uid()),
            // The caller's journal holds the operator's bound.
            output_cap: None,
        });
    } else {
        let mut restored: Vec<String> = resumed.succeeded.keys().cloned().collect();
        restored.sort();
        let mut interrupted: Vec<String> = resumed.interrupted.iter().cloned().collect();
        interrupted.sort();
        if !restored.is_empty() {
            ctx.emit(
                Stream::Stdout,
                format!(
                    "continuing inside {}: {} succeeded before and will not run again",
                    call.path,
                    restored.join(", ")
                ),
            );
        }
        bus.publish(Event::RunResumed {
            run_id,
            user: current_user(),
            restored,
            elements_kept: 0,
            uid: Some(current_uid()),
            output_cap: None,
            inputs: Map::new(),
        });
        for step in interrupted {
            bus.publish(Event::StepInterrupted { step });
        }
    }
    // Its own calls resolve next to it; its shell steps run where the
    // caller's do, the directory the operator started `runbook` in.
    let playbook_dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ctx.playbook_dir.clone());
    let operator = Arc::new(Nested {
        inner: ctx.operator.clone(),
        call: ctx.call_address(),
        label: ctx.item.as_ref().map(|item| item.label.clone()),
        caller_approved: ctx.approver.clone(),
    });
    // The caller's interruption, grace period, gate deadline and output
    // cap: a signal to `runbook` reaches the called playbook's processes the
    // same way, and its gates wait no longer than the caller's.
    let options = RunOptions {
        mode: call.mode,
        workdir: ctx.workdir.clone(),
        playbook_dir,
        kill_grace: ctx.kill_grace,
        gate_timeout: ctx.gate_timeout,
        plan_hash: hash,
        interruption: ctx.interruption.clone(),
        output_cap: ctx.output_caps.called(&ctx.output_cap),
        prompt: ctx.prompt.clone(),
        call_depth: ctx.call_depth + 1,
        journal,
        ..RunOptions::default()
    };
    let actions = ctx.called_actions.clone().unwrap_or(call.actions);
    let runner = Runner::new(Arc::new(plan), actions, operator, options);
    let outcome = runner
        .run(&mut bus, inputs, resumed, ctx.cancel.child_token())
        .await;
    // Its unfinished cleanups (its own calls' included) are the caller's
    // to say too.
    ctx.called_runs
        .note_unfinished(&ctx.call_address(), &outcome.cleanup_unfinished);
    ctx.called_runs.note_plain(bus.masker().plain().cloned());
    let outputs = std::mem::take(&mut *outputs.lock().expect("not poisoned"));
    Ok(Called { outcome, outputs })
}

/// Writes the called playbook's events (masked by its bus) into the
/// caller's journal, collects its outputs, relays its progress to the
/// calling step's live output, and its operator's decisions to the caller's
/// bus (step ids as `CALL.STEP`) under the number the journal gave them, so
/// each is journaled once ([`Subscriber::on_relayed`]).
struct Collect {
    outputs: Arc<Mutex<Map<String, Value>>>,
    sink: LineSink,
    /// The calling step's run, `CALL` or `CALL[INDEX]`: its decisions' prefix.
    call: String,
    /// The caller's journal; none where the run has none (library use).
    journal: Option<CallJournal>,
}

impl Collect {
    fn relay(&self, record: &Record, seq: u64) {
        if let Some(event) = decision(&self.call, &record.event) {
            self.sink.relay(Record {
                seq,
                time: record.time.clone(),
                event,
            });
        }
    }
}

impl Subscriber for Collect {
    /// A decision of a playbook this one called: its own run journaled it;
    /// it goes on up to the caller's terminal.
    fn on_relayed(&mut self, record: &Record) {
        self.relay(record, record.seq);
    }

    fn on_event(&mut self, record: &Record) {
        let seq = match &self.journal {
            Some(journal) => journal.write(&journal.address, &record.event),
            None => record.seq,
        };
        self.relay(record, seq);
        if let Some(line) = said_by_the_call(&record.event) {
            self.sink.emit(Stream::Stdout, line);
        }
        if let Event::StepFinished { step, outputs, .. } = &record.event {
            if !outputs.is_empty() {
                self.outputs
                    .lock()
                    .expect("not poisoned")
                    .insert(step.clone(), Value::Object(outputs.clone()));
            }
        }
    }
}

/// The line the calling step prints for an event of the playbook it
/// calls: what its steps print (a `log` message as `STEP: message`, a
/// line of output as `STEP │ line`), each step's end, what a dry-run would
/// run (a write inside a call is described there, not hidden), and each
/// retry and poll, so a call that waits says what it waits for.
fn said_by_the_call(event: &Event) -> Option<String> {
    if let Some(line) = crate::waiting_line::retry_or_poll(event) {
        return Some(line);
    }
    Some(match event {
        Event::StepOutput {
            step,
            stream: crate::event::Stream::Log,
            line,
            ..
        } => format!("{step}: {line}"),
        Event::StepOutput { step, line, .. } => format!("{step} │ {line}"),
        Event::StepFinished {
            step,
            simulated: true,
            ..
        } => format!("{step}: described, not run (dry-run)"),
        Event::StepFinished {
            step,
            state,
            message,
            ..
        } => match message {
            Some(m) => format!("{step}: {} ({m})", state.name()),
            None => format!("{step}: {}", state.name()),
        },
        Event::StepWouldRun {
            step,
            effect,
            description,
        } => format!("{step}: would run ({effect}): {description}"),
        _ => return None,
    })
}

/// A called playbook's event that the caller's bus carries (what its
/// operator was asked and decided), addressed as `CALL.STEP`.
fn decision(call: &str, event: &Event) -> Option<Event> {
    let address = |step: &str| format!("{call}.{step}");
    Some(match event.clone() {
        Event::GateRequested {
            step,
            question,
            effect,
            detail,
        } => Event::GateRequested {
            step: address(&step),
            question,
            effect,
            detail,
        },
        Event::GateShown {
            step,
            question,
            effect,
        } => Event::GateShown {
            step: address(&step),
            question,
            effect,
        },
        Event::GateDecided {
            step,
            element,
            approved,
            who,
            via,
            reason,
            plan_hash,
        } => Event::GateDecided {
            step: address(&step),
            element,
            approved,
            who,
            via,
            reason,
            plan_hash,
        },
        Event::Asked {
            step,
            kind,
            text,
            description,
        } => Event::Asked {
            step: address(&step),
            kind,
            text,
            description,
        },
        Event::Answered {
            step,
            answer,
            who,
            via,
        } => Event::Answered {
            step: address(&step),
            answer,
            who,
            via,
        },
        _ => return None,
    })
}
