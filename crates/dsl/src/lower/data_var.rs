//! A `vars:` value written as YAML data (a list or a mapping) rather than
//! as an expression: `regions: [eu-west-1, us-east-1]`,
//! `limits: {cpu: 2, memory: 4Gi}`. It is a value of its own, not text:
//! every scalar in it is a literal (a string stays a string, even
//! `steps.x` or `{{y}}`), and it is turned into the expression that writes
//! the same value (`["eu-west-1", "us-east-1"]`), so everything after
//! lowering, and `.runbook` (`var regions = [...]`), treats it as one.

use super::Lowerer;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::path::quote_string;
use std::collections::HashMap;

impl Lowerer<'_> {
    /// The expression text of a data value, `None` (reported) when a part
    /// of it has no expression: a number that is not finite. A key given
    /// twice in one mapping is reported, and its first value kept.
    pub(super) fn data_expression(&mut self, node: &Node) -> Option<String> {
        let mut out = String::new();
        self.write_data(node, &mut out).then_some(out)
    }

    /// Writes `node` into `out`; recursion is bounded by the depth the
    /// front ends accept.
    fn write_data(&mut self, node: &Node, out: &mut String) -> bool {
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
                        out.push_str(", ");
                    }
                    ok &= self.write_data(item, out);
                }
                out.push(']');
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
                                format!("`{}` is given twice in this mapping", entry.key.value),
                            )
                            .label(entry.key.span, "given again here")
                            .label(*first, "first given here")
                            .help("remove one of them: a mapping holds each key once"),
                        );
                        continue;
                    }
                    if !seen.is_empty() {
                        out.push_str(", ");
                    }
                    seen.insert(entry.key.value.as_str(), entry.key.span);
                    out.push_str(&crate::expr::key_text(&entry.key.value));
                    out.push_str(": ");
                    ok &= self.write_data(&entry.value, out);
                }
                out.push('}');
                return ok;
            }
        }
        true
    }
}
