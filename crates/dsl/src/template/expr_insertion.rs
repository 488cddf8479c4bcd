//! Insertions of a computed value: `{{format(vars.used_pct, 1)}}`,
//! `{{json map(steps.pods.json.items, p => p.metadata.name)}}`,
//! `{{steps.a.outputs.n * 2}}`. A tag whose content calls a function or
//! uses an operator is read with the expression parser (the same language
//! as `when:`), so the checker types it and the renderer evaluates it; the
//! value is then quoted for where it lands like any other insertion.

use super::{Format, Insertion};
use crate::diagnostic::Diagnostic;
use crate::expr::Expr;
use crate::node::Text;
use crate::path::Path;

/// The helpers that may stand before an expression: `{{json EXPR}}`.
const PREFIXES: &[(&str, Format, bool)] = &[
    ("raw", Format::Plain, true),
    ("json", Format::Json, false),
    ("quote", Format::Quote, false),
    ("upper", Format::Upper, false),
    ("lower", Format::Lower, false),
];

/// Whether the content of a tag is an expression rather than a path or a
/// helper call: outside quotes and `[...]`, it has a `(` or an operator.
pub(super) fn is_expression(content: &str) -> bool {
    // Most tags are plain paths (`inputs.namespace`): no character of them
    // can start an operator, so one pass over the bytes answers.
    if content
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b' ' | b'\t'))
    {
        return false;
    }
    let trimmed = content.trim_start();
    if trimmed.starts_with(['#', '/', '^', '>', '&', '!', '*']) || trimmed.starts_with("else") {
        return false;
    }
    let mut quotes = crate::quotes::Quotes::default();
    let mut bracket = false;
    let bytes = content.as_bytes();
    for (i, c) in content.char_indices() {
        if !bracket && quotes.inside(c) {
            continue;
        }
        if bracket {
            bracket = c != ']';
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let operator = match c {
            '[' => {
                bracket = true;
                false
            }
            '(' | '+' | '*' | '%' | '<' | '>' => true,
            '=' => {
                matches!(next, Some(b'=' | b'>'))
                    || matches!(before, Some(b'=' | b'!' | b'<' | b'>'))
            }
            '!' => next == Some(b'='),
            '&' => next == Some(b'&'),
            '|' => next == Some(b'|'),
            // `a-b` is a name; ` - ` is a subtraction.
            '-' => {
                before.is_some_and(|b| b.is_ascii_whitespace())
                    && next.is_some_and(|b| b.is_ascii_whitespace())
            }
            _ => false,
        };
        if operator {
            return true;
        }
    }
    false
}

/// Whether the tag is written as a handlebars subexpression, `(helper x)`
/// after a space, rather than a function call `name(x)`.
pub(super) fn is_subexpression(content: &str) -> bool {
    let trimmed = content.trim();
    trimmed.starts_with('(')
        || trimmed.char_indices().any(|(i, c)| {
            c == '('
                && trimmed[..i].ends_with(char::is_whitespace)
                && !trimmed[..i].trim_end().ends_with(['(', ','])
        })
}

/// Reads the expression insertion whose content is `start..stop` of `text`
/// (the whole tag is `open..end`).
pub(super) fn read(
    text: &Text,
    start: usize,
    stop: usize,
    open: usize,
    end: usize,
    triple: bool,
) -> Result<Insertion, Diagnostic> {
    let content = &text.as_str()[start..stop];
    let leading = content.len() - content.trim_start().len();
    let word_end = content[leading..]
        .find(char::is_whitespace)
        .map(|i| leading + i);
    let (format, raw, from) = match word_end.and_then(|w| {
        let word = &content[leading..w];
        PREFIXES
            .iter()
            .find(|(name, ..)| *name == word)
            .map(|(_, f, r)| (f.clone(), *r, w))
    }) {
        Some((format, raw, from)) if is_expression(&content[from..]) => (format, raw, from),
        _ => (Format::Plain, false, 0),
    };
    let expr: Expr = crate::expr::parse(&text.slice(start + from, stop))?;
    Ok(Insertion {
        path: Path {
            segments: Vec::new(),
            span: expr.span,
        },
        expr: Some(Box::new(expr)),
        format,
        raw: raw || triple,
        span: text.file_span(open, end),
    })
}
