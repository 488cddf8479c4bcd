//! `http`: one HTTP request. Health probes (`curl /health`), control-plane
//! calls (`PATCH .../scale?replicas=8`), anything with a URL. The schema
//! and the kind are here, the request in [`request`].

mod request;

pub use request::{header_map, Expect, DEFAULT_TIMEOUT};

use crate::params::param;
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{Capabilities, KindSchema, ParamSchema, ParamType, ResultField};
use runbook_dsl::encode::Encoding;
use runbook_dsl::node::Node;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The methods `http` accepts.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The `http` kind.
pub struct Http;

#[derive(Deserialize)]
pub struct Params {
    url: String,
    method: Option<String>,
    headers: Option<Map<String, Value>>,
    query: Option<Map<String, Value>>,
    json: Option<Value>,
    body: Option<Value>,
    timeout: Option<Duration>,
    follow_redirects: Option<bool>,
    /// A status, a list of them, or a class: read by [`Expect::from_arg`].
    expect_status: Option<Value>,
    insecure: Option<bool>,
}

impl Kind for Http {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            match request::request(&params) {
                Ok(req) => request::send(ctx, req).await,
                Err(e) => ActionResult::failure(e),
            }
        })
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        match request::request(params) {
            Ok(req) => request::describe(&req),
            Err(e) => e,
        }
    }
}

fn schema() -> KindSchema {
    let templates = || ParamType::Map(Box::new(ParamType::Template));
    KindSchema {
        name: "http",
        summary: "Send an HTTP request and capture the response.",
        params: vec![
            ParamSchema::required(
                "url",
                ParamType::Encoded(Encoding::Url),
                "Absolute URL to request; inserted values are percent-encoded (see below).",
            ),
            ParamSchema::optional(
                "method",
                ParamType::Enum(METHODS),
                "Request method; default `GET`.",
            ),
            ParamSchema::optional("headers", templates(), "Request headers."),
            ParamSchema::optional(
                "query",
                templates(),
                "Query parameters, URL-encoded and appended to `url`.",
            ),
            ParamSchema::optional(
                "json",
                ParamType::Any,
                "Request body sent as JSON with `Content-Type: application/json`; excludes `body`.",
            ),
            ParamSchema::optional(
                "body",
                ParamType::Encoded(Encoding::JsonBody),
                "Raw request body; excludes `json`. When it starts with `{` or `[`, inserted values are written as JSON.",
            ),
            ParamSchema::optional(
                "timeout",
                ParamType::Duration,
                "Limit on one request, connection included; default `30s`.",
            ),
            ParamSchema::optional(
                "follow_redirects",
                ParamType::Bool,
                "Follow up to 10 redirects; default `true`.",
            ),
            ParamSchema::optional(
                "expect_status",
                ParamType::OneOf(vec![
                    ParamType::Int,
                    ParamType::List(Box::new(ParamType::Int)),
                    ParamType::String,
                ]),
                "Statuses that succeed: `200`, `[200, 204]`, `\"2xx\"` or `\"any\"`; default `\"2xx\"`.",
            ),
            ParamSchema::optional(
                "insecure",
                ParamType::Bool,
                "Skip TLS certificate verification; only for self-signed internal endpoints.",
            ),
        ],
        shorthand: Some("url"),
        results: vec![
            ResultField::new("status", ValueType::Int, "Response status code."),
            ResultField::new(
                "headers",
                ValueType::Map,
                "Response headers, names lowercased; repeated headers joined with `, `.",
            ),
            ResultField::new("body", ValueType::String, "Response body as text."),
            ResultField::new(
                "json",
                ValueType::Any,
                "Response body parsed as JSON; unset when the body is not JSON.",
            ),
            ResultField::new(
                "elapsed_ms",
                ValueType::Int,
                "Time from sending the request to the end of the body, in milliseconds.",
            ),
        ],
        primary_result: "body",
        default_effect,
        effect_doc: "`read` for `GET` and `HEAD` (also when `method` is absent), which \
HTTP defines as safe; `write` for every other method.",
        rules: runbook_dsl::catalog::no_rules,
        capabilities: Capabilities::default(),
    }
}

fn default_effect(params: &Node) -> Effect {
    let Some(method) = param(params, Some("url"), "method") else {
        return Effect::Read;
    };
    match method.scalar_string() {
        Some(m) if m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD") => Effect::Read,
        _ => Effect::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{int, map, text};

    #[test]
    fn safe_methods_read() {
        let effect = schema().default_effect;
        assert_eq!(effect(&text("https://pilot.example/health")), Effect::Read);
        assert_eq!(
            effect(&map(vec![("url", text("https://x/health"))])),
            Effect::Read
        );
        for method in ["GET", "HEAD", "get"] {
            let params = map(vec![("url", text("https://x")), ("method", text(method))]);
            assert_eq!(effect(&params), Effect::Read, "{method}");
        }
    }

    #[test]
    fn other_methods_write() {
        let effect = schema().default_effect;
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "patch"] {
            let params = map(vec![("url", text("https://x")), ("method", text(method))]);
            assert_eq!(effect(&params), Effect::Write, "{method}");
        }
    }

    #[test]
    fn a_malformed_method_is_not_trusted_to_be_safe() {
        let params = map(vec![("url", text("https://x")), ("method", int(7))]);
        assert_eq!((schema().default_effect)(&params), Effect::Write);
        let params = map(vec![("method", map(vec![]))]);
        assert_eq!((schema().default_effect)(&params), Effect::Write);
    }
}
