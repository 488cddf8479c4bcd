//! How a run behaves, apart from the plan.

use crate::mode::Mode;
use crate::operator::Prompts;
use std::path::PathBuf;
use std::time::Duration;

/// How a run behaves, apart from the plan.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub mode: Mode,
    /// At most this many step actions at once (`--jobs`).
    pub jobs: usize,
    /// Where shell steps run and their relative `workdir` resolves: the
    /// directory the operator started `runbook` in, not the playbook's, so
    /// `pg_dump > backup.sql` writes where the operator is.
    pub workdir: PathBuf,
    /// Where a `playbook` step's `path` resolves: the playbook's directory.
    pub playbook_dir: PathBuf,
    /// A gate unanswered for this long is rejected.
    pub gate_timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL of a step's process group.
    pub kill_grace: Duration,
    /// The interval of an `until` that gives no `every`.
    pub default_poll: Duration,
    /// Journaled with every gate decision.
    pub plan_hash: String,
    /// Why the run's cancellation token was cancelled, when a signal did it.
    pub interruption: crate::Interruption,
    /// Bytes kept of each output stream of a step: the default and the
    /// operator's bound (`--output-cap`); a playbook or step may set its own.
    pub output_cap: crate::output_cap::OutputCaps,
    /// One prompt at a time on the terminal: shared with the runners of
    /// called playbooks, whose prompts go to the same operator.
    pub prompt: Prompts,
    /// How many `playbook` steps this run is nested in (0 for the run the
    /// command line started); calls stop at [`runbook_dsl::analyze::MAX_CALL_DEPTH`].
    pub call_depth: usize,
    /// Where the playbooks this run's steps call journal their runs: this
    /// run's journal. `None` without a journal (a rehearsal).
    pub journal: Option<crate::journal::CallJournal>,
    /// What the playbooks its steps call leave for it: their unfinished
    /// cleanups, the strings they declared plain.
    pub called_runs: crate::called_runs::CalledRuns,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            mode: Mode::Run,
            jobs: 8,
            workdir: PathBuf::from("."),
            playbook_dir: PathBuf::from("."),
            gate_timeout: None,
            kill_grace: Duration::from_secs(2),
            default_poll: Duration::from_secs(5),
            plan_hash: String::new(),
            interruption: crate::Interruption::new(),
            output_cap: Default::default(),
            prompt: Prompts::default(),
            call_depth: 0,
            journal: None,
            called_runs: Default::default(),
        }
    }
}
