//! Attempts of a step: retries, `until` polling, timeouts.

use super::step_task::StepTask;
use crate::action::{ActionContext, ActionResult};
use crate::event::{Event, StepState};
use crate::step_message::{Attempted, StepDone, TaskMsg};
use runbook_dsl::expr::{self, Outcome};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl StepTask {
    /// Runs the action with `retry`, `timeout` and `until`.
    pub(super) async fn attempts(
        &self,
        action: &dyn crate::action::Execute,
        mut ctx: ActionContext,
        item: Option<(usize, &str)>,
    ) -> StepDone {
        let step = self.step();
        let plan = self.shared.plan.clone();
        let step_plan = plan.step_plan(self.index);
        let id = step.id.value.clone();
        let tries = step
            .retry
            .as_ref()
            .map(|r| r.attempts.value.max(1))
            .unwrap_or(1);
        let durations = (|| -> Result<_, String> {
            use crate::durations::resolve;
            use runbook_dsl::plan::DurationField as F;
            Ok((
                resolve(step, step_plan, F::RetryDelay, &self.scope)?,
                resolve(step, step_plan, F::Timeout, &self.scope)?,
                resolve(step, step_plan, F::Every, &self.scope)?,
                resolve(step, step_plan, F::Within, &self.scope)?,
            ))
        })();
        let (first_delay, timeout, every, within) = match durations {
            Ok(found) => found,
            Err(message) => return self.done(StepState::Failed, &message),
        };
        let first_delay = first_delay.unwrap_or(Duration::ZERO);
        let backoff = step
            .retry
            .as_ref()
            .and_then(|r| r.backoff.as_ref())
            .map(|b| b.value)
            .unwrap_or(1.0);
        let every = every.unwrap_or(self.shared.options.default_poll);
        // tokio's clock, not std's: a rehearsal runs on paused time, where a
        // deadline must pass as the polls' sleeps do.
        let started = tokio::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            // One poll: the action, retried on failure.
            let mut delay = first_delay;
            let mut tried = 0;
            let (result, state) = loop {
                attempt += 1;
                tried += 1;
                let command = (attempt == 1).then(|| action.describe(&ctx));
                self.record(match item {
                    Some((index, label)) => Event::ItemStarted {
                        step: id.clone(),
                        index,
                        label: label.to_string(),
                        attempt,
                        command,
                    },
                    None => Event::StepStarted {
                        step: id.clone(),
                        attempt,
                        command,
                    },
                })
                .await;
                let token = self.cancel.child_token();
                ctx.cancel = token.clone();
                ctx.attempt = attempt;
                let (result, timed_out) = run_once(action, &ctx, timeout).await;
                if self.cancel.is_cancelled() {
                    let mut done = self.done(StepState::Cancelled, "cancelled while running");
                    done.results = result.fields;
                    done.attempts = attempt;
                    return done;
                }
                let state = if timed_out {
                    StepState::TimedOut
                } else if result.ok {
                    StepState::Succeeded
                } else if result.undecided {
                    StepState::Skipped
                } else if result.rejected {
                    StepState::Rejected
                } else {
                    StepState::Failed
                };
                let message = if timed_out {
                    // What the step said as it was stopped stays: a
                    // statement the server was asked to cancel, a process
                    // group that was killed.
                    let said = result
                        .message
                        .as_deref()
                        .filter(|m| !m.is_empty())
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    format!(
                        "timed out after {}{said}",
                        humantime::format_duration(timeout.unwrap_or_default())
                    )
                } else {
                    result.message.clone().unwrap_or_default()
                };
                // A person's "no" is not retried.
                if matches!(
                    state,
                    StepState::Succeeded | StepState::Skipped | StepState::Rejected
                ) || tried >= tries
                {
                    let mut result = result;
                    if timed_out {
                        result.message = Some(message);
                    }
                    break (result, state);
                }
                self.attempted(
                    item,
                    &result.fields,
                    Event::StepRetrying {
                        step: id.clone(),
                        attempt,
                        delay_ms: delay.as_millis() as u64,
                        message,
                    },
                );
                if !sleep_or_cancel(delay, &self.cancel).await {
                    return StepDone {
                        attempts: attempt,
                        ..self.done(StepState::Cancelled, "cancelled between attempts")
                    };
                }
                delay = delay.mul_f64(backoff.max(0.0));
            };
            // A rejection is final: no poll asks again.
            let until = step_plan.until.as_ref();
            let Some(condition) = until.filter(|_| state != StepState::Rejected) else {
                return match state {
                    StepState::Succeeded => {
                        // A kind's note on its success (a result cut at the
                        // output cap) is the step's message.
                        let mut done = self.finish_success(result.fields, attempt);
                        if done.state == StepState::Succeeded {
                            done.message = result.message;
                        }
                        done
                    }
                    _ => StepDone {
                        results: result.fields,
                        attempts: attempt,
                        message: result.message,
                        misconfigured: result.misconfigured,
                        ..StepDone::new(self.index, state)
                    },
                };
            };
            // Polling: evaluate the condition over this attempt's results.
            // Why this attempt did not end the polling: its own message (a
            // failed attempt, an error), or `None` when the condition simply
            // does not hold yet.
            let mut reason = result.message.clone();
            // The values this attempt's condition read, when it simply did
            // not hold: the deadline's message shows them (formatted only
            // then, not at every attempt).
            let mut unheld = None;
            if state == StepState::Succeeded {
                match self.capture(&result.fields) {
                    Ok(outputs) => {
                        let mut scope = ctx.scope.clone();
                        scope.succeeded(&id, result.fields.clone(), outputs.clone());
                        match expr::eval(condition, &scope) {
                            Ok(Outcome::Known(Value::Bool(true))) => {
                                return StepDone {
                                    results: result.fields,
                                    outputs,
                                    attempts: attempt,
                                    ..StepDone::new(self.index, StepState::Succeeded)
                                }
                            }
                            Ok(_) => {
                                reason = None;
                                unheld = Some(scope);
                            }
                            Err(e) => reason = Some(format!("`{condition}`: {e}")),
                        }
                    }
                    Err(e) => reason = Some(e),
                }
            }
            let reason_text = reason
                .clone()
                .unwrap_or_else(|| format!("`{condition}` does not hold yet"));
            if !self.shared.options.mode.repeats_polls() {
                let deadline = within
                    .map(|w| format!(" for up to {}", humantime::format_duration(w)))
                    .unwrap_or_default();
                return StepDone {
                    results: result.fields,
                    attempts: attempt,
                    ..self.done(
                        StepState::Skipped,
                        format!(
                            "a dry-run probes once and does not wait: {reason_text} (a run polls every {}{deadline})",
                            humantime::format_duration(every)
                        ),
                    )
                };
            }
            // The last attempt is made at the deadline itself: `every: 10s,
            // within: 20s` tries at 0, 10 and 20 seconds, not only twice
            // because the third would start a few milliseconds late.
            let elapsed = started.elapsed();
            let wait = match within {
                Some(w) => w.saturating_sub(elapsed).min(every),
                None => every,
            };
            if within.is_some() && wait.is_zero() {
                return StepDone {
                    results: result.fields,
                    attempts: attempt,
                    ..self.done(StepState::Failed, {
                        let within = humantime::format_duration(within.unwrap_or_default());
                        let head = format!(
                            "`{condition}` did not hold within {within} ({attempt} attempts)"
                        );
                        // The condition is named once: only a reason of
                        // its own (a failed attempt, an error) is added,
                        // or what it last read when it simply did not hold.
                        match (&reason, &unheld) {
                            (Some(reason), _) => format!("{head}; last: {reason}"),
                            (None, Some(scope)) => {
                                let read: Vec<String> = expr::values_read(condition, scope)
                                    .into_iter()
                                    .map(|(path, value)| format!("{path} = {value}"))
                                    .collect();
                                if read.is_empty() {
                                    head
                                } else {
                                    format!("{head}; last: {}", read.join(", "))
                                }
                            }
                            (None, None) => head,
                        }
                    })
                };
            }
            self.attempted(
                item,
                &result.fields,
                Event::StepPolling {
                    step: id.clone(),
                    attempt,
                    every_ms: wait.as_millis() as u64,
                    message: reason_text,
                },
            );
            if !sleep_or_cancel(wait, &self.cancel).await {
                return StepDone {
                    attempts: attempt,
                    ..self.done(StepState::Cancelled, "cancelled while polling")
                };
            }
        }
    }
}

impl StepTask {
    /// An attempt ended and another follows: what it produced, for the
    /// masker, then `event` (see [`Attempted`]).
    fn attempted(&self, item: Option<(usize, &str)>, results: &Map<String, Value>, event: Event) {
        let _ = self.tx.send(TaskMsg::Attempted(Box::new(Attempted {
            index: self.index,
            item: item.map(|(index, _)| index),
            results: results.clone(),
            event,
        })));
    }
}

/// Runs the action once; on timeout cancels it and waits for its cleanup.
pub(super) async fn run_once(
    action: &dyn crate::action::Execute,
    ctx: &ActionContext,
    timeout: Option<Duration>,
) -> (ActionResult, bool) {
    let mut fut = action.run(ctx);
    match timeout {
        None => (fut.await, false),
        Some(limit) => match tokio::time::timeout(limit, &mut fut).await {
            Ok(result) => (result, false),
            Err(_) => {
                ctx.cancel.cancel();
                (fut.await, true)
            }
        },
    }
}

/// Sleeps; `false` when cancelled first.
pub(super) async fn sleep_or_cancel(duration: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = cancel.cancelled() => false,
    }
}
