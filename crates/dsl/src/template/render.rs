//! Filling in a parsed template, with handlebars' semantics for the subset
//! the checker accepts: strict (a missing value is an error, never an empty
//! string), every non-raw insertion into a shell command one shell-quoted
//! word. Walking the parsed segments, rather than handing the text to a
//! template engine again, lets a dry-run show values it does not know
//! (results of steps it did not run) as visible placeholders such as
//! `<steps.migrate.stdout>` instead of failing.

use super::quote::shell_quote;
use super::{Format, Segment, Template};
use crate::expr::{Env, Lookup};
use crate::source::Span;
use serde_json::Value;
use std::fmt::{self, Write};

/// How inserted values are protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Every non-raw insertion becomes one shell word (see [`shell_quote`]).
    Shell,
    /// Values are inserted as they are (HTTP bodies, messages).
    None,
    /// Values are encoded for where they land (see [`crate::encode`]).
    Encoded(crate::encode::Encoding),
}

/// Why a template could not be filled in, and where the insertion is.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

/// Fills in a template from `env`.
pub fn render(template: &Template, env: &dyn Env, quoting: Quoting) -> Result<String, RenderError> {
    let mut out = String::new();
    // Iterative: a stack of segment lists still to write.
    let mut stack: Vec<std::slice::Iter<'_, Segment>> = vec![template.segments.iter()];
    while let Some(top) = stack.last_mut() {
        let Some(segment) = top.next() else {
            stack.pop();
            continue;
        };
        match segment {
            Segment::Text { text, .. } => out.push_str(text),
            Segment::Insert(insertion) => {
                let value = match (&insertion.format, env.lookup(&insertion.path)) {
                    (Format::Default(fallback), Lookup::Missing) => fallback.clone(),
                    (Format::Default(fallback), Lookup::Known(Value::Null)) => fallback.clone(),
                    (_, Lookup::Known(v)) => v,
                    (_, Lookup::Unknown) => {
                        // Only in a dry-run: the value comes from a step that did not run.
                        let _ = write!(out, "<{}>", insertion.path);
                        continue;
                    }
                    (_, Lookup::Missing) => {
                        return Err(RenderError {
                            message: crate::expr::no_value(
                                &insertion.path.to_string(),
                                env.absence(&insertion.path).as_deref(),
                            ),
                            span: insertion.span,
                        })
                    }
                };
                let text = match &insertion.format {
                    Format::Plain | Format::Default(_) => text(&value),
                    Format::Json => serde_json::to_string(&value).unwrap_or_default(),
                    Format::Upper => text(&value).to_uppercase(),
                    Format::Lower => text(&value).to_lowercase(),
                    // Quoted once, whatever the context: for a command that
                    // another shell runs (`ssh host ...`, an argv element).
                    // Where a kind encodes values, the quoted text is encoded too.
                    Format::Quote if matches!(quoting, Quoting::Encoded(_)) => {
                        shell_quote(&text(&value))
                    }
                    Format::Quote => {
                        out.push_str(&shell_quote(&text(&value)));
                        continue;
                    }
                };
                match quoting {
                    _ if insertion.raw => out.push_str(&text),
                    Quoting::None => out.push_str(&text),
                    Quoting::Encoded(encoding) => {
                        let encoded =
                            encoding
                                .insert(&out, insertion, &value, &text)
                                .map_err(|message| RenderError {
                                    message,
                                    span: insertion.span,
                                })?;
                        out.push_str(&encoded);
                    }
                    Quoting::Shell => out.push_str(&shell_quote(&text)),
                }
            }
            Segment::If(block) => {
                let holds = match env.lookup(&block.path) {
                    Lookup::Known(v) => truthy(&v),
                    Lookup::Missing => false,
                    Lookup::Unknown => {
                        let _ = write!(out, "<if {}>", block.path);
                        false
                    }
                };
                let chosen = if holds != block.negated {
                    &block.then
                } else {
                    &block.otherwise
                };
                stack.push(chosen.iter());
            }
        }
    }
    Ok(out)
}

/// Text of a value as handlebars inserts it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Handlebars truthiness: `false`, `null`, `0`, `""` and `[]` are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}
