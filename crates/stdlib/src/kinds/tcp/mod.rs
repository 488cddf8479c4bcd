//! `tcp`: is this port reachable, and how fast ("is Postgres listening
//! again after the restart?", "does the SSH port answer with a banner?"),
//! without a shell step that parses `nc`. A refused, unreachable or silent
//! port is a step failure saying which, so `until` polls for a port to
//! open and `on_failure` routes on it.
//!
//! The schema and the kind are here; the host in [`host`], connecting in
//! [`connect`] (both shared with `tls`), what `check` says in [`rules`],
//! the exchange (`send`, `expect`) in [`probe`].

mod connect;
pub(crate) mod host;
mod probe;
pub(crate) mod rules;

pub(crate) use connect::{connect, shown};
pub(crate) use probe::place;

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{Capabilities, KindSchema, ParamSchema, ParamType, ResultField};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use std::time::Duration;

/// How long connecting may take unless `connect_timeout` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `tcp` kind.
pub struct Tcp;

#[derive(Deserialize)]
pub struct Params {
    host: String,
    #[serde(default, deserialize_with = "crate::params::lenient_int")]
    port: Option<i64>,
    connect_timeout: Option<Duration>,
    send: Option<String>,
    expect: Option<String>,
    read_timeout: Option<Duration>,
}

impl Kind for Tcp {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(probe::run(params, ctx))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        probe::describe(params)
    }
}

const EFFECT: &str = "`read`: connecting (and sending `send`, a literal written by the author) \
changes nothing, so a dry-run runs it.";

fn schema() -> KindSchema {
    KindSchema {
        name: "tcp",
        summary: "Connect to a TCP port: is it reachable, how fast, what does it say first.",
        params: vec![
            ParamSchema::required(
                "host",
                ParamType::Template,
                "The host: a DNS name, an IPv4 address or an IPv6 address in brackets (`[::1]`); checked at `check` when literal and before connecting when templated (`invalid_host`).",
            ),
            ParamSchema::required(
                "port",
                ParamType::OneOf(vec![ParamType::Int, ParamType::Template]),
                "The port, 1 to 65535 (an insertion of an `int` input, say).",
            ),
            ParamSchema::optional(
                "connect_timeout",
                ParamType::Duration,
                "How long resolving the host and connecting may each take; default `5s`. The step's `timeout` bounds the whole step as usual.",
            ),
            ParamSchema::optional(
                "send",
                ParamType::String,
                "Text written once connected (`\"PING\\r\\n\"`). A literal: no value is inserted into it, so no value can add a line of the protocol.",
            ),
            ParamSchema::optional(
                "expect",
                ParamType::String,
                "A regex searched for in what the server sends (after `send`; anchor it with `^`): it must match within `read_timeout` and the first 16 KiB, or the step fails. A literal.",
            ),
            ParamSchema::optional(
                "read_timeout",
                ParamType::Duration,
                "With `send` or `expect`: how long to wait for what the server sends; default `5s`.",
            ),
        ],
        shorthand: None,
        results: vec![
            ResultField::new(
                "connected",
                ValueType::Bool,
                "`true` once connected; a step that could not connect failed, with `connected: false` (an `until` or a branch reads it).",
            ),
            ResultField::new(
                "address",
                ValueType::String,
                "The IP address actually connected to (the first of the host's addresses that accepted).",
            ),
            ResultField::new(
                "connect_ms",
                ValueType::Int,
                "How long connecting took, in milliseconds (resolving the name excluded).",
            ),
            ResultField::new(
                "banner",
                ValueType::String,
                "With `send` or `expect`: what the server sent (after `send`), as text, at most 16 KiB and the output cap; `null` without them.",
            ),
        ],
        primary_result: "connected",
        default_effect: super::reads,
        effect_doc: EFFECT,
        rules: rules::rules,
        capabilities: Capabilities::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_consistent, int, map, text};
    use runbook_dsl::ast::Effect;

    #[test]
    fn a_probe_reads() {
        assert_consistent(&schema());
        let p = map(vec![("host", text("db")), ("port", int(5432))]);
        assert_eq!((schema().default_effect)(&p), Effect::Read);
    }
}
