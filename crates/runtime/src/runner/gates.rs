//! Where a step waits for a person: approval gates, questions, manual steps.

use super::step_task::StepTask;
use crate::action::ActionContext;
use crate::event::{Event, StepState};
use crate::mode::Mode;
use crate::operator::{GateRequest, Question, QuestionKind, Reply, Via, Withdrawal};
use crate::step_message::StepDone;
use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::template::Quoting;
use runbook_dsl::template::{fill, FillError};
use serde_json::{Map, Value};
use std::time::Duration;

impl StepTask {
    pub(super) fn gate_question(&self, ctx: &ActionContext) -> Result<String, FillError> {
        let (step, step_plan) = self.shared.plan.step(self.index);
        if let Some(q) = &step_plan.approval_question {
            return fill(q, &ctx.scope, Quoting::Prose);
        }
        // A kind that gates by itself asks its own question.
        let own = step_plan
            .capabilities
            .question
            .filter(|_| step_plan.capabilities.gates);
        if let Some(q) = own.and_then(|param| ctx.str_arg(param)) {
            return Ok(q.to_string());
        }
        Ok(match &step.title {
            Some(title) => format!("Run `{}` ({})?", step.id.value, title.value),
            None => format!("Run `{}`?", step.id.value),
        })
    }

    /// Puts a gate to the operator; `Ok(who)` when approved.
    /// Asks the operator at a gate; the time it takes is kept apart from
    /// the step's own.
    pub(super) async fn gate(
        &self,
        question: String,
        detail: Option<String>,
        element: Option<String>,
    ) -> Result<String, StepDone> {
        if let Some(failed) = self.human_timeout_problem() {
            return Err(failed);
        }
        let asked = std::time::Instant::now();
        let decided = self.ask_gate(question, detail, element).await;
        let waited = u64::try_from(asked.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.gate_wait_ms
            .fetch_add(waited, std::sync::atomic::Ordering::Relaxed);
        decided
    }

    async fn ask_gate(
        &self,
        question: String,
        detail: Option<String>,
        element: Option<String>,
    ) -> Result<String, StepDone> {
        let (step, step_plan) = self.shared.plan.step(self.index);
        let id = step.id.value.clone();
        let shown_element = element.as_deref().map(|e| self.masker.mask(e));
        let request = GateRequest {
            step: id.clone(),
            title: step.title.as_ref().map(|t| t.value.clone()),
            question: self.masker.mask(&question),
            effect: step_plan.effect,
            detail: detail.as_deref().map(|d| self.masker.mask(d)),
            rerun: self.rerun,
            checkpoint: step_plan.capabilities.gates,
            context: self.context(),
            by_other: step.approval.as_ref().is_some_and(|a| a.by_other()),
            element,
            labels: Default::default(),
            deadline: self.deadline(),
            remote_hint: None,
            withdrawn: Withdrawal::default(),
        };
        let withdrawn = request.withdrawn.clone();
        let _turn = self.shared.prompt.lock().await;
        self.send(Event::GateRequested {
            step: id.clone(),
            question,
            effect: step_plan.effect.name().into(),
            detail,
        });
        let operator = self.shared.operator.clone();
        let mut asked = tokio::task::spawn_blocking(move || operator.approve(&request));
        let decided = tokio::select! {
            decided = with_timeout(self.deadline(), &mut asked) => decided,
            _ = self.cancel.cancelled() => {
                call_off(&withdrawn, asked).await;
                return Err(self.done(StepState::Cancelled, "cancelled at its gate"));
            }
        };
        if decided.is_none() {
            call_off(&withdrawn, asked).await;
        }
        let decision = match decided {
            Some(Ok(decision)) => decision,
            Some(Err(_)) => crate::operator::Decision {
                approved: false,
                who: crate::operator::current_user(),
                via: Via::Terminal,
                reason: Some("the prompt failed".into()),
            },
            None => crate::operator::Decision {
                approved: false,
                who: crate::operator::current_user(),
                via: Via::Timeout,
                reason: Some(format!(
                    "no decision within {}",
                    humantime::format_duration(self.deadline().unwrap_or_default())
                )),
            },
        };
        self.record(Event::GateDecided {
            step: id.clone(),
            element: shown_element,
            approved: decision.approved,
            who: decision.who.clone(),
            via: decision.via.clone(),
            reason: decision.reason.clone(),
            plan_hash: self.shared.options.plan_hash.clone(),
        })
        .await;
        if decision.approved {
            Ok(decision.who)
        } else if decision.via == Via::Timeout && self.is_human() {
            Err(self.expired("decision"))
        } else {
            let why = decision
                .reason
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            Err(self.done(
                StepState::Rejected,
                format!(
                    "the gate of `{id}` was rejected by {} ({}){why}",
                    decision.via.decided_by(&decision.who),
                    decision.via
                ),
            ))
        }
    }

    /// What a prompt shows besides its question, masked: the step's
    /// description and what the steps before it read.
    pub(super) fn context(&self) -> crate::operator::Context {
        let mask = |l: &String| self.masker.mask(l);
        crate::operator::Context {
            description: self.step().description.as_ref().map(|d| mask(&d.value)),
            evidence: self
                .evidence
                .iter()
                .map(|(step, lines)| (step.clone(), lines.iter().map(mask).collect()))
                .collect(),
        }
    }

    /// A step whose work is a person's: `manual`, `ask`, a kind that gates
    /// by itself (`approve`). Their `timeout` is how long that person has.
    pub(super) fn is_human(&self) -> bool {
        let action = &self.step().action;
        matches!(action, StepAction::Manual { .. } | StepAction::Ask(_))
            || self.shared.plan.step_plan(self.index).capabilities.gates
    }

    /// How long the operator has to answer: a human step's own `timeout`,
    /// else `--gate-timeout`.
    pub(super) fn deadline(&self) -> Option<Duration> {
        // A templated timeout that does not render a duration has failed
        // the step already (`durations::check_all`, `human_timeout_problem`);
        // a gate on another step is timed by `--gate-timeout`.
        let own = self.own_timeout().ok().flatten();
        own.filter(|_| self.is_human())
            .or(self.shared.options.gate_timeout)
    }

    /// The step's own `timeout`, rendered if it is a template.
    fn own_timeout(&self) -> Result<Option<Duration>, String> {
        let plan = self.shared.plan.clone();
        crate::durations::resolve(
            self.step(),
            plan.step_plan(self.index),
            runbook_dsl::plan::DurationField::Timeout,
            &self.scope,
        )
    }

    /// A human step whose templated `timeout` does not render a duration
    /// fails before the person is asked, rather than being timed by a
    /// default they did not write. (A step's durations are all checked
    /// before it starts, `durations::check_all`; this covers the gate of
    /// each element of a loop, whose timeout may read the element.)
    fn human_timeout_problem(&self) -> Option<StepDone> {
        if !self.is_human() {
            return None;
        }
        let message = self.own_timeout().err()?;
        Some(self.done(StepState::Failed, message))
    }

    /// An `ask`'s declared `default`, taken when its deadline passes.
    pub(super) fn default_answer(&self) -> Option<Value> {
        match &self.step().action {
            StepAction::Ask(ask) => ask.answer.accept(&ask.default.as_ref()?.value).ok(),
            _ => None,
        }
    }

    /// A human step's deadline passed with no answer: the step times out
    /// and its `on_failure` decides (`goto` escalates, to a `notify` step
    /// say; `continue` goes on); without one the run stops as at a rejected
    /// gate (exit 3).
    pub(super) fn expired(&self, what: &str) -> StepDone {
        let state = if runbook_dsl::activation::handles_failure(self.step()) {
            StepState::TimedOut
        } else {
            StepState::Rejected
        };
        self.done(
            state,
            format!(
                "no {what} within {}",
                humantime::format_duration(self.deadline().unwrap_or_default())
            ),
        )
    }

    /// A `manual` step or an `ask`: the operator's answer is the result.
    pub(super) async fn ask(&self, ctx: &ActionContext) -> StepDone {
        let (step, step_plan) = self.shared.plan.step(self.index);
        let mode = self.shared.options.mode;
        let text = match &step_plan.text {
            Some(t) => match fill(t, &ctx.scope, Quoting::Prose) {
                Ok(text) => text,
                Err(e) => {
                    return StepDone {
                        span: Some(e.span),
                        ..self.done(StepState::Failed, format!("cannot render the text: {e}"))
                    }
                }
            },
            None => String::new(),
        };
        let (kind, field) = match &step.action {
            StepAction::Ask(ask) => (QuestionKind::Ask(ask.answer.clone()), "answer"),
            _ => (QuestionKind::Manual, "note"),
        };
        if matches!(kind, QuestionKind::Manual) && !mode.waits_for_manual_steps() {
            self.send(Event::StepWouldRun {
                step: step.id.value.clone(),
                effect: step_plan.effect.name().into(),
                description: format!("the operator would be asked to: {text}"),
            });
            return StepDone {
                simulated: true,
                ..StepDone::new(self.index, StepState::Succeeded)
            };
        }
        self.send(Event::Asked {
            step: step.id.value.clone(),
            kind: match kind {
                QuestionKind::Manual => "manual",
                QuestionKind::Ask(_) => "ask",
            }
            .into(),
            text: text.clone(),
            description: step.description.as_ref().map(|d| d.value.clone()),
        });
        let question = Question {
            step: step.id.value.clone(),
            title: step.title.as_ref().map(|t| t.value.clone()),
            text: self.masker.mask(&text),
            kind,
            context: self.context(),
            labels: Default::default(),
            deadline: self.deadline(),
            remote_hint: None,
            withdrawn: Withdrawal::default(),
        };
        let withdrawn = question.withdrawn.clone();
        let _turn = self.shared.prompt.lock().await;
        let operator = self.shared.operator.clone();
        let mut asked = tokio::task::spawn_blocking(move || operator.answer(&question));
        let replied = tokio::select! {
            reply = with_timeout(self.deadline(), &mut asked) => reply,
            _ = self.cancel.cancelled() => {
                call_off(&withdrawn, asked).await;
                return self.done(StepState::Cancelled, "cancelled while waiting for the operator");
            }
        };
        if replied.is_none() {
            call_off(&withdrawn, asked).await;
        }
        let reply = match replied {
            Some(Ok(reply)) => reply,
            Some(Err(_)) => Reply::Refused {
                who: crate::operator::current_user(),
                via: Via::Terminal,
                reason: "the prompt failed".into(),
            },
            None => match self.default_answer() {
                Some(value) => Reply::Answer {
                    value,
                    who: crate::operator::current_user(),
                    via: Via::TimeoutDefault,
                },
                None => {
                    return self.expired(match step.action {
                        StepAction::Ask(_) => "answer",
                        _ => "confirmation",
                    })
                }
            },
        };
        match reply {
            Reply::Answer { value, who, via } => {
                self.record(Event::Answered {
                    step: step.id.value.clone(),
                    answer: value.clone(),
                    who,
                    via,
                })
                .await;
                let mut results = Map::new();
                results.insert(field.into(), value);
                self.finish_success(results, 1)
            }
            Reply::Refused { reason, .. } if mode == Mode::DryRun => {
                let _ = reason;
                StepDone {
                    simulated: true,
                    message: Some("no answer in a dry-run: its answer is unknown".into()),
                    ..StepDone::new(self.index, StepState::Succeeded)
                }
            }
            Reply::Refused { who, via, reason } => self.done(
                StepState::Rejected,
                format!(
                    "`{}` got no answer from {who} ({via}): {reason}",
                    step.id.value
                ),
            ),
        }
    }
}

/// Tells an operator the runner no longer waits for it (timed out,
/// cancelled) and gives it a moment to return: a prompt clears its line, a
/// gate published for remote decisions removes its pending record, before
/// the run goes on or ends.
async fn call_off<T>(withdrawn: &Withdrawal, asked: tokio::task::JoinHandle<T>) {
    withdrawn.withdraw();
    let _ = tokio::time::timeout(Duration::from_secs(2), asked).await;
}

/// Awaits a blocking prompt, giving up after `limit` (`None` then).
pub(super) async fn with_timeout<T>(
    limit: Option<Duration>,
    handle: &mut tokio::task::JoinHandle<T>,
) -> Option<Result<T, tokio::task::JoinError>> {
    match limit {
        None => Some(handle.await),
        Some(limit) => tokio::time::timeout(limit, handle).await.ok(),
    }
}
