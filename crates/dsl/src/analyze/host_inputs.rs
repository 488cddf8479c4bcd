//! Only an input may choose where a request goes (the start or the host of
//! an `http` URL, of a connection URL): a step's result there is a check
//! error. A called playbook's URL may start with one of its inputs, so the
//! rule holds through a call only if the caller gives that input from its
//! own inputs (or writes it out), never from a step's result, a computed
//! value or a loop's element (a label scraped from Prometheus).

use crate::ast::{Action, Playbook};
use crate::catalog::{Catalog, ParamType};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::Node;
use crate::template::{self, encode};
use std::collections::BTreeSet;

/// The inputs of `called` that choose where one of its requests goes.
pub(super) fn of(called: &Playbook, catalog: &dyn Catalog) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for step in &called.steps {
        let Action::Kind { name, params } = &step.action else {
            continue;
        };
        let Some(schema) = catalog.kind(&name.value) else {
            continue;
        };
        for param in &schema.params {
            let ParamType::Encoded(encoding) = &param.ty else {
                continue;
            };
            let node = match params.as_map() {
                Some(_) => params.get(param.name),
                None if schema.shorthand == Some(param.name) => Some(params),
                None => None,
            };
            let Some(text) = node.and_then(Node::as_text) else {
                continue;
            };
            if let Ok(parsed) = template::parse(text) {
                found.extend(encode::host_inputs(*encoding, &parsed));
            }
        }
    }
    found
}

/// Refuses a value given to one of `hosts` that reads anything but the
/// caller's own inputs.
pub(super) fn check_given(
    hosts: &BTreeSet<String>,
    relative: &str,
    inputs: Option<&Node>,
    diags: &mut Diagnostics,
) {
    let Some(entries) = inputs.and_then(Node::as_map) else {
        return;
    };
    for entry in entries.iter().filter(|e| hosts.contains(&e.key.value)) {
        let Some(text) = entry.value.as_text() else {
            continue;
        };
        let Ok(parsed) = template::parse(text) else {
            continue;
        };
        for insertion in parsed.insertions() {
            let paths = match &insertion.expr {
                Some(expr) => expr.paths(),
                None => vec![&insertion.path],
            };
            if paths.iter().all(|p| p.starts_with(&["inputs"])) {
                continue;
            }
            let name = &entry.key.value;
            diags.push(
                Diagnostic::error(
                    Code::UrlInsertion,
                    format!(
                        "the input `{name}` of `{relative}` chooses where its requests go, so it cannot come from `{}`",
                        insertion.subject()
                    ),
                )
                .label(insertion.span, "this value would choose the host")
                .label(entry.key.span, format!("`{relative}` starts a URL with `inputs.{name}`"))
                .help("give it from one of this playbook's inputs (`{{inputs.base_url}}`) or write it out; to probe hosts a step found, insert them in a URL's path or query, or run a `shell` step with `curl`"),
            );
        }
    }
}
