//! The spanned document tree both front ends produce. YAML and `.runbook`
//! differ only in how they spell this tree; everything after it is shared,
//! so a diagnostic reads the same whichever syntax the author used.

use crate::source::Span;

/// A value in a playbook document, with the span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping (or `key value` line of a `.runbook` block).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Text,
    pub value: Node,
}

/// A string together with where each of its characters came from, so that a
/// diagnostic inside it (an expression, a template) points at the file even
/// when the source spelled it with escapes, quotes or block indentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
    pub map: TextMap,
}

/// Maps byte offsets of a [`Text`]'s value to byte offsets in the file.
#[derive(Clone, Debug, PartialEq)]
pub enum TextMap {
    /// The value is written verbatim starting at this file offset.
    Verbatim(usize),
    /// Runs of verbatim text: `(value offset, file offset)` sorted by value offset.
    /// A value offset between two runs maps linearly from the run before it.
    Runs(Vec<(usize, usize)>),
    /// No character-level mapping (synthesised text): every offset maps to the span.
    Opaque,
}

impl TextMap {
    /// The file offset of the value's byte `offset`, for a value written
    /// at `span` (see [`Text::file_offset`]); also for a reader that keeps
    /// only the map and the span, not the value.
    pub fn file_offset(&self, span: Span, offset: usize) -> usize {
        let mapped = match self {
            TextMap::Verbatim(start) => start + offset,
            TextMap::Runs(runs) => {
                let i = runs.partition_point(|(value_at, _)| *value_at <= offset);
                match i.checked_sub(1).map(|i| runs[i]) {
                    Some((value_at, file_at)) => file_at + (offset - value_at),
                    None => span.start,
                }
            }
            TextMap::Opaque => return span.start,
        };
        mapped.clamp(span.start, span.end.max(span.start))
    }

    /// The file span of the value's bytes `start..end` (see
    /// [`Text::file_span`]).
    pub fn file_span(&self, span: Span, start: usize, end: usize) -> Span {
        if let TextMap::Opaque = self {
            return span;
        }
        let from = self.file_offset(span, start);
        let to = if end > start {
            self.file_offset(span, end - 1) + 1
        } else {
            from
        };
        Span::new(from, to.max(from))
    }
}

impl Text {
    /// Text written verbatim at `span` in the file.
    pub fn verbatim(value: impl Into<String>, span: Span) -> Text {
        Text {
            value: value.into(),
            map: TextMap::Verbatim(span.start),
            span,
        }
    }

    /// Text whose characters cannot be traced individually.
    pub fn opaque(value: impl Into<String>, span: Span) -> Text {
        Text {
            value: value.into(),
            map: TextMap::Opaque,
            span,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The file offset of a byte offset of the value.
    pub fn file_offset(&self, offset: usize) -> usize {
        self.map.file_offset(self.span, offset)
    }

    /// The part `start..end` of the value, still mapped to the file (an
    /// expression inside a template tag).
    pub fn slice(&self, start: usize, end: usize) -> Text {
        Text {
            value: self.value[start..end].to_string(),
            span: self.file_span(start, end),
            map: self.slice_map(start, end),
        }
    }

    /// How the part `start..end` of the value maps to the file (the map of
    /// [`Text::slice`]), without copying the part.
    pub fn slice_map(&self, start: usize, end: usize) -> TextMap {
        match &self.map {
            TextMap::Verbatim(_) => TextMap::Verbatim(self.file_offset(start)),
            TextMap::Runs(runs) => {
                let mut shifted = vec![(0, self.file_offset(start))];
                shifted.extend(
                    runs.iter()
                        .filter(|(at, _)| *at > start && *at < end)
                        .map(|(at, file)| (at - start, *file)),
                );
                TextMap::Runs(shifted)
            }
            TextMap::Opaque => TextMap::Opaque,
        }
    }

    /// The file span of a byte range of the value.
    pub fn file_span(&self, start: usize, end: usize) -> Span {
        self.map.file_span(self.span, start, end)
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    /// A word for the type of this value, as diagnostics say it ("expected a string, found a list").
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_text(&self) -> Option<&Text> {
        match &self.value {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entry of a mapping with this key, if any.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key.value == key)
            .map(|e| &e.value)
    }

    /// The value as JSON: an input's default, a scenario's value. Recursion
    /// is bounded by the front ends' nesting limit.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Value::Str(t) => Json::String(t.value.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|e| (e.key.value.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The scalar as a plain string (numbers and booleans as written), for
    /// places where YAML's typing of plain scalars should not matter.
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(t) => Some(t.value.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_text_maps_by_offset() {
        let t = Text::verbatim("abc", Span::new(10, 13));
        assert_eq!(t.file_span(1, 2), Span::new(11, 12));
    }

    #[test]
    fn runs_map_each_piece() {
        // value "ab\ncd" from a block scalar: "ab" at 20, "cd" at 27
        let t = Text {
            value: "ab\ncd".into(),
            span: Span::new(18, 29),
            map: TextMap::Runs(vec![(0, 20), (3, 27)]),
        };
        assert_eq!(t.file_span(3, 5), Span::new(27, 29));
        assert_eq!(t.file_offset(1), 21);
    }
}
