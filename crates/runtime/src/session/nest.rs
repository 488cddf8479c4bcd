//! A playbook called by a `playbook` step, run the way every run starts:
//! read and checked (its diagnostics point into its own file), its inputs
//! resolved as a top-level run's are (what the step gives, else the
//! input's `env:` variable, else its default), its secret inputs masked,
//! and run by a runner of its own with the caller's actions (a rehearsal's
//! scripted ones: [`ActionContext::called_actions`]). Its gates, `manual`
//! steps and questions go to the caller's operator addressed `CALL.STEP`
//! ([`Nested`]), and those decisions are journaled in the caller's journal
//! under that address. Its steps' outputs come back as `outputs.STEP.NAME`.

use super::inputs::{self, Environment, InputProblem};
use super::plan_hash;
use crate::action::{ActionContext, ActionSet, LineSink};
use crate::bus::{EventBus, Subscriber};
use crate::event::{Event, Record, Stream};
use crate::operator::Nested;
use crate::runner::{Restored, RunOptions, RunOutcome, Runner};
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
    pub actions: Arc<dyn ActionSet>,
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
    let outputs = Arc::new(Mutex::new(Map::new()));
    let mut bus = EventBus::new();
    *bus.masker_mut() = inputs::secrets(plan.playbook(), &inputs);
    bus.subscribe(Box::new(Collect {
        outputs: outputs.clone(),
        sink: ctx.line_sink(),
        call: ctx.step.clone(),
    }));
    // Its own calls resolve next to it; its shell steps run where the
    // caller's do, the directory the operator started `runbook` in.
    let playbook_dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ctx.playbook_dir.clone());
    let operator = Arc::new(Nested {
        inner: ctx.operator.clone(),
        call: ctx.step.clone(),
        caller_approved: ctx.approver.clone(),
    });
    // The caller's interruption, grace period and output cap: a signal to
    // `runbook` reaches the called playbook's processes the same way.
    let options = RunOptions {
        mode: call.mode,
        workdir: ctx.workdir.clone(),
        playbook_dir,
        kill_grace: ctx.kill_grace,
        plan_hash: plan_hash(&plan),
        interruption: ctx.interruption.clone(),
        output_cap: ctx.output_cap,
        prompt: ctx.prompt.clone(),
        call_depth: ctx.call_depth + 1,
        ..RunOptions::default()
    };
    let actions = ctx.called_actions.clone().unwrap_or(call.actions);
    let runner = Runner::new(Arc::new(plan), actions, operator, options);
    let outcome = runner
        .run(
            &mut bus,
            inputs,
            Restored::default(),
            ctx.cancel.child_token(),
        )
        .await;
    let outputs = std::mem::take(&mut *outputs.lock().expect("not poisoned"));
    Ok(Called { outcome, outputs })
}

/// Collects the called playbook's outputs, relays its progress to the
/// calling step's live output, and its operator's decisions to the caller's
/// bus (step ids as `CALL.STEP`).
struct Collect {
    outputs: Arc<Mutex<Map<String, Value>>>,
    sink: LineSink,
    call: String,
}

impl Subscriber for Collect {
    fn on_event(&mut self, record: &Record) {
        if let Some(event) = decision(&self.call, &record.event) {
            self.sink.relay(event);
        }
        if let Event::StepFinished {
            step,
            state,
            message,
            outputs,
            ..
        } = &record.event
        {
            if !outputs.is_empty() {
                self.outputs
                    .lock()
                    .expect("not poisoned")
                    .insert(step.clone(), Value::Object(outputs.clone()));
            }
            let line = match message {
                Some(m) => format!("{step}: {} ({m})", state.name()),
                None => format!("{step}: {}", state.name()),
            };
            self.sink.emit(Stream::Stdout, line);
        }
    }
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
            approved,
            who,
            via,
            reason,
            plan_hash,
        } => Event::GateDecided {
            step: address(&step),
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
