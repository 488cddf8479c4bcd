//! Values in the connection URL of a database or a cache (`sql`, `redis`:
//! `redis://:{{inputs.password}}@{{inputs.host}}:6379/0`). As in an HTTP
//! URL, only an input may start the URL or stand in its authority, so a
//! step's result never chooses where the credentials go. Unlike an HTTP
//! URL's host, the authority here often holds a password, so a value there
//! is percent-encoded (the kinds decode the user information) instead of
//! refused: `p@ss:w/rd` stays one password, and where the URL has no user
//! information yet `evil@10.0.0.9` stays one odd host name that does not
//! resolve, never a user `evil` on another server. After an `@` the value
//! can only be the host or the port, which hold letters, digits, `-` and
//! `.` (anything else is refused). A bracketed IPv6 address is kept.

use super::percent_encode;
use super::url::{is_host_or_port, part, Part};

pub(super) fn insert(prefix: &str, text: &str) -> Result<String, String> {
    match part(prefix) {
        // The whole URL from one input: as it is, the way the kind reads
        // its own default (`$DATABASE_URL`); the kind parses it.
        Part::Start => {
            if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                // The value may be a secret: it stays out of the message.
                Err("the connection URL holds a space or a control character".into())
            } else {
                Ok(text.to_string())
            }
        }
        Part::Authority if is_ipv6_literal(text) => Ok(text.to_string()),
        // After the user information (`...@`), the value is the host or the
        // port: say so now rather than after a lookup of an encoded name.
        Part::Authority if authority(prefix).contains('@') => {
            if is_host_or_port(text) {
                Ok(text.to_string())
            } else {
                Err(
                    "a value in the host or port of the connection URL holds something other \
                     than letters, digits, `-` and `.`"
                        .into(),
                )
            }
        }
        Part::Authority => Ok(percent_encode(text)),
        // The path (a database) and the query as in any URL.
        Part::Path | Part::Query | Part::Fragment => super::url::insert(prefix, None, text),
    }
}

/// What the URL so far holds after its `://`.
fn authority(prefix: &str) -> &str {
    prefix.find("://").map_or("", |i| &prefix[i + 3..])
}

/// `[2001:db8::1]`: hex digits, `:` and `.` (an embedded IPv4) in brackets.
fn is_ipv6_literal(text: &str) -> bool {
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .is_some_and(|inner| {
            inner.contains(':')
                && inner
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        })
}
