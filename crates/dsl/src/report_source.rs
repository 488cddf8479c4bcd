//! The source miette draws reports from: a file's text with an index of its
//! line starts, so that reading the lines around a span costs a binary
//! search and the lines shown, not a scan from the top of the file. miette's
//! own `SourceCode` for strings counts lines from the first byte on every
//! read, which made rendering N findings of an N-line file quadratic.

use std::sync::Arc;

/// A file's text and line index, shared (cheap clones) by every report on it.
#[derive(Clone, Debug)]
pub struct ReportSource {
    name: Arc<str>,
    text: Arc<str>,
    /// Byte offset of each line start, with lines ended the way miette ends
    /// them (`\n`, `\r\n` or a lone `\r`) so line numbers match its own.
    starts: Arc<[usize]>,
}

impl ReportSource {
    pub fn new(name: Arc<str>, text: Arc<str>) -> ReportSource {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        ReportSource {
            name,
            text,
            starts: starts.into(),
        }
    }

    /// The 0-based line holding `offset` (a line's end belongs to it).
    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }
}

impl miette::SourceCode for ReportSource {
    /// Answers from the few lines around the span: from a little above
    /// `context_lines_before` lines over its first line to a little past
    /// `context_lines_after` below its last, read by miette's own reader
    /// (so the contents are exactly what it would give for the whole file),
    /// then shifted back to whole-file lines and offsets.
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let len = self.text.len();
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if start > len || end > len.saturating_add(1) {
            return Err(miette::MietteError::OutOfBounds);
        }
        // One spare line above too: miette treats an empty span at offset 0
        // apart, so the span must not start the window unless it starts the file.
        let first = self
            .line_of(start)
            .saturating_sub(context_lines_before.saturating_add(1));
        // miette stops one line ending past the context; two spare lines
        // make sure the window never ends before it does.
        let last = self
            .line_of(end.min(len))
            .saturating_add(context_lines_after)
            .saturating_add(2);
        let window_start = self.starts[first];
        let window_end = self.starts.get(last + 1).copied().unwrap_or(len);
        let window = &self.text.as_bytes()[window_start..window_end];
        let shifted = miette::SourceSpan::new((start - window_start).into(), span.len());
        let inner = window.read_span(&shifted, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            miette::SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::SourceCode;

    /// Every field miette reads, for comparing two answers.
    fn answer(
        source: &dyn SourceCode,
        start: usize,
        len: usize,
        before: usize,
        after: usize,
    ) -> Option<(Vec<u8>, usize, usize, usize, usize, usize)> {
        let span = miette::SourceSpan::new(start.into(), len);
        let c = source.read_span(&span, before, after).ok()?;
        Some((
            c.data().to_vec(),
            c.span().offset(),
            c.span().len(),
            c.line(),
            c.column(),
            c.line_count(),
        ))
    }

    #[test]
    fn answers_exactly_as_miette_reads_the_whole_text() {
        let texts = [
            "",
            "one line",
            "a\nbb\n\nccc\ndddd\neeeee\n",
            "x: 1\r\ny: 2\r\n\r\nz: 3",
            "lone\rcarriage\rreturns\n\rmixed\r\n",
            "é\nñé\n\n  ünï\ncödé\n",
            "\n\n\n\n\n\n\n\n\n",
            "steps:\n  - id: a\n    shell: echo $(x) `y` \"q\" # c\n  - id: b\n    needs: [a]\n",
        ];
        for text in texts {
            let ours = ReportSource::new(Arc::from("f.yaml"), Arc::from(text));
            let theirs = text.to_string();
            for start in 0..=text.len() {
                for len in [0, 1, 2, 3, 7, 40] {
                    for (before, after) in [(0, 0), (1, 1), (2, 2), (3, 1), (0, 3)] {
                        assert_eq!(
                            answer(&ours, start, len, before, after),
                            answer(&theirs, start, len, before, after),
                            "{text:?} at {start}+{len}, context {before}/{after}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_span_past_the_end_is_out_of_bounds_not_a_panic() {
        let source = ReportSource::new(Arc::from("p.yaml"), Arc::from("a\nb\n"));
        for (start, len) in [(5, 0), (5, 3), (4, 2), (usize::MAX, 0), (2, usize::MAX)] {
            let span = miette::SourceSpan::new(start.into(), len);
            assert!(source.read_span(&span, 2, 2).is_err(), "{start}+{len}");
        }
    }

    #[test]
    fn names_the_file() {
        let source = ReportSource::new(Arc::from("p.runbook"), Arc::from("a\nb\n"));
        let span = miette::SourceSpan::new(2.into(), 1);
        let contents = source.read_span(&span, 1, 1).unwrap();
        assert_eq!(contents.name(), Some("p.runbook"));
    }
}
