//! The loop: starts steps as their dependencies settle, publishes every event.

use super::branch::Taken;
use super::outcome::{Failure, Restored, RunOutcome};
use super::output_pieces::OutputPieces;
use super::step_task::StepTask;
use super::Shared;
use crate::bus::EventBus;
use crate::event::{Event, RunStatus, StepState};
use crate::outputs;
use crate::scope::Scope;
use crate::step_message::{StepDone, TaskMsg};
use runbook_dsl::activation::{self, Blocked, Ended};
use runbook_dsl::ast::{Action as StepAction, Step};
use runbook_dsl::expr::{self, Outcome, StepOutcome};
use runbook_dsl::graph::EdgeKind;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod cleanup;
mod failure;
mod held;
mod restore;

pub(super) struct Scheduler<'b> {
    pub(super) shared: Arc<Shared>,
    pub(super) plan: Arc<Plan>,
    pub(super) bus: &'b mut EventBus,
    pub(super) scope: Scope,
    pub(super) states: Vec<StepState>,
    pub(super) taken: Vec<Taken>,
    /// Dry-run: a write the dry-run only described that comes before the
    /// step (itself, for a described write).
    pub(super) described: Vec<Option<usize>>,
    /// Incoming edges whose source has not settled yet.
    pub(super) waiting: Vec<usize>,
    pub(super) ready: VecDeque<usize>,
    pub(super) rerun: HashSet<usize>,
    /// What a resume brings back of the playbooks steps called, by step id:
    /// given to the calling step when it runs.
    pub(super) called: HashMap<String, Restored>,
    pub(super) running: usize,
    pub(super) tasks: JoinSet<()>,
    pub(super) tx: UnboundedSender<TaskMsg>,
    pub(super) rx: tokio::sync::mpsc::UnboundedReceiver<TaskMsg>,
    /// Ctrl-C.
    pub(super) interrupt: CancellationToken,
    /// Cancels running steps: a child of `interrupt`, also cancelled by an abort.
    pub(super) abort: CancellationToken,
    /// How the run stopped: the first cause wins (a signal during the
    /// cleanup of a rejected run leaves it rejected).
    pub(super) stop: Option<RunStatus>,
    /// A signal arrived (journaled once, whatever stopped the run first).
    pub(super) interrupted: bool,
    /// A second signal arrived after it (journaled once too).
    pub(super) insisted: bool,
    /// On a resume that only finishes the cleanups: the signal that had
    /// stopped the run.
    pub(super) stopped_by: Option<String>,
    pub(super) failures: Vec<Failure>,
    pub(super) started: Instant,
    /// Live lines and notes of running steps whose secret outputs are not
    /// known yet: published, masked, once what printed them ends (see
    /// [`holds_output`] and [`held`]).
    pub(super) held: held::Held,
    /// The held-back ends of long lines cut into pieces (see [`OutputPieces`]).
    pub(super) pieces: OutputPieces,
    /// On resume: the elements of loops that already succeeded, by step.
    pub(super) restored_items: HashMap<usize, Vec<super::RestoredItem>>,
    /// Loops over a `playbook` step on resume: their elements' called runs.
    pub(super) item_calls: HashMap<usize, Vec<super::ItemCall>>,
    /// The `finally` steps run when the run stops early.
    pub(super) cleanup: cleanup::Cleanup,
}

impl<'b> Scheduler<'b> {
    pub(super) fn new(
        shared: Arc<Shared>,
        bus: &'b mut EventBus,
        scope: Scope,
        interrupt: CancellationToken,
    ) -> Scheduler<'b> {
        let plan = shared.plan.clone();
        let n = plan.len();
        let graph = plan.graph();
        let waiting: Vec<usize> = (0..n).map(|i| graph.incoming(i).count()).collect();
        let ready = (0..n).filter(|&i| waiting[i] == 0).collect();
        let (tx, rx) = unbounded_channel();
        let abort = interrupt.child_token();
        Scheduler {
            shared,
            plan,
            bus,
            scope,
            states: vec![StepState::Pending; n],
            taken: vec![Taken::Nothing; n],
            described: vec![None; n],
            waiting,
            ready,
            rerun: HashSet::new(),
            called: HashMap::new(),
            running: 0,
            tasks: JoinSet::new(),
            tx,
            rx,
            interrupt,
            abort,
            stop: None,
            interrupted: false,
            insisted: false,
            stopped_by: None,
            failures: Vec::new(),
            started: Instant::now(),
            held: held::Held::default(),
            pieces: OutputPieces::default(),
            restored_items: HashMap::new(),
            item_calls: HashMap::new(),
            cleanup: cleanup::Cleanup::default(),
        }
    }

    pub(super) fn id(&self, i: usize) -> &str {
        &self.plan.step(i).0.id.value
    }

    pub(super) async fn run(mut self) -> RunOutcome {
        let interruption = self.shared.options.interruption.clone();
        loop {
            // A signal is seen before anything it caused: a step that ends
            // at once when cancelled (a pause, a request) must not settle,
            // and let the steps after it start, as if the run went on.
            if !self.interrupted && self.interrupt.is_cancelled() {
                self.interrupted();
                self.abort.cancel();
            }
            while self.stop.is_none() {
                let Some(i) = self.ready.pop_front() else {
                    break;
                };
                if self.states[i] == StepState::Pending {
                    self.decide(i);
                }
            }
            self.clean_up();
            if self.running == 0 {
                break;
            }
            tokio::select! {
                biased;
                _ = self.interrupt.cancelled(), if !self.interrupted => {
                    self.interrupted();
                    self.abort.cancel();
                }
                // The second signal is on record too: it is what cut a
                // cleanup short (the cleanup phase's own watcher stops it).
                _ = interruption.hurried(), if self.interrupted && !self.insisted => {
                    self.insisted = true;
                    let signal = interruption.again().unwrap_or("interrupt").to_string();
                    self.bus.publish(Event::RunInterruptedAgain { signal });
                }
                msg = self.rx.recv() => {
                    if let Some(msg) = msg {
                        self.handle(msg);
                    }
                }
            }
        }
        while self.tasks.join_next().await.is_some() {}
        if self.interrupt.is_cancelled() && !self.interrupted {
            self.interrupted();
        }
        let status = self.stop.unwrap_or(RunStatus::Succeeded);
        let mut summary = Map::new();
        for state in &self.states {
            let key = if *state == StepState::Pending {
                "not run"
            } else {
                state.name()
            };
            let count = summary.get(key).and_then(Value::as_u64).unwrap_or(0);
            summary.insert(key.to_string(), Value::from(count + 1));
        }
        let mut cleanup_unfinished = super::outcome::unfinished_cleanups(&self.plan, &self.states);
        cleanup_unfinished.extend(self.shared.options.called_runs.unfinished());
        let cleaned_up = match status {
            RunStatus::Succeeded => Vec::new(),
            _ => super::outcome::cleanups_ran(&self.plan, &self.states),
        };
        self.bus.publish(Event::RunFinished {
            status,
            duration_ms: self.started.elapsed().as_millis() as u64,
            summary,
            cleanup_unfinished: cleanup_unfinished.clone(),
            cleaned_up: cleaned_up.clone(),
        });
        self.bus.finish();
        let signal = self
            .shared
            .options
            .interruption
            .cause()
            .map(str::to_string)
            .or(self.stopped_by);
        RunOutcome {
            status,
            states: self.states,
            failures: self.failures,
            signal,
            cleaned_up,
            cleanup_unfinished,
        }
    }

    /// A signal arrived: it stops the run unless something stopped it
    /// first, and is journaled once.
    fn interrupted(&mut self) {
        self.interrupted = true;
        self.stop.get_or_insert(RunStatus::Interrupted);
        let signal = self
            .shared
            .options
            .interruption
            .cause()
            .unwrap_or("interrupt")
            .to_string();
        self.bus.publish(Event::RunInterrupted { signal });
    }

    fn handle(&mut self, msg: TaskMsg) {
        match msg {
            TaskMsg::Output(line) => self.publish_live(TaskMsg::Output(line)),
            TaskMsg::Event(event) => self.publish_live(TaskMsg::Event(event)),
            TaskMsg::Relayed(record) => self.bus.relay(record),
            TaskMsg::Recorded(event, ack) => {
                if let Some(step) = event.step() {
                    self.flush_pieces(step);
                }
                if let Event::StepStarted { step, .. } = &event {
                    if let Some(i) = self.plan.index_of(step) {
                        self.states[i] = StepState::Running;
                    }
                }
                // An element's secret outputs are masked before its lines
                // and its record, which carries them, are published.
                if let Event::ItemFinished { step, index, .. } = &event {
                    if let Some(i) = self.plan.index_of(step) {
                        self.element_ended(i, *index, &event);
                        self.flush_pieces(step);
                    }
                }
                self.bus.publish(event);
                let _ = ack.send(());
            }
            TaskMsg::Attempted(attempted) => self.attempted(*attempted),
            TaskMsg::Done(done) => {
                self.running -= 1;
                self.finish(*done);
            }
        }
    }

    /// Publishes a line (or piece) of live output, or a note.
    pub(super) fn publish_now(&mut self, msg: TaskMsg) {
        match msg {
            TaskMsg::Output(line) => {
                for event in self.pieces.take(self.bus.masker(), line) {
                    self.bus.publish(event);
                }
            }
            TaskMsg::Event(event) => {
                if let Some(step) = event.step() {
                    self.flush_pieces(step);
                }
                self.bus.publish(event)
            }
            _ => {}
        }
    }

    /// Publishes what is held back of a step's long lines: the step's next
    /// record follows.
    fn flush_pieces(&mut self, step: &str) {
        for event in self.pieces.flush(step) {
            self.bus.publish(event);
        }
    }

    /// A step whose dependencies have all settled: skip it, settle it here
    /// (branches), or start its task.
    pub(super) fn decide(&mut self, i: usize) {
        self.described[i] = self
            .plan
            .graph()
            .incoming(i)
            .find_map(|(from, _)| self.described[from]);
        if let Err(reason) = self.activation(i) {
            return self.skip(i, reason);
        }
        let plan = self.plan.clone();
        let (step, step_plan) = plan.step(i);
        for value in crate::computed::compute(&plan, &step_plan.vars, &mut self.scope) {
            if value.secret {
                self.bus.masker_mut().add_derived(&value.value);
            }
            self.bus.publish(Event::VarComputed {
                name: value.name,
                value: value.value,
            });
        }
        if let Some(when) = &step_plan.when {
            match expr::eval(when, &self.scope) {
                Ok(Outcome::Known(Value::Bool(true))) => {}
                Ok(Outcome::Known(_)) => return self.skip(i, format!("`when: {when}` is false")),
                // A dry-run describes a cleanup whose guard it cannot
                // decide (`when: succeeded(quiet)` after a described
                // `quiet`): a run may well run it.
                Ok(Outcome::Unknown) if step.is_finally() => {}
                Ok(Outcome::Unknown) => {
                    return self.skip(
                        i,
                        format!("`when: {when}` reads values not known in a dry-run"),
                    );
                }
                Err(e) => {
                    return self.settle(StepDone {
                        message: Some(format!("cannot evaluate `when: {when}`: {e}")),
                        span: Some(e.span),
                        ..StepDone::new(i, StepState::Failed)
                    })
                }
            }
        }
        if let StepAction::Branch(_) = &step.action {
            return self.branch(i);
        }
        self.start(i);
    }

    /// `Ok` when the edges into a step let it run; otherwise why it is
    /// skipped. The rule is `runbook_dsl::activation`, which `runbook plan`
    /// and `check` use too.
    fn activation(&self, i: usize) -> Result<(), String> {
        let blocked = activation::activation(
            self.plan.graph(),
            &self.plan.playbook().steps,
            i,
            |from| ended(self.states[from]),
            |from| self.taken[from] == Taken::Step(i),
        );
        let Err(blocked) = blocked else {
            return Ok(());
        };
        Err(match blocked {
            Blocked::Need(from) => format!(
                "it needs `{}`, which {}",
                self.id(from),
                describe_state(self.states[from])
            ),
            Blocked::NotTaken { from, failure_edge } => {
                let id = self.id(from);
                match (failure_edge, self.states[from], self.taken[from]) {
                    (true, StepState::Skipped, _) => {
                        format!("it runs only if `{id}` fails, and `{id}` was skipped")
                    }
                    (true, _, _) => {
                        format!("it runs only if `{id}` fails, and `{id}` did not fail")
                    }
                    (false, StepState::Succeeded, Taken::Unknown) => {
                        format!(
                            "the branch `{id}` cannot be decided in a dry-run (see `runbook plan`)"
                        )
                    }
                    (false, StepState::Succeeded, _) => {
                        format!("the branch `{id}` did not take this case")
                    }
                    (false, other, _) => format!("the branch `{id}` {}", describe_state(other)),
                }
            }
            Blocked::AllNeedsSkipped => "every step it needs was skipped".into(),
        })
    }

    fn primary(&self, i: usize) -> &'static str {
        self.plan.step_plan(i).primary_result
    }

    fn skip(&mut self, i: usize, reason: String) {
        self.settle(StepDone {
            message: Some(reason),
            ..StepDone::new(i, StepState::Skipped)
        });
    }

    fn start(&mut self, i: usize) {
        self.states[i] = StepState::Running;
        self.running += 1;
        let plan = &self.plan;
        let step_plan = plan.step_plan(i);
        let mut reads: Vec<&str> = step_plan
            .reads
            .iter()
            .map(|&r| plan.step(r).0.id.value.as_str())
            .collect();
        reads.push(&plan.step(i).0.id.value);
        // The evidence a person deciding at this step should see.
        let mut evidence = Vec::new();
        let sources = self
            .plan
            .graph()
            .incoming(i)
            .filter(|(_, e)| matches!(e.kind, EdgeKind::Needs))
            .map(|(from, _)| self.plan.step(from).0.id.value.as_str());
        let mut seen = HashSet::new();
        for id in sources.chain(reads.iter().copied()) {
            if id == self.plan.step(i).0.id.value || !seen.insert(id) {
                continue;
            }
            // Masked whole, before lines are cut: a cut secret would not match.
            let Some(mut values) = self.scope.values(id).cloned() else {
                continue;
            };
            self.bus.masker().mask_value(&mut values);
            let lines = match values.as_object() {
                Some(results) => crate::evidence::lines(results),
                None => continue,
            };
            if !lines.is_empty() {
                evidence.push((id.to_string(), lines));
            }
        }
        let scope = self.scope.subset(reads);
        if holds_output(plan.step(i).0, step_plan) {
            self.held.hold(&plan.step(i).0.id.value);
        }
        let task = StepTask {
            after_described: self.described[i].map(|d| self.id(d).to_string()),
            shared: self.shared.clone(),
            index: i,
            scope,
            cancel: self.abort.child_token(),
            tx: self.tx.clone(),
            rerun: self.rerun.contains(&i),
            finishing: self.cleanup.calls.contains(&i),
            masker: self.bus.masker().clone(),
            evidence,
            resumed: self
                .called
                .remove(&plan.step(i).0.id.value)
                .unwrap_or_default(),
            restored_items: self.restored_items.remove(&i).unwrap_or_default(),
            item_calls: self.item_calls.remove(&i).unwrap_or_default(),
            gate_wait_ms: Default::default(),
        };
        self.tasks.spawn(task.run());
    }

    /// Records a step's end, journals it, and readies the steps after it.
    fn finish(&mut self, done: StepDone) {
        self.settle(done);
    }

    pub(super) fn settle(&mut self, done: StepDone) {
        let i = done.index;
        let plan = self.plan.clone();
        let step = plan.step(i).0;
        let id = step.id.value.clone();
        let mut done = done;
        if done.simulated && !matches!(step.action, StepAction::Branch(_)) {
            self.described[i] = Some(i);
        }
        match done.state {
            StepState::Succeeded if done.simulated => self.scope.unknown(&id),
            StepState::Skipped => self.scope.settled(
                &id,
                StepOutcome::Skipped,
                done.message.as_deref().unwrap_or("it did not run"),
            ),
            state => {
                if state != StepState::Succeeded && done.outputs.is_empty() {
                    // What a failed attempt produced is readable (`on_failure:
                    // continue` and `goto` readers): the outputs it can give.
                    done.outputs =
                        outputs::capture_available(&step.outputs, self.primary(i), &done.results);
                }
                self.learn_secrets(i, &done.outputs);
                if state == StepState::Succeeded {
                    self.scope
                        .succeeded(&id, done.results.clone(), done.outputs.clone());
                } else {
                    let cause = done
                        .message
                        .clone()
                        .unwrap_or_else(|| format!("it {}", describe_state(state)));
                    self.scope
                        .failed(&id, done.results.clone(), done.outputs.clone(), &cause);
                }
            }
        }
        // The masker now knows the step's secrets: its held lines go out.
        self.release_all(&id);
        self.flush_pieces(&id);
        self.bus.publish(Event::StepFinished {
            step: id,
            state: done.state,
            message: done.message.clone(),
            results: done.results,
            outputs: done.outputs,
            simulated: done.simulated,
            output_in_lines: Vec::new(),
            attempts: done.attempts,
            duration_ms: done.duration.as_millis() as u64,
        });
        if done.state.is_failure() {
            self.failed(i, &done.message, done.state, done.span);
        }
        self.mark_settled(i, done.state);
    }

    /// Secret outputs, and what steps that handled a secret captured, are
    /// masked from here on; `secret: false` is the author's word that an
    /// output cannot hold the secret (an application name read over a
    /// secret connection URL). Called with a step's outputs when it ends,
    /// and with each element's when a loop's element ends.
    pub(super) fn learn_secrets(&mut self, i: usize, outputs: &Map<String, Value>) {
        // What called playbooks declared plain stays plain in what their
        // calling steps capture.
        for plain in self.shared.options.called_runs.take_plain() {
            self.bus.masker_mut().add_plain(&Value::String(plain));
        }
        let plan = self.plan.clone();
        let (step, step_plan) = plan.step(i);
        for output in &step.outputs {
            if let Some(v) = outputs.get(&output.name.value) {
                if output.is_secret() {
                    self.bus.masker_mut().add_value(v);
                } else if output.secret.is_some() {
                    // `secret: false`: shown in clear, also inside computed
                    // values that read secret steps.
                    self.bus.masker_mut().add_plain(v);
                } else if step_plan.uses_secret {
                    self.bus.masker_mut().add_derived(v);
                }
            }
        }
    }

    fn mark_settled(&mut self, i: usize, state: StepState) {
        self.states[i] = state;
        let targets: Vec<usize> = self.plan.graph().outgoing(i).map(|(to, _)| to).collect();
        for to in targets {
            self.waiting[to] -= 1;
            if self.waiting[to] == 0 && self.states[to] == StepState::Pending {
                self.ready.push_back(to);
            }
        }
    }
}

/// A settled state, as the activation rule sees it.
pub(crate) fn ended(state: StepState) -> Ended {
    match state {
        StepState::Succeeded => Ended::Succeeded,
        StepState::Skipped => Ended::Skipped,
        StepState::Failed | StepState::TimedOut => Ended::Failed,
        StepState::Rejected | StepState::Cancelled => Ended::Stopped,
        _ => Ended::Unsettled,
    }
}

/// Whether a step's live lines wait for its end: it declares a secret
/// output, or it handled a secret and captures outputs. Until the step ends
/// the values of those outputs, which may be printed too, are unknown to
/// the masker; publishing its lines as they come would leak them.
pub(super) fn holds_output(step: &Step, step_plan: &runbook_dsl::plan::StepPlan) -> bool {
    // Outputs declared `secret: false` are not masked as derived values.
    let captures = step.outputs.iter().any(|o| o.secret.is_none());
    step.outputs.iter().any(|o| o.is_secret()) || (step_plan.uses_secret && captures)
}

pub(super) fn describe_state(state: StepState) -> String {
    match state {
        StepState::Failed => "failed".into(),
        StepState::TimedOut => "timed out".into(),
        StepState::Rejected => "was rejected".into(),
        StepState::Cancelled => "was cancelled".into(),
        StepState::Skipped => "was skipped".into(),
        other => other.name().into(),
    }
}
