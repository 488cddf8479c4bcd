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
            label: None,
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
                label: None,
            })
        }
    }
}

/// Checks `label:` with the element bound: typed through the element (an
/// unknown field is refused as anywhere else), and a scalar, which the
/// runner turns into the element's name; kept in `iteration` when it is.
pub(super) fn check_label(
    for_each: &ForEach,
    iteration: Option<&mut Iteration>,
    refs: &mut References,
    diags: &mut Diagnostics,
) {
    let Some(label) = &for_each.label else {
        return;
    };
    let checked = checked_label(label, for_each.element_name(), refs, diags);
    if let Some(iteration) = iteration {
        iteration.label = checked;
    }
}

fn checked_label(
    label: &crate::node::Text,
    element: &str,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<expr::Expr> {
    // `label: "{{item.name}}"` (a template, as a parameter is written), in
    // either syntax: said the same way in both.
    let unquoted = label.value.trim().trim_matches('"');
    if let Some(inner) = unquoted
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
    {
        diags.push(
            Diagnostic::error(Code::ExprSyntax, "`label` is an expression, not a template")
                .label(label.span, "written as a template")
                .help(format!(
                    "write the expression bare, as `when` is: `{}`",
                    inner.trim()
                )),
        );
        return None;
    }
    let parsed = match expr::parse(label) {
        Ok(parsed) => parsed,
        Err(diagnostic) => {
            diags.push(with_expression_help(diagnostic));
            return None;
        }
    };
    let ty = expr::check(&parsed, refs, diags);
    // A label that never reads the element names every element the same.
    if !parsed.paths().iter().any(|p| p.key(0) == Some(element)) {
        let help =
            format!("read the element: `{element}`, or one of its fields such as `{element}.name`");
        diags.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("this `label` does not read the element `{element}`: every element would have the same label"),
            )
            .label(parsed.span, "the same for every element")
            .help(help),
        );
        return None;
    }
    let scalar = matches!(
        ty,
        Type::String | Type::Enum(_) | Type::Int | Type::Float | Type::Bool | Type::Any
    );
    if !scalar {
        diags.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("a `label` names one element in one line, this is {}", ty.describe()),
            )
            .label(parsed.span, format!("this is {}", ty.describe()))
            .help(format!("pick one field of the element, such as `{element}.labels.instance`, or build a string: `{element}.namespace + \"/\" + {element}.name`")),
        );
        return None;
    }
    Some(parsed)
}
