//! `runbook run FILE`: check the playbook, refuse what cannot run, resolve
//! inputs, then run it with the terminal view (or JSON lines) and a journal.
//! `resume` shares [`execute`].

use super::{load, INVALID, JOURNAL_FAILED};
use crate::cli::{Decisions, OutputFormat, RunArgs};
use crate::inputs::{self, Given};
use crate::prompt::Terminal;
use crate::view;
use runbook_dsl::ast::Action as StepAction;
use runbook_dsl::diagnostic::Report;
use runbook_dsl::plan::Plan;
use runbook_runtime::event::Event;
use runbook_runtime::journal::{self, JournalWriter, WriteFailure};
use runbook_runtime::operator::{current_user, Operator, Preapproved};
use runbook_runtime::run_lock::RunLock;
use runbook_runtime::runner::{Restored, RunOptions, RunOutcome, Runner};
use runbook_runtime::{EventBus, Interruption, Masker, Mode, RunStatus};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `runbook run`.
pub fn run(args: &RunArgs) -> i32 {
    let checked = load(&args.file);
    crate::diagnostics::human(&checked.file, &checked.diagnostics);
    let Some(plan) = checked.plan else {
        return INVALID;
    };
    if let Some(problem) = not_runnable(&plan) {
        eprint!("{}", problem.render(crate::diagnostics::style()));
        return INVALID;
    }
    let given = match Given::read(&args.decisions.input, args.decisions.inputs_file.as_deref()) {
        Ok(given) => given,
        Err(e) => return usage(&e),
    };
    let inputs = match inputs::resolve(plan.playbook(), &given) {
        Ok(inputs) => inputs,
        Err(errors) => {
            for e in errors {
                eprintln!("runbook run: {e}");
            }
            return INVALID;
        }
    };
    let operator = match operator(&args.decisions, &plan) {
        Ok(op) => op,
        Err(code) => return code,
    };
    let run_id = journal::new_run_id();
    let session = Session {
        plan: Arc::new(plan),
        playbook_arg: args.file.display().to_string(),
        run_id,
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Run
        },
        jobs: args.jobs as usize,
        journal_dir: args.decisions.journal_dir.clone(),
        output: args.decisions.output,
        gate_timeout: args.decisions.gate_timeout,
        workdir: started_in(),
        seq: 0,
        output_cap: args.decisions.output_cap,
        lock: None,
    };
    execute(session, inputs, operator, Restored::default(), Vec::new())
}

fn usage(message: &str) -> i32 {
    eprintln!("runbook: {message}");
    INVALID
}

/// A diagnostic listing the steps whose kinds have no action yet, pointing
/// at the first of them (a label per step would draw the whole file).
pub fn not_runnable(plan: &Plan) -> Option<Report> {
    let mut steps = Vec::new();
    let mut first = None;
    for i in 0..plan.len() {
        let (step, _) = plan.step(i);
        if let StepAction::Kind { name, .. } = &step.action {
            if !runbook_stdlib::actions::is_runnable(&name.value) {
                steps.push(format!("`{}` ({})", step.id.value, name.value));
                first.get_or_insert((name.span, name.value.clone()));
            }
        }
    }
    let (span, kind) = first?;
    let runnable: Vec<String> = runbook_stdlib::actions::RUNNABLE
        .iter()
        .map(|k| format!("`{k}`"))
        .collect();
    Some(
        Report::problem(
            plan.file(),
            "runbook::not_runnable",
            format!("{} step(s) use kinds that cannot run in this version: {}", steps.len(), steps.join(", ")),
        )
        .label(span, format!("`{kind}` cannot run yet"))
        .help(format!(
            "nothing was run. Kinds that run now: {}; `runbook plan` shows every path without running anything",
            runnable.join(", ")
        )),
    )
}

/// The operator: a terminal prompt when stdin is a terminal, otherwise the
/// command-line decisions only (fail closed). The decisions are checked
/// against the playbook first; `Err` is the exit code when they are wrong.
pub fn operator(args: &Decisions, plan: &Plan) -> Result<Arc<dyn Operator>, i32> {
    let preapproved = preapproved(args).map_err(|e| usage(&e))?;
    let problems = crate::decisions::check(plan, &preapproved);
    if !problems.is_empty() {
        for problem in problems {
            eprint!("{}", problem.render(crate::diagnostics::style()));
        }
        return Err(INVALID);
    }
    Ok(if std::io::stdin().is_terminal() {
        Arc::new(Terminal::new(preapproved))
    } else {
        Arc::new(preapproved)
    })
}

/// The decisions given on the command line, as written.
fn preapproved(args: &Decisions) -> Result<Preapproved, String> {
    let mut answers = HashMap::new();
    if let Some(file) = &args.answers {
        for (k, v) in inputs::read_mapping(file)? {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            answers.insert(k, v);
        }
    }
    for pair in &args.answer {
        let (k, v) = inputs::split_pair(pair, "--answer")?;
        answers.insert(k, v);
    }
    Ok(Preapproved {
        steps: args.approve.iter().cloned().collect(),
        yes: args.yes,
        answers,
        who: current_user(),
    })
}

/// What a run or a resume needs besides inputs and the operator.
pub struct Session {
    pub plan: Arc<Plan>,
    /// The playbook path as the user gave it (journaled).
    pub playbook_arg: String,
    pub run_id: String,
    pub mode: Mode,
    pub jobs: usize,
    pub journal_dir: PathBuf,
    pub output: OutputFormat,
    pub gate_timeout: Option<Duration>,
    /// Where shell steps run: the directory `runbook run` was started in
    /// (journaled in `run_started`, so a resume runs them there too).
    pub workdir: PathBuf,
    /// The journal's next sequence number (0 for a new run).
    pub seq: u64,
    /// Bytes kept of each output stream of a step.
    pub output_cap: usize,
    /// The run's lock, when the caller took it (resume does, before it
    /// reads the journal); otherwise [`execute`] takes it.
    pub lock: Option<RunLock>,
}

/// SHA-256 of the playbook source, hex: what `resume` compares.
pub fn plan_hash(plan: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(plan.file().text().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a session to its end; returns the exit code. Its messages never
/// panic when stderr is gone (a SIGHUP when the terminal closed): the run
/// still ends properly, journaled, with its exit code.
pub fn execute(
    session: Session,
    inputs: Map<String, Value>,
    mut operator: Arc<dyn Operator>,
    restored: Restored,
    resumed: Vec<Event>,
) -> i32 {
    let plan = session.plan.clone();
    let mut bus = EventBus::starting_at(session.seq);
    *bus.masker_mut() = secrets(&plan, &inputs);
    if let Err(code) = crate::run_dir::check_id(&session.run_id) {
        return code;
    }
    let run_dir = session.journal_dir.join(&session.run_id);
    // A new run takes its lock here; a resume took it before reading.
    let _lock = match session.lock {
        Some(lock) => lock,
        None => {
            if let Err(e) = std::fs::create_dir_all(&run_dir) {
                return usage(&format!(
                    "cannot create the journal under `{}`: {e}",
                    session.journal_dir.display()
                ));
            }
            match crate::run_dir::lock(&run_dir, &session.run_id) {
                Ok(lock) => lock,
                Err(code) => return code,
            }
        }
    };
    let journal = match session.seq {
        0 => JournalWriter::create(&run_dir),
        _ => JournalWriter::append(&run_dir),
    };
    let journal = match journal {
        Ok(j) => j,
        Err(e) => {
            return usage(&format!(
                "cannot open the journal in `{}`: {e}",
                run_dir.display()
            ))
        }
    };
    let journal_path = journal.path().to_path_buf();
    let journal_failure = journal.failure();
    bus.subscribe(Box::new(journal));
    let color = crate::palette::stderr();
    match session.output {
        OutputFormat::Json => bus.subscribe(Box::new(view::JsonLines)),
        OutputFormat::Human => {
            let titles = (0..plan.len())
                .filter_map(|i| {
                    let step = plan.step(i).0;
                    step.title
                        .as_ref()
                        .map(|t| (step.id.value.clone(), t.value.clone()))
                })
                .collect();
            // Live only on a terminal with colour (no `NO_COLOR`); forced
            // colour on a pipe (`CLICOLOR_FORCE`) colours the plain lines.
            if color && std::io::stderr().is_terminal() {
                let screen = crate::live::Screen::new();
                operator = Arc::new(crate::live::Pausing {
                    inner: operator,
                    screen: screen.clone(),
                });
                bus.subscribe(Box::new(crate::live::Live::new(screen, titles)));
            } else {
                bus.subscribe(Box::new(view::Human::new(color, titles)));
            }
        }
    }
    let hash = plan_hash(&plan);
    let playbook_dir = plan_dir(&plan);
    if !resumed.is_empty() {
        for event in resumed {
            bus.publish(event);
        }
    } else {
        {
            let mut shown = inputs.clone();
            for input in &plan.playbook().inputs {
                if input.is_secret() {
                    if let Some(v) = shown.get_mut(&input.name.value) {
                        *v = Value::String(runbook_runtime::mask::MASK.into());
                    }
                }
            }
            bus.publish(Event::RunStarted {
                run_id: session.run_id.clone(),
                playbook: session.playbook_arg.clone(),
                name: plan.playbook().name.as_ref().map(|n| n.value.clone()),
                plan_hash: hash.clone(),
                mode: session.mode,
                inputs: shown,
                user: current_user(),
                workdir: session.workdir.display().to_string(),
            })
        }
    }
    let interruption = Interruption::new();
    let options = RunOptions {
        mode: session.mode,
        jobs: session.jobs,
        workdir: session.workdir.clone(),
        playbook_dir,
        gate_timeout: session.gate_timeout,
        plan_hash: hash,
        interruption: interruption.clone(),
        output_cap: session.output_cap,
        ..RunOptions::default()
    };
    if let Ok(exe) = std::env::current_exe() {
        runbook_stdlib::watchdog::install(exe);
    }
    // One thread: steps wait on processes and timers, not on the CPU, and a
    // single-threaded runtime starts faster (the startup budget is 10 ms).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(&format!("cannot start the runtime: {e}")),
    };
    let runner = Runner::new(
        plan.clone(),
        Arc::new(runbook_stdlib::actions::Builtins),
        operator,
        options,
    );
    let outcome: RunOutcome = runtime.block_on(async {
        let cancel = CancellationToken::new();
        if let Err(e) = crate::signals::watch(cancel.clone(), interruption.clone()) {
            let _ = writeln!(
                std::io::stderr(),
                "runbook: cannot handle signals ({e}): a signal will end runbook at once"
            );
        }
        runner.run(&mut bus, inputs, restored, cancel).await
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    if session.output == OutputFormat::Human {
        for failure in outcome.failures.iter().filter(|f| !f.handled) {
            let step = plan.step(failure.step).0;
            let message = bus.masker().mask(&failure.message);
            let mut problem = Report::problem(
                plan.file(),
                "runbook::step_failed",
                format!("step `{}` {}", step.id.value, failure.state.name()),
            )
            .label(step.id.span, message);
            if let Some(span) = failure.span.or_else(|| assertion_span(&plan, failure.step)) {
                if span != step.id.span && span.end > span.start {
                    problem = problem.label(span, "here");
                }
            }
            let _ = write!(
                std::io::stderr(),
                "{}",
                problem.render(crate::diagnostics::style())
            );
        }
        let handled: Vec<String> = outcome
            .failures
            .iter()
            .filter(|f| f.handled)
            .map(|f| format!("`{}`", plan.step(f.step).0.id.value))
            .collect();
        if !handled.is_empty() {
            let _ = writeln!(
                std::io::stderr(),
                "failed, handled by `on_failure`: {}",
                handled.join(", ")
            );
        }
        let code = exit_code(&outcome, &interruption, &journal_failure);
        if code != 0 && session.mode == Mode::DryRun {
            // A dry-run changed nothing, so there is nothing to resume
            // (and `resume` refuses a dry-run's journal).
            let _ = writeln!(
                std::io::stderr(),
                "journal: {}\nreport with `runbook report {}`; fix the cause and dry-run again",
                journal_path.display(),
                session.run_id
            );
        } else if code != 0 {
            let _ = writeln!(
                std::io::stderr(),
                "journal: {}\nresume with `runbook resume {}`, report with `runbook report {}`",
                journal_path.display(),
                session.run_id,
                session.run_id
            );
        }
    }
    // Last, in both output formats: the record of the run is incomplete.
    if let Some(e) = journal_failure.get() {
        let _ = writeln!(std::io::stderr(),
            "runbook: but the journal is incomplete: writing {} failed ({e}); what happened after that is not recorded (exit {JOURNAL_FAILED} when the steps succeeded)",
            journal_path.display()
        );
    }
    exit_code(&outcome, &interruption, &journal_failure)
}

/// The exit code of a run: its status's, or 128 + N for an interruption by
/// signal N; a run that succeeded but could not be fully journaled exits
/// [`JOURNAL_FAILED`].
fn exit_code(outcome: &RunOutcome, interruption: &Interruption, journal: &WriteFailure) -> i32 {
    match outcome.status {
        RunStatus::Interrupted => crate::signals::exit_code(interruption),
        RunStatus::Succeeded if journal.get().is_some() => JOURNAL_FAILED,
        status => status.exit_code(),
    }
}

/// The `that` of an assert step, to point at the expression that failed.
fn assertion_span(plan: &Plan, step: usize) -> Option<runbook_dsl::Span> {
    let (s, p) = plan.step(step);
    (s.action.kind_name() == "assert")
        .then(|| p.params.get("that").map(|t| t.span))
        .flatten()
}

/// The directory `runbook` was started in, where shell steps run.
pub fn started_in() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// The directory a `playbook` step's path is relative to: the playbook's.
fn plan_dir(plan: &Plan) -> PathBuf {
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

/// The masker for a run: every secret input's value.
pub fn secrets(plan: &Plan, inputs: &Map<String, Value>) -> Masker {
    let mut masker = Masker::new();
    for input in &plan.playbook().inputs {
        if input.is_secret() {
            if let Some(v) = inputs.get(&input.name.value) {
                masker.add_value(v);
            }
        }
    }
    masker
}
