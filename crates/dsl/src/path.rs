//! A reference to a value (`inputs.namespace`, `steps.api.json.items[0].name`),
//! shared by expressions and templates so that the analyzer resolves both
//! through one function, and every segment keeps its own span so "unknown
//! output `db`" points at `db`, not at the whole path.

use crate::source::{Span, Spanned};
use std::fmt;

/// The parameter name of the lambda that an element path stands for:
/// `.metadata.name` as an argument of `map` is read as a lambda whose
/// parameter is this name and whose body is the path `[ELEMENT, metadata,
/// name]`. No name written by an author can be `.`, so it never shadows one.
pub const ELEMENT: &str = ".";

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `.name` (or the first identifier of the path).
    Name(String),
    /// `[0]`: an element of a list.
    Index(usize),
    /// `["key"]`: a key of a mapping that need not be an identifier.
    Key(String),
}

impl Segment {
    /// The segment as a mapping key, whichever way it was spelled.
    pub fn as_key(&self) -> Option<&str> {
        match self {
            Segment::Name(name) | Segment::Key(name) => Some(name),
            Segment::Index(_) => None,
        }
    }
}

/// A dotted, indexed reference. Never empty when produced by a parser.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub segments: Vec<Spanned<Segment>>,
    pub span: Span,
}

impl Path {
    /// A path of plain names, for tests and synthesised references.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>, span: Span) -> Path {
        Path {
            segments: names
                .into_iter()
                .map(|n| Spanned::new(Segment::Name(n.to_string()), span))
                .collect(),
            span,
        }
    }

    pub fn len(&self) -> usize {
        self.segments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The `i`th segment as a key (`None` when absent or an index).
    pub fn key(&self, i: usize) -> Option<&str> {
        self.segments.get(i).and_then(|s| s.value.as_key())
    }

    /// Whether the path starts with these keys: `path.starts_with(&["steps"])`.
    pub fn starts_with(&self, keys: &[&str]) -> bool {
        keys.len() <= self.len() && keys.iter().enumerate().all(|(i, k)| self.key(i) == Some(k))
    }

    /// The same reference, ignoring where it was written.
    pub fn same_as(&self, other: &Path) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(a, b)| a.value == b.value)
    }

    /// The span of segments `from..` (to the end): "`outputs.db`" in `steps.x.outputs.db`.
    pub fn span_from(&self, from: usize) -> Span {
        match (self.segments.get(from), self.segments.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => self.span,
        }
    }

    /// Follows the segments from `start` into a JSON value; `None` when a
    /// key or index is absent. Environments use it to read `json.items[0]`.
    pub fn get_in<'v>(
        &self,
        start: usize,
        value: &'v serde_json::Value,
    ) -> Option<&'v serde_json::Value> {
        let mut current = value;
        for segment in self.segments.iter().skip(start) {
            current = match (&segment.value, current) {
                (Segment::Index(i), serde_json::Value::Array(items)) => items.get(*i)?,
                (Segment::Name(k) | Segment::Key(k), serde_json::Value::Object(map)) => {
                    map.get(k)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// A copy without spans, for comparing shapes in tests and caches.
    pub fn without_spans(&self) -> Path {
        Path {
            segments: self
                .segments
                .iter()
                .map(|s| Spanned::new(s.value.clone(), Span::default()))
                .collect(),
            span: Span::default(),
        }
    }
}

/// Whether `word` can be written as a bare path segment.
pub fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Canonical expression spelling: `steps.api.json.items[0]["a key"]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match &segment.value {
                // An element path (`.metadata.name` in `map`) starts at the
                // element itself, written as nothing before the first `.`.
                Segment::Name(name) if i == 0 && name == ELEMENT => {}
                Segment::Name(name) if is_identifier(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Segment::Name(key) | Segment::Key(key) => {
                    write!(f, "[{}]", quote_string(key))?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A double-quoted string literal that reads back as `value`.
pub fn quote_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(segments: Vec<Segment>) -> Path {
        Path {
            segments: segments
                .into_iter()
                .map(|s| Spanned::new(s, Span::default()))
                .collect(),
            span: Span::default(),
        }
    }

    #[test]
    fn displays_in_expression_syntax() {
        let p = path(vec![
            Segment::Name("steps".into()),
            Segment::Name("api".into()),
            Segment::Index(0),
            Segment::Key("a key".into()),
        ]);
        assert_eq!(p.to_string(), r#"steps.api[0]["a key"]"#);
    }

    #[test]
    fn follows_segments_into_json() {
        let p = path(vec![
            Segment::Name("items".into()),
            Segment::Index(1),
            Segment::Name("name".into()),
        ]);
        let v = json!({"items": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(p.get_in(0, &v), Some(&json!("b")));
        assert_eq!(p.get_in(0, &json!({"items": []})), None);
    }

    #[test]
    fn starts_with_and_same_as_ignore_spans() {
        let a = Path::from_names(["steps", "x"], Span::new(1, 2));
        let b = Path::from_names(["steps", "x"], Span::new(5, 9));
        assert!(a.same_as(&b));
        assert!(a.starts_with(&["steps"]));
        assert!(!a.starts_with(&["inputs"]));
    }

    #[test]
    fn quotes_strings_reversibly() {
        assert_eq!(quote_string("a\"b\\\n"), r#""a\"b\\\n""#);
        assert_eq!(quote_string("\u{1}"), r#""\u{1}""#);
    }
}
