//! What `check` reports about where a `tcp` or `tls` step connects: a
//! literal host (or `server_name`) that is not a host, the literal text of
//! a templated one that no host may hold (`invalid_host`), a literal port
//! outside 1-65535; and for `tcp`, an `expect` regex that does not compile.
//! The run checks the rendered values again ([`super::host::parse`],
//! [`port`]), since an inserted value is only known then.

use super::host;
use crate::params::param;
use runbook_dsl::catalog::ParamProblem;
use runbook_dsl::code::Code;
use runbook_dsl::node::{Node, Value};

/// The problems of the parameters that say where to connect: `hosts` are
/// the names of the parameters that hold a host.
pub fn address_rules(params: &Node, hosts: &[&str]) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    for name in hosts {
        let Some(node) = param(params, None, name) else {
            continue;
        };
        let Some(text) = node.as_text() else {
            continue;
        };
        let message = if text.value.contains("{{") {
            host::literal_problem(&text.value)
        } else {
            host::problem(&text.value)
        };
        if let Some(message) = message {
            problems.push(ParamProblem {
                code: Code::InvalidHost,
                span: node.span,
                message: format!("`{name}`: {message}"),
                label: "not a host".into(),
                help: host::HELP.into(),
            });
        }
    }
    if let Some(node) = param(params, None, "port") {
        if let Value::Int(n) = node.value {
            if let Err(message) = port(n) {
                problems.push(ParamProblem {
                    code: Code::InvalidParam,
                    span: node.span,
                    message,
                    label: "not a TCP port".into(),
                    help: "a TCP port is a number from 1 to 65535".into(),
                });
            }
        }
    }
    problems
}

/// A port number, or why it is not one.
pub fn port(n: i64) -> Result<u16, String> {
    match u16::try_from(n) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(format!(
            "port {n} is out of range: a TCP port is 1 to 65535"
        )),
    }
}

/// `tcp`'s rules: where it connects, and its `expect` regex.
pub fn rules(params: &Node) -> Vec<ParamProblem> {
    let mut problems = address_rules(params, &["host"]);
    if let Some(node) = param(params, None, "expect") {
        if let Some(text) = node.as_text() {
            if let Err(e) = regex::Regex::new(&text.value) {
                problems.push(ParamProblem {
                    code: Code::InvalidRegex,
                    span: node.span,
                    message: format!("`expect` is not a valid regex: {e}"),
                    label: "does not compile".into(),
                    help: "`expect` is a Rust regex (`^SSH-2\\.0`, `(?i)^\\+pong`) searched \
                           for in what the server sends: anchor it with `^` to match its start"
                        .into(),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{int, map, text};

    fn codes(params: Node) -> Vec<Code> {
        rules(&params).into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn hosts_ports_and_regexes_are_checked() {
        let ok = |host: &str| map(vec![("host", text(host)), ("port", int(22))]);
        assert!(codes(ok("db.internal")).is_empty());
        assert!(codes(ok("{{inputs.host}}")).is_empty());
        assert!(codes(ok("[::1]")).is_empty());
        for bad in [
            "db internal",
            "evil/..",
            "u@h",
            "h#x",
            "h:22",
            "::1",
            "https://{{inputs.h}}",
        ] {
            assert_eq!(codes(ok(bad)), vec![Code::InvalidHost], "{bad}");
        }
        for port in [0, -1, 65536, i64::MAX] {
            let p = map(vec![("host", text("h")), ("port", int(port))]);
            assert_eq!(codes(p), vec![Code::InvalidParam], "{port}");
        }
        let p = map(vec![("host", text("h")), ("port", int(65535))]);
        assert!(codes(p).is_empty());
        let p = map(vec![
            ("host", text("h")),
            ("port", int(1)),
            ("expect", text("^(SSH")),
        ]);
        assert_eq!(codes(p), vec![Code::InvalidRegex]);
        assert!(codes(text("not a mapping")).is_empty());
    }
}
