//! The runbook executor. It consumes a checked `runbook_dsl::plan::Plan`.
//!
//! - [`runner`]: the scheduler (ready set over the DAG, tokio tasks, a
//!   semaphore for `--jobs`, cancellation tokens for abort and Ctrl-C);
//! - [`action`]: the `Action` trait step kinds implement (in `crates/stdlib`);
//! - [`event`] and [`bus`]: what happens, published to subscribers (the
//!   runner never prints);
//! - [`mode`]: run vs dry-run, one seam;
//! - [`operator`]: approval gates, `manual` and `ask`: the `Operator` trait
//!   and the operators that need no person (the terminal's is the binary's);
//! - [`arguments`], [`scope`], [`outputs`]: a step's parameters filled in,
//!   values, captured outputs;
//! - [`mask`]: secrets masked in everything emitted;
//! - [`journal`], [`resume`], [`report`]: the JSONL journal and what reads
//!   it (`report` is the run's timeline, `runbook report`);
//! - [`plan_paths`]: `runbook plan`, every path through the branches;
//! - [`rehearsal`]: `runbook test`.

pub mod action;
pub mod arguments;
pub mod bus;
pub mod event;
pub mod evidence;
pub mod interrupt;
pub mod journal;
pub mod journal_output;
pub mod mask;
pub mod mode;
pub mod operator;
pub mod outputs;
pub mod plan_paths;
pub mod rehearsal;
/// The old name of [`arguments`], kept only until the stdlib kinds that
/// import it are rewritten (issue 13 section 1, another branch); remove it then.
#[doc(hidden)]
pub use arguments as render;
pub mod report;
pub mod resume;
pub mod run_id;
pub mod run_lock;
pub mod runner;
pub mod scope;
mod step_message;

#[cfg(test)]
mod tests;

pub use action::{Action, ActionContext, ActionResult, ActionSet};
pub use bus::{EventBus, Subscriber};
pub use event::{Event, Record, RunStatus, StepState, Stream};
pub use interrupt::Interruption;
pub use mask::Masker;
pub use mode::Mode;
pub use operator::Operator;
pub use runner::{Restored, RunOptions, RunOutcome, Runner};
pub use scope::Scope;
