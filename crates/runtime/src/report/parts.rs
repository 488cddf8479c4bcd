//! The pieces a report's lines are made of: text and code spans, and the
//! few lines built the same way in several places.

use super::model::Part;
use serde::Serialize;
use serde_json::Value;

/// "`STEP` started: `COMMAND`", for an element "`STEP` [0] web-1 started".
pub(super) fn started_line(
    step: &str,
    element: Option<String>,
    command: Option<&str>,
) -> Vec<Part> {
    let mut line = vec![code(step)];
    if let Some(element) = element {
        line.push(text(format!(" {element}")));
    }
    match command {
        Some(command) => {
            line.push(text(" started: "));
            line.push(code(command));
        }
        None => line.push(text(" started")),
    }
    line
}

pub(super) fn text(s: impl Into<String>) -> Part {
    Part::Text(s.into())
}

pub(super) fn code(s: impl Into<String>) -> Part {
    Part::Code(s.into())
}

/// A serialisable value's snake_case name (`dry_run`, `succeeded`).
pub(super) fn word(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A value as text: a string without its quotes, anything else as JSON.
pub fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
