//! The live terminal view: while a step runs it is a line that ticks (a
//! spinner, its id and title, what it is doing, the time it has run) with the
//! last lines of its output under it; when it ends the line is replaced by the
//! plain view's line for it, with the last [`KEPT`] lines of its output under
//! it (what a diagnosis printed is what the operator reads next, succeeded
//! or not), which stays above the live area. Everything that
//! is not about a running step (gates decided, answers, the summary) prints
//! as in the plain view.
//!
//! Used only when stderr is a terminal and colour is on (`palette::stderr`):
//! with `NO_COLOR`, a pipe or `--output json` the plain line view is used, so
//! logs and tests see exactly one line per thing that happened.
//!
//! Prompts: the operator asks on the same terminal, from another thread.
//! [`Pausing`] wraps the operator and, around each prompt, clears the live
//! area and stops drawing it ([`Screen::pause`]); lines that happen meanwhile
//! are kept and printed when the prompt is answered. indicatif's own
//! `MultiProgress::suspend` is not used for this because it holds the view's
//! lock for as long as its closure runs: a prompt waits for a person, and the
//! runner's loop (which publishes events, and so draws) would block behind it,
//! so `--gate-timeout` could never fire.

use crate::palette::Palette;
use crate::view::long_line::{JoinedLine, Whose};
use crate::view::tab_stops;
use crate::view::Human;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use runbook_runtime::event::{Event, Record, Stream};
use runbook_runtime::operator::{Decision, GateRequest, Operator, Question, Reply};
use runbook_runtime::Subscriber;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Lines of a running step's output shown under it.
const TAIL: usize = 3;
/// Lines of output kept per step, printed under it when it ends (the whole
/// output is in the journal and `runbook report`).
const KEPT: usize = 40;
/// Bytes kept of a long line joined from its pieces: one piece's worth
/// (the reader's piece size), as a line was before it was cut; the live
/// area cuts it to the terminal's width anyway.
const JOINED: usize = 64 * 1024;

/// The live area, shared by the view and the [`Pausing`] operator.
#[derive(Clone)]
pub struct Screen {
    inner: Arc<Mutex<ScreenState>>,
}

struct ScreenState {
    multi: MultiProgress,
    /// A prompt for this step is on the terminal: draw nothing, keep lines
    /// for later.
    paused: Option<String>,
    held: Vec<String>,
}

impl Screen {
    pub fn new() -> Screen {
        Screen {
            inner: Arc::new(Mutex::new(ScreenState {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                paused: None,
                held: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ScreenState> {
        // A panic while drawing must not take the run down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prints a line above the live area (or keeps it while paused).
    fn println(&self, line: String) {
        let mut state = self.lock();
        if state.paused.is_some() {
            state.held.push(line);
        } else {
            let _ = state.multi.println(line);
        }
    }

    /// Clears the live area and stops drawing it while `step`'s prompt is
    /// shown, until [`Screen::resume`].
    pub fn pause(&self, step: &str) {
        let mut state = self.lock();
        if state.paused.is_none() {
            let _ = state.multi.clear();
            state.multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        state.paused = Some(step.to_string());
    }

    /// Prints what happened during `step`'s prompt and draws the live area
    /// again; `None` resumes whatever prompt is shown. A prompt abandoned by
    /// `--gate-timeout` or Ctrl-C never returns (its thread still waits on
    /// stdin), so the view also resumes when the step's decision or end is
    /// published; a later prompt of another step is not resumed by the old
    /// one's return.
    pub fn resume(&self, step: Option<&str>) {
        let mut state = self.lock();
        let current = state.paused.as_deref();
        if current.is_some() && (step.is_none() || step == current) {
            state.paused = None;
            state.multi.set_draw_target(ProgressDrawTarget::stderr());
            for line in std::mem::take(&mut state.held) {
                let _ = state.multi.println(line);
            }
        }
    }

    fn add(&self, bar: ProgressBar) -> ProgressBar {
        self.lock().multi.add(bar)
    }

    fn remove(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        self.lock().multi.remove(bar);
    }
}

/// One running step's line.
struct Running {
    bar: ProgressBar,
    status: String,
    /// The last lines, each with whose it is (a long line's pieces join
    /// the last line of their stream and element).
    output: VecDeque<(JoinedLine, String)>,
    /// Every line it printed, the ones [`KEPT`] let go included.
    lines: usize,
}

impl Running {
    /// Keeps a line, or joins a piece of a long line to the line it
    /// continues (at most [`JOINED`] bytes of it, then `…`), so that a
    /// long line shows as one line, not one per piece.
    fn push(&mut self, whose: Whose, text: &str, continues: bool) {
        let previous = self
            .output
            .iter_mut()
            .rev()
            .find(|(joined, _)| joined.joins(whose, true))
            .filter(|(joined, _)| joined.joins(whose, continues));
        if let Some((joined, line)) = previous {
            line.push_str(&joined.append(text));
            return;
        }
        let mut joined = JoinedLine::new(whose, JOINED);
        let line = joined.append(text).into_owned();
        self.output.push_back((joined, line));
        self.lines += 1;
        if self.output.len() > KEPT {
            self.output.pop_front();
        }
    }

    /// The bar's message: the status, then the tail of the output, each
    /// line cut to the terminal's width so the live area never wraps (a
    /// wrapped line would be left behind when the area is redrawn).
    fn redraw(&self) {
        let width = console::Term::stderr().size().1 as usize;
        let room = width.saturating_sub(6).max(20);
        let mut message = self.status.clone();
        let skip = self.output.len().saturating_sub(TAIL);
        for (_, line) in self.output.iter().skip(skip) {
            message.push_str("\n    │ ");
            message.push_str(&console::truncate_str(&tab_stops::expand(line), room, "…"));
        }
        self.bar.set_message(message);
    }
}

/// The live view: a [`Subscriber`] like the plain one, drawing on a [`Screen`].
pub struct Live {
    plain: Human,
    screen: Screen,
    titles: HashMap<String, String>,
    running: HashMap<String, Running>,
    /// The lines drawn only for a gate: a called playbook's, whose step
    /// this view never sees start or end (its caller's line runs
    /// meanwhile). The gate's decision removes them.
    gate_only: HashSet<String>,
    style: ProgressStyle,
    palette: Palette,
}

impl Live {
    pub fn new(screen: Screen, titles: HashMap<String, String>) -> Live {
        // indicatif draws the template's styles with console's colour
        // detection for stderr, as the palette does.
        let palette = Palette::new(true);
        let style = ProgressStyle::with_template("{spinner:.cyan} {prefix} {seconds:.dim} {msg}")
            .expect("a valid template")
            .with_key(
                "seconds",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}s", state.elapsed().as_secs_f64());
                },
            )
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        Live {
            plain: Human::new(true, titles.clone()),
            palette,
            screen,
            titles: crate::view::titles_for_terminal(titles),
            running: HashMap::new(),
            gate_only: HashSet::new(),
            style,
        }
    }

    /// The running line of a step, made on first use.
    fn running(&mut self, step: &str) -> &mut Running {
        if !self.running.contains_key(step) {
            let title = self
                .titles
                .get(step)
                .map(|t| format!(" {}", self.palette.dim(t)))
                .unwrap_or_default();
            let bar = self.screen.add(
                ProgressBar::no_length()
                    .with_style(self.style.clone())
                    .with_prefix(format!("{}{title}", self.palette.bold(step))),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            let running = Running {
                bar,
                status: "running".into(),
                output: VecDeque::new(),
                lines: 0,
            };
            running.redraw();
            self.running.insert(step.to_string(), running);
        }
        self.running.get_mut(step).expect("inserted above")
    }

    /// The lines shown under a finished step's line: the last of its
    /// output, after how many came before them.
    fn kept_output(&self, running: &Running) -> String {
        let bar = self.palette.dim("│");
        let mut shown = String::new();
        let earlier = running.lines.saturating_sub(running.output.len());
        if earlier > 0 {
            let more = if earlier == 1 { "line" } else { "lines" };
            shown.push_str(&format!(
                "\n  {bar} {}",
                self.palette.dim(&format!(
                    "… {earlier} earlier {more}: `runbook report` has them all"
                ))
            ));
        }
        for (_, out) in &running.output {
            shown.push_str(&format!("\n  {bar} {}", tab_stops::expand(out)));
        }
        shown
    }

    /// After a gate's decision: its line goes if it was drawn for the gate
    /// alone, else the step runs on.
    fn gate_passed(&mut self, step: &str) {
        if self.gate_only.remove(step) {
            if let Some(running) = self.running.remove(step) {
                self.screen.remove(&running.bar);
            }
        } else if self.running.contains_key(step) {
            self.status(step, "running".into());
        }
    }

    fn status(&mut self, step: &str, status: String) {
        let running = self.running(step);
        running.status = status;
        running.redraw();
    }
}

impl Subscriber for Live {
    fn on_event(&mut self, record: &Record) {
        let escaped = crate::view::for_terminal(record);
        let record = &*escaped;
        match &record.event {
            Event::StepStarted { step, attempt, .. } => {
                let status = if *attempt == 1 {
                    "running".to_string()
                } else {
                    format!("running (attempt {attempt})")
                };
                self.status(step, status);
                // The plain view keeps track of which step spoke last.
                let _ = self.plain.line(record);
                return;
            }
            Event::StepOutput {
                step,
                stream,
                line,
                continues,
                item,
                ..
            } if *stream != Stream::Log => {
                let running = self.running(step);
                running.push((*stream, *item), line, *continues);
                running.redraw();
                return;
            }
            Event::GateRequested { step, .. } => {
                if !self.running.contains_key(step) {
                    self.gate_only.insert(step.clone());
                }
                self.status(step, "awaiting approval".into());
                return;
            }
            Event::StepRetrying { step, attempt, .. } => {
                self.status(step, format!("retrying after attempt {attempt}"))
            }
            Event::StepPolling { step, attempt, .. } => {
                self.status(step, format!("polling (attempt {attempt})"))
            }
            Event::GateDecided { step, .. } | Event::Answered { step, .. } => {
                self.screen.resume(Some(step));
                self.gate_passed(step);
            }
            Event::StepFinished { step, .. } => self.screen.resume(Some(step)),
            Event::RunFinished { .. } => self.screen.resume(None),
            _ => {}
        }
        let Some(line) = self.plain.line(record) else {
            return;
        };
        if let Event::StepFinished { step, .. } = &record.event {
            let mut line = line;
            if let Some(running) = self.running.remove(step) {
                self.screen.remove(&running.bar);
                line.push_str(&self.kept_output(&running));
            }
            self.screen.println(line);
            return;
        }
        if let Event::RunFinished { .. } = &record.event {
            for (_, running) in self.running.drain() {
                self.screen.remove(&running.bar);
            }
        }
        self.screen.println(line);
    }

    fn finish(&mut self) {
        self.screen.resume(None);
        for (_, running) in self.running.drain() {
            self.screen.remove(&running.bar);
        }
    }
}

/// The operator with the live area paused around every prompt, so a prompt
/// is never drawn over (or redrawn away by) the ticking lines.
pub struct Pausing {
    pub inner: Arc<dyn Operator>,
    pub screen: Screen,
}

impl Pausing {
    fn around<R>(&self, step: &str, ask: impl FnOnce() -> R) -> R {
        self.screen.pause(step);
        let result = ask();
        self.screen.resume(Some(step));
        result
    }
}

impl Operator for Pausing {
    fn preset(&self, request: &GateRequest) -> Option<Decision> {
        self.inner.preset(request)
    }

    fn preset_answer(&self, question: &Question) -> Option<Reply> {
        self.inner.preset_answer(question)
    }

    fn approve(&self, request: &GateRequest) -> Decision {
        self.around(&request.step, || self.inner.approve(request))
    }

    fn answer(&self, question: &Question) -> Reply {
        self.around(&question.step, || self.inner.answer(question))
    }
}
