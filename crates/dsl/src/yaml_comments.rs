//! The comments of a YAML playbook, counted: the YAML front end keeps none
//! (the model has no place for them), so `runbook convert --to runbook`
//! says how many it leaves behind instead of dropping them silently.
//!
//! A comment is a `#` at the start of a line or after a space or tab that
//! is not inside a scalar, as YAML defines it; the scalars' extents come
//! from the same parser as the front end's, so a `#` in a quoted string or
//! in a block scalar (a shell script's own comments) is not one.

use crate::yaml::CharOffsets;
use saphyr_parser::{Event, Parser, ScalarStyle};

/// How many comments `text` holds; 0 when it is not valid YAML (the front
/// end reports that).
pub fn count(text: &str) -> usize {
    let offsets = CharOffsets::new(text);
    let mut scalars: Vec<(usize, usize)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let Ok((event, span)) = next else {
            return 0;
        };
        if let Event::Scalar(_, style, ..) = event {
            let start = offsets.byte(span.start.index());
            // A quoted scalar's end mark can lie past a comment after it:
            // it ends at its closing quote.
            let end = match style {
                ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                    closing_quote(text, start).unwrap_or(offsets.byte(span.end.index()))
                }
                _ => offsets.byte(span.end.index()),
            };
            scalars.push((start, end));
        }
    }
    let inside = |at: usize| scalars.iter().any(|&(start, end)| start <= at && at < end);
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(at, &b)| {
            b == b'#' && (at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r'))
        })
        .filter(|&(at, _)| !inside(at))
        .count()
}

/// The byte after the quote that closes the quoted scalar opening at
/// `start` (`''` in single quotes and `\"` in double quotes do not close).
fn closing_quote(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start).filter(|b| matches!(b, b'"' | b'\''))?;
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
            b if b == quote => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn comments_are_counted_and_hashes_inside_values_are_not() {
        let text = r#"# A playbook.
name: hashes   # trailing
steps:
  # before a step
  - id: a
    shell: "echo '# not a comment' # still inside the quotes"
  - id: b
    shell: |
      # the script's own comment
      echo a#b
    log: 'x # y'
  - id: c
    shell: echo plain#hash
    needs: [a, b] # in a flow context's line
"#;
        assert_eq!(count(text), 4);
    }

    #[test]
    fn no_comment_and_invalid_yaml_count_none() {
        assert_eq!(count("steps: []\n"), 0);
        assert_eq!(count("steps: [\n# dangling"), 0);
        assert_eq!(count(""), 0);
    }

    #[test]
    fn a_non_ascii_value_keeps_the_extents_right() {
        let text = "name: \"é # ü\" # ß\nsteps: []\n";
        assert_eq!(count(text), 1);
    }

    #[test]
    fn a_comment_after_a_quoted_value_counts_and_escaped_quotes_do_not_end_it() {
        let text = "a: \"x \\\" # y\" # one\nb: 'it''s # z' # two\nc: \"\" # three\n";
        assert_eq!(count(text), 3);
    }
}
