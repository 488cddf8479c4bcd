//! Journal text made safe for the Markdown of a report. A report is pasted
//! into pull requests and incident reviews, where Markdown and HTML render:
//! a value from the journal (a file name a step found, an operator's
//! reason, a command's error) must read as the text it is, not as a link,
//! an image, emphasis or a table cell of its own.

/// Text in a table cell: the characters that make a tag, a link, an
/// image, an entity, a code span or a new cell are backslash-escaped
/// (CommonMark's escapes), and a line break is `<br>`. Emphasis (`*`, `_`)
/// is left alone: at worst it is cosmetic, and escaping every `_` of a
/// name would make the report hard to read in a terminal.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '[' | ']' | '<' | '>' | '|' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// A code span holding `value` exactly, in a table cell: as
/// [`code_span`], with `|` escaped (GFM reads a pipe in a table before it
/// reads a code span).
pub fn code(value: &str) -> String {
    code_span(&value.replace('|', "\\|"))
}

/// A code span holding `value` exactly: fenced by more backticks than any
/// run inside it, and a line break shown as `⏎`.
pub fn code_span(value: &str) -> String {
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let inner = value.replace('\n', "⏎");
    // A span that starts or ends with a backtick needs a space inside.
    let pad = if inner.starts_with('`') || inner.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{inner}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::{code, text};

    #[test]
    fn markup_in_values_is_text() {
        assert_eq!(
            text("<img src=x> [a](http://e) `c` | d\ne &lt;"),
            "\\<img src=x\\> \\[a\\](http://e) \\`c\\` \\| d<br>e \\&lt;"
        );
        assert_eq!(
            text("plain words, 1.5, a_b *c*"),
            "plain words, 1.5, a_b *c*"
        );
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x` <b>y</b> `z"), "``x` <b>y</b> `z``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("two\nlines"), "`two⏎lines`");
    }
}
