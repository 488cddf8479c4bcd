//! Running an `approve` step. The gate itself is the runner's (every gate,
//! whether an `approval` on a step or an `approve` step, goes through the
//! same `Operator` and is journaled the same way); once it is passed, the
//! step records who approved.

use runbook_runtime::action::BoxFuture;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::{Map, Value};

/// The `approve` action.
pub struct Approve;

impl Action for Approve {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let mut fields = Map::new();
            fields.insert(
                "approver".into(),
                Value::String(ctx.approver.clone().unwrap_or_default()),
            );
            ActionResult::success(fields)
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        format!("ask: {}", ctx.str_arg("question").unwrap_or_default())
    }

    fn primary_result(&self) -> &'static str {
        "approver"
    }
}
