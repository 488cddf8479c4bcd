//! `for_each` and the fields beside it: `as`, `label`, `parallel`,
//! `on_item_failure`, `approval_per_item`.

use super::*;
use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::source::Spanned;

/// The fields that only mean something beside `for_each`.
pub const LOOP_FIELDS: &[&str] = &[
    "as",
    "label",
    "parallel",
    "on_item_failure",
    "approval_per_item",
];

/// The most elements that may run at once: beyond it a loop would start
/// more processes than any machine running a playbook should.
pub const MAX_PARALLEL: i64 = 256;

impl Lowerer<'_> {
    /// Takes `for_each` and the loop fields out of a step's fields.
    pub(super) fn for_each(&mut self, fields: &mut Fields) -> Option<ForEach> {
        let for_each = fields.take_entry("for_each");
        let name = fields.take_entry("as");
        let label = fields.take_entry("label");
        let parallel = fields.take_entry("parallel");
        let on_item_failure = fields.take_entry("on_item_failure");
        let per_item = fields.take_entry("approval_per_item");
        let Some(for_each) = for_each else {
            for entry in [name, label, parallel, on_item_failure, per_item]
                .into_iter()
                .flatten()
            {
                self.error(
                    Diagnostic::error(
                        Code::LoopFieldWithoutForEach,
                        format!("`{}` applies to a step with `for_each`, and this step has none", entry.key.value),
                    )
                    .label(entry.key.span, "no `for_each` to apply to")
                    .help("add `for_each: LIST` to run the step once per element, or remove this field"),
                );
            }
            return None;
        };
        let list = match &for_each.value.value {
            Value::Seq(_) => ForEachList::Literal(for_each.value.clone()),
            _ => ForEachList::Expr(self.expression(&for_each.value, "`for_each`")?),
        };
        let name = name.and_then(|e| self.element_name(&e.value));
        let label = label.and_then(|e| self.expression(&e.value, "`label`"));
        let parallel = parallel.and_then(|e| self.parallel(&e.value));
        let on_item_failure = on_item_failure.and_then(|e| self.item_failure(&e.value));
        let approval_per_item = per_item.and_then(|e| self.bool(&e.value, "`approval_per_item`"));
        Some(ForEach {
            list,
            name,
            parallel,
            on_item_failure,
            approval_per_item,
            label,
            span: for_each.key.span.to(for_each.value.span),
        })
    }

    fn element_name(&mut self, node: &Node) -> Option<Spanned<String>> {
        let name = self.ident(node, "element name")?;
        if matches!(name.value.as_str(), "inputs" | "steps" | "vars") {
            self.error(
                Diagnostic::error(
                    Code::InvalidId,
                    format!("the element cannot be named `{}`", name.value),
                )
                .label(name.span, "already a root of every path")
                .help("`inputs`, `steps` and `vars` start every other reference: name the element after what it is, such as `as: pod`"),
            );
            return None;
        }
        Some(name)
    }

    fn parallel(&mut self, node: &Node) -> Option<Spanned<u32>> {
        match node.value {
            Value::Int(n) if (1..=MAX_PARALLEL).contains(&n) => {
                Some(Spanned::new(n as u32, node.span))
            }
            Value::Int(n) => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("`parallel: {n}` is not a number of elements to run at once"),
                    )
                    .label(node.span, "out of range")
                    .help(format!(
                        "use 1 (one element after the other, the default) to {MAX_PARALLEL}"
                    )),
                );
                None
            }
            _ => {
                self.wrong_type(node, "`parallel`", "an integer");
                None
            }
        }
    }

    fn item_failure(&mut self, node: &Node) -> Option<Spanned<ItemFailure>> {
        self.word(node, "`on_item_failure`", ItemFailure::parse, |word| {
            Diagnostic::error(
                Code::InvalidValue,
                format!("`{word}` is not a failure policy for elements"),
            )
            .label(node.span, "unknown policy")
            .help("`stop` (the default) starts no further element after a failure; `continue` runs every element and fails the step at the end")
        })
    }
}
