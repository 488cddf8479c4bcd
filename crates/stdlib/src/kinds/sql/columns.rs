//! The shape of a SQL step's rows, for `check`: a row is a mapping from
//! column name to value. When the query's select list is a plain list of
//! column names (`SELECT pid, state::text FROM pg_stat_activity`) the row
//! has exactly those columns, typed where a cast says how (`::text`,
//! `::int`, ...); anything else (`*`, a function call, a quoted name, a
//! `WITH`) is not guessed at, and a row is any mapping.

use crate::params::param;
use runbook_dsl::expr::{Record, Rest, Type};
use runbook_dsl::node::Node;
use std::borrow::Cow;

/// A row of a query whose columns are not known.
fn any_row() -> Type {
    Record::open(Some("row"), Vec::new()).into_type()
}

/// `rows`: a list of the query's rows.
pub fn rows(params: &Node) -> Type {
    let row = match columns(params) {
        Some(columns) => Record {
            name: None,
            fields: columns
                .into_iter()
                .map(|(n, t)| (Cow::Owned(n), t))
                .collect(),
            rest: Rest::Closed,
        }
        .into_type(),
        None => any_row(),
    };
    Type::List(Box::new(row))
}

/// `value`: the first column of the first row.
pub fn value(params: &Node) -> Type {
    columns(params)
        .and_then(|c| c.into_iter().next())
        .map_or(Type::Any, |(_, ty)| ty)
}

fn columns(params: &Node) -> Option<Vec<(String, Type)>> {
    let query = param(params, Some("query"), "query")?.scalar_string()?;
    select_list(&query)
}

/// The columns of `SELECT a, b::text AS c FROM ...`, or `None` when the
/// select list is not a plain list of (possibly cast and renamed) columns.
pub fn select_list(query: &str) -> Option<Vec<(String, Type)>> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let (first, rest) = words.split_first()?;
    if !first.eq_ignore_ascii_case("select") {
        return None;
    }
    let mut rest = rest;
    if rest.first().is_some_and(|w| w.eq_ignore_ascii_case("all")) {
        rest = &rest[1..];
    }
    let end = rest
        .iter()
        .position(|w| w.eq_ignore_ascii_case("from"))
        .unwrap_or(rest.len());
    let list = rest[..end].join(" ");
    let list = list.strip_suffix(';').unwrap_or(&list);
    if list.is_empty() || list.contains(['(', ')', '\'', '"', '*', '$', ';', '-', '/', '[']) {
        return None;
    }
    let mut columns: Vec<(String, Type)> = Vec::new();
    for item in list.split(',') {
        let (name, ty) = column(item)?;
        if columns.iter().any(|(n, _)| *n == name) {
            return None;
        }
        columns.push((name, ty));
    }
    Some(columns)
}

/// `schema.table.column`, `column::type`, then `AS alias` or `alias`.
fn column(item: &str) -> Option<(String, Type)> {
    let words: Vec<&str> = item.split_whitespace().collect();
    let (expr, alias) = match words.as_slice() {
        [expr] => (*expr, None),
        [expr, alias] => (*expr, Some(*alias)),
        [expr, r#as, alias] if r#as.eq_ignore_ascii_case("as") => (*expr, Some(*alias)),
        _ => return None,
    };
    let (path, cast) = match expr.split_once("::") {
        Some((path, cast)) => (path, Some(cast)),
        None => (expr, None),
    };
    let parts: Vec<&str> = path.split('.').collect();
    if !parts.iter().all(|p| identifier(p)) {
        return None;
    }
    let name = match alias {
        Some(alias) if identifier(alias) => alias,
        Some(_) => return None,
        None => parts.last()?,
    };
    let ty = match cast {
        Some(cast) => cast_type(cast)?,
        None => Type::Any,
    };
    Some((name.to_ascii_lowercase(), ty))
}

/// An unquoted identifier that names a column (not `true`, `null`, ...,
/// which are values whose column Postgres names after their type).
fn identifier(word: &str) -> bool {
    runbook_dsl::path::is_identifier(word)
        && !["true", "false", "null", "distinct", "as", "from"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k))
}

/// The value a cast to `ty` gives, as the step decodes it.
fn cast_type(ty: &str) -> Option<Type> {
    Some(match ty.to_ascii_lowercase().as_str() {
        "text" | "varchar" | "char" | "bpchar" | "name" | "uuid" | "timestamptz" | "timestamp"
        | "date" | "interval" | "inet" => Type::String,
        "int" | "integer" | "int2" | "int4" | "int8" | "smallint" | "bigint" | "oid" => Type::Int,
        "float4" | "float8" | "real" | "numeric" | "decimal" => Type::Float,
        "bool" | "boolean" => Type::Bool,
        "json" | "jsonb" => Type::Any,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(query: &str) -> Option<String> {
        select_list(query).map(|columns| {
            let parts: Vec<String> = columns.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            parts.join(", ")
        })
    }

    #[test]
    fn plain_select_lists_give_their_columns() {
        assert_eq!(
            shown(
                "SELECT pid, state::text, now_ms::bigint AS ms FROM pg_stat_activity WHERE x > 1"
            )
            .as_deref(),
            Some("pid: any, state: string, ms: int")
        );
        assert_eq!(
            shown("select t.Name, ok::boolean flag from tasks t").as_deref(),
            Some("name: any, flag: bool")
        );
        assert_eq!(shown("SELECT id;").as_deref(), Some("id: any"));
    }

    #[test]
    fn anything_else_is_not_guessed() {
        for query in [
            "SELECT * FROM tasks",
            "SELECT count(*) FROM tasks",
            "SELECT \"Name\" FROM tasks",
            "SELECT 'x' AS label",
            "SELECT true",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "SELECT DISTINCT state FROM tasks",
            "SELECT a, a FROM t",
            "SELECT a -- comment\nFROM t",
            "SELECT x::double precision FROM t",
            "UPDATE tasks SET state = 'done'",
            "SELECT $1",
            "",
        ] {
            assert_eq!(shown(query), None, "{query}");
        }
    }
}
