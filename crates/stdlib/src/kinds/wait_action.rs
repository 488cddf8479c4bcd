//! Running a `wait` step: sleep, unless the run is cancelled.

use runbook_runtime::action::BoxFuture;
use runbook_runtime::render::Arg;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::Map;

/// The `wait` action.
pub struct Wait;

impl Action for Wait {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let Some(Arg::Duration(duration)) = ctx.args.get("duration") else {
                return ActionResult::failure("`duration` is missing");
            };
            tokio::select! {
                _ = tokio::time::sleep(*duration) => ActionResult::success(Map::new()),
                _ = ctx.cancel.cancelled() => ActionResult::failure("stopped while waiting"),
            }
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match ctx.args.get("duration") {
            Some(Arg::Duration(d)) => format!("wait {}", humantime_like(*d)),
            _ => "wait".into(),
        }
    }

    fn primary_result(&self) -> &'static str {
        ""
    }
}

fn humantime_like(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
