//! The runbook executor. It consumes a checked `runbook_dsl::plan::Plan`.
//!
//! - [`runner`]: the scheduler (ready set over the DAG, tokio tasks, a
//!   semaphore for `--jobs`, cancellation tokens for abort and Ctrl-C);
//! - [`kind`]: the `Kind` trait step kinds implement (in `crates/stdlib`),
//!   and `Kinds`, the one list that is both the catalog and the actions;
//! - [`action`]: `Execute`, a kind as the runner calls it, and its context;
//! - [`event`] and [`bus`]: what happens, published to subscribers (the
//!   runner never prints);
//! - [`mode`]: run vs dry-run, one seam;
//! - [`operator`]: approval gates, `manual` and `ask`: the `Operator` trait
//!   and the operators that need no person (the terminal's is the binary's);
//! - [`arguments`], [`scope`], [`outputs`]: a step's parameters filled in,
//!   values, captured outputs;
//! - [`mask`]: secrets masked in everything emitted;
//! - [`element_name`]: `STEP[INDEX]` and `STEP[LABEL]`, one loop element
//!   named by a person;
//! - [`journal`], [`report`]: the JSONL journal and what reads it (`report`
//!   is the run's timeline, `runbook report`);
//! - [`session`]: starting, resuming and nesting runs, one way for all;
//! - [`plan_paths`]: `runbook plan`, every path through the branches;
//! - [`rehearsal`]: `runbook test`.

pub mod action;
pub mod arguments;
pub mod bus;
pub mod called_plan;
pub mod called_runs;
pub mod computed;
pub mod durations;
pub mod element_address;
pub mod element_name;
pub mod event;
pub mod evidence;
pub mod interrupt;
pub mod journal;
pub mod journal_follow;
pub mod journal_output;
pub mod journal_sync;
pub mod kind;
pub mod mask;
pub mod mode;
pub mod operator;
pub mod output_cap;
pub mod outputs;
pub mod pending;
pub mod plan_paths;
pub mod rehearsal;
pub mod report;
pub mod restored;
pub mod run_id;
pub mod run_lock;
pub mod runner;
pub mod scope;
pub mod session;
mod step_message;
pub mod waiting_line;

#[cfg(test)]
mod tests;

pub use action::{ActionContext, ActionResult, Execute, Executors, OutputPiece};
pub use bus::{EventBus, Subscriber};
pub use event::{Event, Record, RunStatus, StepState, Stream};
pub use interrupt::Interruption;
pub use kind::{AnyKind, Kind, Kinds};
pub use mask::Masker;
pub use mode::Mode;
pub use operator::Operator;
pub use runner::{Restored, RunOptions, RunOutcome, Runner};
pub use scope::Scope;
