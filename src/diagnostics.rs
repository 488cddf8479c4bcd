//! Printing diagnostics: miette reports for people (coloured as `palette::stderr`
//! says), JSON lines for machines.

use runbook_dsl::diagnostic::{render, JsonDiagnostic, RenderStyle};
use runbook_dsl::{Diagnostic, SourceFile};

/// How reports on stderr are drawn: coloured when `palette::stderr` says.
pub fn style() -> RenderStyle {
    RenderStyle::with_color(crate::palette::stderr())
}

/// Prints the diagnostics of one file to stderr, for a person.
pub fn human(file: &SourceFile, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    eprint!("{}", render(file, diagnostics, style()));
}

/// Prints the diagnostics of one file to stdout, one JSON object per line.
pub fn json(file: &SourceFile, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let line =
            serde_json::to_string(&JsonDiagnostic::new(file, diagnostic)).unwrap_or_default();
        println!("{line}");
    }
}

/// One line summing up, like a compiler's.
pub fn summary(errors: usize, warnings: usize, files: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if errors == 0 && warnings == 0 {
        format!("{} checked, no problems", plural(files, "playbook"))
    } else {
        format!(
            "{} checked: {}, {}",
            plural(files, "playbook"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}
