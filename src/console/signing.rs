//! Signing in to and out of a deciding console (`runbook serve
//! --decide`): the sign-in page, `POST /signin` (the token for a session
//! cookie) and `POST /signout` (the session forgotten on the server). The
//! proofs they need are [`super::deciding`]'s. Each takes the script's
//! request (JSON, a header; answered `204`) or a plain HTML form's (the
//! page without JavaScript; answered `303 See Other`, [`super::forms`]).

use super::access::same;
use super::deciding::{
    browser_origin, error, forbidden, not_deciding, read_body, same_origin, Refused,
};
use super::forms::{self, Fields};
use super::{html, Console};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The largest sign-in body read.
const SIGNIN_BYTES: usize = 4 * 1024;

/// `GET /signin`: the page whose script takes the token from the address's
/// fragment (a token made at start, printed once) or from its field (the
/// token of a `--token-file`, pasted) and posts it. Without script the
/// form posts itself (a `POST`: a `GET` would put the token in the
/// address's query).
pub async fn page(State(console): State<Arc<Console>>) -> Response {
    let user = console
        .deciding
        .as_ref()
        .map(|d| d.user.as_str())
        .unwrap_or_default();
    let body = format!(
        "<section id=\"signin\"><h1>Sign in to decide</h1>\n\
         <p>This console decides as <code>{}</code>, the user running it: sign in only to your own console.</p>\n\
         <p>Paste the console's token (from its <code>--token-file</code>, or the one-time address it printed).</p>\n\
         <form id=\"signin-form\" method=\"post\" action=\"/signin\"><label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label> <button type=\"submit\">Sign in</button></form>\n\
         <p id=\"signin-status\" role=\"status\"></p></section>\n",
        html::text(user)
    );
    html::respond(StatusCode::OK, html::page("Sign in", &body))
}

/// `POST /signin` from the console's own page, with `{"token": TOKEN}` (the
/// script: `204`) or the form's `token` field (`303` to `/`): sets the
/// session cookie. A form refused gets a page saying why, linking back.
pub async fn sign_in(State(console): State<Arc<Console>>, request: Request) -> Response {
    let Some(deciding) = console.deciding.as_ref() else {
        return not_deciding();
    };
    let headers = request.headers().clone();
    let form = forms::is_form(&headers);
    let refuse = |status: StatusCode, code: &str, why: &str| {
        if form {
            forms::refused(status, why, "/signin")
        } else {
            error(status, code, why)
        }
    };
    let forbidden = |why: &str| refuse(StatusCode::FORBIDDEN, "forbidden", why);
    if let Err(Refused(why)) = same_origin(&headers, deciding.tls) {
        return forbidden(why);
    }
    if !matches!(browser_origin(&headers), Ok(Some(_))) {
        return forbidden("sign in from the console's own page (`/signin`)");
    }
    let Ok(bytes) = read_body(request.into_body(), SIGNIN_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the sign-in is too large",
        );
    };
    #[derive(serde::Deserialize)]
    struct SignIn {
        token: String,
    }
    let given = if form {
        Fields::parse(&bytes)
            .get("token")
            .map(|t| t.trim().to_string())
    } else {
        serde_json::from_slice::<SignIn>(&bytes)
            .ok()
            .map(|s| s.token)
    };
    let Some(given) = given else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "expected {\"token\": TOKEN}, or the sign-in form's `token`",
        );
    };
    if !same(given.as_bytes(), deciding.token.as_bytes()) {
        return forbidden("that is not this console's token");
    }
    let (id, _) = match deciding.sessions.open() {
        Ok(opened) => opened,
        Err(why) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no_session", &why),
    };
    let cookie = deciding.session_cookie(&headers, &id);
    if form {
        return forms::see_other("/", Some(&cookie));
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /signout` from a signed-in page (its CSRF token, in the header or
/// the form's `csrf` field; the console's own origin): ends the session on
/// the server, so the cookie opens nothing even if a copy of it is
/// replayed, and tells the browser to drop it (`204` to the script, `303`
/// to `/signin` for the form).
pub async fn sign_out(State(console): State<Arc<Console>>, request: Request) -> Response {
    let Some(deciding) = console.deciding.as_ref() else {
        return not_deciding();
    };
    let headers = request.headers().clone();
    let form = forms::is_form(&headers);
    let fields = if form {
        match read_body(request.into_body(), SIGNIN_BYTES).await {
            Ok(bytes) => Some(Fields::parse(&bytes)),
            Err(()) => {
                return forms::refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the sign-out is too large",
                    "/",
                )
            }
        }
    } else {
        None
    };
    let csrf = fields.as_ref().and_then(|f| f.get("csrf"));
    let (id, _) = match deciding.signed_in_request(&headers, csrf) {
        Ok(signed_in) => signed_in,
        Err(Refused(why)) if form => return forms::refused(StatusCode::FORBIDDEN, why, "/"),
        Err(Refused(why)) => return forbidden(why),
    };
    deciding.sessions.end(&id);
    let cleared = deciding.cleared_cookie();
    if form {
        return forms::see_other("/signin", Some(&cleared));
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(value) = cleared.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
