//! A question put to the operator (an `ask`, or a `manual` step to
//! confirm), the reply, and the rules every operator applies to what a
//! person typed: what confirms a manual step, what fits an answer's type.

use super::{Context, Via, Withdrawal};
use runbook_dsl::ast::AnswerType;
use serde_json::Value;
use std::time::Duration;

/// A question for the operator: an `ask`, or a `manual` step to confirm.
#[derive(Clone, Debug)]
pub struct Question {
    pub step: String,
    pub title: Option<String>,
    /// The question, or a manual step's instructions.
    pub text: String,
    pub kind: QuestionKind,
    pub context: Context,
    /// As [`super::GateRequest::labels`].
    pub labels: crate::element_name::ElementLabels,
    /// How long the person has, if limited.
    pub deadline: Option<Duration>,
    /// How to answer it from another terminal, when it is open to that.
    pub remote_hint: Option<String>,
    /// Set when the question no longer waits for this operator.
    pub withdrawn: Withdrawal,
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
        via: Via,
    },
    /// No answer: the run stops as at a rejected gate.
    Refused {
        who: String,
        via: Via,
        reason: String,
    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::{Span, Spanned};

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
