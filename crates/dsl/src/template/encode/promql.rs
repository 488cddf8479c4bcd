//! Values in a PromQL query: inside a string literal (`{job="{{inputs.job}}"}`)
//! a value is escaped for that string, so `nope"} or vector(42)` stays a
//! label value; outside strings only a number may be inserted, and a comment
//! takes no insertion (a newline would end it).

use super::Problem;
use crate::code::Code;
use crate::expr::Type;
use crate::template::Insertion;
use serde_json::Value;

/// Where in a query an insertion lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Position {
    Outside,
    /// Inside a string opened by this quote (`"`, `'` or a backtick).
    InString(char),
    Comment,
}

pub(super) fn position(prefix: &str) -> Position {
    let mut state = Position::Outside;
    let mut escaped = false;
    for c in prefix.chars() {
        state = match state {
            Position::Outside => match c {
                '"' | '\'' | '`' => Position::InString(c),
                '#' => Position::Comment,
                _ => Position::Outside,
            },
            Position::Comment if c == '\n' => Position::Outside,
            Position::Comment => Position::Comment,
            Position::InString(q) => {
                if escaped {
                    escaped = false;
                    Position::InString(q)
                } else if c == '\\' && q != '`' {
                    escaped = true;
                    Position::InString(q)
                } else if c == q {
                    Position::Outside
                } else {
                    Position::InString(q)
                }
            }
        };
    }
    state
}

/// `text` escaped for a PromQL string quoted with `quote`, as Go unquotes it.
fn escape(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn insert(prefix: &str, value: &Value, text: &str) -> Result<String, String> {
    match position(prefix) {
        Position::InString('`') if text.contains('`') => Err(format!(
            "`{text}` has a backtick and cannot go in a raw string: quote the string with `\"`"
        )),
        Position::InString('`') => Ok(text.to_string()),
        Position::InString(q) => Ok(escape(text, q)),
        Position::Comment => Err("a value cannot be inserted in a PromQL comment".into()),
        Position::Outside => match value {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(n.to_string()),
            _ => Err(format!(
                "`{text}` is not a number, and only a number can stand outside a string in PromQL"
            )),
        },
    }
}

pub(super) fn problem(prefix: &str, insertion: &Insertion, ty: &Type) -> Option<Problem> {
    match position(prefix) {
        Position::Outside if !matches!(ty, Type::Int | Type::Float) => Some(Problem {
            code: Code::PromqlInsertion,
            message: format!(
                "`{}` is inserted outside a string in a PromQL query",
                insertion.subject()
            ),
            label: format!("{}, not a number", ty.describe()),
            help: "put it in a label matcher string, where it is escaped: \
                   `{job=\"{{inputs.job}}\"}`; only an `int` or `float` can stand alone"
                .into(),
        }),
        Position::Comment => Some(Problem {
            code: Code::PromqlInsertion,
            message: "an insertion in a PromQL comment".into(),
            label: "inside a `#` comment".into(),
            help: "a newline in the value would end the comment and add to the query; \
                   move the insertion out of the comment"
                .into(),
        }),
        _ => None,
    }
}

pub(super) fn placeholder(prefix: &str) -> String {
    match position(prefix) {
        Position::Outside => "0".into(),
        _ => "x".into(),
    }
}
