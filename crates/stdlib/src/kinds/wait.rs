//! `wait`: let something settle ("give the HPA two minutes") before the next
//! probe. For waiting *until* a condition holds, use a step's `until`.
//! Running it sleeps, unless the run is cancelled; a dry-run does not sleep
//! and says how long a run would ([`runbook_runtime::Mode::pauses`]).

use super::NO_RESULT;
use runbook_dsl::catalog::{Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::Map;
use std::time::Duration;

/// The `wait` kind.
pub struct Wait;

#[derive(Deserialize)]
pub struct Params {
    duration: Duration,
}

impl Kind for Wait {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "wait",
            summary: "Pause for a fixed time.",
            params: vec![ParamSchema::required(
                "duration",
                ParamType::Duration,
                "How long to pause, such as `30s` or `2m`, or a template that renders one (`{{inputs.settle}}`: checked by `check` where its values are known, else when the step runs).",
            )],
            shorthand: Some("duration"),
            results: vec![],
            primary_result: NO_RESULT,
            default_effect: super::reads,
            effect_doc: "`read`: waiting changes nothing. A dry-run does not pause: the step succeeds at once, noting how long a run would wait (what a pause lets settle is usually the effect of a write the dry-run did not make).",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                pure: true,
                describes_itself: DescribesItself::Always,
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            if !ctx.mode.pauses() {
                return ActionResult {
                    message: Some(format!(
                        "a dry-run does not wait; a run waits {} here",
                        humantime::format_duration(params.duration)
                    )),
                    ..ActionResult::success(Map::new())
                };
            }
            tokio::select! {
                _ = tokio::time::sleep(params.duration) => ActionResult::success(Map::new()),
                _ = ctx.cancel.cancelled() => ActionResult::failure("stopped while waiting"),
            }
        })
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        format!("wait {}", humantime_like(params.duration))
    }
}

fn humantime_like(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn waiting_reads() {
        assert_eq!((Wait.schema().default_effect)(&text("30s")), Effect::Read);
    }
}
