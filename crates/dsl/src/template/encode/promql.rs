//! Values in a PromQL query: inside a string literal (`{job="{{inputs.job}}"}`)
//! a value is escaped for that string, so `nope"} or vector(42)` stays a
//! label value; inside the string of a regular-expression matcher
//! (`=~`, `!~`) it is also escaped as a regular expression, so `.*` matches
//! the two characters, not every series; outside strings only a number may
//! be inserted, and a comment takes no insertion (a newline would end it).

use super::Problem;
use crate::code::Code;
use crate::expr::Type;
use crate::template::Insertion;
use serde_json::Value;

/// Where in a query an insertion lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Position {
    Outside,
    /// Inside a string opened by this quote (`"`, `'` or a backtick),
    /// and whether the string is a regular expression (after `=~`, `!~`).
    InString(char, bool),
    Comment,
}

pub(super) fn position(prefix: &str) -> Position {
    scan(prefix).0
}

/// Where an insertion after `prefix` lands, and how many `[` outside
/// strings and comments are open there.
fn scan(prefix: &str) -> (Position, usize) {
    let mut lexer = QueryLexer::default();
    prefix.chars().for_each(|c| lexer.push(c));
    (lexer.state, lexer.depth)
}

/// A PromQL query read one character at a time: whether each stands in a
/// string, a comment or outside them. The one reading of a query's
/// strings and comments, for where an insertion lands and for `check`'s
/// reading of a whole query (the `prometheus` kind's `promql_syntax`).
#[derive(Clone, Debug)]
pub struct QueryLexer {
    state: Position,
    escaped: bool,
    /// The last two characters outside strings and spaces: `=~` or `!~`
    /// before a quote opens a regular expression.
    before: [char; 2],
    /// `[` open outside strings and comments.
    depth: usize,
}

impl Default for QueryLexer {
    fn default() -> QueryLexer {
        QueryLexer {
            state: Position::Outside,
            escaped: false,
            before: ['\0', '\0'],
            depth: 0,
        }
    }
}

impl QueryLexer {
    /// Reads the next character.
    pub fn push(&mut self, c: char) {
        self.state = match self.state {
            Position::Outside => match c {
                '"' | '\'' | '`' => Position::InString(c, matches!(self.before, ['=' | '!', '~'])),
                '#' => Position::Comment,
                c => {
                    match c {
                        '[' => self.depth += 1,
                        ']' => self.depth = self.depth.saturating_sub(1),
                        _ => {}
                    }
                    if !c.is_whitespace() {
                        self.before = [self.before[1], c];
                    }
                    Position::Outside
                }
            },
            Position::Comment if c == '\n' => Position::Outside,
            Position::Comment => Position::Comment,
            Position::InString(q, regex) => {
                let closes = !self.escaped && c == q;
                self.escaped = !self.escaped && c == '\\' && q != '`';
                if closes {
                    self.before = ['\0', '\0'];
                    Position::Outside
                } else {
                    Position::InString(q, regex)
                }
            }
        };
    }

    /// Outside strings and comments.
    pub fn outside(&self) -> bool {
        self.state == Position::Outside
    }

    /// Inside a string.
    pub fn in_string(&self) -> bool {
        matches!(self.state, Position::InString(..))
    }
}

/// `text` as a regular expression (RE2) that matches it and nothing else.
fn regex_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
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

pub(super) fn insert(
    prefix: &str,
    following: Option<&str>,
    value: &Value,
    text: &str,
) -> Result<String, String> {
    // Inside a range selector's or a subquery's brackets (`rate(x[5m])`,
    // `x[1h:5m]`), outside strings.
    let (position, ranges) = scan(prefix);
    if position == Position::Outside && ranges > 0 {
        // A range: a whole, positive number of seconds (a `duration`
        // input), or of the unit written after it (`[{{inputs.n}}m]`).
        return match value.as_u64().filter(|n| *n > 0) {
            Some(n) if following.is_some_and(|f| f.starts_with(|c: char| c.is_ascii_alphabetic())) => {
                Ok(n.to_string())
            }
            Some(n) => Ok(format!("{n}s")),
            None => Err(format!(
                "`{text}` cannot be a range in PromQL: a range is a whole, positive number of seconds (a `duration`) or of the unit after it"
            )),
        };
    }
    let text = match position {
        Position::InString(_, true) => regex_escaped(text),
        _ => text.to_string(),
    };
    let text = text.as_str();
    match position {
        Position::InString('`', _) if text.contains('`') => Err(format!(
            "`{text}` has a backtick and cannot go in a raw string: quote the string with `\"`"
        )),
        Position::InString('`', _) => Ok(text.to_string()),
        Position::InString(q, _) => Ok(escape(text, q)),
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
    let (position, ranges) = scan(prefix);
    match position {
        Position::Outside if ranges > 0 && matches!(ty, Type::Duration | Type::Int) => None,
        Position::Outside if !matches!(ty, Type::Int | Type::Float) => Some(Problem {
            code: Code::PromqlInsertion,
            message: format!(
                "`{}` is inserted outside a string in a PromQL query",
                insertion.subject()
            ),
            label: format!("{}, not a number", ty.describe()),
            help: "put it in a label matcher string, where it is escaped: \
                   `{job=\"{{inputs.job}}\"}`; only an `int` or `float` can stand alone, \
                   and a `duration` in a range (`rate(x[{{inputs.window}}])`)"
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
