//! `log`: write a line to the run's output and journal, for the context an
//! operator or the incident report needs ("queue depth was 312").

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};

pub const EFFECT: &str = "`read`: the message goes to the run's own output and journal, \
nowhere else.";

/// The `log` kind.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "log",
        summary: "Print a message to the run's output and record it in the journal.",
        params: vec![ParamSchema::required(
            "message",
            ParamType::Template,
            "Text to print; secrets in it are masked.",
        )],
        shorthand: Some("message"),
        results: vec![ResultField::new(
            "message",
            ValueType::String,
            "The message as rendered.",
        )],
        primary_result: "message",
        default_effect: super::reads,
        rules: runbook_dsl::catalog::no_rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn logging_reads() {
        let message = text("queue depth {{steps.depth.value}}");
        assert_eq!((schema().default_effect)(&message), Effect::Read);
    }
}
