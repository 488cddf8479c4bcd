//! Reading runs for the console, through the readers `runbook runs` and
//! `runbook report` use: `journal::list` for the list, and for one run
//! `journal::read_run` (a plain run id, no symbolic link out of the journal
//! directory, at most 256 MiB, damaged lines and a torn last line noted). Reads run off the async threads, at most
//! [`READERS`] at a time, so that many requests for large journals cannot
//! hold many of them in memory at once.

use super::Console;
use runbook_runtime::journal::{self, Journal, RunSummary};
use runbook_runtime::pending::{self, Listed};
use runbook_runtime::report::RunReport;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many journals are read at the same time.
pub const READERS: usize = 2;

/// One run as the console shows it.
pub struct Run {
    pub summary: RunSummary,
    /// `None` for a damaged journal, which `report` refuses too.
    pub report: Option<RunReport>,
    /// The journal's length in bytes, for live updates.
    pub length: u64,
    /// The journal ends with a line still being written.
    pub torn: bool,
    /// What the run waits for in its `gates/` directory, read by the
    /// runtime's own reader (`pending::list`: the run owner's records
    /// only, no symlink, bounded, of a known version)...
    pub pending: Vec<Listed>,
    /// ...and the records it refused, with why.
    pub refused: Vec<String>,
    /// The journal directory as an absolute path, for the commands an
    /// approver copies (`--journal-dir DIR`).
    pub store: PathBuf,
    /// [`gates_token`] of what was read.
    pub gates: String,
}

/// Why a run cannot be shown.
pub enum Problem {
    /// The id is not a plain run id (a path, `..`, ...).
    BadId(String),
    /// No such run, or it is not inside the journal directory.
    NotFound(String),
    /// It exists but cannot be read (too large, not a file, ...).
    Unreadable(String),
}

/// Every run, newest first, optionally only those of one status.
pub async fn runs(console: &Console, status: Option<String>) -> Result<Vec<RunSummary>, String> {
    let _permit = console.readers.acquire().await.map_err(|e| e.to_string())?;
    let dir = console.journal_dir.clone();
    let listed = tokio::task::spawn_blocking(move || journal::list(&dir))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read the journal directory: {e}"))?;
    let mut runs: Vec<RunSummary> = listed
        .into_iter()
        .filter(|r| status.as_deref().is_none_or(|s| r.status == s))
        .collect();
    runs.reverse();
    Ok(runs)
}

/// The journal path of run `id`, checked to lie inside `dir`.
pub fn path(dir: &Path, id: &str) -> Result<PathBuf, Problem> {
    runbook_runtime::run_id::check(id).map_err(Problem::BadId)?;
    journal::contained_path(dir, id).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Problem::NotFound(format!("there is no run `{id}`")),
        _ => Problem::NotFound(format!("run `{id}` cannot be read: {e}")),
    })
}

/// Reads run `id`.
pub async fn run(console: &Console, id: &str) -> Result<Run, Problem> {
    let path = path(&console.journal_dir, id)?;
    let _permit = console
        .readers
        .acquire()
        .await
        .map_err(|e| Problem::Unreadable(e.to_string()))?;
    let id = id.to_string();
    let dir = console.journal_dir.clone();
    tokio::task::spawn_blocking(move || {
        let length = length_of(&path);
        let journal = journal::read_run(&dir, &id);
        read(
            &dir,
            length,
            &id,
            journal.as_ref().map_err(|e| e.to_string()),
        )
    })
    .await
    .map_err(|e| Problem::Unreadable(e.to_string()))?
}

/// Reads run `id` for a live update: only the lines appended since the
/// last update of the same run ([`super::follow`]); the same [`Run`] as
/// [`run`] reads.
pub async fn run_followed(console: &Arc<Console>, id: &str) -> Result<Run, Problem> {
    let path = path(&console.journal_dir, id)?;
    let _permit = console
        .readers
        .acquire()
        .await
        .map_err(|e| Problem::Unreadable(e.to_string()))?;
    let id = id.to_string();
    let console = console.clone();
    tokio::task::spawn_blocking(move || {
        let follower = console.follows.of(&id);
        let mut follower = follower.lock().unwrap_or_else(|e| e.into_inner());
        let length = length_of(&path);
        let journal = follower.update(&console.journal_dir, &id);
        let run = read(
            &console.journal_dir,
            length,
            &id,
            journal.map_err(|e| e.to_string()),
        );
        if run.as_ref().map_or(true, |run| !run.summary.going()) {
            console.follows.forget(&id);
        }
        run
    })
    .await
    .map_err(|e| Problem::Unreadable(e.to_string()))?
}

/// The journal's length, taken before reading it: the journal may grow
/// meanwhile, and a length too small only makes the next poll read again.
fn length_of(path: &Path) -> u64 {
    std::fs::symlink_metadata(path)
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The [`Run`] of `journal` (`length` bytes when it was read).
fn read(
    dir: &Path,
    length: u64,
    id: &str,
    journal: Result<&Journal, String>,
) -> Result<Run, Problem> {
    let journal: &Journal = journal.map_err(|e| {
        Problem::Unreadable(format!("the journal of run `{id}` cannot be read: {e}"))
    })?;
    let summary = RunSummary::of(id, journal)
        .map(|summary| summary.running_if_held(&dir.join(id)))
        .ok_or_else(|| Problem::NotFound(format!("the journal of run `{id}` is empty")))?;
    let report = journal
        .damaged
        .is_empty()
        .then(|| RunReport::of(&journal.records));
    let (pending, refused) = pending::list(dir, Some(id)).unwrap_or_default();
    let gates = gates_token_of(&pending, &refused);
    Ok(Run {
        summary,
        report,
        length,
        torn: journal.torn.is_some(),
        pending,
        refused,
        store: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        gates,
    })
}

/// A token that changes when what run `id` waits for changes (a record
/// published, decided, refused, or its process gone): the live updates
/// compare it as they compare the journal's length, since a gate can be
/// published after the journal line that asks it.
pub fn gates_token(dir: &Path, id: &str) -> String {
    let (found, refused) = pending::list(dir, Some(id)).unwrap_or_default();
    gates_token_of(&found, &refused)
}

fn gates_token_of(found: &[Listed], refused: &[String]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for listed in found {
        (&listed.record.nonce, listed.live).hash(&mut hasher);
    }
    refused.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The runs with a gate, `ask` or `manual` step waiting for a decision
/// (a trusted pending record whose process is alive).
pub async fn waiting(console: &Console) -> BTreeSet<String> {
    let Ok(_permit) = console.readers.acquire().await else {
        return BTreeSet::new();
    };
    let dir = console.journal_dir.clone();
    tokio::task::spawn_blocking(move || {
        let (found, _) = pending::list(&dir, None).unwrap_or_default();
        found
            .into_iter()
            .filter(|l| l.live)
            .map(|l| l.record.run_id)
            .collect()
    })
    .await
    .unwrap_or_default()
}

/// The current length of run `id`'s journal, without reading it.
pub fn length(dir: &Path, id: &str) -> Result<u64, Problem> {
    let path = path(dir, id)?;
    std::fs::symlink_metadata(&path)
        .map(|m| m.len())
        .map_err(|e| Problem::NotFound(format!("run `{id}` cannot be read: {e}")))
}
