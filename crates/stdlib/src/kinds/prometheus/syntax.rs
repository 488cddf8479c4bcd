//! A query read far enough to catch what fails every run at the server, at
//! `check` instead of at 3 a.m.: a bracket that does not close or closes
//! the wrong one (`sum(rate(x[5m])`), and a string left open. Strings
//! (`"..."`, `'...'` with escapes, raw `` `...` ``) and `#` comments are
//! skipped; an insertion (`{{...}}`) counts as a word, whatever it holds
//! (values are escaped where they land). The server still judges the rest
//! (names, functions, regular expressions).

use crate::params::param;
use runbook_dsl::catalog::ParamProblem;
use runbook_dsl::code::Code;
use runbook_dsl::node::{Node, Text};

/// The problems of the `query` written in `params`.
pub fn rules(params: &Node) -> Vec<ParamProblem> {
    let Some(text) = param(params, Some("query"), "query").and_then(Node::as_text) else {
        return Vec::new();
    };
    problem(text).into_iter().collect()
}

fn problem(text: &Text) -> Option<ParamProblem> {
    let query = text.as_str();
    let bytes = query.as_bytes();
    // Open brackets: the character and where it is.
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                // An insertion: to its `}}`.
                match query[i + 2..].find("}}") {
                    Some(end) => i += end + 4,
                    None => i = bytes.len(),
                }
                continue;
            }
            b'"' | b'\'' | b'`' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Some(at(
                                text,
                                start,
                                start + 1,
                                "a string that is never closed",
                                "this quote opens it",
                                format!("close it with `{}`", c as char),
                            ))
                        }
                        Some(b'\\') if c != b'`' => i += 2,
                        Some(&q) if q == c => break,
                        // An insertion inside a string is part of it.
                        Some(_) => i += 1,
                    }
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => open.push((c, i)),
            b')' | b']' | b'}' => {
                let wanted = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match open.pop() {
                    Some((o, _)) if o == wanted => {}
                    Some((o, at_open)) => {
                        return Some(at(
                            text,
                            i,
                            i + 1,
                            format!(
                                "`{}` closes the `{}` opened before it",
                                c as char, o as char
                            ),
                            format!("the `{}` is still open here", o as char),
                            format!(
                                "close the `{}` at column {} with `{}` first",
                                o as char,
                                at_open + 1,
                                closing(o)
                            ),
                        ))
                    }
                    None => {
                        return Some(at(
                            text,
                            i,
                            i + 1,
                            format!("`{}` closes nothing", c as char),
                            "nothing is open here",
                            "remove it, or open what it closes before it".to_string(),
                        ))
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.pop().map(|(o, start)| {
        at(
            text,
            start,
            start + 1,
            format!("`{}` is never closed", o as char),
            "opened here",
            format!("close it with `{}`", closing(o)),
        )
    })
}

fn closing(open: u8) -> char {
    match open {
        b'(' => ')',
        b'[' => ']',
        _ => '}',
    }
}

fn at(
    text: &Text,
    start: usize,
    end: usize,
    message: impl Into<String>,
    label: impl Into<String>,
    help: String,
) -> ParamProblem {
    ParamProblem {
        code: Code::PromqlSyntax,
        span: text.file_span(start, end),
        message: format!("the PromQL query is malformed: {}", message.into()),
        label: label.into(),
        help: format!("{help}; Prometheus would refuse the query at every run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::source::Span;

    fn check(query: &str) -> Option<String> {
        problem(&Text::verbatim(query, Span::new(0, query.len()))).map(|p| p.message)
    }

    #[test]
    fn balanced_queries_pass_whatever_their_strings_and_insertions_hold() {
        for ok in [
            "sum(rate(http_requests_total{code=~\"5..\"}[5m])) by (service)",
            "up{job=\"a(\"} # a comment (",
            "up{job='it\\'s ['}",
            "up{job=`raw \\`}",
            "up{job=\"{{inputs.job}}\"} > {{inputs.n}}",
            "rate(x[{{inputs.w}}m])",
        ] {
            assert_eq!(check(ok), None, "{ok}");
        }
    }

    #[test]
    fn unbalanced_brackets_and_open_strings_are_found() {
        let said = |q: &str| check(q).unwrap_or_default();
        assert!(said("sum(rate(x[5m])").contains("`(` is never closed"));
        assert!(said("sum(rate(x[5m)))").contains("`)` closes the `[` opened before it"));
        assert!(said("up{job=\"a\"}}").contains("`}` closes nothing"));
        assert!(said("up{job=\"a}").contains("a string that is never closed"));
    }
}
