//! The machine-readable form of diagnostics (`--format json`), one object
//! per finding with line and column positions.

use super::{Diagnostic, Severity};
use crate::source::SourceFile;
use serde::Serialize;

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
