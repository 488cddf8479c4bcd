//! Who may read the console. On loopback without a token, only requests
//! addressed to a loopback host name are served, so a web page elsewhere
//! cannot read the console through DNS rebinding. With `--token-file`
//! (required off loopback), every request carries the token: as
//! `Authorization: Bearer TOKEN`, or as the cookie that visiting any page
//! with `?token=TOKEN` once sets (the address is then cleaned of it). The
//! token is compared in constant time.
//!
//! A deciding console (`--decide`, [`super::deciding`]) shows what waits
//! for whom, the commands gates would run and their questions, on a port
//! every local user can reach: so every page and API call needs a
//! signed-in session or the token as a bearer token, loopback included;
//! only its sign-in page and assets are served to anyone who may reach it.
//! It never takes the token from an address (`?token=`), nor from the
//! read-only console's token cookie, so signing out ends the only
//! credential a browser holds.

use super::{html, Console};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The cookie that carries the token.
const COOKIE: &str = "runbook_console";

pub async fn guard(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    // On loopback without a token file, only loopback host names (no DNS
    // rebinding), deciding or not.
    if console.token.is_none() && !loopback_host(request.headers().get(header::HOST)) {
        return html::error_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This console serves only requests addressed to localhost, 127.0.0.1 or [::1].",
        );
    }
    if let Some(deciding) = &console.deciding {
        // A POST proves itself in its handler (sign-in by the token, a
        // decision or sign-out by a session and its CSRF token, or the
        // bearer token), refused there with `403`.
        let open = request.method() == axum::http::Method::POST
            || matches!(
                request.uri().path(),
                "/signin" | "/static/console.js" | "/static/console.css"
            );
        let proven = deciding.session(request.headers()).is_some()
            || bearer(request.headers())
                .is_some_and(|given| same(given.as_bytes(), deciding.token.as_bytes()));
        return if open || proven {
            next.run(request).await
        } else {
            sign_in_required()
        };
    }
    let Some(token) = console.token.as_deref() else {
        return next.run(request).await;
    };
    if let Some(given) = query_token(request.uri().query()) {
        if !same(given.as_bytes(), token.as_bytes()) {
            return unauthorized();
        }
        // Set the cookie and drop the token from the address bar.
        let secure = if console.tls { "; Secure" } else { "" };
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        return (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, request.uri().path().to_string()),
                (header::SET_COOKIE, cookie),
            ],
        )
            .into_response();
    }
    match bearer(request.headers()).or(cookie(request.headers(), COOKIE)) {
        Some(given) if same(given.as_bytes(), token.as_bytes()) => next.run(request).await,
        _ => unauthorized(),
    }
}

/// The token of an `Authorization: Bearer TOKEN` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The answer of a deciding console to a request that is neither signed
/// in nor carries the token: where to sign in (never the token itself).
fn sign_in_required() -> Response {
    let body = "<h1>Sign in</h1>\n<p>This console decides, so every page needs the console's token: <a href=\"/signin\">sign in</a> (a script sends <code>Authorization: Bearer TOKEN</code>).</p>\n";
    let mut response = html::respond(
        StatusCode::UNAUTHORIZED,
        html::page("Sign in required", body),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Bearer".parse().expect("a header value"),
    );
    response
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
    super::host::name(host).is_some_and(super::host::is_loopback)
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
