//! Terminal subscribers: the live view for people (stderr) and JSON lines
//! for machines (stdout). The runner never prints; these do.

pub mod long_line;
pub mod tab_stops;

use crate::palette::Palette;
use long_line::JoinedLine;
use runbook_dsl::terminal_text::escape;
use runbook_runtime::event::{Event, Record, RunStatus, StepState, Stream};
use runbook_runtime::operator::Via;
use runbook_runtime::waiting_line::{self, duration as seconds};
use runbook_runtime::Subscriber;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

/// A record as a person's terminal may show it: control characters in any
/// of its strings escaped (`\x1b`), so a step's output or a playbook's text
/// cannot clear, retitle or redraw the terminal. The journal and `--output
/// json` keep the exact record.
pub fn for_terminal(record: &Record) -> Cow<'_, Record> {
    if let Event::StepOutput {
        step,
        stream,
        line,
        continues,
        crlf,
        item,
    } = &record.event
    {
        if let (Cow::Borrowed(_), Cow::Borrowed(_)) = (escape(step), escape(line)) {
            return Cow::Borrowed(record);
        }
        return Cow::Owned(Record {
            event: Event::StepOutput {
                step: escape(step).into_owned(),
                stream: *stream,
                line: escape(line).into_owned(),
                continues: *continues,
                crlf: *crlf,
                item: *item,
            },
            ..record.clone()
        });
    }
    if !may_need_escaping(record) {
        return Cow::Borrowed(record);
    }
    let Ok(mut value) = serde_json::to_value(record) else {
        return Cow::Borrowed(record);
    };
    if !escape_strings(&mut value) {
        return Cow::Borrowed(record);
    }
    serde_json::from_value(value).map_or(Cow::Borrowed(record), Cow::Owned)
}

/// Whether a string of `record` may hold a character [`escape`] changes,
/// read off its JSON text (one pass, no tree of values): JSON writes C0
/// controls as `\u00XX` (or `\b`, `\f`, `\r`; a tab and a newline, which
/// stay, as `\t` and `\n`) and every other character as itself. `true` is
/// only a maybe (a carriage return before a newline stays).
fn may_need_escaping(record: &Record) -> bool {
    let Ok(json) = serde_json::to_string(record) else {
        return true;
    };
    let mut bytes = json.bytes();
    while let Some(b) = bytes.next() {
        if b == b'\\' && matches!(bytes.next(), Some(b'u' | b'b' | b'f' | b'r')) {
            return true;
        }
    }
    matches!(escape(&json), Cow::Owned(_))
}

/// Escapes every string (keys included) in a JSON value; whether any changed.
fn escape_strings(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => match escape(s) {
            Cow::Owned(escaped) => {
                *s = escaped;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |c, v| escape_strings(v) | c),
        Value::Object(map) => {
            let mut changed = false;
            for (key, mut v) in std::mem::take(map) {
                changed |= escape_strings(&mut v);
                let escaped = escape(&key).into_owned();
                changed |= escaped != key;
                map.insert(escaped, v);
            }
            changed
        }
        _ => false,
    }
}

/// Titles as the terminal shows them (see [`for_terminal`]).
pub fn titles_for_terminal(titles: HashMap<String, String>) -> HashMap<String, String> {
    titles
        .into_iter()
        .map(|(k, v)| (escape(&k).into_owned(), escape(&v).into_owned()))
        .collect()
}

/// One line per thing that happened, with the step's output indented under it.
pub struct Human {
    palette: Palette,
    titles: HashMap<String, String>,
    /// The step whose line was printed last: output of another step gets a
    /// header, so concurrent steps' lines are never mistaken for each other.
    last: Option<String>,
    /// The instructions of `manual` steps being asked, by step: shown with
    /// the confirmation when no prompt showed them (`--approve STEP`).
    instructions: HashMap<String, String>,
    /// The output line written last, without its line break yet: the next
    /// piece of it (a long line the reader cut) is written after it, so
    /// that it reads as the one line the step printed; anything else
    /// breaks the line first.
    open: Option<(String, JoinedLine)>,
    /// The loop element (`STEP [INDEX] LABEL`) whose own gate was refused
    /// last: its `rejected` line then does not repeat the reason the
    /// gate's line gave.
    refused: Option<String>,
}

impl Human {
    pub fn new(color: bool, titles: HashMap<String, String>) -> Human {
        Human {
            palette: Palette::new(color),
            titles: titles_for_terminal(titles),
            last: None,
            instructions: HashMap::new(),
            open: None,
            refused: None,
        }
    }

    fn title(&self, step: &str) -> String {
        match self.titles.get(step) {
            Some(t) => format!(" {}", self.palette.dim(t)),
            None => String::new(),
        }
    }
}

impl Subscriber for Human {
    fn on_event(&mut self, record: &Record) {
        let text = self.text(record);
        if !text.is_empty() {
            // One write per event: stderr is unbuffered, and `writeln!`
            // would write the line and its newline apart (two syscalls).
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
    }

    /// A run that ended without its last record still ends its last line.
    fn finish(&mut self) {
        if self.open.take().is_some() {
            let _ = std::io::stderr().lock().write_all(b"\n");
        }
    }
}

impl Human {
    /// The line (or lines) a record prints in the plain view; `None` for
    /// records that show nothing.
    pub fn line(&mut self, record: &Record) -> Option<String> {
        let escaped = for_terminal(record);
        let record = &*escaped;
        let line = match &record.event {
            Event::RunStarted {
                run_id,
                playbook,
                mode,
                workdir,
                ..
            } => {
                let mode = match mode {
                    runbook_runtime::Mode::DryRun => " (dry-run: nothing is changed)",
                    runbook_runtime::Mode::Run => "",
                };
                // Where `> backup.sql` lands: the operator's directory, not
                // the playbook's.
                format!(
                    "{} {playbook}{mode}  run {run_id}\n  {}",
                    self.palette.bold("runbook"),
                    self.palette.dim(&format!("shell steps run in {workdir}"))
                )
            }
            Event::RunResumed {
                run_id,
                restored,
                elements_kept,
                ..
            } => {
                format!(
                    "{} run {run_id}: {} step(s) already succeeded{}",
                    self.palette.bold("resuming"),
                    restored.len(),
                    kept_elements(*elements_kept)
                )
            }
            Event::StepStarted { step, attempt, .. } if *attempt == 1 => {
                format!("{} {step}{}", self.palette.cyan("▶"), self.title(step))
            }
            Event::StepStarted { .. } => return None,
            Event::ItemStarted {
                step,
                index,
                label,
                attempt,
                ..
            } if *attempt == 1 => {
                format!("  {} {step} [{index}] {label}", self.palette.cyan("▶"))
            }
            Event::ItemStarted { .. } => return None,
            Event::ItemFinished {
                step,
                index,
                label,
                state,
                message,
                ..
            } => {
                let element = format!("{step} [{index}] {label}");
                let said = *state == StepState::Rejected
                    && self.refused.take().as_deref() == Some(element.as_str());
                let message = message
                    .as_ref()
                    .filter(|_| !said)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                match state {
                    StepState::Succeeded => {
                        format!("  {} {step} [{index}] {label}", self.palette.green("✓"))
                    }
                    other => format!(
                        "  {} {step} [{index}] {label} {}{message}",
                        self.palette.red("✗"),
                        other.name()
                    ),
                }
            }
            Event::VarComputed { name, value } => format!(
                "  {} vars.{name} = {}",
                self.palette.dim("="),
                shown_value(value)
            ),
            Event::StepOutput {
                step, stream, line, ..
            } => {
                let header =
                    if self.last.as_deref() != Some(step.as_str()) && *stream != Stream::Log {
                        format!("  {} {}\n", self.palette.dim("┌"), self.palette.dim(step))
                    } else {
                        String::new()
                    };
                let line = match stream {
                    Stream::Log => format!("  {} {step}: {line}", self.palette.blue("ℹ")),
                    Stream::Stdout => format!("{header}  {} {line}", self.palette.dim("│")),
                    Stream::Stderr => format!("{header}  {} {line}", self.palette.yellow("│")),
                };
                self.last = Some(step.clone());
                line
            }
            Event::StepRetrying { .. } => format!(
                "  {} {}",
                self.palette.yellow("↻"),
                waiting_line::retry_or_poll(&record.event).unwrap_or_default()
            ),
            Event::StepPolling { .. } => format!(
                "  {} {}",
                self.palette.dim("…"),
                waiting_line::retry_or_poll(&record.event).unwrap_or_default()
            ),
            Event::StepWouldRun {
                step,
                effect,
                description,
            } => {
                format!(
                    "{} {step}{}  would run ({effect}): {}",
                    self.palette.magenta("◇"),
                    self.title(step),
                    continued(description)
                )
            }
            Event::GateShown {
                step,
                question,
                effect,
            } => {
                format!(
                    "{} {step}  gate ({effect}), not asked in a dry-run: {}",
                    self.palette.magenta("◇"),
                    continued(question)
                )
            }
            Event::GateRequested { .. } => return None,
            Event::GateDecided {
                step,
                element,
                approved,
                who,
                via,
                reason,
                ..
            } => {
                let why = reason
                    .as_ref()
                    .map(|r| format!(": {}", one_line(r)))
                    .unwrap_or_default();
                // A loop element's own gate: which element was decided.
                let step = match element {
                    Some(element) => format!("{step} {element}"),
                    None => step.clone(),
                };
                self.refused = (!approved && element.is_some()).then(|| step.clone());
                let who = via.decided_by(who);
                if *approved {
                    format!(
                        "  {} {step} approved by {who} ({via}){why}",
                        self.palette.green("✓")
                    )
                } else {
                    format!(
                        "  {} {step} rejected by {who} ({via}){why}",
                        self.palette.red("✗")
                    )
                }
            }
            Event::Asked {
                step, kind, text, ..
            } => {
                if kind == "manual" {
                    self.instructions.insert(step.clone(), text.clone());
                }
                return None;
            }
            Event::Answered {
                step,
                answer,
                who,
                via,
            } => match self.instructions.remove(step) {
                Some(text) => {
                    let note = match answer.as_str() {
                        Some("") | None => String::new(),
                        Some(note) => format!(": {}", one_line(note)),
                    };
                    let mut line = format!(
                        "  {} {step} done, confirmed by {who} ({via}){note}",
                        self.palette.green("✓")
                    );
                    // The prompt showed the instructions; the command line did not.
                    if *via != Via::Terminal {
                        for l in text.lines() {
                            line.push_str(&format!("\n    {} {l}", self.palette.dim("│")));
                        }
                    }
                    line
                }
                None => format!(
                    "  {} {step}: {} ({}, {via})",
                    self.palette.green("✓"),
                    via.decided_by(who),
                    one_line(&answer.to_string())
                ),
            },
            Event::StepInterrupted { step } => {
                format!(
                    "{} {step} was interrupted: it may have done part of its work",
                    self.palette.yellow("!")
                )
            }
            Event::RunInterrupted { signal } => {
                format!(
                    "{} interrupted by {signal}: stopping the running steps",
                    self.palette.yellow("■")
                )
            }
            Event::RunInterruptedAgain { signal } => {
                format!(
                    "{} {signal} again: killing what still runs at once, the cleanups too",
                    self.palette.yellow("■")
                )
            }
            Event::JournalRepaired {
                line,
                dropped_bytes,
            } => {
                format!(
                    "{} the journal's last line ({line}) was torn by a crash: cut off {dropped_bytes} byte(s)",
                    self.palette.yellow("!")
                )
            }
            Event::StepFinished {
                step,
                state,
                message,
                duration_ms,
                simulated,
                results,
                ..
            } => {
                let message = message
                    .as_ref()
                    .map(|m| format!(": {}", continued(m)))
                    .unwrap_or_default();
                let time = seconds(*duration_ms);
                // What the step read, under its line.
                let mut evidence = String::new();
                for line in runbook_runtime::evidence::lines(results) {
                    evidence.push_str(&format!("\n    {} {line}", self.palette.dim("│")));
                }
                let line = match state {
                    StepState::Succeeded if *simulated => {
                        format!("{} {step} (dry-run){message}", self.palette.magenta("◇"))
                    }
                    StepState::Succeeded => format!(
                        "{} {step} {}{message}",
                        self.palette.green("✓"),
                        self.palette.dim(&time)
                    ),
                    StepState::Skipped => {
                        format!("{} {step} skipped{message}", self.palette.dim("–"))
                    }
                    // The runner's message says the timeout it reached
                    // ("timed out after 1s: ..."); a journal without one
                    // gets the time it ran.
                    StepState::TimedOut => match message.strip_prefix(": ") {
                        Some(said) if said.starts_with("timed out") => {
                            format!("{} {step} {said}", self.palette.red("⏱"))
                        }
                        _ => format!(
                            "{} {step} timed out after {time}{message}",
                            self.palette.red("⏱")
                        ),
                    },
                    StepState::Cancelled => {
                        format!("{} {step} cancelled{message}", self.palette.yellow("■"))
                    }
                    other => format!("{} {step} {}{message}", self.palette.red("✗"), other.name()),
                };
                line + &evidence
            }
            // Journal only: the calling step shows the called playbook.
            Event::Called { .. } => return None,
            Event::RunFinished {
                status,
                duration_ms,
                summary,
                ..
            } => {
                let counts: Vec<String> = summary.iter().map(|(k, v)| format!("{v} {k}")).collect();
                let word = match status {
                    RunStatus::Succeeded => self.palette.green("succeeded"),
                    RunStatus::Failed => self.palette.red("failed"),
                    RunStatus::Rejected => self.palette.red("stopped at a gate"),
                    RunStatus::Interrupted => self.palette.yellow("interrupted"),
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

/// A multi-line text after a step's marker (a command, a question, a
/// failure): its later lines indented under it, so none starts where the
/// view's own markers (`✓`, `◇`, `✗`) do.
fn continued(text: &str) -> Cow<'_, str> {
    if text.contains('\n') {
        Cow::Owned(text.replace('\n', "\n    "))
    } else {
        Cow::Borrowed(text)
    }
}

/// What a person typed as one line (a reason, a note, an answer): its line
/// breaks shown as `\n`, so it cannot print lines of its own.
fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        Cow::Owned(text.replace('\r', "\\r").replace('\n', "\\n"))
    } else {
        Cow::Borrowed(text)
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

/// A computed value on one line of the live view: long values (a list of
/// objects from an API) are cut, with their size, so the line stays a line;
/// the journal and `runbook report` keep the whole value.
fn shown_value(value: &serde_json::Value) -> String {
    const MAX: usize = 160;
    let text = match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let line = runbook_runtime::evidence::one_line(&text, MAX);
    if line.chars().count() == text.chars().count() {
        return line;
    }
    let size = match value {
        serde_json::Value::Array(items) => count(items.len(), "element"),
        serde_json::Value::Object(map) => count(map.len(), "key"),
        _ => String::new(),
    };
    format!("{line}{size}")
}

/// ` (1 element)`, ` (40 elements)`.
/// ", and N element(s) of loops not finished", when there are some.
fn kept_elements(n: usize) -> String {
    match n {
        0 => String::new(),
        n => format!(", and {n} element(s) of loops not finished"),
    }
}

fn count(n: usize, noun: &str) -> String {
    format!(" ({n} {noun}{})", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests;
