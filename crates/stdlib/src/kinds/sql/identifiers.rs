//! Names in a statement: `VACUUM (ANALYZE) :"table"` with `identifiers:
//! {table: "{{t.relname}}"}`. A parameter (`$1`) is a value and can never
//! name a table, and `query` is not a template; a placeholder written as
//! psql writes a variable quoted as an identifier, `:"name"`, is replaced
//! by the value as one quoted identifier (`"evil""; DROP TABLE t; --"`),
//! so a name found by an earlier step can be vacuumed, analyzed or
//! reindexed and never becomes SQL.
//!
//! Placeholders are found outside string literals, quoted identifiers,
//! comments and dollar-quoted bodies, and not in a `::` cast; the functions
//! that skip those runs are also what `diff` compares a query with
//! ([`super::normal_form`]).

use serde_json::{Map, Value};
use std::ops::Range;

/// PostgreSQL keeps the first 63 bytes of a longer identifier
/// (`NAMEDATALEN - 1`): a longer value could name another object.
pub const MAX_IDENTIFIER: usize = 63;

/// A `:"name"` in the statement: the name and where the whole placeholder is.
#[derive(Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    pub at: Range<usize>,
}

/// Every placeholder of `query`, in order.
pub fn placeholders(query: &str) -> Vec<Placeholder> {
    let bytes = query.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => i = after_quoted(bytes, i, b'\'', escapes_backslash(bytes, i)),
            b'"' => i = after_quoted(bytes, i, b'"', false),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = query[i..].find('\n').map_or(bytes.len(), |n| i + n + 1)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = after_block_comment(bytes, i),
            b'$' => i = after_dollar_quote(query, i),
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' if bytes.get(i + 1) == Some(&b'"') => {
                let name_start = i + 2;
                let name_end = name_start
                    + query[name_start..]
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                if name_end > name_start && bytes.get(name_end) == Some(&b'"') {
                    found.push(Placeholder {
                        name: query[name_start..name_end].to_string(),
                        at: i..name_end + 1,
                    });
                    i = name_end + 1;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// `E'...'` (and `e'...'`) strings take backslash escapes.
pub(super) fn escapes_backslash(bytes: &[u8], quote: usize) -> bool {
    quote > 0
        && matches!(bytes[quote - 1], b'E' | b'e')
        && (quote < 2 || !(bytes[quote - 2].is_ascii_alphanumeric() || bytes[quote - 2] == b'_'))
}

/// The index after a quoted run opened at `open` (a doubled quote stays inside).
pub(super) fn after_quoted(bytes: &[u8], open: usize, quote: u8, backslash: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if backslash && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The index after a `/* ... */` comment (they nest in PostgreSQL).
pub(super) fn after_block_comment(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut i = open;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after `$tag$ ... $tag$` opened at `open`, or after the `$`
/// when it opens no such body (`$1`).
pub(super) fn after_dollar_quote(query: &str, open: usize) -> usize {
    let rest = &query[open + 1..];
    let tag_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if rest.as_bytes().get(tag_len) != Some(&b'$') || rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return open + 1;
    }
    let tag = &query[open..open + tag_len + 2];
    let body = open + tag.len();
    query[body..]
        .find(tag)
        .map_or(query.len(), |n| body + n + tag.len())
}

/// The statement with every placeholder replaced by `"name"` itself: what
/// the classifier reads to give the step its effect before the values are
/// known (a quoted identifier parses where a table name does).
pub fn neutral(query: &str) -> String {
    substitute_with(query, |p| format!("\"{}\"", p.name))
}

fn substitute_with(query: &str, mut text: impl FnMut(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(query.len());
    let mut from = 0;
    for placeholder in placeholders(query) {
        out.push_str(&query[from..placeholder.at.start]);
        out.push_str(&text(&placeholder));
        from = placeholder.at.end;
    }
    out.push_str(&query[from..]);
    out
}

/// `value` as one quoted identifier, or why it cannot be one.
pub fn quote(name: &str, value: &Value) -> Result<String, String> {
    let Value::String(text) = value else {
        return Err(format!("the identifier `{name}` is not text"));
    };
    if text.is_empty() {
        return Err(format!("the identifier `{name}` is empty"));
    }
    if text.contains('\0') {
        return Err(format!("the identifier `{name}` holds a NUL byte"));
    }
    if text.len() > MAX_IDENTIFIER {
        return Err(format!(
            "the identifier `{name}` is {} bytes long; PostgreSQL would cut it to its first {MAX_IDENTIFIER}, which may name something else",
            text.len()
        ));
    }
    Ok(format!("\"{}\"", text.replace('"', "\"\"")))
}

/// The statement with each placeholder replaced by its identifier, quoted.
pub fn substitute(query: &str, identifiers: &Map<String, Value>) -> Result<String, String> {
    let mut problem = None;
    let out = substitute_with(query, |p| match identifiers.get(&p.name) {
        Some(value) => quote(&p.name, value).unwrap_or_else(|e| {
            problem.get_or_insert(e);
            String::new()
        }),
        None => {
            problem.get_or_insert(format!("`:\"{}\"` names no entry of `identifiers`", p.name));
            String::new()
        }
    });
    match problem {
        Some(problem) => Err(problem),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(query: &str) -> Vec<String> {
        placeholders(query).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn placeholders_outside_literals_comments_and_casts() {
        assert_eq!(
            names(r#"VACUUM (ANALYZE) :"schema".:"table""#),
            ["schema", "table"]
        );
        assert_eq!(
            names(
                r#"SELECT ':"a"', ":""b""", E'\':"c"', x::"int4", $q$ :"d" $q$ -- :"e"
                   /* :"f" /* :"g" */ */ FROM :"h" WHERE id = $1"#
            ),
            ["h"]
        );
        assert!(names(r#"SELECT :"", :"a b", :'lit'"#).is_empty());
    }

    #[test]
    fn values_are_one_quoted_identifier() {
        let identifiers = json!({"schema": "public", "table": "evil\"; DROP TABLE t; --"});
        let identifiers = identifiers.as_object().unwrap();
        assert_eq!(
            substitute(r#"VACUUM (ANALYZE) :"schema".:"table";"#, identifiers).unwrap(),
            r#"VACUUM (ANALYZE) "public"."evil""; DROP TABLE t; --";"#
        );
        assert_eq!(
            neutral(r#"SELECT * FROM :"table""#),
            r#"SELECT * FROM "table""#
        );
        for (value, why) in [
            (json!(""), "is empty"),
            (json!("a\0b"), "NUL"),
            (json!("x".repeat(64)), "64 bytes long"),
            (json!(5), "not text"),
        ] {
            let e = quote("t", &value).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        assert_eq!(quote("t", &json!("x".repeat(63))).unwrap().len(), 65);
        let e = substitute(r#"SELECT :"nope""#, identifiers).unwrap_err();
        assert!(e.contains("names no entry"), "{e}");
    }
}
