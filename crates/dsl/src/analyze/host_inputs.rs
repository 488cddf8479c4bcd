//! Only an input may choose where a request goes (the start or the host of
//! an `http` URL, of a connection URL): a step's result there is a check
//! error. A called playbook's URL may start with one of its inputs, so the
//! rule holds through a call only if the caller gives that input from its
//! own inputs (or writes it out), never from a step's result, a computed
//! value or a loop's element (a label scraped from Prometheus). A called
//! playbook that passes one of its inputs on to such an input of a playbook
//! it calls makes that input choose the host too, however deep the calls go.

use crate::ast::{Action, Playbook};
use crate::catalog::{Catalog, ParamType};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node};
use crate::template::{self, encode, Insertion};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The inputs of a called playbook that choose where one of its requests
/// goes, each with why: the label shown at the caller's value.
pub(super) type HostInputs = BTreeMap<String, String>;

/// The inputs of `called` (read from `path`, shown as `relative`) that
/// choose where one of its requests goes, directly or through the
/// playbooks it calls.
pub(super) fn of(
    called: &Playbook,
    path: &Path,
    relative: &str,
    catalog: &dyn Catalog,
) -> HostInputs {
    let mut seen = HashSet::new();
    let mut budget = MAX_FILES_FOLLOWED;
    gather(called, path, relative, catalog, &mut seen, &mut budget)
}

/// Files read at most while following calls for host inputs.
const MAX_FILES_FOLLOWED: usize = 256;

fn gather(
    called: &Playbook,
    path: &Path,
    relative: &str,
    catalog: &dyn Catalog,
    seen: &mut HashSet<PathBuf>,
    budget: &mut usize,
) -> HostInputs {
    let mut found = HostInputs::new();
    if let Ok(key) = std::fs::canonicalize(path) {
        seen.insert(key);
    }
    for step in &called.steps {
        let Action::Kind { name, params } = &step.action else {
            continue;
        };
        let Some(schema) = catalog.kind(&name.value) else {
            continue;
        };
        if schema.capabilities.calls_playbook {
            passed_on(params, path, relative, catalog, seen, budget, &mut found);
            continue;
        }
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
                for name in encode::host_inputs(*encoding, &parsed) {
                    found.entry(name.clone()).or_insert_with(|| {
                        format!("`{relative}` starts a URL with `inputs.{name}`")
                    });
                }
            }
        }
    }
    found
}

/// The inputs of the calling playbook that a call (`params` of a
/// `playbook` step in the file at `path`) passes on to a host input of the
/// playbook it calls.
fn passed_on(
    params: &Node,
    path: &Path,
    relative: &str,
    catalog: &dyn Catalog,
    seen: &mut HashSet<PathBuf>,
    budget: &mut usize,
    found: &mut HostInputs,
) {
    let Some(deeper_relative) = super::subplaybook::static_call_path(params) else {
        return;
    };
    let deeper_path = path.parent().unwrap_or(Path::new("")).join(deeper_relative);
    let Ok(key) = std::fs::canonicalize(&deeper_path) else {
        return;
    };
    if seen.contains(&key) || *budget == 0 {
        return;
    }
    *budget -= 1;
    let Ok(file) = crate::playbook_file::read(&deeper_path) else {
        return;
    };
    let mut diags = Diagnostics::new();
    let Some(deeper) = crate::playbook_file::parse(&file, catalog, &mut diags).0 else {
        return;
    };
    let hosts = gather(
        &deeper,
        &deeper_path,
        deeper_relative,
        catalog,
        seen,
        budget,
    );
    seen.remove(&key);
    given_to_hosts(
        super::subplaybook::inputs_given(params),
        &hosts,
        |entry, why, insertion| {
            let paths = insertion.paths();
            let names = paths
                .iter()
                .filter(|p| p.starts_with(&["inputs"]))
                .filter_map(|p| p.key(1));
            for name in names {
                found.entry(name.to_string()).or_insert_with(|| {
                    format!(
                        "`{relative}` passes `inputs.{name}` on as `{}`, and {why}",
                        entry.key.value
                    )
                });
            }
        },
    );
}

/// Visits each insertion of a value `inputs` gives to one of `hosts`, with
/// its entry and why that input chooses the host.
fn given_to_hosts(
    inputs: Option<&Node>,
    hosts: &HostInputs,
    mut visit: impl FnMut(&Entry, &str, &Insertion),
) {
    let Some(entries) = inputs.and_then(Node::as_map) else {
        return;
    };
    for entry in entries {
        let Some(why) = hosts.get(&entry.key.value) else {
            continue;
        };
        let Some(parsed) = entry.value.as_text().and_then(|t| template::parse(t).ok()) else {
            continue;
        };
        for insertion in parsed.insertions() {
            visit(entry, why, insertion);
        }
    }
}

/// Refuses a value given to one of `hosts` that reads anything but the
/// caller's own inputs.
pub(super) fn check_given(
    hosts: &HostInputs,
    relative: &str,
    inputs: Option<&Node>,
    diags: &mut Diagnostics,
) {
    given_to_hosts(inputs, hosts, |entry, why, insertion| {
        if insertion.paths().iter().all(|p| p.starts_with(&["inputs"])) {
            return;
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
            .label(entry.key.span, why.to_string())
            .help("give it from one of this playbook's inputs (`{{inputs.base_url}}`) or write it out; to probe hosts a step found, insert them in a URL's path or query, or run a `shell` step with `curl`"),
        );
    });
}
