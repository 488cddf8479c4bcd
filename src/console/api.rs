//! The JSON API, version 1 (docs/console.md): `/api/runs` (the list, newest
//! first, `?status=` filters) and `/api/runs/ID` (one run: its summary and
//! `runbook report`'s model). Every body carries `api_version`; within a
//! version, fields are only ever added. `/api/v1/...` is version 1 for
//! good; `/api/...` is the current version (1 today).

use super::store::{self, Problem};
use super::Console;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// The API's version, in every body.
pub const VERSION: u32 = 1;

pub async fn runs(
    State(console): State<Arc<Console>>,
    Query(filter): Query<super::runs_page::Filter>,
) -> Response {
    let waiting_only = filter.waiting_only();
    let status = filter.status.filter(|s| !s.is_empty());
    match store::runs(&console, status).await {
        Ok(runs) => {
            let waiting = store::waiting(&console).await;
            let runs: Vec<serde_json::Value> = runs
                .into_iter()
                .filter(|r| !waiting_only || waiting.contains(&r.run_id))
                .map(|r| {
                    let mut value = serde_json::to_value(&r).unwrap_or_default();
                    value["waiting"] = waiting.contains(&r.run_id).into();
                    value
                })
                .collect();
            Json(json!({ "api_version": VERSION, "runs": runs })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "unreadable", e),
    }
}

pub async fn run(State(console): State<Arc<Console>>, Path(id): Path<String>) -> Response {
    match store::run(&console, &id).await {
        Ok(run) => {
            let (pending, refused) = super::pending_view::json(&run);
            Json(json!({
                "api_version": VERSION,
                "run": run.summary,
                "report": run.report,
                "journal_bytes": run.length,
                "torn": run.torn,
                "pending": pending,
                "pending_refused": refused,
            }))
            .into_response()
        }
        Err(Problem::BadId(why)) => error(StatusCode::BAD_REQUEST, "bad_run_id", why),
        Err(Problem::NotFound(why)) => error(StatusCode::NOT_FOUND, "not_found", why),
        Err(Problem::Unreadable(why)) => error(StatusCode::UNPROCESSABLE_ENTITY, "unreadable", why),
    }
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({ "api_version": VERSION, "error": { "code": code, "message": message } })),
    )
        .into_response()
}
