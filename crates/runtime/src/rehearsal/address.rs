//! The steps a scenario names: `STEP` in the rehearsed playbook, or
//! `CALL.STEP` in the playbook its `playbook` step `CALL` calls (nested
//! calls: `OUTER.CALL.STEP`), the address `--approve`/`--answer` take in a
//! run ([`crate::operator::Nested`]). A rehearsal runs a called playbook for
//! real when the scenario gives the calling step no result, so its steps are
//! scripted (results, answers, gates) under those addresses.

use crate::called_plan::is_call;
use runbook_dsl::ast::Step;
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::suggest::help_for;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Spanned};
use std::sync::Arc;

/// A step found at an address: the playbook it is in, and its index there.
#[derive(Clone)]
pub struct Addressed {
    pub plan: Arc<Plan>,
    pub index: usize,
}

impl std::fmt::Debug for Addressed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Addressed({})", self.step().id.value)
    }
}

impl Addressed {
    pub fn step(&self) -> &Step {
        self.plan.step(self.index).0
    }
}

/// Finds the step at `id`, or says in `diags` (at `id`'s span, with the
/// closest address) why there is none.
pub fn resolve(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    id: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<Addressed> {
    resolve_chain(plan, catalog, id, diags).and_then(|mut chain| chain.pop())
}

/// Like [`resolve`], with every step on the way: for `CALL.INNER.STEP`,
/// `CALL` in the rehearsed playbook, `INNER` in the one it calls, and the
/// step itself.
pub fn resolve_chain(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    id: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<Vec<Addressed>> {
    let mut chain = Vec::new();
    let mut plan = plan.clone();
    // The address of the playbook searched so far (`CALL.`), and who calls it.
    let mut prefix = String::new();
    let mut parts = id.value.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(index) = plan.index_of(part) else {
            // The addresses it could have meant: with more to come, only
            // through the steps that call a playbook.
            let rest: Vec<&str> = parts.collect();
            let ids: Vec<String> = (0..plan.len())
                .filter(|&i| rest.is_empty() || is_call(&plan, i))
                .map(|i| plan.step(i).0)
                .map(|step| match rest.is_empty() {
                    true => format!("{prefix}{}", step.id.value),
                    false => format!("{prefix}{}.{}", step.id.value, rest.join(".")),
                })
                .collect();
            let message = match prefix.strip_suffix('.') {
                None => format!("the playbook has no step `{part}`"),
                Some(call) => format!(
                    "the playbook `{call}` calls ({}) has no step `{part}`",
                    plan.file().name()
                ),
            };
            diags.push(
                Diagnostic::error(Code::UnknownStep, message)
                    .label(id.span, "unknown step")
                    .with_help(help_for("step", &id.value, ids.iter().map(String::as_str))),
            );
            return None;
        };
        chain.push(Addressed {
            plan: plan.clone(),
            index,
        });
        if parts.peek().is_none() {
            return Some(chain);
        }
        let address = format!("{prefix}{part}");
        match crate::called_plan::called_plan(&plan, index, catalog) {
            Ok(child) => plan = child,
            Err(why) => {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownStep,
                        format!("`{}` cannot be scripted: {why}", id.value),
                    )
                    .label(id.span, format!("`{address}` calls no playbook to rehearse"))
                    .help(format!(
                        "`CALL.STEP` names a step of the playbook the `playbook` step `CALL` calls; script `{address}` itself under `steps:` instead"
                    )),
                );
                return None;
            }
        }
        prefix = format!("{address}.");
    }
    None
}
