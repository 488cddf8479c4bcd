//! The human in the loop: approval gates, `manual` steps and `ask` questions
//! all go through an [`Operator`].
//!
//! Two implementations: [`Preapproved`] decides from the command line
//! (`--approve STEP`, `--yes`, `--answer STEP=VALUE`) and fails closed for
//! everything else, which is what runs without a terminal get; [`Terminal`]
//! consults the same command-line decisions first, then prompts on the
//! terminal. Domain code never reads stdin itself.

use runbook_dsl::ast::{AnswerType, Effect};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::sync::Arc;

/// A gate put to the operator.
#[derive(Clone, Debug)]
pub struct GateRequest {
    pub step: String,
    pub title: Option<String>,
    pub question: String,
    pub effect: Effect,
    /// The rendered command, masked.
    pub detail: Option<String>,
    /// Resume: the step was interrupted and would run again.
    pub rerun: bool,
    /// The gate is an `approve` step: a checkpoint a person must pass, so
    /// `--yes` does not pass it (only `--approve STEP` or a prompt does).
    pub checkpoint: bool,
    /// The step's description and what the steps it follows read, masked.
    pub context: Context,
}

/// What the person deciding sees besides the question: the step's
/// `description`, and the evidence of the steps it needs or reads
/// (`evidence::lines`), by step id. Masked before it gets here.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub description: Option<String>,
    pub evidence: Vec<(String, Vec<String>)>,
}

impl Context {
    /// The lines a prompt shows before its question.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.description {
            out.extend(d.trim_end().lines().map(str::to_string));
        }
        for (step, lines) in &self.evidence {
            out.push(format!("`{step}` read:"));
            out.extend(lines.iter().map(|l| format!("  {l}")));
        }
        out
    }
}

/// The operator's decision at a gate.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub approved: bool,
    pub who: String,
    /// How it was decided: `terminal`, `--approve`, `--yes`, `no terminal`.
    pub via: String,
    pub reason: Option<String>,
}

/// A question for the operator: an `ask`, or a `manual` step to confirm.
#[derive(Clone, Debug)]
pub struct Question {
    pub step: String,
    pub title: Option<String>,
    /// The question, or a manual step's instructions.
    pub text: String,
    pub kind: QuestionKind,
    pub context: Context,
}

#[derive(Clone, Debug)]
pub enum QuestionKind {
    Ask(AnswerType),
    /// Confirm a manual step is done; the answer is an optional note.
    Manual,
}

/// The operator's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Answer {
        value: Value,
        who: String,
        via: String,
    },
    /// No answer: the run stops as at a rejected gate.
    Refused {
        who: String,
        via: String,
        reason: String,
    },
}

/// Who decides at gates and answers questions.
pub trait Operator: Send + Sync {
    fn approve(&self, request: &GateRequest) -> Decision;
    fn answer(&self, question: &Question) -> Reply;
}

/// Who is running this: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_name_of_uid)
        .unwrap_or_else(|| "unknown".into())
}

/// The login name of the real user id, from the password database.
fn user_name_of_uid() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; the
    // name is copied out before any other call could overwrite it. Only
    // called from one thread at a time in practice (run start, gate decisions).
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Decisions given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Preapproved {
    /// `--approve STEP`.
    pub steps: HashSet<String>,
    /// `--yes`: approves `write` gates, never `destructive` ones.
    pub yes: bool,
    /// `--answer STEP=VALUE` and `--answers FILE`, as written.
    pub answers: HashMap<String, String>,
    pub who: String,
}

impl Preapproved {
    /// The decision the command line makes, if it makes one.
    pub fn decide(&self, request: &GateRequest) -> Option<Decision> {
        let decision = |via: &str| Decision {
            approved: true,
            who: self.who.clone(),
            via: via.into(),
            reason: None,
        };
        if self.steps.contains(&request.step) {
            return Some(decision("--approve"));
        }
        if self.yes
            && request.effect != Effect::Destructive
            && !request.rerun
            && !request.checkpoint
        {
            return Some(decision("--yes"));
        }
        None
    }

    /// The answer the command line gives, validated; `Err` when one was given
    /// but does not fit the question.
    pub fn reply(&self, question: &Question) -> Option<Reply> {
        let given = self.answers.get(&question.step);
        match &question.kind {
            QuestionKind::Ask(ty) => {
                let given = given?;
                Some(match validate_answer(ty, given) {
                    Ok(value) => Reply::Answer {
                        value,
                        who: self.who.clone(),
                        via: "--answer".into(),
                    },
                    Err(reason) => Reply::Refused {
                        who: self.who.clone(),
                        via: "--answer".into(),
                        reason: format!(
                            "the answer given for `{}` is not valid: {reason}",
                            question.step
                        ),
                    },
                })
            }
            QuestionKind::Manual => {
                if let Some(given) = given {
                    return Some(match confirmation(given) {
                        Some(note) => Reply::Answer {
                            value: Value::String(note),
                            who: self.who.clone(),
                            via: "--answer".into(),
                        },
                        None => Reply::Refused {
                            who: self.who.clone(),
                            via: "--answer".into(),
                            reason: not_a_confirmation(&question.step, given),
                        },
                    });
                }
                self.steps.contains(&question.step).then(|| Reply::Answer {
                    value: Value::String(String::new()),
                    who: self.who.clone(),
                    via: "--approve".into(),
                })
            }
        }
    }
}

impl Operator for Preapproved {
    fn approve(&self, request: &GateRequest) -> Decision {
        self.decide(request).unwrap_or_else(|| Decision {
            approved: false,
            who: self.who.clone(),
            via: "no terminal".into(),
            reason: Some(if request.effect == Effect::Destructive && self.yes {
                format!(
                    "`--yes` never approves a destructive step: pass `--approve {}`",
                    request.step
                )
            } else if request.checkpoint && self.yes {
                format!(
                    "`--yes` never passes an `approve` step, a checkpoint a person must pass: pass `--approve {}`",
                    request.step
                )
            } else {
                format!(
                    "no terminal to ask: pass `--approve {}` to approve it",
                    request.step
                )
            }),
        })
    }

    fn answer(&self, question: &Question) -> Reply {
        self.reply(question).unwrap_or_else(|| Reply::Refused {
            who: self.who.clone(),
            via: "no terminal".into(),
            reason: match question.kind {
                QuestionKind::Ask(_) => format!(
                    "no terminal to ask: pass `--answer {}=VALUE` or `--answers FILE`",
                    question.step
                ),
                QuestionKind::Manual => format!(
                    "no terminal to confirm: pass `--approve {}` once it is done",
                    question.step
                ),
            },
        })
    }
}

/// The operator of a called playbook: the caller's own (the same terminal,
/// the same `--approve`/`--answer`), with the called playbook's step ids
/// addressed through the calling step's id: gate `confirm` of the playbook
/// called by step `rollback` is `rollback.confirm`.
pub struct Nested {
    pub inner: Arc<dyn Operator>,
    /// The calling step's id (itself dotted when calls nest).
    pub call: String,
    /// Who approved the calling step's own gate, if it had one: that
    /// approval passes the called playbook's gates as `--yes` would (not a
    /// `destructive` step's, not an `approve` step's).
    pub caller_approved: Option<String>,
}

impl Nested {
    fn address(&self, step: &str) -> String {
        format!("{}.{step}", self.call)
    }
}

impl Operator for Nested {
    fn approve(&self, request: &GateRequest) -> Decision {
        let request = GateRequest {
            step: self.address(&request.step),
            ..request.clone()
        };
        if let Some(who) = &self.caller_approved {
            if request.effect != Effect::Destructive && !request.rerun && !request.checkpoint {
                return Decision {
                    approved: true,
                    who: who.clone(),
                    via: format!("approval of `{}`", self.call),
                    reason: None,
                };
            }
        }
        self.inner.approve(&request)
    }

    fn answer(&self, question: &Question) -> Reply {
        self.inner.answer(&Question {
            step: self.address(&question.step),
            ..question.clone()
        })
    }
}

/// What confirms a `manual` step, at the prompt and in `--answer STEP=...`:
/// the word `done` alone, or `done` and a note after a space (`done
/// restarted by hand`); the note (maybe empty) is the step's result.
/// Anything else (`doneness`, `yes`) does not confirm it.
pub fn confirmation(given: &str) -> Option<String> {
    let rest = given.trim().strip_prefix("done")?;
    if rest.is_empty() {
        return Some(String::new());
    }
    rest.starts_with(char::is_whitespace)
        .then(|| rest.trim().to_string())
}

/// Why an `--answer` does not confirm a `manual` step.
pub fn not_a_confirmation(step: &str, given: &str) -> String {
    format!(
        "`{given}` does not confirm the manual step `{step}`: answer `done` (or `done NOTE`), or pass `--approve {step}`"
    )
}

/// Checks an answer against the question's type (see [`AnswerType::accept`]).
pub fn validate_answer(ty: &AnswerType, given: &str) -> Result<Value, String> {
    ty.accept(given)
}

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
                    via: "terminal".into(),
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
                via: "terminal".into(),
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
                    via: "terminal".into(),
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
                            via: "terminal".into(),
                        };
                    }
                    if given.trim() == "abort" {
                        return Reply::Refused {
                            who,
                            via: "terminal".into(),
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
                            via: "terminal".into(),
                        }
                    }
                    Err(e) => text.push_str(&format!("  {e}\n")),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::{Span, Spanned};

    fn gate(step: &str, effect: Effect) -> GateRequest {
        GateRequest {
            step: step.into(),
            title: None,
            question: "ok?".into(),
            effect,
            detail: None,
            rerun: false,
            checkpoint: false,
            context: Context::default(),
        }
    }

    #[test]
    fn yes_never_approves_destructive_steps() {
        let p = Preapproved {
            yes: true,
            who: "me".into(),
            ..Preapproved::default()
        };
        assert!(p.approve(&gate("a", Effect::Write)).approved);
        assert!(!p.approve(&gate("a", Effect::Destructive)).approved);
        let named = Preapproved {
            steps: ["a".to_string()].into(),
            ..p
        };
        assert!(named.approve(&gate("a", Effect::Destructive)).approved);
    }

    #[test]
    fn yes_never_passes_an_approve_step() {
        let p = Preapproved {
            yes: true,
            who: "me".into(),
            ..Preapproved::default()
        };
        let checkpoint = GateRequest {
            checkpoint: true,
            ..gate("go", Effect::Read)
        };
        let decision = p.approve(&checkpoint);
        assert!(!decision.approved);
        assert!(decision.reason.unwrap().contains("--approve go"));
        let named = Preapproved {
            steps: ["go".to_string()].into(),
            ..p
        };
        assert!(named.approve(&checkpoint).approved);
    }

    #[test]
    fn a_manual_step_is_confirmed_by_done_and_an_optional_note_only() {
        assert_eq!(confirmation("done"), Some(String::new()));
        assert_eq!(confirmation("  done  "), Some(String::new()));
        assert_eq!(
            confirmation("done restarted by hand"),
            Some("restarted by hand".into())
        );
        assert_eq!(confirmation("done\tnote"), Some("note".into()));
        assert_eq!(confirmation("doneness"), None);
        assert_eq!(confirmation("done:"), None);
        assert_eq!(confirmation("yes"), None);
        assert_eq!(confirmation(""), None);
    }

    #[test]
    fn answers_are_validated_against_the_question() {
        let choices = AnswerType::Choice(vec![Spanned::new("workload".into(), Span::default())]);
        assert_eq!(
            validate_answer(&choices, "workload"),
            Ok(Value::from("workload"))
        );
        assert_eq!(validate_answer(&choices, "1"), Ok(Value::from("workload")));
        assert!(validate_answer(&choices, "platform").is_err());
        let number = AnswerType::Number {
            min: Some(Spanned::new(1.0, Span::default())),
            max: None,
        };
        assert_eq!(validate_answer(&number, "3"), Ok(Value::from(3)));
        assert!(validate_answer(&number, "0").is_err());
        assert!(validate_answer(&number, "x").is_err());
    }
}
