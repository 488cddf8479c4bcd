//! Running a `redis` step: the rendered argv classified again (the name
//! may have been a template), sent on a connection of its own, the reply
//! kept within the output cap, `INFO` read into fields.
//!
//! In a dry-run only a command the classification calls a read is sent,
//! whatever effect the step declares: the runner does not execute a
//! `write` step in a dry-run, and this holds the line for a command whose
//! name was a template.

use super::classify::{classify, Class};
use super::connection::Target;
use super::Params;
use runbook_dsl::ast::Effect;
use runbook_runtime::{ActionContext, ActionResult, Mode};
use serde_json::{Map, Value};

/// The rendered command as its arguments' text.
fn argv(params: &Params) -> Result<Vec<String>, String> {
    let items = match &params.command {
        Value::Array(items) => items.as_slice(),
        one => std::slice::from_ref(one),
    };
    let argv = items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!(
                "argument {} of the command is {}, not a string or a number",
                i + 1,
                match other {
                    Value::Null => "null",
                    Value::Array(_) => "a list",
                    _ => "a mapping",
                }
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if argv.first().is_none_or(|name| name.trim().is_empty()) {
        return Err("the command has no name".into());
    }
    Ok(argv)
}

fn target(params: &Params) -> Result<Target, String> {
    match &params.url {
        Some(url) => Target::parse(url),
        None => match std::env::var("REDIS_URL") {
            Ok(url) => Target::parse(&url),
            Err(_) => Err("no Redis: set `url` or $REDIS_URL".into()),
        },
    }
}

/// The command's class once rendered.
fn class(argv: &[String]) -> Class {
    classify(&argv[0], argv.get(1).map(String::as_str))
}

pub async fn execute_step(params: Params, ctx: &ActionContext) -> ActionResult {
    let argv = match argv(&params) {
        Ok(argv) => argv,
        Err(e) => return ActionResult::failure(e),
    };
    let name = argv[0].to_ascii_uppercase();
    match class(&argv) {
        Class::Refused(hint) => {
            return ActionResult::failure(format!(
                "`{name}` cannot be sent by a `redis` step: {hint}"
            ))
        }
        Class::Effect(Effect::Read) => {}
        Class::Effect(effect) if ctx.mode == Mode::DryRun => {
            return ActionResult::undecided(format!(
                "not sent in a dry-run: `{name}` is {}",
                effect.name()
            ))
        }
        Class::Effect(_) => {}
    }
    let target = match target(&params) {
        Ok(t) => t,
        Err(e) => return ActionResult::misconfigured(e),
    };
    let cap = ctx.output_cap.bytes;
    let work = async {
        let mut connection = match target.connect().await {
            Ok(connection) => connection,
            Err(refused) if refused.credentials => {
                return Err(ActionResult::misconfigured(refused.message))
            }
            Err(failed) => return Err(ActionResult::failure(failed.message)),
        };
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        connection
            .call(&args, cap)
            .await
            .map_err(|e| ActionResult::failure(target.failure(e)))
    };
    let reply = tokio::select! {
        reply = work => reply,
        // Dropping the connection closes it: a blocked `BLPOP` ends on the server too.
        _ = ctx.cancel.cancelled() => {
            return ActionResult::failure(format!("stopped while `{name}` waited for Redis at {target}"))
        }
    };
    let mut reply = match reply {
        Ok(reply) => reply,
        Err(failed) => return failed,
    };
    target.scrub_value(&mut reply.value);
    let mut fields = Map::new();
    if name == "INFO" {
        if let Value::String(text) = &reply.value {
            fields.insert("fields".into(), Value::Object(info_fields(text)));
        }
    }
    fields.insert("value".into(), reply.value);
    fields.insert(
        crate::capped::TRUNCATED.into(),
        Value::Bool(reply.truncated),
    );
    let mut result = ActionResult::success(fields);
    if reply.truncated {
        result.message = Some(format!(
            "the reply to `{name}` passed the output cap ({}): `value` holds its head and `truncated` is true",
            ctx.output_cap.describe()
        ));
    }
    result
}

/// `INFO`'s `name:value` lines as fields: integers and decimals as
/// numbers, the rest (`db0:keys=1,expires=0`) as text. Section headers
/// (`# Memory`) and blank lines are skipped.
fn info_fields(text: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = if let Ok(i) = value.parse::<i64>() {
            Value::from(i)
        } else if let Some(n) = value
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
        {
            Value::Number(n)
        } else {
            Value::String(value.to_string())
        };
        fields.insert(name.to_string(), value);
    }
    fields
}

/// An argument as shown: bare when it is a plain word, else quoted with
/// its control characters escaped (JSON string syntax).
fn shown(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_-.*/@#{}[]+=,".contains(c));
    if plain {
        arg.to_string()
    } else {
        Value::String(arg.to_string()).to_string()
    }
}

/// The command and where it goes, for a dry-run and a gate: never the URL
/// (it holds the password), only `host:port/db`.
pub fn describe(params: &Params) -> String {
    let command = match argv(params) {
        Ok(argv) => argv.iter().map(|a| shown(a)).collect::<Vec<_>>().join(" "),
        Err(e) => return e,
    };
    match target(params) {
        Ok(target) => format!("{command} (Redis at {target})"),
        Err(e) => format!("{command} ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(command: Value, url: &str) -> Params {
        Params {
            command,
            url: Some(url.into()),
        }
    }

    #[test]
    fn a_described_command_shows_no_password() {
        let p = params(
            json!(["DEL", "job:1", "$(id)", "a\r\nFLUSHALL"]),
            "redis://:hunter2@cache:6379/1",
        );
        assert_eq!(
            describe(&p),
            r#"DEL job:1 "$(id)" "a\r\nFLUSHALL" (Redis at cache:6379/1)"#
        );
    }

    #[test]
    fn typed_insertions_are_arguments_and_bad_ones_are_refused() {
        let p = params(json!(["LRANGE", "q", 0, -1]), "redis://h");
        assert_eq!(argv(&p).unwrap(), ["LRANGE", "q", "0", "-1"]);
        let p = params(json!(["GET", null]), "redis://h");
        assert!(argv(&p).unwrap_err().contains("argument 2"));
        let p = params(json!("PING"), "redis://h");
        assert_eq!(argv(&p).unwrap(), ["PING"]);
        let p = params(json!([" "]), "redis://h");
        assert!(argv(&p).is_err());
    }

    #[test]
    fn info_lines_are_fields() {
        let f = info_fields("# Memory\r\nused_memory:1024\r\nmem_fragmentation_ratio:1.5\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n");
        assert_eq!(f["used_memory"], json!(1024));
        assert_eq!(f["mem_fragmentation_ratio"], json!(1.5));
        assert_eq!(f["db0"], json!("keys=1,expires=0"));
        assert_eq!(f.len(), 3);
    }
}
