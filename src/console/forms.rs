//! A deciding console without JavaScript: sign-in, a decision and
//! sign-out are plain HTML forms (`application/x-www-form-urlencoded`
//! `POST`s) answered with `303 See Other` to the page to show next, or
//! with an HTML page saying why they were refused. The proofs are those
//! of the script's requests ([`super::deciding`]): the console's own
//! origin (`Origin`, else `Referer`), and the session's CSRF token, here
//! in the form's hidden `csrf` field instead of a header.

use super::html::{self, text};
use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

/// Whether a request's body is a form's (`Content-Type:
/// application/x-www-form-urlencoded`), not the script's JSON.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// A form's fields, percent-decoded.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(bytes: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `303 See Other` to `location` (a path of the console's own), setting
/// `cookie` if given.
pub fn see_other(location: &str, cookie: Option<&str>) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A refused form: an HTML page with `status`, what went wrong
/// (`message`, plain text) and a link back to `back` (a path of the
/// console's own, already checked).
pub fn refused(status: StatusCode, message: &str, back: &str) -> Response {
    let body = format!(
        "<h1>Refused</h1>\n<p class=\"refused-why\">{}</p>\n<p><a href=\"{}\">Back</a></p>\n",
        text(message),
        text(back)
    );
    html::respond(status, html::page("Refused", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_told_by_its_content_type_and_its_fields_are_decoded() {
        let mut headers = HeaderMap::new();
        assert!(!is_form(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
                .parse()
                .unwrap(),
        );
        assert!(is_form(&headers));
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(!is_form(&headers));
        let fields = Fields::parse(b"reason=a+b%26%3Cc%3E&verdict=reject&verdict=approve");
        assert_eq!(fields.get("reason"), Some("a b&<c>"));
        assert_eq!(fields.get("verdict"), Some("reject"));
        assert_eq!(fields.get("answer"), None);
    }
}
