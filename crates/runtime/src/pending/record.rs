//! The run store's gate files, version 1 (docs/run-store.md).

use runbook_dsl::ast::AnswerType;
use runbook_dsl::source::Spanned;
use runbook_dsl::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of both file formats; a reader refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// What waits: `gates/NONCE.pending.json`, written by the waiting run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRecord {
    pub version: u32,
    pub run_id: String,
    /// The step's address: `STEP`, `CALL.STEP` in a called playbook,
    /// with a loop element's index where it has one.
    pub step: String,
    /// The loop element whose own gate it is (`approval_per_item`):
    /// `[INDEX] LABEL`.
    pub element: Option<String>,
    /// The labels of the calling loops' elements on the way, by the
    /// address of the element's run (`each[0]`: `web-1`), for a step of a
    /// playbook a loop calls (`step` is `each[0].restart`). Absent from
    /// records of no such step, and from those written before it was.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub kind: PendingKind,
    pub title: Option<String>,
    /// The question, or a manual step's instructions, masked.
    pub question: String,
    /// A gate's effect (`read`, `write`, `destructive`).
    pub effect: Option<String>,
    /// The rendered command, masked exactly as the prompt shows it.
    pub command: Option<String>,
    /// The lines shown before the question (description, evidence), masked.
    pub context: Vec<String>,
    /// An `ask`'s type, which a remote answer is validated against.
    pub answer: Option<AnswerSpec>,
    /// The step was running when the run stopped and would run again.
    pub rerun: bool,
    /// Four-eyes: only a user other than those in `ran_by` (and
    /// `starter_uid`) may approve.
    pub by_other: bool,
    pub plan_hash: String,
    /// The OS user running the waiting process, and its uid.
    pub starter: String,
    pub starter_uid: u32,
    /// Every OS user who started or resumed the run, by uid, from its
    /// journal (`run_started`, `run_resumed`) and the run directory's
    /// owner, the waiting process's own last: none of them may pass a
    /// four-eyes gate. Absent from records written before it was (then
    /// `starter_uid` alone is excluded).
    #[serde(default)]
    pub ran_by: Vec<RunUser>,
    pub pid: u32,
    /// RFC 3339 times.
    pub asked_at: String,
    pub deadline: Option<String>,
    /// Names this attempt at this gate: a decision carries it back.
    pub nonce: String,
}

/// An OS user who started or resumed a run: the name the password
/// database gives its uid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunUser {
    pub user: String,
    pub uid: u32,
}

impl PendingRecord {
    /// Its step as a person names it: each calling loop's element by its
    /// label where it reads back ([`crate::element_name::named_address`]).
    pub fn named_step(&self) -> String {
        crate::element_name::named_address(&self.step, &self.labels)
    }

    /// Whether `uid` started or resumed the run (or runs the waiting
    /// process): four-eyes refuses its approval.
    pub fn ran_by(&self, uid: u32) -> bool {
        uid == self.starter_uid || self.ran_by.iter().any(|u| u.uid == uid)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingKind {
    /// An approval gate: approve or reject.
    Gate,
    /// An `ask` step: an answer of its type, or reject.
    Ask,
    /// A `manual` step: approve (it is done; the reason is the note),
    /// `answer done NOTE`, or reject.
    Manual,
}

impl PendingKind {
    pub fn name(self) -> &'static str {
        match self {
            PendingKind::Gate => "gate",
            PendingKind::Ask => "ask",
            PendingKind::Manual => "manual",
        }
    }
}

/// An `ask`'s answer type, as the pending record carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerSpec {
    Choice { choices: Vec<String> },
    Number { min: Option<f64>, max: Option<f64> },
    Text,
}

impl AnswerSpec {
    pub fn of(ty: &AnswerType) -> AnswerSpec {
        match ty {
            AnswerType::Choice(c) => AnswerSpec::Choice {
                choices: c.iter().map(|c| c.value.clone()).collect(),
            },
            AnswerType::Number { min, max } => AnswerSpec::Number {
                min: min.as_ref().map(|m| m.value),
                max: max.as_ref().map(|m| m.value),
            },
            AnswerType::Text => AnswerSpec::Text,
        }
    }

    /// Back to the type [`crate::operator::validate_answer`] checks against.
    pub fn answer_type(&self) -> AnswerType {
        let at = |v: f64| Spanned::new(v, Span::default());
        match self {
            AnswerSpec::Choice { choices } => AnswerType::Choice(
                choices
                    .iter()
                    .map(|c| Spanned::new(c.clone(), Span::default()))
                    .collect(),
            ),
            AnswerSpec::Number { min, max } => AnswerType::Number {
                min: min.map(at),
                max: max.map(at),
            },
            AnswerSpec::Text => AnswerType::Text,
        }
    }
}

/// A decision: `gates/NONCE.decision.json`, written by the person deciding.
/// It names no person: who decided is the file's owner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionFile {
    pub version: u32,
    /// The pending record's nonce and plan hash, and the step as named.
    pub nonce: String,
    pub plan_hash: String,
    pub step: String,
    pub verdict: VerdictName,
    /// An answer as typed (`answer`), validated by the run again.
    pub answer: Option<String>,
    pub reason: Option<String>,
    /// The front end that wrote it, journaled as the decision's `via`.
    /// Absent (`command`) in files written before it existed.
    #[serde(default, skip_serializing_if = "Front::is_command")]
    pub via: Front,
}

/// The run's note that it took a decision: `gates/NONCE.taken.json`,
/// written by the run (so its owner is the run's user) before it retires
/// the pending record. A decider waits for it after writing its decision
/// ([`super::decide`]), so that it says "decided" only of a decision the
/// run read: the mark names the decision taken by its file's owner and
/// the digest of its bytes. It holds no copy of them: a reason or answer
/// may hold a secret the decider typed, which the journal masks, and the
/// mark outlives the decision file. The run never removes it (a decider
/// may read it late); `resume` and `runbook pending --prune` do, once its
/// record is gone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TakenMark {
    pub version: u32,
    /// The owner of the decision file taken: who decided.
    pub uid: u32,
    /// The SHA-256 of the decision file taken, as it was read, lowercase hex.
    pub decision_sha256: String,
}

impl TakenMark {
    /// The mark of decision file `bytes`, owned by `uid`.
    pub fn of(uid: u32, bytes: &[u8]) -> TakenMark {
        TakenMark {
            version: FORMAT_VERSION,
            uid,
            decision_sha256: sha256_hex(bytes),
        }
    }

    /// Whether this mark names decision file `bytes` written by `uid`.
    pub fn names(&self, uid: u32, bytes: &[u8]) -> bool {
        self.uid == uid && self.decision_sha256 == sha256_hex(bytes)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The front end a person decided through. It is the decider's own claim
/// about their own decision (who decided is still the file's owner), so it
/// only says how, never who.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Front {
    /// `runbook approve`/`reject`/`answer`: journaled `via: remote`.
    #[default]
    Command,
    /// A web console (`runbook serve --decide`): journaled `via: web`.
    Web,
}

impl Front {
    fn is_command(&self) -> bool {
        *self == Front::Command
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictName {
    Approve,
    Reject,
    Answer,
}

#[cfg(test)]
impl PendingRecord {
    /// A record of step `step` for unit tests: an ordinary gate, question or
    /// manual step of run `run`, no answer type, anyone may decide.
    pub(crate) fn for_tests(kind: PendingKind, run: &str, step: &str) -> PendingRecord {
        PendingRecord {
            version: FORMAT_VERSION,
            run_id: run.into(),
            step: step.into(),
            element: None,
            labels: BTreeMap::new(),
            kind,
            title: None,
            question: "q".into(),
            effect: None,
            command: None,
            context: vec![],
            answer: None,
            rerun: false,
            by_other: false,
            plan_hash: "h".into(),
            starter: "alice".into(),
            starter_uid: 1000,
            ran_by: vec![],
            pid: 1,
            asked_at: String::new(),
            deadline: None,
            nonce: "n".into(),
        }
    }
}
