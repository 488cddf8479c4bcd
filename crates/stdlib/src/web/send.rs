//! Sending one request, for every kind that speaks HTTP: what to do when
//! the connection closes under it.
//!
//! The shared clients keep connections alive between steps. When a server
//! goes away (or closes an idle connection) between two steps, the next
//! request can go out on the pooled connection and meet its end: "connection
//! closed before message completed", instead of the plain "connection
//! refused" a new connection would get. Whether the server acted on the
//! request is then unknown. So a request whose repetition changes nothing
//! (GET, HEAD, PUT, DELETE, OPTIONS, TRACE, or one its kind knows is a
//! read) is sent once more, on a new connection of a client that pools
//! nothing; any other (POST, PATCH) is not, and its failure says that the
//! request may or may not have been applied.

use super::closed::{closed_before_answer, idempotent, not_sent_again};
use super::{client_with, describe_failure, ClientOptions};
use reqwest::{RequestBuilder, Response};
use std::time::Duration;

/// Whether a request may be sent again when its connection closed before
/// the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// As its method says: GET, HEAD, PUT, DELETE, OPTIONS and TRACE may.
    ByMethod,
    /// It only reads, whatever its method (Prometheus's queries are POSTs).
    Read,
}

/// Sends `request` (built on the pooled client of `options`) and returns
/// the response, or a sentence saying why there is none. `what` names the
/// request for that sentence (`GET http://...`); `timeout` is the one the
/// request was given.
pub async fn send(
    options: ClientOptions,
    request: RequestBuilder,
    repeat: Repeat,
    what: &str,
    timeout: Duration,
) -> Result<Response, String> {
    let (pooled, request) = request.build_split();
    let request = request.map_err(|e| describe_failure(&e, what, timeout))?;
    let method = request.method().clone();
    // A body streamed from a file cannot be cloned, nor sent again.
    let again = request.try_clone();
    let error = match pooled.execute(request).await {
        Ok(response) => return Ok(response),
        Err(e) => e,
    };
    if !closed_under(&error) {
        return Err(describe_failure(&error, what, timeout));
    }
    let repeatable = repeat == Repeat::Read || idempotent(&method);
    match again {
        Some(again) if repeatable => {
            let fresh = client_with(options, false)?;
            fresh
                .execute(again)
                .await
                .map_err(|e| describe_failure(&e, what, timeout))
        }
        Some(_) => Err(not_sent_again(what, &format!("{method} is not idempotent"))),
        None => Err(not_sent_again(what, "its body was streamed from a file")),
    }
}

/// Whether the request failed because its connection was closed by the
/// other end after it was sent (not while connecting, where nothing was
/// sent): hyper's "connection closed before message completed", a reset,
/// a broken pipe.
fn closed_under(error: &reqwest::Error) -> bool {
    !error.is_connect() && !error.is_timeout() && closed_before_answer(error)
}
