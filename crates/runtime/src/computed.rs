//! Computed values (`vars:`) at run time: each is computed the first time a
//! step needs it (just before that step's `when`), from the run's scope, in
//! the order the checker gave (a value after those it reads). The runner
//! journals each known value, and a resume restores it, so the rest of the
//! run sees the value the first part saw (`now()` included).

use crate::scope::{Scope, VarValue};
use runbook_dsl::expr::{self, Outcome};
use runbook_dsl::plan::Plan;
use serde_json::Value;

/// A value computed now: its name, its value, whether a secret flows into it.
pub struct Computed {
    pub name: String,
    pub value: Value,
    pub secret: bool,
}

/// Computes the values `wanted` (indices into `plan.vars()`) that were not
/// computed yet, into `scope`; returns the known ones, to journal.
pub fn compute(plan: &Plan, wanted: &[usize], scope: &mut Scope) -> Vec<Computed> {
    let mut computed = Vec::new();
    for &v in wanted {
        let Some(var) = plan.vars().get(v) else {
            continue;
        };
        if scope.has_var(&var.name) {
            continue;
        }
        let value = match expr::eval(&var.expr, &*scope) {
            Ok(Outcome::Known(value)) => {
                computed.push(Computed {
                    name: var.name.clone(),
                    value: value.clone(),
                    secret: var.uses_secret,
                });
                VarValue::Known(value)
            }
            Ok(Outcome::Unknown) => VarValue::Unknown,
            Err(error) => VarValue::Failed(error.message),
        };
        scope.set_var(&var.name, value);
    }
    computed
}
