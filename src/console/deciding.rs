//! Deciding from the browser (`runbook serve --decide`): a console decides
//! as the OS user who runs it, so each person who decides from a browser
//! runs their own console, and its decisions are theirs exactly as
//! `runbook approve` run by them would be (the same writer,
//! `pending::decide_seen`; journaled `via: web`).
//!
//! Deciding always needs the console's secret token, loopback included (any
//! local user can reach a loopback port): a script sends it as
//! `Authorization: Bearer TOKEN`; a browser signs in once at `/signin`
//! (the address the console printed carries the token in its fragment,
//! which no request, log or referrer ever holds; the page's script posts
//! it) and then holds a session cookie (`HttpOnly; SameSite=Strict`), and
//! its every POST carries the session's CSRF token in a header, which only
//! the console's own script can read from its page. Every POST must also
//! come from the console's own origin (`Origin`, `Sec-Fetch-Site`).
//! Signing out (`POST /signout`, the same proof) forgets the session on the
//! server, so a replayed cookie opens nothing. With `--token-file` the
//! printed address holds no token: the person pastes it into `/signin`.

use super::access::{bearer, cookie, same};
use super::session::{self, Session, Sessions};
use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The session cookie.
pub const COOKIE: &str = "runbook_session";
/// The header a browser's POST carries its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A deciding console's secret and who signed in.
pub struct Deciding {
    /// From `--token-file`, or made at start (256 random bits).
    pub token: String,
    pub sessions: Sessions,
    /// Mark the cookie `Secure` (`--secure-cookie`, for a console behind a
    /// TLS-terminating proxy).
    pub secure_cookie: bool,
    /// The OS user this console decides as.
    pub user: String,
    /// Served over TLS (`--tls-cert`): the cookie is `Secure` and a
    /// browser's `Origin` must be `https`.
    pub tls: bool,
}

/// Why a request of a browser that is not signed in is refused.
const NOT_SIGNED_IN: &str = "not signed in: open the console's sign-in page (`/signin`) and give its token, or send `Authorization: Bearer TOKEN`";

/// Why a state-changing request is refused (always `403`).
#[derive(Debug, PartialEq)]
pub struct Refused(pub &'static str);

impl Deciding {
    /// The session of a request's cookie, if it holds a live one.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        self.sessions.find(cookie(headers, COOKIE)?)
    }

    /// Whether a POST that changes something may: from this console's own
    /// origin, and either with the token as a bearer token or with a
    /// session cookie and that session's CSRF token (in `X-CSRF-Token`, or
    /// a form's `csrf` field, `form_csrf`).
    pub fn authorize(&self, headers: &HeaderMap, form_csrf: Option<&str>) -> Result<(), Refused> {
        same_origin(headers, self.tls)?;
        if let Some(given) = bearer(headers) {
            return if same(given.as_bytes(), self.token.as_bytes()) {
                Ok(())
            } else {
                Err(Refused("the bearer token is not this console's token"))
            };
        }
        self.signed_in_request(headers, form_csrf).map(|_| ())
    }

    /// The `Set-Cookie` value of session `id`: `Secure` over TLS, with
    /// `--secure-cookie`, or behind a proxy that says `X-Forwarded-Proto:
    /// https`.
    pub fn session_cookie(&self, headers: &HeaderMap, id: &str) -> String {
        let secure = self.secure_cookie
            || self.tls
            || headers
                .get("x-forwarded-proto")
                .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
        format!(
            "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
            session::LIFETIME.as_secs(),
            if secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that makes a browser drop its session cookie.
    pub fn cleared_cookie(&self) -> String {
        format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if self.tls { "; Secure" } else { "" }
        )
    }

    /// The session of a browser's POST that proves it comes from the
    /// console's own page: a live session cookie, `Origin` (else
    /// `Referer`), and that session's CSRF token, in `X-CSRF-Token` (the
    /// script) or a form's `csrf` field (`form_csrf`, a page without
    /// script). Its cookie value (the session id) and the session.
    pub fn signed_in_request(
        &self,
        headers: &HeaderMap,
        form_csrf: Option<&str>,
    ) -> Result<(String, Session), Refused> {
        same_origin(headers, self.tls)?;
        let id = cookie(headers, COOKIE).ok_or(Refused(NOT_SIGNED_IN))?;
        let session = self.sessions.find(id).ok_or(Refused(NOT_SIGNED_IN))?;
        if browser_origin(headers)?.is_none() {
            return Err(Refused(
                "a browser's request must say where it comes from (`Origin` or `Referer`)",
            ));
        }
        let csrf = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .or(form_csrf)
            .ok_or(Refused(
                "the request lacks the page's CSRF token (`X-CSRF-Token`, or the form's `csrf`)",
            ))?;
        if same(csrf.as_bytes(), session.csrf.as_bytes()) {
            Ok((id.to_string(), session))
        } else {
            Err(Refused("the CSRF token is not this session's"))
        }
    }
}

/// Refuses a request another site's page made: `Sec-Fetch-Site` other
/// than `same-origin`, or an origin (`Origin`, else `Referer`'s) other
/// than `https://HOST` of the request's own `Host`, or `http://HOST` too
/// when the console speaks clear HTTP (`tls` false: it may sit behind a
/// TLS-terminating proxy). `Origin: null` is refused. (A request with
/// neither header is not a browser's.)
pub fn same_origin(headers: &HeaderMap, tls: bool) -> Result<(), Refused> {
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(Refused(
                "the request comes from another site (`Sec-Fetch-Site`)",
            ));
        }
    }
    let Some(origin) = browser_origin(headers)? else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or(Refused("the request has no `Host`"))?;
    let rest = match origin.split_once("://") {
        Some(("https", rest)) => Some(rest),
        Some(("http", rest)) if !tls => Some(rest),
        _ => None,
    };
    if rest.is_some_and(|rest| rest.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(Refused("the request comes from another origin (`Origin`)"))
    }
}

/// Where a browser says a request comes from: its `Origin`, else the
/// `SCHEME://HOST` of its `Referer` (a browser that sends no `Origin` with
/// a same-origin form post still sends the referrer, which the console's
/// `Referrer-Policy: same-origin` keeps for its own pages). `None` when it
/// says neither.
pub fn browser_origin(headers: &HeaderMap) -> Result<Option<String>, Refused> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin
            .to_str()
            .map_err(|_| Refused("the request's `Origin` is not text"))?;
        return Ok(Some(origin.to_string()));
    }
    let Some(referer) = headers.get(header::REFERER) else {
        return Ok(None);
    };
    let referer = referer
        .to_str()
        .map_err(|_| Refused("the request's `Referer` is not text"))?;
    let (scheme, rest) = referer
        .split_once("://")
        .ok_or(Refused("the request's `Referer` is not an address"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    Ok(Some(format!("{scheme}://{authority}")))
}

/// A request body of at most `most` bytes. A larger one is read on, and
/// dropped, up to [`DRAIN`] bytes, so the client that sent it reads the
/// refusal instead of a connection reset; past that the connection is cut.
/// Memory holds at most `most` bytes either way.
pub async fn read_body(body: Body, most: usize) -> Result<Vec<u8>, ()> {
    use axum::body::HttpBody;
    let mut body = body;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let Ok(data) = frame.map_err(|_| ())?.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= most {
            kept.extend_from_slice(&data);
        } else if seen > DRAIN {
            return Err(());
        }
    }
    if seen > most {
        Err(())
    } else {
        Ok(kept)
    }
}

/// How much of a too-large body is read and dropped before the refusal.
const DRAIN: usize = 4 * 1024 * 1024;

/// The answer to a refused POST.
pub fn forbidden(why: &str) -> Response {
    error(StatusCode::FORBIDDEN, "forbidden", why)
}

/// A JSON error in the API's shape.
/// The `404` a read-only console answers to every deciding request.
pub fn not_deciding() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "this console does not decide",
    )
}

pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "api_version": super::api::VERSION,
            "error": { "code": code, "message": message }
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_the_consoles_own_origin_passes() {
        let host = ("host", "127.0.0.1:8470");
        for ok in [
            vec![host],
            vec![host, ("origin", "http://127.0.0.1:8470")],
            vec![host, ("origin", "https://127.0.0.1:8470")],
            vec![host, ("sec-fetch-site", "same-origin")],
        ] {
            assert_eq!(same_origin(&headers(&ok), false), Ok(()), "{ok:?}");
        }
        for bad in [
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://127.0.0.1:8471")],
            vec![host, ("origin", "http://127.0.0.1:8470.evil.example")],
            vec![host, ("origin", "null")],
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![("origin", "http://127.0.0.1:8470")],
        ] {
            assert!(same_origin(&headers(&bad), false).is_err(), "{bad:?}");
        }
        // No `Origin`: the `Referer`'s origin is checked instead; `null`
        // is refused whatever the `Referer`.
        let own_page = ("referer", "http://127.0.0.1:8470/runs/x?y#z");
        assert_eq!(same_origin(&headers(&[host, own_page]), false), Ok(()));
        for bad in [
            vec![host, ("referer", "http://127.0.0.1:8471/runs/x")],
            vec![host, ("referer", "http://127.0.0.1:8470.evil.example/")],
            vec![host, ("referer", "not an address")],
            vec![host, ("origin", "null"), own_page],
        ] {
            assert!(same_origin(&headers(&bad), false).is_err(), "{bad:?}");
        }
        // Over TLS, a page of the same host served in clear is another
        // origin: only `https` passes.
        let tls = |origin| headers(&[host, ("origin", origin)]);
        assert_eq!(same_origin(&tls("https://127.0.0.1:8470"), true), Ok(()));
        assert!(same_origin(&tls("http://127.0.0.1:8470"), true).is_err());
        assert!(same_origin(&tls("127.0.0.1:8470"), true).is_err());
    }

    #[test]
    fn a_post_needs_the_token_or_a_session_and_its_csrf_token() {
        let deciding = Deciding {
            token: "t".repeat(64),
            sessions: Sessions::default(),
            secure_cookie: false,
            user: "alice".into(),
            tls: false,
        };
        let (id, csrf) = deciding.sessions.open().unwrap();
        let host = ("host", "localhost:1");
        let origin = ("origin", "http://localhost:1");
        let cookie = format!("{COOKIE}={id}");
        let bearer = format!("Bearer {}", deciding.token);
        let ok = [
            vec![host, ("authorization", bearer.as_str())],
            vec![host, origin, ("cookie", &cookie), (CSRF_HEADER, &csrf)],
        ];
        for h in ok {
            assert_eq!(deciding.authorize(&headers(&h), None), Ok(()), "{h:?}");
        }
        let wrong = format!("Bearer {}", "u".repeat(64));
        let refused = [
            vec![host],
            vec![host, origin],
            vec![host, ("authorization", wrong.as_str())],
            vec![host, origin, ("cookie", &cookie)],
            vec![host, origin, ("cookie", &cookie), (CSRF_HEADER, "x")],
            vec![host, ("cookie", &cookie), (CSRF_HEADER, &csrf)],
            vec![
                host,
                origin,
                ("cookie", "runbook_session=nope"),
                (CSRF_HEADER, &csrf),
            ],
            vec![
                host,
                ("origin", "http://evil.example"),
                ("authorization", bearer.as_str()),
            ],
        ];
        for h in refused {
            assert!(deciding.authorize(&headers(&h), None).is_err(), "{h:?}");
        }
    }
}
