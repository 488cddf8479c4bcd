//! Diagnostics drawn for a person by miette, and the one miette setup that
//! everything runbook draws goes through ([`render_report`]): `check`'s
//! findings and the binary's run-time problems look the same.

use super::{Diagnostic, Label, Severity};
use crate::report_source::ReportSource;
use crate::source::{SourceFile, Span};
use crate::terminal_text::{escape, EscapedSource};
use std::borrow::Cow;

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
        render_report(self, style)
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
    /// `Color` when `color` (the caller knows whether its terminal wants it).
    pub fn with_color(color: bool) -> RenderStyle {
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
        let report = Report::on(source.clone(), shown(&file, diagnostic));
        out.push_str(&render_report(&report, style));
        out.push('\n');
    }
    out
}

/// Lines longer than this are not drawn under a diagnostic: a generated
/// or minified file (a 3 MB line) would be echoed whole, once per finding.
const MAX_DRAWN_LINE: usize = 1000;

/// The diagnostic as it is drawn: when a label is on a line too long to
/// draw, without the source, its place and labels said in words.
fn shown(file: &SourceFile, diagnostic: &Diagnostic) -> Diagnostic {
    let too_long = diagnostic.labels.iter().any(|l| {
        file.longest_line_near(l.span.start) > MAX_DRAWN_LINE
            || file.longest_line_near(l.span.end) > MAX_DRAWN_LINE
    });
    if !too_long {
        return diagnostic.clone();
    }
    let mut shown = diagnostic.clone();
    let places: Vec<String> = shown
        .labels
        .drain(..)
        .map(|label| {
            let (line, column) = file.line_col(label.span.start);
            let at = format!("{}:{line}:{column}", file.name());
            if label.message.is_empty() {
                at
            } else {
                format!("{at}: {}", label.message)
            }
        })
        .collect();
    shown.message = format!(
        "{}\n  at {} (the line is too long to show)",
        shown.message,
        places.join("\n  and ")
    );
    shown
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
