//! A step's `for_each`: what it may repeat, and that its list is one; the
//! element's type comes from the list's.

use super::references::{self, References};
use super::with_expression_help;
use crate::ast::{Action, ForEach, ForEachList, Step};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{self, Type};
use crate::plan::{Iteration, IterationList};

/// Checks a step's `for_each`: what it may repeat, and that its list is one.
pub(super) fn check(
    step: &Step,
    for_each: &ForEach,
    gates_by_itself: bool,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Iteration> {
    if !matches!(step.action, Action::Kind { .. }) {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("a `{}` step cannot run once per element", step.action.kind_name()),
            )
            .label(for_each.span, "repeats the step")
            .help("`for_each` repeats a step of a kind such as `shell`, `http` or `k8s`; put the loop on the step that does the work"),
        );
        return None;
    }
    if let Some(approve) = &for_each.approval_per_item {
        if step.approval.is_none() && !gates_by_itself {
            diags.push(
                Diagnostic::error(
                    Code::LoopFieldWithoutForEach,
                    "`approval_per_item` is given, but the step has no gate",
                )
                .label(approve.span, "no `approval` to ask per element")
                .help("add `approval: \"...\"` to the step, or remove `approval_per_item`"),
            );
        }
    }
    let element = for_each.element_name().to_string();
    match &for_each.list {
        ForEachList::Literal(node) => Some(Iteration {
            list: IterationList::Literal(
                node.as_seq()
                    .unwrap_or_default()
                    .iter()
                    .map(|item| item.to_json())
                    .collect(),
            ),
            element,
            element_type: references::literal_element_type(node),
        }),
        ForEachList::Expr(text) => {
            let parsed = match expr::parse(text) {
                Ok(parsed) => parsed,
                Err(diagnostic) => {
                    diags.push(with_expression_help(diagnostic));
                    return None;
                }
            };
            let element_type = match expr::check(&parsed, refs, diags) {
                Type::List(item) => *item,
                Type::Any => Type::Any,
                other => {
                    let input = matches!(&parsed.kind, crate::expr::ExprKind::Path(p) if p.starts_with(&["inputs"]));
                    let example = match other {
                        // An input holds one value: the list is written out.
                        _ if input => "a list written out, such as `for_each: [web-1, web-2]`: an input holds one value".to_string(),
                        Type::String | Type::Enum(_) => {
                            "a list such as `[\"a\", \"b\"]`, or a step result declared `type: list`"
                                .to_string()
                        }
                        _ => "a result declared `type: list`, or a JSON path that selects an array".to_string(),
                    };
                    diags.push(
                        Diagnostic::error(
                            Code::NotAList,
                            format!("`for_each` needs a list, this is {}", other.describe()),
                        )
                        .label(parsed.span, format!("this is {}", other.describe()))
                        .help(format!("iterate over {example}")),
                    );
                    return None;
                }
            };
            Some(Iteration {
                list: IterationList::Expr(parsed),
                element,
                element_type,
            })
        }
    }
}
