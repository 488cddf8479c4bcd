//! Addresses in `expect:` that name one element's called run of a loop over
//! a `playbook` step: `CALL[INDEX].STEP` (`each[1].first`) or
//! `CALL[LABEL].STEP` (`each[web-2].first`, `each["80"].first` for a label
//! that is a number), nested as `OUTER[0].CALL[web-2].STEP`. Without a
//! selector, `CALL.STEP` names the step in any element's run (reached when
//! one element reached it).
//!
//! Checked before any scenario runs (the address's steps, that a selected
//! step is a loop, and, when the scenario makes the list known, that the
//! element is in it, with its labels as did-you-mean), then made canonical
//! for the run that was rehearsed: labels become positions, as the run
//! addresses each element's called run (`CALL[INDEX]`).

use super::address::{resolve_chain, Addressed};
use super::elements::{check_element, ElementRef};
use super::prepare::{scripted_labels, Prepared};
use super::scenario::Expect;
use super::verdict::Rehearsed;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Spanned};
use std::sync::Arc;

/// One step of an address, and which element of it when it is a loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub id: String,
    pub element: Option<Selector>,
}

/// Which element: by position or by label.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    Index(usize),
    Label(String),
}

/// Whether an address selects an element anywhere.
pub fn selects(address: &str) -> bool {
    address.contains('[')
}

/// Reads `A[SEL].B.C[SEL].D`. A selector ends at the first `]` followed by
/// `.` or the end, so a label may hold `.` (`each[10.0.0.1:9100].probe`);
/// digits are a position, `"..."` a label written in quotes.
pub fn parse(address: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = address;
    loop {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let id = &rest[..end];
        if id.is_empty() {
            return Err("a step id is missing".into());
        }
        rest = &rest[end..];
        let mut element = None;
        if let Some(open) = rest.strip_prefix('[') {
            let close = open
                .match_indices(']')
                .map(|(at, _)| at)
                .find(|&at| open[at + 1..].is_empty() || open[at + 1..].starts_with('.'))
                .ok_or_else(|| format!("the `[` after `{id}` is never closed"))?;
            let selector = &open[..close];
            element = Some(match selector.parse::<usize>() {
                Ok(index) => Selector::Index(index),
                Err(_) => {
                    let label = selector
                        .strip_prefix('"')
                        .and_then(|l| l.strip_suffix('"'))
                        .unwrap_or(selector);
                    if label.is_empty() {
                        return Err(format!("`{id}[]` names no element"));
                    }
                    Selector::Label(label.to_string())
                }
            });
            rest = &open[close + 1..];
        }
        parts.push(Part {
            id: id.to_string(),
            element,
        });
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None if rest.is_empty() => return Ok(parts),
            None => return Err(format!("expected `.` after `{id}`")),
        }
    }
}

/// `text` with each address in backticks that names the same loops as
/// `parts` given their selectors back, as `written` has them.
fn reselected(text: &str, written: &str, parts: &[Part]) -> String {
    let mut out = String::new();
    for (n, piece) in text.split('`').enumerate() {
        if n > 0 {
            out.push('`');
        }
        let ids: Vec<&str> = piece.split('.').collect();
        // An address of the same steps as far as they select elements.
        let inside = n % 2 == 1
            && ids.len() == parts.len()
            && piece != written
            && ids
                .iter()
                .zip(parts)
                .all(|(id, part)| part.element.is_none() || *id == part.id);
        if !inside {
            out.push_str(piece);
            continue;
        }
        let with: Vec<String> = ids
            .iter()
            .zip(parts)
            .map(|(id, part)| match &part.element {
                Some(Selector::Index(i)) => format!("{id}[{i}]"),
                Some(Selector::Label(l)) => format!("{id}[{l}]"),
                None => id.to_string(),
            })
            .collect();
        out.push_str(&with.join("."));
    }
    out
}

/// The address with no element selected: `CALL.STEP`.
fn unselected(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// Checks an address `expect:` names (`STEP`, `CALL.STEP`,
/// `CALL[SEL].STEP`) and gives the step found at each of its parts.
pub fn resolve_expected(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    id: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<Vec<Addressed>> {
    if !selects(&id.value) {
        return resolve_chain(plan, catalog, id, diags);
    }
    let shape = "address one element's run of a loop over a `playbook` step as `CALL[INDEX].STEP` or `CALL[LABEL].STEP` (quote the whole address in a YAML flow list: `[\"each[1].first\"]`)";
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
        let problem = match (&part.element, looped) {
            (Some(_), _) if at == last => Some((
                format!("`{}` selects an element of `{}` and names no step in its run", id.value, part.id),
                format!("an element of a loop is addressed to name a step of its called playbook (`{}[1].STEP`); expect the elements' states under `loops:`", part.id),
            )),
            (Some(_), false) => Some((
                format!("`{}` is not a `for_each` step: it has no elements to address", part.id),
                format!("write `{}.STEP` for the step of the playbook it calls", part.id),
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
            let before = diags.len();
            check_element(&part.id, &element, &labels, diags);
            ok &= diags.len() == before;
        }
    }
    ok.then_some(chain)
}

/// The address as the rehearsed run wrote it: every label replaced by the
/// element's position (`each[web-2].first` -> `each[1].first`). An error
/// names the label no element of the run had, and the elements it had.
pub fn canonical(address: &str, run: &Rehearsed) -> Result<String, String> {
    if !selects(address) {
        return Ok(address.to_string());
    }
    let parts = parse(address)?;
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&part.id);
        let index = match part.element {
            None => continue,
            Some(Selector::Index(i)) => i,
            Some(Selector::Label(label)) => {
                let elements = run.items.get(&out).map(Vec::as_slice).unwrap_or_default();
                match elements.iter().find(|e| e.label == label) {
                    Some(e) => e.index,
                    None => {
                        let had: Vec<String> = elements
                            .iter()
                            .map(|e| format!("[{}] {}", e.index, e.label))
                            .collect();
                        return Err(format!(
                            "the loop `{out}` had no element `{label}` (its elements: {})",
                            if had.is_empty() {
                                "none".into()
                            } else {
                                had.join(", ")
                            }
                        ));
                    }
                }
            }
        };
        out = format!("{out}[{index}]");
    }
    Ok(out)
}

/// `expect` with every address that selects an element made canonical for
/// the run; the addresses that cannot be, each with why, are left out.
pub fn canonical_expect(expect: &Expect, run: &Rehearsed) -> (Expect, Vec<(String, String)>) {
    let mut unknown = Vec::new();
    let mut fix = |ids: &[Spanned<String>]| -> Vec<Spanned<String>> {
        ids.iter()
            .filter_map(|id| match canonical(&id.value, run) {
                Ok(address) => Some(Spanned::new(address, id.span)),
                Err(why) => {
                    unknown.push((id.value.clone(), why));
                    None
                }
            })
            .collect()
    };
    let mut out = expect.clone();
    out.path = expect
        .path
        .as_ref()
        .map(|p| Spanned::new(fix(&p.value), p.span));
    out.ran = fix(&expect.ran);
    out.skipped = fix(&expect.skipped);
    let branches: Vec<Spanned<String>> = expect.branches.iter().map(|(b, _)| b.clone()).collect();
    let fixed = fix(&branches);
    out.branches = expect
        .branches
        .iter()
        .filter_map(|(b, target)| {
            let at = branches.iter().position(|x| x.value == b.value)?;
            let address = fixed.iter().find(|f| f.span == branches[at].span)?;
            Some((address.clone(), target.clone()))
        })
        .collect();
    (out, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str, element: Option<Selector>) -> Part {
        Part {
            id: id.into(),
            element,
        }
    }

    #[test]
    fn addresses_select_elements_by_position_or_label() {
        assert_eq!(
            parse("each[1].first").unwrap(),
            vec![part("each", Some(Selector::Index(1))), part("first", None)]
        );
        assert_eq!(
            parse("each[10.0.0.1:9100].probe").unwrap(),
            vec![
                part("each", Some(Selector::Label("10.0.0.1:9100".into()))),
                part("probe", None)
            ]
        );
        assert_eq!(
            parse("outer[0].each[\"80\"].x").unwrap(),
            vec![
                part("outer", Some(Selector::Index(0))),
                part("each", Some(Selector::Label("80".into()))),
                part("x", None)
            ]
        );
        assert_eq!(
            parse("a.b").unwrap(),
            vec![part("a", None), part("b", None)]
        );
        for bad in ["each[1.first", "each[].x", ".x", "each[1]x", "a..b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
