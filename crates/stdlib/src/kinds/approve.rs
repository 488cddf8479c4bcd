//! `approve`: an approval gate as a step of its own, for a checkpoint that
//! guards several steps at once ("proceed with the failover?") rather than
//! one (for that, use the step's `approval`).

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};

pub const EFFECT: &str = "`read`: the gate changes nothing itself. In a dry-run it is shown, \
not asked; without a terminal it fails closed unless approved with `--approve STEP`. It is a \
checkpoint a person must pass: `--yes` does not pass it.";

/// The `approve` kind.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "approve",
        summary: "Stop until an operator approves; a rejection stops the run.",
        params: vec![ParamSchema::required(
            "question",
            ParamType::Template,
            "What the operator approves, shown in the prompt and journaled with the decision.",
        )],
        shorthand: Some("question"),
        results: vec![ResultField::new(
            "approver",
            ValueType::String,
            "Who approved, as recorded in the journal.",
        )],
        primary_result: "approver",
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
    fn a_gate_reads() {
        let question = text("Fail over Postgres to the replica?");
        assert_eq!((schema().default_effect)(&question), Effect::Read);
    }
}
