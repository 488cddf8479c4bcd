//! The list of runs, newest first, as `runbook runs` lists them, with
//! links that filter by status.

use super::html::{self, text};
use super::store;
use super::Console;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::fmt::Write;
use std::sync::Arc;

/// The statuses `runbook runs` shows, offered as filters.
pub const STATUSES: [&str; 7] = [
    "running",
    "succeeded",
    "failed",
    "rejected",
    "interrupted",
    "incomplete",
    "damaged",
];

#[derive(Deserialize)]
pub struct Filter {
    pub status: Option<String>,
    /// `?waiting=1`: only runs waiting for a decision.
    pub waiting: Option<String>,
}

impl Filter {
    pub fn waiting_only(&self) -> bool {
        matches!(self.waiting.as_deref(), Some("1" | "true" | "yes"))
    }
}

pub async fn page(
    State(console): State<Arc<Console>>,
    Query(filter): Query<Filter>,
    headers: HeaderMap,
) -> Response {
    let session = console.deciding.as_ref().and_then(|d| d.session(&headers));
    let csrf = session.as_ref().map(|s| s.csrf.as_str());
    let waiting_only = filter.waiting_only();
    let status = filter.status.filter(|s| !s.is_empty());
    let mut runs = match store::runs(&console, status.clone()).await {
        Ok(runs) => runs,
        Err(e) => {
            return html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Cannot list runs", &e)
        }
    };
    let waiting = store::waiting(&console).await;
    if waiting_only {
        runs.retain(|r| waiting.contains(&r.run_id));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h1>Runs</h1>\n<p class=\"journal-dir\">in <code>{}</code></p>",
        text(&console.journal_dir.display().to_string())
    );
    let _ = write!(out, "<nav class=\"filters\">Status: ");
    let current = status.as_deref();
    let all = if current.is_none() && !waiting_only {
        " class=\"on\""
    } else {
        ""
    };
    let _ = write!(out, "<a href=\"/\"{all}>all</a>");
    for s in STATUSES {
        let on = if current == Some(s) {
            " class=\"on\""
        } else {
            ""
        };
        let _ = write!(out, " <a href=\"/?status={s}\"{on}>{s}</a>");
    }
    let on = if waiting_only { " class=\"on\"" } else { "" };
    let _ = write!(
        out,
        " <a href=\"/?waiting=1\"{on}>waiting for a decision</a>"
    );
    let _ = writeln!(out, "</nav>");
    if runs.is_empty() {
        let _ = writeln!(
            out,
            "<p>No runs{}{}.</p>",
            match current {
                Some(s) => format!(" with status {}", html::status(s)),
                None => String::new(),
            },
            if waiting_only {
                " waiting for a decision"
            } else {
                ""
            }
        );
        return html::respond(StatusCode::OK, html::signed_in_page("Runs", &out, csrf));
    }
    let _ = writeln!(out, "<table id=\"runs\"><thead><tr><th>Run</th><th>Started</th><th>Status</th><th>Steps</th><th>Playbook</th><th>Started by</th></tr></thead><tbody>");
    for r in &runs {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td><td>{}{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            html::run_href(&r.run_id),
            text(&r.run_id),
            text(&r.started),
            html::status(&r.status),
            if waiting.contains(&r.run_id) {
                " <span class=\"status s-waiting\">waiting for a decision</span>"
            } else {
                ""
            },
            r.steps_finished,
            text(&r.playbook),
            text(&r.user)
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    html::respond(StatusCode::OK, html::signed_in_page("Runs", &out, csrf))
}
