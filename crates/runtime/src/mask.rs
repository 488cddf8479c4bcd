//! Masking secrets in everything the run emits.
//!
//! Secrets are tracked, not pattern-matched: the runner registers the values
//! of secret inputs and of outputs derived from them, and the masker replaces
//! each value and its simple encodings wherever they occur. Exact-string
//! masking alone would miss `echo $TOKEN | base64` in a step's output.
//!
//! The forms recognised (docs/semantics.md, "Threat model", lists them and
//! those that are not):
//! - the value itself, and each line of a multi-line value (a PEM key is
//!   printed, and published, one line at a time);
//! - base64 (standard and URL-safe, padded or not) of the value and of the
//!   value with a trailing newline (`echo "$S" | base64`), unwrapped and
//!   wrapped at 76 (`base64`) and 64 (`openssl base64`) columns, whole and
//!   line by line; and base64 of any longer text containing the value (the
//!   three alignments of its 3-byte groups);
//! - JSON-escaped once and twice, and with `&`, `<`, `>` as `\u00XX`;
//! - shell single-quoted (`'\''` for each quote, or `'"'"'` as dash's `set`
//!   writes it);
//! - backslash-escaped as shells and Python print a value to be pasted back
//!   (`printf %q`, `$'...'`, `declare -p`, `repr`): see `mask/escapes.rs`;
//! - percent-encoded in any mix (upper or lower hex, `+` for a space): the
//!   text is also searched with its `%XX` decoded.
//!
//! All forms go into one Aho-Corasick automaton (leftmost-longest), so a form
//! that contains another is replaced whole and masking is one pass.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeSet;

mod escapes;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Values shorter than this are not registered: masking every `1` or `ok`
/// in the output would hide everything and protect nothing.
pub const MIN_SECRET_LEN: usize = 3;

/// Values captured by a step that used a secret are masked from this length:
/// a token or a URL with credentials is long; a status word is not.
pub const DERIVED_MIN_LEN: usize = 12;

/// A line of a multi-line secret, or of its wrapped base64, is a form of its
/// own from this length: shorter lines (`Cg==`, a blank line) say nothing.
pub const MIN_LINE_LEN: usize = 8;

/// Base64 of a longer text that contains the secret is recognised from this
/// many characters of encoding: shorter runs would match unrelated text.
const MIN_EMBEDDED_BASE64: usize = 16;

/// The columns at which common tools wrap base64: `base64` (GNU coreutils)
/// and `openssl base64`.
const BASE64_WRAPS: [usize; 2] = [76, 64];

/// The set of secret forms to hide.
/// The most bytes of forms the masker builds a DFA for ([`Masker::rebuild`]).
const DFA_FORMS_BYTES: usize = 1024;

#[derive(Clone, Debug, Default)]
pub struct Masker {
    forms: BTreeSet<String>,
    /// Strings the playbook's author declared plain (the values of outputs
    /// marked `secret: false`): not registered when a value derived from
    /// a secret holds them, since they are shown in clear anyway.
    plain: BTreeSet<String>,
    /// Built from `forms` after every registration; `None` while empty.
    automaton: Option<AhoCorasick>,
}

impl Masker {
    pub fn new() -> Masker {
        Masker::default()
    }

    /// Registers a secret value and its encodings.
    pub fn add(&mut self, secret: &str) {
        self.insert(secret);
        self.rebuild();
    }

    /// Registers every string inside a JSON value.
    pub fn add_value(&mut self, value: &Value) {
        self.insert_value(value);
        self.rebuild();
    }

    /// Registers what a step that handled a secret captured, without being
    /// declared secret: long strings only. A short or numeric capture (a
    /// status such as `running`, a row count) carries no secret, and masking
    /// it everywhere would blank unrelated text — step ids, commands, logs.
    pub fn add_derived(&mut self, value: &Value) {
        self.insert_derived(value);
        self.rebuild();
    }

    /// Remembers the strings of a value its author declared plain (an
    /// output marked `secret: false`): a computed value that read a
    /// secret step and holds one of them (a host's name from a registry
    /// called with a token) does not blank it out everywhere. Secrets
    /// registered otherwise stay masked.
    pub fn add_plain(&mut self, value: &Value) {
        match value {
            Value::String(s) => {
                self.plain.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|v| self.add_plain(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_plain(v)),
            _ => {}
        }
    }

    /// The strings declared plain ([`Masker::add_plain`]).
    pub fn plain(&self) -> impl Iterator<Item = &String> {
        self.plain.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Registers every secret `other` knows (a called playbook's run masks
    /// its caller's secrets too).
    pub fn extend(&mut self, other: &Masker) {
        self.forms.extend(other.forms.iter().cloned());
        self.plain.extend(other.plain.iter().cloned());
        self.rebuild();
    }

    fn insert_value(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.insert(s),
            Value::Number(n) => self.insert(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.insert_value(v)),
            Value::Object(map) => map.values().for_each(|v| self.insert_value(v)),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn insert_derived(&mut self, value: &Value) {
        match value {
            Value::String(s)
                if s.len() >= DERIVED_MIN_LEN
                    && s.parse::<f64>().is_err()
                    && !self.plain.contains(s) =>
            {
                self.insert(s)
            }
            Value::Array(items) => items.iter().for_each(|v| self.insert_derived(v)),
            Value::Object(map) => map.values().for_each(|v| self.insert_derived(v)),
            _ => {}
        }
    }

    fn insert(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        for form in forms(secret) {
            if form.len() >= MIN_SECRET_LEN {
                self.forms.insert(form);
            }
        }
    }

    fn rebuild(&mut self) {
        self.automaton = if self.forms.is_empty() {
            None
        } else {
            // A DFA searches fastest, but building one for long forms of a
            // repetitive value (a 3 KB `"LLL…"` captured from a step that
            // used a secret) takes time quadratic in their length: seconds
            // in one `rebuild`, with signals unanswered meanwhile. Past a
            // few short forms, the contiguous NFA: built in linear time,
            // searched nearly as fast.
            let total: usize = self.forms.iter().map(String::len).sum();
            let kind = if total <= DFA_FORMS_BYTES {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(kind))
                .build(&self.forms)
                .ok()
        };
    }

    /// The text with every secret form replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let spans = self.spans(text);
        if spans.is_empty() {
            return text.to_string();
        }
        replace_spans(text, spans)
    }

    /// How much of a piece of a longer line can be published (masked) now
    /// without cutting a secret printed across it and the next piece: up
    /// to where the longest form could still begin, and never inside a
    /// form found in the piece. The rest waits for the next piece.
    pub fn publishable(&self, text: &str) -> usize {
        if self.automaton.is_none() {
            return text.len();
        }
        // A form found through `%XX` escapes spans up to three bytes a byte.
        let reach = 3 * self.forms.iter().map(String::len).max().unwrap_or(0);
        let mut end = floor_char_boundary(text, text.len().saturating_sub(reach));
        let spans = self.spans(text);
        while let Some(&(start, _)) = spans.iter().find(|&&(s, e)| s < end && end < e) {
            end = floor_char_boundary(text, start);
        }
        end
    }

    /// The byte ranges of `text` where a secret form is.
    fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut spans: Vec<(usize, usize)> = automaton
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        // `+` is a space only in form-encoded text; a literal `+` is kept
        // in the other view.
        for (plus_is_space, present) in [(false, text.contains('%')), (true, text.contains('+'))] {
            if !present {
                continue;
            }
            let view = PercentDecoded::new(text, plus_is_space);
            for m in automaton.find_iter(&view.bytes) {
                spans.push((view.origin[m.start()].0, view.origin[m.end() - 1].1));
            }
        }
        spans
    }

    /// Masks every string (keys included) inside a JSON value, in place.
    pub fn mask_value(&self, value: &mut Value) {
        if self.is_empty() {
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

/// Every form of one secret that is searched for.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    lines_of(secret, &mut forms);
    for bytes in [secret.to_string(), format!("{secret}\n")] {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(bytes.as_bytes());
            for width in BASE64_WRAPS {
                if encoded.len() > width {
                    let wrapped = wrap(&encoded, width);
                    lines_of(&wrapped, &mut forms);
                    forms.push(wrapped);
                }
            }
            forms.push(encoded);
        }
    }
    // Base64 of a longer text that contains the secret: whatever its offset,
    // one of the three suffixes below starts on a 3-byte group boundary, and
    // its whole groups encode the same whatever surrounds them.
    let bytes = secret.as_bytes();
    for skip in 0..3.min(bytes.len()) {
        let rest = &bytes[skip..];
        let whole = &rest[..rest.len() / 3 * 3];
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let core = engine.encode(whole);
            if core.len() >= MIN_EMBEDDED_BASE64 {
                forms.push(core);
            }
        }
    }
    let json = json_escaped(secret);
    // JSON-escaped twice: a journal line that embeds a JSON document.
    forms.push(json_escaped(&json));
    // As encoders that escape HTML-significant characters write it (Go).
    forms.push(
        json.replace('&', "\\u0026")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e"),
    );
    // As PHP writes it by default (`\/`), and as encoders that write only
    // ASCII do (Python's `json.dumps`, PHP: `\u00e9`).
    let slashed = json.replace('/', "\\/");
    for form in [&json, &slashed] {
        let ascii = ascii_escaped(form);
        if &ascii != form {
            forms.push(ascii);
        }
    }
    forms.push(slashed);
    forms.push(json);
    // Single-quoted, and with a `'` as dash's `set` and `export -p` write
    // it; a multi-line value is printed so across lines.
    for quoted in [
        secret.replace('\'', "'\\''"),
        secret.replace('\'', "'\"'\"'"),
    ] {
        lines_of(&quoted, &mut forms);
        forms.push(quoted);
    }
    escapes::escaped_forms(secret, &mut forms);
    // Quoted for two shells (`{{quote secret}}` in a shell command).
    forms.push(runbook_dsl::template::shell_quote(secret).replace('\'', "'\\''"));
    forms
}

/// The lines of a multi-line text long enough to be forms of their own.
fn lines_of(text: &str, forms: &mut Vec<String>) {
    if !text.contains('\n') {
        return;
    }
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.chars().count() >= MIN_LINE_LEN {
            forms.push(line.to_string());
        }
    }
}

/// `text` broken into lines of `width` characters (ASCII: base64).
fn wrap(text: &str, width: usize) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inside of a JSON string literal of `text`.
fn json_escaped(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    json.get(1..json.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string()
}

/// `text` (the inside of a JSON string) with every character outside
/// ASCII written as `\uXXXX` (UTF-16, lower-case hex, as Python and PHP
/// write it).
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// A text with its `%XX` escapes decoded, and for each decoded byte the
/// span of the original text it came from.
struct PercentDecoded {
    bytes: Vec<u8>,
    origin: Vec<(usize, usize)>,
}

impl PercentDecoded {
    fn new(text: &str, plus_is_space: bool) -> PercentDecoded {
        let raw = text.as_bytes();
        let mut bytes = Vec::with_capacity(raw.len());
        let mut origin = Vec::with_capacity(raw.len());
        let mut i = 0;
        let hex = |b: u8| (b as char).to_digit(16);
        while i < raw.len() {
            if raw[i] == b'%' && i + 2 < raw.len() {
                if let (Some(hi), Some(lo)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                    bytes.push((hi * 16 + lo) as u8);
                    origin.push((i, i + 3));
                    i += 3;
                    continue;
                }
            }
            bytes.push(match raw[i] {
                b'+' if plus_is_space => b' ',
                b => b,
            });
            origin.push((i, i + 1));
            i += 1;
        }
        PercentDecoded { bytes, origin }
    }
}

/// `text` with the union of `spans` replaced by [`MASK`], one mask per
/// maximal run of overlapping or touching spans.
fn replace_spans(text: &str, mut spans: Vec<(usize, usize)>) -> String {
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut i = 0;
    while i < spans.len() {
        let (start, mut end) = spans[i];
        i += 1;
        while i < spans.len() && spans[i].0 <= end {
            end = end.max(spans[i].1);
            i += 1;
        }
        let start = floor_char_boundary(text, start.max(at));
        let end = ceil_char_boundary(text, end);
        out.push_str(&text[at..start]);
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

#[cfg(test)]
mod tests;
