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
    // A missing `path` is reported as a missing parameter.
    let Some((path_node, inputs)) = call_of(params) else {
        return;
    };
    let Some(relative) = path_node.as_text().map(|t| t.value.clone()) else {
        return;
    };
    let base = std::path::Path::new(file.name())
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let target = base.join(&relative);
    let called = match crate::playbook_file::read(&target) {
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
    let (playbook, _) = crate::playbook_file::parse(&called, catalog, &mut called_diags);
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
    let hosts = super::host_inputs::of(&playbook, &target, &relative, catalog);
    super::host_inputs::check_given(&hosts, &relative, inputs, diags);
    if let Some(chain) = cycle_through(std::path::Path::new(file.name()), &target, catalog) {
        let shown: Vec<String> = chain
            .iter()
            .map(|p| format!("`{}`", tidy(p).display()))
            .collect();
        diags.push(
            Diagnostic::error(
                Code::PlaybookCycle,
                format!(
                    "calling `{relative}` never ends: the calls go {}",
                    shown.join(" -> ")
                ),
            )
            .label(path_node.span, "this call comes back around")
            .help(format!(
                "each playbook in a cycle would call the next until memory runs out (at run time calls stop at depth {MAX_CALL_DEPTH}); \
                 move the shared steps into a playbook that calls none of them"
            )),
        );
    }
}

/// A path with `dir/..` pairs and `.` removed, as a reader would write it.
fn tidy(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// How deep `playbook` steps may nest at run time, for calls `check` cannot
/// follow (a path from an input): deeper calls fail.
pub const MAX_CALL_DEPTH: usize = 16;

/// The `path` and `inputs` of a `playbook` step's parameters (a bare path
/// or a mapping).
fn call_of(params: &Node) -> Option<(&Node, Option<&Node>)> {
    match &params.value {
        Value::Str(_) => Some((params, None)),
        Value::Map(_) => params.get("path").map(|path| (path, params.get("inputs"))),
        _ => None,
    }
}

/// The `inputs` a `playbook` step's parameters give, if any.
pub fn inputs_given(params: &Node) -> Option<&Node> {
    call_of(params)?.1
}

/// The path a `playbook` step calls, as written, when it is known before
/// the run (not a template).
pub fn static_call_path(params: &Node) -> Option<&str> {
    let text = call_of(params)?.0.as_text()?.value.as_str();
    (!text.contains("{{")).then_some(text)
}

/// The playbook files a playbook calls, with paths as it writes them
/// joined to its directory. Calls whose path is a template are skipped:
/// they are known only at run time.
fn calls_in(path: &std::path::Path, catalog: &dyn Catalog) -> Vec<std::path::PathBuf> {
    let Ok(file) = crate::playbook_file::read(path) else {
        return Vec::new();
    };
    let mut diags = Diagnostics::new();
    let Some(playbook) = crate::playbook_file::parse(&file, catalog, &mut diags).0 else {
        return Vec::new();
    };
    let base = path.parent().unwrap_or(std::path::Path::new(""));
    playbook
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            crate::ast::Action::Kind { name, params }
                if catalog
                    .kind(&name.value)
                    .is_some_and(|k| k.capabilities.calls_playbook) =>
            {
                static_call_path(params).map(|text| base.join(text))
            }
            _ => None,
        })
        .collect()
}

/// The first chain of calls, starting with `caller` calling `target`, that
/// comes back to a file already in it: the chain, ending with the file it
/// comes back to. Files are compared by their canonical path; at most
/// [`MAX_FILES_FOLLOWED`] files are read.
fn cycle_through(
    caller: &std::path::Path,
    target: &std::path::Path,
    catalog: &dyn Catalog,
) -> Option<Vec<std::path::PathBuf>> {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let mut chain = vec![(caller.to_path_buf(), canonical(caller)?)];
    let mut done = std::collections::HashSet::new();
    let mut budget = MAX_FILES_FOLLOWED;
    follow(
        target,
        &mut chain,
        &mut done,
        &mut budget,
        catalog,
        &canonical,
    )
}

/// Files read at most while looking for a cycle of calls.
const MAX_FILES_FOLLOWED: usize = 256;

/// Depth-first search for [`cycle_through`]: `chain` is the current path of
/// calls, `done` the files whose calls lead to no cycle.
fn follow(
    next: &std::path::Path,
    chain: &mut Vec<(std::path::PathBuf, std::path::PathBuf)>,
    done: &mut std::collections::HashSet<std::path::PathBuf>,
    budget: &mut usize,
    catalog: &dyn Catalog,
    canonical: &dyn Fn(&std::path::Path) -> Option<std::path::PathBuf>,
) -> Option<Vec<std::path::PathBuf>> {
    let key = canonical(next)?;
    if let Some(at) = chain.iter().position(|(_, k)| *k == key) {
        let mut cycle: Vec<_> = chain[at..].iter().map(|(p, _)| p.clone()).collect();
        cycle.push(next.to_path_buf());
        return Some(cycle);
    }
    if done.contains(&key) || *budget == 0 {
        return None;
    }
    *budget -= 1;
    chain.push((next.to_path_buf(), key.clone()));
    for called in calls_in(next, catalog) {
        if let Some(cycle) = follow(&called, chain, done, budget, catalog, canonical) {
            return Some(cycle);
        }
    }
    chain.pop();
    done.insert(key);
    None
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
