//! Running a `playbook` step: the called playbook is started the way every
//! run is, by the runtime's session ([`nest::call`]: read, checked, its
//! inputs resolved, run by a runner of its own with the same actions,
//! journaled inside the caller's journal); its steps' outputs come back as
//! `outputs.STEP.NAME`. Its steps keep their effects and gates, and its
//! gates, `manual` steps and questions go to the caller's operator (the
//! same terminal prompt, the same `--approve`/`--answer`), addressed as
//! `CALL.STEP` ([`Nested`](runbook_runtime::operator::Nested)); those decisions are journaled in the caller's
//! journal under that address. A gate in the called playbook is also passed
//! when the calling step's own gate was approved and it is neither
//! `destructive` nor an `approve` step (as `--yes` does). A rejection there
//! rejects the calling step. A dry-run of the caller runs the called
//! playbook as a dry-run. A rehearsal runs it with its scripted actions
//! ([`ActionContext::called_actions`]).

use crate::Builtins;
use runbook_runtime::event::RunStatus;
use runbook_runtime::session::nest::{self, Call, Called};
use runbook_runtime::{ActionContext, ActionResult, Mode};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Runs the called playbook through the session, as every run starts.
pub async fn call(ctx: &ActionContext, mode: Mode) -> ActionResult {
    let Some(path) = ctx.str_arg("path") else {
        return ActionResult::failure("`path` is missing");
    };
    let given: Map<String, Value> = match ctx.args.get("inputs").and_then(|a| a.as_value()) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let called = nest::call(Call {
        ctx,
        path,
        inputs: given,
        mode,
        catalog: crate::builtin(),
        actions: Arc::new(Builtins),
    })
    .await;
    let Called { outcome, outputs } = match called {
        Ok(called) => called,
        Err(why) => return ActionResult::failure(why),
    };
    let mut fields = Map::new();
    fields.insert("outputs".into(), Value::Object(outputs));
    match outcome.status {
        RunStatus::Succeeded => {
            let mut r = ActionResult::success(fields);
            if mode == Mode::DryRun {
                r.message = Some(format!("{path} dry-ran to its end"));
            }
            r
        }
        status => {
            let first = outcome
                .failures
                .first()
                .map(|f| format!(": {}", f.message))
                .unwrap_or_default();
            // Its cleanups all ran: nothing of it is left to do, and a
            // resume will not continue inside it.
            let cleaned = if !outcome.cleaned_up.is_empty() && outcome.cleanup_unfinished.is_empty()
            {
                let ran: Vec<String> = outcome
                    .cleaned_up
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect();
                format!("; its cleanups ran ({})", ran.join(", "))
            } else {
                String::new()
            };
            let message = format!(
                "{path} {}{first}{cleaned}",
                match status {
                    RunStatus::Rejected => "stopped at a gate",
                    RunStatus::Interrupted => "was interrupted",
                    _ => "failed",
                }
            );
            match status {
                RunStatus::Rejected => ActionResult::rejected(message),
                _ => ActionResult::failure(message),
            }
            .with_fields(fields)
        }
    }
}
