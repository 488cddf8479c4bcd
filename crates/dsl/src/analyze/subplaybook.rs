//! A `playbook` step calls another playbook file: check that the file exists
//! and reads as a playbook, and that the inputs given are inputs it declares
//! and cover the ones it requires. The called file's own mistakes are
//! reported by checking it; here one diagnostic points at the call.

use crate::ast::Playbook;
use crate::catalog::Catalog;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Node, Value};
use crate::source::{SourceFile, Span, Spanned};
use crate::suggest;

/// Checks the call made by a `playbook` step whose parameters are `params`.
pub(super) fn check_call(
    file: &SourceFile,
    kind: &Spanned<String>,
    params: &Node,
    catalog: &dyn Catalog,
    diags: &mut Diagnostics,
) {
    let (path_node, inputs) = match &params.value {
        Value::Str(_) => (params, None),
        Value::Map(_) => match params.get("path") {
            Some(path) => (path, params.get("inputs")),
            None => return, // reported as a missing parameter
        },
        _ => return,
    };
    let Some(relative) = path_node.as_text().map(|t| t.value.clone()) else {
        return;
    };
    let base = std::path::Path::new(file.name())
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let target = base.join(&relative);
    let called = match crate::load::read(&target) {
        Ok(called) => called,
        Err(unreadable) => {
            diags.push(
                Diagnostic::error(
                    Code::UnknownPlaybook,
                    format!("cannot read the called playbook `{relative}`"),
                )
                .label(path_node.span, "cannot be read")
                .help(format!(
                    "{}; the path is relative to this playbook's directory",
                    unreadable.diagnostic.message
                )),
            );
            return;
        }
    };
    let mut called_diags = Diagnostics::new();
    let (playbook, _) = crate::load::parse(&called, catalog, &mut called_diags);
    let Some(playbook) = playbook.filter(|_| !called_diags.has_errors()) else {
        diags.push(
            Diagnostic::error(
                Code::UnknownPlaybook,
                format!("the called playbook `{relative}` has errors"),
            )
            .label(path_node.span, "does not read as a playbook")
            .help(format!(
                "run `runbook check {}` to see them",
                target.display()
            )),
        );
        return;
    };
    check_inputs(&playbook, &relative, kind.span, inputs, diags);
}

fn check_inputs(
    called: &Playbook,
    relative: &str,
    kind: Span,
    inputs: Option<&Node>,
    diags: &mut Diagnostics,
) {
    let given: Vec<(&str, Span)> = inputs
        .and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .map(|e| (e.key.value.as_str(), e.key.span))
                .collect()
        })
        .unwrap_or_default();
    for (name, span) in &given {
        if called.inputs.iter().any(|i| i.name.value == *name) {
            continue;
        }
        let help = suggest::help_for(
            "input",
            name,
            called.inputs.iter().map(|i| i.name.value.as_str()),
        )
        .or_else(|| Some(format!("`{relative}` declares no inputs")));
        diags.push(
            Diagnostic::error(
                Code::UnknownInput,
                format!("the playbook `{relative}` has no input `{name}`"),
            )
            .label(*span, "unknown input")
            .with_help(help),
        );
    }
    for input in &called.inputs {
        let provided = given.iter().any(|(name, _)| *name == input.name.value);
        if provided || !input.is_required() || input.env.is_some() {
            continue;
        }
        diags.push(
            Diagnostic::error(
                Code::MissingParam,
                format!(
                    "the playbook `{relative}` needs the input `{}`",
                    input.name.value
                ),
            )
            .label(kind, format!("`{}` not given", input.name.value))
            .help(format!(
                "pass it under `inputs:`, e.g. `inputs: {{{}: \"{{{{inputs.{}}}}}\"}}`",
                input.name.value, input.name.value
            )),
        );
    }
}
