//! The human in the loop: approval gates, `manual` steps and `ask` questions
//! all go through an [`Operator`].
//!
//! The runtime has the operators that need no person: [`Preapproved`]
//! decides from the command line (`--approve STEP`, `--yes`, `--answer
//! STEP=VALUE`) and fails closed for everything else, which is what runs
//! without a terminal get; [`Nested`] addresses a called playbook's people
//! through the calling step; a rehearsal scripts them
//! (`rehearsal::script`). Operators that talk to a person (the terminal
//! prompt in the binary, a remote approval, a web console) implement the
//! same trait outside the runtime. Domain code never reads stdin itself.

mod gate;
mod nested;
mod preapproved;
mod question;
mod user;
mod via;
mod withdrawal;

pub use gate::{Context, Decision, GateRequest};
pub use nested::Nested;
pub use preapproved::Preapproved;
pub use question::{
    confirmation, not_a_confirmation, validate_answer, Question, QuestionKind, Reply,
};
pub use user::{current_uid, current_user, uid_of_name, user_name};
pub use via::Via;
pub use withdrawal::Withdrawal;

/// The turn to prompt the operator: one prompt at a time, shared by a run
/// and the runs of the playbooks it calls (`RunOptions::prompt`).
pub type Prompts = std::sync::Arc<tokio::sync::Mutex<()>>;

/// Who decides at gates and answers questions. Called from a blocking
/// thread (the runner puts each prompt on `spawn_blocking` and gives up on
/// it at the deadline), so an implementation may block on a person.
pub trait Operator: Send + Sync {
    fn approve(&self, request: &GateRequest) -> Decision;
    fn answer(&self, question: &Question) -> Reply;

    /// The decision made in advance (`--approve`, `--yes`), without asking
    /// anyone: a gate decided so is never published for remote decisions.
    fn preset(&self, _request: &GateRequest) -> Option<Decision> {
        None
    }

    /// The answer given in advance (`--answer`), without asking anyone.
    fn preset_answer(&self, _question: &Question) -> Option<Reply> {
        None
    }
}
