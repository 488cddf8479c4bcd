//! What a SQL statement does to the database, read off its parse tree
//! (`sqlparser`, PostgreSQL dialect): one classification for the checker's
//! default effect, for what a dry-run may execute, and for what a write's
//! preview may run in a transaction that is rolled back.
//!
//! It is an allow-list: a statement reads only if it is a query, `SHOW` or
//! `EXPLAIN` and every function it calls is one known to change nothing.
//! Anything else (an unknown function, a statement kind not listed, a
//! statement the parser cannot read) is a write, because the cost of a false
//! "read" is a dry-run that changes production.

use runbook_dsl::ast::Effect;
use sqlparser::ast::{
    Expr, ObjectName, Query, SetExpr, Statement, TableFactor, UtilityOption, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

use super::read_only_functions::READ_ONLY_FUNCTIONS;

/// What running a statement does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Only reads: safe to run in a dry-run, in a read-only transaction.
    Read,
    /// `INSERT`, `UPDATE` or `DELETE` of plain values, calling no function
    /// outside the allow-list: a rolled-back transaction undoes it, unless a
    /// table it touches has a trigger, a rule or a sequence default (checked
    /// on the server before a preview, see [`Classified::tables`]).
    PlainWrite,
    /// Anything else, with the reason, for the dry-run to say why it did not
    /// run the statement.
    Write(String),
}

/// A statement's class and the tables it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub class: Class,
    /// Every table or view the statement names, as written (`pgboss.job`).
    pub tables: Vec<String>,
}

impl Classified {
    /// The step's default effect: `read` only for [`Class::Read`].
    pub fn effect(&self) -> Effect {
        match self.class {
            Class::Read => Effect::Read,
            _ => Effect::Write,
        }
    }
}

/// Classifies `sql` (one statement or several separated by `;`).
pub fn classify(sql: &str) -> Classified {
    let statements = match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(s) => s,
        Err(e) => {
            return Classified {
                // Valid SQL the parser does not know (`CHECKPOINT`) lands here
                // too: say what runbook cannot tell, not that it is wrong.
                class: Class::Write(format!(
                    "runbook's SQL reader does not know this statement, so it cannot tell what it would change ({e})"
                )),
                tables: Vec::new(),
            };
        }
    };
    if statements.is_empty() {
        return Classified {
            class: Class::Write("there is no statement".into()),
            tables: Vec::new(),
        };
    }
    let mut walk = Walk::default();
    for statement in &statements {
        let top = match statement {
            // `EXPLAIN` without `ANALYZE` plans and does not execute.
            Statement::Explain {
                analyze,
                statement: inner,
                options,
                ..
            } => {
                if !*analyze && !analyzes(options.as_deref()) {
                    continue;
                }
                inner.as_ref()
            }
            other => other,
        };
        walk.top = Some(top_kind(top));
        let _ = top.visit(&mut walk);
    }
    let class = match walk.write {
        Some(reason) => Class::Write(reason),
        None if walk.dml => {
            if statements.len() == 1 {
                Class::PlainWrite
            } else {
                Class::Write("several statements, one of them a change".into())
            }
        }
        None => Class::Read,
    };
    Classified {
        class,
        tables: walk.tables,
    }
}

/// Whether `EXPLAIN (...)` options ask for `ANALYZE`, which executes.
fn analyzes(options: Option<&[UtilityOption]>) -> bool {
    options
        .unwrap_or_default()
        .iter()
        .any(|o| o.name.value.eq_ignore_ascii_case("analyze"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Top {
    Read,
    Dml,
    Other,
}

fn top_kind(statement: &Statement) -> Top {
    match statement {
        Statement::Query(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. } => Top::Read,
        Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) => Top::Dml,
        _ => Top::Other,
    }
}

/// The first word or two of a statement, to name it in a reason.
pub(super) fn statement_name(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER"
            ) =>
        {
            format!("{first} {second}").to_ascii_uppercase()
        }
        [first, ..] => first.to_ascii_uppercase(),
        [] => "this".into(),
    }
}

/// Walks one statement's tree, noting the first reason it writes.
#[derive(Default)]
struct Walk {
    /// The kind of the top statement, until the walk visits it; a statement
    /// visited after it is nested (the DML of a writable CTE).
    top: Option<Top>,
    /// The first reason the statement writes.
    write: Option<String>,
    /// A top statement is an `INSERT`, `UPDATE` or `DELETE`.
    dml: bool,
    tables: Vec<String>,
}

impl Walk {
    fn writes(&mut self, reason: String) -> ControlFlow<()> {
        self.write.get_or_insert(reason);
        ControlFlow::Break(())
    }

    fn call(&mut self, name: &ObjectName) -> ControlFlow<()> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p.as_ident() {
                Some(ident) => ident.value.to_ascii_lowercase(),
                None => p.to_string(),
            })
            .collect();
        let known = match parts.as_slice() {
            [f] => READ_ONLY_FUNCTIONS.contains(&f.as_str()),
            [schema, f] if schema == "pg_catalog" => READ_ONLY_FUNCTIONS.contains(&f.as_str()),
            _ => false,
        };
        if known {
            ControlFlow::Continue(())
        } else {
            self.writes(format!("`{name}` is not known to be read-only"))
        }
    }
}

/// Whether a query body selects `INTO` a new table.
fn selects_into(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.into.is_some(),
        SetExpr::SetOperation { left, right, .. } => selects_into(left) || selects_into(right),
        _ => false,
    }
}

impl Visitor for Walk {
    type Break = ();

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        // The top statement was classified before the walk; nested ones
        // (the DML of a writable CTE) write.
        match self.top.take() {
            Some(Top::Read) => ControlFlow::Continue(()),
            Some(Top::Dml) => {
                self.dml = true;
                ControlFlow::Continue(())
            }
            Some(Top::Other) => self.writes(format!(
                "`{}` statements are not known to be read-only",
                statement_name(statement)
            )),
            None => self.writes(format!(
                "it contains a `{}` statement",
                statement_name(statement)
            )),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if !query.locks.is_empty() {
            return self.writes("`FOR UPDATE`/`FOR SHARE` locks rows".into());
        }
        if selects_into(&query.body) {
            return self.writes("`SELECT ... INTO` creates a table".into());
        }
        if matches!(
            *query.body,
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_)
        ) {
            return self.writes("a `WITH` query changes rows".into());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        let name = relation.to_string();
        if !self.tables.contains(&name) {
            self.tables.push(name);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. } => self.call(name),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(f) => self.call(&f.name),
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn reads(sql: &str) {
        assert_eq!(classify(sql).class, Class::Read, "{sql}");
    }

    #[track_caller]
    fn plain(sql: &str) {
        assert_eq!(classify(sql).class, Class::PlainWrite, "{sql}");
    }

    #[track_caller]
    fn writes(sql: &str) -> String {
        match classify(sql).class {
            Class::Write(reason) => reason,
            other => panic!("{sql} is {other:?}"),
        }
    }

    #[test]
    fn the_seed_diagnostics_read() {
        reads("SELECT COUNT(*), MAX(created_at) FROM sessions WHERE channel = 'email_pending';");
        reads("SELECT count(*) FROM pg_stat_activity");
        reads("SELECT name, state, COUNT(*) FROM pgboss.job GROUP BY name, state;");
        reads(
            "SELECT pid, now() - pg_stat_activity.query_start AS duration, query\n\
             FROM pg_stat_activity\n\
             WHERE state = 'active' AND now() - pg_stat_activity.query_start > interval '30 seconds';",
        );
        reads("SELECT * FROM pgboss.schedule WHERE name = 'tasks.reap_stuck'");
        reads(
            "SELECT id, status, updated_at FROM request WHERE status IN ('SUBMITTED', 'HUMAN_REVIEW') \
             AND updated_at < now() - make_interval(hours => $1::int) ORDER BY updated_at",
        );
        reads("SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp()");
        reads("SELECT current_setting('max_connections')::int, pg_catalog.pg_database_size('x')");
    }

    #[test]
    fn the_wal_directory_listings_read() {
        reads("SELECT (sum(size) / 1048576)::int AS mb FROM pg_ls_waldir()");
        reads(
            "SELECT count(*) FROM pg_catalog.pg_ls_archive_statusdir() WHERE name LIKE '%.ready'",
        );
        reads(
            "SELECT pg_walfile_name(pg_current_wal_lsn()), redo_lsn FROM pg_control_checkpoint()",
        );
    }

    #[test]
    fn queries_show_and_explain_read() {
        reads("  select 1");
        reads("\n\t-- how busy are we?\nSeLeCt 1");
        reads("SHOW max_connections");
        reads("EXPLAIN SELECT * FROM tasks");
        reads("EXPLAIN DELETE FROM tasks");
        reads("EXPLAIN ANALYZE SELECT * FROM tasks");
        reads("WITH recent AS (SELECT * FROM tasks LIMIT 10) SELECT count(*) FROM recent");
        reads("SELECT 1; SELECT 2;");
        reads("SELECT 'DELETE FROM tasks; SELECT pg_stat_reset()' AS advice");
        reads("SELECT $$ DROP TABLE tasks $$");
        reads("SELECT * FROM t WHERE id = $1");
        reads("SELECT replace(name, '-', '_') FROM tasks");
    }

    #[test]
    fn side_effecting_functions_write() {
        for sql in [
            "SELECT pg_drop_replication_slot('s')",
            "SELECT pg_stat_reset()",
            "SELECT pg_advisory_lock(1)",
            "SELECT nextval('task_id_seq')",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'",
            "SELECT pg_logical_emit_message(false, 'p', 'x')",
            "SELECT my_report()",
            "SELECT * FROM dblink('x', 'DELETE FROM t') AS t(a int)",
            "SELECT public.count(*) FROM t",
            "SELECT count(*) FROM t WHERE id = (SELECT setval('s', 1))",
        ] {
            let reason = writes(sql);
            assert!(
                reason.contains("not known to be read-only"),
                "{sql}: {reason}"
            );
        }
    }

    #[test]
    fn reads_that_change_things_write() {
        writes("WITH gone AS (DELETE FROM tasks RETURNING id) SELECT count(*) FROM gone");
        writes("with x as (update tasks set status = 'failed' returning *) select * from x");
        writes("SELECT * INTO backup_tasks FROM tasks");
        writes("SELECT * FROM tasks FOR UPDATE");
        writes("EXPLAIN ANALYZE SELECT pg_stat_reset()");
        writes("SELECT 1; DELETE FROM tasks");
        writes("COPY t TO PROGRAM 'touch /tmp/x'");
        writes("DO $$ BEGIN PERFORM pg_stat_reset(); END $$");
        writes("CALL reap_jobs()");
        writes("VACUUM ANALYZE tasks");
        writes("BEGIN");
        writes("SET statement_timeout = 0");
        writes("DROP TABLE tasks");
        writes("");
        writes("  -- only a comment\n");
        writes("SELEC 1");
    }

    #[test]
    fn a_statement_the_reader_does_not_know_is_not_called_broken() {
        let Class::Write(reason) = classify("CHECKPOINT").class else {
            panic!("CHECKPOINT is not known to be a read");
        };
        assert!(
            reason.starts_with("runbook's SQL reader does not know this statement"),
            "{reason}"
        );
    }

    #[test]
    fn plain_changes_can_be_previewed() {
        plain("UPDATE tasks SET status='failed' WHERE id=$1 AND status='running'");
        plain("DELETE FROM job WHERE note = 'pg_terminate_backend'");
        plain("INSERT INTO audit (at, what) VALUES (now(), $1)");
        // `EXPLAIN ANALYZE` executes the change: previewed like the change.
        plain("EXPLAIN ANALYZE DELETE FROM tasks");
        plain("EXPLAIN (ANALYZE) DELETE FROM tasks");
        writes("INSERT INTO t VALUES (nextval('s'))");
        writes("UPDATE t SET a = 1; UPDATE t SET a = 2");
        writes("UPDATE t SET a = f()");
        let c =
            classify("UPDATE pgboss.job SET state = 'failed' WHERE id IN (SELECT id FROM other)");
        assert_eq!(c.class, Class::PlainWrite);
        assert_eq!(c.tables, ["pgboss.job", "other"]);
    }
}
