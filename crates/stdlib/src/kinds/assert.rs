//! `assert`: fail the run, with the expression and the values it saw, when
//! something that must hold does not ("the queue is drained"). Running it
//! evaluates the expression over the values the step reads; on failure, it
//! says which expression and what each value it read actually was.

use super::NO_RESULT;
use runbook_dsl::catalog::{Capabilities, DescribesItself, KindSchema, ParamSchema, ParamType};
use runbook_dsl::expr::{self, Expr, Outcome};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `assert` kind. `that` is an [`ParamType::Expr`], checked at `check`
/// time like a `when`, so a typo in it is caught before the incident; it is
/// not a value, so the kind reads it with [`ActionContext::expr`].
pub struct Assert;

#[derive(Deserialize)]
pub struct Params {
    message: Option<String>,
}

impl Kind for Assert {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        KindSchema {
            name: "assert",
            summary: "Fail unless an expression holds, showing the values it saw.",
            params: vec![
                ParamSchema::required(
                    "that",
                    ParamType::Expr,
                    "Boolean expression that must hold, such as `steps.health.status == 200`.",
                ),
                ParamSchema::optional(
                    "message",
                    ParamType::Template,
                    "What the failure means for the operator, shown above the expression and its values.",
                ),
            ],
            shorthand: Some("that"),
            results: vec![],
            primary_result: NO_RESULT,
            default_effect: super::reads,
            effect_doc: "`read`: it evaluates an expression over results already captured.",
            rules: runbook_dsl::catalog::no_rules,
            capabilities: Capabilities {
                pure: true,
                assertion: Some("that"),
                describes_itself: DescribesItself::With("message"),
                ..Capabilities::default()
            },
        }
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let Some(that) = ctx.expr("that") else {
                return ActionResult::failure("`that` is missing");
            };
            let message = params.message.as_deref();
            match expr::eval(that, &ctx.scope) {
                Ok(Outcome::Known(Value::Bool(true))) => ActionResult::success(Map::new()),
                // Only in a dry-run: it reads results of steps that did not run.
                Ok(Outcome::Unknown) => ActionResult::undecided(explain(
                    that,
                    "cannot be decided in a dry-run",
                    message,
                    ctx,
                )),
                Ok(outcome) => {
                    let verdict = match outcome {
                        Outcome::Unknown => "cannot be decided",
                        _ => "does not hold",
                    };
                    ActionResult::failure(explain(that, verdict, message, ctx))
                }
                Err(e) => {
                    ActionResult::failure(format!("assertion `{that}` cannot be evaluated: {e}"))
                }
            }
        })
    }

    fn describe(&self, _: &Params, ctx: &ActionContext) -> String {
        match ctx.expr("that") {
            Some(e) => format!("assert {e}"),
            None => "assert".into(),
        }
    }
}

/// `assertion failed: steps.a.n > 3`, then `steps.a.n = 1` per value read.
fn explain(that: &Expr, verdict: &str, message: Option<&str>, ctx: &ActionContext) -> String {
    let mut out = String::new();
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push_str(": ");
    }
    out.push_str(&format!("assertion `{that}` {verdict}"));
    for (path, value) in expr::values_read(that, &ctx.scope) {
        out.push_str(&format!("\n  {path} = {value}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::text;
    use runbook_dsl::ast::Effect;

    #[test]
    fn asserting_reads() {
        let that = text("steps.pods.count > 0");
        assert_eq!((Assert.schema().default_effect)(&that), Effect::Read);
    }
}
