//! The waiting side: an [`Operator`] that publishes each gate and question
//! it is asked as a pending record and takes the first valid decision, its
//! own terminal's prompt (the operator it wraps) or a remote one.

use super::decide::{check, Accepted, Verdict};
use super::files::{self, MAX_DECISION_BYTES};
use super::record::{
    AnswerSpec, DecisionFile, Front, PendingKind, PendingRecord, RunUser, TakenMark, FORMAT_VERSION,
};
use crate::operator::{
    current_uid, user_name, Decision, GateRequest, Operator, Question, QuestionKind, Reply, Via,
    Withdrawal,
};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime};

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
    /// The uids that started or resumed the run before this process (from
    /// its journal, and the run directory's owner): four-eyes refuses them
    /// as it refuses this process's user.
    pub ran_by: Vec<u32>,
}

impl RunStore {
    /// Whether this process can publish gates in the run directory: its
    /// `gates/` is there (made if missing, by the run directory's owner
    /// only), belongs to that owner, and this user may create files in it. Said before the run
    /// starts, so a run that would wait for remote decisions fails at once
    /// instead of at its first gate.
    pub fn publishable(&self) -> Result<(), String> {
        let gates = files::Gates::create(&self.run_dir).map_err(|e| {
            let mine = std::fs::metadata(&self.run_dir)
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == current_uid())
                .unwrap_or(true);
            if e.kind() == std::io::ErrorKind::NotFound && !mine {
                format!(
                    "the run directory has no `gates/` (a run started before runbook made one at the start), and only its owner may make one; they can (`mkdir -m 1770 {}`), or resume the run themselves",
                    self.run_dir.join(files::GATES_DIR).display()
                )
            } else {
                e.to_string()
            }
        })?;
        if !gates.writable() {
            return Err(format!(
                "`{}` is not writable by this user: join its group ({}), or resume the run as its owner",
                gates.path.display(),
                std::fs::metadata(&gates.path)
                    .map(|m| format!("gid {}", std::os::unix::fs::MetadataExt::gid(&m)))
                    .unwrap_or_default()
            ));
        }
        Ok(())
    }
}

/// Publishes gates and questions for remote decisions (see the module).
pub struct Remote {
    inner: Arc<dyn Operator>,
    store: RunStore,
    waiting: Waiting,
    starter_uid: u32,
    /// Who started or resumed the run, this process's user last.
    ran_by_uids: Vec<u32>,
    /// Their login names, read from the password database at the first
    /// gate: a run that asks nobody never reads it.
    names: std::sync::OnceLock<Names>,
}

/// The login names of a [`Remote`]'s users.
struct Names {
    starter: String,
    ran_by: Vec<RunUser>,
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
        let starter_uid = current_uid();
        let mut uids: Vec<u32> = Vec::new();
        for uid in store.ran_by.iter().copied().chain([starter_uid]) {
            uids.retain(|u| *u != uid);
            uids.push(uid);
        }
        Remote {
            inner,
            store,
            waiting,
            starter_uid,
            ran_by_uids: uids,
            names: std::sync::OnceLock::new(),
        }
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| Names {
            starter: user_name(self.starter_uid),
            ran_by: self
                .ran_by_uids
                .iter()
                .map(|&uid| RunUser {
                    user: user_name(uid),
                    uid,
                })
                .collect(),
        })
    }

    fn record(&self, step: &str, kind: PendingKind, deadline: Option<Duration>) -> PendingRecord {
        let now = SystemTime::now();
        PendingRecord {
            version: FORMAT_VERSION,
            run_id: self.store.run_id.clone(),
            step: step.to_string(),
            element: None,
            labels: Default::default(),
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
            starter: self.names().starter.clone(),
            starter_uid: self.starter_uid,
            ran_by: self.names().ran_by.clone(),
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
    /// gate) is removed and the gate goes on waiting. One this process
    /// cannot remove (another user's, in the sticky `gates/` of a run it
    /// resumed but does not own) would keep any other decision from being
    /// written: it rejects the gate instead, saying why.
    fn take(published: &Published, record: &PendingRecord) -> Option<(Accepted, String, Via)> {
        let gates = &published.gates;
        let (judged, uid, bytes) = match gates.read_owned(&published.decision, MAX_DECISION_BYTES) {
            Ok(None) => return None,
            Ok(Some(owned)) => (
                Self::judge(&owned.bytes, record, owned.uid),
                Some(owned.uid),
                owned.bytes,
            ),
            Err(why) => (Err(why), None, Vec::new()),
        };
        let who = uid
            .map(user_name)
            .unwrap_or_else(|| "an unknown user".into());
        let why = match judged {
            Ok((accepted, via)) => {
                // Taken: said first, in a mark of the run's own (which a
                // sticky `gates/` lets it write where it may not rename
                // another user's file), for the decider waiting to learn
                // that its decision was read.
                let mark = TakenMark::of(uid.unwrap_or(u32::MAX), &bytes);
                if let Ok(mark) = serde_json::to_vec(&mark) {
                    let _ = gates.write_atomically(&files::taken_name(&record.nonce), &mark, false);
                }
                // Then the record is retired and the decision file
                // stays until the record is dropped, so whoever decides in
                // between is told it is decided (or no longer waits), never
                // that a decision the run will not read was taken.
                gates.remove(&published.pending);
                return Some((accepted, who, via));
            }
            Err(why) => why,
        };
        match gates.try_remove(&published.decision) {
            Ok(()) => None,
            Err(e) => Some((
                Accepted::Rejected {
                    reason: Some(format!(
                        "a decision file the run does not take ({why}) cannot be removed ({e}), and would keep any other from being written: the gate is rejected"
                    )),
                },
                who,
                Via::Remote,
            )),
        }
    }

    /// What decision file `bytes`, owned by `uid`, decides at `record`, or
    /// why the run does not take it.
    fn judge(bytes: &[u8], record: &PendingRecord, uid: u32) -> Result<(Accepted, Via), String> {
        let file: DecisionFile =
            serde_json::from_slice(bytes).map_err(|e| format!("not a decision: {e}"))?;
        let fits = file.version == FORMAT_VERSION
            && file.nonce == record.nonce
            && file.plan_hash == record.plan_hash
            && file.step == record.step;
        if !fits {
            return Err("written for another gate, attempt or plan".into());
        }
        let accepted = check(record, &Verdict::of(&file), uid).map_err(|e| e.to_string())?;
        let via = match file.via {
            Front::Command => Via::Remote,
            Front::Web => Via::Web,
        };
        Ok((accepted, via))
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

    /// The command that decides `record` from another terminal, quoted to
    /// be pasted as shown.
    fn hint(&self, record: &PendingRecord) -> String {
        let journal_dir = self.store.run_dir.parent().unwrap_or(Path::new("."));
        super::commands::hint(record, super::commands::journal_dir_to_name(journal_dir))
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
            labels: request.labels.clone(),
            ..self.record(&request.step, PendingKind::Gate, request.deadline)
        };
        let published = match self.publish(&mut record) {
            Ok(published) => published,
            Err(why) if self.waiting == Waiting::Remote => {
                return Decision {
                    approved: false,
                    who: self.names().starter.clone(),
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
                remote_hint: Some(self.hint(&record)),
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
                who: self.names().starter.clone(),
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
        let (kind, answer) = match &question.kind {
            QuestionKind::Ask(ty) => (PendingKind::Ask, Some(AnswerSpec::of(ty))),
            QuestionKind::Manual => (PendingKind::Manual, None),
        };
        let mut record = PendingRecord {
            title: question.title.clone(),
            question: question.text.clone(),
            context: question.context.lines(),
            answer,
            labels: question.labels.clone(),
            ..self.record(&question.step, kind, question.deadline)
        };
        let published = match self.publish(&mut record) {
            Ok(published) => published,
            Err(why) if self.waiting == Waiting::Remote => {
                return Reply::Refused {
                    who: self.names().starter.clone(),
                    via: Via::NoTerminal,
                    reason: why,
                }
            }
            Err(_) => return self.inner.answer(question),
        };
        let hint = self.hint(&record);
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
                who: self.names().starter.clone(),
                via: Via::Timeout,
                reason: "no longer waited for".into(),
            },
        }
    }
}

#[cfg(test)]
#[path = "remote_tests.rs"]
mod tests;
