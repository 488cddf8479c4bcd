//! `silence`: an Alertmanager silence for the alerts an operator is working
//! on during an incident or a maintenance, which always ends by itself
//! (`duration` is required and capped), or, with `expire`, the early end of
//! one. The schema and the kind are here, the matchers in [`matchers`],
//! what `check` says in [`rules`], the API calls in [`api`], how a retry
//! finds the silence a lost answer created in [`reuse`], how a silence
//! read from Alertmanager is shown in [`shown`].

mod api;
mod matchers;
mod reuse;
mod rules;
mod shown;

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{Capabilities, KindSchema, ParamSchema, ParamType, ResultField};
use runbook_dsl::encode::Encoding;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// How long a silence may last unless the step raises `max_duration`: a
/// day covers a maintenance night; a longer one is a decision to write down.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// What creating a silence needs.
const REQUIRED_TO_CREATE: &[&str] = &["matchers", "duration", "comment"];

/// What only creating a silence takes, so `expire` excludes it.
const EXPIRE_EXCLUDES: &[&str] = &[
    "matchers",
    "duration",
    "max_duration",
    "comment",
    "created_by",
    "allow_broad",
];

const EFFECT: &str = "`write`, both to create and to expire: a silence changes which alerts \
reach people, and can be expired (or ends by itself).";

/// The `silence` kind.
pub struct Silence;

#[derive(Deserialize)]
pub struct Params {
    url: String,
    matchers: Option<Value>,
    duration: Option<Duration>,
    max_duration: Option<Duration>,
    comment: Option<String>,
    created_by: Option<String>,
    #[serde(default, deserialize_with = "crate::params::only_true")]
    allow_broad: bool,
    expire: Option<String>,
    headers: Option<Map<String, Value>>,
    timeout: Option<Duration>,
}

impl Kind for Silence {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            match api::Call::new(&params) {
                Ok(call) => call.run(ctx).await,
                Err(e) => ActionResult::failure(e),
            }
        })
    }

    /// The silence with its matchers, end, author and comment, marked
    /// with the run and step as it will be created: what a dry-run and an
    /// approval prompt show (masked by the runner where secret).
    fn describe(&self, params: &Params, ctx: &ActionContext) -> String {
        match api::Call::new(params) {
            Ok(call) => call.describe(ctx.run_mark().as_deref()),
            Err(e) => e,
        }
    }

    /// For an `expire`, the silence it would end as Alertmanager holds it
    /// now (matchers, comment, author), so the approver knows which alerts
    /// come back; that it could not be read, if so.
    fn describe_now<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, String> {
        Box::pin(async move {
            match api::Call::new(&params) {
                Ok(call) => call.describe_now(ctx).await,
                Err(e) => e,
            }
        })
    }

    /// A dry-run asks Alertmanager whether it is there (`GET
    /// /api/v2/status`) after checking the silence as a run would; it
    /// creates and expires nothing.
    fn preview<'a>(
        &'a self,
        params: Params,
        ctx: &'a ActionContext,
    ) -> Option<BoxFuture<'a, ActionResult>> {
        Some(Box::pin(async move {
            match api::Call::new(&params) {
                Ok(call) => call.preview(ctx).await,
                Err(e) => ActionResult::failure(e),
            }
        }))
    }
}

fn schema() -> KindSchema {
    KindSchema {
        name: "silence",
        summary: "Silence alerts in Alertmanager for a while, or expire a silence early.",
        params: vec![
            ParamSchema::required(
                "url",
                ParamType::Encoded(Encoding::Url),
                "Alertmanager's base URL, such as `http://alertmanager:9093`; inserted values are percent-encoded as in `http`.",
            ),
            ParamSchema::optional(
                "matchers",
                ParamType::OneOf(vec![
                    ParamType::List(Box::new(ParamType::Map(Box::new(ParamType::Template)))),
                    ParamType::Map(Box::new(ParamType::Template)),
                ]),
                "To create: the alerts to silence, a list of `{name, value, op}` (`op` `=`, `!=`, `=~` or `!~`; default `=`) or a mapping of label to value (each `=`).",
            ),
            ParamSchema::optional(
                "duration",
                ParamType::Duration,
                "To create: how long the silence lasts from now; required, so a silence always ends by itself; at most `max_duration`.",
            ),
            ParamSchema::optional(
                "max_duration",
                ParamType::Duration,
                "The longest `duration` the step accepts; default `24h`.",
            ),
            ParamSchema::optional(
                "comment",
                ParamType::Template,
                "To create: why the alerts are silenced (Alertmanager requires it); runbook adds the run and step that created it, `(runbook run ID, step STEP)`, by which a retry finds it.",
            ),
            ParamSchema::optional(
                "created_by",
                ParamType::Template,
                "Who the silence is by; default the user who runs the run, as the journal records it.",
            ),
            ParamSchema::optional(
                "allow_broad",
                ParamType::Bool,
                "Allow matchers that match every alert (`=~ \".*\"`, only `!=`); default `false`, a `broad_silence` error.",
            ),
            ParamSchema::optional(
                "expire",
                ParamType::Template,
                "Instead of creating: the id of a silence to end now (`{{steps.mute.id}}`); excludes the parameters that create.",
            ),
            ParamSchema::optional(
                "headers",
                ParamType::Map(Box::new(ParamType::Template)),
                "Request headers, such as `Authorization` for a proxy in front of Alertmanager.",
            ),
            ParamSchema::optional(
                "timeout",
                ParamType::Duration,
                "Limit on each request to Alertmanager; default `30s`.",
            ),
        ],
        shorthand: None,
        results: vec![
            ResultField::new(
                "id",
                ValueType::String,
                "The silence's id: the one created, or the one expired.",
            ),
            ResultField::new(
                "ends_at",
                ValueType::String,
                "When the silence ends (RFC 3339, UTC): now plus `duration`, or when it was expired.",
            ),
        ],
        primary_result: "id",
        default_effect: super::writes,
        effect_doc: EFFECT,
        rules: rules::rules,
        capabilities: Capabilities {
            credentials: &["url", "headers"],
            undoes_with: Some(&"expire"),
            ..Capabilities::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{map, text};
    use runbook_dsl::ast::Effect;

    #[test]
    fn creating_and_expiring_write() {
        let create = map(vec![("url", text("http://am")), ("duration", text("1h"))]);
        let expire = map(vec![("url", text("http://am")), ("expire", text("x"))]);
        assert_eq!((schema().default_effect)(&create), Effect::Write);
        assert_eq!((schema().default_effect)(&expire), Effect::Write);
        assert_eq!((schema().default_effect)(&text("?")), Effect::Write);
    }
}
