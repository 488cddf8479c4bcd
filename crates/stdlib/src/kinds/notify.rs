//! `notify`: post a message to a chat webhook ("declare severity and
//! communicate on your internal channel"). Slack-compatible incoming
//! webhooks are the lowest common denominator: Slack, Mattermost and
//! Rocket.Chat accept the same `text`/`channel`/`username` payload.

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};

pub const EFFECT: &str = "`write`: people read the message, and it cannot be taken back. A \
dry-run shows the rendered message and does not post it.";

/// The `notify` kind. There is no shorthand: the webhook URL is required and
/// usually a secret input, so a one-line `notify: "text"` could not name it.
pub fn schema() -> KindSchema {
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
        rules: runbook_dsl::catalog::no_rules,
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
        assert_eq!((schema().default_effect)(&params), Effect::Write);
    }
}
