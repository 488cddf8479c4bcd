//! `approve`: an approval gate as a step of its own, for a checkpoint that
//! guards several steps at once ("proceed with the failover?") rather than
//! one (for that, use the step's `approval`).
//!
//! The gate itself is the runner's (every gate, whether an `approval` on a
//! step or a step of a kind that [gates](Capabilities::gates), goes through
//! the same `Operator` and is journaled the same way); once it is passed,
//! the step records who approved.

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType, ResultField,
};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `approve` kind.
pub struct Approve;

#[derive(Deserialize)]
pub struct Params {
    question: String,
}

impl Kind for Approve {
    type Params = Params;

    fn schema(&self) -> KindSchema {
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
            effect_doc: "`read`: the gate changes nothing itself. In a dry-run it is shown, \
not asked; without a terminal it fails closed unless approved with `--approve STEP`. It is a \
checkpoint a person must pass: `--yes` does not pass it.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                gates: true,
                question: Some("question"),
                pure: true,
                describes_itself: DescribesItself::Always,
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, _: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let mut fields = Map::new();
            fields.insert(
                "approver".into(),
                Value::String(ctx.approver.clone().unwrap_or_default()),
            );
            ActionResult::success(fields)
        })
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        format!("ask: {}", params.question)
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
        assert_eq!((Approve.schema().default_effect)(&question), Effect::Read);
    }
}
