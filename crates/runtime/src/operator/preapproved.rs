//! Decisions given on the command line, and the operator of runs with no
//! terminal: it fails closed for everything the command line did not decide.

use super::{
    confirmation, not_a_confirmation, validate_answer, Decision, GateRequest, Operator, Question,
    QuestionKind, Reply, Via,
};
use crate::element_name::Target;
use runbook_dsl::ast::Effect;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

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
        if request.by_other {
            // Four-eyes: the command line is the starter's own.
            return None;
        }
        let decision = |via: Via| Decision {
            approved: true,
            who: self.who.clone(),
            via,
            reason: None,
        };
        if self.steps.contains(&request.step) || self.names_element(request) {
            return Some(decision(Via::Approve));
        }
        if self.yes
            && request.effect != Effect::Destructive
            && !request.rerun
            && !request.checkpoint
        {
            return Some(decision(Via::Yes));
        }
        None
    }

    /// Whether an `--approve STEP[INDEX]` or `STEP[LABEL]` names the
    /// element whose own gate this is (a loop with `approval_per_item`), so
    /// an operator without a terminal can pass one element and not another.
    fn names_element(&self, request: &GateRequest) -> bool {
        let Some(element) = request.element.as_deref() else {
            return false;
        };
        self.steps.iter().any(|address| {
            Target::parse(address).is_ok_and(|t| t.names_element(&request.step, element))
        })
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
                        via: Via::Answer,
                    },
                    Err(reason) => Reply::Refused {
                        who: self.who.clone(),
                        via: Via::Answer,
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
                            via: Via::Answer,
                        },
                        None => Reply::Refused {
                            who: self.who.clone(),
                            via: Via::Answer,
                            reason: not_a_confirmation(&question.step, given),
                        },
                    });
                }
                self.steps.contains(&question.step).then(|| Reply::Answer {
                    value: Value::String(String::new()),
                    who: self.who.clone(),
                    via: Via::Approve,
                })
            }
        }
    }
}

impl Operator for Preapproved {
    fn preset(&self, request: &GateRequest) -> Option<Decision> {
        self.decide(request)
    }

    fn preset_answer(&self, question: &Question) -> Option<Reply> {
        self.reply(question)
    }

    fn approve(&self, request: &GateRequest) -> Decision {
        self.decide(request).unwrap_or_else(|| Decision {
            approved: false,
            who: self.who.clone(),
            via: Via::NoTerminal,
            reason: Some(if request.by_other {
                format!(
                    "`{}` needs the approval of someone other than the one who runs it: `runbook approve RUN {}` by another user, while the run waits (`--wait-for-approval`)",
                    request.step, request.step
                )
            } else if request.effect == Effect::Destructive && self.yes {
                format!(
                    "`--yes` never approves a destructive step: pass `--approve {}`",
                    request.step
                )
            } else if request.checkpoint && self.yes {
                format!(
                    "`--yes` never passes an `approve` step, a checkpoint a person must pass: pass `--approve {}`",
                    request.step
                )
            } else if let Some((index, _)) = request
                .element
                .as_deref()
                .and_then(crate::element_name::shown_element)
            {
                format!(
                    "no terminal to ask: pass `--approve '{step}[{index}]'` to approve this element, `--approve {step}` for every element, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal",
                    step = request.step
                )
            } else {
                format!(
                    "no terminal to ask: pass `--approve {}` to approve it, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal",
                    request.step
                )
            }),
        })
    }

    fn answer(&self, question: &Question) -> Reply {
        self.reply(question).unwrap_or_else(|| Reply::Refused {
            who: self.who.clone(),
            via: Via::NoTerminal,
            reason: match question.kind {
                QuestionKind::Ask(_) => format!(
                    "no terminal to ask: pass `--answer {}=VALUE` or `--answers FILE`, or run with `--wait-for-approval` to wait for `runbook answer` from another terminal",
                    question.step
                ),
                QuestionKind::Manual => format!(
                    "no terminal to confirm: pass `--approve {}` once it is done, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal",
                    question.step
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::Context;

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
            by_other: false,
            element: None,
            deadline: None,
            remote_hint: None,
            withdrawn: Default::default(),
        }
    }

    #[test]
    fn the_command_line_never_passes_a_four_eyes_gate() {
        let p = Preapproved {
            steps: ["a".to_string()].into(),
            yes: true,
            who: "me".into(),
            ..Preapproved::default()
        };
        let four_eyes = GateRequest {
            by_other: true,
            ..gate("a", Effect::Write)
        };
        let decision = p.approve(&four_eyes);
        assert!(!decision.approved);
        assert!(decision.reason.unwrap().contains("someone other"));
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
}
