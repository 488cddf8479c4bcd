//! Gate files nobody waits for any more: a process killed with SIGKILL
//! cannot remove its pending record, and a record whose process no longer
//! holds the run's lock cannot be decided. `runbook resume` retires them
//! ([`retire`]) before the run reaches a gate again (it publishes a new
//! record, with a new nonce, when it does); `runbook pending --prune`
//! removes them on request ([`prune`]). Neither ever removes the record of
//! a process that still holds the run's lock.
//!
//! Decisions already taken are left behind too: the run that takes a
//! decision removes it when it may, but in a sticky `gates/` only the
//! file's owner (who decided) and the run directory's owner (who started
//! the run) may remove a file, so a run resumed by a colleague cannot
//! remove a decision someone else wrote. Such a decision, whose pending
//! record is gone, is never taken again (its nonce is never asked again):
//! [`leftovers`] finds them, a resume by the run directory's owner retires
//! them, and [`prune`] removes those the caller may remove. So are the
//! run's marks of the decisions it took ([`super::TakenMark`]), which the
//! run leaves for a decider who reads them late.

use super::decide::{runs, DecideError};
use super::files::{self, Gates, MAX_PENDING_BYTES};
use super::record::PendingRecord;
use crate::operator::current_uid;
use crate::run_lock::{self, Probe};
use std::io;
use std::path::{Path, PathBuf};

/// What a prune did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// The files removed: stale pending records (with any decision left
    /// for them), and decisions left after their gate was decided.
    pub removed: Vec<PathBuf>,
    /// Stale records left, each with why (another user's, in a run
    /// directory of someone else's).
    pub kept: Vec<String>,
}

/// Removes the gate files of run directory `run_dir` left by the processes
/// that ran it before: called by a resume, which holds the run's lock, so
/// no other process waits at any of them. Files this user may not remove
/// (another user's, in a sticky `gates/` of someone else's) stay, listed
/// as stale. How many pending records were removed.
pub fn retire(run_dir: &Path) -> usize {
    let Ok(gates) = Gates::open(run_dir) else {
        return 0;
    };
    let Ok(names) = gates.names() else {
        return 0;
    };
    let mut removed = 0;
    for name in &names {
        if files::nonce_of_pending(name).is_some() && gates.try_remove(name).is_ok() {
            removed += 1;
        }
    }
    // Decisions written for those records, and the temporary files of
    // writers killed mid-write: none is for a gate of this process, which
    // has published nothing yet.
    for name in &names {
        if name.ends_with(".decision.json")
            || name.ends_with(".tmp")
            || files::nonce_of_taken(name).is_some()
        {
            gates.remove(name);
        }
    }
    removed
}

/// Removes the stale pending records of the runs of `journal_dir` (or of
/// `run_id` only) that the calling user owns, or all of those of a run
/// whose directory they own. A record is stale when its process does not
/// hold the run's lock: the lock is taken shared without waiting to be
/// sure nobody holds it, or the kernel's lock table names the holder; a
/// record of the holder, or one whose process cannot be told apart from
/// it, is never removed.
pub fn prune(journal_dir: &Path, run_id: Option<&str>) -> Result<Pruned, DecideError> {
    let me = current_uid();
    let mut pruned = Pruned::default();
    for run in runs(journal_dir, run_id)? {
        let run_dir = journal_dir.join(&run);
        let gates = match Gates::open(&run_dir) {
            Ok(gates) => gates,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                pruned.kept.push(e.to_string());
                continue;
            }
        };
        let probe = match run_lock::probe(&run_dir) {
            Ok(probe) => probe,
            Err(e) => {
                pruned
                    .kept
                    .push(format!("run `{run}`: its lock cannot be read: {e}"));
                continue;
            }
        };
        let Ok(names) = gates.names() else {
            continue;
        };
        for name in &names {
            let Some(nonce) = files::nonce_of_pending(name) else {
                continue;
            };
            let path = gates.path.join(name);
            // Refused files (symlinks, FIFOs, hard links) are not touched.
            let Ok(Some(owned)) = gates.read_owned(name, MAX_PENDING_BYTES) else {
                continue;
            };
            let pid = serde_json::from_slice::<PendingRecord>(&owned.bytes)
                .ok()
                .map(|r| r.pid);
            let stale = match (&probe, pid) {
                (Probe::Free(_), _) => true,
                (Probe::Held(Some(holder)), Some(pid)) => pid != *holder,
                (Probe::Held(None), Some(pid)) => !Path::new(&format!("/proc/{pid}")).exists(),
                (Probe::Held(_), None) => false,
            };
            if !stale {
                continue;
            }
            if owned.uid != me && gates.run_owner != me {
                pruned.kept.push(format!(
                    "`{}`: it belongs to uid {}; only its owner or the owner of the run directory (uid {}) may remove it",
                    path.display(),
                    owned.uid,
                    gates.run_owner
                ));
                continue;
            }
            match gates.try_remove(name) {
                Ok(()) => {
                    gates.remove(&files::decision_name(nonce));
                    pruned.removed.push(path);
                }
                Err(e) => pruned
                    .kept
                    .push(format!("`{}`: cannot remove it: {e}", path.display())),
            }
        }
        drop(probe);
        prune_decided(&gates, &names, me, &mut pruned);
        prune_marks(&gates, &names, me, &mut pruned);
    }
    Ok(pruned)
}

/// Removes the runs' marks of decisions taken ([`super::TakenMark`])
/// whose record is gone, those `me` may remove (their own, or all of a run
/// directory they own); another user's are left without a word, as they
/// say nothing anyone must act on.
fn prune_marks(gates: &Gates, names: &[String], me: u32, pruned: &mut Pruned) {
    for name in names {
        let Some(nonce) = files::nonce_of_taken(name) else {
            continue;
        };
        if !matches!(gates.owner(&files::pending_name(nonce)), Ok(None)) {
            continue;
        }
        let Ok(Some(owner)) = gates.owner(name) else {
            continue;
        };
        if (owner == me || gates.run_owner == me) && gates.try_remove(name).is_ok() {
            pruned.removed.push(gates.path.join(name));
        }
    }
}

/// Removes the decisions left in `gates` after their gate was decided
/// (see [`leftovers`]) that user `me` may remove: their own, or all of
/// them when `me` owns the run directory.
fn prune_decided(gates: &Gates, names: &[String], me: u32, pruned: &mut Pruned) {
    for name in decided(gates, names) {
        let path = gates.path.join(&name);
        let Ok(Some(owner)) = gates.owner(&name) else {
            continue;
        };
        if owner != me && gates.run_owner != me {
            pruned.kept.push(format!(
                "`{}`: a decision already taken, written by uid {owner}; only they or the owner of the run directory (uid {}) may remove it",
                path.display(),
                gates.run_owner
            ));
            continue;
        }
        match gates.try_remove(&name) {
            Ok(()) => pruned.removed.push(path),
            Err(e) => pruned
                .kept
                .push(format!("`{}`: cannot remove it: {e}", path.display())),
        }
    }
}

/// The decision files among `names` whose pending record is gone: the gate
/// was decided (or timed out, or was cancelled) and nobody will ever take
/// them. Whether the record is gone is asked of the directory itself, file
/// by file, after `names` was read: a record published while `names` was
/// being read is never missed.
fn decided(gates: &Gates, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter_map(|name| {
            let nonce = files::nonce_of_decision(name)?;
            let gone = matches!(gates.owner(&files::pending_name(nonce)), Ok(None));
            gone.then(|| name.clone())
        })
        .collect()
}

/// The decisions left in the gates of the runs of `journal_dir` (or of
/// `run_id` only) whose gate was decided already: never pending, never
/// taken again, removed by [`prune`] (by who wrote them or the run
/// directory's owner) or by the owner's resume.
pub fn leftovers(journal_dir: &Path, run_id: Option<&str>) -> Result<Vec<PathBuf>, DecideError> {
    let mut found = Vec::new();
    for run in runs(journal_dir, run_id)? {
        let Ok(gates) = Gates::open(&journal_dir.join(&run)) else {
            continue;
        };
        let Ok(names) = gates.names() else {
            continue;
        };
        found.extend(
            decided(&gates, &names)
                .into_iter()
                .map(|name| gates.path.join(name)),
        );
    }
    Ok(found)
}
