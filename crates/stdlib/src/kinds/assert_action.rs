//! Running an `assert` step: evaluate the expression over the values the
//! step reads; on failure, say which expression and what each value it read
//! actually was.

use runbook_dsl::expr::{self, Env, Expr, Lookup, Outcome};
use runbook_runtime::action::BoxFuture;
use runbook_runtime::render::Arg;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::{Map, Value};

/// The `assert` action.
pub struct Assert;

impl Action for Assert {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            let Some(Arg::Expr(that)) = ctx.args.get("that") else {
                return ActionResult::failure("`that` is missing");
            };
            let message = ctx.str_arg("message");
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

    fn describe(&self, ctx: &ActionContext) -> String {
        match ctx.args.get("that") {
            Some(Arg::Expr(e)) => format!("assert {e}"),
            _ => "assert".into(),
        }
    }

    fn primary_result(&self) -> &'static str {
        ""
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
    let mut seen = Vec::new();
    for path in that.paths() {
        let text = path.to_string();
        if seen.contains(&text) {
            continue;
        }
        let value = match ctx.scope.lookup(path) {
            Lookup::Known(v) => v.to_string(),
            Lookup::Unknown => "unknown".into(),
            Lookup::Missing => "missing".into(),
        };
        out.push_str(&format!("\n  {text} = {value}"));
        seen.push(text);
    }
    out
}
