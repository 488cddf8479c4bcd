//! `POST /runs/RUN/gates/NONCE/decision`: the run page's decision form
//! when no script runs (JavaScript off): the same decision as the
//! script's JSON ([`super::decision::apply`]), proven the same way (the
//! console's own origin, the session cookie and its CSRF token, here the
//! form's hidden `csrf` field), answered with `303 See Other` back to the
//! run page, or a page saying why it was refused.
//!
//! The form's fields: `plan_hash` and `csrf` (hidden), `reason`, and the
//! button pressed: `verdict` (`approve`, `reject`, or `answer` with the
//! typed `answer`), or `choice` (an `ask`'s choice by number).

use super::deciding::{read_body, Refused};
use super::decision::{apply, Failed, MOST_BYTES};
use super::forms::{self, Fields};
use super::Console;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use runbook_runtime::pending::Verdict;
use std::sync::Arc;

pub async fn decide(
    State(console): State<Arc<Console>>,
    Path((run_id, nonce)): Path<(String, String)>,
    request: Request,
) -> Response {
    // Back to the run's page, when the address names a plain run id.
    let back = match runbook_runtime::run_id::check(&run_id) {
        Ok(()) => format!("/runs/{run_id}"),
        Err(_) => "/".to_string(),
    };
    let refused = |status: StatusCode, why: &str| forms::refused(status, why, &back);
    let Some(deciding) = console.deciding.as_ref() else {
        return refused(StatusCode::NOT_FOUND, "this console does not decide");
    };
    let headers = request.headers().clone();
    if !forms::is_form(&headers) {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected the run page's form (application/x-www-form-urlencoded); a script posts JSON to /api/v1/runs/RUN/gates/NONCE/decision",
        );
    }
    let Ok(bytes) = read_body(request.into_body(), MOST_BYTES).await else {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "a decision is at most {} KiB: shorten the reason",
                MOST_BYTES / 1024
            ),
        );
    };
    let fields = Fields::parse(&bytes);
    if let Err(Refused(why)) = deciding.authorize(&headers, fields.get("csrf")) {
        return refused(StatusCode::FORBIDDEN, why);
    }
    let Some(plan_hash) = fields.get("plan_hash") else {
        return refused(StatusCode::BAD_REQUEST, "the form lacks its `plan_hash`");
    };
    let Some(verdict) = verdict(&fields) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "press Approve, Reject, Done, Answer or a choice",
        );
    };
    let verb = verdict.name();
    match apply(&console, run_id, nonce, plan_hash.to_string(), verdict).await {
        Ok(decided) => {
            let taken = decided["taken"].as_bool().unwrap_or(false);
            forms::see_other(&format!("{back}?decided={verb}&taken={taken}"), None)
        }
        Err(Failed(status, _, message)) => refused(status, &message),
    }
}

/// The verdict of the button pressed; an empty reason is none, as with
/// `runbook approve` without `--reason`.
fn verdict(fields: &Fields) -> Option<Verdict> {
    let reason = fields.get("reason").map(str::to_string);
    if let Some(choice) = fields.get("choice") {
        return Some(Verdict::Answer {
            value: choice.to_string(),
        });
    }
    match fields.get("verdict")? {
        Verdict::APPROVE => Some(Verdict::approval(true, reason)),
        "reject" => Some(Verdict::approval(false, reason)),
        "answer" => Some(Verdict::Answer {
            value: fields.get("answer")?.to_string(),
        }),
        _ => None,
    }
}
