//! Values in a URL: a path segment or a query or fragment component is
//! percent-encoded, so `../../admin?x#` stays one segment or one value; the
//! scheme and host come only from an input given as the whole start of the
//! URL (`{{inputs.base_url}}/health`), since a value that chose the host
//! would choose where the request, and its credentials, go.

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

pub(super) fn insert(prefix: &str, text: &str) -> Result<String, String> {
    match part(prefix) {
        Part::Start => {
            base_url(text)?;
            Ok(text.to_string())
        }
        Part::Authority => Err(format!(
            "`{text}` would be inserted in the scheme or host of the URL `{prefix}...`"
        )),
        Part::Path if text == "." || text == ".." => {
            Err(format!("`{text}` as a path segment would move up the path"))
        }
        Part::Path | Part::Query | Part::Fragment => Ok(percent_encode(text)),
    }
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
                insertion.path
            ),
            label: "this value would choose the host".into(),
            help: "only an input can start a URL (`{{inputs.base_url}}/health`); write the \
                   host here and insert the value in the path or the query, where it is \
                   percent-encoded"
                .into(),
        }),
        Part::Authority => Some(Problem {
            code: Code::UrlInsertion,
            message: "an insertion in the scheme or host of a URL could send the request elsewhere"
                .into(),
            label: "inserted before the path".into(),
            help: "make the whole base URL one input at the start (`{{inputs.base_url}}/health`), \
                   or insert the value after the first `/` of the path, where it is \
                   percent-encoded"
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
