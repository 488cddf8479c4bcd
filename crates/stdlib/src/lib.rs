//! The built-in step kinds of runbook.
//!
//! Each kind lives in its own module under [`kinds`], one [`Kind`] that
//! declares what the checker needs to know about it (its parameters, so
//! `runbook check` can validate a step's parameters with spans; its
//! results, so expressions and outputs that read `steps.ID.NAME` are
//! checked; its default effect, so dry-run and approval gates know what a
//! step does when the author did not say; its capabilities) and what a
//! step of it does. [`kinds::ALL`] lists them once for both.
//!
//! `manual`, `ask` and `branch`/`triage` are not here: they are constructs of
//! the language itself (see `docs/language.md`), not catalog kinds.

mod capped;
mod captured;
pub mod kinds;
mod params;
pub mod process;
pub mod program;
pub mod reference;
pub mod signals;
pub mod spawn;
pub mod watchdog;
pub mod web;

pub use reference::reference_markdown;

use runbook_dsl::catalog::KindList;
use runbook_runtime::action::{Execute, Executors};
use runbook_runtime::Kinds;
use std::sync::{Arc, OnceLock};

/// A fresh list of every built-in kind, for callers that add kinds of
/// their own to it ([`Kinds::with`]: tests, embedders).
pub fn kinds() -> Kinds {
    Kinds::new(kinds::ALL.to_vec())
}

/// The built-in kinds, built once per process: every command of the
/// binary (check, run, doc, ...) consults them, and they never change at
/// run time.
pub fn builtin_kinds() -> &'static Kinds {
    static BUILTIN: OnceLock<Kinds> = OnceLock::new();
    BUILTIN.get_or_init(kinds)
}

/// The built-in catalog: the schemas of [`builtin_kinds`].
pub fn builtin() -> &'static KindList {
    builtin_kinds().catalog()
}

/// A fresh catalog of every built-in kind.
pub fn catalog() -> KindList {
    kinds().catalog().clone()
}

/// The built-in kinds as the runner finds them.
pub struct Builtins;

impl Executors for Builtins {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>> {
        builtin_kinds().executor(kind)
    }
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
