//! Command-line arguments.

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Declarative runbooks: playbooks as a checked step graph"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line, exiting with clap's message on an error or
    /// for `--help`/`--version`.
    ///
    /// Building the whole command tree (every subcommand and its arguments)
    /// is a fifth of the instructions of a one-step `runbook run`, so `run`
    /// and `resume` are first parsed by their own arguments alone. Anything
    /// that path does not accept (an error, `--help`) is parsed again by the
    /// whole tree, so every message is the one the whole tree gives.
    pub fn parse_args() -> Cli {
        let args: Vec<OsString> = std::env::args_os().collect();
        Cli::parse_fast(&args).unwrap_or_else(|| Cli::parse_from(args))
    }

    /// `run` and `resume` parsed without the rest of the tree; `None` for
    /// anything else, and for any arguments they do not accept.
    fn parse_fast(args: &[OsString]) -> Option<Cli> {
        let rest = args.get(1..)?;
        let command = match rest.first()?.to_str()? {
            "run" => Command::Run(parse_alone::<RunArgs>("run", rest)?),
            "resume" => Command::Resume(parse_alone::<ResumeArgs>("resume", rest)?),
            _ => return None,
        };
        Some(Cli { command })
    }
}

/// One subcommand's arguments, parsed by a command holding only them.
fn parse_alone<A: Args + FromArgMatches>(name: &'static str, args: &[OsString]) -> Option<A> {
    let command = A::augment_args(clap::Command::new(name));
    let matches = command.try_get_matches_from(args).ok()?;
    A::from_arg_matches(&matches).ok()
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks and print every diagnostic (exit 2 on errors).
    Check {
        /// Playbook files (`.yaml`, `.yml`, `.runbook`), directories
        /// (searched recursively) or quoted glob patterns (`'playbooks/**/*.yaml'`).
        #[arg(required = true, value_name = "PATH")]
        files: Vec<PathBuf>,
        /// `human` for people, `json` (one object per line) for editors and CI annotations.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Print the step graph of a playbook.
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Format `.runbook` files canonically (comments are kept).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not write; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Convert a playbook to the other syntax, printing it to stdout.
    Convert {
        file: PathBuf,
        #[arg(long, value_enum)]
        to: SyntaxArg,
    },
    /// Run a playbook (exit 0 success, 1 a step failed, 2 invalid playbook or
    /// usage, 3 approval rejected or missing, 128 + the signal when
    /// interrupted: 129 SIGHUP, 130 Ctrl-C, 131 SIGQUIT, 143 SIGTERM).
    Run(RunArgs),
    /// Continue a run that stopped (crash, kill, Ctrl-C) without re-running
    /// the steps that succeeded.
    Resume(ResumeArgs),
    /// List the runs in the journal directory.
    Runs {
        #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
        journal_dir: PathBuf,
        /// `human`: a table; `json`: one object listing the runs.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Print a run's journal as a Markdown timeline (a post-incident review draft).
    Report {
        run_id: String,
        #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
        journal_dir: PathBuf,
        /// Report a damaged journal anyway, without its damaged lines.
        #[arg(long)]
        force: bool,
        /// `markdown`: the timeline; `json`: the run's summary and report model.
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
    },
    /// Serve a web console over the journal directory, read-only unless `--decide` (docs/console.md).
    Serve {
        #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
        journal_dir: PathBuf,
        /// The address to listen on; one that is not loopback requires `--token-file`.
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: std::net::SocketAddr,
        /// A file holding the token every request must carry (a bearer token,
        /// or a cookie set by visiting a page with `?token=TOKEN` once; with
        /// `--decide`, sign in at the address it prints instead).
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Decide gates, questions and manual steps from the browser, as the
        /// user running the console (a token is always required to decide:
        /// `--token-file`, mode 0600, or one made at start).
        #[arg(long)]
        decide: bool,
        /// Mark the session cookie `Secure` (behind a TLS-terminating proxy).
        #[arg(long, requires = "decide")]
        secure_cookie: bool,
        /// Serve HTTPS: the PEM certificate chain (the console's own first).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of `--tls-cert`.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Decide over clear HTTP off loopback anyway (the token, the
        /// session cookie and every decision cross the network in clear).
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// Connections open at once, TLS handshakes included; past it the
        /// oldest idle connection is closed to make room (docs/console.md).
        #[arg(long, value_name = "N", default_value_t = crate::console::DEFAULT_MAX_CONNECTIONS,
              value_parser = clap::value_parser!(u32).range(1..=65_536))]
        max_connections: u32,
    },
    /// Execute nothing: list every path through the branches, with the steps
    /// and gates on each.
    Plan {
        file: PathBuf,
        /// `KEY=VALUE`: a known input value (others stay symbolic).
        #[arg(long = "input", value_name = "KEY=VALUE")]
        input: Vec<String>,
    },
    /// Semantic diff of two playbooks (steps, edges, effects, approvals) with risks.
    Diff {
        /// OLD and NEW playbook files; with `--git`, paths (files or
        /// directories) that narrow which changed playbooks are reviewed.
        #[arg(required_unless_present = "git", value_name = "FILES")]
        files: Vec<PathBuf>,
        /// Compare every changed playbook in the working tree with this git revision.
        #[arg(long, value_name = "BASE")]
        git: Option<String>,
        /// `text` for a terminal, `markdown` for a pull-request comment, `json` (one object per playbook).
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Exit 1 when a risk of this severity or above is found.
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<FailOn>,
    },
    /// Lint playbooks: rules beyond `check` (exit 1 on error findings, 2 if invalid).
    Lint {
        /// Playbook files, directories (searched recursively) or quoted glob patterns.
        #[arg(required = true, value_name = "PATH")]
        files: Vec<PathBuf>,
        /// `human` for people, `json` (one object per line) for editors and CI annotations.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// The `runbook.toml` to use (default: the nearest one above each file).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the JSON Schema of YAML playbooks (for editors with yaml-language-server).
    Schema,
    /// Render a playbook as the Markdown runbook an on-call engineer reads.
    Doc { file: PathBuf },
    /// List the gates, `ask` and `manual` steps waiting for a decision, in
    /// every run of the journal directory (or in RUN_ID).
    Pending {
        run_id: Option<String>,
        #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
        journal_dir: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Also list stale records (their process is gone, or no longer
        /// works on the run): they cannot be decided.
        #[arg(long)]
        all: bool,
        /// Remove the stale records you own, or all those of runs whose
        /// directory you own; never a record a live process waits at.
        #[arg(long, conflicts_with = "all")]
        prune: bool,
    },
    /// Approve a waiting gate (or confirm a `manual` step) of another
    /// process's run; you are shown what you approve first.
    Approve(DecideArgs),
    /// Reject a waiting gate, `ask` or `manual` step of another process's run.
    Reject(DecideArgs),
    /// Answer a waiting `ask` (or `manual`: `STEP=done NOTE`) of another
    /// process's run, validated as `--answer` is.
    Answer {
        run_id: String,
        /// `STEP=VALUE`, or `STEP[ELEMENT]=VALUE` for one element of a loop.
        #[arg(value_name = "STEP=VALUE")]
        answer: String,
        #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
        journal_dir: PathBuf,
    },
    /// Rehearse playbooks against their scenario files (`*.scenario.yaml`):
    /// nothing is executed; prints `N passed, M failed`, exit 1 on a failure.
    Test {
        /// Scenario files (a playbook stands for the `NAME.scenario.yaml`
        /// beside it), directories to search or quoted glob patterns
        /// (default: the current directory).
        paths: Vec<PathBuf>,
    },
}

/// The environment variable naming the journal directory (a shared run
/// store); `--journal-dir` wins over it.
pub const JOURNAL_DIR_ENV: &str = runbook_runtime::journal::DIR_ENV;

/// `runbook approve` and `runbook reject`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    pub run_id: String,
    /// The step as `runbook pending` lists it (`CALL.STEP` in a called
    /// playbook); one element of a loop gated per element as `STEP[INDEX]`
    /// or `STEP[LABEL]`, as its printed commands name it.
    pub step: String,
    /// Why: journaled with the decision.
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
    pub journal_dir: PathBuf,
}

/// Arguments of `runbook run`, also used by `resume` for its decisions.
#[derive(Debug, Args)]
pub struct RunArgs {
    pub file: PathBuf,
    /// Execute `read` steps only; print what the others would do; show gates without asking.
    #[arg(long)]
    pub dry_run: bool,
    /// Run at most N steps at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    #[command(flatten)]
    pub decisions: Decisions,
}

/// Inputs, decisions and output, shared by `run` and `resume`.
#[derive(Debug, Args, Clone)]
pub struct Decisions {
    /// `KEY=VALUE`, repeatable.
    #[arg(long = "input", value_name = "KEY=VALUE")]
    pub input: Vec<String>,
    /// A YAML or JSON mapping of inputs.
    #[arg(long, value_name = "FILE")]
    pub inputs_file: Option<PathBuf>,
    /// Approve the gate of this step without asking (repeatable); also
    /// confirms a `manual` step.
    #[arg(long, value_name = "STEP")]
    pub approve: Vec<String>,
    /// Approve every `write` gate; never a `destructive` one (name those with `--approve`).
    #[arg(long)]
    pub yes: bool,
    /// `STEP=VALUE`: the answer to an `ask` step (repeatable).
    #[arg(long, value_name = "STEP=VALUE")]
    pub answer: Vec<String>,
    /// A YAML or JSON mapping of step ids to answers.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Reject a gate left unanswered this long (`30s`, `5m`).
    #[arg(long, value_parser = parse_duration)]
    pub gate_timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Where runs are journaled: `--journal-dir`, else `RUNBOOK_JOURNAL_DIR`,
    /// else `.runbook/runs`.
    #[arg(long, env = JOURNAL_DIR_ENV, default_value = runbook_runtime::journal::DEFAULT_DIR)]
    pub journal_dir: PathBuf,
    /// With no terminal, wait at gates, `ask` and `manual` steps for a
    /// decision from another terminal (`runbook approve`, `reject`,
    /// `answer`) instead of failing closed at once; a gate left undecided
    /// for `--gate-timeout` (default 30m) is rejected.
    #[arg(long)]
    pub wait_for_approval: bool,
    /// Keep at most this much of each output stream and large result of a
    /// step (head and tail, with a marker saying what was dropped): `1MiB`
    /// (default), `64KiB`, `5MB`, or a number of bytes. Lowers a
    /// playbook's or step's `output_cap`, never raises it.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub output_cap: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    pub run_id: String,
    /// Resume even though the playbook changed since the run started, the
    /// journal has damaged lines (they are skipped), or an `--input`
    /// differs from the run's; after cleanups (`finally` steps) began, go
    /// on with the work instead of only finishing them.
    #[arg(long)]
    pub force: bool,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    #[command(flatten)]
    pub decisions: Decisions,
}

/// `1048576`, `64KiB`, `1MiB`, `5MB`, `2k`: bytes, binary or decimal
/// units, within the bounds of an output cap (the same reading as a
/// playbook's `output_cap:`).
fn parse_size(text: &str) -> Result<usize, String> {
    runbook_dsl::size::parse_output_cap(text)
        .map(|bytes| bytes as usize)
        .map_err(|why| format!("`{}` is not an output cap: {why}", text.trim()))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A live view on stderr.
    Human,
    /// One JSON event per line on stdout (see docs/cli.md).
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyntaxArg {
    Yaml,
    Runbook,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    High,
    Medium,
    Low,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path parses exactly what the whole tree parses, and leaves
    /// everything else (errors, help, other commands) to it.
    #[test]
    fn run_and_resume_parse_alone_as_in_the_whole_tree() {
        let accepted: &[&[&str]] = &[
            &["runbook", "run", "p.yaml"],
            &["runbook", "run", "--dry-run", "p.yaml", "--jobs", "3"],
            &[
                "runbook",
                "run",
                "p.yaml",
                "--input",
                "a=b",
                "--input=c=d",
                "--yes",
            ],
            &[
                "runbook",
                "run",
                "p.yaml",
                "--approve",
                "s",
                "--answer",
                "q=x",
                "--output",
                "json",
            ],
            &[
                "runbook",
                "run",
                "p.yaml",
                "--gate-timeout",
                "5m",
                "--output-cap",
                "64KiB",
            ],
            &[
                "runbook",
                "run",
                "--journal-dir",
                "/tmp/j x",
                "--wait-for-approval",
                "--",
                "-p.yaml",
            ],
            &[
                "runbook",
                "resume",
                "20261201T000000Z-abcdef",
                "--force",
                "--jobs",
                "2",
            ],
            &[
                "runbook",
                "resume",
                "r",
                "--inputs-file",
                "i.yaml",
                "--answers",
                "a.yaml",
            ],
        ];
        for args in accepted {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            let fast = Cli::parse_fast(&args).expect("the fast path accepts it");
            let whole = Cli::try_parse_from(&args).expect("the whole tree accepts it");
            assert_eq!(format!("{fast:?}"), format!("{whole:?}"), "{args:?}");
        }
        let declined: &[&[&str]] = &[
            &["runbook"],
            &["runbook", "check", "p.yaml"],
            &["runbook", "run"],
            &["runbook", "run", "--help"],
            &["runbook", "run", "-h"],
            &["runbook", "run", "p.yaml", "--jobs", "0"],
            &["runbook", "run", "p.yaml", "--no-such-flag"],
            &["runbook", "resume"],
            &["runbook", "--version"],
        ];
        for args in declined {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            assert!(Cli::parse_fast(&args).is_none(), "{args:?}");
        }
    }
}
