//! Diagnostics drawn for a person by miette, and the one miette setup that
//! everything runbook draws goes through ([`render_report`]): `check`'s
//! findings and the binary's run-time problems look the same.

use super::{Diagnostic, Label, Severity};
use crate::report_source::ReportSource;
use crate::source::{SourceFile, Span};
use crate::terminal_text::{escape, EscapedSource};
use std::borrow::Cow;

/// A diagnostic bound to its file, so miette can render it.
#[derive(Debug)]
pub struct Report {
    source: ReportSource,
    diagnostic: Diagnostic,
}

impl Report {
    pub fn new(file: &SourceFile, diagnostic: Diagnostic) -> Report {
        Report::on(file.named_source(), diagnostic)
    }

    /// A report on a source already indexed (shared by all reports on a file).
    pub fn on(source: ReportSource, diagnostic: Diagnostic) -> Report {
        Report { source, diagnostic }
    }

    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.name()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.diagnostic.labels.is_empty() {
            None
        } else {
            Some(&self.source)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.diagnostic.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(
            |(i, label)| {
                let text = (!label.message.is_empty()).then(|| label.message.clone());
                if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(text, label.span)
                } else {
                    miette::LabeledSpan::new_with_span(text, label.span)
                }
            },
        )))
    }
}

/// How reports are drawn: with colour for a terminal, plain for files and snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderStyle {
    Color,
    Plain,
}

impl RenderStyle {
    /// `Color` when `color` (the caller knows whether its terminal wants it).
    pub fn colored(color: bool) -> RenderStyle {
        if color {
            RenderStyle::Color
        } else {
            RenderStyle::Plain
        }
    }
}

/// Draws one miette report for a person: the one handler setup (theme,
/// width, no links) of everything runbook draws. Should miette fail to
/// draw it, the code and message on one line.
pub fn render_report(report: &dyn miette::Diagnostic, style: RenderStyle) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = match style {
        RenderStyle::Color => GraphicalTheme::unicode(),
        RenderStyle::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report).is_err() {
        let code = report.code().map(|c| c.to_string()).unwrap_or_default();
        out = format!("{code}: {report}\n");
    }
    out
}

/// Renders diagnostics of one file as miette draws them for a person.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic], style: RenderStyle) -> String {
    // Control characters in the playbook or a message are drawn escaped.
    let (file, diagnostics) = escaped(file, diagnostics);
    let mut out = String::new();
    // One line index for all the findings of the file.
    let source = file.named_source();
    for diagnostic in diagnostics.iter() {
        let report = Report::on(source.clone(), diagnostic.clone());
        out.push_str(&render_report(&report, style));
        out.push('\n');
    }
    out
}

/// The file and diagnostics as they should be drawn: control characters
/// escaped in the source (spans moved to match) and in every message.
fn escaped<'a>(
    file: &'a SourceFile,
    diagnostics: &'a [Diagnostic],
) -> (Cow<'a, SourceFile>, Cow<'a, [Diagnostic]>) {
    let source = EscapedSource::new(file);
    let texts_clean = diagnostics.iter().all(|d| {
        matches!(escape(&d.message), Cow::Borrowed(_))
            && d.help
                .as_deref()
                .is_none_or(|h| matches!(escape(h), Cow::Borrowed(_)))
            && d.labels
                .iter()
                .all(|l| matches!(escape(&l.message), Cow::Borrowed(_)))
    });
    if source.is_none() && texts_clean {
        return (Cow::Borrowed(file), Cow::Borrowed(diagnostics));
    }
    let moved = |span: Span| source.as_ref().map_or(span, |s| s.span(span));
    let drawn = diagnostics
        .iter()
        .map(|d| Diagnostic {
            message: escape(&d.message).into_owned(),
            help: d.help.as_deref().map(|h| escape(h).into_owned()),
            labels: d
                .labels
                .iter()
                .map(|l| Label {
                    span: moved(l.span),
                    message: escape(&l.message).into_owned(),
                })
                .collect(),
            ..d.clone()
        })
        .collect();
    let file = source.map_or(Cow::Borrowed(file), |s| Cow::Owned(s.file));
    (file, Cow::Owned(drawn))
}
