//! The seam between the scheduler and what steps do: the runner finds the
//! [`Execute`] of a step's kind through its [`Executors`]. A kind
//! implements [`crate::Kind`] (its schema and its execution over typed
//! parameters), which makes it an [`Execute`]; a rehearsal's scripted
//! results are one too. (`Execute` is named apart from the AST's
//! `ast::Action`, what a step does as written.)
//!
//! An execution gets its parameters already rendered (templates filled in,
//! shell insertions quoted), a cancellation token it must honour (timeouts,
//! aborts and Ctrl-C all arrive through it; a process-spawning action kills
//! its process group), and a sink for live output lines. It returns its
//! result fields; the runner captures outputs, retries, polls and journals.

use crate::arguments::Args;
use crate::event::{Record, Stream};
use crate::journal::CallJournal;
use crate::mask::Masker;
use crate::mode::Mode;
use crate::operator::{Operator, Preapproved};
use crate::restored::Restored;
use crate::scope::Scope;
use crate::step_message::{OutputLine, TaskMsg};
use serde_json::{Map, Value};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// A boxed future, so actions stay object-safe without a macro crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one execution of a step kind does.
pub trait Execute: Send + Sync {
    /// Runs once (the runner repeats it for `retry` and `until`).
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult>;

    /// One line saying what [`Execute::run`] would do with these parameters,
    /// for a dry-run and for approval prompts (`sh -c 'kubectl delete ...'`).
    fn describe(&self, ctx: &ActionContext) -> String;

    /// What [`Execute::describe`] says, completed with what only the server
    /// can tell, read now (the silence an `expire` would end: its matchers
    /// and comment), so a person approves what will happen, not an id. For
    /// an approval prompt (and the pending record it publishes) and a
    /// dry-run's description; it reads, never changes. The default is
    /// `describe`.
    fn describe_now<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, String> {
        let line = self.describe(ctx);
        Box::pin(async move { line })
    }

    /// A native preview of a `write` or `destructive` step for a dry-run:
    /// the same change asked of the server in a mode that changes nothing
    /// (Kubernetes `dryRun=All`, SQL in a transaction that is rolled back),
    /// so the dry-run reports what the server would say instead of only the
    /// description. `None` (the default) when the kind has no such mode;
    /// its message, on success, says what would happen.
    fn preview<'a>(&'a self, _ctx: &'a ActionContext) -> Option<BoxFuture<'a, ActionResult>> {
        None
    }
}

/// Finds the execution of a step kind.
pub trait Executors: Send + Sync {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>>;

    /// The executions of a playbook that the step `call` calls. `None`: the
    /// standard library's own, as in a run; a rehearsal gives its scripted
    /// ones, whose step ids are addressed `CALL.STEP` as the operator's are.
    fn called(&self, _call: &str) -> Option<Arc<dyn Executors>> {
        None
    }
}

/// An element of a `for_each` step: its position in the list and its
/// label (the string itself, or an object's `metadata.name` or `name`),
/// as the journal records it and a rehearsal scripts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopItem {
    pub index: usize,
    pub label: String,
}

/// Everything an action may use.
#[derive(Clone)]
pub struct ActionContext {
    pub step: String,
    /// Rendered parameters, by name.
    pub args: Args,
    /// The values the step reads (for `assert`, which evaluates an expression).
    pub scope: Scope,
    /// Cancelled on timeout, abort and interruption: stop, kill what was
    /// started, return.
    pub cancel: CancellationToken,
    /// Where shell steps run: the directory the operator started `runbook` in.
    pub workdir: PathBuf,
    /// Where a called playbook's path resolves: the calling playbook's directory.
    pub playbook_dir: PathBuf,
    /// Who approved the step's gate, when it had one.
    pub approver: Option<String>,
    /// The run's operator: a called playbook puts its gates and questions
    /// to the same person, the same terminal and the same command line.
    pub operator: Arc<dyn Operator>,
    /// The turn to prompt it, shared with a called playbook's runner.
    pub prompt: crate::operator::Prompts,
    /// After a timeout or a cancellation, how long a process group gets
    /// between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// `--gate-timeout`: how long a gate waits for a decision, in a called
    /// playbook too.
    pub gate_timeout: Option<Duration>,
    /// A run or a dry-run. The runner decides what executes from a step's
    /// effect; a kind that can make the server itself refuse changes (SQL's
    /// read-only, rolled-back transaction) also reads this, so that even a
    /// step the author wrongly declared `read` changes nothing in a dry-run.
    pub mode: Mode,
    /// Why the run is being interrupted, and whether to skip the grace
    /// period (a second signal).
    pub interruption: crate::Interruption,
    /// At most this many bytes of each output stream are kept (head and
    /// tail, with a marker for what was dropped between them), and of each
    /// large result; what set it is named in the marker.
    pub output_cap: crate::output_cap::OutputCap,
    /// The run's caps: a playbook this step calls runs with them.
    pub output_caps: crate::output_cap::OutputCaps,
    /// How many `playbook` steps the run is nested in.
    pub call_depth: usize,
    /// The actions a playbook this step calls runs with (see
    /// [`Executors::called`]); `None`: the standard library's.
    pub called_actions: Option<Arc<dyn Executors>>,
    /// The secrets known when the step started: a playbook it calls masks
    /// them too.
    pub masker: Masker,
    /// Where a playbook this step calls journals its run: inside this
    /// run's journal. `None` when the run has no journal (a rehearsal).
    pub journal: Option<CallJournal>,
    /// What a resume brings back of the run of the playbook this step
    /// calls: it continues inside it.
    pub resumed: Restored,
    /// The element of a `for_each` step this runs for; `None` for a step
    /// that is not a loop.
    pub item: Option<LoopItem>,
    /// Which attempt this is of the step (or of its loop element) in this
    /// process, from 1: a `retry` or an `until` poll runs it again.
    pub attempt: u32,
    /// A resume runs the step again after it was interrupted: the earlier
    /// process may have done its work without journaling its end.
    pub rerun: bool,
    pub(crate) output: Option<UnboundedSender<TaskMsg>>,
    /// What a playbook this step calls leaves for the run: the cleanups
    /// it did not finish, the strings it declared plain
    /// ([`crate::called_runs::CalledRuns`]).
    pub called_runs: crate::called_runs::CalledRuns,
}

impl ActionContext {
    /// A context for tests and for describing steps outside a run.
    pub fn new(step: impl Into<String>, args: Args) -> ActionContext {
        ActionContext {
            step: step.into(),
            args,
            scope: Scope::default(),
            cancel: CancellationToken::new(),
            workdir: PathBuf::from("."),
            playbook_dir: PathBuf::from("."),
            approver: None,
            operator: Arc::new(Preapproved::default()),
            prompt: Default::default(),
            kill_grace: Duration::from_secs(2),
            gate_timeout: None,
            mode: Mode::Run,
            interruption: crate::Interruption::new(),
            output_cap: Default::default(),
            output_caps: Default::default(),
            call_depth: 0,
            called_actions: None,
            masker: Masker::new(),
            journal: None,
            resumed: Restored::default(),
            item: None,
            attempt: 1,
            rerun: false,
            output: None,
            called_runs: Default::default(),
        }
    }

    /// Whether an earlier execution of this step (this loop element) in
    /// the same run may have done its work without the run learning it:
    /// an attempt after the first (its answer may have been lost), or a
    /// resume running it again after an interruption. A kind whose change
    /// is not idempotent (creating a silence) looks for its own earlier
    /// work then, by [`ActionContext::run_mark`].
    pub fn may_repeat(&self) -> bool {
        self.attempt > 1 || self.rerun
    }

    /// What names this step's execution within its run, for a kind to mark
    /// what it creates: `runbook run RUN_ID, step ADDRESS`, the address as
    /// the journal writes it (`CALL.STEP` in a called playbook, `STEP[INDEX]`
    /// for a loop's element). The same on every attempt and on resume;
    /// `None` for a runner started without a journal, which has no run id.
    pub fn run_mark(&self) -> Option<String> {
        let journal = self.journal.as_ref()?;
        Some(format!(
            "runbook run {}, step {}",
            journal.run_id,
            journal.address_of(&self.call_address())
        ))
    }

    /// Where the run of the playbook this step calls is journaled, inside
    /// the caller's journal: the step's id, and for an element of a loop
    /// its position too (`STEP[INDEX]`), so each element's called run is
    /// its own and a resume continues inside the one that stopped.
    pub fn call_address(&self) -> String {
        match &self.item {
            Some(item) => format!("{}[{}]", self.step, item.index),
            None => self.step.clone(),
        }
    }

    /// Sends a line of live output (shown in the terminal, journaled).
    pub fn emit(&self, stream: Stream, line: impl Into<String>) {
        self.line_sink().emit(stream, line);
    }

    /// A handle for sending output lines from other tasks (pipe readers).
    pub fn line_sink(&self) -> LineSink {
        LineSink {
            step: self.step.clone(),
            item: self.item.as_ref().map(|i| i.index),
            tx: self.output.clone(),
        }
    }

    /// An expression parameter, which the kind evaluates itself (`assert`'s
    /// `that`); values come typed through [`crate::Kind::Params`].
    pub fn expr(&self, name: &str) -> Option<&runbook_dsl::expr::Expr> {
        match self.args.get(name)? {
            crate::arguments::Arg::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// A string parameter.
    pub fn str_arg(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(|a| a.as_str())
    }
}

/// Sends a step's live output lines to the runner.
#[derive(Clone)]
pub struct LineSink {
    step: String,
    /// The loop element whose lines these are.
    item: Option<usize>,
    tx: Option<UnboundedSender<TaskMsg>>,
}

impl LineSink {
    /// Hands a called playbook's record (a gate decision, an answer) to the
    /// caller's bus, for its terminal and `--output json`; the caller's
    /// journal holds it already, inside its `called` record
    /// ([`crate::EventBus::relay`]).
    pub fn relay(&self, record: Record) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(TaskMsg::Relayed(record));
        }
    }

    /// Sends one whole line.
    pub fn emit(&self, stream: Stream, line: impl Into<String>) {
        self.emit_piece(stream, OutputPiece::line(line));
    }

    /// Sends one piece of a line that a reader cut at its piece size.
    pub fn emit_piece(&self, stream: Stream, piece: OutputPiece) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(TaskMsg::Output(OutputLine {
                step: self.step.clone(),
                stream,
                line: piece.text,
                continues: piece.continues,
                open: piece.open,
                crlf: piece.crlf,
                item: self.item,
            }));
        }
    }
}

/// A line of output, or a piece of a long one, as a pipe reader emits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputPiece {
    /// The text, without the line's ending.
    pub text: String,
    /// It continues the previous piece of the stream (no line break between).
    pub continues: bool,
    /// The line goes on in a next piece.
    pub open: bool,
    /// The line ended with `\r\n`, not `\n` (the `\r` is not in `text`).
    pub crlf: bool,
}

impl OutputPiece {
    /// A whole line.
    pub fn line(text: impl Into<String>) -> OutputPiece {
        OutputPiece {
            text: text.into(),
            continues: false,
            open: false,
            crlf: false,
        }
    }
}

/// How one execution ended.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionResult {
    pub ok: bool,
    /// The kind's result fields (`stdout`, `exit_code`, ...).
    pub fields: Map<String, Value>,
    /// Why it failed (or a note on success).
    pub message: Option<String>,
    /// The action could not decide, for want of values a dry-run does not
    /// have (an assertion on the result of a write it did not run): the step
    /// is skipped with the message as its reason, not failed.
    pub undecided: bool,
    /// A person said no (a gate of a called playbook was rejected, a
    /// question went unanswered): the step is rejected and the run stops
    /// as at its own gate (exit 3), whatever its `on_failure`.
    pub rejected: bool,
    /// The step cannot work as it is given, whatever earlier steps did:
    /// its connection URL does not parse, the server refused its
    /// credentials. A dry-run does not excuse such a failure of a read as
    /// undecided after a step it only described.
    pub misconfigured: bool,
}

impl ActionResult {
    pub fn success(fields: Map<String, Value>) -> ActionResult {
        ActionResult {
            ok: true,
            fields,
            message: None,
            undecided: false,
            rejected: false,
            misconfigured: false,
        }
    }

    pub fn failure(message: impl Into<String>) -> ActionResult {
        ActionResult {
            ok: false,
            fields: Map::new(),
            message: Some(message.into()),
            undecided: false,
            rejected: false,
            misconfigured: false,
        }
    }

    /// See [`ActionResult::undecided`]: only a dry-run can lack values.
    pub fn undecided(message: impl Into<String>) -> ActionResult {
        ActionResult {
            undecided: true,
            ..ActionResult::failure(message)
        }
    }

    /// See [`ActionResult::misconfigured`].
    pub fn misconfigured(message: impl Into<String>) -> ActionResult {
        ActionResult {
            misconfigured: true,
            ..ActionResult::failure(message)
        }
    }

    /// See [`ActionResult::rejected`].
    pub fn rejected(message: impl Into<String>) -> ActionResult {
        ActionResult {
            rejected: true,
            ..ActionResult::failure(message)
        }
    }

    pub fn with_fields(mut self, fields: Map<String, Value>) -> ActionResult {
        self.fields = fields;
        self
    }
}
