//! Running a `playbook` step: the called playbook is read, checked (its
//! diagnostics point into its own file), given its inputs, and run by a
//! runner of its own with the same actions; its steps' outputs come back as
//! `outputs.STEP.NAME`. Its steps keep their effects and gates, and its
//! gates, `manual` steps and questions go to the caller's operator (the
//! same terminal prompt, the same `--approve`/`--answer`), addressed as
//! `CALL.STEP` ([`Nested`]); those decisions are journaled in the caller's
//! journal under that address. A gate in the called playbook is also passed
//! when the calling step's own gate was approved and it is neither
//! `destructive` nor an `approve` step (as `--yes` does). A rejection there
//! rejects the calling step. A dry-run of the caller runs the called
//! playbook as a dry-run. A rehearsal runs it with its scripted actions
//! ([`ActionContext::called_actions`]).

use crate::Builtins;

use runbook_dsl::diagnostic::{render, RenderStyle};
use runbook_dsl::node::Node;
use runbook_runtime::bus::Subscriber;
use runbook_runtime::event::{Event, Record, RunStatus, Stream};
use runbook_runtime::operator::Nested;
use runbook_runtime::runner::{Restored, RunOptions, Runner};
use runbook_runtime::{ActionContext, ActionResult, EventBus, Mode};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Collects the called playbook's outputs, relays its progress to the
/// calling step's live output, and its operator's decisions to the caller's
/// journal (step ids as `CALL.STEP`).
struct Collect {
    outputs: Arc<Mutex<Map<String, Value>>>,
    sink: runbook_runtime::action::LineSink,
    call: String,
}

impl Subscriber for Collect {
    fn on_event(&mut self, record: &Record) {
        if let Some(event) = nested(&self.call, &record.event) {
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

/// A called playbook's event that belongs in the caller's journal (what
/// its operator was asked and decided), addressed as `CALL.STEP`.
fn nested(call: &str, event: &Event) -> Option<Event> {
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

/// Runs the called playbook, in `mode`, as one step of the caller.
pub async fn call(ctx: &ActionContext, mode: Mode) -> ActionResult {
    let Some(path) = ctx.str_arg("path") else {
        return ActionResult::failure("`path` is missing");
    };
    let file = ctx.playbook_dir.join(path);
    // `check` reports cycles it can see; a path known only at run time
    // (a template) is bounded here.
    if ctx.call_depth >= runbook_dsl::analyze::MAX_CALL_DEPTH {
        return ActionResult::failure(format!(
            "calling {} would nest playbook calls deeper than {} (a playbook that calls itself?)",
            file.display(),
            runbook_dsl::analyze::MAX_CALL_DEPTH
        ));
    }
    let text = match runbook_dsl::user_file::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => return ActionResult::failure(format!("cannot read {}: {e}", file.display())),
    };
    let source = runbook_dsl::SourceFile::new(file.display().to_string(), text);
    let checked = runbook_dsl::load::check(source, crate::builtin());
    let Some(plan) = checked.plan else {
        return ActionResult::failure(format!(
            "{} does not check:\n{}",
            file.display(),
            render(&checked.file, &checked.diagnostics, RenderStyle::Plain)
        ));
    };
    let given: Map<String, Value> = match ctx.args.get("inputs").and_then(|a| a.as_value()) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let mut inputs = Map::new();
    let mut errors = Vec::new();
    for name in given.keys() {
        if !plan.playbook().inputs.iter().any(|i| &i.name.value == name) {
            errors.push(format!("{} has no input `{name}`", file.display()));
        }
    }
    for input in &plan.playbook().inputs {
        let name = &input.name.value;
        let raw = given
            .get(name)
            .cloned()
            .or_else(|| input.default.as_ref().map(Node::to_json));
        match raw {
            Some(raw) => match input
                .coerce(raw.clone())
                .map_err(|e| format!("input `{}`: {e}", input.name.value))
            {
                Ok(v) => {
                    inputs.insert(name.clone(), v);
                }
                Err(e) => errors.push(e),
            },
            None if input.is_required() => errors.push(format!(
                "input `{name}` of {} is required: give it in `inputs`",
                file.display()
            )),
            None => {
                inputs.insert(name.clone(), Value::Null);
            }
        }
    }
    if !errors.is_empty() {
        return ActionResult::failure(errors.join("; "));
    }
    let outputs = Arc::new(Mutex::new(Map::new()));
    let mut bus = EventBus::new();
    for input in &plan.playbook().inputs {
        if input.is_secret() {
            if let Some(Value::String(s)) = inputs.get(&input.name.value) {
                bus.masker_mut().add(s);
            }
        }
    }
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
        mode,
        workdir: ctx.workdir.clone(),
        playbook_dir,
        kill_grace: ctx.kill_grace,
        interruption: ctx.interruption.clone(),
        output_cap: ctx.output_cap,
        prompt: ctx.prompt.clone(),
        call_depth: ctx.call_depth + 1,
        ..RunOptions::default()
    };
    let actions = ctx
        .called_actions
        .clone()
        .unwrap_or_else(|| Arc::new(Builtins));
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
    let mut fields = Map::new();
    fields.insert("outputs".into(), Value::Object(outputs));
    match outcome.status {
        RunStatus::Succeeded => {
            let mut r = ActionResult::success(fields);
            if mode == Mode::DryRun {
                r.message = Some(format!("{path} dry-ran to its end"));
            }
            r
        }
        status => {
            let first = outcome
                .failures
                .first()
                .map(|f| format!(": {}", f.message))
                .unwrap_or_default();
            let message = format!(
                "{path} {}{first}",
                match status {
                    RunStatus::Rejected => "stopped at a gate",
                    RunStatus::Interrupted => "was interrupted",
                    _ => "failed",
                }
            );
            match status {
                RunStatus::Rejected => ActionResult::rejected(message),
                _ => ActionResult::failure(message),
            }
            .with_fields(fields)
        }
    }
}
