//! `http`: one HTTP request. Health probes (`curl /health`), control-plane
//! calls (`PATCH .../scale?replicas=8`), anything with a URL. The schema
//! and the kind are here, the request in [`request`], local files (a body
//! saved or sent) in [`file`].

pub(crate) mod file;
mod request;

pub use request::{header_map, Expect, DEFAULT_TIMEOUT};

use crate::params::param;
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{
    Capabilities, EffectFloor, KindSchema, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::code::Code;
use runbook_dsl::encode::Encoding;
use runbook_dsl::node::Node;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The methods `http` accepts.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const EFFECT: &str = "`read` for `GET` and `HEAD` (also when `method` is absent), which \
HTTP defines as safe; `write` for every other method, and for any request with `save_to` \
(it writes a local file). A `POST` to an endpoint that only reads (a search, a query) may \
be declared `effect: read`, and a dry-run then sends it; `PUT`, `PATCH` and `DELETE` \
declared `read` are an error (`runbook::understated_effect`).";

/// The floor of a step's declared effect: what its parameters say it does.
const FLOOR: EffectFloor = EffectFloor {
    effect: effect_floor,
    read_from: &["method"],
};

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
    body_file: Option<String>,
    save_to: Option<String>,
    overwrite: Option<bool>,
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
            match request::request(&params, &ctx.workdir) {
                Ok(req) => request::send(ctx, req).await,
                // Nothing was sent: the request cannot be made as given.
                Err(e) => ActionResult::misconfigured(e),
            }
        })
    }

    fn describe(&self, params: &Params, ctx: &ActionContext) -> String {
        match request::request(params, &ctx.workdir) {
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
            ParamSchema::optional(
                "headers",
                templates(),
                "Request headers; a name that is not a header name, or a written value with a line break, is a `check` error, and an inserted value with one fails the step before anything is sent.",
            ),
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
                "body_file",
                ParamType::Encoded(Encoding::FilePath),
                "A file sent as the request body, streamed (relative paths from the directory runbook was started in); excludes `json` and `body`.",
            ),
            ParamSchema::optional(
                "save_to",
                ParamType::Encoded(Encoding::FilePath),
                "Save the response body to this file instead of keeping it in `body`: written whole or not at all, only when the status is expected; a dry-run receives it but writes nothing.",
            ),
            ParamSchema::optional(
                "overwrite",
                ParamType::Bool,
                "Let `save_to` replace an existing file; default `false` (the step fails before sending).",
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
            ResultField::new(
                "body",
                ValueType::String,
                "Response body as text, at most the output cap of it (then `truncated` is true and a marker line ends it); empty when `save_to` saved it (up to 64 KiB of a refused one).",
            ),
            ResultField::new(
                "json",
                ValueType::Any,
                "Response body parsed as JSON; unset when the body is not JSON or was cut at the output cap.",
            ),
            ResultField::new(
                "elapsed_ms",
                ValueType::Int,
                "Time from sending the request to the end of the body, in milliseconds.",
            ),
            ResultField::new(
                "saved_to",
                ValueType::String,
                "With `save_to`: the absolute path the body was saved to; unset in a dry-run.",
            ),
            ResultField::new(
                "bytes",
                ValueType::Int,
                "With `save_to`: the size of the saved body.",
            ),
            ResultField::new(
                "sha256",
                ValueType::String,
                "With `save_to`: the SHA-256 of the saved body, in hex.",
            ),
            crate::capped::truncated_field(),
        ],
        primary_result: "body",
        default_effect,
        effect_doc: EFFECT,
        rules,
        capabilities: Capabilities {
            effect_floor: Some(&FLOOR),
            ..Capabilities::default()
        },
    }
}

/// The three ways of giving a body, of which a request takes one.
const BODIES: &[&str] = &["json", "body", "body_file"];

/// A second way of giving the body, and a header that could not be sent,
/// at the place they are written.
fn rules(params: &Node) -> Vec<ParamProblem> {
    let mut problems = second_bodies(params);
    problems.extend(unsendable_headers(params));
    problems
}

fn second_bodies(params: &Node) -> Vec<ParamProblem> {
    let given: Vec<(&str, &Node)> = BODIES
        .iter()
        .filter_map(|name| Some((*name, param(params, Some("url"), name)?)))
        .collect();
    given
        .iter()
        .skip(1)
        .map(|(name, node)| ParamProblem {
            code: Code::InvalidParam,
            span: node.span,
            message: format!("`{name}` and `{}` exclude each other", given[0].0),
            label: "a second body".into(),
            help: "a request has one body: `json` for a JSON document, `body` for text, \
                   `body_file` for a file"
                .into(),
        })
        .collect()
}

/// A header name the request could not carry, and a written value (one
/// without `{{`) holding a line break: both would fail every run of the
/// step before anything is sent, so `check` says so where they are
/// written. A value inserted at run time is checked when it is sent.
fn unsendable_headers(params: &Node) -> Vec<ParamProblem> {
    let Some(headers) = param(params, Some("url"), "headers").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for entry in headers {
        let name = &entry.key.value;
        if !request::is_header_name(name) {
            problems.push(ParamProblem {
                code: Code::InvalidParam,
                span: entry.key.span,
                message: format!("`{}` is not a header name", name.escape_debug()),
                label: "not sendable as a header name".into(),
                help: "a header name is letters, digits and `-` (also `!#$%&'*+.^_`|~`), \
                       with no spaces or `:`"
                    .into(),
            });
        }
        let written = entry.value.as_text().filter(|t| !t.as_str().contains("{{"));
        if let Some(text) = written {
            if !request::is_header_value(text.as_str()) {
                problems.push(ParamProblem {
                    code: Code::InvalidParam,
                    span: entry.value.span,
                    message: format!(
                        "the value of header `{}` holds a line break or another control character",
                        name.escape_debug()
                    ),
                    label: "would end the header here".into(),
                    help: "a header value is one line: write it without line breaks \
                           (a tab is allowed)"
                        .into(),
                });
            }
        }
    }
    problems
}

fn default_effect(params: &Node) -> Effect {
    if param(params, Some("url"), "save_to").is_some() {
        return Effect::Write;
    }
    let Some(method) = param(params, Some("url"), "method") else {
        return Effect::Read;
    };
    match method.scalar_string() {
        Some(m) if m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD") => Effect::Read,
        _ => Effect::Write,
    }
}

/// What a step must at least declare: `PUT`, `PATCH` and `DELETE` change
/// what they name by definition. A `POST` may be declared `read` (a
/// search, a query endpoint), which a dry-run then sends; so may a
/// download (`save_to`), which a dry-run fetches without writing the file.
fn effect_floor(params: &Node) -> Effect {
    match param(params, Some("url"), "method").and_then(Node::scalar_string) {
        Some(m)
            if ["PUT", "PATCH", "DELETE"]
                .iter()
                .any(|w| m.eq_ignore_ascii_case(w)) =>
        {
            Effect::Write
        }
        _ => Effect::Read,
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
    fn saving_to_a_file_writes() {
        let params = map(vec![
            ("url", text("https://x/export")),
            ("save_to", text("x.json")),
        ]);
        assert_eq!((schema().default_effect)(&params), Effect::Write);
    }

    #[test]
    fn a_request_has_one_body() {
        let params = map(vec![
            ("url", text("https://x")),
            ("json", map(vec![])),
            ("body_file", text("a.sql")),
        ]);
        let problems = (schema().rules)(&params);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "`body_file` and `json` exclude each other"
        );
        assert!((schema().rules)(&map(vec![("body", text("x"))])).is_empty());
    }

    #[test]
    fn headers_that_could_not_be_sent_are_found_where_written() {
        let headers = map(vec![
            ("X Request Id", text("1")),
            ("Accept:", text("a")),
            ("X-Ok", text("fine\tvalue")),
            ("X-Split", text("a\r\nX-Injected: yes")),
            ("X-Later", text("{{inputs.id}}\n")),
        ]);
        let params = map(vec![("url", text("https://x")), ("headers", headers)]);
        let messages: Vec<String> = (schema().rules)(&params)
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            messages,
            [
                "`X Request Id` is not a header name",
                "`Accept:` is not a header name",
                "the value of header `X-Split` holds a line break or another control character",
            ]
        );
    }

    #[test]
    fn a_malformed_method_is_not_trusted_to_be_safe() {
        let params = map(vec![("url", text("https://x")), ("method", int(7))]);
        assert_eq!((schema().default_effect)(&params), Effect::Write);
        let params = map(vec![("method", map(vec![]))]);
        assert_eq!((schema().default_effect)(&params), Effect::Write);
    }
}
