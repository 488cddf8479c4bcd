//! `runbook test [PATH...]`: rehearse every scenario file under the paths
//! (see `docs/rehearsals.md`) and report like a test runner: one line per
//! scenario, a report pointing into the playbook for each failure, and the
//! summary line `N passed, M failed` that CI reads. Exit 1 on any failure.
//! Warnings about a scenario file (`unused_scenario_entry`) are drawn in
//! it after its scenarios' lines and fail nothing.

use super::{INVALID, OK};
use runbook_dsl::diagnostic::{render, RenderStyle, Report};
use runbook_dsl::files::{expand, Wanted};
use runbook_runtime::rehearsal::verdict::Mismatch;
use runbook_runtime::rehearsal::{self, FileReport, Verdict, World};
use std::path::PathBuf;
use std::sync::Arc;

/// Exit code: a scenario failed or could not be read.
pub const FAILED: i32 = 1;

/// `runbook test`.
pub fn run(paths: &[PathBuf]) -> i32 {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let expanded = expand(&paths, Wanted::Scenarios);
    if !expanded.problems.is_empty() {
        for problem in &expanded.problems {
            eprintln!("runbook test: {problem}");
        }
        return INVALID;
    }
    let files = expanded.files;
    let color = crate::palette::stdout();
    let world = World {
        catalog: runbook_stdlib::builtin(),
        pure: Arc::new(runbook_stdlib::Builtins),
    };
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        let report = rehearsal::rehearse_file(&file, &world);
        print!("{}", show(&report, color));
        let (p, f) = report.tally();
        passed += p;
        failed += f;
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 {
        FAILED
    } else {
        OK
    }
}

/// One file's lines and reports.
fn show(report: &FileReport, color: bool) -> String {
    let style = RenderStyle::with_color(color);
    let name = report.file.name();
    let mut out = String::new();
    if report.diagnostics.iter().any(|d| d.is_error()) {
        out.push_str(&format!("{name}: malformed scenario file ... FAILED\n"));
        out.push_str(&render(&report.file, &report.diagnostics, style));
        return out;
    }
    let Some(plan) = &report.plan else {
        return out;
    };
    for scenario in &report.scenarios {
        let title = format!("{name} :: {}", scenario.name);
        match &scenario.verdict {
            Verdict::Passed => out.push_str(&format!("{title} ... ok\n")),
            Verdict::Unscripted(diagnostics) => {
                out.push_str(&format!("{title} ... FAILED (incomplete scenario)\n"));
                out.push_str(&render(plan.file(), diagnostics, style));
            }
            Verdict::Failed(mismatches) => {
                out.push_str(&format!("{title} ... FAILED\n"));
                out.push_str(&failure(plan, &scenario.name, mismatches, style));
            }
        }
    }
    // Warnings about the file itself (entries no rehearsal used), drawn
    // in it; they fail nothing.
    if !report.diagnostics.is_empty() {
        out.push_str(&render(&report.file, &report.diagnostics, style));
    }
    out
}

/// The first difference drawn in the playbook, the others listed after it.
fn failure(
    plan: &runbook_dsl::plan::Plan,
    name: &str,
    mismatches: &[Mismatch],
    style: RenderStyle,
) -> String {
    let Some(first) = mismatches.first() else {
        return String::new();
    };
    let mut problem = Report::problem(
        plan.file(),
        "runbook::rehearsal_failed",
        format!("scenario `{name}`: {}", first.message),
    )
    .help(format!(
        "expected: {}\nactual:   {}",
        first.expected, first.actual
    ));
    for (span, text) in &first.labels {
        problem = problem.label(*span, text.clone());
    }
    let mut out = problem.render(style);
    for other in &mismatches[1..] {
        out.push_str(&format!(
            "  also: {} (expected {}, actual {})\n",
            other.message, other.expected, other.actual
        ));
    }
    out.push('\n');
    out
}
