//! `runbook report RUN`: the journal as a Markdown timeline, the draft of a
//! post-incident review. Everything in it comes from the journal, which was
//! masked when written, so the report cannot leak what the run hid. The run
//! is read into one model ([`RunReport`]) that the web console
//! (`runbook serve`) renders too.

mod markdown_text;
mod model;
mod parts;
#[cfg(test)]
mod tests;

pub use model::{
    plain, Decision, Element, Evidence, Finish, Header, Moment, OutputLine, Part, RunReport,
    StepOutput, StepRow, Verdict, Waiting,
};

use crate::event::Record;
use crate::journal::{Journal, Torn};
use std::fmt::Write;

/// Renders the records of one run.
pub fn markdown(records: &[Record]) -> String {
    render(&RunReport::of(records), !records.is_empty(), None)
}

/// Renders a journal as read: its records, and a sentence saying so when
/// its last record is torn (left out: it cannot be read).
pub fn markdown_of(journal: &Journal) -> String {
    let records = &journal.records;
    render(&RunReport::of(records), !records.is_empty(), journal.torn)
}

/// The sentence that says a journal's last record is torn.
pub fn torn_sentence(torn: &Torn) -> String {
    format!(
        "the journal's last record (line {}, {} bytes) is torn: it was cut short while it was written (the process was killed, or the disk was full), so it is left out and what comes before it is shown",
        torn.line, torn.bytes
    )
}

/// The first 12 characters of a plan hash, as reports show it.
pub fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn render(report: &RunReport, any_records: bool, torn: Option<Torn>) -> String {
    let mut out = String::new();
    if let Some(h) = &report.header {
        let _ = writeln!(out, "# Run {}: {}\n", h.run_id, h.title);
        let _ = writeln!(
            out,
            "- Playbook: `{}` (plan `{}`)",
            h.playbook,
            short_hash(&h.plan_hash)
        );
        let _ = writeln!(out, "- Started: {} by {}", h.started, h.user);
        let _ = writeln!(out, "- Mode: {}", h.mode);
        if !h.inputs.is_empty() {
            let list: Vec<String> = h
                .inputs
                .iter()
                .map(|(k, v)| format!("{} = {}", code_span(k), code_span(&plain(v))))
                .collect();
            let _ = writeln!(out, "- Inputs: {}", list.join(", "));
        }
    }
    for f in &report.finished {
        let counts: Vec<String> = f.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = writeln!(
            out,
            "- Finished: {}, **{}** ({})",
            f.time,
            f.status,
            counts.join(", ")
        );
    }
    // Said of the run's last end only: a resume may have finished them.
    if let Some(f) = report
        .finished
        .last()
        .filter(|f| !f.cleanup_unfinished.is_empty())
    {
        let resume = report
            .header
            .as_ref()
            .map(|h| format!("`runbook resume {}`", h.run_id))
            .unwrap_or_else(|| "`runbook resume`".into());
        let _ = writeln!(
            out,
            "- Cleanup: **not finished**: {}: what it undoes may still be in place; {resume} finishes it",
            // Step ids and state names: nothing to escape.
            f.cleanup_unfinished.join(", ")
        );
    }
    if !report.complete && any_records {
        let _ = writeln!(out, "- Finished: **no** (the journal ends without the end of the run: interrupted or killed)");
    }
    if let Some(torn) = &torn {
        let _ = writeln!(out, "- Journal: **torn**: {}", torn_sentence(torn));
    }
    let _ = writeln!(out, "\n## Steps\n");
    let _ = writeln!(out, "| Step | Started | Ended | Result | Notes | Outputs |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for row in &report.steps {
        // A step with no end on record: still running, or killed with the
        // run (the header says the run has no end).
        let (ended, notes) = match &row.ended {
            Some(ended) => (ended.as_str(), row.notes.as_str()),
            None if row.notes.is_empty() => (
                "—",
                "no end on record: still running, or the run was killed",
            ),
            None => ("—", row.notes.as_str()),
        };
        let outs: Vec<String> = row
            .outputs
            .iter()
            .map(|(k, v)| format!("{} = {}", code(k), code(&plain(v))))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {ended} | {} | {} | {} |",
            code(&row.step),
            row.started.as_deref().unwrap_or("—"),
            row.result,
            cell(notes),
            outs.join("<br>")
        );
    }
    if !report.evidence.is_empty() {
        let _ = writeln!(out, "\n## What the steps read\n");
        for e in &report.evidence {
            let _ = writeln!(out, "`{}`:\n\n```text", e.step);
            for line in &e.lines {
                // A fence inside the evidence must not close the block.
                let _ = writeln!(out, "{}", line.replace("```", "`\u{200b}``"));
            }
            let _ = writeln!(out, "```\n");
        }
    }
    if !report.decisions.is_empty() {
        let _ = writeln!(out, "\n## Approvals and answers\n");
        let _ = writeln!(out, "| Time | Step | Decision | Who | Why | Plan |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for d in &report.decisions {
            let decision = match &d.decision {
                Verdict::Approved => "approved".to_string(),
                Verdict::Rejected => "rejected".to_string(),
                Verdict::Done { instructions } => format!("done: {}", cell(instructions)),
                Verdict::Answered { answer } => format!("answered {}", code(answer)),
            };
            let why = d.why.as_deref().map(cell).unwrap_or_else(|| "—".into());
            let plan = d
                .plan_hash
                .as_deref()
                .map(|h| format!(" `{}` ", short_hash(h)))
                .unwrap_or_else(|| " ".into());
            let element = d
                .element
                .as_deref()
                .map(|e| format!(" {}", cell(e)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {}{element} | {decision} | {} ({}) | {why} |{plan}|",
                d.time,
                code(&d.step),
                cell(&d.who),
                d.via
            );
        }
    }
    let _ = writeln!(out, "\n## Timeline\n");
    let _ = writeln!(out, "| Time | Event |");
    let _ = writeln!(out, "|---|---|");
    for m in &report.timeline {
        let what: String = m
            .what
            .iter()
            .map(|part| match part {
                Part::Text(t) => cell(t),
                Part::Code(c) => code(c),
            })
            .collect();
        let _ = writeln!(out, "| {} | {what} |", m.time);
    }
    if !report.output.is_empty() {
        let _ = writeln!(out, "\n## Output\n");
        for step in &report.output {
            let lines: Vec<String> = step.lines.iter().map(output_line).collect();
            let fence = fence_for(&lines);
            let _ = writeln!(out, "{}:\n\n{fence}text", code_span(&step.step));
            for line in &lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}\n");
        }
    }
    out
}

/// A line a step printed, as the report shows it: what went to stderr (or
/// the step's own log) says so, element lines say which element.
fn output_line(line: &OutputLine) -> String {
    let stream = match line.stream {
        crate::event::Stream::Stdout => "",
        crate::event::Stream::Stderr => "stderr: ",
        crate::event::Stream::Log => "log: ",
    };
    match line.item {
        Some(item) => format!("[{item}] {stream}{}", line.text),
        None => format!("{stream}{}", line.text),
    }
}

/// A code fence longer than any run of backticks that starts a line of
/// the block, so no printed line can close it.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .map(|l| l.trim_start().chars().take_while(|&c| c == '`').count())
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

use markdown_text::{code, code_span, text as cell};
