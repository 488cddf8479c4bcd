//! The waiting side: an [`Operator`] that publishes each gate and question
//! it is asked as a pending record and takes the first valid decision, its
//! own terminal's prompt (the operator it wraps) or a remote one.

use super::decide::{check, Accepted, Verdict};
use super::files::{self, MAX_DECISION_BYTES};
use super::record::{AnswerSpec, DecisionFile, Front, PendingKind, PendingRecord, FORMAT_VERSION};
use crate::operator::{
    user_name, Decision, GateRequest, Operator, Question, QuestionKind, Reply, Via, Withdrawal,
};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime};

/// The command that approves: `runbook approve RUN STEP`.
const APPROVE: &str = Verdict::APPROVE;

/// How often a waiting gate looks for a decision file.
const POLL: Duration = Duration::from_millis(100);
/// How long a prompt called off is given to return.
const PROMPT_GRACE: Duration = Duration::from_secs(2);

/// How a run with gates waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// A terminal prompt (the wrapped operator) races remote decisions.
    Prompt,
    /// No terminal, `--wait-for-approval`: only remote decisions, until the
    /// gate's deadline.
    Remote,
    /// No terminal and no waiting: the wrapped operator fails closed at
    /// once; nothing is published.
    FailClosed,
}

/// The run whose directory gates are published in.
#[derive(Clone, Debug)]
pub struct RunStore {
    pub run_dir: PathBuf,
    pub run_id: String,
    pub plan_hash: String,
}

/// Publishes gates and questions for remote decisions (see the module).
pub struct Remote {
    inner: Arc<dyn Operator>,
    store: RunStore,
    waiting: Waiting,
    starter: String,
    starter_uid: u32,
}

/// A pending record on disk, removed (with any decision left for it) when
/// dropped: decided, timed out or cancelled.
struct Published {
    /// The gates directory as opened when publishing: a `gates/` swapped
    /// afterwards does not redirect what is read or removed.
    gates: files::Gates,
    pending: String,
    decision: String,
}

impl Drop for Published {
    fn drop(&mut self) {
        self.gates.remove(&self.pending);
        self.gates.remove(&self.decision);
    }
}

/// Who won the race.
enum Raced<T> {
    Prompt(T),
    Remote {
        accepted: Accepted,
        who: String,
        via: Via,
    },
    Withdrawn,
}

impl Remote {
    pub fn new(inner: Arc<dyn Operator>, store: RunStore, waiting: Waiting) -> Remote {
        // SAFETY: getuid cannot fail.
        let starter_uid = unsafe { libc::getuid() };
        Remote {
            inner,
            store,
            waiting,
            starter: user_name(starter_uid),
            starter_uid,
        }
    }

    fn record(&self, step: &str, kind: PendingKind, deadline: Option<Duration>) -> PendingRecord {
        let now = SystemTime::now();
        PendingRecord {
            version: FORMAT_VERSION,
            run_id: self.store.run_id.clone(),
            step: step.to_string(),
            element: None,
            kind,
            title: None,
            question: String::new(),
            effect: None,
            command: None,
            context: Vec::new(),
            answer: None,
            rerun: false,
            by_other: false,
            plan_hash: self.store.plan_hash.clone(),
            starter: self.starter.clone(),
            starter_uid: self.starter_uid,
            pid: std::process::id(),
            asked_at: humantime::format_rfc3339_seconds(now).to_string(),
            deadline: deadline.map(|d| humantime::format_rfc3339_seconds(now + d).to_string()),
            nonce: String::new(),
        }
    }

    fn publish(&self, record: &mut PendingRecord) -> Result<Published, String> {
        let gates = files::Gates::create(&self.store.run_dir)
            .map_err(|e| format!("cannot publish the gate for remote decisions: {e}"))?;
        record.nonce = files::new_nonce().map_err(|e| e.to_string())?;
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| e.to_string())?;
        let pending = files::pending_name(&record.nonce);
        gates
            .write_atomically(&pending, &bytes, true)
            .map_err(|e| format!("cannot publish the gate for remote decisions: {e}"))?;
        Ok(Published {
            decision: files::decision_name(&record.nonce),
            gates,
            pending,
        })
    }

    /// A valid decision for `record`, if one was written; an invalid one
    /// (another nonce, another plan, a symlink, the starter at a four-eyes
    /// gate) is removed and the gate goes on waiting.
    fn take(published: &Published, record: &PendingRecord) -> Option<(Accepted, String, Via)> {
        let gates = &published.gates;
        let owned = match gates.read_owned(&published.decision, MAX_DECISION_BYTES) {
            Ok(None) => return None,
            Ok(Some(owned)) => owned,
            Err(_) => {
                gates.remove(&published.decision);
                return None;
            }
        };
        gates.remove(&published.decision);
        let file: DecisionFile = serde_json::from_slice(&owned.bytes).ok()?;
        let fits = file.version == FORMAT_VERSION
            && file.nonce == record.nonce
            && file.plan_hash == record.plan_hash
            && file.step == record.step;
        if !fits {
            return None;
        }
        let accepted = check(record, &Verdict::of(&file), owned.uid).ok()?;
        let via = match file.via {
            Front::Command => Via::Remote,
            Front::Web => Via::Web,
        };
        Some((accepted, user_name(owned.uid), via))
    }

    /// Waits for the first of: the prompt's answer, a valid remote
    /// decision, the runner giving up (`withdrawn`).
    fn race<T: Send + 'static>(
        &self,
        record: &PendingRecord,
        published: &Published,
        withdrawn: &Withdrawal,
        prompt: Option<(Withdrawal, Box<dyn FnOnce() -> T + Send>)>,
    ) -> Raced<T> {
        let (tx, rx) = mpsc::channel();
        let called_off = prompt.as_ref().map(|(w, _)| w.clone());
        if let Some((_, ask)) = prompt {
            std::thread::spawn(move || {
                let _ = tx.send(ask());
            });
        } else {
            drop(tx);
        }
        let call_off = || {
            if let Some(w) = &called_off {
                w.withdraw();
                // The prompt clears its line and returns; wait for that, so
                // the terminal is the view's again.
                let _ = rx.recv_timeout(PROMPT_GRACE);
            }
        };
        loop {
            if let Ok(answer) = rx.try_recv() {
                return Raced::Prompt(answer);
            }
            if let Some((accepted, who, via)) = Self::take(published, record) {
                call_off();
                return Raced::Remote { accepted, who, via };
            }
            if withdrawn.wait(POLL) {
                call_off();
                return Raced::Withdrawn;
            }
        }
    }

    fn hint(&self, verb: &str, step: &str) -> String {
        format!("runbook {verb} {} {step}", self.store.run_id)
    }
}

impl Operator for Remote {
    fn preset(&self, request: &GateRequest) -> Option<Decision> {
        self.inner.preset(request)
    }

    fn preset_answer(&self, question: &Question) -> Option<Reply> {
        self.inner.preset_answer(question)
    }

    fn approve(&self, request: &GateRequest) -> Decision {
        if let Some(decision) = self.inner.preset(request) {
            return decision;
        }
        if self.waiting == Waiting::FailClosed {
            return self.inner.approve(request);
        }
        let mut record = PendingRecord {
            title: request.title.clone(),
            question: request.question.clone(),
            effect: Some(request.effect.name().to_string()),
            command: request.detail.clone(),
            context: request.context.lines(),
            rerun: request.rerun,
            by_other: request.by_other,
            element: request.element.clone(),
            ..self.record(&request.step, PendingKind::Gate, request.deadline)
        };
        let published = match self.publish(&mut record) {
            Ok(published) => published,
            Err(why) if self.waiting == Waiting::Remote => {
                return Decision {
                    approved: false,
                    who: self.starter.clone(),
                    via: Via::NoTerminal,
                    reason: Some(why),
                }
            }
            Err(_) => return self.inner.approve(request),
        };
        let prompt = (self.waiting == Waiting::Prompt).then(|| {
            let called_off = Withdrawal::default();
            let inner = self.inner.clone();
            let asked = GateRequest {
                remote_hint: Some(self.hint(APPROVE, &request.step)),
                withdrawn: called_off.clone(),
                ..request.clone()
            };
            let ask: Box<dyn FnOnce() -> Decision + Send> = Box::new(move || inner.approve(&asked));
            (called_off, ask)
        });
        match self.race(&record, &published, &request.withdrawn, prompt) {
            Raced::Prompt(decision) => decision,
            Raced::Remote { accepted, who, via } => {
                let (approved, reason) = match accepted {
                    Accepted::Approved { reason } => (true, reason),
                    Accepted::Rejected { reason } => (false, reason),
                    Accepted::Answered(_) => {
                        (false, Some("an answer does not approve a gate".into()))
                    }
                };
                Decision {
                    approved,
                    who,
                    via,
                    reason,
                }
            }
            Raced::Withdrawn => Decision {
                approved: false,
                who: self.starter.clone(),
                via: Via::Timeout,
                reason: Some("no longer waited for".into()),
            },
        }
    }

    fn answer(&self, question: &Question) -> Reply {
        if let Some(reply) = self.inner.preset_answer(question) {
            return reply;
        }
        if self.waiting == Waiting::FailClosed {
            return self.inner.answer(question);
        }
        let (kind, answer, verb) = match &question.kind {
            QuestionKind::Ask(ty) => (PendingKind::Ask, Some(AnswerSpec::of(ty)), "answer"),
            QuestionKind::Manual => (PendingKind::Manual, None, APPROVE),
        };
        let mut record = PendingRecord {
            title: question.title.clone(),
            question: question.text.clone(),
            context: question.context.lines(),
            answer,
            ..self.record(&question.step, kind, question.deadline)
        };
        let published = match self.publish(&mut record) {
            Ok(published) => published,
            Err(why) if self.waiting == Waiting::Remote => {
                return Reply::Refused {
                    who: self.starter.clone(),
                    via: Via::NoTerminal,
                    reason: why,
                }
            }
            Err(_) => return self.inner.answer(question),
        };
        let hint = match kind {
            PendingKind::Ask => {
                format!("{} {}=VALUE", self.hint(verb, "").trim_end(), question.step)
            }
            _ => self.hint(verb, &question.step),
        };
        let prompt = (self.waiting == Waiting::Prompt).then(|| {
            let called_off = Withdrawal::default();
            let inner = self.inner.clone();
            let asked = Question {
                remote_hint: Some(hint),
                withdrawn: called_off.clone(),
                ..question.clone()
            };
            let ask: Box<dyn FnOnce() -> Reply + Send> = Box::new(move || inner.answer(&asked));
            (called_off, ask)
        });
        match self.race(&record, &published, &question.withdrawn, prompt) {
            Raced::Prompt(reply) => reply,
            Raced::Remote { accepted, who, via } => match accepted {
                Accepted::Answered(value) => Reply::Answer { value, who, via },
                Accepted::Rejected { reason } | Accepted::Approved { reason } => Reply::Refused {
                    who,
                    via,
                    reason: reason.unwrap_or_else(|| "rejected".into()),
                },
            },
            Raced::Withdrawn => Reply::Refused {
                who: self.starter.clone(),
                via: Via::Timeout,
                reason: "no longer waited for".into(),
            },
        }
    }
}
