//! Live updates of a run that is still going: the run page's script asks
//! `/runs/ID/live?known=LENGTH&gates=TOKEN` every second with the journal
//! length it has and a token of the pending records it shows; the answer
//! is `204 No Content` while neither changed,
//! otherwise the new content of `#run` with its length and whether the run
//! is still going in headers. A torn last line (a record being written) is
//! not an error: it is left for the next poll. Each poll parses only the
//! lines appended since the last one ([`super::follow`]).

use super::run_page;
use super::store;
use super::Console;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// The journal's length in bytes the page holds.
pub const LENGTH: HeaderName = HeaderName::from_static("x-journal-length");
/// [`store::gates_token`] of what the page shows waiting.
pub const GATES: HeaderName = HeaderName::from_static("x-gates");
/// `1` while the run has no end in its journal.
pub const GOING: HeaderName = HeaderName::from_static("x-run-going");

#[derive(Deserialize)]
pub struct Known {
    known: Option<u64>,
    gates: Option<String>,
}

pub async fn fragment(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    Query(known): Query<Known>,
    headers: HeaderMap,
) -> Response {
    match store::length(&console.journal_dir, &id) {
        Ok(length)
            if Some(length) == known.known
                && known
                    .gates
                    .as_deref()
                    .is_none_or(|g| g == store::gates_token(&console.journal_dir, &id)) =>
        {
            return StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => {}
        Err(problem) => return run_page::problem_page(problem),
    }
    let deciding = console.deciding.as_ref();
    let session = deciding.and_then(|d| d.session(&headers));
    let decider = deciding.map(|d| super::pending_view::Decider {
        user: &d.user,
        csrf: session.as_ref().map(|s| s.csrf.as_str()),
    });
    match store::run_followed(&console, &id).await {
        Ok(run) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (LENGTH, run.length.to_string()),
                (GATES, run.gates.clone()),
                (
                    GOING,
                    if run_page::going(&run) { "1" } else { "0" }.to_string(),
                ),
            ],
            run_page::body(&run, decider),
        )
            .into_response(),
        Err(problem) => run_page::problem_page(problem),
    }
}
