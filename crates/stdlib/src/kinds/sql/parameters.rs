//! PostgreSQL binds parameters (`$1`) only in `SELECT`, `INSERT`,
//! `UPDATE`, `DELETE`, `MERGE`, `VALUES` and `CALL`: in any other
//! statement (`ALTER ROLE ... CONNECTION LIMIT $1`, `CREATE`, `SET`) the
//! server answers "syntax error at or near $1", after the gate was passed.
//! `check` says so at the placeholder instead.

use sqlparser::ast::{Expr, Statement, Value, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

/// The first `$N` of `sql` that sits in a statement PostgreSQL does not bind
/// parameters in, with that statement's name (`ALTER ROLE`).
pub fn unbindable(sql: &str) -> Option<(String, String)> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    statements.iter().find_map(|statement| {
        let inner = match statement {
            Statement::Explain { statement, .. } => statement.as_ref(),
            other => other,
        };
        if binds(inner) {
            return None;
        }
        let mut found = Placeholders::default();
        let _ = inner.visit(&mut found);
        found
            .first
            .map(|placeholder| (placeholder, super::classify::statement_name(inner)))
    })
}

/// Whether PostgreSQL binds parameters in `statement`.
fn binds(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update { .. }
            | Statement::Delete(_)
            | Statement::Merge { .. }
            | Statement::Call(_)
            | Statement::Declare { .. }
    )
}

#[derive(Default)]
struct Placeholders {
    first: Option<String>,
}

impl Visitor for Placeholders {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Value(v) = expr {
            if let Value::Placeholder(name) = &v.value {
                if name.starts_with('$') {
                    self.first = Some(name.clone());
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_in_utility_statements_are_found() {
        assert_eq!(
            unbindable("ALTER ROLE app CONNECTION LIMIT $1"),
            Some(("$1".into(), "ALTER ROLE".into()))
        );
        assert_eq!(unbindable("SELECT * FROM t WHERE id = $1"), None);
        assert_eq!(unbindable("UPDATE t SET a = $2 WHERE id = $1"), None);
        assert_eq!(unbindable("SELECT pg_terminate_backend($1)"), None);
        assert_eq!(unbindable("ALTER ROLE app CONNECTION LIMIT 20"), None);
    }
}
