//! The journal: `<journal-dir>/<run-id>/journal.jsonl`, one [`Record`] per
//! line, appended as events happen.
//!
//! Durability policy: every record is handed to the operating system with one
//! unbuffered `write` before `publish` returns, so the runner has journaled a
//! step's end before the next step starts and a killed process (`kill -9`)
//! loses nothing. The file is `fsync`ed (`fdatasync`) at the points a power
//! loss must not lose: every gate decision and answer (who approved what),
//! and the end of the run (by the watchdog right after `runbook` exits,
//! when there is one: see [`crate::journal_sync`]). Between those, a machine crash (not a process
//! crash) can lose the most recent step records; a resume then runs those
//! steps again (at-least-once, see `docs/semantics.md`). Syncing every event
//! would cost a disk flush per step, which the benchmarks would show.
//!
//! Reading is strict (see [`read`]): a torn last line is reported so that
//! `resume` cuts it off (and journals that) before appending; any other line
//! that is not a record is damage, which `resume` and `report` refuse.

use crate::bus::Subscriber;
use crate::event::{Event, Record};
use crate::journal_output::OutputLedger;
use crate::journal_sync::FinalSync;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The journal file name inside a run's directory.
pub const FILE_NAME: &str = "journal.jsonl";

/// The default journal directory, relative to the working directory.
pub const DEFAULT_DIR: &str = ".runbook/runs";
/// The environment variable naming the journal directory when
/// `--journal-dir` is not given.
pub const DIR_ENV: &str = "RUNBOOK_JOURNAL_DIR";

/// Appends records to a run's journal.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
    /// The first write error. Writing stops there (what follows would sit
    /// after a torn line); the run goes on (a full disk must not stop an
    /// incident response half way) and its end reports it.
    failure: WriteFailure,
    output: OutputLedger,
    final_sync: FinalSync,
}

/// The first error writing a journal, shared with whoever reports the run's
/// end (the writer itself belongs to the event bus).
#[derive(Clone, Debug, Default)]
pub struct WriteFailure(Arc<Mutex<Option<String>>>);

impl WriteFailure {
    /// The error, if a write failed.
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|e| e.clone())
    }

    fn set(&self, error: String) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(error);
        }
    }
}

impl JournalWriter {
    /// Creates the journal of a new run in its directory `run_dir`.
    pub fn create(run_dir: &Path) -> io::Result<JournalWriter> {
        let path = run_dir.join(FILE_NAME);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)?;
        Ok(JournalWriter::over(file, path))
    }

    /// Opens a run's journal to append to it (resume). A torn last line must
    /// have been cut off first ([`cut_torn`]).
    pub fn append(run_dir: &Path) -> io::Result<JournalWriter> {
        let path = run_dir.join(FILE_NAME);
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok(JournalWriter::over(file, path))
    }

    fn over(file: File, path: PathBuf) -> JournalWriter {
        use std::os::fd::AsRawFd;
        let final_sync = FinalSync::new(file.as_raw_fd());
        JournalWriter {
            file,
            path,
            failure: WriteFailure::default(),
            output: OutputLedger::default(),
            final_sync,
        }
    }

    /// Who syncs the journal at the run's end (see [`crate::journal_sync`]).
    pub fn final_sync(&self) -> FinalSync {
        self.final_sync.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The handle through which the run's end learns of a failed write.
    pub fn failure(&self) -> WriteFailure {
        self.failure.clone()
    }

    fn write(&mut self, record: &Record) -> io::Result<()> {
        let stripped = self.output.journaled(&record.event).map(|event| Record {
            seq: record.seq,
            time: record.time.clone(),
            event,
        });
        let mut line =
            serde_json::to_vec(stripped.as_ref().unwrap_or(record)).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        let durable = match record.event {
            Event::GateDecided { .. } | Event::Answered { .. } => true,
            Event::RunFinished { .. } => !self.final_sync.handed_over(),
            _ => false,
        };
        if durable {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

impl Subscriber for JournalWriter {
    /// Journaled already, inside its `called` record.
    fn on_relayed(&mut self, _: &Record) {}

    fn on_event(&mut self, record: &Record) {
        if self.failure.get().is_some() {
            return;
        }
        if let Err(e) = self.write(record) {
            // Not `eprintln!`: stderr may be gone too (a closed terminal).
            let _ = writeln!(
                io::stderr(),
                "runbook: cannot write the journal {}: {e}",
                self.path.display()
            );
            self.failure.set(e.to_string());
        }
    }
}

/// A run's journal writer, shared by its bus and the runs its `playbook`
/// steps call, which journal into it (`session::nest`). A rehearsal, which
/// has no journal file, collects the same records in memory.
#[derive(Clone)]
pub struct SharedWriter(Arc<Mutex<dyn Subscriber>>);

impl SharedWriter {
    pub fn new(writer: impl Subscriber + 'static) -> SharedWriter {
        SharedWriter(Arc::new(Mutex::new(writer)))
    }
}

impl Subscriber for SharedWriter {
    fn on_event(&mut self, record: &Record) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .on_event(record);
    }

    fn on_relayed(&mut self, record: &Record) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .on_relayed(record);
    }

    fn finish(&mut self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).finish();
    }
}

/// Where the runs that a run's `playbook` steps call journal their events:
/// the run's own journal, numbered in its sequence, each event wrapped in
/// [`Event::Called`] with the called run's address (`session::nest`).
#[derive(Clone)]
pub struct CallJournal {
    /// The run whose journal it is.
    pub run_id: String,
    pub writer: SharedWriter,
    pub sequence: crate::bus::Sequence,
    /// The address of the run whose steps call: empty for the run started
    /// from the command line, `CALL` (dotted for calls within calls) for a
    /// called one.
    pub address: String,
    /// `resume --force`: a called playbook that changed since the run
    /// started is continued anyway.
    pub force: bool,
}

impl std::fmt::Debug for CallJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallJournal")
            .field("address", &self.address)
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

impl CallJournal {
    /// The address of the run that the step `step` calls.
    pub fn address_of(&self, step: &str) -> String {
        if self.address.is_empty() {
            step.to_string()
        } else {
            format!("{}.{step}", self.address)
        }
    }

    /// The journal of the run at `call` (for the playbooks it calls in turn).
    pub fn at(&self, call: String) -> CallJournal {
        CallJournal {
            address: call,
            ..self.clone()
        }
    }

    /// Journals `event` of the run at `call` (already masked), its step id
    /// addressed `CALL.STEP`; gives the record's number.
    pub fn write(&self, call: &str, event: &Event) -> u64 {
        let record = Event::Called {
            call: call.to_string(),
            record: Box::new(readdress(event, |step| format!("{call}.{step}"))),
        };
        let mut writer = self.writer.clone();
        self.sequence.next(|seq| {
            writer.on_event(&Record {
                seq,
                time: crate::event::now(),
                event: record,
            });
            seq
        })
    }
}

/// `event` with its step id (if it has one) rewritten by `address`.
pub fn readdress(event: &Event, address: impl Fn(&str) -> String) -> Event {
    let Some(step) = event.step() else {
        return event.clone();
    };
    let Ok(mut value) = serde_json::to_value(event) else {
        return event.clone();
    };
    value["step"] = serde_json::Value::String(address(step));
    serde_json::from_value(value).unwrap_or_else(|_| event.clone())
}

/// A journal as read: its records, and what was wrong with it.
#[derive(Debug, Default)]
pub struct Journal {
    pub records: Vec<Record>,
    /// Complete lines that are not records (invalid UTF-8, not JSON, not an
    /// event): the journal was damaged, not merely cut short.
    pub damaged: Vec<Damage>,
    /// A last line without its newline: a write cut short by a crash.
    pub torn: Option<Torn>,
}

/// A damaged line.
#[derive(Clone, Debug, PartialEq)]
pub struct Damage {
    /// 1-based.
    pub line: u64,
    pub reason: String,
}

/// A torn last line.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Torn {
    /// 1-based.
    pub line: u64,
    /// Where it starts: the length of the journal once it is cut off.
    pub offset: u64,
    pub bytes: u64,
}

/// Reads a journal, noting damaged lines and a torn last line instead of
/// failing on them; what to do about them is the caller's decision.
pub fn read(path: &Path) -> io::Result<Journal> {
    let bytes = runbook_dsl::user_file::read(path, runbook_dsl::user_file::MAX_JOURNAL_BYTES)?;
    Ok(parse(&bytes))
}

/// The records of a journal's bytes ([`read`]).
fn parse(bytes: &[u8]) -> Journal {
    let mut journal = Journal::default();
    parse_lines(bytes, 0, 0, &mut journal);
    journal
}

/// Parses `bytes`, the part of a journal that starts at byte `base` after
/// `lines_before` complete lines, into `journal`: each complete line a
/// record or a damaged line, an unfinished last line `journal.torn`.
/// Returns how many bytes the complete lines take (what a follower has
/// consumed; a torn line is read again once it is finished).
pub(crate) fn parse_lines(
    bytes: &[u8],
    base: u64,
    lines_before: u64,
    journal: &mut Journal,
) -> u64 {
    let mut offset = 0usize;
    journal.torn = None;
    for (index, chunk) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let number = lines_before + index as u64 + 1;
        let start = offset;
        let Some(line) = chunk.strip_suffix(b"\n") else {
            journal.torn = Some(Torn {
                line: number,
                offset: base + start as u64,
                bytes: chunk.len() as u64,
            });
            break;
        };
        offset += chunk.len();
        let text = match std::str::from_utf8(line) {
            Ok(text) => text,
            Err(e) => {
                journal.damaged.push(Damage {
                    line: number,
                    reason: format!("not UTF-8 (at byte {})", e.valid_up_to()),
                });
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(text) {
            Ok(record) => journal.records.push(record),
            Err(e) => journal.damaged.push(Damage {
                line: number,
                reason: format!("not a journal record: {e}"),
            }),
        }
    }
    offset as u64
}

/// Cuts a torn last line off the journal, so that what is appended next
/// starts on a line of its own.
pub fn cut_torn(path: &Path, torn: Torn) -> io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(torn.offset)?;
    file.sync_data()
}

/// The journal path of a run.
pub fn path_of(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(run_id).join(FILE_NAME)
}

/// The journal of run `run_id` under the journal directory `dir`, only if
/// it lies there: the id is a plain run id (`run_id::check`), and neither
/// the run's directory nor its journal file is a symbolic link (which could
/// point anywhere). `runbook runs`, `report` and `serve` read through it.
pub fn contained_path(dir: &Path, run_id: &str) -> io::Result<PathBuf> {
    crate::run_id::check(run_id).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let run_dir = dir.join(run_id);
    let journal = run_dir.join(FILE_NAME);
    for (path, what) in [(&run_dir, "run directory"), (&journal, "journal")] {
        let meta = std::fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the {what} `{}` is a symbolic link; a run is read only from inside the journal directory",
                    path.display()
                ),
            ));
        }
    }
    Ok(journal)
}

/// Reads the journal of run `run_id` under `dir`, as [`contained_path`]
/// allows, and without a window between that check and the read: the run
/// directory and then its journal are opened without following a symbolic
/// link (`O_NOFOLLOW`, the journal relative to the directory opened), so a
/// link swapped in meanwhile is refused too.
pub fn read_run(dir: &Path, run_id: &str) -> io::Result<Journal> {
    let bytes = runbook_dsl::user_file::read_file(
        open_run(dir, run_id)?,
        runbook_dsl::user_file::MAX_JOURNAL_BYTES,
    )?;
    Ok(parse(&bytes))
}

/// Opens the journal of run `run_id` under `dir` for reading, as
/// [`read_run`] reads it (see there): [`contained_path`]'s checks, then the
/// run directory and its journal opened without following a link.
pub(crate) fn open_run(dir: &Path, run_id: &str) -> io::Result<File> {
    use nix::fcntl::{openat, OFlag};
    use std::os::unix::fs::OpenOptionsExt;
    contained_path(dir, run_id)?;
    let linked = |e: io::Error| match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => io::Error::new(
            io::ErrorKind::InvalidInput,
            "a symbolic link; a run is read only from inside the journal directory",
        ),
        _ => e,
    };
    let run_dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir.join(run_id))
        .map_err(linked)?;
    let flags = OFlag::O_RDONLY
        | OFlag::O_NOFOLLOW
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_CLOEXEC;
    let fd = openat(&run_dir, FILE_NAME, flags, nix::sys::stat::Mode::empty())
        .map_err(|e| linked(io::Error::from(e)))?;
    Ok(File::from(fd))
}

/// A run as `runbook runs` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSummary {
    /// The run's directory name (what `resume` and `report` take).
    pub run_id: String,
    pub playbook: String,
    pub started: String,
    /// Who started it.
    pub user: String,
    /// `succeeded`, `failed`, `rejected`, `interrupted`, `running` when the
    /// journal has no end and a process holds the run's lock
    /// ([`RunSummary::running_if_held`]), `incomplete` when it has no end
    /// and nobody holds it (a killed process), or
    /// `damaged` when a line of it is not a record (or its first one is not
    /// `run_started`).
    pub status: String,
    /// `run` or `dry_run`: a dry-run's `succeeded` changed nothing.
    pub mode: crate::mode::Mode,
    /// Step ends, those of the playbooks its steps called included (a
    /// calling step runs for as long as its called playbook does).
    pub steps_finished: usize,
    /// What is wrong with a damaged journal.
    pub damage: Option<String>,
    /// The journal's last record is cut short (no newline): torn by a
    /// crash or a full disk while it was written, or, while the run is
    /// going, being written. It is left out; what comes before is read.
    pub torn: bool,
    /// Where the torn record is (`torn`).
    pub torn_record: Option<Torn>,
    /// The run's last end left cleanups (`finally` steps) unfinished, each
    /// `` `ID` (state) ``: `resume` finishes them.
    pub cleanup_unfinished: Vec<String>,
}

impl RunSummary {
    /// `running` instead of `incomplete` while a process holds the lock of
    /// the run's directory `run_dir` (a run still going, or waiting at a
    /// gate), as the kernel says without the lock being taken.
    pub fn running_if_held(mut self, run_dir: &Path) -> RunSummary {
        if self.status == "incomplete" && crate::run_lock::holder(run_dir).is_some() {
            self.status = "running".into();
        }
        self
    }

    /// The journal has no end yet: the run is going, or was killed and may
    /// be resumed.
    pub fn going(&self) -> bool {
        matches!(self.status.as_str(), "incomplete" | "running")
    }

    /// The summary of the journal of run `run_id`; `None` for an empty one.
    pub fn of(run_id: &str, journal: &Journal) -> Option<RunSummary> {
        let records = &journal.records;
        let first = records.first();
        let (playbook, started, user, mode) = match first.map(|r| (&r.event, &r.time)) {
            Some((
                Event::RunStarted {
                    playbook,
                    user,
                    mode,
                    ..
                },
                time,
            )) => (playbook.clone(), time.clone(), user.clone(), *mode),
            _ => Default::default(),
        };
        let mut status = "incomplete".to_string();
        let mut steps_finished = 0;
        let mut cleanup_unfinished = Vec::new();
        for record in records {
            match &record.event {
                Event::StepFinished { .. } => steps_finished += 1,
                Event::Called { .. } if ends_a_called_step(&record.event) => steps_finished += 1,
                Event::RunFinished {
                    status: s,
                    cleanup_unfinished: unfinished,
                    ..
                } => {
                    status = serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    cleanup_unfinished = unfinished.clone();
                }
                Event::RunResumed { .. } => {
                    status = "incomplete".into();
                    cleanup_unfinished.clear();
                }
                _ => {}
            }
        }
        let damage = match (journal.damaged.first(), first.map(|r| &r.event)) {
            (Some(d), _) => Some(format!("line {}: {}", d.line, d.reason)),
            (None, Some(Event::RunStarted { .. })) => None,
            (None, Some(_)) => Some("it does not start with `run_started`".into()),
            (None, None) if journal.torn.is_some() => Some("it holds only a torn line".into()),
            (None, None) => return None,
        };
        if damage.is_some() {
            status = "damaged".into();
        }
        Some(RunSummary {
            run_id: run_id.to_string(),
            playbook,
            started,
            user,
            status,
            mode,
            steps_finished,
            damage,
            torn: journal.torn.is_some(),
            torn_record: journal.torn,
            cleanup_unfinished,
        })
    }
}

/// Every run under a journal directory, oldest first. Only entries that a
/// run could be are read ([`contained_path`]): a plain run id, no symbolic
/// link.
pub fn list(dir: &Path) -> io::Result<Vec<RunSummary>> {
    let mut runs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(runs),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let Some(run_id) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Ok(journal) = read_run(dir, &run_id) else {
            continue;
        };
        if let Some(summary) = RunSummary::of(&run_id, &journal) {
            runs.push(summary.running_if_held(&dir.join(&run_id)));
        }
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

/// Whether a `called` record journals a called playbook's step end.
fn ends_a_called_step(event: &Event) -> bool {
    let mut event = event;
    while let Event::Called { record, .. } = event {
        event = record;
    }
    matches!(event, Event::StepFinished { .. })
}
