//! Gates that wait in the run store, decided from another terminal.
//!
//! While a run waits at a gate, an `ask` or a `manual` step, its run
//! directory holds a *pending record* (`gates/NONCE.pending.json`, a
//! versioned JSON file, docs/run-store.md): what is asked, the rendered
//! command as the prompt shows it, the plan hash, who started the run, the
//! deadline and a nonce naming this one attempt. Another process (`runbook
//! approve`, `reject`, `answer`, or a web console) decides it through
//! [`decide`], which validates the decision as `--answer` is validated and
//! writes `gates/NONCE.decision.json` carrying the nonce and the plan hash;
//! the waiting run ([`Remote`], an `Operator`) takes the first valid
//! decision, its own terminal's or a remote one. Who decided is the owner
//! of the decision file, never a name written in it.
//!
//! - [`record`]: the two file formats;
//! - [`files`]: the `gates/` directory and reading and writing in it safely
//!   (no symlinks, regular files only, bounded sizes, atomic writes);
//! - [`commands`]: the command lines that decide a record, for a console;
//! - [`decide`]: listing what waits and deciding it, for every front end,
//!   and `confirm`: whether the run then read the decision;
//! - [`target`]: what a person names to decide (`STEP`, `STEP[ELEMENT]`);
//! - [`stale`]: records nobody waits for any more, retired by a resume
//!   and pruned on request;
//! - [`Remote`]: the waiting side.

pub mod commands;
mod confirm;
pub mod decide;
pub mod files;
pub mod record;
mod remote;
pub mod stale;
pub mod target;

pub use commands::{commands, hint, journal_dir_flag, journal_dir_to_name, DecideCommand};
pub use decide::{decide, decide_seen, list, DecideError, Decided, Listed, Seen, Verdict};
pub use record::{
    AnswerSpec, DecisionFile, Front, PendingKind, PendingRecord, RunUser, TakenMark, FORMAT_VERSION,
};
pub use remote::{Remote, RunStore, Waiting};
pub use stale::{leftovers, prune, retire, Pruned};
pub use target::{Selector, Target};
