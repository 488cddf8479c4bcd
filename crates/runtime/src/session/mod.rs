//! Starting a run, the one way: `runbook run`, `runbook resume`, a
//! playbook called by a `playbook` step and a rehearsal all resolve their
//! inputs and start their runner here (the first three also their secrets,
//! their plan hash and their journal), so they cannot drift apart.
//!
//! - [`inputs`]: given values, `env:`, defaults, typed;
//! - [`hash`]: the plan hash, from the checked plan, not the source text;
//! - [`Session`]: a run from the command line: its lock, its journal, its
//!   runner (the binary adds its views and its signal handling);
//! - [`resume`]: picking a stopped run up from its journal;
//! - [`journaled`]: what a journal says about a run that stopped;
//! - [`nest`]: a called playbook's run, journaled inside its caller's;
//! - [`scripted`]: a rehearsal's run, in a scripted world.

pub mod hash;
pub mod inputs;
pub mod journaled;
pub mod nest;
pub mod preflight;
pub mod resume;
pub mod scripted;

use crate::action::Executors;
use crate::bus::{EventBus, Subscriber};
use crate::event::Event;
use crate::journal::{CallJournal, JournalWriter, SharedWriter, WriteFailure};
use crate::journal_sync::FinalSync;
use crate::operator::{current_uid, current_user, Operator};
use crate::pending::{Remote, RunStore, Waiting};
use crate::run_lock::{self, LockError, RunLock};
use crate::runner::{Restored, RunOptions, RunOutcome, Runner};
use crate::{Interruption, Masker, Mode};
use runbook_dsl::plan::Plan;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use hash::plan_hash;

/// A run to start (or to continue) from the command line.
pub struct Session {
    pub plan: Arc<Plan>,
    /// The playbook path as the user gave it (journaled).
    pub playbook_arg: String,
    pub run_id: String,
    pub mode: Mode,
    pub jobs: usize,
    pub journal_dir: PathBuf,
    pub gate_timeout: Option<Duration>,
    /// Where shell steps run: the directory `runbook run` was started in
    /// (journaled in `run_started`, so a resume runs them there too).
    pub workdir: PathBuf,
    /// Bytes kept of each output stream of a step: the default and the
    /// operator's bound.
    pub output_cap: crate::output_cap::OutputCaps,
    /// The inputs, resolved ([`inputs::resolve`]).
    pub inputs: Map<String, Value>,
    /// What a resume brings; `None` for a new run.
    pub continued: Option<Continued>,
    /// How gates wait: a prompt racing remote decisions, remote decisions
    /// only (`--wait-for-approval`), or failing closed at once.
    pub waiting: Waiting,
}

/// A stopped run picked up again (see [`resume`]).
pub struct Continued {
    /// The journal's next sequence number.
    pub seq: u64,
    /// Taken before the journal was read: no other process may append
    /// between the read and this one's first record.
    pub lock: RunLock,
    pub restored: Restored,
    /// What is journaled first (`journal_repaired`, `run_resumed`,
    /// `step_interrupted`), instead of `run_started`.
    pub events: Vec<Event>,
    /// `--force`: called playbooks that changed since are continued too.
    pub force: bool,
    /// Who started and resumed the run before, by uid, from its journal.
    pub ran_by: Vec<u32>,
}

/// Why a run could not start.
#[derive(Debug)]
pub enum OpenError {
    /// The run id is not a plain name (the reason).
    RunId(String),
    /// The run's directory could not be made.
    CreateDir(std::io::Error),
    /// Another process holds the run, or its lock could not be taken.
    Locked(LockError),
    /// The journal could not be opened.
    Journal {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The run would wait for remote decisions (`--wait-for-approval`) but
    /// cannot publish its gates in the run directory (why).
    Gates(String),
}

/// A run whose journal is open: add views with [`Opened::subscribe`], then
/// [`Opened::run`] it.
pub struct Opened {
    bus: EventBus,
    plan: Arc<Plan>,
    mode: Mode,
    options: RunOptions,
    inputs: Map<String, Value>,
    restored: Restored,
    first: Vec<Event>,
    journal_path: PathBuf,
    journal_failure: WriteFailure,
    final_sync: FinalSync,
    /// Where gates are published for remote decisions, and how they wait.
    store: RunStore,
    waiting: Waiting,
    _lock: RunLock,
}

/// How a run from the command line ended.
pub struct Ended {
    pub outcome: RunOutcome,
    /// The first journal write that failed, if one did.
    pub journal_failure: WriteFailure,
    pub journal_path: PathBuf,
    /// Every secret of the run, for what is printed after it.
    pub masker: Masker,
}

impl Session {
    /// Takes the run's lock (a new run; a resume took it before reading),
    /// opens its journal and journals its start once the views are in.
    pub fn open(self) -> Result<Opened, OpenError> {
        crate::run_id::check(&self.run_id).map_err(OpenError::RunId)?;
        let run_dir = self.journal_dir.join(&self.run_id);
        let plan = self.plan;
        let mut bus;
        let lock;
        let journal;
        let restored;
        let first;
        let force;
        let mut ran_by;
        let hash = plan_hash(&plan);
        match self.continued {
            Some(continued) => {
                bus = EventBus::starting_at(continued.seq);
                lock = continued.lock;
                journal = JournalWriter::append(&run_dir);
                restored = continued.restored;
                first = continued.events;
                force = continued.force;
                ran_by = continued.ran_by;
                // Under the lock: what the processes before this one
                // published, nobody waits for any more.
                crate::pending::retire(&run_dir);
            }
            None => {
                std::fs::create_dir_all(&run_dir).map_err(OpenError::CreateDir)?;
                bus = EventBus::new();
                lock = run_lock::acquire(&run_dir).map_err(OpenError::Locked)?;
                ran_by = Vec::new();
                // `gates/` is its owner's from the start, so that a
                // colleague who resumes the run can publish in it.
                if self.mode == Mode::Run {
                    let _ = crate::pending::files::Gates::create(&run_dir);
                }
                journal = JournalWriter::create(&run_dir);
                restored = Restored::default();
                force = false;
                first = vec![Event::RunStarted {
                    run_id: self.run_id.clone(),
                    playbook: self.playbook_arg.clone(),
                    name: plan.playbook().name.as_ref().map(|n| n.value.clone()),
                    plan_hash: hash.clone(),
                    mode: self.mode,
                    inputs: inputs::shown(plan.playbook(), &self.inputs),
                    user: current_user(),
                    workdir: self.workdir.display().to_string(),
                    uid: Some(current_uid()),
                    output_cap: self.output_cap.journaled(),
                }];
            }
        }
        let journal = journal.map_err(|error| OpenError::Journal {
            path: run_dir.clone(),
            error,
        })?;
        *bus.masker_mut() = inputs::secrets(plan.playbook(), &self.inputs);
        let journal_path = journal.path().to_path_buf();
        let journal_failure = journal.failure();
        let final_sync = journal.final_sync();
        let writer = SharedWriter::new(journal);
        bus.subscribe(Box::new(writer.clone()));
        // Called playbooks journal their runs inside this one's.
        let calls = CallJournal {
            run_id: self.run_id.clone(),
            writer,
            sequence: bus.sequence(),
            address: String::new(),
            force,
        };
        // The run directory's owner started the run, whatever its journal
        // says.
        if let Ok(meta) = std::fs::metadata(&run_dir) {
            ran_by.insert(0, std::os::unix::fs::MetadataExt::uid(&meta));
        }
        let store = RunStore {
            run_dir: run_dir.clone(),
            run_id: self.run_id.clone(),
            plan_hash: hash.clone(),
            ran_by,
        };
        if self.waiting == Waiting::Remote && self.mode == Mode::Run {
            store.publishable().map_err(OpenError::Gates)?;
        }
        let options = RunOptions {
            mode: self.mode,
            jobs: self.jobs,
            workdir: self.workdir,
            playbook_dir: playbook_dir(&plan),
            gate_timeout: self.gate_timeout,
            plan_hash: hash,
            output_cap: self.output_cap,
            journal: Some(calls),
            ..RunOptions::default()
        };
        Ok(Opened {
            bus,
            mode: self.mode,
            plan,
            options,
            inputs: self.inputs,
            restored,
            first,
            journal_path,
            journal_failure,
            final_sync,
            store,
            waiting: self.waiting,
            _lock: lock,
        })
    }
}

impl Opened {
    /// Adds a subscriber (a view, JSON lines) beside the journal.
    pub fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) {
        self.bus.subscribe(subscriber);
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The journal's final sync, for a process that outlives this one to
    /// take over (see [`crate::journal_sync`]).
    pub fn final_sync(&self) -> FinalSync {
        self.final_sync.clone()
    }

    /// Runs the plan to its end with `actions` and `operator` on a
    /// single-threaded runtime (steps wait on processes and timers, not on
    /// the CPU, and it starts faster), journaling every event. `watch` is
    /// called on that runtime before the first step, with the run's
    /// cancellation and interruption: the binary hooks its signals there.
    pub fn run(
        mut self,
        actions: Arc<dyn Executors>,
        operator: Arc<dyn Operator>,
        watch: impl FnOnce(CancellationToken, Interruption),
    ) -> Result<Ended, std::io::Error> {
        for event in std::mem::take(&mut self.first) {
            self.bus.publish(event);
        }
        let interruption = Interruption::new();
        self.options.interruption = interruption.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // A dry-run asks nobody: its gates are shown, not published.
        let waiting = if self.mode == Mode::DryRun {
            Waiting::FailClosed
        } else {
            self.waiting
        };
        let operator: Arc<dyn Operator> = Arc::new(Remote::new(operator, self.store, waiting));
        let runner = Runner::new(self.plan.clone(), actions, operator, self.options);
        let bus = &mut self.bus;
        let (inputs, restored) = (self.inputs, self.restored);
        let outcome = runtime.block_on(async {
            let cancel = CancellationToken::new();
            watch(cancel.clone(), interruption.clone());
            runner.run(bus, inputs, restored, cancel).await
        });
        runtime.shutdown_timeout(Duration::from_millis(100));
        Ok(Ended {
            outcome,
            journal_failure: self.journal_failure,
            journal_path: self.journal_path,
            masker: self.bus.masker().clone(),
        })
    }
}

/// The directory a `playbook` step's path is relative to: the playbook's.
pub fn playbook_dir(plan: &Plan) -> PathBuf {
    let dir = Path::new(plan.file().name())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}
