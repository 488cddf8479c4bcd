//! Terminal subscribers: the live view for people (stderr) and JSON lines
//! for machines (stdout). The runner never prints; these do.

use runbook_runtime::event::{Event, Record, RunStatus, StepState, Stream};
use runbook_runtime::Subscriber;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset.
pub fn color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// One line per thing that happened, with the step's output indented under it.
pub struct Human {
    color: bool,
    titles: HashMap<String, String>,
    /// The step whose line was printed last: output of another step gets a
    /// header, so concurrent steps' lines are never mistaken for each other.
    last: Option<String>,
}

impl Human {
    pub fn new(color: bool, titles: HashMap<String, String>) -> Human {
        Human {
            color,
            titles,
            last: None,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn title(&self, step: &str) -> String {
        match self.titles.get(step) {
            Some(t) => format!(" {}", self.paint("2", t)),
            None => String::new(),
        }
    }
}

fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

impl Subscriber for Human {
    fn on_event(&mut self, record: &Record) {
        if let Some(mut line) = self.line(record) {
            // One write per line: stderr is unbuffered, and `writeln!` would
            // write the line and its newline apart (two syscalls per event).
            line.push('\n');
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

impl Human {
    /// The line (or lines) a record prints in the plain view; `None` for
    /// records that show nothing.
    pub fn line(&mut self, record: &Record) -> Option<String> {
        let line = match &record.event {
            Event::RunStarted {
                run_id,
                playbook,
                mode,
                ..
            } => {
                let mode = match mode {
                    runbook_runtime::Mode::DryRun => " (dry-run: nothing is changed)",
                    runbook_runtime::Mode::Run => "",
                };
                format!(
                    "{} {playbook}{mode}  run {run_id}",
                    self.paint("1", "runbook")
                )
            }
            Event::RunResumed {
                run_id, restored, ..
            } => {
                format!(
                    "{} run {run_id}: {} step(s) already succeeded",
                    self.paint("1", "resuming"),
                    restored.len()
                )
            }
            Event::StepStarted { step, attempt } if *attempt == 1 => {
                format!("{} {step}{}", self.paint("36", "▶"), self.title(step))
            }
            Event::StepStarted { .. } => return None,
            Event::StepOutput { step, stream, line } => {
                let header =
                    if self.last.as_deref() != Some(step.as_str()) && *stream != Stream::Log {
                        format!("  {} {}\n", self.paint("2", "┌"), self.paint("2", step))
                    } else {
                        String::new()
                    };
                let line = match stream {
                    Stream::Log => format!("  {} {step}: {line}", self.paint("34", "ℹ")),
                    Stream::Stdout => format!("{header}  {} {line}", self.paint("2", "│")),
                    Stream::Stderr => format!("{header}  {} {line}", self.paint("33", "│")),
                };
                self.last = Some(step.clone());
                line
            }
            Event::StepRetrying {
                step,
                attempt,
                delay_ms,
                message,
            } => format!(
                "  {} {step}: attempt {attempt} failed ({message}); retrying in {}",
                self.paint("33", "↻"),
                seconds(*delay_ms)
            ),
            Event::StepPolling {
                step,
                attempt,
                every_ms,
                message,
            } => format!(
                "  {} {step}: {message} (attempt {attempt}); again in {}",
                self.paint("2", "…"),
                seconds(*every_ms)
            ),
            Event::StepWouldRun {
                step,
                effect,
                description,
            } => {
                format!(
                    "{} {step}{}  would run ({effect}): {description}",
                    self.paint("35", "◇"),
                    self.title(step)
                )
            }
            Event::GateShown {
                step,
                question,
                effect,
            } => {
                format!(
                    "{} {step}  gate ({effect}), not asked in a dry-run: {question}",
                    self.paint("35", "◇")
                )
            }
            Event::GateRequested { .. } => return None,
            Event::GateDecided {
                step,
                approved,
                who,
                via,
                reason,
                ..
            } => {
                let why = reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                if *approved {
                    format!(
                        "  {} {step} approved by {who} ({via}){why}",
                        self.paint("32", "✓")
                    )
                } else {
                    format!(
                        "  {} {step} rejected by {who} ({via}){why}",
                        self.paint("31", "✗")
                    )
                }
            }
            Event::Answered {
                step,
                answer,
                who,
                via,
            } => {
                format!(
                    "  {} {step}: {answer} ({who}, {via})",
                    self.paint("32", "✓")
                )
            }
            Event::StepInterrupted { step } => {
                format!(
                    "{} {step} was interrupted: it will be asked for again",
                    self.paint("33", "!")
                )
            }
            Event::StepFinished {
                step,
                state,
                message,
                duration_ms,
                simulated,
                ..
            } => {
                let message = message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                let time = seconds(*duration_ms);
                match state {
                    StepState::Succeeded if *simulated => {
                        format!("{} {step} (dry-run){message}", self.paint("35", "◇"))
                    }
                    StepState::Succeeded => format!(
                        "{} {step} {}{message}",
                        self.paint("32", "✓"),
                        self.paint("2", &time)
                    ),
                    StepState::Skipped => {
                        format!("{} {step} skipped{message}", self.paint("2", "–"))
                    }
                    StepState::TimedOut => format!(
                        "{} {step} timed out after {time}{message}",
                        self.paint("31", "⏱")
                    ),
                    StepState::Cancelled => {
                        format!("{} {step} cancelled{message}", self.paint("33", "■"))
                    }
                    other => format!("{} {step} {}{message}", self.paint("31", "✗"), other.name()),
                }
            }
            Event::RunFinished {
                status,
                duration_ms,
                summary,
            } => {
                let counts: Vec<String> = summary.iter().map(|(k, v)| format!("{v} {k}")).collect();
                let word = match status {
                    RunStatus::Succeeded => self.paint("32", "succeeded"),
                    RunStatus::Failed => self.paint("31", "failed"),
                    RunStatus::Rejected => self.paint("31", "stopped at a gate"),
                    RunStatus::Interrupted => self.paint("33", "interrupted"),
                };
                format!(
                    "\nrun {word} in {}: {}",
                    seconds(*duration_ms),
                    counts.join(", ")
                )
            }
        };
        if !matches!(record.event, Event::StepOutput { .. }) {
            self.last = record.event.step().map(str::to_string);
        }
        Some(line)
    }
}

/// `--output json`: every record as one line on stdout.
pub struct JsonLines;

impl Subscriber for JsonLines {
    fn on_event(&mut self, record: &Record) {
        let mut out = std::io::stdout().lock();
        if let Ok(line) = serde_json::to_string(record) {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}
