//! Handlebars paths inside a tag (`steps.api.json.items.[0].name`), read
//! into a [`Path`] with a file span for every segment.

use super::Scanner;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::path::{Path, Segment as PathSegment};
use crate::source::Spanned;

impl Scanner<'_> {
    /// A handlebars path: names joined by `.`, with `[key]` or digits for
    /// indexes (`steps.api.json.items[0].name`, handlebars' own
    /// `items.[0]`, `items.0`).
    pub(in crate::template) fn path(
        &self,
        (start, end): (usize, usize),
    ) -> Result<Path, Diagnostic> {
        let word = &self.source[start..end];
        if self.in_each() {
            if let Some(path) = crate::template::each::element_path(self, word, start, end) {
                return Ok(path);
            }
        }
        // `{{@index}}` outside a block, `{{@frist}}`: said as in a condition.
        if word
            .strip_prefix('@')
            .is_some_and(crate::path::is_identifier)
        {
            return Err(crate::template::position_name_outside(
                word,
                self.span(start, end),
            ));
        }
        let context_help = "write the whole path from the top: `inputs.NAME` or `steps.ID.FIELD`";
        if word == "this"
            || word.starts_with("this.")
            || word.starts_with("this/")
            || word.starts_with("../")
            || word.starts_with("./")
            || word.starts_with('@')
        {
            return Err(Diagnostic::error(
                Code::TemplateSyntax,
                "`this`, `../` and `@` variables are not supported",
            )
            .label(self.span(start, end), "not supported")
            .help(context_help));
        }
        let bytes = word.as_bytes();
        let mut segments = Vec::new();
        let mut i = 0;
        loop {
            let seg_start = i;
            let segment = if bytes.get(i) == Some(&b'[') {
                let close = word[i..].find(']').map(|c| i + c).ok_or_else(|| {
                    self.syntax(start + i, end, "this `[` is never closed", "here")
                })?;
                let key = &word[i + 1..close];
                i = close + 1;
                match key.parse::<usize>() {
                    Ok(n) => PathSegment::Index(n),
                    Err(_) => PathSegment::Key(key.to_string()),
                }
            } else {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-'))
                {
                    i += 1;
                }
                let name = &word[seg_start..i];
                if name.is_empty() {
                    let at = start + i;
                    let width = word[i..].chars().next().map_or(0, char::len_utf8);
                    return Err(Diagnostic::error(
                        Code::TemplateSyntax,
                        "expected a name in this path",
                    )
                    .label(self.span(at, at + width), "expected a name")
                    .help("a path is names joined by `.`: `{{steps.api.json.items.[0].name}}`"));
                }
                match name.parse::<usize>() {
                    Ok(n) if seg_start > 0 => PathSegment::Index(n),
                    _ => PathSegment::Name(name.to_string()),
                }
            };
            segments.push(Spanned::new(
                segment,
                self.span(start + seg_start, start + i),
            ));
            match bytes.get(i) {
                None => break,
                Some(b'.') if i + 1 < bytes.len() => i += 1,
                // `items[0]`, as an expression writes it: the bracket is the
                // next segment, as after `items.`.
                Some(b'[') => {}
                Some(b'/') => {
                    return Err(
                        Diagnostic::error(Code::TemplateSyntax, "write paths with `.`")
                            .label(self.span(start + i, start + i + 1), "`/` here")
                            .help(context_help),
                    )
                }
                Some(_) => {
                    let at = start + i;
                    let width = word[i..].chars().next().map_or(0, char::len_utf8);
                    let help = "a path is names joined by `.`: `{{steps.api.json.items[0].name}}`";
                    return Err(Diagnostic::error(
                        Code::TemplateSyntax,
                        "unexpected character in a path",
                    )
                    .label(self.span(at, at + width), "not part of a name")
                    .help(help));
                }
            }
        }
        Ok(Path {
            segments,
            span: self.span(start, end),
        })
    }
}
