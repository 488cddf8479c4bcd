//! The words of the `.runbook` grammar that its reader and its printer must
//! agree on: which bare words are typed (so the printer quotes a string
//! that would read back as a number), which expressions are one quoted
//! string, and how an expression is written on one line.

use crate::node::Value;

/// The typed value of a word that is not a string: the words the printer
/// must quote to keep a string a string.
pub(crate) fn typed_word(word: &str) -> Option<Value> {
    match word {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" => return Some(Value::Null),
        _ => {}
    }
    let digits = word.strip_prefix('-').unwrap_or(word);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse::<i64>().ok().map(Value::Int);
    }
    let looks_float = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_float {
        return word.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// Whether an expression's text is exactly one `"..."` string.
pub(crate) fn is_one_string(text: &str) -> bool {
    let Some(body) = text.strip_prefix('"') else {
        return false;
    };
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1 == body.len(),
            _ => {}
        }
    }
    false
}

/// An expression as written, on one line: line breaks (from a YAML block
/// scalar, or a `.runbook` map literal over several lines) and the
/// indentation after them become one space, or nothing just inside a
/// bracket, where a `,` before the closing one goes too (`{a: 1}`, not
/// `{ a: 1, }`). No string literal holds a line break, so this joins only
/// the expression's own text.
pub(crate) fn expression(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.trim().lines().enumerate() {
        let line = if i > 0 { line.trim() } else { line.trim_end() };
        if i > 0 {
            if line.starts_with(['}', ']']) && out.ends_with(',') {
                out.pop();
            }
            let inside = out.ends_with(['{', '[', '(']) || line.starts_with(['}', ']', ')']);
            if !inside && !line.is_empty() {
                out.push(' ');
            }
        }
        out.push_str(line);
    }
    out
}
