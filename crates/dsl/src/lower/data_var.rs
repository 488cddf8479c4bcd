//! A `vars:` value written as YAML data (a list or a mapping) rather than
//! as an expression: `regions: [eu-west-1, us-east-1]`,
//! `limits: {cpu: 2, memory: 4Gi}`. It is a value of its own, not text:
//! every scalar in it is a literal (a string stays a string, even
//! `steps.x` or `{{y}}`), and it is turned into the expression that writes
//! the same value (`["eu-west-1", "us-east-1"]`), so everything after
//! lowering, and `.runbook` (`var regions = [...]`), treats it as one.
//! The expression keeps a map back to the data: every element, key and
//! bracket of it maps to where it is written, so a diagnostic about a
//! part (a duplicate key, nesting too deep, a type) points at that part.

use super::Lowerer;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Text, TextMap, Value};
use crate::path::quote_string;
use crate::source::Span;
use std::collections::HashMap;

/// The expression being written and where each part of it comes from:
/// `(expression offset, file offset)` pairs, as [`TextMap::Runs`] reads them.
#[derive(Default)]
struct Written {
    text: String,
    runs: Vec<(usize, usize)>,
}

impl Written {
    /// What is written next comes from the file at `at`.
    fn from(&mut self, at: usize) {
        self.runs.push((self.text.len(), at));
    }

    /// The last byte written comes from the last byte of `span`, so the
    /// span of a part ends where it ends in the file.
    fn ends(&mut self, span: Span) {
        if let Some(last) = self.text.len().checked_sub(1) {
            self.runs
                .push((last, span.end.saturating_sub(1).max(span.start)));
        }
    }
}

impl Lowerer<'_> {
    /// The expression text of a data value, `None` (reported) when a part
    /// of it has no expression: a number that is not finite. A key given
    /// twice in one mapping is reported, and its first value kept.
    pub(super) fn data_expression(&mut self, node: &Node) -> Option<Text> {
        let mut out = Written::default();
        self.write_data(node, &mut out).then_some(Text {
            value: out.text,
            span: node.span,
            map: TextMap::Runs(out.runs),
        })
    }

    /// Writes `node` into `out`; recursion is bounded by the depth the
    /// front ends accept.
    fn write_data(&mut self, node: &Node, written: &mut Written) -> bool {
        written.from(node.span.start);
        let ok = self.write_part(node, written);
        written.ends(node.span);
        ok
    }

    fn write_part(&mut self, node: &Node, written: &mut Written) -> bool {
        let out = &mut written.text;
        match &node.value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // The expression reads `-N` as `-(N)`, and `N` of the smallest
            // integer does not fit: written as a sum that does.
            Value::Int(i64::MIN) => out.push_str("(-9223372036854775807 - 1)"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
            Value::Float(_) => {
                self.error(
                    Diagnostic::error(Code::ExprSyntax, "a value in `vars` is not a finite number")
                        .label(node.span, "not a finite number")
                        .help("write a number such as `0.5`, or quote the text: `\".inf\"`"),
                );
                return false;
            }
            Value::Str(text) => out.push_str(&quote_string(&text.value)),
            Value::Seq(items) => {
                out.push('[');
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        written.text.push_str(", ");
                    }
                    ok &= self.write_data(item, written);
                }
                written.text.push(']');
                return ok;
            }
            Value::Map(entries) => {
                out.push('{');
                let mut ok = true;
                // By key, the span it was first given at (a set, so that a
                // hostile mapping with many keys costs linear time).
                let mut seen: HashMap<&str, crate::source::Span> = HashMap::new();
                for entry in entries {
                    if let Some(first) = seen.get(entry.key.value.as_str()) {
                        self.error(
                            Diagnostic::error(
                                Code::DuplicateKey,
                                format!(
                                    "`{}` is given twice in this mapping",
                                    crate::expr::key_text(&entry.key.value)
                                ),
                            )
                            .label(entry.key.span, "given again here")
                            .label(*first, "first given here")
                            .help("remove one of them: a mapping holds each key once"),
                        );
                        continue;
                    }
                    if !seen.is_empty() {
                        written.text.push_str(", ");
                    }
                    seen.insert(entry.key.value.as_str(), entry.key.span);
                    written.from(entry.key.span.start);
                    written
                        .text
                        .push_str(&crate::expr::key_text(&entry.key.value));
                    written.ends(entry.key.span);
                    written.text.push_str(": ");
                    ok &= self.write_data(&entry.value, written);
                }
                written.text.push('}');
                return ok;
            }
        }
        true
    }
}
