//! One started step: renders it, runs its action, captures its outputs.

use super::Shared;
use crate::action::ActionContext;
use crate::arguments;
use crate::event::{Event, StepState};
use crate::mode::{Mode, Treatment};
use crate::outputs;
use crate::scope::Scope;
use crate::step_message::{StepDone, TaskMsg};
use runbook_dsl::ast::{Action as StepAction, Step};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// One started step.
pub(super) struct StepTask {
    /// Dry-run: the described write this step comes after, if any.
    pub(super) after_described: Option<String>,
    pub(super) shared: Arc<Shared>,
    pub(super) index: usize,
    pub(super) scope: Scope,
    pub(super) cancel: CancellationToken,
    pub(super) tx: UnboundedSender<TaskMsg>,
    pub(super) rerun: bool,
    /// A calling step that runs with the cleanups of a resume that only
    /// finishes them: it finishes its called playbook's cleanups, asking
    /// nothing (cleanups run unattended), its own gate included.
    pub(super) finishing: bool,
    /// The secrets known when the step started: prompts go straight to the
    /// operator, not through the bus, so they are masked here.
    pub(super) masker: crate::mask::Masker,
    /// What the steps it needs or reads read, for its prompts.
    pub(super) evidence: Vec<(String, Vec<String>)>,
    /// What a resume brings back of the playbook it calls.
    pub(super) resumed: super::Restored,
    /// A `for_each` step on resume: the elements that already succeeded.
    pub(super) restored_items: Vec<crate::runner::RestoredItem>,
    /// A loop over a `playbook` step on resume: the called runs of its
    /// elements that did not succeed, continued when they run again.
    pub(super) item_calls: Vec<crate::runner::ItemCall>,
    /// Milliseconds spent waiting at approval gates, which are not the
    /// step's own time (`✓ evict 14ms`, not the 20 s an operator took).
    pub(super) gate_wait_ms: std::sync::atomic::AtomicU64,
}

impl StepTask {
    pub(super) async fn run(self) {
        let started = Instant::now();
        let mut done = self.execute().await;
        done.duration = started.elapsed();
        // A checkpoint (`approve`) is its gate: its time is the wait.
        if !self.shared.plan.step_plan(self.index).capabilities.gates {
            let waited = self.gate_wait_ms.load(std::sync::atomic::Ordering::Relaxed);
            done.duration = done
                .duration
                .saturating_sub(std::time::Duration::from_millis(waited));
        }
        let _ = self.tx.send(TaskMsg::Done(Box::new(done)));
    }

    pub(super) fn send(&self, event: Event) {
        let _ = self.tx.send(TaskMsg::Event(event));
    }

    /// Sends an event and waits until it is journaled, so that what follows
    /// (the action's side effects) can never be on record without it: a
    /// step killed with the process is then always seen as interrupted.
    pub(super) async fn record(&self, event: Event) {
        let (ack, done) = tokio::sync::oneshot::channel();
        if self.tx.send(TaskMsg::Recorded(event, ack)).is_ok() {
            let _ = done.await;
        }
    }

    pub(super) fn step(&self) -> &Step {
        self.shared.plan.step(self.index).0
    }

    pub(super) fn done(&self, state: StepState, message: impl Into<String>) -> StepDone {
        StepDone {
            message: Some(message.into()),
            ..StepDone::new(self.index, state)
        }
    }

    /// The step fails because its approval question could not be filled in.
    pub(super) fn unaskable(&self, e: runbook_dsl::template::FillError) -> StepDone {
        StepDone {
            span: Some(e.span),
            ..self.done(
                StepState::Failed,
                format!("cannot render the approval question: {e}"),
            )
        }
    }

    pub(super) async fn execute(&self) -> StepDone {
        let plan = self.shared.plan.clone();
        let (step, step_plan) = plan.step(self.index);
        let mode = self.shared.options.mode;
        let id = step.id.value.clone();
        let action = match &step.action {
            StepAction::Kind { name, .. } => match self.shared.actions.executor(&name.value) {
                Some(action) => Some(action),
                None => {
                    return self.done(
                        StepState::Failed,
                        format!("the `{}` kind cannot run in this version", name.value),
                    )
                }
            },
            _ => None,
        };
        if let Some(iteration) = &step_plan.iteration {
            return self.iterate(action, iteration).await;
        }
        let args = match arguments::fill(&step_plan.params, &self.scope) {
            Ok(args) => args,
            Err(e) => {
                return StepDone {
                    span: Some(e.span),
                    ..self.done(
                        StepState::Failed,
                        format!("cannot render the parameters: {e}"),
                    )
                }
            }
        };
        if let Err((message, span)) = crate::durations::check_all(step, step_plan, &self.scope)
            .and_then(|()| {
                crate::output_cap::check(&self.shared.plan, step, step_plan, &self.scope)
            })
        {
            return StepDone {
                span: Some(span),
                ..self.done(StepState::Failed, message)
            };
        }
        let mut ctx = self.action_context(args, self.scope.clone());
        // Gates: an interrupted step asks again before it re-runs; a gated step asks first.
        let gated = plan.is_gated(self.index) && !self.finishing;
        // What a person is shown (a prompt, a dry-run) is read from the
        // server now; a step that runs unasked needs no more than its line.
        let shown = ((self.rerun || gated) && mode.asks_at_gates())
            || mode.treat(step_plan.effect) == Treatment::Describe;
        let detail = match &action {
            Some(action) if shown => Some(action.describe_now(&ctx).await),
            Some(action) => Some(action.describe(&ctx)),
            None => None,
        };

        if self.rerun || gated {
            let question = match self.gate_question(&ctx) {
                Ok(q) => q,
                Err(e) => return self.unaskable(e),
            };
            // A step that called a playbook continues inside it.
            let again = if self.resumed.is_empty() {
                "Run it again?"
            } else {
                "Continue it? (its called playbook resumes where it stopped: its steps that succeeded do not run again)"
            };
            let question = match (self.rerun, gated) {
                (true, true) => format!("`{id}` was interrupted and may have done part of its work. {again} ({question})"),
                (true, false) => format!("`{id}` was interrupted and may have done part of its work. {again}"),
                (false, _) => question,
            };
            if mode.asks_at_gates() {
                match self.gate(question, detail.clone(), None).await {
                    // The step's own approval passes the gates of the
                    // playbook it calls; "run it again?" alone does not:
                    // it was not asked what the called steps do.
                    Ok(who) if gated => ctx.approver = Some(who),
                    Ok(_) => {}
                    Err(done) => return done,
                }
            } else {
                self.send(Event::GateShown {
                    step: id.clone(),
                    question,
                    effect: step_plan.effect.name().into(),
                });
            }
        }

        match &step.action {
            StepAction::Manual { .. } | StepAction::Ask(_) => self.ask(&ctx).await,
            StepAction::Kind { .. } => {
                let action = action.expect("kind steps have an action");
                match mode.treat(step_plan.effect) {
                    Treatment::Describe => {
                        let mut description = detail.unwrap_or_default();
                        let mut failed = None;
                        if let Some(preview) = action.preview(&ctx) {
                            let _permit = self.shared.jobs.acquire().await;
                            let previewed = preview.await;
                            let said = previewed.message.unwrap_or_default();
                            if previewed.ok {
                                description = format!("{description} (preview: {said})");
                            } else {
                                failed = Some((
                                    format!("the preview failed: {said}"),
                                    previewed.misconfigured,
                                ));
                            }
                        }
                        self.send(Event::StepWouldRun {
                            step: id,
                            effect: step_plan.effect.name().into(),
                            description,
                        });
                        match failed {
                            // A preview (a called playbook's dry-run) that
                            // fails after a write the dry-run only described
                            // may fail for want of that write's effect.
                            Some((message, misconfigured)) => {
                                self.undecided_after_described(StepDone {
                                    misconfigured,
                                    ..self.done(StepState::Failed, message)
                                })
                            }
                            None => StepDone {
                                simulated: true,
                                ..StepDone::new(self.index, StepState::Succeeded)
                            },
                        }
                    }
                    Treatment::Execute => {
                        // Cancelled already (a cleanup decided after the
                        // signal that stopped its phase): never started.
                        let _permit = tokio::select! {
                            biased;
                            _ = self.cancel.cancelled() => return self.done(StepState::Cancelled, "cancelled before it started"),
                            permit = self.shared.jobs.acquire() => permit.ok(),
                        };
                        let done = self.attempts(&*action, ctx, None).await;
                        self.undecided_after_described(done)
                    }
                }
            }
            StepAction::Branch(_) => StepDone::new(self.index, StepState::Succeeded),
        }
    }

    /// What an action is given to run this step with these arguments.
    pub(super) fn action_context(
        &self,
        args: crate::arguments::Args,
        scope: Scope,
    ) -> ActionContext {
        let output_cap = self.shared.options.output_cap.for_step(
            &self.shared.plan,
            self.step(),
            self.shared.plan.step_plan(self.index),
            &scope,
        );
        ActionContext {
            step: self.step().id.value.clone(),
            args,
            scope,
            cancel: self.cancel.clone(),
            workdir: self.shared.options.workdir.clone(),
            playbook_dir: self.shared.options.playbook_dir.clone(),
            approver: None,
            operator: self.shared.operator.clone(),
            prompt: self.shared.prompt.clone(),
            kill_grace: self.shared.options.kill_grace,
            gate_timeout: self.shared.options.gate_timeout,
            mode: self.shared.options.mode,
            interruption: self.shared.options.interruption.clone(),
            output_cap,
            output_caps: self.shared.options.output_cap.clone(),
            call_depth: self.shared.options.call_depth,
            called_actions: self.shared.actions.called(&self.step().id.value),
            masker: self.masker.clone(),
            journal: self.shared.options.journal.clone(),
            resumed: self.resumed.clone(),
            item: None,
            attempt: 1,
            rerun: self.rerun,
            output: Some(self.tx.clone()),
            called_runs: self.shared.options.called_runs.clone(),
        }
    }

    /// Dry-run: a read that fails after a write the dry-run only described
    /// may fail for want of that write's effect (a backup verified before
    /// the dump was made): it cannot be decided, so it is skipped with the
    /// reason, not failed. A step that failed as it is given (a URL that
    /// does not parse, credentials the server refused) fails: no earlier
    /// step could have changed that.
    pub(super) fn undecided_after_described(&self, done: StepDone) -> StepDone {
        let Some(write) = &self.after_described else {
            return done;
        };
        if self.shared.options.mode != Mode::DryRun
            || done.misconfigured
            || !matches!(done.state, StepState::Failed | StepState::TimedOut)
        {
            return done;
        }
        let why = done.message.clone().unwrap_or_default();
        StepDone {
            state: StepState::Skipped,
            message: Some(format!(
                "cannot be decided in a dry-run: it comes after `{write}`, which the dry-run only described (it failed: {why})"
            )),
            ..done
        }
    }

    /// Captures outputs; a capture that fails fails the step.
    pub(super) fn finish_success(&self, results: Map<String, Value>, attempts: u32) -> StepDone {
        match self.capture(&results) {
            Ok(outputs) => StepDone {
                results,
                outputs,
                attempts,
                ..StepDone::new(self.index, StepState::Succeeded)
            },
            Err(message) => StepDone {
                results,
                attempts,
                ..self.done(StepState::Failed, message)
            },
        }
    }

    pub(super) fn capture(
        &self,
        results: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let primary = self.shared.plan.step_plan(self.index).primary_result;
        outputs::capture(&self.step().outputs, primary, results)
    }
}
