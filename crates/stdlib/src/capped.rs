//! A result read from a server, kept within the step's output cap
//! (its `output_cap`, its playbook's or `--output-cap`: the same cap as a
//! command's output): an `http` body, a
//! Prometheus answer, a pod's logs, a query's rows. Reading stops once the
//! cap is passed, so a server that answers with gigabytes costs the run at
//! most the cap in memory and in the journal, and the network read ends
//! there instead of downloading the rest. What was kept is the head (the
//! tail of a stream would mean reading all of it); the result says it was
//! cut (`truncated: true`) and a marker line ends the text. A cut body is
//! never parsed as JSON: its end is missing. The marker names what set the
//! cap, so the reader of a journal knows which field or flag to change.

use runbook_dsl::ast::ValueType;
use runbook_dsl::catalog::ResultField;
use runbook_runtime::output_cap::OutputCap;
use serde_json::{Map, Value};

/// The result field every kind with a large result sets: `true` when the
/// result was cut at the output cap.
pub const TRUNCATED: &str = "truncated";

/// The `truncated` result, as each kind's schema declares it.
pub fn truncated_field() -> ResultField {
    ResultField::new(
        TRUNCATED,
        ValueType::Bool,
        "`true` when the result was larger than the output cap (the step's `output_cap`, its playbook's, or `--output-cap`; default 1 MiB) and was cut there (see docs/semantics.md, \"Result size cap\").",
    )
}

/// Bytes of one result, at most the cap of them.
#[derive(Debug)]
pub struct Capped {
    cap: usize,
    /// What set the cap, for the marker.
    set_by: String,
    kept: Vec<u8>,
    /// Bytes seen, the dropped ones included (what was read past the cap
    /// before reading stopped).
    seen: u64,
}

impl Capped {
    pub fn new(cap: &OutputCap) -> Capped {
        Capped {
            cap: cap.bytes,
            set_by: cap.set_by.to_string(),
            kept: Vec::new(),
            seen: 0,
        }
    }

    /// Takes the next chunk; `false` once the cap is passed: stop reading.
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        self.seen += chunk.len() as u64;
        let room = self.cap.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        !self.truncated()
    }

    /// Whether more than the cap came.
    pub fn truncated(&self) -> bool {
        self.seen > self.cap as u64
    }

    /// The kept bytes: the whole result when it was not truncated.
    pub fn bytes(&self) -> &[u8] {
        &self.kept
    }

    /// The kept text, with a marker line when it was cut. `size`: the whole
    /// result's size when the server said it (`Content-Length`).
    pub fn text(&self, size: Option<u64>) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.truncated() {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&marker(self.cap, &self.set_by, size));
        }
        text
    }

    /// Sets the `truncated` result.
    pub fn mark(&self, fields: &mut Map<String, Value>) {
        fields.insert(TRUNCATED.into(), Value::Bool(self.truncated()));
    }
}

/// The items of a list result (a query's rows, the objects listed) kept
/// within the cap, each counted as its JSON text: the first ones that fit.
#[derive(Debug)]
pub struct Items {
    cap: usize,
    used: usize,
    dropped: bool,
}

impl Items {
    pub fn new(cap: usize) -> Items {
        Items {
            cap,
            used: 0,
            dropped: false,
        }
    }

    /// Whether the next item is kept; once one is refused, none is.
    pub fn admit(&mut self, item: &Value) -> bool {
        if self.dropped {
            return false;
        }
        self.used += item.to_string().len() + 1;
        self.dropped = self.used > self.cap;
        !self.dropped
    }

    /// The first items of `items` that fit.
    pub fn keep(&mut self, items: Vec<Value>) -> Vec<Value> {
        items.into_iter().take_while(|i| self.admit(i)).collect()
    }

    /// Whether an item was refused.
    pub fn truncated(&self) -> bool {
        self.dropped
    }
}

/// The line that stands for what the cap dropped; `set_by` names the
/// field or flag that set the cap.
pub fn marker(cap: usize, set_by: &str, size: Option<u64>) -> String {
    let size = match size {
        Some(size) => format!("{size} bytes"),
        None => "larger".into(),
    };
    format!("[runbook: result cut at the output cap of {cap} bytes (set by {set_by}); the whole result was {size}]\n")
}

/// Why a cut body was not parsed, for a step's message.
pub fn not_parsed(cap: &OutputCap) -> String {
    format!("the answer was larger than the output cap ({}) and was cut, so it was not parsed as JSON; raise the step's `output_cap` (an operator's `--output-cap` only lowers it), or narrow the request", cap.describe())
}

/// Reads a response's body within the cap (at most the cap plus one
/// chunk from the network).
pub async fn read_response(
    response: &mut reqwest::Response,
    cap: &OutputCap,
) -> Result<Capped, reqwest::Error> {
    let mut body = Capped::new(cap);
    while let Some(chunk) = response.chunk().await? {
        if !body.push(&chunk) {
            break;
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_runtime::output_cap::CapSource;

    fn cap(bytes: usize) -> OutputCap {
        OutputCap::new(bytes, CapSource::Step("fetch".into()))
    }

    #[test]
    fn a_small_result_is_kept_whole() {
        let mut c = Capped::new(&cap(10));
        assert!(c.push(b"0123"));
        assert!(c.push(b"456789"));
        assert!(!c.truncated());
        assert_eq!(c.text(None), "0123456789");
        let mut fields = Map::new();
        c.mark(&mut fields);
        assert_eq!(fields[TRUNCATED], false);
    }

    #[test]
    fn a_large_result_keeps_the_head_and_says_it_was_cut() {
        let mut c = Capped::new(&cap(10));
        assert!(c.push(b"0123456"));
        assert!(!c.push(b"789abc"));
        assert!(c.truncated());
        assert_eq!(c.bytes(), b"0123456789");
        assert_eq!(
            c.text(Some(50)),
            "0123456789\n[runbook: result cut at the output cap of 10 bytes (set by `output_cap` of step `fetch`); the whole result was 50 bytes]\n"
        );
        let mut fields = Map::new();
        c.mark(&mut fields);
        assert_eq!(fields[TRUNCATED], true);
    }

    #[test]
    fn list_items_are_kept_while_they_fit() {
        let mut items = Items::new(10);
        let kept = items.keep(vec![Value::from("ab"), Value::from("cd"), Value::from("e")]);
        // `"ab"` and `"cd"` cost 5 each with their separator.
        assert_eq!(kept, vec![Value::from("ab"), Value::from("cd")]);
        assert!(items.truncated());
        let mut all = Items::new(10);
        assert_eq!(all.keep(vec![Value::from(1)]).len(), 1);
        assert!(!all.truncated());
    }
}
