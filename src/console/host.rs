//! The host a request is addressed to (its `Host` header) and whether that
//! is this machine: the one place both the DNS-rebinding guard
//! ([`super::access`]) and the TLS console's HSTS header read it.

use axum::http::HeaderValue;

/// The host name of a `Host` header, without its port; an IPv6 address
/// without its brackets. `None` without a header or one not ASCII.
pub fn name(host: Option<&HeaderValue>) -> Option<&str> {
    let host = host?.to_str().ok()?;
    Some(match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    })
}

/// Whether `name` is `localhost` or a loopback address (127.0.0.0/8,
/// `::1`): what a page elsewhere cannot be served under, short of DNS
/// rebinding to a name of its own.
pub fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `name` is this machine to a browser: [`is_loopback`], or a name
/// under `localhost` (`app.localhost`, which browsers resolve to loopback,
/// RFC 6761), with or without the final dot. A browser applies HSTS to a
/// host name for every port, so HSTS sent for such a name would break
/// every plain-HTTP service on this machine in that browser.
pub fn is_local(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let under_localhost = name.len() > ".localhost".len()
        && name
            .get(name.len() - ".localhost".len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".localhost"));
    is_loopback(name) || under_localhost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> HeaderValue {
        value.parse().unwrap()
    }

    #[test]
    fn the_name_is_the_host_without_its_port() {
        for (host, expected) in [
            ("localhost:8080", "localhost"),
            ("[::1]:80", "::1"),
            ("[::1]", "::1"),
            ("127.0.0.1", "127.0.0.1"),
            ("console.example:443", "console.example"),
        ] {
            assert_eq!(name(Some(&header(host))), Some(expected), "{host}");
        }
        assert_eq!(name(None), None);
    }

    #[test]
    fn only_loopback_names_are_loopback() {
        for ok in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback(ok), "{ok}");
            assert!(is_local(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "10.0.0.1",
            "::2",
            "localhost.evil.example",
            "",
            "app.localhost",
        ] {
            assert!(!is_loopback(bad), "{bad}");
        }
    }

    #[test]
    fn names_under_localhost_are_local_but_not_lookalikes() {
        for ok in [
            "app.localhost",
            "A.B.LocalHost",
            "localhost.",
            "x.localhost.",
        ] {
            assert!(is_local(ok), "{ok}");
        }
        for bad in [
            "evillocalhost",
            ".localhost.evil.example",
            "localhost.evil.example",
            "128.0.0.1",
            "console.example",
            "::ffff:10.0.0.1",
            "",
        ] {
            assert!(!is_local(bad), "{bad}");
        }
    }
}
