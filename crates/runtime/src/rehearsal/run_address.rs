//! Addresses of the rehearsed run, from and to the scenario's: an address
//! a scenario writes made canonical for the run (labels become positions,
//! as the run addresses each element's called run, `CALL[INDEX]`), and a
//! run's address written back as the scenario names it (positions become
//! labels), so that what a report says can be pasted into the scenario.

use super::element_address::{parse, selects, Selector};
use super::scenario::Expect;
use super::verdict::Rehearsed;
use runbook_dsl::Spanned;

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
                            "the loop `{}` had no element `{label}` (its elements: {})",
                            named(&out, run),
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

/// The address of a step of the rehearsed run as a scenario names it:
/// each element's run by its label where it has one, quoted when it must
/// be ([`written`]), so a report can be pasted back into the scenario
/// (`region[0].restart[2].leave` -> `region[us].restart[web-3].leave`);
/// the inverse of [`canonical`].
pub fn named(address: &str, run: &Rehearsed) -> String {
    crate::element_address::renamed(address, |at, i| {
        run.items
            .get(at)
            .and_then(|elements| elements.iter().find(|e| e.index == i))
            .map(|e| e.label.clone())
            // `each[""]` names no element: by position then.
            .filter(|label| !label.is_empty())
            .map_or(Selector::Index(i), Selector::Label)
    })
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
