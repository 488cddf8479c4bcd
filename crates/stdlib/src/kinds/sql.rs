//! `sql`: one SQL statement against PostgreSQL (the seeds' `pg_stat_activity`
//! and `pgboss.job` queries, a manual reap of a stuck task).
//!
//! `query` is deliberately not a template: values go in `params` and are bound
//! by the driver as `$1`, `$2`, ..., so an input can never change the
//! statement. The default effect is read off the statement itself, so that the
//! diagnostic queries of a runbook run in a dry-run and its fixes do not.

use crate::params::{is_true, param};
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{KindSchema, ParamSchema, ParamType, ResultField};
use runbook_dsl::node::Node;

pub const EFFECT: &str = "`read` when `read_only: true` (the statement runs in a read-only \
transaction, so the server refuses to write), or when every statement starts with `SELECT`, \
`SHOW`, `EXPLAIN` or `WITH` and none contains `INSERT`, `UPDATE`, `DELETE`, `MERGE`, \
`TRUNCATE`, DDL, `INTO`, `COPY`, `CALL` or a known side-effecting function such as \
`pg_terminate_backend` or `nextval` (comments, strings and quoted names are skipped); \
`write` otherwise. So `SELECT ... FOR UPDATE` and `EXPLAIN ANALYZE DELETE` are `write`. \
Declare `effect: write` on a `SELECT` that calls a function of your own with side effects.";

/// The `sql` kind.
pub fn schema() -> KindSchema {
    KindSchema {
        name: "sql",
        summary: "Run a SQL statement against PostgreSQL and capture the rows.",
        params: vec![
            ParamSchema::required(
                "query",
                ParamType::String,
                "The statement, with `$1`, `$2`, ... for values; not a template, so nothing can be spliced in.",
            ),
            ParamSchema::optional(
                "params",
                ParamType::List(Box::new(ParamType::Template)),
                "Values bound to `$1`, `$2`, ... by the driver, in order.",
            ),
            ParamSchema::optional(
                "url",
                ParamType::Template,
                "Connection URL (`postgresql://user@host/db`), usually a secret input; default `$DATABASE_URL`.",
            ),
            ParamSchema::optional(
                "read_only",
                ParamType::Bool,
                "Run in a read-only transaction, so the server refuses any write; makes the step `read`.",
            ),
        ],
        shorthand: Some("query"),
        results: vec![
            ResultField::new(
                "rows",
                ValueType::List,
                "The rows returned, each a map from column name to value.",
            ),
            ResultField::new(
                "row_count",
                ValueType::Int,
                "Rows returned, or for a write, rows affected.",
            ),
            ResultField::new(
                "value",
                ValueType::Any,
                "First column of the first row; unset when no row was returned.",
            ),
        ],
        primary_result: "rows",
        default_effect,
        rules: runbook_dsl::catalog::no_rules,
    }
}

fn default_effect(params: &Node) -> Effect {
    if is_true(params, "read_only") {
        return Effect::Read;
    }
    match param(params, Some("query"), "query").and_then(Node::as_text) {
        Some(query) => classify(query.as_str()),
        None => Effect::Write,
    }
}

/// Statements that can only read, by their first word.
const READ_STARTS: &[&str] = &["SELECT", "SHOW", "EXPLAIN", "WITH"];

/// Words that make a statement starting with a read word change something:
/// data-modifying CTEs, `SELECT ... INTO`, `FOR UPDATE` locks, `EXPLAIN
/// ANALYZE` of a change, and PostgreSQL functions with side effects.
const WRITE_WORDS: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "TRUNCATE",
    "DROP",
    "ALTER",
    "CREATE",
    "GRANT",
    "REVOKE",
    "INTO",
    "COPY",
    "CALL",
    "PG_TERMINATE_BACKEND",
    "PG_CANCEL_BACKEND",
    "PG_RELOAD_CONF",
    "PG_ROTATE_LOGFILE",
    "PG_SWITCH_WAL",
    "PG_PROMOTE",
    "PG_CREATE_RESTORE_POINT",
    "PG_WAL_REPLAY_PAUSE",
    "PG_WAL_REPLAY_RESUME",
    "SET_CONFIG",
    "NEXTVAL",
    "SETVAL",
    "LO_UNLINK",
    "DBLINK_EXEC",
];

/// The effect of running `sql` as written: `read` only if every statement in
/// it provably only reads. Anything the scan does not recognise is `write`,
/// because the cost of a false `read` is a dry-run that changes production.
pub fn classify(sql: &str) -> Effect {
    let tokens = lex(sql);
    let mut statements = tokens
        .split(|t| *t == Token::Semicolon)
        .filter(|s| !s.is_empty());
    let mut any = false;
    let all_read = statements.all(|statement| {
        any = true;
        statement_reads(statement)
    });
    if any && all_read {
        Effect::Read
    } else {
        Effect::Write
    }
}

/// Words whose effects a rolled-back transaction does not undo: functions
/// that act on other sessions, the server or other databases at once,
/// sequences, server-side files (`COPY ... TO`), procedures that may commit,
/// and commands that cannot run in a transaction at all.
const OUTSIDE_TRANSACTIONS: &[&str] = &[
    "PG_TERMINATE_BACKEND",
    "PG_CANCEL_BACKEND",
    "PG_RELOAD_CONF",
    "PG_ROTATE_LOGFILE",
    "PG_SWITCH_WAL",
    "PG_PROMOTE",
    "PG_CREATE_RESTORE_POINT",
    "PG_WAL_REPLAY_PAUSE",
    "PG_WAL_REPLAY_RESUME",
    "PG_ADVISORY_LOCK",
    "NEXTVAL",
    "SETVAL",
    "DBLINK",
    "DBLINK_EXEC",
    "LO_UNLINK",
    "LO_EXPORT",
    "COPY",
    "CALL",
    "DO",
    "VACUUM",
    "CONCURRENTLY",
    "SYSTEM",
    "DATABASE",
    "TABLESPACE",
];

/// Whether running `sql` in a transaction that is then rolled back leaves
/// nothing behind, so a dry-run may preview it that way. Conservative like
/// [`classify`]: one word from [`OUTSIDE_TRANSACTIONS`] anywhere outside
/// strings and comments, or a statement that manages transactions itself,
/// and the statement is only described.
pub fn previewable(sql: &str) -> bool {
    let tokens = lex(sql);
    tokens.iter().all(|t| match t {
        Token::Word(w) => {
            !OUTSIDE_TRANSACTIONS.contains(&w.as_str())
                && !matches!(
                    w.as_str(),
                    "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "END" | "PREPARE"
                )
        }
        _ => true,
    })
}

fn statement_reads(statement: &[Token]) -> bool {
    let starts_with_read = match statement.first() {
        Some(Token::Word(w)) => READ_STARTS.contains(&w.as_str()),
        _ => false,
    };
    starts_with_read
        && statement.iter().all(|t| match t {
            Token::Word(w) => !WRITE_WORDS.contains(&w.as_str()),
            _ => true,
        })
}

#[derive(Debug, PartialEq)]
enum Token {
    /// A bare word, uppercased: a keyword or an unquoted name.
    Word(String),
    Semicolon,
    /// Anything else outside comments, strings and quoted names.
    Other,
}

/// Just enough of a SQL lexer to find the bare words of a statement: it skips
/// `--` and nested `/* */` comments, `'...'` and `E'...'` strings,
/// `$tag$...$tag$` strings, and `"..."` and `` `...` `` quoted names.
fn lex(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            '\'' => {
                let escapes = matches!(tokens.last(), Some(Token::Word(w)) if w == "E")
                    && i > 0
                    && matches!(chars[i - 1], 'e' | 'E');
                if escapes {
                    tokens.pop();
                }
                i = skip_quoted(&chars, i, '\'', escapes);
                tokens.push(Token::Other);
            }
            '"' | '`' => {
                i = skip_quoted(&chars, i, c, false);
                tokens.push(Token::Other);
            }
            '$' => match dollar_tag(&chars, i) {
                Some(tag) => {
                    i += tag.len();
                    while i < chars.len() && !chars[i..].starts_with(&tag) {
                        i += 1;
                    }
                    i = (i + tag.len()).min(chars.len());
                    tokens.push(Token::Other);
                }
                None => {
                    i += 1;
                    tokens.push(Token::Other);
                }
            },
            ';' => {
                tokens.push(Token::Semicolon);
                i += 1;
            }
            _ if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push(Token::Word(word.to_ascii_uppercase()));
            }
            _ => {
                tokens.push(Token::Other);
                i += 1;
            }
        }
    }
    tokens
}

/// Skips a quoted string or name opening at `start`; a doubled quote is a
/// quote, and with `escapes` a backslash escapes the next character. Returns
/// the index after the closing quote (or the end, if unterminated).
fn skip_quoted(chars: &[char], start: usize, quote: char, escapes: bool) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if escapes && chars[i] == '\\' {
            i += 2;
        } else if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    chars.len()
}

/// The opening `$tag$` of a dollar-quoted string at `start`, if it is one
/// (and not a `$1` parameter).
fn dollar_tag(chars: &[char], start: usize) -> Option<Vec<char>> {
    let mut i = start + 1;
    if chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    (chars.get(i) == Some(&'$')).then(|| chars[start..=i].to_vec())
}

#[cfg(test)]
mod preview_tests {
    use super::previewable;

    #[test]
    fn only_transactional_statements_are_previewed() {
        assert!(previewable("UPDATE job SET state = 'failed' WHERE id = $1"));
        assert!(previewable(
            "DELETE FROM job WHERE note = 'pg_terminate_backend'"
        ));
        assert!(!previewable(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        ));
        assert!(!previewable("INSERT INTO t VALUES (nextval('s'))"));
        assert!(!previewable("CREATE INDEX CONCURRENTLY i ON t (a)"));
        assert!(!previewable(
            "UPDATE t SET a = 1; COMMIT; UPDATE t SET a = 2"
        ));
        assert!(!previewable("CALL reap_jobs()"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{boolean, map, text};

    #[track_caller]
    fn reads(sql: &str) {
        assert_eq!(classify(sql), Effect::Read, "{sql}");
    }

    #[track_caller]
    fn writes(sql: &str) {
        assert_eq!(classify(sql), Effect::Write, "{sql}");
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
    }

    #[test]
    fn the_seed_fixes_write() {
        writes("UPDATE tasks SET status='failed' WHERE id=$1 AND status='running'");
        writes("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'");
    }

    #[test]
    fn read_words_in_any_case_after_whitespace_and_comments() {
        reads("  select 1");
        reads("\n\t-- how busy are we?\nSeLeCt 1");
        reads("/* a /* nested */ comment */ SHOW max_connections");
        reads("EXPLAIN SELECT * FROM tasks");
        reads("EXPLAIN ANALYZE SELECT * FROM tasks");
        reads("WITH recent AS (SELECT * FROM tasks LIMIT 10) SELECT count(*) FROM recent");
        reads("SELECT 1; SELECT 2;");
    }

    #[test]
    fn change_words_hidden_in_strings_comments_and_names_do_not_count() {
        reads("SELECT 'DELETE FROM tasks' AS advice");
        reads("SELECT 1 -- then UPDATE tasks\n");
        reads("SELECT \"update\", \"Insert\" FROM audit");
        reads("SELECT $$ DROP TABLE tasks $$");
        reads("SELECT $fn$ DROP TABLE tasks; $fn$ AS body");
        reads("SELECT E'it\\'s; DELETE' AS s");
        reads("SELECT 'it''s; DELETE' AS s");
        reads("SELECT * FROM t WHERE id = $1");
    }

    #[test]
    fn everything_else_writes() {
        writes("DELETE FROM sessions");
        writes("INSERT INTO audit VALUES (1)");
        writes("TRUNCATE pgboss.job");
        writes("DROP TABLE tasks");
        writes("VACUUM ANALYZE tasks");
        writes("BEGIN; SELECT 1; COMMIT;");
        writes("SET statement_timeout = 0");
        writes("");
        writes("  -- only a comment\n");
    }

    #[test]
    fn reads_that_change_things_write() {
        writes("WITH gone AS (DELETE FROM tasks RETURNING id) SELECT count(*) FROM gone");
        writes("with x as (update tasks set status = 'failed' returning *) select * from x");
        writes("WITH x AS (INSERT INTO a VALUES (1) RETURNING *) SELECT 1");
        writes("SELECT * INTO backup_tasks FROM tasks");
        writes("SELECT * FROM tasks FOR UPDATE");
        writes("EXPLAIN ANALYZE DELETE FROM tasks");
        writes("SELECT nextval('task_id_seq')");
        writes("SELECT pg_promote()");
        writes("SELECT 1; DELETE FROM tasks");
        writes("SELECT 1 /* ; */; DELETE FROM tasks");
        reads("SELECT replace(name, '-', '_') FROM tasks");
    }

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
        let read_only = map(vec![
            ("query", text("SELECT f()")),
            ("read_only", boolean(true)),
        ]);
        assert_eq!(effect(&read_only), Effect::Read);
        let not_read_only = map(vec![
            ("query", text("CALL f()")),
            ("read_only", boolean(false)),
        ]);
        assert_eq!(effect(&not_read_only), Effect::Write);
        let templated = map(vec![
            ("query", text("CALL f()")),
            ("read_only", text("{{inputs.ro}}")),
        ]);
        assert_eq!(effect(&templated), Effect::Write);
        assert_eq!(effect(&map(vec![])), Effect::Write);
    }
}
