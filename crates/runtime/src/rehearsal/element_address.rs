//! Addresses in a scenario that name one element's called run of a loop over
//! a `playbook` step: `CALL[INDEX].STEP` (`each[1].first`) or
//! `CALL[LABEL].STEP` (`each[web-2].first`; in quotes, any label:
//! `each["80"].first` for a label that is a number, `each["a\"].b"].first`),
//! nested as `OUTER[0].CALL[web-2].STEP`. Without a selector, `CALL.STEP`
//! names the step in any element's run (reached when one element reached
//! it; scripted for every element). Under `steps:`, `answers:` and
//! `gates:` they script that element's run ([`super::element_scripts`]).
//!
//! Checked before any scenario runs (the address's steps, that a selected
//! step is a loop, and, when the scenario makes the list known, that the
//! element is in it, with its labels as did-you-mean), then made canonical
//! for the run that was rehearsed ([`super::run_address`]).

use super::address::{resolve_chain, Addressed};
use super::elements::{check_element, ElementRef};
use super::prepare::{scripted_labels, Prepared};
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Spanned};
use std::sync::Arc;

pub use crate::element_address::{
    parse, selector_text, selects, unselected, written, Part, Selector,
};

/// `text` as a YAML scalar that reads back as itself where a hint puts it
/// (a key under `steps:`, an item of a block list): as it is when that is
/// safe, else in single quotes, or in double quotes (JSON's escapes, which
/// YAML reads) when it holds a control character.
pub fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.[]/@+".contains(c) || c == ':')
        && !text.contains(": ")
        && !text.ends_with(':')
        && !text.starts_with(['[', ']', '-', ':']);
    if plain {
        text.to_string()
    } else if text.chars().any(char::is_control) {
        serde_json::Value::from(text).to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// `text` with each address in backticks that names the same loops as
/// `parts` given their selectors back, as `as_written` has them.
fn reselected(text: &str, as_written: &str, parts: &[Part]) -> String {
    let mut out = String::new();
    for (n, piece) in text.split('`').enumerate() {
        if n > 0 {
            out.push('`');
        }
        let ids: Vec<&str> = piece.split('.').collect();
        // An address of the same steps as far as they select elements.
        let inside = n % 2 == 1
            && ids.len() == parts.len()
            && piece != as_written
            && ids
                .iter()
                .zip(parts)
                .all(|(id, part)| part.element.is_none() || *id == part.id);
        if !inside {
            out.push_str(piece);
            continue;
        }
        let with: Vec<Part> = ids
            .iter()
            .zip(parts)
            .map(|(id, part)| Part {
                id: id.to_string(),
                element: part.element.clone(),
            })
            .collect();
        out.push_str(&written(&with));
    }
    out
}

/// Checks an address a scenario names under `steps:`, `answers:`,
/// `gates:` or `expect:` (`STEP`, `CALL.STEP`, `CALL[SEL].STEP`) and gives
/// the step found at each of its parts. Under `gates:` (`gate`),
/// `STEP[SEL]` also names the gate of one element of a loop asked per
/// element (`approval_per_item`): `clean[1]: reject`.
pub fn resolve_address(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    id: &Spanned<String>,
    gate: bool,
    diags: &mut Diagnostics,
) -> Option<Vec<Addressed>> {
    if !selects(&id.value) {
        return resolve_chain(plan, catalog, id, diags);
    }
    let shape = "address one element's run of a loop over a `playbook` step as `CALL[INDEX].STEP` or `CALL[LABEL].STEP`, any label in quotes with `\\\"` and `\\\\` escaped (`CALL[\"we]ird\"].STEP`); quote the whole address in a YAML flow list: `[\"each[1].first\"]`";
    let parts = match parse(&id.value) {
        Ok(parts) => parts,
        Err(why) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` is not an address: {why}", id.value),
                )
                .label(id.span, "not an address")
                .help(shape),
            );
            return None;
        }
    };
    let mut unresolved = Diagnostics::new();
    let Some(chain) = resolve_chain(
        plan,
        catalog,
        &Spanned::new(unselected(&parts), id.span),
        &mut unresolved,
    ) else {
        // "did you mean `each.ping`?" for `each[0].pnig`: `each[0].ping`.
        diags.extend(unresolved.into_iter().map(|mut diagnostic| {
            diagnostic.message = reselected(&diagnostic.message, &id.value, &parts);
            diagnostic.help = diagnostic
                .help
                .map(|help| reselected(&help, &id.value, &parts));
            diagnostic
        }));
        return None;
    };
    let mut ok = true;
    let last = parts.len() - 1;
    for (at, (part, step)) in parts.iter().zip(&chain).enumerate() {
        let looped = step.plan.step_plan(step.index).iteration.is_some();
        let asks_per_element = || {
            step.plan
                .step(step.index)
                .0
                .for_each
                .as_ref()
                .is_some_and(|f| f.approval_per_item())
        };
        let calls = step.plan.step_plan(step.index).capabilities.calls_playbook;
        let problem = match (&part.element, looped) {
            // The gate of one element, under `gates:`.
            (Some(_), true) if at == last && gate && asks_per_element() => None,
            (Some(_), false) => Some((
                format!("`{}` is not a `for_each` step: it has no elements to address", part.id),
                if calls && at < last {
                    format!("write `{}.STEP` for the step of the playbook it calls", part.id)
                } else {
                    format!("write `{}` alone", part.id)
                },
            )),
            (Some(_), true) if at == last => Some((
                format!("`{}` selects an element of `{}` and names no step in its run", id.value, part.id),
                if gate {
                    format!("an element's own gate is decided under `gates:` only in a loop with `approval_per_item: true`; `{}` asks one gate for all its elements: decide it as `{}`", part.id, part.id)
                } else {
                    format!("an element of a loop is addressed to name a step of its called playbook (`{}[1].STEP`); expect the elements' states under `loops:`", part.id)
                },
            )),
            (None, true) if at < last => Some((
                format!("`{}` runs once per element: `{}` selects an element of one loop and not of this one", part.id, id.value),
                format!("select an element of every loop on the way (`{}[0]....`), or of none (`CALL.STEP` is reached when any element reaches it)", part.id),
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            diags.push(
                Diagnostic::error(Code::InvalidValue, message)
                    .label(id.span, "cannot be addressed so")
                    .help(help),
            );
            ok = false;
            continue;
        }
        let Some(selector) = &part.element else {
            continue;
        };
        // The element must be in the list, when the scenario makes it known.
        if let Some(labels) = scripted_labels(plan, step, catalog, prepared) {
            let element = ElementRef {
                index: match selector {
                    Selector::Index(i) => Some(Spanned::new(*i, id.span)),
                    Selector::Label(_) => None,
                },
                label: match selector {
                    Selector::Label(l) => Some(Spanned::new(l.clone(), id.span)),
                    Selector::Index(_) => None,
                },
                span: id.span,
            };
            let mut found = Diagnostics::new();
            check_element(&part.id, &element, &labels, &mut found);
            ok &= found.is_empty();
            diags.extend(found.into_iter().map(|mut diagnostic| {
                diagnostic.help = diagnostic
                    .help
                    .map(|help| closest_address(&help, &parts, at));
                diagnostic
            }));
        }
    }
    ok.then_some(chain)
}

/// The help of a label no element has, `did you mean `web-1`? (its
/// elements: ...)`, with the closest label as the whole address that
/// selects it at part `at` (in quotes when it needs them), so it can be
/// written back as it is.
fn closest_address(help: &str, parts: &[Part], at: usize) -> String {
    let Some((label, rest)) = help.strip_prefix("did you mean `").and_then(|h| {
        h.rfind("`? (its elements: ")
            .map(|end| (&h[..end], &h[end..]))
    }) else {
        return help.to_string();
    };
    let mut named = parts.to_vec();
    named[at].element = Some(Selector::Label(label.to_string()));
    format!("did you mean `{}{rest}", written(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hint's address as YAML reads back as the same text.
    #[test]
    fn yaml_scalars_read_back() {
        for text in [
            "each[web-2].x",
            "each[10.0.0.1:5432].ping",
            r#"each["we]ird.label"].x"#,
            r#"each["a #b"].x"#,
            r#"each["it's"].x"#,
            "each[\"tab\there\"].x",
            "each[ünï].x",
            "each[a: b].x",
        ] {
            // Read as a scenario file is.
            let yaml = format!("steps:\n  {}: succeeded\n", yaml_scalar(text));
            let file = runbook_dsl::SourceFile::new("s.yaml", yaml.clone());
            let mut diags = Diagnostics::new();
            let root = runbook_dsl::yaml::parse(&file, &mut diags).expect(&yaml);
            let steps = root.get("steps").and_then(|s| s.as_map()).expect(&yaml);
            assert_eq!(steps[0].key.value, text, "{yaml}");
        }
        assert_eq!(yaml_scalar("each[web-2].x"), "each[web-2].x");
    }
}
