//! `tls`: what certificate does this endpoint present, when does it
//! expire, does it verify ("certificate expires soon" is
//! `assert: steps.cert.days_left > 14`), without a shell step parsing
//! `openssl s_client`.
//!
//! The schema and the kind are here; the verifier that records the
//! presented chain and rustls' verdict in [`verifier`], the certificate
//! read into results in [`certificate`], the handshake in [`probe`],
//! rustls' errors in plain words in [`words`]. The
//! host, the connection and `check`'s rules are `tcp`'s.

mod certificate;
mod probe;
mod verifier;
mod words;

use super::tcp;
use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::{
    Capabilities, KindSchema, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::encode::Encoding;
use runbook_dsl::expr::Type;
use runbook_dsl::node::Node;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use std::time::Duration;

/// The `tls` kind.
pub struct Tls;

#[derive(Deserialize)]
pub struct Params {
    host: String,
    #[serde(default, deserialize_with = "crate::params::lenient_int")]
    port: Option<i64>,
    server_name: Option<String>,
    ca_file: Option<String>,
    verify: Option<bool>,
    connect_timeout: Option<Duration>,
}

impl Kind for Tls {
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

const EFFECT: &str = "`read`: a handshake sends no data and changes nothing, so a dry-run runs it.";

fn schema() -> KindSchema {
    KindSchema {
        name: "tls",
        summary: "Open a TLS connection and report the certificate presented: names, expiry, whether it verifies.",
        params: vec![
            ParamSchema::required(
                "host",
                ParamType::Template,
                "The host: a DNS name, an IPv4 address or an IPv6 address in brackets (`[::1]`); checked at `check` when literal and before connecting when templated (`invalid_host`).",
            ),
            ParamSchema::optional(
                "port",
                ParamType::OneOf(vec![ParamType::Int, ParamType::Template]),
                "The port, 1 to 65535; default `443`.",
            ),
            ParamSchema::optional(
                "server_name",
                ParamType::Template,
                "The name sent as SNI and verified against the certificate; default `host`. Checked as `host` is.",
            ),
            ParamSchema::optional(
                "ca_file",
                ParamType::Encoded(Encoding::FilePath),
                "A PEM file of the CA certificates to verify against instead of the system's roots (a private CA); relative to the directory runbook was started in. Empty: the system's roots.",
            ),
            ParamSchema::optional(
                "verify",
                ParamType::Bool,
                "Default `true`: a certificate that does not verify fails the step (its results are still set). `false`: the step succeeds and `verified` says whether it verified.",
            ),
            ParamSchema::optional(
                "connect_timeout",
                ParamType::Duration,
                "How long resolving, connecting and the handshake may each take; default `5s`. The step's `timeout` bounds the whole step as usual.",
            ),
        ],
        shorthand: None,
        results: vec![
            ResultField::new("verified", ValueType::Bool, "Whether the chain verified for `server_name` against the roots (or `ca_file`), dates included."),
            ResultField::new("verify_error", ValueType::String, "Why it did not verify (expired, not valid for the name, unknown issuer, ...); `null` when it verified."),
            ResultField::new("subject", ValueType::String, "The certificate's subject (`CN=www.example.com`)."),
            ResultField::new("issuer", ValueType::String, "The certificate's issuer (`C=US, O=Let's Encrypt, CN=R11`)."),
            ResultField::new("sans", ValueType::List, "The subject alternative names: DNS names and IP addresses (and e-mail addresses, URIs).")
                .shaped(|_| Type::List(Box::new(Type::String))),
            ResultField::new("not_before", ValueType::String, "Start of validity, RFC 3339 (UTC)."),
            ResultField::new("not_after", ValueType::String, "End of validity, RFC 3339 (UTC)."),
            ResultField::new("days_left", ValueType::Int, "Whole days until `not_after`, rounded down: `0` on the last day, negative once expired."),
            ResultField::new("serial", ValueType::String, "The serial number, hex bytes separated by `:`."),
            ResultField::new("protocol", ValueType::String, "The protocol negotiated: `TLS1.2` or `TLS1.3`."),
            ResultField::new("chain_length", ValueType::Int, "How many certificates the server presented (its own and the intermediates)."),
            ResultField::new("address", ValueType::String, "The IP address actually connected to."),
        ],
        primary_result: "days_left",
        default_effect: super::reads,
        effect_doc: EFFECT,
        rules,
        capabilities: Capabilities::default(),
    }
}

fn rules(params: &Node) -> Vec<ParamProblem> {
    tcp::rules::address_rules(params, &["host", "server_name"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_consistent, map, text};
    use runbook_dsl::ast::Effect;
    use runbook_dsl::Code;

    #[test]
    fn a_handshake_reads_and_names_are_hosts() {
        assert_consistent(&schema());
        let p = map(vec![("host", text("example.com"))]);
        assert_eq!((schema().default_effect)(&p), Effect::Read);
        assert!(rules(&p).is_empty());
        let p = map(vec![
            ("host", text("example.com")),
            ("server_name", text("evil.com/../x")),
        ]);
        let codes: Vec<Code> = rules(&p).into_iter().map(|p| p.code).collect();
        assert_eq!(codes, vec![Code::InvalidHost]);
    }
}
