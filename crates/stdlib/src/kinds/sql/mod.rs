//! `sql`: one SQL statement against PostgreSQL (the seeds' `pg_stat_activity`
//! and `pgboss.job` queries, a manual reap of a stuck task).
//!
//! `query` is deliberately not a template: values go in `params` and are bound
//! by the driver as `$1`, `$2`, ..., so an input can never change the
//! statement. The default effect is read off the statement itself, so that the
//! diagnostic queries of a runbook run in a dry-run and its fixes do not.
//!
//! The schema and the kind are here; running a statement in
//! [`statement`], the classification of statements in [`classify`] over
//! the allow-list in [`read_only_functions`].

pub mod classify;
mod columns;
mod connection;
mod identifiers;
mod normal_form;
mod parameters;
mod read_only_functions;
mod statement;

pub use read_only_functions::READ_ONLY_FUNCTIONS;

use crate::params::param;
use classify::classify;
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{
    Capabilities, KindSchema, NormalForm, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::encode::Encoding;
use runbook_dsl::node::Node;
use runbook_dsl::Code;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::Value;

/// A query is compared by `diff` in its normal form.
const QUERY_FORM: NormalForm = NormalForm {
    param: "query",
    shorthand: true,
    of: normal_form::normal_form,
};

/// The `sql` kind.
pub struct Sql;

#[derive(Clone, Deserialize)]
pub struct Params {
    query: String,
    #[serde(default)]
    params: Vec<Value>,
    #[serde(default)]
    identifiers: serde_json::Map<String, Value>,
    url: Option<String>,
    read_only: Option<bool>,
}

impl Kind for Sql {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move {
            match named(params) {
                Ok(params) => statement::execute_step(params, ctx).await,
                Err(e) => ActionResult::failure(e),
            }
        })
    }

    fn preview<'a>(
        &'a self,
        params: Params,
        ctx: &'a ActionContext,
    ) -> Option<BoxFuture<'a, ActionResult>> {
        Some(Box::pin(async move {
            match named(params) {
                Ok(params) => statement::preview(params, ctx).await,
                Err(e) => ActionResult::failure(e),
            }
        }))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        match named(params.clone()) {
            Ok(params) => statement::describe(&params),
            Err(_) => statement::describe(params),
        }
    }
}

/// The parameters with the names of `identifiers` in the statement, each
/// one quoted identifier; the classification and the server see that text.
fn named(mut params: Params) -> Result<Params, String> {
    if params.identifiers.is_empty() && identifiers::placeholders(&params.query).is_empty() {
        return Ok(params);
    }
    params.query = identifiers::substitute(&params.query, &params.identifiers)?;
    Ok(params)
}

const EFFECT: &str = "`read` when the statement, parsed as PostgreSQL, is a query \
(`SELECT`, `WITH`, `VALUES`, `TABLE`), `SHOW` or `EXPLAIN` without `ANALYZE`, takes no row \
locks (`FOR UPDATE`), creates no table (`SELECT ... INTO`), has no `INSERT`/`UPDATE`/`DELETE` \
inside, and calls only functions of the allow-list of read-only functions (`count`, `now`, \
`pg_is_in_recovery`, `current_setting`, `pg_database_size`, ...; see the `sql` section below); \
`write` otherwise, and also when the statement cannot be parsed. `read_only: true` does not \
make a statement `read`: a read-only transaction does not stop `pg_stat_reset()` or \
`pg_terminate_backend()`.";

fn schema() -> KindSchema {
    KindSchema {
        name: "sql",
        summary: "Run a SQL statement against PostgreSQL and capture the rows.",
        params: vec![
            ParamSchema::required(
                "query",
                ParamType::String,
                "The statement, with `$1`, `$2`, ... for values and `:\"name\"` for a name given in `identifiers`; not a template, so nothing can be spliced in.",
            ),
            ParamSchema::optional(
                "params",
                ParamType::List(Box::new(ParamType::Template)),
                "Values bound to `$1`, `$2`, ... by the driver, in order.",
            ),
            ParamSchema::optional(
                "identifiers",
                ParamType::Map(Box::new(ParamType::Template)),
                "Names (a table, a schema, an index) for the `:\"name\"` placeholders of `query`, each inserted as one quoted identifier (`VACUUM (ANALYZE) :\"table\"` with `{table: \"{{t.relname}}\"}`); empty, over 63 bytes or holding a NUL fails the step.",
            ),
            ParamSchema::optional(
                "url",
                ParamType::Encoded(Encoding::ServiceUrl),
                "Connection URL (`postgresql://user@host/db`), usually a secret input; default `$DATABASE_URL`.",
            ),
            ParamSchema::optional(
                "read_only",
                ParamType::Bool,
                "Run in a read-only transaction, so the server refuses writes to tables; does not make the step `read`.",
            ),
        ],
        shorthand: Some("query"),
        results: vec![
            ResultField::new(
                "rows",
                ValueType::List,
                "The rows returned, each a map from column name to value; only the first ones when they pass the output cap (then `truncated` is true and `row_count` still counts them all). Typed `list<row>`, or by column when the select list is a plain list of columns (see \"What the elements look like\").",
            )
            .shaped(columns::rows),
            ResultField::new(
                "row_count",
                ValueType::Int,
                "Rows returned, or for a write, rows affected.",
            ),
            ResultField::new(
                "value",
                ValueType::Any,
                "First column of the first row; unset when no row was returned.",
            )
            .shaped(columns::value),
            crate::capped::truncated_field(),
        ],
        primary_result: "rows",
        default_effect,
        effect_doc: EFFECT,
        rules,
        capabilities: Capabilities {
            credentials: &["url"],
            normal_form: Some(&QUERY_FORM),
            ..Capabilities::default()
        },
    }
}

/// Every `:"name"` of the query has an entry in `identifiers`, and every
/// entry is used: a name left out would fail the step at run time, and an
/// entry no placeholder reads is a typo or a leftover.
fn rules(params: &Node) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    let Some(query) = param(params, Some("query"), "query").and_then(Node::as_text) else {
        return problems;
    };
    if let Some((placeholder, statement)) =
        parameters::unbindable(&identifiers::neutral(query.as_str()))
    {
        // The placeholder as written: `$1` not followed by another digit.
        let text = query.as_str();
        let at = text
            .match_indices(placeholder.as_str())
            .map(|(i, _)| i)
            .find(|&i| !text[i + placeholder.len()..].starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(0);
        problems.push(ParamProblem {
            code: Code::InvalidParam,
            span: query.file_span(at, at + placeholder.len()),
            message: format!(
                "PostgreSQL takes no parameters in `{statement}`: the server would answer `syntax error at or near \"{placeholder}\"`"
            ),
            label: "not bound in this statement".into(),
            help: "parameters are bound only in SELECT, INSERT, UPDATE, DELETE, MERGE and CALL: write the value into the query (`CONNECTION LIMIT 20`), or have a function run the statement (`EXECUTE format('ALTER ROLE %I CONNECTION LIMIT %s', ...)`) and call it with `SELECT f($1)`".into(),
        });
    }
    let found = identifiers::placeholders(query.as_str());
    let given = param(params, None, "identifiers")
        .and_then(Node::as_map)
        .unwrap_or(&[]);
    for placeholder in &found {
        if !given.iter().any(|e| e.key.value == placeholder.name) {
            problems.push(ParamProblem {
                code: Code::InvalidParam,
                span: query.file_span(placeholder.at.start, placeholder.at.end),
                message: format!("`:\"{}\"` names no entry of `identifiers`", placeholder.name),
                label: "no name given for it".into(),
                help: match runbook_dsl::suggest::did_you_mean(
                    &placeholder.name,
                    given.iter().map(|e| e.key.value.as_str()),
                ) {
                    Some(close) => format!("did you mean `:\"{close}\"`?"),
                    None => format!(
                        "add `identifiers: {{{}: \"...\"}}` to the step: the value is inserted as one quoted identifier",
                        placeholder.name
                    ),
                },
            });
        }
    }
    for entry in given {
        if !found.iter().any(|p| p.name == entry.key.value) {
            problems.push(ParamProblem {
                code: Code::InvalidParam,
                span: entry.key.span,
                message: format!(
                    "the identifier `{}` is not used by the statement",
                    entry.key.value
                ),
                label: "no `:\"name\"` reads it".into(),
                help: format!(
                    "write `:\"{}\"` in `query` where the name goes (outside quotes and comments), or remove the entry",
                    entry.key.value
                ),
            });
        } else if let Some(literal) = entry.value.as_text().filter(|t| !t.as_str().contains("{{")) {
            if let Err(why) = identifiers::quote(
                &entry.key.value,
                &serde_json::Value::String(literal.as_str().to_string()),
            ) {
                problems.push(ParamProblem {
                    code: Code::InvalidParam,
                    span: entry.value.span,
                    message: why,
                    label: "not a usable name".into(),
                    help: format!(
                        "a PostgreSQL name is 1 to {} bytes",
                        identifiers::MAX_IDENTIFIER
                    ),
                });
            }
        }
    }
    problems
}

/// The same classification decides what a dry-run executes
/// ([`classify`]); `read_only` does not lower the effect, since a
/// read-only transaction does not stop `pg_stat_reset()` or
/// `pg_terminate_backend()`.
fn default_effect(params: &Node) -> Effect {
    match param(params, Some("query"), "query").and_then(Node::as_text) {
        Some(query) => classify(&identifiers::neutral(query.as_str())).effect(),
        None => Effect::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{boolean, map, text};

    #[test]
    fn effect_from_parameters() {
        let effect = schema().default_effect;
        assert_eq!(effect(&text("SELECT 1")), Effect::Read);
        assert_eq!(effect(&text("DELETE FROM t")), Effect::Write);
        assert_eq!(
            effect(&map(vec![("query", text("SELECT 1"))])),
            Effect::Read
        );
        assert_eq!(
            effect(&map(vec![("query", text("DELETE FROM t"))])),
            Effect::Write
        );
        assert_eq!(effect(&map(vec![])), Effect::Write);
    }

    #[test]
    fn a_read_only_transaction_does_not_make_a_side_effect_a_read() {
        let effect = schema().default_effect;
        for query in ["SELECT pg_stat_reset()", "SELECT f()", "CALL f()"] {
            let params = map(vec![("query", text(query)), ("read_only", boolean(true))]);
            assert_eq!(effect(&params), Effect::Write, "{query}");
        }
        let params = map(vec![
            ("query", text("SELECT count(*) FROM t")),
            ("read_only", boolean(true)),
        ]);
        assert_eq!(effect(&params), Effect::Read);
    }
}
