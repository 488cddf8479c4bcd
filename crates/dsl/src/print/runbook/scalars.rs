//! How single values are written in `.runbook`: scalars bare or quoted,
//! `"""` blocks, lists on one line, durations, keys, conditions.

use crate::ast::{DurationLit, SizeLit};
use crate::node::{Node, Value};
use crate::print::{is_bare_word, is_grammar_word};
use crate::runbook_words::{expression, is_one_string};

/// The offset of a block's closing `}`, when the span ends with one.
pub(super) fn close_key(span: crate::source::Span) -> Option<usize> {
    (span.end > span.start).then(|| span.end - 1)
}

/// A node on one line, if it fits there: scalars, and lists of scalars.
pub(super) fn inline(node: &Node) -> Option<String> {
    Some(match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(t) => scalar_string(&t.value),
        Value::Seq(items) => {
            let items: Option<Vec<String>> = items
                .iter()
                .map(|i| match i.value {
                    Value::Seq(_) | Value::Map(_) => None,
                    _ => inline(i),
                })
                .collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Map(entries) if entries.is_empty() => "{}".into(),
        Value::Map(_) => return None,
    })
}

pub(super) fn scalar_text(node: &Node) -> String {
    node.scalar_string().unwrap_or_default()
}

/// A string value: bare when it reads back as the same string, else quoted.
pub(super) fn scalar_string(s: &str) -> String {
    if is_bare_word(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

pub(super) fn key_text(key: &str) -> String {
    if is_grammar_word(key) {
        key.to_string()
    } else {
        quote(key)
    }
}

pub(super) fn string_list(items: &[crate::source::Spanned<String>]) -> String {
    let items: Vec<String> = items.iter().map(|i| scalar_string(&i.value)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn duration(d: &DurationLit) -> String {
    if is_grammar_word(&d.text) {
        d.text.clone()
    } else {
        quote(&d.text)
    }
}

/// A size as written: a YAML number stays a bare number, text that is all
/// digits stays quoted, so either reads back as written.
pub(super) fn size(size: &SizeLit) -> String {
    let digits = size.text.bytes().all(|b| b.is_ascii_digit());
    if size.number || (!digits && is_grammar_word(&size.text)) {
        size.text.clone()
    } else {
        quote(&size.text)
    }
}

/// A condition of `assert`/`that`, bare; one that is a single string
/// literal (not a boolean, so `check` rejects it) is put in brackets, since
/// the quoted form is read as the expression inside the quotes.
pub(super) fn condition(text: &str) -> String {
    let bare = expression(text);
    if is_one_string(&bare) {
        format!("({bare})")
    } else {
        bare
    }
}

/// A double-quoted string with the grammar's escapes.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The lines of a text printed as a `"""` block, or `None` when the text
/// would not read back the same from one: a block always ends with a line
/// break, cannot hold a line that starts with `"""`, a carriage return or a
/// control character, and reads whitespace-only lines as empty.
pub(super) fn block_lines(text: &str) -> Option<Vec<&str>> {
    let body = text.strip_suffix('\n')?;
    let lines: Vec<&str> = body.split('\n').collect();
    let representable = lines.iter().all(|l| {
        !l.trim_start_matches([' ', '\t']).starts_with("\"\"\"")
            && !l.chars().any(|c| c.is_control() && c != '\t')
            && (l.is_empty() || !l.trim().is_empty())
    });
    representable.then_some(lines)
}
