//! Running a `sql` step: one statement against PostgreSQL with its
//! parameters bound by the driver (never spliced into the text), the rows as
//! maps, the row count, the first value. `read_only: true` runs it in a
//! read-only transaction.
//!
//! In a dry-run nothing commits: a statement classified as a read
//! ([`super::classify`]) runs in a `READ ONLY` transaction that is rolled
//! back, whatever effect the step declares; a plain `INSERT`/`UPDATE`/
//! `DELETE` is previewed in a transaction that is rolled back, after the
//! server confirmed that no table it names has a trigger, a rule or a
//! sequence default (whose effects a rollback does not undo); anything else
//! is only described.

use super::classify::{classify, Class};
use super::connection::{cancel_on_server, connect, explain, url};
use super::Params;
use crate::capped::Items;
use futures_util::StreamExt;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Mode as RunMode};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

/// What to do with the transaction around the statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Autocommit, or a read-only transaction when `read_only: true`.
    Run,
    /// A dry-run of a read: in a `READ ONLY` transaction that is rolled back.
    ReadRolledBack,
    /// The preview of a plain write: in a transaction that is rolled back.
    RolledBack,
}

/// Whether a table named by a plain write has something a rollback does not
/// undo: a user trigger, a rule, an identity column or a `nextval` default,
/// or is not an ordinary table (a view, a foreign or partitioned table).
const UNDOABLE: &str = "SELECT c.relkind <> 'r'
    OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
    OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN')
    OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity <> '')
    OR EXISTS (SELECT 1 FROM pg_attrdef d
               WHERE d.adrelid = c.oid AND pg_get_expr(d.adbin, d.adrelid) ILIKE '%nextval%')
  FROM pg_class c WHERE c.oid = to_regclass($1)";

/// A rendered parameter bound as the type the server inferred for `$N`.
#[derive(Debug)]
struct Bound(Value);

impl ToSql for Bound {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let text = match &self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let bad = |what: &str| -> Box<dyn std::error::Error + Sync + Send> {
            format!("`{text}` is not {what}").into()
        };
        match *ty {
            Type::BOOL => match text.as_str() {
                "true" | "t" | "yes" | "on" | "1" => true.to_sql(ty, out),
                "false" | "f" | "no" | "off" | "0" => false.to_sql(ty, out),
                _ => Err(bad("a boolean")),
            },
            Type::INT2 => text
                .parse::<i16>()
                .map_err(|_| bad("a smallint"))?
                .to_sql(ty, out),
            Type::INT4 => text
                .parse::<i32>()
                .map_err(|_| bad("an integer"))?
                .to_sql(ty, out),
            Type::INT8 => text
                .parse::<i64>()
                .map_err(|_| bad("a bigint"))?
                .to_sql(ty, out),
            Type::OID => text
                .parse::<u32>()
                .map_err(|_| bad("an oid"))?
                .to_sql(ty, out),
            Type::FLOAT4 => text
                .parse::<f32>()
                .map_err(|_| bad("a real"))?
                .to_sql(ty, out),
            Type::FLOAT8 => text
                .parse::<f64>()
                .map_err(|_| bad("a double precision"))?
                .to_sql(ty, out),
            Type::JSON | Type::JSONB => {
                let json = match &self.0 {
                    Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
                    other => other.clone(),
                };
                json.to_sql(ty, out)
            }
            // A UUID given as text (`$1` compared with a `uuid` column, as
            // Pilot's `WHERE id = $1`): its 16 bytes.
            Type::UUID => {
                let hex: String = text.chars().filter(|c| *c != '-').collect();
                if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(bad("a UUID"));
                }
                let bytes: Vec<u8> = (0..16)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad("a UUID"))?;
                out.extend_from_slice(&bytes);
                Ok(IsNull::No)
            }
            _ => text.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::BOOL
                | Type::INT2
                | Type::INT4
                | Type::INT8
                | Type::OID
                | Type::FLOAT4
                | Type::FLOAT8
                | Type::JSON
                | Type::JSONB
                | Type::UUID
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A column value of any type, as JSON: numbers, booleans, text and JSON as
/// themselves; timestamps as RFC 3339; numeric as a number; other types as
/// `null` with their type named in the step's message.
struct Column(Value);

impl<'a> FromSql<'a> for Column {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let v = match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Value::from(i16::from_sql(ty, raw)?),
            Type::INT4 => Value::from(i32::from_sql(ty, raw)?),
            Type::INT8 => Value::from(i64::from_sql(ty, raw)?),
            Type::OID => Value::from(u32::from_sql(ty, raw)?),
            Type::FLOAT4 => float(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => float(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw),
            Type::JSON | Type::JSONB => Value::from_sql(ty, raw)?,
            Type::TIMESTAMP | Type::TIMESTAMPTZ => timestamp(raw),
            Type::INTERVAL => interval(raw),
            _ => match String::from_sql(&Type::TEXT, raw) {
                Ok(s) if <String as FromSql>::accepts(ty) => Value::String(s),
                _ => Value::String(format!("<{}>", ty.name())),
            },
        };
        Ok(Column(v))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Column(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn be_i16(raw: &[u8], at: usize) -> i16 {
    raw.get(at..at + 2)
        .map(|b| i16::from_be_bytes([b[0], b[1]]))
        .unwrap_or(0)
}

/// PostgreSQL's binary `numeric`: base-10000 digits with a weight.
fn numeric(raw: &[u8]) -> Value {
    let ndigits = be_i16(raw, 0).max(0) as usize;
    let weight = i32::from(be_i16(raw, 2));
    let sign = be_i16(raw, 4) as u16;
    if sign == 0xC000 {
        return Value::Null; // NaN
    }
    let mut value = 0f64;
    for i in 0..ndigits {
        let digit = f64::from(be_i16(raw, 8 + 2 * i));
        value += digit * 10000f64.powi(weight - i as i32);
    }
    if sign == 0x4000 {
        value = -value;
    }
    float(value)
}

/// Microseconds since 2000-01-01 UTC, as RFC 3339.
fn timestamp(raw: &[u8]) -> Value {
    let Some(b) = raw.get(..8) else {
        return Value::Null;
    };
    let micros = i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
    let epoch_2000 = std::time::UNIX_EPOCH + Duration::from_secs(946_684_800);
    let t = if micros >= 0 {
        epoch_2000.checked_add(Duration::from_micros(micros as u64))
    } else {
        epoch_2000.checked_sub(Duration::from_micros(micros.unsigned_abs()))
    };
    t.map(|t| Value::String(humantime::format_rfc3339_micros(t).to_string()))
        .unwrap_or(Value::Null)
}

/// An interval as seconds (months counted as 30 days, as `EXTRACT(EPOCH)` does).
fn interval(raw: &[u8]) -> Value {
    if raw.len() < 16 {
        return Value::Null;
    }
    let micros = i64::from_be_bytes(raw[0..8].try_into().unwrap_or([0; 8]));
    let days = i32::from_be_bytes(raw[8..12].try_into().unwrap_or([0; 4]));
    let months = i32::from_be_bytes(raw[12..16].try_into().unwrap_or([0; 4]));
    float(micros as f64 / 1e6 + f64::from(days) * 86_400.0 + f64::from(months) * 30.0 * 86_400.0)
}

async fn execute(
    client: &Client,
    statement: &Statement,
    params: &[Bound],
    cap: usize,
) -> Result<Executed, tokio_postgres::Error> {
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
    if statement.columns().is_empty() {
        let count = client.execute(statement, &refs).await?;
        return Ok(Executed {
            rows: Vec::new(),
            count,
            first: None,
            truncated: false,
        });
    }
    // Rows are read as they come and kept within the output cap (each
    // counted as its JSON text); the rest are counted, not kept.
    let rows = client.query_raw(statement, refs).await?;
    let mut rows = std::pin::pin!(rows);
    let mut out = Vec::new();
    let mut budget = Items::new(cap);
    let mut count = 0u64;
    let mut first = None;
    while let Some(row) = rows.next().await {
        let row = row?;
        count += 1;
        if budget.truncated() {
            continue;
        }
        let mut map = Map::new();
        for (i, column) in row.columns().iter().enumerate() {
            let Column(v) = row.try_get(i)?;
            if first.is_none() {
                first = Some(v.clone());
            }
            map.insert(column.name().to_string(), v);
        }
        let row = Value::Object(map);
        if budget.admit(&row) {
            out.push(row);
        }
    }
    Ok(Executed {
        count,
        rows: out,
        first,
        truncated: budget.truncated(),
    })
}

/// What a statement gave back.
struct Executed {
    rows: Vec<Value>,
    count: u64,
    /// The first column of the first row (maps of the rows lose column order).
    first: Option<Value>,
    /// More rows came than the output cap keeps: `rows` holds the first ones.
    truncated: bool,
}

async fn run(params: &Params, ctx: &ActionContext, mode: Mode, tables: &[String]) -> ActionResult {
    let query = params.query.as_str();
    let url = match url(params) {
        Ok(u) => u,
        Err(e) => return ActionResult::misconfigured(e),
    };
    let read_only = params.read_only.unwrap_or(false);
    let params: Vec<Bound> = params.params.iter().cloned().map(Bound).collect();
    // What asks the server to stop the statement when the step is stopped.
    let on_server = std::sync::OnceLock::new();
    let work = async {
        let (client, target) = connect(&url).await?;
        let _ = on_server.set(client.cancel_token());
        let fail = |e: tokio_postgres::Error| {
            ActionResult::failure(format!("PostgreSQL at {target}: {}", explain(&e)))
        };
        let begin = match (mode, read_only) {
            (Mode::ReadRolledBack, _) | (Mode::Run, true) => Some("BEGIN READ ONLY"),
            (Mode::RolledBack, _) => Some("BEGIN"),
            (Mode::Run, false) => None,
        };
        if let Some(begin) = begin {
            client.batch_execute(begin).await.map_err(fail)?;
        }
        if mode == Mode::RolledBack {
            for table in tables {
                let row = client.query_opt(UNDOABLE, &[table]).await.map_err(fail)?;
                if row.is_some_and(|r| r.get::<_, Option<bool>>(0) != Some(false)) {
                    client.batch_execute("ROLLBACK").await.map_err(fail)?;
                    return Ok(Err(format!(
                        "not executed: `{table}` has a trigger, a rule or a sequence, or is not \
                         a plain table, and a rollback would not undo all of their effects"
                    )));
                }
            }
        }
        let statement = client.prepare(query).await.map_err(fail)?;
        if statement.params().len() != params.len() {
            return Err(ActionResult::failure(format!(
                "the statement has {} parameter(s) ($1 ...) and `params` gives {}",
                statement.params().len(),
                params.len()
            )));
        }
        let done = execute(&client, &statement, &params, ctx.output_cap.bytes)
            .await
            .map_err(fail)?;
        match (mode, begin) {
            (Mode::ReadRolledBack | Mode::RolledBack, _) => {
                client.batch_execute("ROLLBACK").await.map_err(fail)?
            }
            (Mode::Run, Some(_)) => client.batch_execute("COMMIT").await.map_err(fail)?,
            (Mode::Run, None) => {}
        }
        Ok(Ok(done))
    };
    let Executed {
        rows,
        count,
        first,
        truncated,
    } = tokio::select! {
        done = work => match done {
            Ok(Ok(done)) => done,
            Ok(Err(not_run)) => {
                let mut result = ActionResult::success(Map::new());
                result.message = Some(not_run);
                return result;
            }
            Err(failed) => return failed,
        },
        // A timeout, an abort or a signal: the server is asked to cancel
        // the statement (closing the connection alone would not stop it
        // until it next wrote to the socket), and dropping the client
        // closes the connection, which rolls back an open transaction.
        _ = ctx.cancel.cancelled() => {
            let cancelled = match on_server.get() {
                Some(token) => cancel_on_server(token).await,
                None => String::new(),
            };
            return ActionResult::failure(format!("stopped while the statement ran{cancelled}"));
        }
    };
    let mut fields = Map::new();
    if let Some(first) = first {
        fields.insert("value".into(), first);
    }
    fields.insert("row_count".into(), Value::from(count));
    let kept = rows.len();
    fields.insert("rows".into(), Value::Array(rows));
    fields.insert(crate::capped::TRUNCATED.into(), Value::Bool(truncated));
    let mut result = ActionResult::success(fields);
    if truncated {
        result.message = Some(format!(
            "{count} rows, of which `rows` keeps the first {kept}: the rest pass the output cap ({}); `truncated` is true",
            ctx.output_cap.describe()
        ));
    }
    if mode == Mode::RolledBack {
        result.message = Some(format!(
            "{count} row{} affected, rolled back",
            if count == 1 { "" } else { "s" }
        ));
    }
    result
}

/// The preview of a statement in a dry-run, as its classification allows;
/// the reason when it may not run at all.
fn dry_run<'a>(
    params: &'a Params,
    ctx: &'a ActionContext,
) -> Result<BoxFuture<'a, ActionResult>, String> {
    let classified = classify(&params.query);
    match classified.class {
        Class::Read => Ok(Box::pin(run(params, ctx, Mode::ReadRolledBack, &[]))),
        Class::PlainWrite => Ok(Box::pin(async move {
            run(params, ctx, Mode::RolledBack, &classified.tables).await
        })),
        Class::Write(reason) => Err(reason),
    }
}

/// Runs the statement. In a dry-run (a step declared or classified
/// `read`), only what the classification calls a read runs, read-only and
/// rolled back; a statement it does not know to be a read is skipped, not
/// run.
pub async fn execute_step(params: Params, ctx: &ActionContext) -> ActionResult {
    if ctx.mode != RunMode::DryRun {
        return run(&params, ctx, Mode::Run, &[]).await;
    }
    let reason = match classify(&params.query).class {
        Class::Read => return run(&params, ctx, Mode::ReadRolledBack, &[]).await,
        Class::PlainWrite => {
            "it changes rows; declare the step `effect: write` to preview it".to_string()
        }
        Class::Write(reason) => reason,
    };
    ActionResult::undecided(format!("not run in a dry-run: {reason}"))
}

/// A dry-run's preview: only statements whose every effect a rollback
/// undoes; a `pg_terminate_backend` or a `nextval` would act during the
/// dry-run.
pub async fn preview(params: Params, ctx: &ActionContext) -> ActionResult {
    match dry_run(&params, ctx) {
        Ok(running) => running.await,
        Err(reason) => {
            let mut said = ActionResult::success(Map::new());
            said.message = Some(format!("not executed: {reason}"));
            said
        }
    }
}

/// The statement and its bound values, for a dry-run and a gate.
pub fn describe(params: &Params) -> String {
    let query = params.query.trim();
    if params.params.is_empty() {
        query.to_string()
    } else {
        format!("{query} with {}", Value::Array(params.params.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_numeric_and_timestamps() {
        // 12.5: ndigits 2, weight 0, positive, dscale 1, digits [12, 5000]
        let raw = [0, 2, 0, 0, 0, 0, 0, 1, 0, 12, 0x13, 0x88];
        assert_eq!(numeric(&raw), Value::from(12.5));
        assert_eq!(
            timestamp(&0i64.to_be_bytes()),
            Value::from("2000-01-01T00:00:00.000000Z")
        );
    }
}
