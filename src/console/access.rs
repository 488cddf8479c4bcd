//! Who may read the console. On loopback without a token, only requests
//! addressed to a loopback host name are served, so a web page elsewhere
//! cannot read the console through DNS rebinding. With `--token-file`
//! (required off loopback), every request carries the token: as
//! `Authorization: Bearer TOKEN`, or as the cookie that visiting any page
//! with `?token=TOKEN` once sets (the address is then cleaned of it). The
//! token is compared in constant time. A deciding console
//! (`--decide`, [`super::deciding`]) also lets a signed-in session read,
//! and serves its sign-in page and assets to anyone who may reach it.

use super::{html, Console};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The cookie that carries the token.
const COOKIE: &str = "runbook_console";

pub async fn guard(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    // Sign-in checks the token itself; reading needs no token otherwise.
    let open = console.deciding.is_some()
        && matches!(
            request.uri().path(),
            "/signin" | "/static/console.js" | "/static/console.css"
        );
    let signed_in = console
        .deciding
        .as_ref()
        .is_some_and(|d| d.session(request.headers()).is_some());
    let Some(token) = console.token.as_deref() else {
        if loopback_host(request.headers().get(header::HOST)) {
            return next.run(request).await;
        }
        return html::error_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This console serves only requests addressed to localhost, 127.0.0.1 or [::1].",
        );
    };
    if open || signed_in {
        return next.run(request).await;
    }
    // A deciding console's token decides: it is never taken from an
    // address (which logs and `Referer` keep); sign in instead.
    let query = match console.deciding {
        Some(_) => None,
        None => query_token(request.uri().query()),
    };
    if let Some(given) = query {
        if !same(given.as_bytes(), token.as_bytes()) {
            return unauthorized();
        }
        // Set the cookie and drop the token from the address bar.
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        return (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, request.uri().path().to_string()),
                (header::SET_COOKIE, cookie),
            ],
        )
            .into_response();
    }
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer.or(cookie(headers, COOKIE)) {
        Some(given) if same(given.as_bytes(), token.as_bytes()) => next.run(request).await,
        _ => unauthorized(),
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
        .next()
}

fn unauthorized() -> Response {
    let mut response = html::error_page(
        StatusCode::UNAUTHORIZED,
        "Token required",
        "This console requires the token of its --token-file: send `Authorization: Bearer TOKEN`, or open any page once with `?token=TOKEN`.",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Bearer".parse().expect("a header value"),
    );
    response
}

/// The `token` parameter of a query string, if any (tokens are plain
/// printable ASCII, so no decoding is needed).
fn query_token(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

/// Whether a `Host` header names this machine's loopback interface.
fn loopback_host(host: Option<&axum::http::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `a` and `b` are equal, in a time that depends only on their
/// lengths (never on where they first differ).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abcdef0123456789", b"abcdef0123456789"));
        assert!(!same(b"abcdef0123456789", b"abcdef012345678"));
        assert!(!same(b"abcdef0123456789", b"abcdef0123456788"));
        assert!(!same(b"", b"a"));
    }

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:80",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert!(loopback_host(Some(&ok.parse().unwrap())), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "10.0.0.1:80",
            "[::2]:80",
            "localhost.evil.example",
            "",
        ] {
            assert!(!loopback_host(Some(&bad.parse().unwrap())), "{bad}");
        }
        assert!(!loopback_host(None));
    }
}
