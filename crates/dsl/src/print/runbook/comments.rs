//! Placing the source's comments among the printed lines (see the module
//! documentation of `print/runbook.rs`).

use super::Line;
use crate::runbook_syntax::Comment;

/// Writes the lines out with the comments placed among them.
pub(super) fn place_comments(
    lines: Vec<Line>,
    comments: &[Comment],
    source: Option<&str>,
) -> String {
    let mut trailing: Vec<Option<String>> = vec![None; lines.len()];
    let mut before: Vec<Vec<(&Comment, bool)>> = (0..=lines.len()).map(|_| Vec::new()).collect();
    for comment in comments {
        let at = comment.span.start;
        if let Some(source) = source {
            let line_start = source[..at.min(source.len())]
                .rfind(['\n', '\r'])
                .map_or(0, |i| i + 1);
            let is_trailing = !source[line_start..at.min(source.len())].trim().is_empty();
            if is_trailing {
                // The printed line of the last element that started on this source line.
                let host = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, l)| {
                        l.key.is_some_and(|k| k >= line_start && k < at)
                            && !l.no_trailing
                            && trailing[*i].is_none()
                    })
                    .max_by_key(|(_, l)| l.key)
                    .map(|(i, _)| i);
                if let Some(i) = host {
                    trailing[i] = Some(comment.text.clone());
                    continue;
                }
            }
        }
        // The element that followed the comment in the source, wherever the
        // canonical order prints it.
        let index = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.key.is_some_and(|k| k > at))
            .min_by_key(|(_, l)| l.key)
            .map_or(lines.len(), |(i, _)| i);
        before[index].push((comment, blank_after(comment, source)));
    }
    let mut out = String::new();
    let push_comments = |out: &mut String, list: &[(&Comment, bool)], indent: usize, last: bool| {
        for (i, (comment, blank)) in list.iter().enumerate() {
            push_indent(out, indent);
            out.push_str(&comment.text);
            out.push('\n');
            let is_last = i + 1 == list.len();
            if *blank && !(is_last && last) {
                out.push('\n');
            }
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if !before[i].is_empty() {
            // A comment before a closing line belongs inside the block.
            let indent = if line.text.starts_with(['}', ']']) {
                line.indent + 1
            } else {
                line.indent
            };
            push_comments(&mut out, &before[i], indent, false);
        }
        if !line.text.is_empty() {
            push_indent(&mut out, line.indent);
            out.push_str(&line.text);
        }
        if let Some(comment) = &trailing[i] {
            out.push(' ');
            out.push_str(comment);
        }
        out.push('\n');
    }
    let rest = &before[lines.len()];
    if !rest.is_empty() {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        push_comments(&mut out, rest, 0, true);
    }
    out
}

/// Whether the source has a blank line right after this comment, which the
/// printer keeps (a header comment set apart from what follows).
fn blank_after(comment: &Comment, source: Option<&str>) -> bool {
    let Some(source) = source else {
        return false;
    };
    let rest = &source[comment.span.end.min(source.len())..];
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .unwrap_or(rest);
    match rest.find('\n') {
        Some(i) => rest[..i].trim().is_empty() && !rest[i + 1..].trim().is_empty(),
        None => false,
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}
