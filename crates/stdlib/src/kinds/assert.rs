//! `assert`: fail the run, with the expression and the values it saw, when
//! something that must hold does not ("the queue is drained").

use super::NO_RESULT;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType};

pub const EFFECT: &str = "`read`: it evaluates an expression over results already captured.";

/// The `assert` kind. `that` is an [`ParamType::Expr`], checked at `check`
/// time like a `when`, so a typo in it is caught before the incident.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "assert",
        summary: "Fail unless an expression holds, showing the values it saw.",
        params: vec![
            ParamSchema::required(
                "that",
                ParamType::Expr,
                "Boolean expression that must hold, such as `steps.health.status == 200`.",
            ),
            ParamSchema::optional(
                "message",
                ParamType::Template,
                "What the failure means for the operator, shown above the expression and its values.",
            ),
        ],
        shorthand: Some("that"),
        results: vec![],
        primary_result: NO_RESULT,
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
    fn asserting_reads() {
        let that = text("steps.pods.count > 0");
        assert_eq!((schema().default_effect)(&that), Effect::Read);
    }
}
