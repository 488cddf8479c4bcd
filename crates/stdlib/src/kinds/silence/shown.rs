//! How a silence read from Alertmanager is shown to a person: quoted, on
//! one line, bounded. Alertmanager's values are anyone's (whoever made the
//! silence wrote its matchers, author and comment): a line break or an
//! escape sequence in them must not forge a line of a prompt or redraw the
//! terminal, and a huge comment must not bury the question.

use super::matchers::Matcher;
use serde_json::Value;

/// The most matchers a prompt shows of a silence; the rest are counted.
const SHOWN_MATCHERS: usize = 16;

/// The most characters of one value (a matcher's, the comment, the
/// author, a failure) a prompt shows; the rest is cut, and said to be.
const SHOWN_CHARS: usize = 200;

/// `text` quoted as a JSON string (`"`, `\` and C0 controls escaped), with
/// what JSON leaves as it is escaped too: DEL, C1 controls (`\u{9b}` is a
/// terminal's CSI), line and paragraph separators, zero-width and
/// bidirectional formatting characters.
pub fn quoted(text: &str) -> String {
    one_line(&Value::String(text.to_string()).to_string())
}

/// `text` with every control and invisible formatting character escaped
/// (`\u{1b}`), so it is one line that shows what it holds.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || invisible(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that change how a line reads without showing themselves.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
    )
}

/// At most [`SHOWN_CHARS`] characters of `text`, `…` marking a cut.
fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The matchers of a silence as Alertmanager's API gives it.
pub fn held_matchers(silence: &Value) -> Vec<Matcher> {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    silence["matchers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| Matcher {
            name: text(&m["name"]),
            value: text(&m["value"]),
            is_regex: m["isRegex"].as_bool().unwrap_or(false),
            // Alertmanager before 0.22 has no `isEqual`: equality.
            is_equal: m["isEqual"].as_bool().unwrap_or(true),
        })
        .collect()
}

/// What an `expire` would end, for its prompt: the silence's matchers
/// and comment (and its author; its state when it is not active), as
/// Alertmanager holds it, or that it could not be read and why. One line.
pub fn expiring(read: &Result<Value, String>) -> String {
    let silence = match read {
        Ok(silence) => silence,
        Err(why) => return format!("could not read its matchers: {}", one_line(&cut(why))),
    };
    let matchers = held_matchers(silence);
    let mut shown: Vec<String> = matchers
        .iter()
        .take(SHOWN_MATCHERS)
        .map(|m| {
            Matcher {
                name: cut(&m.name),
                value: cut(&m.value),
                ..m.clone()
            }
            .show()
        })
        .collect();
    if matchers.len() > SHOWN_MATCHERS {
        shown.push(format!("and {} more", matchers.len() - SHOWN_MATCHERS));
    }
    let matchers = if shown.is_empty() {
        "no matchers".to_string()
    } else {
        shown.join(", ")
    };
    let field = |name: &str| silence[name].as_str().map(|v| quoted(&cut(v)));
    let mut line = format!(
        "{matchers}; comment: {}; by {}",
        field("comment").unwrap_or_else(|| "none".into()),
        field("createdBy").unwrap_or_else(|| "?".into()),
    );
    match silence["status"]["state"].as_str() {
        Some("active") => {}
        Some(state) => line.push_str(&format!("; it is {}", quoted(&cut(state)))),
        None => line.push_str("; its state is not given"),
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hostile_values_are_quoted_on_one_line() {
        for (hostile, shown) in [
            ("a\"b\nc", "\"a\\\"b\\nc\""),
            ("\u{1b}[2J", "\"\\u001b[2J\""),
            ("csi\u{9b}31m", "\"csi\\u{9b}31m\""),
            ("rtl\u{202e}txt", "\"rtl\\u{202e}txt\""),
            ("line\u{2028}sep", "\"line\\u{2028}sep\""),
            ("del\u{7f}", "\"del\\u{7f}\""),
            ("$(id) `x` 'q' #", "\"$(id) `x` 'q' #\""),
        ] {
            assert_eq!(quoted(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn an_expiry_shows_matchers_comment_and_author() {
        let silence = json!({
            "matchers": [
                {"name": "alertname", "value": "RedisHighMemory", "isRegex": false, "isEqual": true},
                {"name": "instance", "value": "redis-.*", "isRegex": true, "isEqual": false},
            ],
            "comment": "failover\n[ok] approved",
            "createdBy": "ann",
            "status": {"state": "active"},
        });
        assert_eq!(
            expiring(&Ok(silence)),
            "alertname=\"RedisHighMemory\", instance!~\"redis-.*\"; comment: \"failover\\n[ok] approved\"; by \"ann\""
        );
        let ended = json!({"matchers": [], "status": {"state": "expired"}});
        assert_eq!(
            expiring(&Ok(ended)),
            "no matchers; comment: none; by ?; it is \"expired\""
        );
    }

    #[test]
    fn an_expiry_is_bounded() {
        let many: Vec<Value> = (0..40)
            .map(|i| json!({"name": format!("l{i}"), "value": "v".repeat(5000)}))
            .collect();
        let silence = json!({
            "matchers": many,
            "comment": "c".repeat(100_000),
            "createdBy": "b",
            "status": {"state": "active"},
        });
        let line = expiring(&Ok(silence));
        assert!(line.chars().count() < 8000, "{}", line.len());
        assert!(line.contains("and 24 more"), "{line}");
        assert!(
            line.contains(&format!("\"{}…\"", "c".repeat(200))),
            "{line}"
        );
    }

    #[test]
    fn an_expiry_that_cannot_be_read_says_why_on_one_line() {
        let why = Err("Alertmanager refused: 500: boom\n\u{1b}[2Jforged".to_string());
        assert_eq!(
            expiring(&why),
            "could not read its matchers: Alertmanager refused: 500: boom\\u{a}\\u{1b}[2Jforged"
        );
    }
}
