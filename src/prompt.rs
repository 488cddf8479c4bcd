//! The operator at a terminal: prompts on stderr, answers from stdin.
//! It implements the runtime's `Operator` like any other (the command
//! line's `Preapproved`, a rehearsal's script); a remote approval or a web
//! console would sit beside it. Used when stdin and stderr are terminals.

use runbook_dsl::ast::AnswerType;
use runbook_runtime::operator::{
    confirmation, validate_answer, Decision, GateRequest, Operator, Preapproved, Question,
    QuestionKind, Reply, Via,
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

    fn read_line(&self) -> Option<String> {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }

    /// Prints a prompt (its control characters, from the playbook or a
    /// step's output, escaped) and reads the answer.
    fn prompt(&self, text: &str) -> Option<String> {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}", runbook_dsl::terminal_text::escape(text));
        let _ = err.flush();
        drop(err);
        self.read_line()
    }
}

impl Operator for Terminal {
    fn approve(&self, request: &GateRequest) -> Decision {
        if let Some(decision) = self.preapproved.decide(request) {
            return decision;
        }
        let mut text = String::new();
        let title = request
            .title
            .as_deref()
            .map(|t| format!(" — {t}"))
            .unwrap_or_default();
        text.push_str(&format!("\n┌ approval needed: `{}`{title}\n", request.step));
        if request.rerun {
            text.push_str(
                "│ this step was running when the run stopped: it may have done part of its work\n",
            );
        }
        for line in request.context.lines() {
            text.push_str(&format!("│ {line}\n"));
        }
        text.push_str(&format!("│ effect: {}\n", request.effect.name()));
        if let Some(detail) = &request.detail {
            text.push_str(&format!("│ runs:   {detail}\n"));
        }
        text.push_str(&format!("│ {}\n", request.question));
        let who = self.preapproved.who.clone();
        loop {
            let Some(answer) = self.prompt(&format!("{text}└ approve? [y/n] ")) else {
                return Decision {
                    approved: false,
                    who,
                    via: Via::Terminal,
                    reason: Some("no answer (end of input)".into()),
                };
            };
            let approved = match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => true,
                "n" | "no" => false,
                _ => {
                    text = String::from("  please answer y or n\n");
                    continue;
                }
            };
            let reason = self
                .prompt("  reason (optional): ")
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
            .map(|t| format!(" — {t}"))
            .unwrap_or_default();
        let mut text = format!("\n┌ `{}`{title}\n", question.step);
        for line in question.context.lines() {
            text.push_str(&format!("│ {line}\n"));
        }
        for line in question.text.lines() {
            text.push_str(&format!("│ {line}\n"));
        }
        let hint = match &question.kind {
            QuestionKind::Manual => "└ type `done` (or `done NOTE`) when it is done: ".to_string(),
            QuestionKind::Ask(AnswerType::Choice(choices)) => {
                for (i, c) in choices.iter().enumerate() {
                    text.push_str(&format!("│   {}) {}\n", i + 1, c.value));
                }
                "└ answer: ".to_string()
            }
            QuestionKind::Ask(AnswerType::Number { .. }) => "└ a number: ".to_string(),
            QuestionKind::Ask(AnswerType::Text) => "└ answer: ".to_string(),
        };
        loop {
            let Some(given) = self.prompt(&format!("{text}{hint}")) else {
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
