//! A step kind in one place: what the checker knows of it (its
//! [`KindSchema`]: parameters, results, default effect, capabilities) and
//! what a step of it does, with its parameters typed.
//!
//! A kind implements [`Kind`]; a [`Kinds`] list is both the
//! checker's catalog and the runner's [`Executors`], so a kind that is
//! checked is a kind that runs, and the list is the only place a kind is
//! registered (`crates/stdlib/src/kinds/mod.rs::ALL` for the built-in ones).

use crate::action::{ActionContext, ActionResult, BoxFuture, Execute, Executors};
use crate::arguments::{Arg, Args};
use runbook_dsl::catalog::{Catalog, KindSchema};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A step kind: its schema and its execution, over typed parameters.
///
/// The parameters are deserialised once per execution from the rendered
/// values (templates filled in, shell insertions quoted), which the checker
/// has already held against the schema; a kind does not read them back by
/// name. An expression parameter (`ParamType::Expr`) is not a value: a kind
/// that evaluates one reads it with [`ActionContext::expr`].
pub trait Kind: Send + Sync + 'static {
    /// The parameters, as a serde struct whose fields are the schema's
    /// parameters (a duration is a [`std::time::Duration`]).
    type Params: DeserializeOwned + Send;

    /// What the checker, `doc`, `lint`, `plan` and the runner know of it.
    fn schema(&self) -> KindSchema;

    /// Runs once (the runner repeats it for `retry` and `until`).
    fn run<'a>(
        &'a self,
        params: Self::Params,
        ctx: &'a ActionContext,
    ) -> BoxFuture<'a, ActionResult>;

    /// One line saying what [`Kind::run`] would do with these parameters,
    /// for a dry-run and for approval prompts (`sh -c 'kubectl delete ...'`).
    fn describe(&self, params: &Self::Params, ctx: &ActionContext) -> String;

    /// [`Kind::describe`] completed with what the server holds now, for an
    /// approval prompt and a dry-run (see [`Execute::describe_now`]); it
    /// reads, never changes. The default is `describe`.
    fn describe_now<'a>(
        &'a self,
        params: Self::Params,
        ctx: &'a ActionContext,
    ) -> BoxFuture<'a, String> {
        let line = self.describe(&params, ctx);
        Box::pin(async move { line })
    }

    /// A native preview of a `write` or `destructive` step for a dry-run
    /// (see [`Execute::preview`]); `None`, the default, when the kind has none.
    fn preview<'a>(
        &'a self,
        _params: Self::Params,
        _ctx: &'a ActionContext,
    ) -> Option<BoxFuture<'a, ActionResult>> {
        None
    }
}

/// A kind in a list, its parameters not yet typed: what [`Kinds`] holds.
pub trait AnyKind: Execute {
    fn schema(&self) -> KindSchema;
}

impl<K: Kind> AnyKind for K {
    fn schema(&self) -> KindSchema {
        Kind::schema(self)
    }
}

/// A kind of a list, as the runner asks for it.
struct Listed(&'static dyn AnyKind);

impl Execute for Listed {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        self.0.run(ctx)
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        self.0.describe(ctx)
    }

    fn describe_now<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, String> {
        self.0.describe_now(ctx)
    }

    fn preview<'a>(&'a self, ctx: &'a ActionContext) -> Option<BoxFuture<'a, ActionResult>> {
        self.0.preview(ctx)
    }
}

impl<K: Kind> Execute for K {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        match params::<K::Params>(&ctx.args) {
            Ok(params) => Kind::run(self, params, ctx),
            Err(e) => Box::pin(async move { ActionResult::failure(e) }),
        }
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        match params::<K::Params>(&ctx.args) {
            Ok(params) => Kind::describe(self, &params, ctx),
            Err(e) => e,
        }
    }

    fn describe_now<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, String> {
        match params::<K::Params>(&ctx.args) {
            Ok(params) => Kind::describe_now(self, params, ctx),
            Err(e) => Box::pin(async move { e }),
        }
    }

    fn preview<'a>(&'a self, ctx: &'a ActionContext) -> Option<BoxFuture<'a, ActionResult>> {
        Kind::preview(self, params::<K::Params>(&ctx.args).ok()?, ctx)
    }
}

/// Typed parameters from the rendered ones. Values deserialise as they
/// are; a duration as a [`std::time::Duration`]; expressions are left out.
pub fn params<P: DeserializeOwned>(args: &Args) -> Result<P, String> {
    let mut map = Map::new();
    for (name, arg) in args {
        let value = match arg {
            Arg::Value(v) => v.clone(),
            Arg::Duration(d) => serde_json::json!({"secs": d.as_secs(), "nanos": d.subsec_nanos()}),
            Arg::Expr(_) => continue,
        };
        map.insert(name.clone(), value);
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| format!("invalid parameters: {e}"))
}

/// A list of kinds, each given once: the checker's catalog (its schemas,
/// built once) and the runner's actions. The built-in list is
/// `runbook_stdlib::builtin()`; a test or an embedder builds its own.
#[derive(Clone)]
pub struct Kinds {
    catalog: runbook_dsl::catalog::KindList,
    kinds: Vec<&'static dyn AnyKind>,
}

impl Kinds {
    pub fn new(kinds: Vec<&'static dyn AnyKind>) -> Kinds {
        Kinds {
            catalog: runbook_dsl::catalog::KindList::new(
                kinds.iter().map(|k| k.schema()).collect(),
            ),
            kinds,
        }
    }

    /// The schemas, for `check` and every command that reads a plan.
    pub fn catalog(&self) -> &runbook_dsl::catalog::KindList {
        &self.catalog
    }

    /// This list and more kinds after it.
    pub fn with(&self, more: &[&'static dyn AnyKind]) -> Kinds {
        Kinds::new(self.kinds.iter().chain(more).copied().collect())
    }
}

impl Executors for Kinds {
    fn executor(&self, kind: &str) -> Option<Arc<dyn Execute>> {
        let i = self.catalog.iter().position(|schema| schema.name == kind)?;
        Some(Arc::new(Listed(self.kinds[i])))
    }
}

impl Catalog for Kinds {
    fn kind(&self, name: &str) -> Option<&KindSchema> {
        self.catalog.kind(name)
    }

    fn kind_names(&self) -> Vec<&str> {
        self.catalog.kind_names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::time::Duration;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        text: String,
        count: Option<i64>,
        every: Option<Duration>,
    }

    fn args(entries: Vec<(&str, Arg)>) -> Args {
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn parameters_are_typed_from_the_rendered_values() {
        let text = runbook_dsl::node::Text::verbatim("1 == 1", runbook_dsl::Span::default());
        let expr = runbook_dsl::expr::parse(&text).expect("an expression");
        let got: Sample = params(&args(vec![
            ("text", Arg::Value(Value::from("$(id) `x` ';'"))),
            ("every", Arg::Duration(Duration::from_millis(1500))),
            // An expression is the kind's to evaluate, not a value.
            ("that", Arg::Expr(expr)),
            // A parameter the struct does not name is not its business.
            ("extra", Arg::Value(Value::from(1))),
        ]))
        .expect("typed");
        assert_eq!(
            got,
            Sample {
                text: "$(id) `x` ';'".into(),
                count: None,
                every: Some(Duration::from_millis(1500)),
            }
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_naming_it() {
        let err = params::<Sample>(&args(vec![
            ("text", Arg::Value(Value::from("x"))),
            ("count", Arg::Value(Value::from("many"))),
        ]))
        .expect_err("not a number");
        assert!(err.starts_with("invalid parameters: "), "{err}");
        let err = params::<Sample>(&Args::new()).expect_err("text is required");
        assert!(err.contains("`text`"), "{err}");
    }
}
