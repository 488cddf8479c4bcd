//! Running a `notify` step: the Slack-compatible payload (`text`, and
//! `channel` and `username` when given) POSTed as JSON to the webhook.

use crate::web::{self, ClientOptions};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::{Map, Value};
use std::time::Duration;

/// The `notify` action.
pub struct Notify;

/// A webhook that does not answer in this long is reported as down rather
/// than holding up the incident.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The JSON body, as Slack's incoming webhooks read it.
pub fn payload(ctx: &ActionContext) -> Result<Value, String> {
    let text = ctx.str_arg("text").ok_or("`text` is missing")?;
    let mut body = Map::new();
    body.insert("text".into(), Value::from(text));
    for optional in ["channel", "username"] {
        if let Some(v) = ctx.str_arg(optional) {
            body.insert(optional.into(), Value::from(v));
        }
    }
    Ok(Value::Object(body))
}

impl Action for Notify {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let Some(url) = ctx.str_arg("url") else {
                return ActionResult::failure("`url` is missing");
            };
            let body = match payload(ctx) {
                Ok(b) => b,
                Err(e) => return ActionResult::failure(e),
            };
            let client = match web::client(ClientOptions {
                follow_redirects: false,
                insecure: false,
            }) {
                Ok(c) => c,
                Err(e) => return ActionResult::failure(e),
            };
            let what = "POST to the webhook";
            let send = client.post(url).timeout(TIMEOUT).json(&body).send();
            let response = tokio::select! {
                r = send => match r {
                    Ok(r) => r,
                    Err(e) => return ActionResult::failure(web::describe_failure(&e, what, TIMEOUT)),
                },
                _ = ctx.cancel.cancelled() => return ActionResult::failure("stopped while posting"),
            };
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let mut fields = Map::new();
            fields.insert("status".into(), Value::from(status.as_u16()));
            if status.is_success() {
                ActionResult::success(fields)
            } else {
                let text: String = text.trim().chars().take(200).collect();
                ActionResult::failure(format!("the webhook answered {status}: {text}"))
                    .with_fields(fields)
            }
        })
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match payload(ctx) {
            Ok(body) => format!(
                "POST {} to {}",
                body,
                ctx.str_arg("url").unwrap_or("<no url>")
            ),
            Err(e) => e,
        }
    }

    fn primary_result(&self) -> &'static str {
        "status"
    }
}
