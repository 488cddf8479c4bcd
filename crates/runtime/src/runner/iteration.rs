//! A `for_each` step: the list is evaluated when the step starts, and the
//! step's body runs once per element, `parallel` at a time, each element
//! with its own scope (the element bound to its name), attempts, outputs
//! and journal records (`item_started`, `item_finished`). The step as a
//! whole settles once, with the list of its elements' results and the
//! aggregates over them, so the scheduler and every other command see one
//! step. How it runs, resumes and fails: docs/semantics.md, "Loops".

use super::element_labels::{default_label, labels};
use super::step_task::StepTask;
use crate::action::{ActionContext, Execute};
use crate::arguments;
use crate::event::{Event, StepState};
use crate::mode::Treatment;
use crate::step_message::StepDone;
use runbook_dsl::ast::ItemFailure;
use runbook_dsl::expr::{self, Outcome};
use runbook_dsl::plan::{Iteration, IterationList};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

/// One element, ready to run: its arguments rendered, its command described.
struct Element {
    index: usize,
    label: String,
    value: Value,
    ctx: ActionContext,
    detail: String,
}

/// How one element ended.
struct ElementDone {
    index: usize,
    label: String,
    value: Value,
    done: StepDone,
}

type Running<'a> = Pin<Box<dyn Future<Output = ElementDone> + Send + 'a>>;

impl StepTask {
    pub(super) async fn iterate(
        &self,
        action: Option<Arc<dyn Execute>>,
        iteration: &Iteration,
    ) -> StepDone {
        let Some(action) = action else {
            return self.done(
                StepState::Failed,
                "only a step of a kind can run per element",
            );
        };
        let plan = self.shared.plan.clone();
        let (step, step_plan) = plan.step(self.index);
        let id = step.id.value.clone();
        let mode = self.shared.options.mode;
        let for_each = step
            .for_each
            .as_ref()
            .expect("an iterated step has `for_each`");

        let values = match &iteration.list {
            IterationList::Literal(values) => values.clone(),
            IterationList::Expr(list) => match expr::eval(list, &self.scope) {
                Ok(Outcome::Known(Value::Array(values))) => values,
                Ok(Outcome::Known(other)) => {
                    return StepDone {
                        span: Some(list.span),
                        ..self.done(
                            StepState::Failed,
                            format!("`for_each: {list}` is {}, not a list", json_type(&other)),
                        )
                    }
                }
                Ok(Outcome::Unknown) => {
                    // Dry-run: the list comes from a step that was only described.
                    self.send(Event::StepWouldRun {
                        step: id,
                        effect: step_plan.effect.name().into(),
                        description: format!(
                            "once per element of `{list}`, which is not known in a dry-run"
                        ),
                    });
                    return StepDone {
                        simulated: true,
                        ..StepDone::new(self.index, StepState::Succeeded)
                    };
                }
                Err(e) => {
                    return StepDone {
                        span: Some(e.span),
                        ..self.done(
                            StepState::Failed,
                            format!("cannot evaluate `for_each: {list}`: {e}"),
                        )
                    }
                }
            },
        };

        // Every element is named and rendered before any runs: a label or a
        // value that cannot be fails the step before it has done anything.
        let names = match labels(iteration, &values, &self.scope) {
            Ok(names) => names,
            Err(e) => {
                return StepDone {
                    span: Some(e.span),
                    ..self.done(StepState::Failed, e.message)
                }
            }
        };
        let mut elements = Vec::with_capacity(values.len());
        for ((index, value), label) in values.into_iter().enumerate().zip(names) {
            let scope = self.scope.with_element(&iteration.element, value.clone());
            let args = match arguments::fill(&step_plan.params, &scope) {
                Ok(args) => args,
                Err(e) => {
                    return StepDone {
                        span: Some(e.span),
                        ..self.done(
                            StepState::Failed,
                            format!("cannot render the parameters of element [{index}]: {e}"),
                        )
                    }
                }
            };
            if let Err((message, span)) =
                crate::output_cap::check(&self.shared.plan, step, step_plan, &scope)
            {
                return StepDone {
                    span: Some(span),
                    ..self.done(StepState::Failed, format!("element [{index}]: {message}"))
                };
            }
            let mut ctx = self.action_context(args, scope);
            // Each element's called playbook is its own run (journaled at
            // `STEP[INDEX]`); on resume, an element that runs again
            // continues inside the one it started, if the list still holds
            // it there.
            ctx.resumed = self
                .item_calls
                .iter()
                .find(|c| c.index == index && c.label == label)
                .map(|c| c.called.clone())
                .unwrap_or_default();
            ctx.item = Some(crate::action::LoopItem {
                index,
                label: label.clone(),
            });
            let detail = action.describe(&ctx);
            elements.push(Element {
                index,
                label,
                value,
                ctx,
                detail,
            });
        }

        // Elements that succeeded before a resume are not run again.
        let mut finished: Vec<Option<ElementDone>> = (0..elements.len()).map(|_| None).collect();
        let mut pending = Vec::with_capacity(elements.len());
        for element in elements {
            let restored = self
                .restored_items
                .iter()
                .find(|r| r.index == element.index && r.label == element.label);
            match restored {
                Some(r) => {
                    finished[element.index] = Some(ElementDone {
                        index: element.index,
                        label: element.label,
                        value: element.value,
                        done: StepDone {
                            results: r.results.clone(),
                            outputs: r.outputs.clone(),
                            attempts: r.attempts,
                            message: Some("succeeded before the run was resumed".into()),
                            ..StepDone::new(self.index, StepState::Succeeded)
                        },
                    })
                }
                None => pending.push(element),
            }
        }

        // The gate for the whole set, with every element's command shown.
        let gated = plan.is_gated(self.index);
        let per_item = for_each.approval_per_item();
        let mut approver = None;
        if (self.rerun || (gated && !per_item)) && !pending.is_empty() {
            let continues = pending.iter().any(|e| !e.ctx.resumed.is_empty());
            let question = match self.set_question(pending.len(), continues, per_item) {
                Ok(q) => q,
                Err(e) => return self.unaskable(e),
            };
            // What the person approves, read from the server now.
            if mode.asks_at_gates() {
                for element in &mut pending {
                    element.detail = action.describe_now(&element.ctx).await;
                }
            }
            let detail = pending
                .iter()
                .map(|e| format!("[{}] {}: {}", e.index, e.label, e.detail))
                .collect::<Vec<_>>()
                .join("\n");
            if mode.asks_at_gates() {
                match self.gate(question, Some(detail), None).await {
                    // Only the loop's own approval of the whole set passes
                    // the gates of the playbook its elements call, not
                    // "run it again?" alone.
                    Ok(who) if gated && !per_item => approver = Some(who),
                    Ok(_) => {}
                    Err(mut done) => {
                        // Refused before any element ran (the re-run of
                        // an interrupted loop): its results still hold the
                        // elements that succeeded before, and the counts,
                        // for a cleanup that undoes them.
                        let not_started = pending
                            .into_iter()
                            .map(|e| (e.index, e.label, e.value))
                            .collect();
                        done.results = self.settle_loop(finished, not_started, false).results;
                        return done;
                    }
                }
            } else {
                self.send(Event::GateShown {
                    step: id.clone(),
                    question,
                    effect: step_plan.effect.name().into(),
                });
            }
        }

        if mode.treat(step_plan.effect) == Treatment::Describe {
            return self.describe_elements(&*action, pending, per_item).await;
        }

        self.record(Event::StepStarted {
            step: id.clone(),
            attempt: 1,
            // Each element says what it runs.
            command: None,
        })
        .await;
        let parallel = for_each.parallel();
        let policy = for_each.on_item_failure();
        let mut queue = pending.into_iter();
        let mut running: Vec<Running<'_>> = Vec::new();
        let mut stop = false;
        loop {
            while running.len() < parallel && !stop && !self.cancel.is_cancelled() {
                let Some(mut element) = queue.next() else {
                    break;
                };
                element.ctx.approver = approver.clone();
                running.push(Box::pin(self.run_element(&*action, element, per_item)));
            }
            if running.is_empty() {
                break;
            }
            let (at, ended) = std::future::poll_fn(|cx| {
                for (at, element) in running.iter_mut().enumerate() {
                    if let Poll::Ready(ended) = element.as_mut().poll(cx) {
                        return Poll::Ready((at, ended));
                    }
                }
                Poll::Pending
            })
            .await;
            drop(running.swap_remove(at));
            let state = ended.done.state;
            self.record(Event::ItemFinished {
                step: id.clone(),
                index: ended.index,
                label: ended.label.clone(),
                state,
                message: ended.done.message.clone(),
                results: ended.done.results.clone(),
                outputs: ended.done.outputs.clone(),
                attempts: ended.done.attempts,
                output_in_lines: Vec::new(),
            })
            .await;
            // Under `stop` any failure ends the loop, a person's "no"
            // too; under `continue` a "no" where each element is asked
            // its own gate (`approval_per_item`) skips that element and
            // the next is asked: nothing runs that was not approved, and
            // the step still settles `rejected`. Without gates per
            // element, a "no" (inside an element's called playbook)
            // stops the loop whatever the policy.
            let refused = state == StepState::Rejected && !per_item;
            if state.is_failure() && (policy == ItemFailure::Stop || refused) {
                stop = true;
            }
            let index = ended.index;
            finished[index] = Some(ended);
        }
        let not_started: Vec<_> = queue.map(|e| (e.index, e.label, e.value)).collect();
        let cancelled = !not_started.is_empty() && self.cancel.is_cancelled();
        // Dry-run: a read loop that fails after a write the dry-run only
        // described is undecided, as a read step is.
        self.undecided_after_described(self.settle_loop(finished, not_started, cancelled))
    }

    /// The question of the gate asked once for the whole set. A question
    /// asked per element reads the element, which the set has not: on the
    /// re-run of an interrupted loop the set is asked without it, and each
    /// element is still asked its own after.
    fn set_question(
        &self,
        count: usize,
        continues: bool,
        per_item: bool,
    ) -> Result<String, runbook_dsl::template::FillError> {
        let ctx = self.action_context(Default::default(), self.scope.clone());
        let question = if per_item {
            None
        } else {
            Some(self.gate_question(&ctx)?)
        };
        let id = &self.step().id.value;
        let elements = if count == 1 { "element" } else { "elements" };
        let inside = if continues {
            " (an element whose called playbook stopped continues inside it: its steps that succeeded do not run again)"
        } else {
            ""
        };
        Ok(if self.rerun {
            let question = question.map(|q| format!(" ({q})")).unwrap_or_default();
            format!("`{id}` was interrupted and may have done part of its work. Run its {count} remaining {elements}?{inside}{question}")
        } else {
            format!("{} ({count} {elements})", question.unwrap_or_default())
        })
    }

    /// One element: its own gate when asked per element, then its attempts.
    async fn run_element(
        &self,
        action: &dyn Execute,
        mut element: Element,
        per_item: bool,
    ) -> ElementDone {
        if per_item {
            let question = match self.gate_question(&element.ctx) {
                Ok(q) => format!("{q} [{}] {}", element.index, element.label),
                Err(e) => return element.ended(self.unaskable(e)),
            };
            // Read from the server when this element's turn comes.
            element.detail = action.describe_now(&element.ctx).await;
            match self
                .gate(
                    question,
                    Some(element.detail.clone()),
                    Some(format!("[{}] {}", element.index, element.label)),
                )
                .await
            {
                Ok(who) => element.ctx.approver = Some(who),
                Err(done) => return element.ended(done),
            }
        }
        let _permit = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return element.ended(self.done(StepState::Cancelled, "cancelled before it started")),
            permit = self.shared.jobs.acquire() => permit.ok(),
        };
        let Element {
            index,
            label,
            value,
            ctx,
            ..
        } = element;
        let done = self.attempts(action, ctx, Some((index, &label))).await;
        ElementDone {
            index,
            label,
            value,
            done,
        }
    }

    /// Dry-run of a write: every element's command, described, none run.
    async fn describe_elements(
        &self,
        action: &dyn Execute,
        pending: Vec<Element>,
        per_item: bool,
    ) -> StepDone {
        let (step, step_plan) = self.shared.plan.step(self.index);
        let id = step.id.value.clone();
        for element in &pending {
            if per_item && self.shared.plan.is_gated(self.index) {
                let question = match self.gate_question(&element.ctx) {
                    Ok(q) => q,
                    Err(e) => e.to_string(),
                };
                self.send(Event::GateShown {
                    step: id.clone(),
                    question: format!("{question} [{}] {}", element.index, element.label),
                    effect: step_plan.effect.name().into(),
                });
            }
            let mut description = action.describe_now(&element.ctx).await;
            if let Some(preview) = action.preview(&element.ctx) {
                let _permit = self.shared.jobs.acquire().await;
                let previewed = preview.await;
                let said = previewed.message.unwrap_or_default();
                if !previewed.ok {
                    return self.done(
                        StepState::Failed,
                        format!("the preview of element [{}] failed: {said}", element.index),
                    );
                }
                description = format!("{description} (preview: {said})");
            }
            self.send(Event::StepWouldRun {
                step: id.clone(),
                effect: step_plan.effect.name().into(),
                description: format!("[{}] {}: {description}", element.index, element.label),
            });
        }
        StepDone {
            simulated: true,
            message: Some(format!(
                "would run once per element ({} elements)",
                pending.len()
            )),
            ..StepDone::new(self.index, StepState::Succeeded)
        }
    }

    /// The step's end: the list of its elements' results, in element
    /// order, and the aggregates; it fails when an element did.
    fn settle_loop(
        &self,
        finished: Vec<Option<ElementDone>>,
        not_started: Vec<(usize, String, Value)>,
        cancelled: bool,
    ) -> StepDone {
        let mut results = Vec::with_capacity(finished.len());
        let mut succeeded = 0usize;
        let mut failures = Vec::new();
        let mut rejected = None;
        let mut rejected_elements = Vec::new();
        let mut cancelled = cancelled;
        let mut attempts = 0;
        let mut first_failure = None;
        let mut not_started: std::collections::VecDeque<_> = not_started.into();
        for (index, ended) in finished.into_iter().enumerate() {
            let (label, value, done) = match ended {
                Some(ended) => (ended.label, ended.value, ended.done),
                None => {
                    let (_, label, value) = not_started.pop_front().unwrap_or((
                        index,
                        default_label(&Value::Null, index),
                        Value::Null,
                    ));
                    let done = StepDone {
                        message: Some(
                            "not started: an earlier element failed, or the run stopped".into(),
                        ),
                        ..StepDone::new(self.index, StepState::Skipped)
                    };
                    (label, value, done)
                }
            };
            attempts += done.attempts;
            match done.state {
                StepState::Succeeded => succeeded += 1,
                StepState::Rejected => {
                    rejected = rejected.or(done.message.clone());
                    rejected_elements.push(format!("[{index}] {label}"));
                }
                StepState::Cancelled => cancelled = true,
                state if state.is_failure() => {
                    first_failure = first_failure.or(Some(state));
                    failures.push(format!(
                        "[{index}] {label}: {}",
                        done.message.clone().unwrap_or_else(|| state.name().into())
                    ));
                }
                _ => {}
            }
            let mut record = done.results;
            record.insert("index".into(), Value::from(index));
            record.insert("label".into(), Value::from(label.as_str()));
            record.insert("item".into(), value);
            record.insert("state".into(), Value::from(done.state.name()));
            record.insert(
                "message".into(),
                done.message.map(Value::String).unwrap_or(Value::Null),
            );
            record.insert("outputs".into(), Value::Object(done.outputs));
            results.push(Value::Object(record));
        }
        let count = results.len();
        let failed = failures.len();
        let mut fields = Map::new();
        fields.insert("results".into(), Value::Array(results));
        fields.insert("count".into(), Value::from(count));
        fields.insert("succeeded_count".into(), Value::from(succeeded));
        fields.insert("failed_count".into(), Value::from(failed));
        fields.insert("all_succeeded".into(), Value::Bool(succeeded == count));
        fields.insert("any_failed".into(), Value::Bool(failed > 0));
        let (state, message) = if let Some(why) = rejected {
            let mut message = match rejected_elements.len() {
                1 if count == 1 => why,
                1 => format!(
                    "element {} was rejected, {succeeded} of {count} succeeded: {why}",
                    rejected_elements[0]
                ),
                n => format!(
                    "{n} elements were rejected ({}), {succeeded} of {count} succeeded; the first: {why}",
                    rejected_elements.join(", ")
                ),
            };
            // The elements that failed before the rejection stopped the
            // loop are part of what it did.
            if !failures.is_empty() {
                message.push_str(&format!("; {failed} failed: {}", failures.join("; ")));
            }
            (StepState::Rejected, message)
        } else if cancelled {
            (
                StepState::Cancelled,
                "cancelled while running its elements".to_string(),
            )
        } else if let Some(state) = first_failure {
            (
                state,
                format!(
                    "{failed} of {count} elements failed: {}",
                    failures.join("; ")
                ),
            )
        } else {
            (
                StepState::Succeeded,
                format!("{succeeded} of {count} elements succeeded"),
            )
        };
        StepDone {
            results: fields,
            message: Some(message),
            attempts,
            ..StepDone::new(self.index, state)
        }
    }
}

impl Element {
    fn ended(self, done: StepDone) -> ElementDone {
        ElementDone {
            index: self.index,
            label: self.label,
            value: self.value,
            done,
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
