//! `runbook resume RUN`: a stopped run picked up from its journal. Steps
//! that succeeded keep their results and do not run again; a step that was
//! running when the run stopped is reported and asked for again (it may
//! have done part of its work); a changed playbook is refused unless
//! forced. The binary reads the playbook (printing its diagnostics) and the
//! operator's decisions between [`open`] and [`Stopped::resume`].

use super::inputs::{self, Environment, InputProblem};
use super::journaled::{self, Journaled};
use super::{plan_hash, Continued, Session};
use crate::event::Event;
use crate::journal::{self, Damage, Journal};
use crate::mask::MASK;
use crate::operator::{current_uid, current_user};
use crate::run_lock::{self, LockError, RunLock};
use crate::Mode;
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a run cannot be resumed. Nothing was written.
#[derive(Debug)]
pub enum Refusal {
    /// The run id given is not a plain name (the reason).
    RunId(String),
    /// The run has no journal at `path`.
    NoJournal { path: PathBuf },
    /// Another process holds the run, or its lock could not be taken.
    Locked { run_dir: PathBuf, error: LockError },
    /// The journal could not be read.
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Lines of the journal are not records (and `force` was not given).
    Damaged { path: PathBuf, damaged: Vec<Damage> },
    /// The journal does not describe a run (the reason).
    NotARun { path: PathBuf, reason: String },
    /// The journal names its run with something that is not a run id.
    NamesBadRunId {
        path: PathBuf,
        named: String,
        reason: String,
    },
    /// The run was a dry-run, which changed nothing.
    DryRun,
    /// The playbook's plan hash is not the one the run started with.
    Changed { playbook: PathBuf },
    /// Inputs given a value other than the run's (and `force` was not
    /// given): the steps that ran used the old ones. Name, old, new.
    InputsChanged(Vec<(String, Value, Value)>),
    /// Steps that were running when the run stopped and would be asked
    /// "run it again?", with nobody to ask and no `--approve` for them:
    /// the resume would reject them, stop the run and run its cleanups.
    Unapproved(Vec<String>),
    /// The inputs, as journaled and given again, do not resolve.
    Inputs(Vec<InputProblem>),
    /// A torn last line could not be cut off the journal.
    CutTorn {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What a journal says about a run.
pub enum Opened {
    /// The run reached its end successfully: nothing to resume.
    Finished,
    /// It stopped before its end.
    Stopped(Box<Stopped>),
}

/// A run that stopped, its journal read under its lock.
pub struct Stopped {
    /// As given (the directory), which the journal's own may not be.
    run_id: String,
    lock: RunLock,
    path: PathBuf,
    journal: Journal,
    journaled: Journaled,
    playbook: PathBuf,
}

/// A stopped run ready to continue.
pub struct Resumed {
    pub session: Session,
    /// Steps that were running when it stopped, asked for again (cleanups
    /// among them run again without asking).
    pub interrupted: Vec<String>,
    /// The run's cleanups had begun after work stopped it: this resume
    /// finishes them and runs no work.
    pub finishing: bool,
    /// Cleanups that had begun, resumed past with `--force`: what they
    /// undid stays undone while the work goes on.
    pub past_cleanups: Vec<String>,
}

/// Reads the journal of run `run_id` under its lock (damaged lines are
/// refused unless `force`, which skips them: [`Stopped::skipped`]).
pub fn open(journal_dir: &Path, run_id: &str, force: bool) -> Result<Opened, Refusal> {
    crate::run_id::check(run_id).map_err(Refusal::RunId)?;
    let run_dir = journal_dir.join(run_id);
    let path = journal::path_of(journal_dir, run_id);
    if !path.is_file() {
        return Err(Refusal::NoJournal { path });
    }
    // Locked before reading: no other process may append between the read
    // and this one's first record.
    let lock = run_lock::acquire(&run_dir).map_err(|error| Refusal::Locked {
        run_dir: run_dir.clone(),
        error,
    })?;
    let journal = match journal::read(&path) {
        Ok(j) => j,
        Err(error) => return Err(Refusal::Unreadable { path, error }),
    };
    if !journal.damaged.is_empty() && !force {
        return Err(Refusal::Damaged {
            path,
            damaged: journal.damaged,
        });
    }
    let journaled = match journaled::from_records(&journal.records) {
        Ok(j) => j,
        Err(reason) => return Err(Refusal::NotARun { path, reason }),
    };
    // The journal names its run; it is only ever written where it was read.
    if let Err(reason) = crate::run_id::check(&journaled.run_id) {
        return Err(Refusal::NamesBadRunId {
            path,
            named: journaled.run_id.clone(),
            reason,
        });
    }
    if journaled.mode == Mode::DryRun {
        return Err(Refusal::DryRun);
    }
    if journaled.finished {
        return Ok(Opened::Finished);
    }
    // The playbook path is relative to where `runbook run` was started.
    let mut playbook = PathBuf::from(&journaled.playbook);
    if playbook.is_relative() && !playbook.exists() {
        playbook = PathBuf::from(&journaled.workdir).join(&playbook);
    }
    Ok(Opened::Stopped(Box::new(Stopped {
        run_id: run_id.to_string(),
        lock,
        path,
        journal,
        journaled,
        playbook,
    })))
}

/// What a resume of the run journaled at `path` would finish, when that is
/// all it would do and it is done ([`crate::Restored::nothing_left`]): the
/// cleanups that ran, `CALL.ID` for those inside a called playbook. `None`
/// when a resume would run something, or the journal cannot be read.
pub fn nothing_left(path: &Path, plan: &Plan) -> Option<Vec<String>> {
    let journal = journal::read(path).ok()?;
    let journaled = journaled::from_records(&journal.records).ok()?;
    journaled.restored.nothing_left(&plan.playbook().steps)
}

/// How a resumed run runs, besides what its journal says.
pub struct Settings {
    pub jobs: usize,
    pub journal_dir: PathBuf,
    pub gate_timeout: Option<Duration>,
    pub output_cap: crate::output_cap::OutputCaps,
    /// Where `runbook resume` was started: shell steps run there when the
    /// directory the run was started in is gone.
    pub started_in: PathBuf,
    /// How gates wait (see [`super::Session::waiting`]).
    pub waiting: crate::pending::Waiting,
    /// The steps `--approve` names: with no way to ask (no terminal, no
    /// `--wait-for-approval`), an interrupted step must be among them.
    pub approved: std::collections::BTreeSet<String>,
}

impl Stopped {
    /// The operator's `--output-cap` of the run, in bytes, as journaled
    /// (see [`crate::output_cap::OutputCaps::resumed`]).
    pub fn output_cap(&self) -> Option<usize> {
        self.journaled.output_cap.map(|b| b as usize)
    }

    /// The playbook the run ran.
    pub fn playbook(&self) -> &Path {
        &self.playbook
    }

    /// The journal.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Damaged lines skipped under `force`.
    pub fn skipped(&self) -> &[Damage] {
        &self.journal.damaged
    }

    /// Continues the run with `plan` (the playbook read again): refused when
    /// its hash changed unless `force`. Inputs are as journaled, except
    /// secrets (masked there), which must be `given` again; `given` also
    /// overrides. A torn last line is cut off, and that is the first thing
    /// journaled.
    pub fn resume(
        self: Box<Self>,
        plan: Plan,
        force: bool,
        given: &Map<String, Value>,
        settings: Settings,
    ) -> Result<Resumed, Refusal> {
        let this = *self;
        let mut journaled = this.journaled;
        if plan_hash(&plan) != journaled.plan_hash && !force {
            return Err(Refusal::Changed {
                playbook: this.playbook,
            });
        }
        // Work stopped the run (it failed, was rejected, or was running)
        // and its cleanups had begun (or those of a playbook a step that
        // stopped it called all ran): the resume finishes the cleanups and
        // runs no work, since going on would work past what they undid;
        // `force` goes on with the work anyway.
        let steps = &plan.playbook().steps;
        // The run stopped early (its last part did not succeed), or was
        // killed while work ran or after work failed.
        let work_left = journaled
            .stopped_as
            .is_some_and(|s| s != crate::event::RunStatus::Succeeded)
            || journaled.restored.work_stopped(steps);
        let began = journaled.restored.cleanups_ran_or_began(steps);
        let (finishing, past_cleanups) = match (work_left && !began.is_empty(), force) {
            (true, false) => (true, Vec::new()),
            (true, true) => (false, began),
            (false, _) => (false, Vec::new()),
        };
        if finishing {
            let stopped = journaled
                .stopped_as
                .unwrap_or(crate::event::RunStatus::Interrupted);
            journaled.restored.stopped_by = journaled.stopped_by.clone();
            journaled.restored.finish_cleanups(steps, stopped);
        }
        let mut given = given.clone();
        for (k, v) in &journaled.inputs {
            let secret = plan
                .playbook()
                .inputs
                .iter()
                .any(|i| &i.name.value == k && i.is_secret());
            if secret || v == &Value::String(MASK.into()) {
                continue;
            }
            given.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let inputs = inputs::resolve(plan.playbook(), &given, Environment::Process)
            .map_err(Refusal::Inputs)?;
        // A value given now that differs from the run's: the steps that
        // ran used the old one, so it is refused unless forced, and then
        // journaled. Secret inputs are masked in the journal and given
        // again at every resume: nothing to compare.
        let mut changed: Vec<(String, Value, Value)> = journaled
            .inputs
            .iter()
            .filter(|(_, old)| **old != Value::String(MASK.into()))
            .filter_map(|(k, old)| {
                let new = inputs.get(k)?;
                (new != old).then(|| (k.clone(), old.clone(), new.clone()))
            })
            .collect();
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        if !changed.is_empty() && !force {
            return Err(Refusal::InputsChanged(changed));
        }
        let mut restored_ids: Vec<String> = journaled.restored.succeeded.keys().cloned().collect();
        restored_ids.sort();
        journaled.restored.settle_loops(&plan);
        let mut interrupted: Vec<String> = journaled.restored.interrupted.iter().cloned().collect();
        interrupted.sort();
        if settings.waiting == crate::pending::Waiting::FailClosed {
            let unapproved: Vec<String> = interrupted
                .iter()
                .filter(|id| {
                    !settings.approved.contains(*id)
                        && !steps.iter().any(|s| s.is_finally() && &s.id.value == *id)
                })
                .cloned()
                .collect();
            if !unapproved.is_empty() {
                return Err(Refusal::Unapproved(unapproved));
            }
        }
        let mut events = Vec::new();
        if let Some(torn) = this.journal.torn {
            if let Err(error) = journal::cut_torn(&this.path, torn) {
                return Err(Refusal::CutTorn {
                    path: this.path,
                    error,
                });
            }
            // Said by the view (and `--output json`) when it is journaled.
            events.push(Event::JournalRepaired {
                line: torn.line,
                dropped_bytes: torn.bytes,
            });
        }
        let elements_kept = journaled
            .restored
            .items
            .iter()
            .filter(|(step, _)| !journaled.restored.succeeded.contains_key(*step))
            .map(|(_, items)| items.len())
            .sum();
        events.push(Event::RunResumed {
            run_id: this.run_id.clone(),
            user: current_user(),
            restored: restored_ids,
            elements_kept,
            uid: Some(current_uid()),
            output_cap: settings.output_cap.journaled(),
            inputs: changed.into_iter().map(|(k, _, new)| (k, new)).collect(),
        });
        events.extend(
            interrupted
                .iter()
                .map(|step| Event::StepInterrupted { step: step.clone() }),
        );
        let session = Session {
            plan: Arc::new(plan),
            playbook_arg: journaled.playbook.clone(),
            run_id: this.run_id,
            mode: Mode::Run,
            jobs: settings.jobs,
            journal_dir: settings.journal_dir,
            gate_timeout: settings.gate_timeout,
            // Shell steps run where the interrupted run ran them.
            workdir: Some(PathBuf::from(&journaled.workdir))
                .filter(|d| d.is_dir())
                .unwrap_or(settings.started_in),
            output_cap: settings.output_cap,
            inputs,
            waiting: settings.waiting,
            continued: Some(Continued {
                seq: journaled.next_seq,
                lock: this.lock,
                restored: journaled.restored,
                events,
                force,
                ran_by: journaled.ran_by,
            }),
        };
        Ok(Resumed {
            session,
            interrupted,
            finishing,
            past_cleanups,
        })
    }
}
