//! Run-time problems drawn as miette reports that point into the playbook:
//! the step that failed (and the expression or template, when known), the
//! kinds that cannot run yet, bad inputs. Same look as `runbook check`.

use runbook_dsl::diagnostic::{render_report, RenderStyle};
use runbook_dsl::terminal_text::{escape, EscapedSource};
use runbook_dsl::{SourceFile, Span};
use std::fmt;

/// A problem found while running, with places in the playbook.
#[derive(Debug)]
pub struct RunProblem {
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<(Span, String)>,
    pub help: Option<String>,
    source: runbook_dsl::report_source::ReportSource,
    /// The playbook had control characters, escaped in `source`: labels move.
    escaped: Option<EscapedSource>,
}

impl RunProblem {
    pub fn new(file: &SourceFile, code: &'static str, message: impl Into<String>) -> RunProblem {
        // Drawn on a terminal: control characters are shown escaped.
        let escaped = EscapedSource::new(file);
        RunProblem {
            code,
            message: escape(&message.into()).into_owned(),
            labels: Vec::new(),
            help: None,
            source: escaped.as_ref().map_or(file, |e| &e.file).named_source(),
            escaped,
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> RunProblem {
        let span = self.escaped.as_ref().map_or(span, |e| e.span(span));
        self.labels.push((span, escape(&text.into()).into_owned()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> RunProblem {
        self.help = Some(escape(&help.into()).into_owned());
        self
    }

    /// Draws the report for stderr, as `check`'s diagnostics are drawn.
    pub fn render(&self, color: bool) -> String {
        render_report(self, RenderStyle::colored(color))
    }
}

impl fmt::Display for RunProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunProblem {}

impl miette::Diagnostic for RunProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        (!self.labels.is_empty()).then_some(&self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (span, text))| {
                let text = (!text.is_empty()).then(|| text.clone());
                if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(text, *span)
                } else {
                    miette::LabeledSpan::new_with_span(text, *span)
                }
            },
        )))
    }
}
