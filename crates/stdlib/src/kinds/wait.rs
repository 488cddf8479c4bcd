//! `wait`: let something settle ("give the HPA two minutes") before the next
//! probe. For waiting *until* a condition holds, use a step's `until`.

use super::NO_RESULT;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType};

pub const EFFECT: &str = "`read`: waiting changes nothing, so a dry-run waits too.";

/// The `wait` kind.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "wait",
        summary: "Pause for a fixed time.",
        params: vec![ParamSchema::required(
            "duration",
            ParamType::Duration,
            "How long to pause, such as `30s` or `2m`.",
        )],
        shorthand: Some("duration"),
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
    fn waiting_reads() {
        assert_eq!((schema().default_effect)(&text("30s")), Effect::Read);
    }
}
