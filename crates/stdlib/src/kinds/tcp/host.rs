//! The host a `tcp` or `tls` step connects to (and a `tls` step's
//! `server_name`), validated before it is used: a DNS name, an IPv4
//! address, or an IPv6 address in brackets, nothing else. A value that
//! carries whitespace, a control character, `/`, `@`, `#`, `?` or a `:`
//! outside brackets is refused, so no inserted value can smuggle a port,
//! a path, a user or a second line into what is resolved or sent as SNI.
//!
//! `check` applies [`problem`] to a literal host and [`literal_problem`] to
//! the literal text of a template; the run applies [`parse`] to the
//! rendered value.

use std::net::{IpAddr, Ipv6Addr};

/// The longest DNS name (RFC 1035: 253 characters written out).
const MAX_NAME: usize = 253;

/// A validated host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, resolved at run time.
    Name(String),
    /// An IP address, used as it is.
    Ip(IpAddr),
}

impl Host {
    /// What is resolved (a name) or connected to (an address): the name,
    /// or the address without brackets.
    pub fn lookup(&self) -> String {
        match self {
            Host::Name(name) => name.clone(),
            Host::Ip(ip) => ip.to_string(),
        }
    }
}

impl std::fmt::Display for Host {
    /// As written: an IPv6 address in brackets, so `HOST:PORT` reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
        }
    }
}

/// What `check` says after a host's problem.
pub const HELP: &str = "a host is a DNS name (`db.internal`), an IPv4 address (`10.0.0.5`) or an \
IPv6 address in brackets (`[::1]`); the port goes in `port`, and nothing else (a scheme, a user, a \
path) belongs in it";

/// The first character of `text` that no host may hold, and why.
fn bad_char(text: &str) -> Option<String> {
    text.chars().find_map(|c| {
        Some(match c {
            c if c.is_whitespace() => format!("whitespace ({})", c.escape_default()),
            c if c.is_control() => format!("a control character ({})", c.escape_default()),
            '/' => "`/` (a path)".into(),
            '@' => "`@` (a user)".into(),
            '#' => "`#` (a fragment)".into(),
            '?' => "`?` (a query)".into(),
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '[' | ']') => {
                return None
            }
            c if c.is_ascii() => format!("`{c}`, which no host name holds"),
            c => format!("`{c}`, outside ASCII (write an international name in its `xn--` form)"),
        })
    })
}

/// Reads `text` as a host, or says why it is not one.
pub fn parse(text: &str) -> Result<Host, String> {
    let refuse = |why: String| Err(format!("{} is not a host: {why}", quoted(text)));
    if text.is_empty() {
        return refuse("it is empty".into());
    }
    if let Some(why) = bad_char(text) {
        return refuse(format!("it holds {why}"));
    }
    if let Some(inner) = text.strip_prefix('[') {
        return match inner.strip_suffix(']').map(str::parse::<Ipv6Addr>) {
            Some(Ok(ip)) => Ok(Host::Ip(IpAddr::V6(ip))),
            _ => refuse("only an IPv6 address goes in brackets (`[::1]`)".into()),
        };
    }
    if text.contains([':']) {
        return refuse(if text.parse::<Ipv6Addr>().is_ok() {
            "write an IPv6 address in brackets (`[::1]`)".into()
        } else {
            "`:` is not part of a host: the port goes in `port`".into()
        });
    }
    if text.contains(['[', ']']) {
        return refuse("only an IPv6 address goes in brackets (`[::1]`)".into());
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    if text.len() > MAX_NAME {
        return refuse(format!("a DNS name has at most {MAX_NAME} characters"));
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    for label in name.split('.') {
        if label.is_empty() {
            return refuse("a DNS name has no empty label (`..`, or a leading `.`)".into());
        }
        if label.len() > 63 {
            return refuse("a label of a DNS name has at most 63 characters".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return refuse("a label of a DNS name does not start or end with `-`".into());
        }
    }
    Ok(Host::Name(text.to_string()))
}

/// `text` quoted for a message, its control characters escaped.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Why a literal host is not one, for `check`.
pub fn problem(text: &str) -> Option<String> {
    parse(text).err()
}

/// For a template: why its literal text (the insertions left out) holds
/// what no host may hold. The rendered value is read again by [`parse`].
pub fn literal_problem(template: &str) -> Option<String> {
    let mut literal = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        literal.push_str(&rest[..start]);
        rest = match rest[start..].find("}}") {
            Some(end) => rest[start + end + 2..].trim_start_matches('}'),
            None => "",
        };
    }
    literal.push_str(rest);
    let why = bad_char(&literal).or_else(|| {
        (literal.contains(':') && !literal.contains('['))
            .then(|| "`:` (the port goes in `port`)".to_string())
    })?;
    Some(format!(
        "{} cannot be a host: it holds {why}",
        quoted(template)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_and_addresses() {
        assert_eq!(parse("db.internal"), Ok(Host::Name("db.internal".into())));
        assert_eq!(parse("db.internal."), Ok(Host::Name("db.internal.".into())));
        assert_eq!(parse("_svc.x"), Ok(Host::Name("_svc.x".into())));
        assert_eq!(
            parse("127.0.0.1"),
            Ok(Host::Ip("127.0.0.1".parse().unwrap()))
        );
        let v6 = parse("[::1]").unwrap();
        assert_eq!(v6, Host::Ip("::1".parse().unwrap()));
        assert_eq!(v6.to_string(), "[::1]");
        assert_eq!(v6.lookup(), "::1");
    }

    #[test]
    fn hostile_hosts_are_refused() {
        for hostile in [
            "",
            "a b",
            "evil.com/../x",
            "user@host",
            "host#frag",
            "host?q",
            "host:22",
            "::1",
            "[db.internal]",
            "[::1",
            "a\nb",
            "a\u{1b}[2J",
            "$(id)",
            "`id`",
            "'x'",
            "\"x\"",
            "a..b",
            "-a.b",
            "a\\b",
            "bücher.de",
            &"a".repeat(64),
            &"a.".repeat(130),
        ] {
            assert!(parse(hostile).is_err(), "{hostile:?}");
        }
        let e = parse("a\nb").unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(parse("::1").unwrap_err().contains("brackets"));
        assert!(parse("h:22").unwrap_err().contains("`port`"));
    }

    #[test]
    fn the_literal_text_of_a_template_is_checked() {
        assert_eq!(literal_problem("{{inputs.host}}"), None);
        assert_eq!(literal_problem("db-{{inputs.n}}.internal"), None);
        assert!(literal_problem("https://{{inputs.host}}").is_some());
        assert!(literal_problem("{{inputs.host}}:5432").is_some());
        assert_eq!(literal_problem("[{{inputs.v6}}]"), None);
        assert!(literal_problem("{{inputs.user}}@{{inputs.host}}").is_some());
        assert!(literal_problem("{{{inputs.host}}} x").is_some());
    }
}
