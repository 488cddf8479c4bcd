//! A run's page: `runbook report`'s model ([`RunReport`]) as HTML: the
//! header, gates waiting for someone, the steps, a loop's elements, the
//! decisions, what steps read, each step's output (collapsed) and the
//! timeline. The part inside `#run` is also what [`super::live`] sends the
//! page's script while the run is going.

use super::html::{self, text};
use super::pending_view::Decider;
use super::store::{self, Problem, Run};
use super::Console;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use runbook_runtime::event::Stream;
use runbook_runtime::report::{plain, short_hash, Part, RunReport, Verdict};
use std::fmt::Write;
use std::sync::Arc;

/// `?decided=VERB&taken=BOOL`: where a decision form without script is
/// sent back (`303`) once its decision is written, and whether the run
/// took it already.
#[derive(serde::Deserialize)]
pub struct Decided {
    decided: Option<String>,
    taken: Option<bool>,
}

/// Whether the run took a decision, in the words of `runbook approve`.
fn taken_notice(taken: Option<bool>) -> &'static str {
    match taken {
        Some(true) => "the run took it.",
        Some(false) => "the run has not read it yet, and takes it when it next looks.",
        None => "written for the run to take.",
    }
}

pub async fn page(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    // A malformed query is no notice, not a refusal.
    decided: Result<Query<Decided>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    match store::run(&console, &id).await {
        Ok(run) => {
            let deciding = console.deciding.as_ref();
            let session = deciding.and_then(|d| d.session(&headers));
            let decider = deciding.map(|d| Decider {
                user: &d.user,
                csrf: session.as_ref().map(|s| s.csrf.as_str()),
            });
            // Only the three verbs, never the address's text.
            let (verb, taken) = decided
                .ok()
                .map_or((None, None), |Query(d)| (d.decided, d.taken));
            let notice = match (decider, verb.as_deref()) {
                (Some(d), Some(verb @ ("approve" | "reject" | "answer"))) => format!(
                    "<p id=\"decided\" role=\"status\">Decided ({verb}) as <code>{}</code>: {}</p>\n",
                    text(d.user),
                    taken_notice(taken)
                ),
                _ => String::new(),
            };
            let mut body = format!(
                "{notice}<div id=\"run\" data-run=\"{}\" data-length=\"{}\" data-gates=\"{}\" data-going=\"{}\">\n{}</div>\n",
                text(&id),
                run.length,
                text(&run.gates),
                going(&run),
                self::body(&run, decider)
            );
            // A signed-in browser's CSRF token, for the page's script to
            // send back with each decision (outside `#run`, which live
            // updates replace).
            if let Some(session) = &session {
                let _ = writeln!(
                    body,
                    "<div id=\"decider\" data-csrf=\"{}\" hidden></div>",
                    text(&session.csrf)
                );
            }
            let csrf = session.as_ref().map(|s| s.csrf.as_str());
            html::respond(
                StatusCode::OK,
                html::signed_in_page(&format!("Run {id}"), &body, csrf),
            )
        }
        Err(problem) => problem_page(problem),
    }
}

/// Whether the page should keep polling: the journal has no end yet.
pub fn going(run: &Run) -> bool {
    run.summary.going()
}

/// The error page for a run that cannot be shown.
pub fn problem_page(problem: Problem) -> Response {
    match problem {
        Problem::BadId(why) => html::error_page(StatusCode::BAD_REQUEST, "Not a run id", &why),
        Problem::NotFound(why) => html::error_page(StatusCode::NOT_FOUND, "No such run", &why),
        Problem::Unreadable(why) => {
            html::error_page(StatusCode::UNPROCESSABLE_ENTITY, "Unreadable run", &why)
        }
    }
}

/// The run's content, everything inside `#run`; `decider`: the user a
/// deciding console (`--decide`) decides as, and the signed-in browser's
/// CSRF token for its forms.
pub fn body(run: &Run, decider: Option<Decider>) -> String {
    let mut out = String::new();
    let s = &run.summary;
    let _ = writeln!(
        out,
        "<h1>Run <code>{}</code> {}</h1>",
        text(&s.run_id),
        html::status(&s.status)
    );
    let Some(report) = &run.report else {
        let damage = s.damage.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "<p class=\"damage\">This journal is damaged ({}). Like <code>runbook report</code>, the console does not show a damaged journal: look at the file, then run <code>runbook report --force {}</code>.</p>",
            text(damage),
            text(&s.run_id)
        );
        return out;
    };
    header(&mut out, report, run);
    super::pending_view::section(&mut out, run, decider);
    waiting(&mut out, report);
    steps(&mut out, report);
    elements(&mut out, report);
    decisions(&mut out, report);
    evidence(&mut out, report);
    output(&mut out, report);
    timeline(&mut out, report);
    out
}

fn header(out: &mut String, report: &RunReport, run: &Run) {
    let _ = writeln!(out, "<dl class=\"header\">");
    if let Some(h) = &report.header {
        let _ = writeln!(
            out,
            "<dt>Playbook</dt><dd><code>{}</code> ({})</dd>",
            text(&h.playbook),
            text(&h.title)
        );
        let _ = writeln!(
            out,
            "<dt>Plan</dt><dd><code title=\"{}\">{}</code></dd>",
            text(&h.plan_hash),
            text(short_hash(&h.plan_hash))
        );
        let _ = writeln!(
            out,
            "<dt>Started</dt><dd>{} by {}</dd>",
            text(&h.started),
            text(&h.user)
        );
        let _ = writeln!(out, "<dt>Mode</dt><dd>{}</dd>", text(&h.mode));
        if !h.inputs.is_empty() {
            let _ = write!(out, "<dt>Inputs</dt><dd><ul class=\"inputs\">");
            // As journaled: a secret input's value was masked when the run
            // wrote it, and nothing else is shown.
            for (k, v) in &h.inputs {
                let _ = write!(
                    out,
                    "<li><code>{}</code> = <code>{}</code></li>",
                    text(k),
                    text(&plain(v))
                );
            }
            let _ = writeln!(out, "</ul></dd>");
        }
    }
    for f in &report.finished {
        let counts: Vec<String> = f.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = writeln!(
            out,
            "<dt>Finished</dt><dd>{} {} ({})</dd>",
            text(&f.time),
            html::status(&f.status),
            text(&counts.join(", "))
        );
    }
    if !report.complete {
        let _ = writeln!(
            out,
            "<dt>Finished</dt><dd class=\"going\">not yet: the run is still going, or was interrupted or killed{}</dd>",
            if run.torn { " (its last line is being written)" } else { "" }
        );
    }
    let _ = writeln!(out, "</dl>");
}

fn waiting(out: &mut String, report: &RunReport) {
    if report.waiting.is_empty() || report.complete {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"waiting\"><h2>Waiting for someone</h2><ul>"
    );
    for w in &report.waiting {
        let detail = w
            .detail
            .as_deref()
            .map(|d| format!("<pre>{}</pre>", text(d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<li>{} <code>{}</code> ({}): {}{detail}</li>",
            text(&w.time),
            text(&w.step),
            text(&w.kind),
            text(&w.question)
        );
    }
    let _ = writeln!(out, "</ul></section>");
}

fn steps(out: &mut String, report: &RunReport) {
    let _ = writeln!(out, "<section id=\"steps\"><h2>Steps</h2>");
    let _ = writeln!(out, "<table><thead><tr><th>Step</th><th>Started</th><th>Ended</th><th>Result</th><th>Notes</th><th>Outputs</th></tr></thead><tbody>");
    for row in &report.steps {
        let outs: Vec<String> = row
            .outputs
            .iter()
            .map(|(k, v)| {
                format!(
                    "<code>{}</code> = <code>{}</code>",
                    text(k),
                    text(&plain(v))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr data-step=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&row.step),
            text(&row.step),
            text(row.started.as_deref().unwrap_or("—")),
            text(row.ended.as_deref().unwrap_or("—")),
            html::status(&row.result),
            text(&row.notes),
            outs.join("<br>")
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

fn elements(out: &mut String, report: &RunReport) {
    if report.elements.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"elements\"><h2>Loop elements</h2>");
    let _ = writeln!(out, "<table><thead><tr><th>Time</th><th>Step</th><th>Element</th><th>Result</th><th>Message</th></tr></thead><tbody>");
    for e in &report.elements {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>[{}] {}</td><td>{}</td><td>{}</td></tr>",
            text(&e.time),
            text(&e.step),
            e.index,
            text(&e.label),
            html::status(&e.result),
            text(e.message.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

fn decisions(out: &mut String, report: &RunReport) {
    if report.decisions.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"decisions\"><h2>Approvals and answers</h2>"
    );
    let _ = writeln!(out, "<table><thead><tr><th>Time</th><th>Step</th><th>Decision</th><th>Who</th><th>How</th><th>Why</th><th>Plan</th></tr></thead><tbody>");
    for d in &report.decisions {
        let decision = match &d.decision {
            Verdict::Approved => "approved".to_string(),
            Verdict::Rejected => "rejected".to_string(),
            Verdict::Done { instructions } => format!("done: {}", text(instructions)),
            Verdict::Answered { answer } => format!("answered <code>{}</code>", text(answer)),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{decision}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            text(&d.time),
            text(&d.step),
            text(&d.who),
            text(&d.via),
            text(d.why.as_deref().unwrap_or("—")),
            text(d.plan_hash.as_deref().map(short_hash).unwrap_or(""))
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

fn evidence(out: &mut String, report: &RunReport) {
    if report.evidence.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"evidence\"><h2>What the steps read</h2>");
    for e in &report.evidence {
        let _ = writeln!(
            out,
            "<h3><code>{}</code></h3><pre>{}</pre>",
            text(&e.step),
            text(&e.lines.join("\n"))
        );
    }
    let _ = writeln!(out, "</section>");
}

fn output(out: &mut String, report: &RunReport) {
    if report.output.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"output\"><h2>Output</h2>");
    for o in &report.output {
        let _ = write!(
            out,
            "<details data-key=\"out-{}\"><summary><code>{}</code> ({} line{})</summary><pre>",
            text(&o.step),
            text(&o.step),
            o.lines.len(),
            if o.lines.len() == 1 { "" } else { "s" }
        );
        for line in &o.lines {
            let class = match line.stream {
                Stream::Stdout => "out",
                Stream::Stderr => "err",
                Stream::Log => "message",
            };
            let _ = writeln!(out, "<span class=\"{class}\">{}</span>", text(&line.text));
        }
        let _ = writeln!(out, "</pre></details>");
    }
    let _ = writeln!(out, "</section>");
}

fn timeline(out: &mut String, report: &RunReport) {
    let _ = writeln!(out, "<section id=\"timeline\"><h2>Timeline</h2>");
    let _ = writeln!(
        out,
        "<table><thead><tr><th>Time</th><th>Event</th></tr></thead><tbody>"
    );
    for m in &report.timeline {
        let what: String = m
            .what
            .iter()
            .map(|part| match part {
                Part::Text(t) => text(t),
                Part::Code(c) => format!("<code>{}</code>", text(c)),
            })
            .collect();
        let _ = writeln!(out, "<tr><td>{}</td><td>{what}</td></tr>", text(&m.time));
    }
    let _ = writeln!(out, "</tbody></table></section>");
}
