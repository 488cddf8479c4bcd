//! `POST /api/v1/runs/RUN/gates/NONCE/decision`: deciding what waits, from
//! the run page's script or a script of one's own (docs/console.md). The
//! JSON body names the plan hash the decider saw (`plan_hash`), the
//! `verdict` (the verb of `runbook approve`, `reject` or `answer`), and a
//! `reason` or an `answer`.
//!
//! The decision is the runtime's (`pending::decide_seen`, the writer
//! `runbook approve`/`reject`/`answer` use), made as the OS user running the
//! console and journaled `via: web`; refused unless that very record (its
//! nonce and plan hash) still waits.

use super::deciding::{error, forbidden, not_deciding, read_body, Refused};
use super::Console;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use runbook_runtime::pending::{self, DecideError, Front, Seen, Verdict};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The largest body read: room for a reason as long as a decision file
/// holds (`pending::files::MAX_DECISION_BYTES`, 64 KiB), escaped.
pub const MOST_BYTES: usize = 160 * 1024;

#[derive(Deserialize)]
struct Body {
    plan_hash: String,
    verdict: String,
    reason: Option<String>,
    answer: Option<String>,
}

pub async fn decide(
    State(console): State<Arc<Console>>,
    Path((run_id, nonce)): Path<(String, String)>,
    request: Request,
) -> Response {
    let Some(deciding) = console.deciding.as_ref() else {
        return not_deciding();
    };
    if let Err(Refused(why)) = deciding.authorize(request.headers(), None) {
        return forbidden(why);
    }
    let Ok(bytes) = read_body(request.into_body(), MOST_BYTES).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            &format!(
                "a decision is at most {} KiB: shorten the reason",
                MOST_BYTES / 1024
            ),
        );
    };
    let body: Body = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("expected {{\"plan_hash\", \"verdict\", \"reason\"?, \"answer\"?}}: {e}"),
            )
        }
    };
    let verdict = match (body.verdict.as_str(), body.answer) {
        (Verdict::APPROVE, None) => Verdict::approval(true, body.reason),
        ("reject", None) => Verdict::approval(false, body.reason),
        ("answer", Some(value)) => Verdict::Answer { value },
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "`verdict` is `approve`, `reject` (each with an optional `reason`) or `answer` (with an `answer`)",
            )
        }
    };
    match apply(&console, run_id, nonce, body.plan_hash, verdict).await {
        Ok(decided) => Json(json!({
            "api_version": super::api::VERSION,
            "decided": decided,
        }))
        .into_response(),
        Err(Failed(status, code, message)) => error(status, code, &message),
    }
}

/// Why a decision was not written: the status, the API's code, the message.
pub struct Failed(pub StatusCode, pub &'static str, pub String);

/// Decides record `nonce` of run `run_id`, seen under `plan_hash`, as the
/// user running the console (`via: web`): what was decided (the API's
/// `decided`), or why not. The one path of the script's JSON and of the
/// HTML form ([`super::decision_form`]).
pub async fn apply(
    console: &Console,
    run_id: String,
    nonce: String,
    plan_hash: String,
    verdict: Verdict,
) -> Result<serde_json::Value, Failed> {
    let user = console
        .deciding
        .as_ref()
        .map(|d| d.user.clone())
        .unwrap_or_default();
    let dir = console.journal_dir.clone();
    let decided = tokio::task::spawn_blocking(move || {
        pending::decide_seen(
            &dir,
            &run_id,
            Seen {
                nonce: &nonce,
                plan_hash: &plan_hash,
            },
            &verdict,
            Front::Web,
        )
        .map(|decided| (decided, verdict))
    })
    .await;
    match decided {
        Ok(Ok((decided, verdict))) => Ok(json!({
            "run_id": decided.record.run_id,
            "step": decided.record.step,
            "nonce": decided.record.nonce,
            "verdict": verdict.name(),
            "by": user,
            "via": "web",
            "taken": decided.taken,
        })),
        Ok(Err(e)) => Err(refused(&e)),
        Err(e) => Err(Failed(
            StatusCode::INTERNAL_SERVER_ERROR,
            "decision_failed",
            e.to_string(),
        )),
    }
}

/// A refused decision, with the status and code of what went wrong.
fn refused(e: &DecideError) -> Failed {
    let (status, code) = match e {
        DecideError::NoRun(_) => (StatusCode::NOT_FOUND, "not_found"),
        DecideError::NotPending { .. } => (StatusCode::CONFLICT, "not_pending"),
        DecideError::Changed(_) => (StatusCode::CONFLICT, "changed"),
        DecideError::AlreadyDecided { .. } => (StatusCode::CONFLICT, "already_decided"),
        // A console decides by nonce, one record: never ambiguous.
        DecideError::Ambiguous { .. } => (StatusCode::CONFLICT, "ambiguous_gate"),
        DecideError::ElementNotNamed { .. } => (StatusCode::CONFLICT, "element_not_named"),
        DecideError::FourEyes { .. } => (StatusCode::FORBIDDEN, "four_eyes"),
        DecideError::WrongVerdict(_) => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_decision"),
        DecideError::InvalidAnswer(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_answer"),
        DecideError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "decision_failed"),
    };
    Failed(status, code, e.to_string())
}
