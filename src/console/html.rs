//! HTML for the console: escaping, and the page around every view. Every
//! string that comes from a journal goes through [`text`], which escapes
//! HTML's special characters and shows control characters (an ANSI escape
//! sequence, a NUL) as visible escapes, as `runbook report` does.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

/// `s` escaped for HTML text and attribute values (double or single
/// quoted), its control characters shown escaped.
pub fn text(s: &str) -> String {
    let shown = runbook_dsl::terminal_text::escape(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment for a link to run `id` (run ids are plain: letters,
/// digits, `.`, `_`, `-`, so escaping for HTML is enough).
pub fn run_href(id: &str) -> String {
    format!("/runs/{}", text(id))
}

/// The user a deciding console (`--decide`) decides as, set once when it
/// starts: every page's header says so, where a read-only console says
/// it is read-only.
pub static DECIDES_AS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A whole page: `title` (plain text) and `body` (HTML already escaped).
pub fn page(title: &str, body: &str) -> String {
    signed_in_page(title, body, None)
}

/// A whole page of a deciding console for a signed-in browser: its header
/// has the **Sign out** button, which the page's script posts with the
/// session's CSRF token (`csrf`).
pub fn signed_in_page(title: &str, body: &str, csrf: Option<&str>) -> String {
    let mut mode = match DECIDES_AS.get() {
        Some(user) => format!("deciding as <code>{}</code>", text(user)),
        None => "read-only console".to_string(),
    };
    if let Some(csrf) = csrf {
        let _ = write!(
            mode,
            " <form id=\"signout\" method=\"post\" action=\"/signout\" data-csrf=\"{0}\"><input type=\"hidden\" name=\"csrf\" value=\"{0}\"><button type=\"submit\">Sign out</button></form>",
            text(csrf)
        );
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · runbook</title>\n\
         <link rel=\"stylesheet\" href=\"/static/console.css\">\n\
         <script src=\"/static/console.js\" defer></script>\n</head>\n<body>\n\
         <header><a href=\"/\">runbook</a> <span class=\"muted\">{mode}</span></header>\n\
         <main>\n{body}</main>\n</body>\n</html>\n",
        text(title)
    );
    out
}

/// An HTML response.
pub fn respond(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// An error page: `title` and `message` are plain text.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!("<h1>{}</h1>\n<p>{}</p>\n", text(title), text(message));
    respond(status, page(title, &body))
}

/// A status word as a badge.
pub fn status(word: &str) -> String {
    let class: String = word
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "<span class=\"status s-{}\">{}</span>",
        text(&class),
        text(word)
    )
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn hostile_text_is_inert() {
        assert_eq!(
            text("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            text("\"><img src=x onerror='alert(1)'>"),
            "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;"
        );
        let ansi = text("\u{1b}[2J\u{1b}]0;title\u{7}");
        assert!(
            !ansi.contains('\u{1b}') && !ansi.contains('\u{7}'),
            "{ansi}"
        );
        assert_eq!(text("a & b"), "a &amp; b");
    }
}
