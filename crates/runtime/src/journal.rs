//! The journal: `<journal-dir>/<run-id>/journal.jsonl`, one [`Record`] per
//! line, appended as events happen.
//!
//! Durability policy: every record is handed to the operating system with one
//! unbuffered `write` before `publish` returns, so the runner has journaled a
//! step's end before the next step starts and a killed process (`kill -9`)
//! loses nothing. The file is `fsync`ed (`fdatasync`) at the points a power
//! loss must not lose: every gate decision and answer (who approved what),
//! and the end of the run. Between those, a machine crash (not a process
//! crash) can lose the most recent step records; a resume then runs those
//! steps again (at-least-once, see `docs/semantics.md`). Syncing every event
//! would cost a disk flush per step, which the benchmarks would show.

use crate::bus::Subscriber;
use crate::event::{Event, Record};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

/// The journal file name inside a run's directory.
pub const FILE_NAME: &str = "journal.jsonl";

/// The default journal directory, relative to the working directory.
pub const DEFAULT_DIR: &str = ".runbook/runs";

/// Appends records to a run's journal.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
    /// The first write error, reported once at the end (a full disk must
    /// not stop an incident response half way).
    error: Option<io::Error>,
}

impl JournalWriter {
    /// Creates (or, on resume, opens for appending) the journal of a run.
    pub fn open(dir: &Path, run_id: &str) -> io::Result<JournalWriter> {
        let run_dir = dir.join(run_id);
        std::fs::create_dir_all(&run_dir)?;
        let path = run_dir.join(FILE_NAME);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(JournalWriter {
            file,
            path,
            error: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&mut self, record: &Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        let durable = matches!(
            record.event,
            Event::GateDecided { .. } | Event::Answered { .. } | Event::RunFinished { .. }
        );
        if durable {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// The first error writing the journal, if any.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

impl Subscriber for JournalWriter {
    fn on_event(&mut self, record: &Record) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.write(record) {
            eprintln!(
                "runbook: cannot write the journal {}: {e}",
                self.path.display()
            );
            self.error = Some(e);
        }
    }
}

/// Reads a journal. A last line cut short by a crash is ignored.
pub fn read(path: &Path) -> io::Result<Vec<Record>> {
    let file = runbook_dsl::user_file::open(path, runbook_dsl::user_file::MAX_JOURNAL_BYTES)?;
    let mut records = Vec::new();
    for line in io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(&line) {
            Ok(record) => records.push(record),
            Err(_) => continue,
        }
    }
    Ok(records)
}

/// The journal path of a run.
pub fn path_of(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(run_id).join(FILE_NAME)
}

/// A run as `runbook runs` lists it.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub run_id: String,
    pub playbook: String,
    pub started: String,
    /// `succeeded`, `failed`, `rejected`, `interrupted`, or `incomplete`
    /// when the journal has no end (a killed process).
    pub status: String,
    pub steps_finished: usize,
}

/// Every run under a journal directory, oldest first.
pub fn list(dir: &Path) -> io::Result<Vec<RunSummary>> {
    let mut runs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(runs),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let path = entry.path().join(FILE_NAME);
        let Ok(records) = read(&path) else {
            continue;
        };
        let Some(first) = records.first() else {
            continue;
        };
        let Event::RunStarted {
            run_id, playbook, ..
        } = &first.event
        else {
            continue;
        };
        let mut status = "incomplete".to_string();
        let mut steps_finished = 0;
        for record in &records {
            match &record.event {
                Event::StepFinished { .. } => steps_finished += 1,
                Event::RunFinished { status: s, .. } => {
                    status = serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                }
                Event::RunResumed { .. } => status = "incomplete".into(),
                _ => {}
            }
        }
        runs.push(RunSummary {
            run_id: run_id.clone(),
            playbook: playbook.clone(),
            started: first.time.clone(),
            status,
            steps_finished,
        });
    }
    runs.sort_by(|a, b| a.started.cmp(&b.started).then(a.run_id.cmp(&b.run_id)));
    Ok(runs)
}

/// A new run id: sortable by time, unique enough for one machine
/// (`20261125T183201Z-4f3a9c`).
pub fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let stamp: String = now.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{stamp}-{:06x}", hasher.finish() & 0xff_ffff)
}
