//! Text from a playbook or from a step, made safe to print on a terminal.
//!
//! A playbook, a step's output or a message may contain control characters:
//! an escape sequence can clear the screen, retitle the window, move the
//! cursor over earlier lines or hide what follows. Everything runbook draws
//! for a person (diagnostics, the live and plain run views, reports) shows
//! them escaped instead, as `\x1b`; the journal and `--output json` keep the
//! exact text.

use crate::source::{SourceFile, Span};
use std::borrow::Cow;

/// Whether a character is shown escaped: C0 controls but tab and newline,
/// DEL, C1 controls, and the bidirectional overrides that reorder what is
/// shown (a carriage return is kept before a newline: CRLF files).
fn needs_escape(c: char, next: Option<char>) -> bool {
    match c {
        '\t' | '\n' => false,
        '\r' => next != Some('\n'),
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escaped(c: char) -> String {
    if (c as u32) < 0x80 {
        format!("\\x{:02x}", c as u32)
    } else {
        format!("\\u{{{:x}}}", c as u32)
    }
}

/// `text` with its control characters escaped (borrowed when there are none).
pub fn escape(text: &str) -> Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let mut out: Option<String> = None;
    let mut at = 0;
    while let Some(c) = chars.next() {
        if needs_escape(c, chars.peek().copied()) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
            if out.is_empty() {
                out.push_str(&text[..at]);
            }
            out.push_str(&escaped(c));
        } else if let Some(out) = out.as_mut() {
            out.push(c);
        }
        at += c.len_utf8();
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// A source file with its control characters escaped, and how to move
/// spans of the original onto it.
#[derive(Debug)]
pub struct EscapedSource {
    pub file: SourceFile,
    /// (offset in the original, bytes added before and at it), ascending.
    shifts: Vec<(usize, usize)>,
}

impl EscapedSource {
    /// `None` when the file has nothing to escape.
    pub fn new(file: &SourceFile) -> Option<EscapedSource> {
        let text = file.text();
        let Cow::Owned(escaped_text) = escape(text) else {
            return None;
        };
        let mut shifts = Vec::new();
        let mut added = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if needs_escape(c, chars.peek().map(|&(_, n)| n)) {
                added += escaped(c).len() - c.len_utf8();
                shifts.push((i, added));
            }
        }
        Some(EscapedSource {
            file: SourceFile::new(file.name(), escaped_text),
            shifts,
        })
    }

    /// Where an offset of the original lands in the escaped text: an
    /// escaped character starts where its escape starts.
    pub fn offset(&self, offset: usize) -> usize {
        let before = self.shifts.partition_point(|&(i, _)| i < offset);
        offset + before.checked_sub(1).map_or(0, |k| self.shifts[k].1)
    }

    pub fn span(&self, span: Span) -> Span {
        Span::new(self.offset(span.start), self.offset(span.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_keeps_layout_characters() {
        assert_eq!(escape("a\tb\r\nc"), "a\tb\r\nc");
        assert_eq!(
            escape("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\x1b]0;pwned\\x07\\x1b[2J"
        );
        assert_eq!(
            escape("over\rwrite \u{9b}2J \u{202e}"),
            "over\\x0dwrite \\u{9b}2J \\u{202e}"
        );
        assert!(matches!(escape("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn spans_follow_the_escapes() {
        let file = SourceFile::new("f.yaml", "a: \u{1b}[2Jx\nb: y");
        let source = EscapedSource::new(&file).unwrap();
        assert_eq!(source.file.text(), "a: \\x1b[2Jx\nb: y");
        let x = file.text().find('x').unwrap();
        assert_eq!(
            source.file.text()[source.offset(x)..].chars().next(),
            Some('x')
        );
        let b = file.text().find('b').unwrap();
        assert_eq!(
            source.file.text()[source.offset(b)..].chars().next(),
            Some('b')
        );
        assert_eq!(
            source.offset(3),
            3,
            "the escape starts where the character was"
        );
    }
}
