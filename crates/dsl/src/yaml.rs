//! The YAML front end: YAML text -> spanned [`Node`] tree.
//!
//! serde_yaml reports positions only for syntax errors, so the tree is built
//! from saphyr-parser's event stream, whose every event carries start and end
//! marks. Scalars keep a character map so that an expression inside a quoted
//! or block string points at the exact characters in the file.

use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node, Text, TextMap, Value};
use crate::source::{SourceFile, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};

/// The deepest nesting of lists and mappings accepted: it bounds every
/// recursive walk of the tree (clone, drop, checking parameters).
pub const MAX_DEPTH: usize = 64;

/// Parses a YAML playbook into a node tree. Returns `None` when the YAML is
/// malformed; the reasons are in `diags`.
pub fn parse(file: &SourceFile, diags: &mut Diagnostics) -> Option<Node> {
    let text = file.text();
    let offsets = CharOffsets::new(text);
    let mut builder = TreeBuilder::default();
    let mut documents = 0usize;
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(pair) => pair,
            Err(error) => {
                let at = offsets.byte(error.marker().index());
                diags.push(syntax_error(error.info(), at, text));
                return None;
            }
        };
        let span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    diags.push(
                        Diagnostic::error(
                            Code::YamlUnsupported,
                            "a playbook file holds one YAML document",
                        )
                        .label(
                            Span::new(span.start, span.start + 3),
                            "a second document starts here",
                        )
                        .help("put each playbook in a file of its own"),
                    );
                    return None;
                }
            }
            Event::Alias(_) => {
                diags.push(
                    Diagnostic::error(Code::YamlUnsupported, "YAML aliases are not supported in playbooks")
                        .label(span, "alias")
                        .help("write the value out in full: a reviewer of a playbook diff must see what each step does"),
                );
                // Stand in for the aliased value so nothing else is reported about it.
                let written = text.get(span.start..span.end).unwrap_or("*");
                builder.push_value(Node::new(Value::Str(Text::opaque(written, span)), span));
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    unsupported_decoration(diags, span, tag.is_some());
                }
                let node = scalar(&value, style, span, text);
                builder.push_value(node);
            }
            Event::SequenceStart(..) | Event::MappingStart(..)
                if builder.stack.len() >= MAX_DEPTH =>
            {
                diags.push(
                    Diagnostic::error(
                        Code::YamlUnsupported,
                        format!("values are nested more than {MAX_DEPTH} levels deep"),
                    )
                    .label(Span::new(span.start, span.start + 1), "too deep")
                    .help("a playbook never needs this much nesting; flatten the value"),
                );
                return None;
            }
            Event::SequenceStart(anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    unsupported_decoration(diags, span, tag.is_some());
                }
                builder.open(Open::Seq(Vec::new()), span);
            }
            Event::MappingStart(anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    unsupported_decoration(diags, span, tag.is_some());
                }
                builder.open(Open::Map(Vec::new(), None), span);
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(span, diags),
        }
    }
    Some(
        builder
            .root
            .unwrap_or_else(|| Node::new(Value::Null, Span::at(0))),
    )
}

fn unsupported_decoration(diags: &mut Diagnostics, span: Span, tag: bool) {
    let (what, help) = if tag {
        (
            "YAML tags are not supported in playbooks",
            "remove the `!tag`; a field's type comes from the playbook schema",
        )
    } else {
        (
            "YAML anchors are not supported in playbooks",
            "remove the `&anchor` and write values out in full",
        )
    };
    diags.push(
        Diagnostic::error(Code::YamlUnsupported, what)
            .label(span, "here")
            .help(help),
    );
}

fn syntax_error(info: &str, at: usize, text: &str) -> Diagnostic {
    let end = text[at.min(text.len())..]
        .chars()
        .next()
        .map(|c| at + c.len_utf8())
        .unwrap_or(at);
    let lower = info.to_ascii_lowercase();
    let help = if lower.contains("tab") {
        "YAML does not allow tabs for indentation: indent with spaces"
    } else if lower.contains("mapping values are not allowed") {
        "a value containing `: ` must be quoted, e.g. `when: \"steps.a.status == 200\"`"
    } else if lower.contains("did not find expected key") || lower.contains("block") {
        "check the indentation: fields of one step must line up under each other"
    } else if lower.contains("quote") || lower.contains("quoted") {
        "a quoted string is not closed"
    } else {
        "fix the YAML syntax; an editor with the runbook JSON schema (docs/editors.md) marks it as you type"
    };
    Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {info}"))
        .label(Span::new(at, end), "here")
        .help(help)
}

/// Converts saphyr's character indices to byte offsets.
pub(crate) struct CharOffsets {
    /// Byte offset of each char, present only when the text is not ASCII.
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    pub(crate) fn new(text: &str) -> CharOffsets {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    pub(crate) fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(table) => table.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

enum Open {
    Seq(Vec<Node>),
    /// Entries so far and a key waiting for its value.
    Map(Vec<Entry>, Option<Text>),
}

/// Assembles events into a tree with an explicit stack: nesting depth is no limit.
#[derive(Default)]
struct TreeBuilder {
    stack: Vec<(Open, Span)>,
    root: Option<Node>,
}

impl TreeBuilder {
    fn open(&mut self, open: Open, span: Span) {
        self.stack.push((open, span));
    }

    fn close(&mut self, end: Span, diags: &mut Diagnostics) {
        let Some((open, start)) = self.stack.pop() else {
            return;
        };
        let span = Span::new(start.start, end.end.max(start.end));
        // Lists and mappings grew by doubling; the tree is held until
        // lowering is done, at the peak of `check`'s memory, so each gives
        // its spare room back (a step's mapping of six entries had room
        // for eight, an `outputs:` of one for four).
        let node = match open {
            Open::Seq(mut items) => {
                items.shrink_to_fit();
                Node::new(Value::Seq(items), span)
            }
            Open::Map(mut entries, pending) => {
                entries.shrink_to_fit();
                if let Some(key) = pending {
                    diags.push(
                        Diagnostic::error(
                            Code::YamlSyntax,
                            format!("the key `{}` has no value", key.value),
                        )
                        .label(key.span, "key without a value"),
                    );
                }
                Node::new(Value::Map(entries), span)
            }
        };
        self.push_value(node);
    }

    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((Open::Seq(items), _)) => items.push(node),
            Some((Open::Map(entries, pending), _)) => match pending.take() {
                Some(key) => entries.push(Entry { key, value: node }),
                None => *pending = Some(key_text(node)),
            },
        }
    }
}

/// A mapping key as text; keys that are not scalars become an error later
/// through an unknown-field diagnostic naming them.
fn key_text(node: Node) -> Text {
    match node.value {
        Value::Str(text) => text,
        Value::Null => Text::opaque("null", node.span),
        Value::Bool(b) => Text::verbatim(b.to_string(), node.span),
        Value::Int(i) => Text::verbatim(i.to_string(), node.span),
        Value::Float(f) => Text::verbatim(f.to_string(), node.span),
        Value::Seq(_) | Value::Map(_) => Text::opaque("<complex key>", node.span),
    }
}

fn scalar(value: &str, style: ScalarStyle, span: Span, source: &str) -> Node {
    if style == ScalarStyle::Plain {
        if let Some(typed) = plain_scalar(value) {
            return Node::new(typed, span);
        }
    }
    let raw = &source[span.start.min(source.len())..span.end.min(source.len())];
    let map = text_map(value, style, raw, span.start);
    Node::new(
        Value::Str(Text {
            value: value.to_string(),
            span,
            map,
        }),
        span,
    )
}

/// YAML 1.2 core schema resolution of plain scalars (so `on: yes` stays a string).
fn plain_scalar(value: &str) -> Option<Value> {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Some(Value::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<i64>().ok().map(Value::Int);
    }
    if let Some(hex) = value.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    if let Some(oct) = value.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::Int);
    }
    let looks_float = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if looks_float {
        return value.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// Aligns a scalar's value with its raw text in the file, producing runs of
/// verbatim characters. Escapes, doubled quotes, folding and indentation are
/// stepped over; when alignment fails the text maps to its whole span.
fn text_map(value: &str, style: ScalarStyle, raw: &str, base: usize) -> TextMap {
    let mut cursor = match style {
        ScalarStyle::Plain => 0,
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            usize::from(raw.starts_with(['\'', '"']))
        }
        ScalarStyle::Literal | ScalarStyle::Folded if raw.starts_with(['|', '>']) => {
            match raw.find('\n') {
                Some(i) => i + 1,
                None => return TextMap::Opaque,
            }
        }
        ScalarStyle::Literal | ScalarStyle::Folded => 0,
    };
    if style == ScalarStyle::Plain && raw.len() == value.len() && raw == value {
        return TextMap::Verbatim(base);
    }
    let raw_bytes = raw.as_bytes();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut expected_next: Option<usize> = None;
    for (offset, ch) in value.char_indices() {
        let mut found = None;
        let before = cursor;
        while cursor < raw.len() {
            let rc = raw[cursor..].chars().next().unwrap_or('\0');
            if style == ScalarStyle::DoubleQuoted && rc == '\\' {
                let escape_len = escape_length(&raw[cursor..]);
                if raw_bytes.get(cursor + 1) == Some(&b'\n') {
                    cursor += 2;
                    continue;
                }
                found = Some(cursor);
                cursor += escape_len;
                break;
            }
            if style == ScalarStyle::SingleQuoted
                && rc == '\''
                && ch == '\''
                && raw_bytes.get(cursor + 1) == Some(&b'\'')
            {
                found = Some(cursor);
                cursor += 2;
                break;
            }
            if rc == ch {
                found = Some(cursor);
                cursor += rc.len_utf8();
                break;
            }
            if ch.is_whitespace() && rc.is_whitespace() {
                found = Some(cursor);
                cursor += rc.len_utf8();
                break;
            }
            if !rc.is_whitespace() {
                // Folded text can map a line break to a space; anything else is a
                // mismatch we cannot explain: give up on character precision.
                return TextMap::Opaque;
            }
            cursor += rc.len_utf8();
        }
        let Some(at) = found else {
            return TextMap::Opaque;
        };
        if expected_next != Some(at) {
            runs.push((offset, base + at));
        }
        // A run continues only while value and file advance byte for byte.
        let verbatim = cursor - at == ch.len_utf8() && before <= at;
        expected_next = verbatim.then_some(cursor);
    }
    match runs.as_slice() {
        [] => TextMap::Verbatim(base + cursor.min(raw.len())),
        [(0, start)] => TextMap::Verbatim(*start),
        _ => TextMap::Runs(runs),
    }
}

/// The length in bytes of a double-quoted escape sequence starting at `\`.
fn escape_length(raw: &str) -> usize {
    let mut chars = raw.chars();
    chars.next();
    match chars.next() {
        Some('x') => 4,
        Some('u') => 6,
        Some('U') => 10,
        Some(c) => 1 + c.len_utf8(),
        None => 1,
    }
    .min(raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (SourceFile, Node) {
        let file = SourceFile::new("t.yaml", text);
        let mut diags = Diagnostics::new();
        let node = parse(&file, &mut diags).expect("parses");
        assert!(diags.is_empty(), "{diags:?}");
        (file, node)
    }

    fn text_at<'a>(node: &'a Node, key: &str) -> &'a Text {
        node.get(key).and_then(Node::as_text).expect("a string")
    }

    #[test]
    fn plain_scalars_resolve_with_the_core_schema() {
        let (_, node) = parse_ok("a: 1\nb: 1.5\nc: true\nd: yes\ne: ~\nf: 30s\ng: 1.2.3\n");
        assert_eq!(node.get("a").unwrap().value, Value::Int(1));
        assert_eq!(node.get("b").unwrap().value, Value::Float(1.5));
        assert_eq!(node.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(text_at(&node, "d").value, "yes");
        assert_eq!(node.get("e").unwrap().value, Value::Null);
        assert_eq!(text_at(&node, "f").value, "30s");
        assert_eq!(text_at(&node, "g").value, "1.2.3");
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let (file, node) = parse_ok("steps:\n  - id: pods\n    needs: [a, bb]\n");
        let step = &node.get("steps").unwrap().as_seq().unwrap()[0];
        let id = step.get("id").unwrap();
        assert_eq!(file.slice(id.span), "pods");
        let needs = step.get("needs").unwrap().as_seq().unwrap();
        assert_eq!(file.slice(needs[1].span), "bb");
        let key = &step.as_map().unwrap()[1].key;
        assert_eq!(file.slice(key.span), "needs");
    }

    #[test]
    fn characters_inside_quoted_strings_map_to_the_file() {
        let (file, node) = parse_ok("a: \"x \\\" steps.b\"\nc: 'it''s steps.d'\n");
        let a = text_at(&node, "a");
        let at = a.value.find("steps.b").unwrap();
        assert_eq!(file.slice(a.file_span(at, at + 7)), "steps.b");
        let c = text_at(&node, "c");
        let at = c.value.find("steps.d").unwrap();
        assert_eq!(file.slice(c.file_span(at, at + 7)), "steps.d");
    }

    #[test]
    fn characters_inside_block_scalars_map_to_the_file() {
        let (file, node) = parse_ok("run: |\n  echo one\n  kubectl get {{inputs.ns}}\nnext: 1\n");
        let run = text_at(&node, "run");
        let at = run.value.find("inputs.ns").unwrap();
        assert_eq!(file.slice(run.file_span(at, at + 9)), "inputs.ns");
        let folded = parse_ok("run: >\n  one\n  two {{x}}\n").1;
        let run = text_at(&folded, "run");
        assert_eq!(run.value, "one two {{x}}\n");
    }

    #[test]
    fn non_ascii_text_keeps_byte_spans() {
        let (file, node) = parse_ok("title: \"café\"\nid: ré\n");
        assert_eq!(file.slice(node.get("id").unwrap().span), "ré");
    }

    #[test]
    fn syntax_errors_are_diagnostics() {
        let file = SourceFile::new("t.yaml", "steps:\n  - id: a\n   bad: [\n");
        let mut diags = Diagnostics::new();
        assert!(parse(&file, &mut diags).is_none());
        let d: Vec<_> = diags.into_iter().collect();
        assert_eq!(d[0].code, Code::YamlSyntax);
    }

    #[test]
    fn aliases_and_tags_are_rejected() {
        let file = SourceFile::new("t.yaml", "a: &x 1\nb: *x\nc: !!str 3\n");
        let mut diags = Diagnostics::new();
        parse(&file, &mut diags);
        assert!(diags.iter().all(|d| d.code == Code::YamlUnsupported));
        assert_eq!(diags.len(), 3);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        for depth in [100, 20_000] {
            let text = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
            let file = SourceFile::new("t.yaml", text);
            let mut diags = Diagnostics::new();
            assert!(parse(&file, &mut diags).is_none());
            let code = diags.iter().next().unwrap().code;
            assert!(
                matches!(code, Code::YamlUnsupported | Code::YamlSyntax),
                "{code:?}"
            );
        }
    }
}
