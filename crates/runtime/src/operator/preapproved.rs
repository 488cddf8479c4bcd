//! Decisions given on the command line, and the operator of runs with no
//! terminal: it fails closed for everything the command line did not decide.

use super::{
    confirmation, not_a_confirmation, validate_answer, Decision, GateRequest, Operator, Question,
    QuestionKind, Reply, Via,
};
use crate::element_address;
use crate::element_name::{by_label_or_index, named_address, Bare, ElementLabels, Target};
use runbook_dsl::ast::Effect;
use runbook_dsl::template::shell_quote;
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
        if self.names(&request.step, &request.labels, request.element.as_deref()) {
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

    /// Whether an `--approve` names the run of the step at `address`:
    /// `STEP` every run of it (every element's, in a loop), `STEP[INDEX]`
    /// or `STEP[LABEL]` one element's own gate (`approval_per_item`), and
    /// `CALL[LABEL].STEP` the step in one element's run of a playbook a
    /// loop calls, so an operator without a terminal can pass one element
    /// and not another.
    fn names(&self, address: &str, labels: &ElementLabels, element: Option<&str>) -> bool {
        self.steps.contains(address)
            || self.steps.iter().any(|approved| {
                Target::parse(approved)
                    .is_ok_and(|t| t.names_run(address, labels, element, Bare::NamesEvery))
            })
    }

    /// The answer `--answer` or `--answers` gives for the question at
    /// `address`: the one for this element's run (`CALL[LABEL].STEP`)
    /// over the one for every run (`CALL.STEP`).
    fn given(&self, address: &str, labels: &ElementLabels) -> Option<&String> {
        self.answers.get(address).or_else(|| {
            let mut named: Vec<(&String, &String)> = self
                .answers
                .iter()
                .filter(|(key, _)| {
                    Target::parse(key)
                        .is_ok_and(|t| t.names_run(address, labels, None, Bare::NamesEvery))
                })
                .collect();
            // The most specific: the one that selects the most elements.
            named.sort_by_key(|(key, _)| std::cmp::Reverse(key.matches('[').count()));
            named.first().map(|(_, given)| *given)
        })
    }

    /// The answer the command line gives, validated; `Err` when one was given
    /// but does not fit the question.
    pub fn reply(&self, question: &Question) -> Option<Reply> {
        let given = self.given(&question.step, &question.labels);
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
                self.names(&question.step, &question.labels, None)
                    .then(|| Reply::Answer {
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
        self.decide(request).unwrap_or_else(|| {
            // How the person names this gate: by the calling loops'
            // labels, in shell quotes when it needs them.
            let named = named_address(&request.step, &request.labels);
            let step = shell_quote(&named);
            let every = element_address::parse(&named)
                .ok()
                .filter(|parts| parts.iter().any(|p| p.element.is_some()))
                .map(|parts| element_address::unselected(&parts));
            Decision {
                approved: false,
                who: self.who.clone(),
                via: Via::NoTerminal,
                reason: Some(if request.by_other {
                    format!(
                        "`{named}` needs the approval of someone other than the one who runs it: `runbook approve RUN {step}` by another user, while the run waits (`--wait-for-approval`)"
                    )
                } else if request.effect == Effect::Destructive && self.yes {
                    format!("`--yes` never approves a destructive step: pass `--approve {step}`")
                } else if request.checkpoint && self.yes {
                    format!(
                        "`--yes` never passes an `approve` step, a checkpoint a person must pass: pass `--approve {step}`"
                    )
                } else if let Some((index, label)) = request
                    .element
                    .as_deref()
                    .and_then(crate::element_name::shown_element)
                {
                    let element = Target {
                        step: named.clone(),
                        element: Some(by_label_or_index(index, label)),
                    };
                    format!(
                        "no terminal to ask: pass `--approve {}` to approve this element, `--approve {step}` for every element, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal",
                        shell_quote(&element.to_string())
                    )
                } else if let Some(every) = every {
                    format!(
                        "no terminal to ask: pass `--approve {step}` to approve it for this element, `--approve {every}` for every element, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal"
                    )
                } else {
                    format!(
                        "no terminal to ask: pass `--approve {step}` to approve it, or run with `--wait-for-approval` to wait for `runbook approve` from another terminal"
                    )
                }),
            }
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
            labels: Default::default(),
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
