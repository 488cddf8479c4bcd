//! Running a `log` step: the message goes to the run's output and journal.

use runbook_runtime::action::BoxFuture;
use runbook_runtime::{Action, ActionContext, ActionResult, Stream};
use serde_json::{Map, Value};

/// The `log` action.
pub struct Log;

impl Action for Log {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let message = ctx.str_arg("message").unwrap_or_default().to_string();
            for line in message.lines() {
                ctx.emit(Stream::Log, line);
            }
            let mut fields = Map::new();
            fields.insert("message".into(), Value::String(message));
            ActionResult::success(fields)
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        format!("log: {}", ctx.str_arg("message").unwrap_or_default())
    }

    fn primary_result(&self) -> &'static str {
        "message"
    }
}
