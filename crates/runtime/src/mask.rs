//! Masking secrets in everything the run emits.
//!
//! Secrets are tracked, not pattern-matched: the runner registers the values
//! of secret inputs and of outputs derived from them, and the masker replaces
//! each value and its simple encodings (base64 in its common variants, with
//! and without a trailing newline as `echo | base64` makes; JSON-escaped;
//! shell-quoted) wherever they occur. Exact-string masking alone would miss
//! `echo $TOKEN | base64` in a step's output.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Values shorter than this are not registered: masking every `1` or `ok`
/// in the output would hide everything and protect nothing.
pub const MIN_SECRET_LEN: usize = 3;

/// Values captured by a step that used a secret are masked from this length:
/// a token or a URL with credentials is long; a status word is not.
pub const DERIVED_MIN_LEN: usize = 12;

/// The set of secret forms to hide.
#[derive(Clone, Debug, Default)]
pub struct Masker {
    /// Longest first, so a form that contains another is replaced whole.
    patterns: Vec<String>,
}

impl Masker {
    pub fn new() -> Masker {
        Masker::default()
    }

    /// Registers a secret value and its encodings.
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let mut forms = vec![secret.to_string()];
        for bytes in [secret.to_string(), format!("{secret}\n")] {
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                forms.push(engine.encode(bytes.as_bytes()));
            }
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        forms.push(json[1..json.len() - 1].to_string());
        // JSON-escaped twice: a journal line that embeds a JSON document.
        let twice = serde_json::to_string(&json[1..json.len() - 1]).unwrap_or_default();
        forms.push(twice[1..twice.len() - 1].to_string());
        forms.push(secret.replace('\'', "'\\''"));
        // Quoted for two shells (`{{quote secret}}` in a shell command).
        forms.push(runbook_dsl::template::shell_quote(secret).replace('\'', "'\\''"));
        for form in forms {
            if form.len() >= MIN_SECRET_LEN && !self.patterns.contains(&form) {
                self.patterns.push(form);
            }
        }
        self.patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
    }

    /// Registers every string inside a JSON value.
    pub fn add_value(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.add_value(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_value(v)),
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Registers what a step that handled a secret captured, without being
    /// declared secret: long strings only. A short or numeric capture (a
    /// status such as `running`, a row count) carries no secret, and masking
    /// it everywhere would blank unrelated text — step ids, commands, logs.
    pub fn add_derived(&mut self, value: &Value) {
        match value {
            Value::String(s) if s.len() >= DERIVED_MIN_LEN && s.parse::<f64>().is_err() => {
                self.add(s)
            }
            Value::Array(items) => items.iter().for_each(|v| self.add_derived(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_derived(v)),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The text with every secret form replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for pattern in &self.patterns {
            if out.contains(pattern.as_str()) {
                out = out.replace(pattern.as_str(), MASK);
            }
        }
        out
    }

    /// Masks every string (keys included) inside a JSON value, in place.
    pub fn mask_value(&self, value: &mut Value) {
        if self.patterns.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                let masked = self.mask(s);
                if masked != *s {
                    *s = masked;
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                if self.mask(&text) != text {
                    *value = Value::String(MASK.into());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_value(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut v) in entries {
                    self.mask_value(&mut v);
                    map.insert(self.mask(&key), v);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_captures_mask_only_what_could_carry_a_secret() {
        let mut m = Masker::new();
        m.add_derived(
            &serde_json::json!(["running", 42, "0.25", {"token": "eyJhbGciOiJIUzI1NiJ9.payload"}]),
        );
        assert_eq!(
            m.mask("step still_running: running, 42"),
            "step still_running: running, 42"
        );
        assert!(!m
            .mask("Bearer eyJhbGciOiJIUzI1NiJ9.payload")
            .contains("eyJhbGciOiJIUzI1NiJ9.payload"));
    }

    #[test]
    fn masks_plain_base64_and_json_escaped_forms() {
        let mut m = Masker::new();
        m.add("s3cr\"et\\tok");
        let b64 = STANDARD.encode("s3cr\"et\\tok\n");
        let text = format!(
            "a s3cr\"et\\tok b {b64} c {}",
            serde_json::to_string("s3cr\"et\\tok").unwrap()
        );
        let masked = m.mask(&text);
        assert!(!masked.contains("s3cr"), "{masked}");
        assert!(!masked.contains(&b64), "{masked}");
        assert_eq!(masked.matches(MASK).count(), 3, "{masked}");
    }

    #[test]
    fn masks_the_form_quoted_for_two_shells() {
        let mut m = Masker::new();
        m.add("it's a secret");
        let command = runbook_dsl::template::quote_in(
            runbook_dsl::template::ShellContext::Word,
            runbook_dsl::template::Parses::Twice,
            "it's a secret",
            false,
        )
        .unwrap();
        let masked = m.mask(&format!("ssh h restore {command}"));
        assert!(!masked.contains("a secret"), "{masked}");
    }

    #[test]
    fn ignores_tiny_values() {
        let mut m = Masker::new();
        m.add("ok");
        assert_eq!(m.mask("ok ok"), "ok ok");
    }

    #[test]
    fn masks_inside_json_values() {
        let mut m = Masker::new();
        m.add("hunter2");
        let mut v = serde_json::json!({"a": ["x hunter2 y"], "hunter2": 1});
        m.mask_value(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["x *** y"], "***": 1}));
    }
}
