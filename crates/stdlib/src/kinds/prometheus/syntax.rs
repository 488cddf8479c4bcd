//! A query read far enough to catch what fails every run at the server, at
//! `check` instead of at 3 a.m.: a bracket that does not close or closes
//! the wrong one (`sum(rate(x[5m])`), and a string left open. Strings and
//! `#` comments are read by the lexer that places insertions
//! ([`QueryLexer`]); an insertion (`{{...}}`) counts as a word, whatever
//! it holds (values are escaped where they land). The server still judges the rest
//! (names, functions, regular expressions).

use crate::params::param;
use runbook_dsl::catalog::ParamProblem;
use runbook_dsl::code::Code;
use runbook_dsl::encode::QueryLexer;
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
    let mut lexer = QueryLexer::default();
    // Open brackets outside strings: the character and where it is; and
    // where the string being read opened.
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut string_at = 0;
    let mut chars = query.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '{' && query[i + 1..].starts_with('{') {
            // An insertion: to its `}}`, whatever it holds.
            let end = query[i + 2..]
                .find("}}")
                .map_or(query.len(), |e| i + 2 + e + 2);
            while chars.next_if(|(j, _)| *j < end).is_some() {}
            continue;
        }
        let was_outside = lexer.outside();
        lexer.push(c);
        if !was_outside || !lexer.outside() {
            if was_outside && lexer.in_string() {
                string_at = i;
            }
            continue;
        }
        let c = match u8::try_from(c) {
            Ok(c @ (b'(' | b'[' | b'{' | b')' | b']' | b'}')) => c,
            _ => continue,
        };
        if matches!(c, b'(' | b'[' | b'{') {
            open.push((c, i));
            continue;
        }
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
    if lexer.in_string() {
        let quote = query[string_at..].chars().next().unwrap_or('"');
        return Some(at(
            text,
            string_at,
            string_at + 1,
            "a string that is never closed",
            "this quote opens it",
            format!("close it with `{quote}`"),
        ));
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
