//! A query in the form `runbook diff` compares, so that reflowing it (a
//! YAML `>-` block against one line, spaces inside parentheses) or writing
//! its keywords in lower case is no change, and any other change still is.
//!
//! Outside string literals, quoted identifiers, dollar-quoted bodies and
//! comments (read by the same lexer as placeholders, [`super::identifiers`]),
//! every run of whitespace becomes one space, none is kept next to `(`, `)`
//! and `,`, and ASCII letters are lower-cased: PostgreSQL folds unquoted
//! keywords and names to lower case, so that changes no meaning. What is
//! inside quotes or a comment is kept as written.

use super::identifiers::{
    after_block_comment, after_dollar_quote, after_quoted, escapes_backslash,
};

/// `query` in its normal form.
pub fn normal_form(query: &str) -> String {
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut i = 0;
    let mut space = false;
    let mut line_break = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            space = true;
            line_break |= b == b'\n';
            i += 1;
            continue;
        }
        // String constants with a line break between them are one
        // (`'a'\n'b'` is `'ab'`); on one line they are an error.
        if line_break && b == b'\'' && out.ends_with('\'') {
            out.push('\n');
        }
        line_break = false;
        let (end, verbatim) = match b {
            b'\'' => (
                after_quoted(bytes, i, b'\'', escapes_backslash(bytes, i)),
                true,
            ),
            b'"' => (after_quoted(bytes, i, b'"', false), true),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                (query[i..].find('\n').map_or(bytes.len(), |n| i + n), true)
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => (after_block_comment(bytes, i), true),
            b'$' => (after_dollar_quote(query, i), true),
            _ => (
                i + query[i..].chars().next().map_or(1, char::len_utf8),
                false,
            ),
        };
        let tight = |c: Option<char>| matches!(c, Some('(' | ')' | ',' | '\n') | None);
        if space && !tight(out.chars().last()) && !tight(Some(b as char)) {
            out.push(' ');
        }
        space = false;
        let token = &query[i..end];
        if verbatim {
            out.push_str(token);
        } else {
            out.push_str(&token.to_ascii_lowercase());
        }
        // A line comment ends at a line break: the text after it must not
        // be read as part of it.
        if token.starts_with("--") {
            out.push('\n');
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normal_form;

    fn same(a: &str, b: &str) {
        assert_eq!(normal_form(a), normal_form(b), "{a:?} vs {b:?}");
    }

    fn differ(a: &str, b: &str) {
        assert_ne!(normal_form(a), normal_form(b), "{a:?} vs {b:?}");
    }

    #[test]
    fn layout_and_keyword_case_are_no_change() {
        same(
            "SELECT pg_drop_replication_slot($1)",
            "select   pg_drop_replication_slot( $1 )",
        );
        same(
            "SELECT slot_name FROM pg_replication_slots WHERE NOT active",
            "select slot_name\n  from pg_replication_slots\n  where not active\n",
        );
        same("SELECT a , b FROM t", "select a,b from t");
        assert_eq!(normal_form("  SELECT  1  "), "select 1");
    }

    #[test]
    fn quoted_text_and_comments_are_kept_as_written() {
        differ("SELECT 'Active'", "SELECT 'active'");
        differ("SELECT 'a  b'", "SELECT 'a b'");
        differ("SELECT \"Slot\" FROM t", "SELECT slot FROM t");
        differ("SELECT $x$A  B$x$", "SELECT $x$a b$x$");
        differ("SELECT E'it\\'s  A'", "SELECT E'it\\'s a'");
        differ("SELECT 1 /* Keep */", "SELECT 1 /* keep */");
        same("SELECT $x$A  B$x$", "select $x$A  B$x$");
    }

    #[test]
    fn a_real_change_is_still_one() {
        differ(
            "SELECT pg_drop_replication_slot($1)",
            "SELECT pg_drop_replication_slot($2)",
        );
        differ("SELECT a - -1", "SELECT a --1");
        differ("SELECT 1 -- note\nFROM t", "SELECT 1 -- note FROM t");
        differ("SELECT ab", "SELECT a b");
        differ("SELECT 'a'\n'b'", "SELECT 'a' 'b'");
        same("SELECT 'a'\n  'b'", "select 'a'\n'b'");
    }
}
