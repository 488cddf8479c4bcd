//! What waits in a journal directory, and deciding it: the one code path
//! every front end takes (`runbook approve`/`reject`/`answer`, a web
//! console), and the rules the waiting run applies again to what it reads.

use super::files::{self, MAX_DECISION_BYTES, MAX_PENDING_BYTES};
use super::record::{DecisionFile, Front, PendingKind, PendingRecord, VerdictName, FORMAT_VERSION};
use super::target::Target;
use crate::operator::{confirmation, current_uid, not_a_confirmation, user_name, validate_answer};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A decision as a person gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Approve {
        reason: Option<String>,
    },
    Reject {
        reason: Option<String>,
    },
    /// An `ask`'s answer, or `done NOTE` for a `manual` step, as typed.
    Answer {
        value: String,
    },
}

impl Verdict {
    /// The name of an approval: the verb of `runbook approve`, the
    /// `verdict` of a decision file.
    pub const APPROVE: &'static str = "approve";

    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Approve { .. } => Verdict::APPROVE,
            Verdict::Reject { .. } => "reject",
            Verdict::Answer { .. } => "answer",
        }
    }

    /// An approval or a rejection with the reason as typed: an empty or
    /// blank reason is no reason (as `runbook approve --reason ''`).
    pub fn approval(approved: bool, reason: Option<String>) -> Verdict {
        let reason = reason.filter(|r| !r.trim().is_empty());
        if approved {
            Verdict::Approve { reason }
        } else {
            Verdict::Reject { reason }
        }
    }

    fn file(&self, record: &PendingRecord, via: Front) -> DecisionFile {
        let (verdict, answer, reason) = match self {
            Verdict::Approve { reason } => (VerdictName::Approve, None, reason.clone()),
            Verdict::Reject { reason } => (VerdictName::Reject, None, reason.clone()),
            Verdict::Answer { value } => (VerdictName::Answer, Some(value.clone()), None),
        };
        DecisionFile {
            version: FORMAT_VERSION,
            nonce: record.nonce.clone(),
            plan_hash: record.plan_hash.clone(),
            step: record.step.clone(),
            verdict,
            answer,
            reason,
            via,
        }
    }

    pub(crate) fn of(file: &DecisionFile) -> Verdict {
        match file.verdict {
            VerdictName::Approve => Verdict::Approve {
                reason: file.reason.clone(),
            },
            VerdictName::Reject => Verdict::Reject {
                reason: file.reason.clone(),
            },
            VerdictName::Answer => Verdict::Answer {
                value: file.answer.clone().unwrap_or_default(),
            },
        }
    }
}

/// Why a decision cannot be made.
#[derive(Clone, Debug, PartialEq)]
pub enum DecideError {
    /// Not a plain run id, or no such run.
    NoRun(String),
    /// Nothing of that name waits; what does.
    NotPending {
        step: String,
        waiting: Vec<String>,
    },
    /// The verdict does not fit what waits (answering a gate, ...).
    WrongVerdict(String),
    /// The answer does not fit the question.
    InvalidAnswer(String),
    /// Four-eyes: `starter`, the one deciding, started or resumed the run
    /// (or runs it), so cannot approve it.
    FourEyes {
        step: String,
        starter: String,
    },
    /// Several records match what was named (the elements of a loop gated
    /// one by one, waiting at once): none is decided. Each of them, for a
    /// front end to list with the command that names it alone.
    Ambiguous {
        step: String,
        waiting: Vec<PendingRecord>,
    },
    /// A bare `STEP` was named while elements of that step's loop wait
    /// (`approval_per_item`): a bare step never decides an element, even
    /// the only one waiting, which may not be the one the person read.
    /// Each of them, for a front end to list with the command that names
    /// it.
    ElementNotNamed {
        step: String,
        waiting: Vec<PendingRecord>,
    },
    /// Someone decided it first.
    AlreadyDecided {
        step: String,
    },
    /// What the decider saw ([`Seen`]) is not what waits any more: it was
    /// decided and taken, asked again, its process is gone, or its plan
    /// changed.
    Changed(String),
    Io(String),
}

impl fmt::Display for DecideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecideError::NoRun(why) => f.write_str(why),
            DecideError::NotPending { step, waiting } if waiting.is_empty() => {
                write!(
                    f,
                    "`{step}` is not waiting for a decision: nothing waits in this run"
                )
            }
            DecideError::NotPending { step, waiting } => write!(
                f,
                "`{step}` is not waiting for a decision; waiting: {}",
                waiting
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DecideError::WrongVerdict(why) | DecideError::InvalidAnswer(why) => f.write_str(why),
            DecideError::FourEyes { step, starter } => write!(
                f,
                "`{step}` needs the approval of someone other than {starter}, who started or resumed this run"
            ),
            DecideError::Ambiguous { step, waiting } => write!(
                f,
                "`{step}` names {} records waiting at once: {}; nothing was decided",
                waiting.len(),
                waiting
                    .iter()
                    .map(|r| format!("`{}`", Target::of(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DecideError::ElementNotNamed { step, waiting } => write!(
                f,
                "`{step}` names no element of its loop, whose elements are decided one by one; waiting: {}; nothing was decided",
                waiting
                    .iter()
                    .map(|r| format!("`{}`", Target::of(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DecideError::AlreadyDecided { step } => {
                write!(f, "`{step}` was decided already: the first decision stands")
            }
            DecideError::Changed(why) | DecideError::Io(why) => f.write_str(why),
        }
    }
}

/// A pending record found in the journal directory.
#[derive(Clone, Debug)]
pub struct Listed {
    pub record: PendingRecord,
    pub path: PathBuf,
    /// The waiting process still waits for it: it holds the run's lock (a
    /// record left by a process killed with SIGKILL, or by one whose run
    /// another process resumed since, is stale: nobody waits for it).
    pub live: bool,
}

/// What waits in the runs of `journal_dir` (or in `run_id` only), oldest
/// first, live and stale, and the records refused with why (a record
/// written by neither the run directory's owner nor the process holding
/// the run's lock, damaged, of another version).
pub fn list(
    journal_dir: &Path,
    run_id: Option<&str>,
) -> Result<(Vec<Listed>, Vec<String>), DecideError> {
    let mut found = Vec::new();
    let mut refused = Vec::new();
    for run in runs(journal_dir, run_id)? {
        let run_dir = journal_dir.join(&run);
        let gates = match files::Gates::open(&run_dir) {
            Ok(gates) => gates,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // A run directory or `gates/` swapped for a symlink (or a file):
            // what it points to is never read.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                refused.push(e.to_string());
                continue;
            }
            // Asked about this run: say why nothing is listed rather than
            // let it look as if nothing waits.
            Err(e) if run_id.is_some() => {
                refused.push(format!(
                    "`{}` cannot be read: {e} (you must be in the group of the run store)",
                    run_dir.join(files::GATES_DIR).display()
                ));
                continue;
            }
            Err(_) => continue,
        };
        let Ok(names) = gates.names() else {
            continue;
        };
        let holder = Holder::of(&run_dir);
        for name in names {
            let Some(nonce) = files::nonce_of_pending(&name) else {
                continue;
            };
            let path = gates.path.join(&name);
            match read_record(&gates, &name, nonce, &run, &holder) {
                Ok(Some(record)) => found.push(Listed {
                    live: holder.waits(&record),
                    record,
                    path,
                }),
                Ok(None) => {}
                Err(why) => refused.push(format!("`{}`: {why}", path.display())),
            }
        }
    }
    found.sort_by(|a, b| {
        (&a.record.asked_at, &a.record.run_id).cmp(&(&b.record.asked_at, &b.record.run_id))
    });
    Ok((found, refused))
}

/// The run ids of `journal_dir` (or `run_id` only, which must be a run).
pub(crate) fn runs(journal_dir: &Path, run_id: Option<&str>) -> Result<Vec<String>, DecideError> {
    Ok(match run_id {
        Some(id) => {
            crate::run_id::check(id).map_err(DecideError::NoRun)?;
            files::real_directory(&journal_dir.join(id))
                .map_err(|e| DecideError::NoRun(format!("no run `{id}`: {e}")))?;
            vec![id.to_string()]
        }
        None => match std::fs::read_dir(journal_dir) {
            Ok(entries) => entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|id| crate::run_id::check(id).is_ok())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(DecideError::Io(format!(
                    "cannot read `{}`: {e}",
                    journal_dir.display()
                )))
            }
        },
    })
}

/// The process holding a run's lock, as the kernel's lock table names it:
/// the one process working on the run, so the only one whose records are
/// waited for (a record of any other pid is stale: killed, or resumed
/// since), and besides the run directory's owner the only writer whose
/// records are trusted (a run resumed by another user publishes as that
/// user).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Holder {
    pid: Option<u32>,
    uid: Option<u32>,
}

impl Holder {
    pub(crate) fn of(run_dir: &Path) -> Holder {
        let pid = crate::run_lock::holder(run_dir);
        Holder {
            pid,
            uid: pid.and_then(crate::run_lock::uid_of_process),
        }
    }

    /// Whether the process that wrote `record` still waits for it. Where
    /// the lock table does not say who holds the lock (nobody, or a file
    /// system whose devices it names otherwise), whether the process is
    /// alive.
    pub(crate) fn waits(&self, record: &PendingRecord) -> bool {
        match self.pid {
            Some(pid) => pid == record.pid,
            None => Path::new(&format!("/proc/{}", record.pid)).exists(),
        }
    }

    /// Whether a record owned by `uid` that names process `pid` may have
    /// been written by it: a record naming the holder of the lock only if
    /// the holder's user owns it (the run directory's owner, who may
    /// replace anything in its sticky `gates/`, cannot pass a record of
    /// their own off as the live one of a colleague's resume); any other
    /// only if the run directory's owner (`run_owner`) does.
    fn may_have_written(&self, uid: u32, pid: u32, run_owner: u32) -> bool {
        match self.pid {
            Some(holder) if holder == pid => self.uid == Some(uid),
            _ => uid == run_owner,
        }
    }
}

/// A pending record, trusted only if written for this run under this
/// nonce by the user it names, who is the user of the process holding the
/// run's lock if it names that process (a resume by another user), else
/// the run directory's owner.
fn read_record(
    gates: &files::Gates,
    name: &str,
    nonce: &str,
    run_id: &str,
    holder: &Holder,
) -> Result<Option<PendingRecord>, String> {
    let owner = gates.run_owner;
    let Some(owned) = gates.read_owned(name, MAX_PENDING_BYTES)? else {
        return Ok(None);
    };
    let record: PendingRecord =
        serde_json::from_slice(&owned.bytes).map_err(|e| format!("not a pending record: {e}"))?;
    if record.version != FORMAT_VERSION {
        return Err(format!(
            "version {} (this runbook reads {FORMAT_VERSION})",
            record.version
        ));
    }
    if !holder.may_have_written(owned.uid, record.pid, owner) || record.starter_uid != owned.uid {
        return Err(
            "not written by the owner of the run directory, nor by the process running the run: it is not trusted"
                .into(),
        );
    }
    if record.nonce != nonce || record.run_id != run_id {
        return Err("its nonce or run id does not match its place".into());
    }
    Ok(Some(record))
}

/// Decides what waits at `target` of run `run_id` (a step, and one of its
/// loop's elements for a loop gated per element) as the calling process's
/// user: checks the verdict as the waiting run will (an answer against
/// the question's type, four-eyes) and writes the decision file, carrying
/// the record's nonce and plan hash. Returns the record decided and whether
/// the run took it yet. A bare step while elements of it wait decides none of them
/// ([`DecideError::ElementNotNamed`]); when `target` names more than one
/// live record, none is decided ([`DecideError::Ambiguous`]).
pub fn decide(
    journal_dir: &Path,
    run_id: &str,
    target: &Target,
    verdict: &Verdict,
) -> Result<Decided, DecideError> {
    let (found, _) = list(journal_dir, Some(run_id))?;
    let live: Vec<&Listed> = found.iter().filter(|l| l.live).collect();
    let named: Vec<&Listed> = live
        .iter()
        .copied()
        .filter(|l| target.matches(&l.record))
        .collect();
    match named.as_slice() {
        [] => {
            let elements: Vec<&Listed> = live
                .iter()
                .copied()
                .filter(|l| target.names_no_element_of(&l.record))
                .collect();
            if elements.is_empty() {
                Err(not_pending(target, &live))
            } else {
                Err(DecideError::ElementNotNamed {
                    step: target.to_string(),
                    waiting: by_element(&elements),
                })
            }
        }
        [listed] => write(journal_dir, run_id, &listed.record, verdict, Front::Command),
        several => Err(DecideError::Ambiguous {
            step: target.to_string(),
            waiting: by_element(several),
        }),
    }
}

/// Nothing `target` names waits: what does, as the commands name it.
fn not_pending(target: &Target, live: &[&Listed]) -> DecideError {
    DecideError::NotPending {
        step: target.to_string(),
        waiting: live
            .iter()
            .map(|l| Target::of(&l.record).to_string())
            .collect(),
    }
}

/// The records of `listed`, in the order of their elements' indexes.
fn by_element(listed: &[&Listed]) -> Vec<PendingRecord> {
    let mut waiting: Vec<PendingRecord> = listed.iter().map(|l| l.record.clone()).collect();
    waiting.sort_by_key(|r| super::target::element_of(r).map(|(index, _)| index));
    waiting
}

/// A decision written: the record it decides, and whether the waiting run
/// already said it took it (its mark, within the few seconds a decider
/// waits for it). `false` means the decision waits for the run to read it
/// when it next looks; a decision the run will never read is an error
/// ([`DecideError::Changed`]), never this.
#[derive(Clone, Debug)]
pub struct Decided {
    pub record: PendingRecord,
    pub taken: bool,
}

/// The record a person saw before deciding it (on a console page): its
/// nonce and the plan hash shown beside its command.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    pub nonce: &'a str,
    pub plan_hash: &'a str,
}

/// Decides the record `seen` names, exactly as [`decide`] does, for a
/// front end that showed it first (a web console): refused with
/// [`DecideError::Changed`] unless that very record (nonce and plan hash)
/// still waits, live.
pub fn decide_seen(
    journal_dir: &Path,
    run_id: &str,
    seen: Seen<'_>,
    verdict: &Verdict,
    via: Front,
) -> Result<Decided, DecideError> {
    let (found, _) = list(journal_dir, Some(run_id))?;
    let Some(listed) = found.iter().find(|l| l.record.nonce == seen.nonce) else {
        return Err(DecideError::Changed(
            "what you saw no longer waits: it was decided, timed out or asked again; reload to see what waits now".into(),
        ));
    };
    let record = &listed.record;
    if !listed.live {
        return Err(DecideError::Changed(format!(
            "`{}` is stale: process {} no longer runs the run, and nobody waits for this decision",
            record.named_step(),
            record.pid
        )));
    }
    if record.plan_hash != seen.plan_hash {
        return Err(DecideError::Changed(format!(
            "`{}` waits under plan {}, not the plan {} you saw: reload before deciding",
            record.named_step(),
            record.plan_hash,
            seen.plan_hash
        )));
    }
    write(journal_dir, run_id, record, verdict, via)
}

/// Checks `verdict` at `record` as the calling process's user (the waiting
/// run will check it again) and writes the decision file: the one writer
/// every front end goes through.
fn write(
    journal_dir: &Path,
    run_id: &str,
    record: &PendingRecord,
    verdict: &Verdict,
    via: Front,
) -> Result<Decided, DecideError> {
    let step = &record.named_step();
    check(record, verdict, current_uid())?;
    let gates = files::Gates::open(&journal_dir.join(run_id))
        .map_err(|e| DecideError::Io(format!("cannot open the gates of run `{run_id}`: {e}")))?;
    let bytes = serde_json::to_vec_pretty(&verdict.file(record, via))
        .map_err(|e| DecideError::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_DECISION_BYTES {
        return Err(DecideError::WrongVerdict(format!(
            "the decision is over {MAX_DECISION_BYTES} bytes: shorten the reason"
        )));
    }
    // Who the run is: the owner of its pending record, the one whose mark
    // says a decision was taken.
    let run_uid = gates
        .owner(&files::pending_name(&record.nonce))
        .ok()
        .flatten();
    match gates.write_atomically(&files::decision_name(&record.nonce), &bytes, true) {
        Ok(()) => super::confirm::confirm(&gates, record, &bytes, run_uid).map(|taken| Decided {
            record: record.clone(),
            taken,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(DecideError::AlreadyDecided { step: step.clone() })
        }
        Err(e) => Err(DecideError::Io(format!(
            "cannot write the decision in `{}`: {e} (the approver must be in the group of the run directory)",
            gates.path.display()
        ))),
    }
}

/// What a valid verdict means for the waiting run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Accepted {
    Approved {
        reason: Option<String>,
    },
    Rejected {
        reason: Option<String>,
    },
    /// An `ask`'s typed answer, or a `manual` step's note.
    Answered(Value),
}

/// Whether user `decider` may give `verdict` at `record`, and what it means.
pub(crate) fn check(
    record: &PendingRecord,
    verdict: &Verdict,
    decider: u32,
) -> Result<Accepted, DecideError> {
    let step = &record.named_step();
    let passes = !matches!(verdict, Verdict::Reject { .. });
    if record.by_other && passes && record.ran_by(decider) {
        return Err(DecideError::FourEyes {
            step: step.clone(),
            starter: user_name(decider),
        });
    }
    match (record.kind, verdict) {
        (_, Verdict::Reject { reason }) => Ok(Accepted::Rejected {
            reason: reason.clone(),
        }),
        (PendingKind::Gate, Verdict::Approve { reason }) => Ok(Accepted::Approved {
            reason: reason.clone(),
        }),
        (PendingKind::Gate, Verdict::Answer { .. }) => Err(DecideError::WrongVerdict(format!(
            "`{step}` is an approval gate: approve or reject it"
        ))),
        (PendingKind::Ask, Verdict::Approve { .. }) => Err(DecideError::WrongVerdict(format!(
            "`{step}` asks a question: answer it (`runbook answer {} {step}=VALUE`) or reject it",
            record.run_id
        ))),
        (PendingKind::Ask, Verdict::Answer { value }) => {
            let ty = record
                .answer
                .as_ref()
                .map(|a| a.answer_type())
                .unwrap_or(runbook_dsl::ast::AnswerType::Text);
            validate_answer(&ty, value)
                .map(Accepted::Answered)
                .map_err(|why| {
                    DecideError::InvalidAnswer(format!("`{value}` cannot answer `{step}`: {why}"))
                })
        }
        (PendingKind::Manual, Verdict::Approve { reason }) => Ok(Accepted::Answered(
            Value::String(reason.clone().unwrap_or_default()),
        )),
        (PendingKind::Manual, Verdict::Answer { value }) => match confirmation(value) {
            Some(note) => Ok(Accepted::Answered(Value::String(note))),
            None => Err(DecideError::InvalidAnswer(not_a_confirmation(step, value))),
        },
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
