//! The built-in step kinds of runbook.
//!
//! Each kind lives in its own file under [`kinds`] and declares what the
//! checker needs to know about it: its parameters (so `runbook check` can
//! validate a step's parameters with spans), its results (so expressions and
//! outputs that read `steps.ID.NAME` are checked), and its default effect (so
//! dry-run and approval gates know what a step does when the author did not
//! say). Kinds that can run also have an action (`kinds/<kind>_action.rs`,
//! listed in [`actions`]).
//!
//! `manual`, `ask` and `branch`/`triage` are not here: they are constructs of
//! the language itself (see `docs/language.md`), not catalog kinds.

pub mod actions;
mod captured;
pub mod kinds;
mod params;
pub mod process;
pub mod program;
pub mod reference;
pub mod watchdog;
pub mod web;

pub use reference::reference_markdown;

use runbook_dsl::catalog::KindList;
use std::sync::OnceLock;

/// A fresh catalog of every built-in kind.
///
/// Prefer [`builtin`] in the binary; this exists for callers that want to add
/// kinds of their own to the list (tests, embedders).
pub fn catalog() -> KindList {
    KindList::new(kinds::ALL.iter().map(|b| (b.schema)()).collect())
}

/// The built-in catalog, built once per process: every command of the binary
/// (check, run, doc, ...) consults it, and the schemas never change at run time.
pub fn builtin() -> &'static KindList {
    static BUILTIN: OnceLock<KindList> = OnceLock::new();
    BUILTIN.get_or_init(catalog)
}

#[cfg(test)]
mod testing;

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::catalog::Catalog;

    #[test]
    fn every_kind_is_in_the_catalog_once_and_self_consistent() {
        let catalog = catalog();
        let mut names = catalog.kind_names();
        assert_eq!(names.len(), kinds::ALL.len());
        for schema in catalog.iter() {
            testing::assert_consistent(schema);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds::ALL.len(), "duplicate kind names");
    }

    #[test]
    fn language_constructs_are_not_catalog_kinds() {
        for construct in ["manual", "ask", "branch", "triage"] {
            assert!(builtin().kind(construct).is_none(), "{construct}");
        }
    }

    #[test]
    fn builtin_is_built_once() {
        assert!(std::ptr::eq(builtin(), builtin()));
        assert!(builtin().kind("shell").is_some());
    }
}
