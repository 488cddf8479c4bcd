//! How a step is governed: approval, retry, until and on_failure.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::source::Spanned;
use crate::suggest;

impl Lowerer<'_> {
    pub(super) fn approval(&mut self, node: &Node) -> Option<Approval> {
        match &node.value {
            Value::Bool(true) => Some(Approval {
                question: None,
                by: None,
                span: node.span,
            }),
            Value::Bool(false) => None,
            Value::Str(text) => Some(Approval {
                question: Some(text.clone()),
                by: None,
                span: node.span,
            }),
            Value::Map(_) => {
                let mut fields = self.fields(node, "`approval`")?;
                let question = fields
                    .take("question")
                    .and_then(|n| self.text(n, "the approval `question`"));
                let by = fields.take("by").and_then(|n| self.approved_by(n));
                self.unknown_fields(&fields, &["question", "by"], "an approval");
                Some(Approval {
                    question,
                    by,
                    span: node.span,
                })
            }
            _ => {
                self.wrong_type(
                    node,
                    "`approval`",
                    "a question, `true`, or `{question: ..., by: other}`",
                );
                None
            }
        }
    }

    /// `by: other` (four-eyes) or `by: anyone`.
    fn approved_by(&mut self, node: &Node) -> Option<Spanned<ApprovedBy>> {
        self.word(node, "the approval's `by`", ApprovedBy::parse, |word| {
            Diagnostic::error(Code::InvalidValue, format!("`{word}` is not who may approve"))
                .label(node.span, "not `other` or `anyone`")
                .help(match suggest::did_you_mean(word, ["other", "anyone"]) {
                    Some(close) => format!("did you mean `{close}`? `by: other` (four-eyes) lets only someone other than the person running the playbook approve, from another terminal; `by: anyone` is the default"),
                    None => "write `by: other` (four-eyes: only someone other than the person running the playbook approves, from another terminal) or `by: anyone` (the default)".into(),
                })
        })
    }

    pub(super) fn retry(&mut self, node: &Node) -> Option<Retry> {
        let (attempts_node, delay, backoff) = match &node.value {
            Value::Int(_) => (node, None, None),
            Value::Map(_) => {
                let mut fields = self.fields(node, "`retry`")?;
                let attempts = fields.take("attempts");
                let delay = fields
                    .take("delay")
                    .and_then(|n| self.duration(n, "the retry `delay`"));
                let backoff = fields
                    .take("backoff")
                    .and_then(|n| self.float(n, "the retry `backoff`"));
                self.unknown_fields(&fields, &["attempts", "delay", "backoff"], "`retry`");
                let Some(attempts) = attempts else {
                    self.error(
                        Diagnostic::error(Code::MissingField, "`retry` needs `attempts`")
                            .label(node.span, "how many attempts?")
                            .help("e.g. `retry: {attempts: 3, delay: 2s}`"),
                    );
                    return None;
                };
                (attempts, delay, backoff)
            }
            _ => {
                self.wrong_type(
                    node,
                    "`retry`",
                    "a number of attempts or `{attempts, delay, backoff}`",
                );
                return None;
            }
        };
        let attempts = match attempts_node.value {
            Value::Int(n) if (1..=1000).contains(&n) => Spanned::new(n as u32, attempts_node.span),
            Value::Int(n) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("{n} is not a number of attempts"),
                    )
                    .label(attempts_node.span, "out of range")
                    .help("attempts count the first try too: use 1 to 1000"),
                );
                return None;
            }
            _ => {
                self.wrong_type(attempts_node, "retry `attempts`", "an integer");
                return None;
            }
        };
        if let Some(b) = &backoff {
            if !(1.0..=10.0).contains(&b.value) {
                self.error(
                    Diagnostic::error(Code::InvalidValue, format!("a backoff of {} is out of range", b.value))
                        .label(b.span, "out of range")
                        .help("the delay is multiplied by the backoff after each attempt: use 1 (constant) to 10"),
                );
            }
        }
        Some(Retry {
            attempts,
            delay,
            backoff,
            span: node.span,
        })
    }

    pub(super) fn until(&mut self, node: &Node) -> Option<Until> {
        if !matches!(node.value, Value::Map(_)) {
            let condition = self.expression(node, "`until`")?;
            return Some(Until {
                condition,
                every: None,
                within: None,
                span: node.span,
            });
        }
        let mut fields = self.fields(node, "`until`")?;
        let condition = fields.take("condition");
        let every = fields
            .take("every")
            .and_then(|n| self.duration(n, "`every`"));
        let within = fields
            .take("within")
            .and_then(|n| self.duration(n, "`within`"));
        self.unknown_fields(&fields, &["condition", "every", "within"], "`until`");
        let Some(condition) = condition else {
            self.error(
                Diagnostic::error(Code::MissingField, "`until` needs a `condition`")
                    .label(node.span, "poll until what?")
                    .help("e.g. `until: {condition: \"steps.health.status == 200\", every: 2s, within: 5m}`"),
            );
            return None;
        };
        let condition = self.expression(condition, "the `until` condition")?;
        Some(Until {
            condition,
            every,
            within,
            span: node.span,
        })
    }

    pub(super) fn on_failure(&mut self, node: &Node) -> Option<Spanned<OnFailure>> {
        match &node.value {
            Value::Str(text) => match text.value.as_str() {
                "abort" => Some(Spanned::new(OnFailure::Abort, node.span)),
                "continue" => Some(Spanned::new(OnFailure::Continue, node.span)),
                other => {
                    self.error(
                        Diagnostic::error(Code::InvalidValue, format!("`{other}` is not a failure policy"))
                            .label(node.span, "expected `abort`, `continue` or `{goto: STEP}`")
                            .help(match suggest::did_you_mean(other, ["abort", "continue"]) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("to go to a step when this one fails, write `on_failure: {{goto: {other}}}` (YAML) or `on_failure goto {other}` (.runbook)"),
                            }),
                    );
                    None
                }
            },
            Value::Map(_) => {
                let mut fields = self.fields(node, "`on_failure`")?;
                let target = fields.take("goto");
                self.unknown_fields(&fields, &["goto"], "`on_failure`");
                let Some(target) = target else {
                    self.error(
                        Diagnostic::error(Code::MissingField, "`on_failure` needs `goto`")
                            .label(node.span, "go where?")
                            .help("write `{goto: STEP}`"),
                    );
                    return None;
                };
                let target = self.ident(target, "step id")?;
                Some(Spanned::new(OnFailure::Goto(target), node.span))
            }
            _ => {
                self.wrong_type(
                    node,
                    "`on_failure`",
                    "`abort`, `continue` or `{goto: STEP}`",
                );
                None
            }
        }
    }
}
