//! The small JSON path dialect outputs use to pick a value out of a JSON
//! result: `$.status.readyReplicas`, `items[0].metadata.name`, `items[*].name`.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    /// Every element of a list (or every value of a map).
    All,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    pub segments: Vec<Segment>,
}

impl JsonPath {
    /// Parses a path; on error, the byte offset of the problem and what it is.
    pub fn parse(text: &str) -> Result<JsonPath, (usize, String)> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut segments = Vec::new();
        if bytes.first() == Some(&b'{') {
            // kubectl's `-o jsonpath={.status.readyReplicas}`: its braces and
            // its other features (ranges, filters) are not this dialect.
            return Err((0, "this is kubectl's `{...}` form".into()));
        }
        if bytes.first() == Some(&b'$') {
            i = 1;
        }
        let mut expect_key = i == 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => {
                    i += 1;
                    expect_key = true;
                    if i >= bytes.len() {
                        return Err((i - 1, "a `.` must be followed by a key".into()));
                    }
                }
                b'[' => {
                    let close = text[i..]
                        .find(']')
                        .map(|c| c + i)
                        .ok_or((i, "`[` is not closed".to_string()))?;
                    let inner = text[i + 1..close].trim();
                    let segment = if inner == "*" {
                        Segment::All
                    } else if let Ok(n) = inner.parse::<usize>() {
                        Segment::Index(n)
                    } else if inner.len() >= 2
                        && ((inner.starts_with('"') && inner.ends_with('"'))
                            || (inner.starts_with('\'') && inner.ends_with('\'')))
                    {
                        Segment::Key(inner[1..inner.len() - 1].to_string())
                    } else {
                        return Err((
                            i + 1,
                            "expected an index, `*` or a quoted key inside `[]`".into(),
                        ));
                    };
                    segments.push(segment);
                    i = close + 1;
                    expect_key = false;
                }
                _ if expect_key => {
                    let end = text[i..]
                        .find(['.', '['])
                        .map(|e| e + i)
                        .unwrap_or(text.len());
                    let key = &text[i..end];
                    if key == "*" {
                        segments.push(Segment::All);
                    } else if key.chars().any(char::is_whitespace) {
                        return Err((i, "a key with spaces must be quoted: `[\"my key\"]`".into()));
                    } else {
                        segments.push(Segment::Key(key.to_string()));
                    }
                    i = end;
                    expect_key = false;
                }
                _ => return Err((i, "expected `.` or `[`".into())),
            }
        }
        Ok(JsonPath { segments })
    }

    /// The value at this path, or `None` when some segment is absent.
    pub fn select(&self, root: &Value) -> Option<Value> {
        let mut current = vec![root.clone()];
        let mut fanned_out = false;
        for segment in &self.segments {
            let mut next = Vec::new();
            for value in current {
                match (segment, value) {
                    (Segment::Key(k), Value::Object(mut map)) => {
                        if let Some(v) = map.remove(k) {
                            next.push(v);
                        }
                    }
                    (Segment::Index(n), Value::Array(mut items)) if *n < items.len() => {
                        next.push(items.swap_remove(*n));
                    }
                    (Segment::All, Value::Array(items)) => next.extend(items),
                    (Segment::All, Value::Object(map)) => {
                        next.extend(map.into_iter().map(|(_, v)| v))
                    }
                    _ => {}
                }
            }
            fanned_out |= *segment == Segment::All;
            if next.is_empty() && !fanned_out {
                return None;
            }
            current = next;
        }
        if fanned_out {
            Some(Value::Array(current))
        } else {
            current.into_iter().next()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_keys_indices_and_wildcards() {
        let doc = json!({"items": [{"name": "a", "n": 1}, {"name": "b"}], "status": {"ready": 3}});
        let get = |p: &str| JsonPath::parse(p).unwrap().select(&doc);
        assert_eq!(get("$.status.ready"), Some(json!(3)));
        assert_eq!(get("items[1].name"), Some(json!("b")));
        assert_eq!(get("$.items[*].name"), Some(json!(["a", "b"])));
        assert_eq!(get("$[\"status\"]['ready']"), Some(json!(3)));
        assert_eq!(get("$.missing"), None);
        assert_eq!(get("$"), Some(doc.clone()));
    }

    #[test]
    fn reports_where_a_path_is_wrong() {
        assert_eq!(JsonPath::parse("$.a[").unwrap_err().0, 3);
        assert_eq!(JsonPath::parse("$.a[x]").unwrap_err().0, 4);
        assert!(JsonPath::parse("$.").is_err());
        assert!(JsonPath::parse("$x").is_err());
    }
}
