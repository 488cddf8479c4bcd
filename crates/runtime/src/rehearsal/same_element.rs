//! Two entries of a scenario that script the same element's step: one by
//! the element's label and one by its position (`each[web-2].restore_db`,
//! `each[1].restore_db`), or one label written bare and in quotes. Which
//! one answered would depend on their order, so it is an error in the
//! scenario file, found where the scenario makes the loop's list known;
//! where it does not, the rehearsal reports it when an element's run
//! meets both ([`super::script::Missing::Conflict`]).

use super::address::Addressed;
use super::element_address::{Part, Selector};
use super::prepare::{scripted_labels, Prepared};
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Spanned};
use std::sync::Arc;

/// An entry: its address as written, read, and the step at each part.
pub(super) type Entry<'a> = (&'a Spanned<String>, &'a [Part], &'a [Addressed]);

/// Reports each entry that names an element's step an earlier entry names.
pub(super) fn same_element_twice(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    entries: &[Entry<'_>],
    under: &str,
    diags: &mut Diagnostics,
) {
    for (n, (id, parts, chain)) in entries.iter().enumerate() {
        if parts.iter().all(|p| p.element.is_none()) {
            continue;
        }
        let same = |other: &[Part]| {
            other.len() == parts.len()
                && parts
                    .iter()
                    .zip(other)
                    .zip(chain.iter())
                    .all(|((a, b), step)| {
                        a.id == b.id && same_element(plan, catalog, prepared, step, a, b)
                    })
        };
        let Some((earlier, ..)) = entries[..n].iter().find(|(_, other, _)| same(other)) else {
            continue;
        };
        diags.push(
            Diagnostic::error(
                Code::DuplicateKey,
                format!(
                    "`{}` and `{}` under {under} name the same element's step",
                    earlier.value, id.value
                ),
            )
            .label(id.span, "the same element's step again")
            .label(earlier.span, "named here first")
            .help("script an element's step once, by its label or by its position (a scenario replaces an entry shared by every scenario by writing the same key); the `CALL.STEP` entry scripts the other elements"),
        );
    }
}

/// Whether two parts select the same element of the loop `step` (or
/// neither selects one): the same selector, or a position and the label
/// the element there has in the list the scenario makes known.
fn same_element(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    step: &Addressed,
    a: &Part,
    b: &Part,
) -> bool {
    match (&a.element, &b.element) {
        (None, None) => true,
        (Some(x), Some(y)) if x == y => true,
        (Some(Selector::Index(i)), Some(Selector::Label(label)))
        | (Some(Selector::Label(label)), Some(Selector::Index(i))) => {
            scripted_labels(plan, step, catalog, prepared)
                .is_some_and(|labels| labels.get(*i) == Some(label))
        }
        _ => false,
    }
}
