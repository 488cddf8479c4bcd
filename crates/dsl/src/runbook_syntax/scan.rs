//! A lexical pass over a `.runbook` file before pest sees it.
//!
//! It collects `#` comments (the printer keeps them), and it finds the
//! mistakes a PEG parser reports badly: an unterminated string (pest would
//! only say "expected ..." somewhere far away), a bracket that is never
//! closed (pest would point at the end of the file), and nesting deeper than
//! [`MAX_DEPTH`], which would otherwise let pest's recursive descent overflow
//! the stack on hostile input.
//!
//! Its idea of strings and comments matches the grammar: `"..."` on one line
//! with `\` escapes, `"""` up to a line starting with `"""`, `'...'` on one
//! line (string literals inside expressions), `#` to the end of the line.
//!
//! It also says where the file may be cut into chunks that pest parses one
//! after the other (`parse.rs`): at a line break outside strings, comments
//! and brackets. The grammar lets a top-level statement hold a line break
//! only inside a block, a list or a `"""` string, so such a line break
//! separates two statements, unless an expression holds a bracket of its
//! own (`when x}`): pest then rejects a chunk, and the parser parses the
//! file whole instead.

use super::Comment;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// How deeply `[` and `{` may nest. Real playbooks use four or five levels.
pub(super) const MAX_DEPTH: usize = 64;

/// What the scan found in a file that pest may parse.
#[derive(Debug)]
pub(super) struct Scan {
    pub comments: Vec<Comment>,
    /// The first unbalanced bracket. Pest's own error is often better (a
    /// missing `{` on a step line shows up here as an unmatched `}` at the
    /// end), so the caller picks whichever error comes first in the file.
    pub brackets: Option<Box<Diagnostic>>,
    /// Offsets of line breaks (`\n`) between top-level statements where
    /// the file is cut, each at least `chunk_bytes` after the previous cut.
    /// Only meaningful when `brackets` is `None`.
    pub breaks: Vec<usize>,
    /// Offsets of the `{` that no later `}` closes (braces counted alone),
    /// when there is a bracket error. The grammar tries a map literal over
    /// several lines at each `{` of an expression, up to its `}`: blanked
    /// for pest, such a `{` cannot make it read the rest of the file once
    /// per `{` (see parse.rs). Empty when `brackets` is `None`.
    pub unclosed_braces: Vec<usize>,
}

/// Scans `text`, returning its comments, bracket error and cuts (at least
/// `chunk_bytes` apart), or the first error that must stop parsing (a
/// string not closed, nesting too deep).
pub(super) fn scan(text: &str, chunk_bytes: usize) -> Result<Scan, Box<Diagnostic>> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut brackets = None;
    let mut breaks = Vec::new();
    let mut chunk_start = 0;
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut braces: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let end = line_end(text, i);
                let comment = text[i..end].trim_end();
                comments.push(Comment {
                    span: Span::new(i, i + comment.len()),
                    text: comment.to_string(),
                });
                i = end;
            }
            b'"' if text[i..].starts_with("\"\"\"") => i = triple_end(text, i)?,
            b'"' => i = string_end(text, i)?,
            b'\'' => i = quoted_end(text, i, b'\'').unwrap_or(i + 1),
            b'[' | b'{' => {
                if bytes[i] == b'{' {
                    braces.push(i);
                }
                open.push((bytes[i], i));
                if open.len() > MAX_DEPTH {
                    return Err(Box::new(
                        Diagnostic::error(Code::GrammarSyntax, "the nesting is too deep")
                            .label(Span::new(i, i + 1), format!("level {} opens here", open.len()))
                            .help(format!(
                                "lists and blocks nest at most {MAX_DEPTH} levels deep; flatten the structure"
                            )),
                    ));
                }
                i += 1;
            }
            b']' | b'}' => {
                let close = bytes[i];
                if close == b'}' {
                    braces.pop();
                }
                let error = match open.pop() {
                    None => Some(Box::new(
                        Diagnostic::error(
                            Code::GrammarSyntax,
                            format!("unmatched `{}`", close as char),
                        )
                        .label(Span::new(i, i + 1), "nothing is open here")
                        .help("remove it, or add the opening bracket it was meant to close"),
                    )),
                    Some((opener, at)) if matching(opener) != close => Some(Box::new(
                        Diagnostic::error(
                            Code::GrammarSyntax,
                            format!("`{}` closes a `{}`", close as char, opener as char),
                        )
                        .label(
                            Span::new(i, i + 1),
                            format!("expected `{}` here", matching(opener) as char),
                        )
                        .label(Span::new(at, at + 1), "opened here")
                        .help(format!(
                            "close the {} before this point",
                            bracket_name(opener)
                        )),
                    )),
                    Some(_) => None,
                };
                if brackets.is_none() {
                    brackets = error;
                }
                i += 1;
            }
            b'\n' => {
                if open.is_empty() && i - chunk_start >= chunk_bytes {
                    breaks.push(i);
                    chunk_start = i;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if let (None, Some((opener, at))) = (&brackets, open.pop()) {
        brackets = Some(Box::new(
            Diagnostic::error(
                Code::GrammarSyntax,
                format!("this `{}` is never closed", opener as char),
            )
            .label(Span::new(at, at + 1), "opened here")
            .help(format!(
                "add `{}` to close the {}",
                matching(opener) as char,
                bracket_name(opener)
            )),
        ));
    }
    if brackets.is_none() {
        braces.clear();
    }
    Ok(Scan {
        comments,
        brackets,
        breaks,
        unclosed_braces: braces,
    })
}

fn matching(opener: u8) -> u8 {
    if opener == b'[' {
        b']'
    } else {
        b'}'
    }
}

fn bracket_name(opener: u8) -> &'static str {
    if opener == b'[' {
        "list"
    } else {
        "block"
    }
}

/// The offset of the line break ending the line that contains `i` (or the end of text).
fn line_end(text: &str, i: usize) -> usize {
    text[i..]
        .find(['\n', '\r'])
        .map(|n| i + n)
        .unwrap_or(text.len())
}

/// The offset just past a `"..."` string starting at `start`. A control
/// character in it (other than tab) is an error here, so the grammar can
/// skip over a string's text without looking at each character.
fn string_end(text: &str, start: usize) -> Result<usize, Box<Diagnostic>> {
    let end = quoted_end(text, start, b'"').ok_or_else(|| {
        let end = line_end(text, start);
        Box::new(
            Diagnostic::error(Code::GrammarSyntax, "unterminated string")
                .label(
                    Span::new(start, end),
                    "this string is not closed on its line",
                )
                .help("close it with `\"`; for text over several lines use a `\"\"\"` block"),
        )
    })?;
    // An escaped character is the escape's business (`strings::quoted`).
    let bytes = text.as_bytes();
    let mut control = None;
    let mut j = start + 1;
    while j < end {
        match bytes[j] {
            b'\\' => j += 2,
            b if b < 0x20 && b != b'\t' => {
                control = Some(j);
                break;
            }
            _ => j += 1,
        }
    }
    if let Some(at) = control {
        return Err(Box::new(
            Diagnostic::error(Code::GrammarSyntax, "a control character in a string")
                .label(
                    Span::new(at, at + 1),
                    format!("{:?} is not allowed here", text.as_bytes()[at] as char),
                )
                .help("write it as an escape (`\\n`, `\\t`, `\\r`, `\\u{1B}`) or remove it; for text over several lines use a `\"\"\"` block"),
        ));
    }
    Ok(end)
}

/// The offset just past a string quoted with `quote` on one line, if it is closed.
fn quoted_end(text: &str, start: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\n' | b'\r' => return None,
            b if b == quote => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The offset just past a `"""` block starting at `start`: its closing `"""`
/// is the first one that starts a line (after indentation).
fn triple_end(text: &str, start: usize) -> Result<usize, Box<Diagnostic>> {
    let opener = Span::new(start, start + 3);
    let first_end = line_end(text, start);
    let rest = &text[start + 3..first_end];
    if !rest.trim().is_empty() {
        let at = start + 3 + (rest.len() - rest.trim_start().len());
        return Err(Box::new(
            Diagnostic::error(
                Code::GrammarSyntax,
                "text after `\"\"\"` on the line that opens it",
            )
            .label(Span::new(at, first_end), "this text")
            .label(opener, "the block opens here")
            .help("a `\"\"\"` block starts on the next line and ends with `\"\"\"` on a line of its own; for one line use `\"...\"`"),
        ));
    }
    let mut line_start = first_end;
    while line_start < text.len() {
        // Step over the line break.
        line_start += if text[line_start..].starts_with("\r\n") {
            2
        } else {
            1
        };
        let end = line_end(text, line_start);
        let line = &text[line_start..end];
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if line[indent..].starts_with("\"\"\"") {
            return Ok(line_start + indent + 3);
        }
        line_start = end;
    }
    Err(Box::new(
        Diagnostic::error(Code::GrammarSyntax, "unterminated `\"\"\"` string")
            .label(opener, "this block is never closed")
            .help("end it with `\"\"\"` on a line of its own"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_collected_outside_strings() {
        let text =
            "a \"x # y\" # one\n# two\nb \"\"\"\n  # not\n  \"\"\"\nwhen x == 'a # b' # three";
        let comments = scan(text, 0).unwrap().comments;
        let texts: Vec<_> = comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# one", "# two", "# three"]);
        assert_eq!(&text[comments[0].span.start..comments[0].span.end], "# one");
    }

    #[test]
    fn lexical_errors_point_at_the_culprit() {
        let err = scan("a \"open\nb 1", 0).unwrap_err();
        assert_eq!(err.message, "unterminated string");
        assert_eq!(err.primary_span(), Span::new(2, 7));
        let err = scan("a {\n b [1, 2}\n", 0).unwrap().brackets.unwrap();
        assert_eq!(err.primary_span(), Span::new(12, 13));
        let err = scan("a {\n", 0).unwrap().brackets.unwrap();
        assert_eq!(err.primary_span(), Span::new(2, 3));
        let err = scan("a }\n b {", 0).unwrap().brackets.unwrap();
        assert_eq!(err.message, "unmatched `}`");
        let err = scan(&"[".repeat(100), 0).unwrap_err();
        assert_eq!(err.message, "the nesting is too deep");
        assert!(scan("x \"\"\"\n  text\n", 0).is_err());
    }

    #[test]
    fn braces_never_closed_are_listed_with_a_bracket_error() {
        let found = scan("var x = {a: {b: 1}, \"{\", c: [{\n}", 0).unwrap();
        assert!(found.brackets.is_some());
        assert_eq!(found.unclosed_braces, [8]);
        assert!(scan("var x = {a: {b: 1}}\n", 0)
            .unwrap()
            .unclosed_braces
            .is_empty());
    }

    #[test]
    fn control_characters_in_strings_are_reported_where_they_are() {
        let err = scan("a \"one\u{1}two\"\n", 0).unwrap_err();
        assert_eq!(err.message, "a control character in a string");
        assert_eq!(err.primary_span(), Span::new(6, 7));
        // A tab is text; an escaped character is the escape's business.
        assert!(scan("a \"one\ttwo\"\n", 0).is_ok());
        assert!(scan("a \"one\\\u{1}\"\n", 0).is_ok());
        // Outside strings, the grammar reports it.
        assert!(scan("a \u{1}\n", 0).is_ok());
    }
}
