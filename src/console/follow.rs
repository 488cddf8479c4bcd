//! The runs whose pages are being followed live: one journal
//! [`Follower`] per run, so each poll parses only the lines appended since
//! the last one. Bounded: at most [`RUNS`] runs and [`BYTES`] bytes of
//! journal held; the run followed least recently is dropped first (its
//! next poll reads it whole again, which is only slower).

use runbook_runtime::journal_follow::Follower;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many runs are followed at once.
pub const RUNS: usize = 8;
/// How many bytes of journal the followers may hold between them (the
/// limit of one journal, `MAX_JOURNAL_BYTES`).
pub const BYTES: u64 = runbook_dsl::user_file::MAX_JOURNAL_BYTES;

/// The followers, most recently used last.
#[derive(Default)]
pub struct Follows {
    runs: Mutex<VecDeque<(String, Arc<Mutex<Follower>>)>>,
}

impl Follows {
    /// The follower of run `id`, made if missing; the least recently used
    /// ones are dropped beyond the bounds.
    pub fn of(&self, id: &str) -> Arc<Mutex<Follower>> {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        let follower = match runs.iter().position(|(run, _)| run == id) {
            Some(at) => runs.remove(at).map(|(_, f)| f).unwrap_or_default(),
            None => Arc::new(Mutex::new(Follower::new())),
        };
        runs.push_back((id.to_string(), follower.clone()));
        let held = |runs: &VecDeque<(String, Arc<Mutex<Follower>>)>| -> u64 {
            runs.iter()
                .map(|(_, f)| f.try_lock().map(|f| f.consumed()).unwrap_or(0))
                .sum()
        };
        while runs.len() > RUNS || (runs.len() > 1 && held(&runs) > BYTES) {
            runs.pop_front();
        }
        follower
    }

    /// Forgets run `id` (its journal has an end: nobody polls it any more).
    pub fn forget(&self, id: &str) {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.retain(|(run, _)| run != id);
    }
}
