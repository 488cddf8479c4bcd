//! Capturing a step's declared outputs from its results: the `from` field
//! (or the kind's primary result), narrowed by a JSON path or a regular
//! expression (capture group 1 when there is one), coerced to the declared
//! `type`.

use runbook_dsl::ast::{Output, Select, Separator, ValueType};
use runbook_dsl::json_path::JsonPath;
use serde_json::{Map, Value};

/// Captures every output of a step; the error names the output that failed.
pub fn capture(
    outputs: &[Output],
    primary: &str,
    results: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut captured = Map::new();
    for output in outputs {
        let name = &output.name.value;
        let value =
            capture_one(output, primary, results).map_err(|e| format!("output `{name}`: {e}"))?;
        captured.insert(name.clone(), value);
    }
    Ok(captured)
}

/// The outputs that can be captured from what a failed step produced; the
/// others are left out (reading them says why the step has none).
pub fn capture_available(
    outputs: &[Output],
    primary: &str,
    results: &Map<String, Value>,
) -> Map<String, Value> {
    outputs
        .iter()
        .filter_map(|output| {
            let value = capture_one(output, primary, results).ok()?;
            Some((output.name.value.clone(), value))
        })
        .collect()
}

fn capture_one(
    output: &Output,
    primary: &str,
    results: &Map<String, Value>,
) -> Result<Value, String> {
    let from = output
        .from
        .as_ref()
        .map(|f| f.value.as_str())
        .unwrap_or(primary);
    let Some(mut value) = results.get(from).cloned() else {
        return absent(output, format!("the step produced no `{from}`"));
    };
    if let Some(path) = &output.json {
        let path = JsonPath::parse(&path.value).map_err(|(_, e)| format!("JSON path: {e}"))?;
        if let Value::String(text) = &value {
            value =
                serde_json::from_str(text).map_err(|e| format!("`{from}` is not JSON ({e})"))?;
        }
        value = match path.select(&value) {
            Some(value) => value,
            None => {
                let at = output.json.as_ref().map(|t| t.value.as_str()).unwrap_or("");
                return absent(output, format!("nothing at `{at}` in `{from}`"));
            }
        };
    }
    let pattern = output.lines.as_ref().or(output.regex.as_ref());
    if let Some(pattern) = pattern {
        // A NUL-separated record may hold line breaks, and `.` spans them
        // so that a pattern matches the record as a whole.
        let regex = regex::RegexBuilder::new(&pattern.value)
            .dot_matches_new_line(output.lines.is_some() && output.separator() == Separator::Nul)
            .build()
            .map_err(|e| format!("regex: {e}"))?;
        let text = as_text(&value);
        // The matching lines, or the matches (capture group 1 when present).
        let matches: Vec<&str> = if output.lines.is_some() {
            output
                .separator()
                .records(&text)
                .into_iter()
                .filter(|record| regex.is_match(record))
                .collect()
        } else {
            regex
                .captures_iter(&text)
                .map(|c| c.get(1).or_else(|| c.get(0)).map_or("", |m| m.as_str()))
                .collect()
        };
        let one = |found: Option<&&str>| match found {
            Some(found) => Ok(Value::String(found.to_string())),
            None => absent(
                output,
                format!("`{}` does not match `{from}`", pattern.value),
            ),
        };
        value = match output.selected() {
            Select::All => Value::Array(
                matches
                    .iter()
                    .map(|m| Value::String(m.to_string()))
                    .collect(),
            ),
            Select::Count => Value::from(matches.len()),
            Select::First => match one(matches.first())? {
                // A default stands as it is, not coerced again.
                found @ Value::String(_) if !matches.is_empty() => found,
                default => return Ok(default),
            },
            Select::Last => match one(matches.last())? {
                found @ Value::String(_) if !matches.is_empty() => found,
                default => return Ok(default),
            },
        };
    }
    match &output.ty {
        Some(ty) => coerce(value, ty.value),
        None => Ok(value),
    }
}

/// What an output is when what it is captured from is absent: its declared
/// `default` (an optional output), else the reason it cannot be captured.
fn absent(output: &Output, reason: String) -> Result<Value, String> {
    let Some(default) = &output.default else {
        return Err(reason);
    };
    match (default.to_json(), &output.ty) {
        (Value::Null, _) => Ok(Value::Null),
        (value, Some(ty)) => coerce(value, ty.value),
        (value, None) => Ok(value),
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Converts a captured value to a declared type.
pub fn coerce(value: Value, ty: ValueType) -> Result<Value, String> {
    let fail = |value: &Value| Err(format!("{} is not {}", short(value), article(ty)));
    match ty {
        ValueType::Any => Ok(value),
        ValueType::String => Ok(Value::String(as_text(&value))),
        ValueType::Int => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 => Ok(Value::from(f as i64)),
                _ => fail(&value),
            },
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| fail(&value)),
            Value::Bool(b) => Ok(Value::from(*b as i64)),
            _ => fail(&value),
        },
        ValueType::Float => match &value {
            Value::Number(_) => Ok(value),
            Value::String(s) => match s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Ok(Value::Number(n)),
                None => fail(&value),
            },
            _ => fail(&value),
        },
        ValueType::Bool => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "0" | "" => Ok(Value::Bool(false)),
                _ => fail(&value),
            },
            Value::Number(n) => Ok(Value::Bool(n.as_f64() != Some(0.0))),
            _ => fail(&value),
        },
        ValueType::List => match &value {
            Value::Array(_) => Ok(value),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Array(_)) => Ok(v),
                // Lines of text: `kubectl get pods -o name`.
                _ => Ok(Value::Array(
                    s.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| Value::String(l.to_string()))
                        .collect(),
                )),
            },
            _ => fail(&value),
        },
        ValueType::Map => match &value {
            Value::Object(_) => Ok(value),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => Ok(v),
                _ => fail(&value),
            },
            _ => fail(&value),
        },
    }
}

fn article(ty: ValueType) -> &'static str {
    match ty {
        ValueType::String => "a string",
        ValueType::Int => "an integer",
        ValueType::Float => "a number",
        ValueType::Bool => "a boolean",
        ValueType::List => "a list",
        ValueType::Map => "a mapping",
        ValueType::Any => "a value",
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(37).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coerces_text_to_declared_types() {
        assert_eq!(coerce(json!(" 42\n"), ValueType::Int), Ok(json!(42)));
        assert_eq!(
            coerce(json!("a\nb\n"), ValueType::List),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(coerce(json!("true"), ValueType::Bool), Ok(json!(true)));
        assert!(coerce(json!("x"), ValueType::Int).is_err());
    }

    /// A `lines` output over `field` with the given pattern and separator.
    pub(crate) fn lines_output(pattern: &str, separator: Option<Separator>) -> Output {
        use runbook_dsl::node::{Text, TextMap};
        use runbook_dsl::source::{Span, Spanned};
        let text = |value: &str| Text {
            value: value.to_string(),
            span: Span::default(),
            map: TextMap::Opaque,
        };
        Output {
            name: Spanned::new("files".to_string(), Span::default()),
            from: None,
            json: None,
            regex: None,
            lines: Some(text(pattern)),
            separator: separator.map(|s| Box::new(Spanned::new(s, Span::default()))),
            select: None,
            ty: None,
            secret: None,
            default: None,
            span: Span::default(),
        }
    }

    fn captured(output: &Output, stdout: &str) -> Value {
        let mut results = Map::new();
        results.insert("stdout".into(), json!(stdout));
        capture(std::slice::from_ref(output), "stdout", &results).unwrap()["files"].clone()
    }

    #[test]
    fn nul_records_keep_their_line_breaks_and_match_whole() {
        let listing = "/l/app.gz\0/l/two\nlines.gz\0/l/$(touch x).gz\0/l/keep.txt\0";
        let nul = lines_output(r"\.gz$", Some(Separator::Nul));
        assert_eq!(
            captured(&nul, listing),
            json!(["/l/app.gz", "/l/two\nlines.gz", "/l/$(touch x).gz"])
        );
        // `.` spans a line break inside a record, so an anchored pattern
        // matches the name as a whole.
        let whole = lines_output(r"^/l/.*\.gz$", Some(Separator::Nul));
        assert_eq!(captured(&whole, listing).as_array().unwrap().len(), 3);
        // A last record without its NUL counts; no empty record after a final NUL.
        assert_eq!(captured(&nul, "a.gz\0b.gz"), json!(["a.gz", "b.gz"]));
        assert_eq!(captured(&nul, ""), json!([]));
    }

    #[test]
    fn newline_records_are_the_default() {
        let listing = "/l/app.gz\r\n/l/two\nlines.gz\n";
        assert_eq!(
            captured(&lines_output(r"\.gz$", None), listing),
            json!(["/l/app.gz", "lines.gz"])
        );
        assert_eq!(
            captured(&lines_output(r"\.gz$", Some(Separator::Newline)), listing),
            json!(["/l/app.gz", "lines.gz"])
        );
    }
}
