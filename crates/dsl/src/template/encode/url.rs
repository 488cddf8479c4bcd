//! Values in a URL: a path segment or a query or fragment component is
//! percent-encoded, so `../../admin?x#` stays one segment or one value.
//! Only inputs, which the operator gives, may choose where the request (and
//! its credentials) go, never a step's result: an input that is the whole
//! start of the URL (`{{inputs.base_url}}/health`) must be an absolute
//! `http(s)` URL, and an input inside the host (`https://{{inputs.host}}/`)
//! may only hold host-name characters, so it cannot add a user, a path, a
//! query or a fragment.

use super::{percent_encode, Problem};
use crate::code::Code;
use crate::template::Insertion;

/// Where in a URL an insertion lands, from the text before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Nothing before it: the value is the URL's start.
    Start,
    /// The scheme, user information, host or port.
    Authority,
    Path,
    Query,
    Fragment,
}

pub(super) fn part(prefix: &str) -> Part {
    if prefix.is_empty() {
        return Part::Start;
    }
    if prefix.contains('#') {
        return Part::Fragment;
    }
    if prefix.contains('?') {
        return Part::Query;
    }
    match prefix.find("://") {
        Some(i) if prefix[i + 3..].contains('/') => Part::Path,
        _ => Part::Authority,
    }
}

pub(super) fn insert(prefix: &str, following: Option<&str>, text: &str) -> Result<String, String> {
    match part(prefix) {
        Part::Start => {
            base_url(text)?;
            // The playbook's own path after the base (`/hosts/web-5/drain`)
            // would become part of the base's query, and the request go
            // where the base's path says (`.../web-1/rollback?/hosts/...`).
            let path_follows =
                following.is_some_and(|f| !f.is_empty() && !f.starts_with(['?', '&', '#']));
            if path_follows && text.contains('?') {
                return Err(format!(
                    "`{text}` has a query (`?`), so the `{}` written after it would be part of that query instead of the path: give the base URL without a query",
                    following.unwrap_or_default()
                ));
            }
            Ok(text.to_string())
        }
        Part::Authority
            if prefix.ends_with(':')
                && !prefix.ends_with("://")
                && !following.is_some_and(|f| f.starts_with('@')) =>
        {
            // After the host's `:` (not a user's, which `@` follows): a
            // port, 1 to 65535.
            match text.parse::<u16>() {
                Ok(port) if port > 0 && text.chars().all(|c| c.is_ascii_digit()) => {
                    Ok(text.to_string())
                }
                _ => Err(format!(
                    "`{text}` cannot be the port of the URL `{prefix}...`: a port is a number from 1 to 65535"
                )),
            }
        }
        Part::Authority => {
            if is_host_or_port(text) {
                Ok(text.to_string())
            } else {
                Err(format!(
                    "`{text}` cannot go in the host of the URL `{prefix}...`: a host is made of \
                     letters, digits, `-` and `.`"
                ))
            }
        }
        Part::Path if text == "." || text == ".." => {
            Err(format!("`{text}` as a path segment would move up the path"))
        }
        Part::Path | Part::Query | Part::Fragment => Ok(percent_encode(text)),
    }
}

/// Letters, digits, `-` and `.` only: a host name, an IPv4 address or a
/// port, and nothing that could add a user, a path, a query or a fragment.
pub(super) fn is_host_or_port(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// An absolute `http`/`https` URL with a host and nothing that could be
/// read two ways (spaces, control characters, a fragment).
fn base_url(text: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` is not an absolute `http://` or `https://` URL"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{text}` has no host"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) || text.contains('#') {
        return Err(format!(
            "`{text}` is not a URL: it has a space, a control character or a `#`"
        ));
    }
    Ok(())
}

pub(super) fn problem(prefix: &str, insertion: &Insertion) -> Option<Problem> {
    match part(prefix) {
        Part::Start if !insertion.path.starts_with(&["inputs"]) => Some(Problem {
            code: Code::UrlInsertion,
            message: format!(
                "the scheme and host of a URL cannot come from `{}`",
                insertion.subject()
            ),
            label: "this value would choose the host".into(),
            help: "only an input can start a URL (`{{inputs.base_url}}/health`); write the \
                   host here and insert the value in the path or the query, where it is \
                   percent-encoded"
                .into(),
        }),
        Part::Authority if !insertion.path.starts_with(&["inputs"]) => Some(Problem {
            code: Code::UrlInsertion,
            message: format!(
                "the host of a URL cannot come from `{}`",
                insertion.subject()
            ),
            label: "this value would choose the host".into(),
            help:
                "only an input can choose where a request goes (`https://{{inputs.host}}/health`); \
                   insert a step's result in the path or the query, where it is percent-encoded"
                    .into(),
        }),
        _ => None,
    }
}

pub(super) fn placeholder(prefix: &str) -> String {
    match part(prefix) {
        Part::Start => "http://base".into(),
        _ => "x".into(),
    }
}
