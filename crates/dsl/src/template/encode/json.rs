//! Values in a raw JSON body (`body: '{"user": "{{inputs.user}}"}'`): inside
//! a string a value is JSON-escaped, where a value goes it is written as
//! JSON (a string quoted, a number as a number), where a key goes as a JSON
//! string; nowhere can it add a key or close the object. A body that does
//! not start with `{` or `[` is text, not JSON, and values go in as they are.

use super::Problem;
use crate::code::Code;
use crate::template::{Format, Insertion};
use serde_json::Value;

/// Where in a JSON text an insertion lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Position {
    /// Not a JSON body.
    Text,
    InString,
    Value,
    Key,
    /// After a complete value, where only `,`, `:` or a closing bracket fit.
    After,
}

pub(super) fn position(prefix: &str) -> Position {
    let body = prefix.trim_start();
    if !body.starts_with(['{', '[']) {
        return Position::Text;
    }
    // Whether each open container is an object.
    let mut objects: Vec<bool> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut next = Position::Value;
    for c in body.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    in_string = false;
                    next = Position::After;
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => {
                objects.push(true);
                next = Position::Key;
            }
            '[' => {
                objects.push(false);
                next = Position::Value;
            }
            '}' | ']' => {
                objects.pop();
                next = Position::After;
            }
            ':' => next = Position::Value,
            ',' => {
                next = match objects.last() {
                    Some(true) => Position::Key,
                    _ => Position::Value,
                }
            }
            c if c.is_whitespace() => {}
            _ => next = Position::After,
        }
    }
    if in_string {
        Position::InString
    } else {
        next
    }
}

/// `text` as a JSON string, quotes included.
fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

pub(super) fn insert(
    prefix: &str,
    insertion: &Insertion,
    value: &Value,
    text: &str,
) -> Result<String, String> {
    Ok(match position(prefix) {
        Position::Text => text.to_string(),
        Position::InString => {
            let quoted = string(text);
            quoted[1..quoted.len() - 1].to_string()
        }
        Position::Key => string(text),
        Position::Value => match (&insertion.format, value) {
            (Format::Json, _) => text.to_string(),
            (_, Value::String(_)) | (Format::Upper | Format::Lower, _) => string(text),
            (_, other) => serde_json::to_string(other).unwrap_or_else(|_| "null".into()),
        },
        Position::After => {
            return Err(format!(
                "`{text}` would follow a complete JSON value in the body"
            ))
        }
    })
}

pub(super) fn problem(prefix: &str) -> Option<Problem> {
    (position(prefix) == Position::After).then(|| Problem {
        code: Code::JsonInsertion,
        message: "an insertion after a JSON value could change the body's structure".into(),
        label: "after a complete value".into(),
        help: "insert it where a value goes (`\"user\": {{inputs.user}}`, written as JSON) or \
               inside a string (`\"user\": \"{{inputs.user}}\"`, escaped)"
            .into(),
    })
}

pub(super) fn placeholder(prefix: &str) -> String {
    match position(prefix) {
        Position::Text | Position::InString => "x".into(),
        Position::Value => "0".into(),
        Position::Key => "\"k\"".into(),
        Position::After => String::new(),
    }
}
