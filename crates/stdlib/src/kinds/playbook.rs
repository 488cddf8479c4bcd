//! `playbook`: run another playbook as one step, so shared procedures
//! ("rolling restart and watch") are written once and reused.

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};

pub const EFFECT: &str = "`write`: the called playbook's steps are not known from the \
parameters alone. Its own steps keep their effects and gates when it runs.";

/// The `playbook` kind. `path` is a plain string, not a template, so the
/// called playbook is known at `check` time and can be checked with the caller.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "playbook",
        summary: "Run another playbook as a single step.",
        params: vec![
            ParamSchema::required(
                "path",
                ParamType::String,
                "Playbook file to run, relative to this playbook's directory.",
            ),
            ParamSchema::optional(
                "inputs",
                ParamType::Map(Box::new(ParamType::Template)),
                "Values for the called playbook's inputs; secrecy carries over.",
            ),
        ],
        shorthand: Some("path"),
        results: vec![ResultField::new(
            "outputs",
            ValueType::Map,
            "The called playbook's outputs, by step and output name (`outputs.STEP.NAME`).",
        )],
        primary_result: "outputs",
        default_effect: super::writes,
        rules: runbook_dsl::catalog::no_rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn calling_a_playbook_writes() {
        let path = text("restart-and-watch.yaml");
        assert_eq!((schema().default_effect)(&path), Effect::Write);
    }
}
