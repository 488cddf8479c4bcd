//! Source files and byte spans: every node of a playbook points back here so
//! that a diagnostic can name the file, the line and the exact characters.

use std::sync::Arc;

/// A half-open byte range `[start, end)` into one [`SourceFile`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// An empty span at `offset`, for things that are missing ("expected X here").
    pub fn at(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new(span.start.into(), span.len())
    }
}

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            span: self.span,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Which of the two concrete syntaxes a file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    Yaml,
    Runbook,
}

impl Syntax {
    /// The syntax implied by a file name, if its extension is one of ours.
    pub fn from_path(path: &str) -> Option<Syntax> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Syntax::Yaml)
        } else if lower.ends_with(".runbook") {
            Some(Syntax::Runbook)
        } else {
            None
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            Syntax::Yaml => "yaml",
            Syntax::Runbook => "runbook",
        }
    }
}

/// The text of one playbook file, shared cheaply with diagnostics.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text: String = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: Arc::from(name.into()),
            text: Arc::from(text),
            line_starts: line_starts.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn syntax(&self) -> Option<Syntax> {
        Syntax::from_path(&self.name)
    }

    /// The 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count();
        (line + 1, column + 1)
    }

    /// The length in bytes of the longest of the line that holds byte
    /// `offset` and the lines next to it (what a drawn diagnostic shows),
    /// without line breaks.
    pub fn longest_line_near(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let len = |l: usize| {
            let start = self.line_starts[l];
            let end = self
                .line_starts
                .get(l + 1)
                .map_or(self.text.len(), |next| next - 1);
            end.saturating_sub(start)
        };
        (line.saturating_sub(1)..=(line + 1).min(self.line_starts.len() - 1))
            .map(len)
            .max()
            .unwrap_or(0)
    }

    /// The text of a span, clamped to the file.
    pub fn slice(&self, span: Span) -> &str {
        let start = floor_char_boundary(&self.text, span.start);
        let end = floor_char_boundary(&self.text, span.end.max(span.start));
        &self.text[start..end]
    }

    /// A miette source for rendering reports against this file: shares the
    /// text, and indexes its lines once so each report reads only its lines.
    pub fn named_source(&self) -> crate::report_source::ReportSource {
        crate::report_source::ReportSource::new(self.name.clone(), self.text.clone())
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let file = SourceFile::new("a.yaml", "ab\ncdé\nf");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(3), (2, 1));
        assert_eq!(file.line_col(7), (2, 4));
        assert_eq!(file.line_col(8), (3, 1));
        assert_eq!(file.line_col(100), (3, 2));
    }

    #[test]
    fn syntax_follows_the_extension() {
        assert_eq!(Syntax::from_path("x/A.YML"), Some(Syntax::Yaml));
        assert_eq!(Syntax::from_path("a.runbook"), Some(Syntax::Runbook));
        assert_eq!(Syntax::from_path("a.json"), None);
    }
}
