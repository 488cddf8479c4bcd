//! `ask` steps: questions to the operator.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::source::{Span, Spanned};
use crate::suggest;

impl Lowerer<'_> {
    pub(super) fn ask(&mut self, node: &Node, keyword: Span) -> Option<Ask> {
        let span = keyword.to(node.span);
        if let Value::Str(question) = &node.value {
            return Some(Ask {
                question: question.clone(),
                answer: AnswerType::Text,
                default: None,
                span,
            });
        }
        let mut fields = self.fields(node, "`ask`")?;
        let question = fields.take("question");
        let choices = fields.take("choices");
        let ty = fields.take("type");
        let min = fields.take("min").and_then(|n| self.float(n, "`min`"));
        let max = fields.take("max").and_then(|n| self.float(n, "`max`"));
        let default = match fields.take("default") {
            Some(d) => match d.scalar_string() {
                Some(value) => Some(Spanned::new(value, d.span)),
                None => {
                    self.error(
                        Diagnostic::error(Code::WrongType, "an answer's `default` is one value")
                            .label(d.span, "not a single value")
                            .help("write the answer taken when the step's `timeout` passes, such as `default: sev2`"),
                    );
                    None
                }
            },
            None => None,
        };
        self.unknown_fields(
            &fields,
            &["question", "choices", "type", "min", "max", "default"],
            "`ask`",
        );
        let question = match question {
            Some(q) => self.text(q, "the question")?,
            None => {
                self.error(
                    Diagnostic::error(Code::MissingField, "`ask` needs a `question`")
                        .label(keyword, "ask what?")
                        .help("e.g. `question: Is this a workload error or a platform error?`"),
                );
                return None;
            }
        };
        let ty_word = match ty {
            Some(t) => Some((self.string(t, "the answer `type`")?, t.span)),
            None => None,
        };
        let answer = match ty_word.as_ref().map(|(w, s)| (w.value.as_str(), *s)) {
            None | Some(("choice", _)) => match choices {
                Some(c) => AnswerType::Choice(self.choices(c)),
                None if ty_word.is_none() => AnswerType::Text,
                None => {
                    self.error(
                        Diagnostic::error(
                            Code::EmptyChoices,
                            "a choice question must list its `choices`",
                        )
                        .label(span, "no choices")
                        .help("add `choices: [a, b]`"),
                    );
                    AnswerType::Choice(Vec::new())
                }
            },
            Some(("number", _)) => AnswerType::Number { min, max },
            Some(("text", _)) => AnswerType::Text,
            Some((other, at)) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`{other}` is not an answer type"),
                    )
                    .label(at, "unknown answer type")
                    .with_help(suggest::help_for(
                        "answer type",
                        other,
                        ["choice", "number", "text"],
                    )),
                );
                return None;
            }
        };
        if choices.is_some() && !matches!(answer, AnswerType::Choice(_)) {
            self.error(
                Diagnostic::error(Code::InvalidValue, "only a choice question has `choices`")
                    .label(span, "not a choice question")
                    .help("remove `type`, or remove `choices`"),
            );
        }
        Some(Ask {
            question,
            answer,
            default,
            span,
        })
    }
}
