//! The operator at a terminal: prompts on stderr, answers from stdin.
//! It implements the runtime's `Operator` like any other (the command
//! line's `Preapproved`, a rehearsal's script); a remote approval or a web
//! console would sit beside it. Used when stdin and stderr are terminals.

use runbook_dsl::ast::AnswerType;
use runbook_runtime::operator::{
    confirmation, validate_answer, Decision, GateRequest, Operator, Preapproved, Question,
    QuestionKind, Reply, Via, Withdrawal,
};
use serde_json::Value;
use std::io::{BufRead, Write};

/// Prompts on the terminal: the question on stderr, the answer from stdin.
/// Command-line decisions are honoured first, so `--approve STEP` never asks.
pub struct Terminal {
    pub preapproved: Preapproved,
}

impl Terminal {
    pub fn new(preapproved: Preapproved) -> Terminal {
        Terminal { preapproved }
    }

    /// Reads a line, or gives up when `withdrawn` (decided from another
    /// terminal, timed out, cancelled): stdin is polled, so no thread is
    /// left blocked on it to swallow the next prompt's answer.
    fn read_line(&self, withdrawn: &Withdrawal) -> Read {
        use std::os::fd::AsRawFd;
        let stdin = std::io::stdin();
        loop {
            if withdrawn.is_withdrawn() {
                return Read::Withdrawn;
            }
            let mut fds = libc::pollfd {
                fd: stdin.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, its count, a timeout in ms.
            let ready = unsafe { libc::poll(&mut fds, 1, 100) };
            if ready < 0
                && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                return Read::End;
            }
            if ready > 0 {
                break;
            }
        }
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => Read::End,
            Ok(_) => Read::Line(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }

    /// Prints a prompt (its control characters, from the playbook or a
    /// step's output, escaped) and reads the answer. Called off, the
    /// prompt's line is ended, so what the view prints next starts clean.
    fn prompt(&self, text: &str, withdrawn: &Withdrawal) -> Read {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}", runbook_dsl::terminal_text::escape(text));
        let _ = err.flush();
        drop(err);
        let read = self.read_line(withdrawn);
        if matches!(read, Read::Withdrawn) {
            let _ = writeln!(
                std::io::stderr(),
                "\n  (decided elsewhere or no longer waited for)"
            );
        }
        read
    }
}

/// What a prompt read.
enum Read {
    Line(String),
    /// End of input.
    End,
    /// The prompt was called off.
    Withdrawn,
}

impl Read {
    fn line(self) -> Option<String> {
        match self {
            Read::Line(line) => Some(line),
            Read::End | Read::Withdrawn => None,
        }
    }
}

/// `body` inside the prompt's box: every line of it behind `│ ` (the
/// first after `label`, the others under the first), so no line of a
/// multi-line command or question starts outside the box, where it could
/// pass for the prompt's own.
fn boxed(text: &mut String, label: &str, body: &str) {
    let indent = " ".repeat(label.chars().count());
    for (i, line) in body.lines().enumerate() {
        let lead = if i == 0 { label } else { &indent };
        text.push_str(&format!("│ {lead}{line}\n"));
    }
}

impl Operator for Terminal {
    fn preset(&self, request: &GateRequest) -> Option<Decision> {
        self.preapproved.decide(request)
    }

    fn preset_answer(&self, question: &Question) -> Option<Reply> {
        self.preapproved.reply(question)
    }

    fn approve(&self, request: &GateRequest) -> Decision {
        if let Some(decision) = self.preapproved.decide(request) {
            return decision;
        }
        let mut text = String::new();
        let title = request
            .title
            .as_deref()
            .map(|t| format!(" — {}", t.replace('\n', " ")))
            .unwrap_or_default();
        text.push_str(&format!("\n┌ approval needed: `{}`{title}\n", request.step));
        if request.rerun {
            text.push_str(
                "│ this step was running when the run stopped: it may have done part of its work\n",
            );
        }
        for line in request.context.lines() {
            boxed(&mut text, "", &line);
        }
        boxed(&mut text, "effect: ", request.effect.name());
        if let Some(detail) = &request.detail {
            boxed(&mut text, "runs:   ", detail);
        }
        boxed(&mut text, "", &request.question);
        if let Some(hint) = &request.remote_hint {
            text.push_str(&format!("│ or from another terminal: {hint}\n"));
        }
        let who = self.preapproved.who.clone();
        let ask = if request.by_other {
            text.push_str(&format!(
                "│ four-eyes: someone other than {who} must approve it from another terminal; you may reject it here\n"
            ));
            "└ waiting; type n to reject: "
        } else {
            "└ approve? [y/n] "
        };
        loop {
            let Some(answer) = self
                .prompt(&format!("{text}{ask}"), &request.withdrawn)
                .line()
            else {
                return Decision {
                    approved: false,
                    who,
                    via: Via::Terminal,
                    reason: Some("no answer (end of input)".into()),
                };
            };
            let approved = match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" if request.by_other => {
                    text = "  you started this run: only someone else may approve it\n".to_string();
                    continue;
                }
                "y" | "yes" => true,
                "n" | "no" => false,
                _ => {
                    text = String::from("  please answer y or n\n");
                    continue;
                }
            };
            let reason = self
                .prompt("  reason (optional): ", &request.withdrawn)
                .line()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            return Decision {
                approved,
                who,
                via: Via::Terminal,
                reason,
            };
        }
    }

    fn answer(&self, question: &Question) -> Reply {
        if let Some(reply) = self.preapproved.reply(question) {
            return reply;
        }
        let who = self.preapproved.who.clone();
        let title = question
            .title
            .as_deref()
            .map(|t| format!(" — {}", t.replace('\n', " ")))
            .unwrap_or_default();
        let mut text = format!("\n┌ `{}`{title}\n", question.step);
        for line in question.context.lines() {
            boxed(&mut text, "", &line);
        }
        boxed(&mut text, "", &question.text);
        if let Some(hint) = &question.remote_hint {
            text.push_str(&format!("│ or from another terminal: {hint}\n"));
        }
        let hint = match &question.kind {
            QuestionKind::Manual => "└ type `done` (or `done NOTE`) when it is done: ".to_string(),
            QuestionKind::Ask(AnswerType::Choice(choices)) => {
                for (i, c) in choices.iter().enumerate() {
                    boxed(&mut text, &format!("  {}) ", i + 1), &c.value);
                }
                "└ answer: ".to_string()
            }
            QuestionKind::Ask(AnswerType::Number { .. }) => "└ a number: ".to_string(),
            QuestionKind::Ask(AnswerType::Text) => "└ answer: ".to_string(),
        };
        loop {
            let Some(given) = self
                .prompt(&format!("{text}{hint}"), &question.withdrawn)
                .line()
            else {
                return Reply::Refused {
                    who,
                    via: Via::Terminal,
                    reason: "no answer (end of input)".into(),
                };
            };
            text.clear();
            match &question.kind {
                QuestionKind::Manual => {
                    if let Some(note) = confirmation(&given) {
                        return Reply::Answer {
                            value: Value::String(note),
                            who,
                            via: Via::Terminal,
                        };
                    }
                    if given.trim() == "abort" {
                        return Reply::Refused {
                            who,
                            via: Via::Terminal,
                            reason: "the operator stopped the run".into(),
                        };
                    }
                    text.push_str("  type `done` when it is done, or `abort` to stop the run (`done NOTE` adds a note)\n");
                }
                QuestionKind::Ask(ty) => match validate_answer(ty, &given) {
                    Ok(value) => {
                        return Reply::Answer {
                            value,
                            who,
                            via: Via::Terminal,
                        }
                    }
                    Err(e) => text.push_str(&format!("  {e}\n")),
                },
            }
        }
    }
}
