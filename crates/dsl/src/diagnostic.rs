//! A diagnostic: what went wrong, where (labelled spans), and how to fix it.
//! Collected by every stage, rendered by miette or as JSON.

use crate::code::Code;
use crate::report_source::ReportSource;
use crate::source::{SourceFile, Span};
use crate::terminal_text::{escape, EscapedSource};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short message. The first label of a diagnostic is its primary one.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A suggested edit: replace the text at `span` with `replacement`. Editors
/// and `--format json` readers can apply it; people read it in the help.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

/// One problem found in a playbook.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds a labelled span; the first one added is the primary location.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Suggests replacing the text at `span` with `replacement`.
    pub fn fix(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn with_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic is, for sorting and JSON output.
    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// Diagnostics of one file, kept in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorted by position, then code, without exact duplicates.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (a.primary_span().start, a.code, &a.message).cmp(&(
                b.primary_span().start,
                b.code,
                &b.message,
            ))
        });
        self.items.dedup();
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// A problem as miette draws it, bound to its file: a playbook's
/// diagnostic ([`Report::on`]), or a problem found while running with a
/// run-time code ([`Report::problem`]: a failed step, an `--answer` that does
/// not fit, a scenario that failed). The one miette type of the project, so
/// `runbook run` points into a playbook exactly as `runbook check` does.
#[derive(Debug)]
pub struct Report {
    source: ReportSource,
    code: &'static str,
    severity: Severity,
    message: String,
    labels: Vec<Label>,
    help: Option<String>,
    /// A run-time problem's file had control characters, escaped in
    /// `source`: the spans of its labels move with them.
    escaped: Option<EscapedSource>,
}

impl Report {
    pub fn new(file: &SourceFile, diagnostic: Diagnostic) -> Report {
        Report::on(file.named_source(), diagnostic)
    }

    /// A report on a source already indexed (shared by all reports on a file).
    /// The diagnostic is drawn as it is: [`render`] escapes the file and the
    /// diagnostics for the terminal first.
    pub fn on(source: ReportSource, diagnostic: Diagnostic) -> Report {
        Report {
            source,
            code: diagnostic.code.name(),
            severity: diagnostic.severity,
            message: diagnostic.message,
            labels: diagnostic.labels,
            help: diagnostic.help,
            escaped: None,
        }
    }

    /// A problem found while running, an error with a run-time `code`
    /// (`runbook::step_failed`). It is drawn on a terminal, so control
    /// characters of the file and of every text added are shown escaped.
    pub fn problem(file: &SourceFile, code: &'static str, message: impl Into<String>) -> Report {
        let escaped = EscapedSource::new(file);
        Report {
            source: escaped.as_ref().map_or(file, |e| &e.file).named_source(),
            code,
            severity: Severity::Error,
            message: escape(&message.into()).into_owned(),
            labels: Vec::new(),
            help: None,
            escaped,
        }
    }

    /// Adds a labelled span of the file; the first one is the primary location.
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Report {
        let span = self.escaped.as_ref().map_or(span, |e| e.span(span));
        self.labels.push(Label {
            span,
            message: escape(&text.into()).into_owned(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Report {
        self.help = Some(escape(&help.into()).into_owned());
        self
    }

    /// Draws the report as miette does for a person.
    pub fn render(&self, style: RenderStyle) -> String {
        let mut out = String::new();
        self.render_into(&handler(style), &mut out);
        out
    }

    fn render_into(&self, handler: &miette::GraphicalReportHandler, out: &mut String) {
        if handler.render_report(out, self).is_err() {
            out.push_str(&format!("{}: {}\n", self.code, self.message));
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.labels.is_empty() {
            None
        } else {
            Some(&self.source)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
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
    /// `Color` when colour is on.
    pub fn with_color(color: bool) -> RenderStyle {
        if color {
            RenderStyle::Color
        } else {
            RenderStyle::Plain
        }
    }
}

/// The one way reports are drawn: miette's graphical handler, 100 columns,
/// no links.
fn handler(style: RenderStyle) -> miette::GraphicalReportHandler {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = match style {
        RenderStyle::Color => GraphicalTheme::unicode(),
        RenderStyle::Plain => GraphicalTheme::unicode_nocolor(),
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
}

/// Renders diagnostics of one file as miette draws them for a person.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic], style: RenderStyle) -> String {
    let handler = handler(style);
    // Control characters in the playbook or a message are drawn escaped.
    let (file, diagnostics) = crate::terminal_text::diagnostics(file, diagnostics);
    let file = &*file;
    let mut out = String::new();
    // One line index for all the findings of the file.
    let source = file.named_source();
    for diagnostic in diagnostics.iter() {
        Report::on(source.clone(), diagnostic.clone()).render_into(&handler, &mut out);
        out.push('\n');
    }
    out
}

/// The machine-readable form of a diagnostic, for editors and CI annotations.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<JsonLabel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The suggested edit, when there is one: replace `start..end` (byte
    /// offsets; `line`/`column` where it starts) with `replacement`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<JsonFix>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JsonFix {
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
    pub message: String,
}

impl JsonDiagnostic {
    pub fn new(file: &SourceFile, diagnostic: &Diagnostic) -> JsonDiagnostic {
        let span = diagnostic.primary_span();
        let (line, column) = file.line_col(span.start);
        let (end_line, end_column) = file.line_col(span.end);
        JsonDiagnostic {
            file: file.name().to_string(),
            line,
            column,
            end_line,
            end_column,
            severity: diagnostic.severity,
            code: diagnostic.code.name(),
            message: diagnostic.message.clone(),
            labels: diagnostic
                .labels
                .iter()
                .map(|label| {
                    let (line, column) = file.line_col(label.span.start);
                    JsonLabel {
                        line,
                        column,
                        start: label.span.start,
                        end: label.span.end,
                        message: label.message.clone(),
                    }
                })
                .collect(),
            help: diagnostic.help.clone(),
            fix: diagnostic.fix.as_ref().map(|fix| {
                let (line, column) = file.line_col(fix.span.start);
                JsonFix {
                    line,
                    column,
                    start: fix.span.start,
                    end: fix.span.end,
                    replacement: fix.replacement.clone(),
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;

    #[test]
    fn a_run_time_problem_is_drawn_like_a_diagnostic() {
        let text = "steps:\n  - id: deploy\n    shell: make\n";
        let file = SourceFile::new("p.yaml", text);
        let at = text.find("deploy").unwrap();
        let span = Span::new(at, at + "deploy".len());
        let checked = render(
            &file,
            &[Diagnostic::error(Code::UnknownStep, "step `deploy` failed").label(span, "exit 2")],
            RenderStyle::Plain,
        );
        let problem = Report::problem(&file, "runbook::step_failed", "step `deploy` failed")
            .label(span, "exit 2")
            .render(RenderStyle::Plain);
        // The same drawing but for the code.
        assert_eq!(
            problem,
            checked
                .trim_end_matches('\n')
                .replace("runbook::unknown_step", "runbook::step_failed")
                + "\n"
        );
        assert!(problem.contains("p.yaml:2:9"), "{problem}");
    }

    #[test]
    fn a_run_time_problem_escapes_control_characters_and_keeps_its_labels_in_place() {
        let text = "# \u{1b}[2J\nsteps:\n  - id: deploy\n";
        let file = SourceFile::new("p.yaml", text);
        let at = text.find("deploy").unwrap();
        let out = Report::problem(&file, "runbook::step_failed", "failed \u{1b}]0;x\u{7}")
            .label(Span::new(at, at + 6), "here \u{1b}[2J")
            .help("see \u{1b}[2J")
            .render(RenderStyle::Plain);
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("\\x1b[2J"), "{out}");
        // The label still points at `deploy` in the escaped file.
        let line = out.lines().find(|l| l.contains("- id: deploy")).unwrap();
        let marks = out
            .lines()
            .skip_while(|l| !l.contains("- id: deploy"))
            .nth(1)
            .unwrap();
        let column = |l: &str, c: &str| l.chars().position(|x| c.starts_with(x));
        let start = line[..line.find("deploy").unwrap()].chars().count();
        assert_eq!(column(marks, "─┬"), Some(start), "{out}");
        assert_eq!(
            marks.chars().filter(|c| "─┬".contains(*c)).count(),
            6,
            "{out}"
        );
    }
}
