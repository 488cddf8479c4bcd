//! The scheduler: runs a [`Plan`]'s steps as their dependencies settle.
//!
//! Shape (after moonrepo's runner): a ready queue over the DAG, one tokio
//! task per started step in a `JoinSet`, a `Semaphore` for `--jobs`, a
//! `CancellationToken` tree (run -> step -> attempt) for abort, interruption
//! and timeouts, and one channel on which tasks report output lines, gate
//! events and their end. Only this loop publishes events, so they are in
//! order, and a step's end is journaled before any step that follows it
//! starts. The readiness rules are written down in `docs/semantics.md`.

use crate::action::{ActionContext, ActionResult, ActionSet, OutputLine};
use crate::bus::EventBus;
use crate::event::{Event, RunStatus, StepState};
use crate::mode::{Mode, Treatment};
use crate::operator::{GateRequest, Operator, Question, QuestionKind, Reply};
use crate::outputs;
use crate::render::{self, Args};
use crate::scope::Scope;
use runbook_dsl::activation::{self, Blocked, Ended};
use runbook_dsl::ast::{Action as StepAction, OnFailure, Step};
use runbook_dsl::expr::{self, Outcome, StepOutcome};
use runbook_dsl::graph::EdgeKind;
use runbook_dsl::plan::Plan;
use runbook_dsl::template::Quoting;
use runbook_dsl::Span;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How a run behaves, apart from the plan.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub mode: Mode,
    /// At most this many step actions at once (`--jobs`).
    pub jobs: usize,
    /// Where shell steps run and their relative `workdir` resolves: the
    /// directory the operator started `runbook` in, not the playbook's, so
    /// `pg_dump > backup.sql` writes where the operator is.
    pub workdir: PathBuf,
    /// Where a `playbook` step's `path` resolves: the playbook's directory.
    pub playbook_dir: PathBuf,
    /// A gate unanswered for this long is rejected.
    pub gate_timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL of a step's process group.
    pub kill_grace: Duration,
    /// The interval of an `until` that gives no `every`.
    pub default_poll: Duration,
    /// Journaled with every gate decision.
    pub plan_hash: String,
    /// Why the run's cancellation token was cancelled, when a signal did it.
    pub interruption: crate::Interruption,
    /// Bytes kept of each output stream of a step (`--output-cap`).
    pub output_cap: usize,
    /// One prompt at a time on the terminal: shared with the runners of
    /// called playbooks, whose prompts go to the same operator.
    pub prompt: Prompts,
    /// How many `playbook` steps this run is nested in (0 for the run the
    /// command line started); calls stop at [`runbook_dsl::analyze::MAX_CALL_DEPTH`].
    pub call_depth: usize,
}

/// The turn to prompt the operator (see [`RunOptions::prompt`]).
pub type Prompts = Arc<tokio::sync::Mutex<()>>;

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            mode: Mode::Run,
            jobs: 8,
            workdir: PathBuf::from("."),
            playbook_dir: PathBuf::from("."),
            gate_timeout: None,
            kill_grace: Duration::from_secs(2),
            default_poll: Duration::from_secs(5),
            plan_hash: String::new(),
            interruption: crate::Interruption::new(),
            output_cap: crate::action::DEFAULT_OUTPUT_CAP,
            prompt: Prompts::default(),
            call_depth: 0,
        }
    }
}

/// A step's result fields and its captured outputs.
pub type Captured = (Map<String, Value>, Map<String, Value>);

/// What a resume brings back from the journal.
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Steps that succeeded, with their results and outputs.
    pub succeeded: HashMap<String, Captured>,
    /// Steps that were running when the run stopped: asked for again.
    pub interrupted: HashSet<String>,
}

/// The step whose failure ended the run, for the terminal's report.
#[derive(Clone, Debug)]
pub struct Failure {
    pub step: usize,
    pub state: StepState,
    pub message: String,
    /// A more precise place than the step, when known (a template, an expression).
    pub span: Option<Span>,
    /// `on_failure: continue` or `goto` took care of it: the run went on.
    pub handled: bool,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub states: Vec<StepState>,
    /// Failures, in the order they happened.
    pub failures: Vec<Failure>,
}

/// Which way a settled branch went.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Taken {
    Step(usize),
    Nothing,
    /// Dry-run: the cases read values that are not known.
    Unknown,
}

/// How a started step ended, as its task reports it.
#[derive(Debug)]
pub(crate) struct StepDone {
    index: usize,
    state: StepState,
    message: Option<String>,
    span: Option<Span>,
    results: Map<String, Value>,
    outputs: Map<String, Value>,
    simulated: bool,
    attempts: u32,
    duration: Duration,
}

/// What a task tells the loop.
pub(crate) enum TaskMsg {
    Output(OutputLine),
    Event(Event),
    /// An event that must be journaled before the task goes on (a step's
    /// start, a gate decision, an answer): the loop answers once it is.
    Recorded(Event, tokio::sync::oneshot::Sender<()>),
    Done(Box<StepDone>),
}

/// Runs plans.
pub struct Runner {
    plan: Arc<Plan>,
    actions: Arc<dyn ActionSet>,
    operator: Arc<dyn Operator>,
    options: RunOptions,
}

/// What step tasks share.
struct Shared {
    plan: Arc<Plan>,
    actions: Arc<dyn ActionSet>,
    operator: Arc<dyn Operator>,
    options: RunOptions,
    jobs: Semaphore,
    /// One prompt at a time on the terminal.
    prompt: Prompts,
}

impl Runner {
    pub fn new(
        plan: Arc<Plan>,
        actions: Arc<dyn ActionSet>,
        operator: Arc<dyn Operator>,
        options: RunOptions,
    ) -> Runner {
        Runner {
            plan,
            actions,
            operator,
            options,
        }
    }

    /// Runs the plan to the end, an abort, or `cancel` (Ctrl-C), publishing
    /// every event on `bus`. The caller publishes `RunStarted` first.
    pub async fn run(
        self,
        bus: &mut EventBus,
        inputs: Map<String, Value>,
        restored: Restored,
        cancel: CancellationToken,
    ) -> RunOutcome {
        let jobs = self.options.jobs.max(1);
        let prompt = self.options.prompt.clone();
        let shared = Arc::new(Shared {
            plan: self.plan.clone(),
            actions: self.actions,
            operator: self.operator,
            options: self.options,
            jobs: Semaphore::new(jobs),
            prompt,
        });
        let mut scheduler = Scheduler::new(shared, bus, Scope::new(inputs), cancel);
        scheduler.restore(restored);
        scheduler.run().await
    }
}

struct Scheduler<'b> {
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    bus: &'b mut EventBus,
    scope: Scope,
    states: Vec<StepState>,
    taken: Vec<Taken>,
    /// Dry-run: a write the dry-run only described that comes before the
    /// step (itself, for a described write).
    described: Vec<Option<usize>>,
    /// Incoming edges whose source has not settled yet.
    waiting: Vec<usize>,
    ready: VecDeque<usize>,
    rerun: HashSet<usize>,
    running: usize,
    tasks: JoinSet<()>,
    tx: UnboundedSender<TaskMsg>,
    rx: tokio::sync::mpsc::UnboundedReceiver<TaskMsg>,
    /// Ctrl-C.
    interrupt: CancellationToken,
    /// Cancels running steps: a child of `interrupt`, also cancelled by an abort.
    abort: CancellationToken,
    stop: Option<RunStatus>,
    failures: Vec<Failure>,
    started: Instant,
    /// Live lines and notes of running steps whose secret outputs are not
    /// known yet: published, masked, once the step ends (see [`holds_output`]).
    held: HashMap<String, Vec<Event>>,
}

impl<'b> Scheduler<'b> {
    fn new(
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
            running: 0,
            tasks: JoinSet::new(),
            tx,
            rx,
            interrupt,
            abort,
            stop: None,
            failures: Vec::new(),
            started: Instant::now(),
            held: HashMap::new(),
        }
    }

    fn id(&self, i: usize) -> &str {
        &self.plan.step(i).0.id.value
    }

    /// Settles the steps a resume restores, in dependency order, silently
    /// (the `RunResumed` event lists them).
    fn restore(&mut self, restored: Restored) {
        let plan = self.plan.clone();
        for &i in plan.order() {
            let step = plan.step(i).0;
            if restored.interrupted.contains(&step.id.value) {
                self.rerun.insert(i);
            }
            let Some((results, outputs)) = restored.succeeded.get(&step.id.value) else {
                continue;
            };
            if let StepAction::Branch(_) = &step.action {
                self.taken[i] = match results.get("taken").and_then(Value::as_str) {
                    Some(target) => plan
                        .index_of(target)
                        .map(Taken::Step)
                        .unwrap_or(Taken::Nothing),
                    None => Taken::Nothing,
                };
            }
            self.scope
                .succeeded(&step.id.value, results.clone(), outputs.clone());
            self.mark_settled(i, StepState::Succeeded);
        }
    }

    async fn run(mut self) -> RunOutcome {
        loop {
            while self.stop.is_none() {
                let Some(i) = self.ready.pop_front() else {
                    break;
                };
                if self.states[i] == StepState::Pending {
                    self.decide(i);
                }
            }
            if self.running == 0 {
                break;
            }
            tokio::select! {
                msg = self.rx.recv() => {
                    if let Some(msg) = msg {
                        self.handle(msg);
                    }
                }
                _ = self.interrupt.cancelled(), if self.stop != Some(RunStatus::Interrupted) => {
                    self.stop = Some(RunStatus::Interrupted);
                    self.journal_interruption();
                    self.abort.cancel();
                }
            }
        }
        while self.tasks.join_next().await.is_some() {}
        if self.interrupt.is_cancelled() && self.stop != Some(RunStatus::Interrupted) {
            self.stop = Some(RunStatus::Interrupted);
            self.journal_interruption();
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
        self.bus.publish(Event::RunFinished {
            status,
            duration_ms: self.started.elapsed().as_millis() as u64,
            summary,
        });
        self.bus.finish();
        RunOutcome {
            status,
            states: self.states,
            failures: self.failures,
        }
    }

    /// Journals why the run is being interrupted, once.
    fn journal_interruption(&mut self) {
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
            TaskMsg::Output(line) => self.publish_live(Event::StepOutput {
                step: line.step,
                stream: line.stream,
                line: line.line,
            }),
            TaskMsg::Event(event) => self.publish_live(event),
            TaskMsg::Recorded(event, ack) => {
                if let Event::StepStarted { step, .. } = &event {
                    if let Some(i) = self.plan.index_of(step) {
                        self.states[i] = StepState::Running;
                    }
                }
                self.bus.publish(event);
                let _ = ack.send(());
            }
            TaskMsg::Done(done) => {
                self.running -= 1;
                self.finish(*done);
            }
        }
    }

    /// Publishes what a running step reports, unless the step's lines are
    /// held until its secret outputs are known.
    fn publish_live(&mut self, event: Event) {
        match event.step().and_then(|step| self.held.get_mut(step)) {
            Some(held) => held.push(event),
            None => self.bus.publish(event),
        }
    }

    /// A step whose dependencies have all settled: skip it, settle it here
    /// (branches), or start its task.
    fn decide(&mut self, i: usize) {
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
        if let Some(when) = &step_plan.when {
            match expr::eval(when, &self.scope) {
                Ok(Outcome::Known(Value::Bool(true))) => {}
                Ok(Outcome::Known(_)) => return self.skip(i, format!("`when: {when}` is false")),
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
        primary_result(self.plan.step(i).0, &*self.shared.actions)
    }

    fn skip(&mut self, i: usize, reason: String) {
        self.settle(StepDone {
            message: Some(reason),
            ..StepDone::new(i, StepState::Skipped)
        });
    }

    /// Evaluates a branch's cases in order; the first that holds is taken.
    fn branch(&mut self, i: usize) {
        let plan = self.plan.clone();
        let (step, step_plan) = plan.step(i);
        let StepAction::Branch(branch) = &step.action else {
            return;
        };
        let mut chosen = None;
        let mut unknown = false;
        for (case, condition) in branch.cases.iter().zip(&step_plan.cases) {
            let Some(condition) = condition else { continue };
            match expr::eval(condition, &self.scope) {
                Ok(Outcome::Known(Value::Bool(true))) => {
                    chosen = Some(&case.then.value);
                    break;
                }
                Ok(Outcome::Known(_)) => {}
                Ok(Outcome::Unknown) => {
                    unknown = true;
                    break;
                }
                Err(e) => {
                    return self.settle(StepDone {
                        message: Some(format!("cannot evaluate `{condition}`: {e}")),
                        span: Some(e.span),
                        ..StepDone::new(i, StepState::Failed)
                    })
                }
            }
        }
        if chosen.is_none() && !unknown {
            chosen = branch.otherwise.as_ref().map(|o| &o.value);
        }
        let mut done = StepDone::new(i, StepState::Succeeded);
        if unknown {
            self.taken[i] = Taken::Unknown;
            done.simulated = true;
            done.message = Some("the cases read values not known in a dry-run".into());
        } else if let Some(target) = chosen {
            self.taken[i] = plan
                .index_of(target)
                .map(Taken::Step)
                .unwrap_or(Taken::Nothing);
            done.results
                .insert("taken".into(), Value::String(target.clone()));
            done.message = Some(format!("took `{target}`"));
        } else {
            self.taken[i] = Taken::Nothing;
            done.results.insert("taken".into(), Value::Null);
            done.message = Some("no case held and there is no `else`".into());
        }
        self.settle(done);
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
            self.held
                .insert(plan.step(i).0.id.value.clone(), Vec::new());
        }
        let task = StepTask {
            after_described: self.described[i].map(|d| self.id(d).to_string()),
            shared: self.shared.clone(),
            index: i,
            scope,
            cancel: self.abort.child_token(),
            tx: self.tx.clone(),
            rerun: self.rerun.contains(&i),
            masker: self.bus.masker().clone(),
            evidence,
        };
        self.tasks.spawn(task.run());
    }

    /// Records a step's end, journals it, and readies the steps after it.
    fn finish(&mut self, done: StepDone) {
        self.settle(done);
    }

    fn settle(&mut self, done: StepDone) {
        let i = done.index;
        let plan = self.plan.clone();
        let (step, step_plan) = plan.step(i);
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
                // Secret outputs, and what steps that handled a secret captured,
                // are masked from here on; `secret: false` is the author's word
                // that an output cannot hold the secret (an application name
                // read over a secret connection URL).
                for output in &step.outputs {
                    if let Some(v) = done.outputs.get(&output.name.value) {
                        if output.is_secret() {
                            self.bus.masker_mut().add_value(v);
                        } else if step_plan.uses_secret && output.secret.is_none() {
                            self.bus.masker_mut().add_derived(v);
                        }
                    }
                }
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
        for event in self.held.remove(&id).unwrap_or_default() {
            self.bus.publish(event);
        }
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

    /// What a failure does to the run: `on_failure` decides.
    fn failed(&mut self, i: usize, message: &Option<String>, state: StepState, span: Option<Span>) {
        let step = self.plan.step(i).0;
        let on_failure = step
            .on_failure
            .as_ref()
            .map(|o| &o.value)
            .unwrap_or(&OnFailure::Abort);
        let message = message
            .clone()
            .unwrap_or_else(|| format!("step `{}` {}", step.id.value, state.name()));
        match (state, on_failure) {
            // Cancelled by an abort or Ctrl-C: the cause is already recorded.
            (StepState::Cancelled, _) => {}
            (StepState::Rejected, _) => {
                self.failures.push(Failure {
                    step: i,
                    state,
                    message,
                    span,
                    handled: false,
                });
                if self.stop.is_none() {
                    self.stop = Some(RunStatus::Rejected);
                }
                self.abort.cancel();
            }
            (_, OnFailure::Abort) => {
                self.failures.push(Failure {
                    step: i,
                    state,
                    message,
                    span,
                    handled: false,
                });
                if self.stop.is_none() {
                    self.stop = Some(RunStatus::Failed);
                }
                self.abort.cancel();
            }
            (_, OnFailure::Continue | OnFailure::Goto(_)) => {
                self.failures.push(Failure {
                    step: i,
                    state,
                    message,
                    span,
                    handled: true,
                });
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

/// The result an output of `step` captures when it names none.
fn primary_result(step: &Step, actions: &dyn ActionSet) -> &'static str {
    match &step.action {
        StepAction::Ask(_) => "answer",
        StepAction::Manual { .. } => "note",
        StepAction::Branch(_) => "taken",
        StepAction::Kind { name, .. } => actions
            .action(&name.value)
            .map(|a| a.primary_result())
            .unwrap_or(""),
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
fn holds_output(step: &Step, step_plan: &runbook_dsl::plan::StepPlan) -> bool {
    // Outputs declared `secret: false` are not masked as derived values.
    let captures = step.outputs.iter().any(|o| o.secret.is_none());
    step.outputs.iter().any(|o| o.is_secret()) || (step_plan.uses_secret && captures)
}

fn describe_state(state: StepState) -> String {
    match state {
        StepState::Failed => "failed".into(),
        StepState::TimedOut => "timed out".into(),
        StepState::Rejected => "was rejected".into(),
        StepState::Cancelled => "was cancelled".into(),
        StepState::Skipped => "was skipped".into(),
        other => other.name().into(),
    }
}

impl StepDone {
    fn new(index: usize, state: StepState) -> StepDone {
        StepDone {
            index,
            state,
            message: None,
            span: None,
            results: Map::new(),
            outputs: Map::new(),
            simulated: false,
            attempts: 0,
            duration: Duration::ZERO,
        }
    }
}

/// One started step.
struct StepTask {
    /// Dry-run: the described write this step comes after, if any.
    after_described: Option<String>,
    shared: Arc<Shared>,
    index: usize,
    scope: Scope,
    cancel: CancellationToken,
    tx: UnboundedSender<TaskMsg>,
    rerun: bool,
    /// The secrets known when the step started: prompts go straight to the
    /// operator, not through the bus, so they are masked here.
    masker: crate::mask::Masker,
    /// What the steps it needs or reads read, for its prompts.
    evidence: Vec<(String, Vec<String>)>,
}

impl StepTask {
    async fn run(self) {
        let started = Instant::now();
        let mut done = self.execute().await;
        done.duration = started.elapsed();
        let _ = self.tx.send(TaskMsg::Done(Box::new(done)));
    }

    fn send(&self, event: Event) {
        let _ = self.tx.send(TaskMsg::Event(event));
    }

    /// Sends an event and waits until it is journaled, so that what follows
    /// (the action's side effects) can never be on record without it: a
    /// step killed with the process is then always seen as interrupted.
    async fn record(&self, event: Event) {
        let (ack, done) = tokio::sync::oneshot::channel();
        if self.tx.send(TaskMsg::Recorded(event, ack)).is_ok() {
            let _ = done.await;
        }
    }

    fn step(&self) -> &Step {
        self.shared.plan.step(self.index).0
    }

    fn done(&self, state: StepState, message: impl Into<String>) -> StepDone {
        StepDone {
            message: Some(message.into()),
            ..StepDone::new(self.index, state)
        }
    }

    async fn execute(&self) -> StepDone {
        let plan = self.shared.plan.clone();
        let (step, step_plan) = plan.step(self.index);
        let mode = self.shared.options.mode;
        let id = step.id.value.clone();
        let action = match &step.action {
            StepAction::Kind { name, .. } => match self.shared.actions.action(&name.value) {
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
        let args = match render::render_params(&step_plan.params, &self.scope) {
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
        let mut ctx = ActionContext {
            step: id.clone(),
            args,
            scope: self.scope.clone(),
            cancel: self.cancel.clone(),
            workdir: self.shared.options.workdir.clone(),
            playbook_dir: self.shared.options.playbook_dir.clone(),
            approver: None,
            operator: self.shared.operator.clone(),
            prompt: self.shared.prompt.clone(),
            kill_grace: self.shared.options.kill_grace,
            mode,
            interruption: self.shared.options.interruption.clone(),
            output_cap: self.shared.options.output_cap,
            call_depth: self.shared.options.call_depth,
            called_actions: self.shared.actions.called(&id),
            output: Some(self.tx.clone()),
        };
        let detail = action.as_ref().map(|a| a.describe(&ctx));

        // Gates: an interrupted step asks again before it re-runs; a gated step asks first.
        let gated = plan.is_gated(self.index);
        if self.rerun || gated {
            let question = match self.gate_question(&ctx) {
                Ok(q) => q,
                Err(e) => {
                    return StepDone {
                        span: Some(e.span),
                        ..self.done(
                            StepState::Failed,
                            format!("cannot render the approval question: {e}"),
                        )
                    }
                }
            };
            let question = match (self.rerun, gated) {
                (true, true) => format!("`{id}` was interrupted and may have done part of its work. Run it again? ({question})"),
                (true, false) => format!("`{id}` was interrupted and may have done part of its work. Run it again?"),
                (false, _) => question,
            };
            if mode.asks_at_gates() {
                match self.gate(question, detail.clone()).await {
                    Ok(who) => ctx.approver = Some(who),
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
                                failed = Some(format!("the preview failed: {said}"));
                            }
                        }
                        self.send(Event::StepWouldRun {
                            step: id,
                            effect: step_plan.effect.name().into(),
                            description,
                        });
                        match failed {
                            Some(message) => self.done(StepState::Failed, message),
                            None => StepDone {
                                simulated: true,
                                ..StepDone::new(self.index, StepState::Succeeded)
                            },
                        }
                    }
                    Treatment::Execute => {
                        let _permit = tokio::select! {
                            permit = self.shared.jobs.acquire() => permit.ok(),
                            _ = self.cancel.cancelled() => return self.done(StepState::Cancelled, "cancelled before it started"),
                        };
                        let done = self.attempts(&*action, ctx).await;
                        self.undecided_after_described(done)
                    }
                }
            }
            StepAction::Branch(_) => StepDone::new(self.index, StepState::Succeeded),
        }
    }

    /// Dry-run: a read that fails after a write the dry-run only described
    /// may fail for want of that write's effect (a backup verified before
    /// the dump was made): it cannot be decided, so it is skipped with the
    /// reason, not failed.
    fn undecided_after_described(&self, done: StepDone) -> StepDone {
        let Some(write) = &self.after_described else {
            return done;
        };
        if self.shared.options.mode != Mode::DryRun
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

    fn gate_question(&self, ctx: &ActionContext) -> Result<String, render::RenderError> {
        let (step, step_plan) = self.shared.plan.step(self.index);
        if let Some(q) = &step_plan.approval_question {
            return render::render(q, &ctx.scope, Quoting::None);
        }
        if let Some(q) = ctx
            .str_arg("question")
            .filter(|_| step.action.kind_name() == "approve")
        {
            return Ok(q.to_string());
        }
        Ok(match &step.title {
            Some(title) => format!("Run `{}` ({})?", step.id.value, title.value),
            None => format!("Run `{}`?", step.id.value),
        })
    }

    /// Puts a gate to the operator; `Ok(who)` when approved.
    async fn gate(&self, question: String, detail: Option<String>) -> Result<String, StepDone> {
        let (step, step_plan) = self.shared.plan.step(self.index);
        let id = step.id.value.clone();
        let request = GateRequest {
            step: id.clone(),
            title: step.title.as_ref().map(|t| t.value.clone()),
            question: self.masker.mask(&question),
            effect: step_plan.effect,
            detail: detail.as_deref().map(|d| self.masker.mask(d)),
            rerun: self.rerun,
            checkpoint: step.action.kind_name() == "approve",
            context: self.context(),
        };
        let _turn = self.shared.prompt.lock().await;
        self.send(Event::GateRequested {
            step: id.clone(),
            question,
            effect: step_plan.effect.name().into(),
            detail,
        });
        let operator = self.shared.operator.clone();
        let asked = tokio::task::spawn_blocking(move || operator.approve(&request));
        let decision = tokio::select! {
            decided = with_timeout(self.deadline(), asked) => match decided {
                Some(Ok(decision)) => decision,
                Some(Err(_)) => crate::operator::Decision {
                    approved: false,
                    who: crate::operator::current_user(),
                    via: "terminal".into(),
                    reason: Some("the prompt failed".into()),
                },
                None => crate::operator::Decision {
                    approved: false,
                    who: crate::operator::current_user(),
                    via: "timeout".into(),
                    reason: Some(format!(
                        "no decision within {}",
                        humantime::format_duration(self.deadline().unwrap_or_default())
                    )),
                },
            },
            _ = self.cancel.cancelled() => return Err(self.done(StepState::Cancelled, "cancelled at its gate")),
        };
        self.record(Event::GateDecided {
            step: id.clone(),
            approved: decision.approved,
            who: decision.who.clone(),
            via: decision.via.clone(),
            reason: decision.reason.clone(),
            plan_hash: self.shared.options.plan_hash.clone(),
        })
        .await;
        if decision.approved {
            Ok(decision.who)
        } else if decision.via == "timeout" && self.is_human() {
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
                    decision.who, decision.via
                ),
            ))
        }
    }

    /// What a prompt shows besides its question, masked: the step's
    /// description and what the steps before it read.
    fn context(&self) -> crate::operator::Context {
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

    /// A step whose work is a person's: `manual`, `ask`, `approve`. Their
    /// `timeout` is how long that person has.
    fn is_human(&self) -> bool {
        let action = &self.step().action;
        matches!(action, StepAction::Manual { .. } | StepAction::Ask(_))
            || action.kind_name() == "approve"
    }

    /// How long the operator has to answer: a human step's own `timeout`,
    /// else `--gate-timeout`.
    fn deadline(&self) -> Option<Duration> {
        let own = self.step().timeout.as_ref().map(|t| t.value);
        own.filter(|_| self.is_human())
            .or(self.shared.options.gate_timeout)
    }

    /// An `ask`'s declared `default`, taken when its deadline passes.
    fn default_answer(&self) -> Option<Value> {
        match &self.step().action {
            StepAction::Ask(ask) => ask.answer.accept(&ask.default.as_ref()?.value).ok(),
            _ => None,
        }
    }

    /// A human step's deadline passed with no answer: the step times out
    /// and its `on_failure` decides (`goto` escalates, to a `notify` step
    /// say; `continue` goes on); without one the run stops as at a rejected
    /// gate (exit 3).
    fn expired(&self, what: &str) -> StepDone {
        let handled = matches!(
            self.step().on_failure.as_ref().map(|f| &f.value),
            Some(OnFailure::Continue | OnFailure::Goto(_))
        );
        let state = if handled {
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
    async fn ask(&self, ctx: &ActionContext) -> StepDone {
        let (step, step_plan) = self.shared.plan.step(self.index);
        let mode = self.shared.options.mode;
        let text = match &step_plan.text {
            Some(t) => match render::render(t, &ctx.scope, Quoting::None) {
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
        };
        let _turn = self.shared.prompt.lock().await;
        let operator = self.shared.operator.clone();
        let asked = tokio::task::spawn_blocking(move || operator.answer(&question));
        let reply = tokio::select! {
            reply = with_timeout(self.deadline(), asked) => match reply {
                Some(Ok(reply)) => reply,
                Some(Err(_)) => Reply::Refused { who: crate::operator::current_user(), via: "terminal".into(), reason: "the prompt failed".into() },
                None => match self.default_answer() {
                    Some(value) => Reply::Answer { value, who: crate::operator::current_user(), via: "timeout (the default)".into() },
                    None => return self.expired(match step.action { StepAction::Ask(_) => "answer", _ => "confirmation" }),
                },
            },
            _ = self.cancel.cancelled() => return self.done(StepState::Cancelled, "cancelled while waiting for the operator"),
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

    /// Captures outputs; a capture that fails fails the step.
    fn finish_success(&self, results: Map<String, Value>, attempts: u32) -> StepDone {
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

    fn capture(&self, results: &Map<String, Value>) -> Result<Map<String, Value>, String> {
        let step = self.step();
        let primary = primary_result(step, &*self.shared.actions);
        outputs::capture(&step.outputs, primary, results)
    }

    /// Runs the action with `retry`, `timeout` and `until`.
    async fn attempts(
        &self,
        action: &dyn crate::action::Action,
        mut ctx: ActionContext,
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
        let first_delay = step
            .retry
            .as_ref()
            .and_then(|r| r.delay.as_ref())
            .map(|d| d.value)
            .unwrap_or(Duration::ZERO);
        let backoff = step
            .retry
            .as_ref()
            .and_then(|r| r.backoff.as_ref())
            .map(|b| b.value)
            .unwrap_or(1.0);
        let timeout = step.timeout.as_ref().map(|t| t.value);
        let every = step
            .until
            .as_ref()
            .and_then(|u| u.every.as_ref())
            .map(|d| d.value)
            .unwrap_or(self.shared.options.default_poll);
        let within = step
            .until
            .as_ref()
            .and_then(|u| u.within.as_ref())
            .map(|d| d.value);
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
                self.record(Event::StepStarted {
                    step: id.clone(),
                    attempt,
                })
                .await;
                let token = self.cancel.child_token();
                ctx.cancel = token.clone();
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
                    format!(
                        "timed out after {}",
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
                self.send(Event::StepRetrying {
                    step: id.clone(),
                    attempt,
                    delay_ms: delay.as_millis() as u64,
                    message,
                });
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
                    StepState::Succeeded => self.finish_success(result.fields, attempt),
                    _ => StepDone {
                        results: result.fields,
                        attempts: attempt,
                        message: result.message,
                        ..StepDone::new(self.index, state)
                    },
                };
            };
            // Polling: evaluate the condition over this attempt's results.
            let mut reason = result
                .message
                .clone()
                .unwrap_or_else(|| format!("`{condition}` does not hold yet"));
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
                            Ok(_) => reason = format!("`{condition}` does not hold yet"),
                            Err(e) => reason = format!("`{condition}`: {e}"),
                        }
                    }
                    Err(e) => reason = e,
                }
            }
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
                            "a dry-run probes once and does not wait: {reason} (a run polls every {}{deadline})",
                            humantime::format_duration(every)
                        ),
                    )
                };
            }
            let elapsed = started.elapsed();
            if within.is_some_and(|w| elapsed + every > w) {
                return StepDone {
                    results: result.fields,
                    attempts: attempt,
                    ..self.done(
                        StepState::Failed,
                        format!(
                            "`{condition}` did not hold within {} ({attempt} attempts); last: {reason}",
                            humantime::format_duration(within.unwrap_or_default())
                        ),
                    )
                };
            }
            self.send(Event::StepPolling {
                step: id.clone(),
                attempt,
                every_ms: every.as_millis() as u64,
                message: reason,
            });
            if !sleep_or_cancel(every, &self.cancel).await {
                return StepDone {
                    attempts: attempt,
                    ..self.done(StepState::Cancelled, "cancelled while polling")
                };
            }
        }
    }
}

/// Runs the action once; on timeout cancels it and waits for its cleanup.
async fn run_once(
    action: &dyn crate::action::Action,
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
async fn sleep_or_cancel(duration: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = cancel.cancelled() => false,
    }
}

/// Awaits a blocking prompt, giving up after `limit` (`None` then).
async fn with_timeout<T>(
    limit: Option<Duration>,
    handle: tokio::task::JoinHandle<T>,
) -> Option<Result<T, tokio::task::JoinError>> {
    match limit {
        None => Some(handle.await),
        Some(limit) => tokio::time::timeout(limit, handle).await.ok(),
    }
}

/// The rendered parameters of a step outside a run (for `plan` and tests).
pub fn args_of(plan: &Plan, index: usize, scope: &Scope) -> Result<Args, render::RenderError> {
    render::render_params(&plan.step_plan(index).params, scope)
}
