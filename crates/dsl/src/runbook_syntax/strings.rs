//! String tokens of the `.runbook` grammar to [`Text`]: escapes are decoded
//! and `"""` indentation is stripped, and each character keeps its file
//! offset so a diagnostic inside the string points at the file.

use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Text, TextMap};
use crate::source::Span;

/// Collects `(value offset, file offset)` runs, merging runs that continue verbatim.
#[derive(Default)]
struct Runs {
    runs: Vec<(usize, usize)>,
}

impl Runs {
    fn push(&mut self, value_at: usize, file_at: usize) {
        if let Some(&(v, f)) = self.runs.last() {
            if value_at >= v && file_at >= f && value_at - v == file_at - f {
                return;
            }
        }
        self.runs.push((value_at, file_at));
    }

    fn into_map(self, start: usize) -> TextMap {
        match self.runs.as_slice() {
            [] => TextMap::Verbatim(start),
            [(0, at)] => TextMap::Verbatim(*at),
            _ => TextMap::Runs(self.runs),
        }
    }
}

/// Decodes a `"..."` token written at `span` (quotes included).
pub(super) fn quoted(raw: &str, span: Span) -> Result<Text, Box<Diagnostic>> {
    let inner = &raw[1..raw.len() - 1];
    let base = span.start + 1;
    // Most strings hold no escape: the value is the text between the quotes.
    if !inner.contains('\\') {
        return Ok(Text {
            value: inner.to_string(),
            span,
            map: TextMap::Verbatim(base),
        });
    }
    let mut value = String::with_capacity(inner.len());
    let mut runs = Runs::default();
    // After an escape the next character starts a new run.
    let mut after_escape = false;
    let mut chars = inner.char_indices().peekable();
    while let Some((at, ch)) = chars.next() {
        if ch != '\\' {
            if after_escape {
                runs.runs.push((value.len(), base + at));
                after_escape = false;
            } else {
                runs.push(value.len(), base + at);
            }
            value.push(ch);
            continue;
        }
        let (decoded, len) = match chars.peek().map(|&(_, c)| c) {
            Some('"') => ('"', 2),
            Some('\\') => ('\\', 2),
            Some('n') => ('\n', 2),
            Some('t') => ('\t', 2),
            Some('r') => ('\r', 2),
            Some('u') => unicode_escape(&inner[at..], base + at)?,
            other => {
                let len = 1 + other.map_or(0, char::len_utf8);
                let shown = other.map_or(String::new(), |c| c.escape_debug().to_string());
                return Err(Box::new(
                    Diagnostic::error(Code::GrammarSyntax, format!("unknown escape `\\{shown}`"))
                        .label(Span::new(base + at, base + at + len), "not an escape")
                        .help("escapes are \\\" \\\\ \\n \\t \\r and \\u{1F600}; write a backslash as \\\\, or use a `\"\"\"` block, which takes text as written"),
                ));
            }
        };
        runs.runs.push((value.len(), base + at));
        after_escape = true;
        value.push(decoded);
        // Skip the rest of the escape sequence.
        let end = at + len;
        while chars.peek().is_some_and(|&(i, _)| i < end) {
            chars.next();
        }
    }
    Ok(Text {
        value,
        span,
        map: runs.into_map(base),
    })
}

/// Decodes `\u{HEX}` at the start of `s`; returns the char and the escape's length.
fn unicode_escape(s: &str, file_at: usize) -> Result<(char, usize), Box<Diagnostic>> {
    let body = s.strip_prefix("\\u{").and_then(|rest| {
        let close = rest.find('}')?;
        let hex = &rest[..close];
        let ok = !hex.is_empty() && hex.len() <= 6 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then_some(hex)
    });
    let decoded = body.and_then(|hex| {
        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
        Some((c, 4 + hex.len()))
    });
    decoded.ok_or_else(|| {
        let len = s.find('}').map_or(2, |i| i + 1).min(12);
        Box::new(
            Diagnostic::error(Code::GrammarSyntax, "invalid unicode escape")
                .label(Span::new(file_at, file_at + len), "here")
                .help("write a unicode escape as \\u{...} with 1 to 6 hex digits of a valid code point, e.g. \\u{e9}"),
        )
    })
}

/// Reads a `"""` block written at `span`: the lines between the opening and
/// the closing `"""`, each stripped of the closing line's indentation and
/// ended with a newline. Lines holding only whitespace become empty lines.
pub(super) fn block(raw: &str, span: Span) -> Result<Text, Box<Diagnostic>> {
    let lines = split_lines(raw);
    // The first line holds the opening `"""`, the last one the closing one.
    let (last_at, last) = lines[lines.len() - 1];
    let indent = &last[..last.len() - last.trim_start_matches([' ', '\t']).len()];
    let mut value = String::new();
    let mut runs = Runs::default();
    for &(at, line) in &lines[1..lines.len() - 1] {
        if line.trim().is_empty() {
            runs.push(value.len(), span.start + at + line.len());
            value.push('\n');
            continue;
        }
        let Some(content) = line.strip_prefix(indent) else {
            let written = line.len() - line.trim_start_matches([' ', '\t']).len();
            let file_at = span.start + at;
            return Err(Box::new(
                Diagnostic::error(
                    Code::GrammarSyntax,
                    "a line of a `\"\"\"` block is indented less than its closing `\"\"\"`",
                )
                .label(Span::new(file_at, file_at + written.max(1)), "this line")
                .label(
                    Span::new(span.start + last_at, span.start + last_at + last.len()),
                    "the closing `\"\"\"` sets the indentation",
                )
                .help("indent every line at least as far as the closing `\"\"\"`; that indentation is removed from each line"),
            ));
        };
        runs.push(value.len(), span.start + at + indent.len());
        value.push_str(content);
        value.push('\n');
    }
    Ok(Text {
        value,
        span,
        map: runs.into_map(span.start + 3),
    })
}

/// Lines of `raw` with their offsets, without line breaks (`\n`, `\r\n`, `\r`).
fn split_lines(raw: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push((start, &raw[start..i]));
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push((start, &raw[start..i]));
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    lines.push((start, &raw[start..]));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_map(file: &str, text: &Text, needle: &str) {
        let at = text.value.find(needle).expect("needle in value");
        let span = text.file_span(at, at + needle.len());
        assert_eq!(&file[span.start..span.end], needle, "{text:?}");
    }

    #[test]
    fn plain_strings_map_verbatim() {
        let file = "x \"abc\"";
        let text = quoted(&file[2..], Span::new(2, 7)).unwrap();
        assert_eq!(text.value, "abc");
        assert_eq!(text.map, TextMap::Verbatim(3));
    }

    #[test]
    fn escapes_decode_and_keep_positions() {
        let file = r#"x "a \"q\" \u{e9}\\ steps.b.c\n{{inputs.ns}}""#;
        let text = quoted(&file[2..], Span::new(2, file.len())).unwrap();
        assert_eq!(text.value, "a \"q\" é\\ steps.b.c\n{{inputs.ns}}");
        check_map(file, &text, "steps.b.c");
        check_map(file, &text, "inputs.ns");
        check_map(file, &text, "q");
        let at = text.value.find('é').unwrap();
        let span = text.file_span(at, at + 'é'.len_utf8());
        assert_eq!(&file[span.start..span.start + 2], "\\u");
    }

    #[test]
    fn bad_escapes_are_errors() {
        let err = quoted(r#""a\qb""#, Span::new(10, 16)).unwrap_err();
        assert_eq!(err.primary_span(), Span::new(12, 14));
        assert!(quoted(r#""\u{zz}""#, Span::new(0, 8)).is_err());
        assert!(quoted(r#""\u{110000}""#, Span::new(0, 12)).is_err());
        assert_eq!(quoted("\"\\\"\"", Span::new(0, 4)).unwrap().value, "\"");
    }

    #[test]
    fn blocks_strip_the_closing_indentation() {
        let file = "d \"\"\"\n    one {{inputs.x}}\n\n      two\n    \"\"\"";
        let text = block(&file[2..], Span::new(2, file.len())).unwrap();
        assert_eq!(text.value, "one {{inputs.x}}\n\n  two\n");
        check_map(file, &text, "inputs.x");
        check_map(file, &text, "  two");
        let empty = block("\"\"\"\n\"\"\"", Span::new(0, 7)).unwrap();
        assert_eq!(empty.value, "");
        let err = block("\"\"\"\n  a\n b\n  \"\"\"", Span::new(0, 17)).unwrap_err();
        assert_eq!(err.primary_span(), Span::new(8, 9));
    }

    #[test]
    fn unindented_blocks_are_verbatim() {
        let file = "\"\"\"\nab\ncd\n\"\"\"";
        let text = block(file, Span::new(0, file.len())).unwrap();
        assert_eq!(text.value, "ab\ncd\n");
        assert_eq!(text.map, TextMap::Verbatim(4));
    }
}
