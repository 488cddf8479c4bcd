//! `redis`: one Redis command (the seeds' `LLEN arq:queue` worker-lag
//! probe, a `PING` that decides "cannot connect to Redis", an `INFO
//! memory`), its reply as a value a branch or an `assert` reads
//! (`steps.lag.value > 50`).
//!
//! The command is an argv list of templates: each element is one RESP
//! argument, so a value can never become a second command. Its effect is
//! read off the command's name ([`classify`]), and a declared effect may
//! not be lower (the kind's capability `effect_floor`), so a dry-run runs
//! exactly the probes.
//!
//! The schema and the kind are here; the client in [`connection`] over
//! the protocol in [`resp`], running a step in [`execute`].

pub mod classify;
mod connection;
mod execute;
mod resp;

use crate::params::param;
use classify::{classify_written, Class};
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{
    Capabilities, EffectFloor, KindSchema, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::encode::Encoding;
use runbook_dsl::expr::Type;
use runbook_dsl::node::{Node, Value as NodeValue};
use runbook_dsl::Code;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::Value;

/// The floor of a step's declared effect: what its parameters say it does.
const FLOOR: EffectFloor = EffectFloor {
    effect: default_effect,
    read_from: &["command"],
};

/// The `redis` kind.
pub struct Redis;

#[derive(Deserialize)]
pub struct Params {
    /// One word, or the argv list (rendered: strings, or the typed value
    /// of a whole insertion).
    command: Value,
    url: Option<String>,
}

impl Kind for Redis {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(execute::execute_step(params, ctx))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        execute::describe(params)
    }
}

const EFFECT: &str = "read off the command's name (and the first argument of a family such as \
`CONFIG` or `CLIENT`): `read` for the commands that only read (`GET`, `LLEN`, `LRANGE`, \
`HGETALL`, `XPENDING`, `INFO`, `PING`, `DBSIZE`, `SCAN`, `CONFIG GET`, `CLIENT LIST`, \
`SLOWLOG GET`, `MEMORY USAGE`, ...; the full list is in the `redis` section below), \
`destructive` for those that remove keys or databases, set expiries, change the server or run \
scripts (`DEL`, `UNLINK`, `FLUSHDB`, `FLUSHALL`, `EXPIRE`, `CONFIG SET`, `CLIENT KILL`, \
`SHUTDOWN`, `EVAL`, ...), `write` for anything else and for a command name that is a template. \
A declared `effect` lower than this is an error (`runbook::understated_effect`).";

fn schema() -> KindSchema {
    KindSchema {
        name: "redis",
        summary: "Send one command to Redis and read its reply as a value.",
        params: vec![
            ParamSchema::required(
                "command",
                ParamType::OneOf(vec![
                    ParamType::List(Box::new(ParamType::Template)),
                    ParamType::Template,
                ]),
                "The command as a list, one argument per element (`[LLEN, \"{{inputs.queue}}\"]`); each element is sent as one argument, so a value cannot add a command. A single word (`PING`) may be a string.",
            ),
            ParamSchema::optional(
                "url",
                ParamType::Encoded(Encoding::ServiceUrl),
                "Connection URL, `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, `rediss://...` for TLS, or `unix:///PATH?db=N&password=P`, usually a secret input; default `$REDIS_URL`. The password is never shown.",
            ),
        ],
        shorthand: Some("command"),
        results: vec![
            ResultField::new(
                "value",
                ValueType::Any,
                "The reply: an integer, a string, `null` for a nil reply, a list, or a record for a map (`HGETALL`, `CONFIG GET`). Typed `int` for the commands that count (`LLEN`, `SCARD`, `XLEN`, `DBSIZE`, ...), `list<string>` for `LRANGE`, `SMEMBERS`, `KEYS`, ...",
            )
            .shaped(value_type),
            ResultField::new(
                "fields",
                ValueType::Map,
                "For `INFO`: every `name:value` line of the reply, numbers as numbers (`steps.info.fields.used_memory`); unset for other commands.",
            ),
            crate::capped::truncated_field(),
        ],
        primary_result: "value",
        default_effect,
        effect_doc: EFFECT,
        rules,
        capabilities: Capabilities {
            credentials: &["url"],
            effect_floor: Some(&FLOOR),
            ..Capabilities::default()
        },
    }
}

/// The command as written: its elements (the whole node when it is one
/// string).
fn written(params: &Node) -> Option<Vec<&Node>> {
    let command = param(params, Some("command"), "command")?;
    Some(match &command.value {
        NodeValue::Seq(items) => items.iter().collect(),
        _ => vec![command],
    })
}

/// An element as written, when it is a literal (not a template).
fn literal(node: &Node) -> Option<String> {
    match &node.value {
        NodeValue::Str(text) if text.as_str().contains("{{") => None,
        NodeValue::Seq(_) | NodeValue::Map(_) => None,
        _ => node.scalar_string(),
    }
}

/// The class of the command as written.
fn written_class(params: &Node) -> Class {
    let Some(argv) = written(params) else {
        return Class::Effect(Effect::Write);
    };
    let name = argv.first().and_then(|n| literal(n));
    let first = match argv.get(1) {
        None => Some(None),
        Some(node) => literal(node).map(Some),
    };
    classify_written(name.as_deref(), first.as_ref().map(|f| f.as_deref()))
}

fn default_effect(params: &Node) -> Effect {
    match written_class(params) {
        Class::Effect(effect) => effect,
        Class::Refused(_) => Effect::Write,
    }
}

/// The commands whose reply is an integer, and those whose reply is a
/// list of strings: `check` types `value` by them.
const COUNTS: &[&str] = &[
    "BITCOUNT",
    "DBSIZE",
    "DECR",
    "DECRBY",
    "DEL",
    "EXISTS",
    "EXPIRETIME",
    "GETBIT",
    "HDEL",
    "HEXISTS",
    "HLEN",
    "HSTRLEN",
    "INCR",
    "INCRBY",
    "LASTSAVE",
    "LLEN",
    "LPUSH",
    "PERSIST",
    "PEXPIRETIME",
    "PFCOUNT",
    "PTTL",
    "RPUSH",
    "SADD",
    "SCARD",
    "SINTERCARD",
    "SISMEMBER",
    "SREM",
    "STRLEN",
    "TTL",
    "UNLINK",
    "XACK",
    "XDEL",
    "XLEN",
    "ZCARD",
    "ZCOUNT",
    "ZINTERCARD",
    "ZLEXCOUNT",
];
const STRING_LISTS: &[&str] = &[
    "HKEYS", "HVALS", "KEYS", "LRANGE", "SDIFF", "SINTER", "SMEMBERS", "SUNION",
];

fn value_type(params: &Node) -> Type {
    let name = written(params)
        .and_then(|argv| argv.first().and_then(|n| literal(n)))
        .map(|n| n.to_ascii_uppercase());
    match name.as_deref() {
        Some(name) if COUNTS.contains(&name) => Type::Int,
        Some(name) if STRING_LISTS.contains(&name) => Type::List(Box::new(Type::String)),
        _ => Type::Any,
    }
}

/// The command's mistakes at check time: a whole command line in one
/// string (a value could then split it), an empty list, a command one
/// step cannot send.
fn rules(params: &Node) -> Vec<ParamProblem> {
    let Some(command) = param(params, Some("command"), "command") else {
        return Vec::new();
    };
    let problem = |span, message: String, label: &str, help: &str| {
        vec![ParamProblem {
            code: Code::InvalidParam,
            span,
            message,
            label: label.into(),
            help: help.into(),
        }]
    };
    match &command.value {
        NodeValue::Str(text) if text.as_str().trim().contains(char::is_whitespace) => {
            return problem(
                command.span,
                "a Redis command is a list of arguments, not one string".into(),
                "a whole command line in one string",
                "write one argument per element, `[LLEN, \"{{inputs.queue}}\"]`: each is sent \
                 as one argument, so no value can split it or add a command",
            );
        }
        NodeValue::Seq(items) if items.is_empty() => {
            return problem(
                command.span,
                "the Redis command is empty".into(),
                "no command",
                "name the command first, then its arguments: `[LLEN, \"arq:queue\"]`",
            );
        }
        _ => {}
    }
    let Some(argv) = written(params) else {
        return Vec::new();
    };
    let name = argv.first().and_then(|n| literal(n));
    let first = argv.get(1).and_then(|n| literal(n));
    match name {
        Some(name) => match classify::classify(&name, first.as_deref()) {
            Class::Refused(hint) => problem(
                argv[0].span,
                format!(
                    "`{}` cannot be sent by a `redis` step",
                    name.to_ascii_uppercase()
                ),
                "not one command with one reply",
                hint,
            ),
            Class::Effect(_) => Vec::new(),
        },
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{map, text};
    use runbook_dsl::node::Node as N;
    use runbook_dsl::Span;

    fn argv(words: &[&str]) -> Node {
        N::new(
            NodeValue::Seq(words.iter().map(|w| text(w)).collect()),
            Span::default(),
        )
    }

    #[test]
    fn effect_from_the_command() {
        let effect = schema().default_effect;
        assert_eq!(effect(&argv(&["LLEN", "arq:queue"])), Effect::Read);
        assert_eq!(
            effect(&map(vec![("command", argv(&["LLEN", "q"]))])),
            Effect::Read
        );
        assert_eq!(effect(&text("PING")), Effect::Read);
        assert_eq!(
            effect(&argv(&["DEL", "{{inputs.key}}"])),
            Effect::Destructive
        );
        assert_eq!(effect(&argv(&["SET", "k", "v"])), Effect::Write);
        assert_eq!(effect(&argv(&["{{inputs.cmd}}", "k"])), Effect::Write);
        assert_eq!(
            effect(&argv(&["CONFIG", "{{inputs.sub}}"])),
            Effect::Destructive
        );
        assert_eq!(effect(&argv(&["CONFIG", "GET", "maxmemory"])), Effect::Read);
        assert_eq!(effect(&map(vec![])), Effect::Write);
        assert_eq!(effect(&argv(&[])), Effect::Write);
    }

    #[test]
    fn value_is_typed_by_the_command() {
        assert_eq!(value_type(&argv(&["llen", "q"])), Type::Int);
        assert_eq!(
            value_type(&argv(&["LRANGE", "q", "0", "-1"])),
            Type::List(Box::new(Type::String))
        );
        assert_eq!(value_type(&argv(&["GET", "k"])), Type::Any);
        assert_eq!(value_type(&argv(&["{{inputs.c}}"])), Type::Any);
    }

    #[test]
    fn rules_refuse_command_lines_and_streams() {
        assert_eq!(rules(&text("DEL {{inputs.key}}")).len(), 1);
        assert_eq!(rules(&argv(&[])).len(), 1);
        assert_eq!(rules(&argv(&["MULTI"])).len(), 1);
        assert_eq!(rules(&argv(&["subscribe", "c"])).len(), 1);
        assert!(rules(&text("PING")).is_empty());
        assert!(rules(&argv(&["LLEN", "a key with spaces"])).is_empty());
        assert!(rules(&argv(&["{{inputs.cmd}}"])).is_empty());
    }
}
