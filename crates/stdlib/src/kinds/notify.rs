//! `notify`: post a message to a chat webhook ("declare severity and
//! communicate on your internal channel"). Slack-compatible incoming
//! webhooks are the lowest common denominator: Slack, Mattermost and
//! Rocket.Chat accept the same `text`/`channel`/`username` payload, POSTed
//! as JSON (`channel` and `username` only when given).

use crate::web::send::Repeat;
use crate::web::{self, ClientOptions};
use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType, ResultField,
};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// The `notify` kind. There is no shorthand: the webhook URL is required and
/// usually a secret input, so a one-line `notify: "text"` could not name it.
pub struct Notify;

/// A webhook that does not answer in this long is reported as down rather
/// than holding up the incident.
const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
pub struct Params {
    url: String,
    #[serde(flatten)]
    payload: Payload,
}

/// The JSON body, as Slack's incoming webhooks read it.
#[derive(Deserialize, Serialize)]
pub struct Payload {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
}

impl Kind for Notify {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "notify",
            summary: "Post a message to a Slack-compatible incoming webhook.",
            params: vec![
                ParamSchema::required(
                    "url",
                    ParamType::Template,
                    "Webhook URL; usually a secret input.",
                ),
                ParamSchema::required(
                    "text",
                    ParamType::Template,
                    "Message text, in the chat's Markdown.",
                ),
                ParamSchema::optional(
                    "channel",
                    ParamType::Template,
                    "Channel to post to, where the webhook allows overriding its own.",
                ),
                ParamSchema::optional(
                    "username",
                    ParamType::Template,
                    "Name shown as the sender, where the webhook allows it.",
                ),
            ],
            shorthand: None,
            results: vec![ResultField::new(
                "status",
                ValueType::Int,
                "HTTP status of the webhook's response; not 2xx fails the step.",
            )],
            primary_result: "status",
            default_effect: super::writes,
            effect_doc: "`write`: people read the message, and it cannot be taken back. A \
dry-run shows the rendered message and does not post it.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                describes_itself: DescribesItself::Always,
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let options = ClientOptions {
                follow_redirects: false,
                insecure: false,
            };
            let client = match web::client(options) {
                Ok(c) => c,
                Err(e) => return ActionResult::failure(e),
            };
            let what = "POST to the webhook";
            let body = serde_json::to_value(&params.payload).unwrap_or_default();
            let request = client.post(&params.url).timeout(TIMEOUT).json(&body);
            let send = web::send::send(options, request, Repeat::ByMethod, what, TIMEOUT);
            let response = tokio::select! {
                r = send => match r {
                    Ok(r) => r,
                    Err(e) => return ActionResult::failure(e),
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

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        let body = serde_json::to_value(&params.payload).unwrap_or_default();
        format!("POST {body} to {}", params.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{map, text};
    use runbook_dsl::ast::Effect;

    #[test]
    fn notifying_writes() {
        let params = map(vec![
            ("url", text("{{inputs.webhook}}")),
            ("text", text("SEV-2 declared")),
        ]);
        assert_eq!((Notify.schema().default_effect)(&params), Effect::Write);
    }
}
