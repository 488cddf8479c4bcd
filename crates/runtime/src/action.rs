//! The seam between the scheduler and what steps do: step kinds (in
//! `crates/stdlib`) implement [`Action`]; the runner finds them through an
//! [`ActionSet`].
//!
//! An action gets its parameters already rendered (templates filled in,
//! shell insertions quoted), a cancellation token it must honour (timeouts,
//! aborts and Ctrl-C all arrive through it; a process-spawning action kills
//! its process group), and a sink for live output lines. It returns its
//! result fields; the runner captures outputs, retries, polls and journals.

use crate::event::Stream;
use crate::render::Args;
use crate::runner::TaskMsg;
use crate::scope::Scope;
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
pub trait Action: Send + Sync {
    /// Runs once (the runner repeats it for `retry` and `until`).
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult>;

    /// One line saying what [`Action::run`] would do with these parameters,
    /// for a dry-run and for approval prompts (`sh -c 'kubectl delete ...'`).
    fn describe(&self, ctx: &ActionContext) -> String;

    /// The result an output captures when it names none (the kind schema's
    /// `primary_result`: `stdout` for shell).
    fn primary_result(&self) -> &'static str;

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

/// Finds the action of a step kind.
pub trait ActionSet: Send + Sync {
    fn action(&self, kind: &str) -> Option<Arc<dyn Action>>;
}

/// Everything an action may use.
pub struct ActionContext {
    pub step: String,
    /// Rendered parameters, by name.
    pub args: Args,
    /// The values the step reads (for `assert`, which evaluates an expression).
    pub scope: Scope,
    /// Cancelled on timeout, abort and interruption: stop, kill what was
    /// started, return.
    pub cancel: CancellationToken,
    /// Where relative paths resolve: the playbook's directory.
    pub workdir: PathBuf,
    /// Who approved the step's gate, when it had one.
    pub approver: Option<String>,
    /// After a timeout or a cancellation, how long a process group gets
    /// between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// How many `playbook` steps the run is nested in.
    pub call_depth: usize,
    pub(crate) output: Option<UnboundedSender<TaskMsg>>,
}

/// A line of live output, as it travels to the runner.
#[derive(Clone, Debug)]
pub struct OutputLine {
    pub step: String,
    pub stream: Stream,
    pub line: String,
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
            approver: None,
            kill_grace: Duration::from_secs(2),
            call_depth: 0,
            output: None,
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
            tx: self.output.clone(),
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
    tx: Option<UnboundedSender<TaskMsg>>,
}

impl LineSink {
    pub fn emit(&self, stream: Stream, line: impl Into<String>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(TaskMsg::Output(OutputLine {
                step: self.step.clone(),
                stream,
                line: line.into(),
            }));
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
}

impl ActionResult {
    pub fn success(fields: Map<String, Value>) -> ActionResult {
        ActionResult {
            ok: true,
            fields,
            message: None,
            undecided: false,
        }
    }

    pub fn failure(message: impl Into<String>) -> ActionResult {
        ActionResult {
            ok: false,
            fields: Map::new(),
            message: Some(message.into()),
            undecided: false,
        }
    }

    /// See [`ActionResult::undecided`]: only a dry-run can lack values.
    pub fn undecided(message: impl Into<String>) -> ActionResult {
        ActionResult {
            undecided: true,
            ..ActionResult::failure(message)
        }
    }

    pub fn with_fields(mut self, fields: Map<String, Value>) -> ActionResult {
        self.fields = fields;
        self
    }
}
