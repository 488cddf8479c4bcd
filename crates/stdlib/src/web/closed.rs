//! "Closed before it was answered": the one rule, shared by every kind that
//! speaks HTTP (`web::send` for the `reqwest` kinds, `kinds::k8s::closed`
//! for `k8s`), for a request whose connection the server closed after the
//! request went out and before an answer came back. Whether the server
//! acted on it is then unknown, so only a request whose repetition changes
//! nothing is sent again, once; any other fails with [`not_sent_again`].

use http::Method;

/// Whether `error` (or one of its sources) says the connection was closed
/// by the other end after the request was sent: hyper's "connection closed
/// before message completed", a reset, a broken pipe, an early end of
/// stream. Not an error while connecting, where nothing was sent (a
/// refused connection is plainly that), nor a timeout.
pub fn closed_before_answer(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut closed = false;
    let mut source = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(|e| e.is_connect())
        {
            return false;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            closed |= matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            );
        }
        closed |= e.to_string().contains("connection closed");
        source = e.source();
    }
    closed
}

/// Whether repeating a request of this method changes nothing more than
/// sending it once (RFC 9110, 9.2.2).
pub fn idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ]
    .contains(method)
}

/// The failure of a request that was not sent again: `what` names it
/// (`PATCH http://...`), `why` says why not (`PATCH is not idempotent`).
pub fn not_sent_again(what: &str, why: &str) -> String {
    format!(
        "the server closed the connection before it answered ({what}): the request may or may not have been applied; it was not sent again ({why})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_are_repeated_by_method() {
        for method in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"] {
            assert!(idempotent(&Method::from_bytes(method.as_bytes()).unwrap()));
        }
        for method in ["POST", "PATCH", "CONNECT", "PURGE"] {
            assert!(!idempotent(&Method::from_bytes(method.as_bytes()).unwrap()));
        }
    }

    #[test]
    fn a_closed_connection_is_told_from_a_refused_one() {
        let closed = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "early eof");
        assert!(closed_before_answer(&closed));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!closed_before_answer(&refused));
    }
}
