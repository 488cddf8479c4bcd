//! What a Redis command does, read off its name (and, for the commands that
//! are families, `CONFIG GET` or `CONFIG SET`, its first argument): one
//! classification for the checker's default effect, for the floor under a
//! declared effect, and for what a dry-run may send.
//!
//! It is an allow-list, as `sql`'s is: a command reads only if it is listed
//! as a read here. A command not listed (a new one, a module's `JSON.SET`)
//! is a write, because the cost of a false "read" is a dry-run that changes
//! production. Destructive are the commands that remove whole keys or
//! databases (`DEL`, `FLUSHALL`), make keys go later (`EXPIRE`), change the
//! server itself (`CONFIG SET`, `SHUTDOWN`, `REPLICAOF`, `CLIENT KILL`) or
//! run code whose effect cannot be known (`EVAL`, `FCALL`).

use runbook_dsl::ast::Effect;

/// What sending a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Sending it has this effect.
    Effect(Effect),
    /// It cannot be one step's one command; the hint says what to write.
    Refused(&'static str),
}

/// Reads: the command changes nothing on the server.
const READS: &[&str] = &[
    "BITCOUNT",
    "BITFIELD_RO",
    "BITPOS",
    "DBSIZE",
    "DUMP",
    "ECHO",
    "EVALSHA_RO",
    "EVAL_RO",
    "EXISTS",
    "EXPIRETIME",
    "FCALL_RO",
    "GEODIST",
    "GEOHASH",
    "GEOPOS",
    "GEORADIUSBYMEMBER_RO",
    "GEORADIUS_RO",
    "GEOSEARCH",
    "GET",
    "GETBIT",
    "GETRANGE",
    "HEXISTS",
    "HGET",
    "HGETALL",
    "HKEYS",
    "HLEN",
    "HMGET",
    "HRANDFIELD",
    "HSCAN",
    "HSTRLEN",
    "HVALS",
    "INFO",
    "KEYS",
    "LASTSAVE",
    "LCS",
    "LINDEX",
    "LLEN",
    "LPOS",
    "LRANGE",
    "MGET",
    "PEXPIRETIME",
    "PFCOUNT",
    "PING",
    "PTTL",
    "RANDOMKEY",
    "ROLE",
    "SCAN",
    "SCARD",
    "SDIFF",
    "SINTER",
    "SINTERCARD",
    "SISMEMBER",
    "SMEMBERS",
    "SMISMEMBER",
    "SORT_RO",
    "SRANDMEMBER",
    "SSCAN",
    "STRLEN",
    "SUBSTR",
    "SUNION",
    "TIME",
    "TTL",
    "TYPE",
    "XINFO",
    "XLEN",
    "XPENDING",
    "XRANGE",
    "XREAD",
    "XREVRANGE",
    "ZCARD",
    "ZCOUNT",
    "ZDIFF",
    "ZINTER",
    "ZINTERCARD",
    "ZLEXCOUNT",
    "ZMSCORE",
    "ZRANDMEMBER",
    "ZRANGE",
    "ZRANGEBYLEX",
    "ZRANGEBYSCORE",
    "ZRANK",
    "ZREVRANGE",
    "ZREVRANGEBYLEX",
    "ZREVRANGEBYSCORE",
    "ZREVRANK",
    "ZSCAN",
    "ZSCORE",
    "ZUNION",
];

/// Destructive whatever their arguments.
const DESTRUCTIVE: &[&str] = &[
    "DEBUG",
    "DEL",
    "EVAL",
    "EVALSHA",
    "EXPIRE",
    "EXPIREAT",
    "FAILOVER",
    "FCALL",
    "FLUSHALL",
    "FLUSHDB",
    "GETDEL",
    "MIGRATE",
    "PEXPIRE",
    "PEXPIREAT",
    "RENAME",
    "REPLICAOF",
    "RESTORE",
    "SHUTDOWN",
    "SLAVEOF",
    "SWAPDB",
    "UNLINK",
];

/// A family of commands whose first argument says what it does: the
/// subcommands that read, those that are destructive, and what any other
/// subcommand (or one that is a template) is.
struct Family {
    name: &'static str,
    reads: &'static [&'static str],
    destructive: &'static [&'static str],
    otherwise: Effect,
}

const FAMILIES: &[Family] = &[
    Family {
        name: "ACL",
        reads: &["CAT", "DRYRUN", "GETUSER", "LIST", "LOG", "USERS", "WHOAMI"],
        destructive: &[],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "CLIENT",
        reads: &["GETNAME", "GETREDIR", "ID", "INFO", "LIST", "TRACKINGINFO"],
        destructive: &["KILL", "PAUSE", "UNBLOCK"],
        otherwise: Effect::Write,
    },
    Family {
        name: "CLUSTER",
        reads: &[
            "COUNTKEYSINSLOT",
            "GETKEYSINSLOT",
            "INFO",
            "KEYSLOT",
            "LINKS",
            "MYID",
            "MYSHARDID",
            "NODES",
            "REPLICAS",
            "SHARDS",
            "SLOTS",
        ],
        destructive: &[],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "COMMAND",
        reads: &[
            "COUNT",
            "DOCS",
            "GETKEYS",
            "GETKEYSANDFLAGS",
            "INFO",
            "LIST",
        ],
        destructive: &[],
        otherwise: Effect::Write,
    },
    Family {
        name: "CONFIG",
        reads: &["GET"],
        destructive: &["RESETSTAT", "REWRITE", "SET"],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "FUNCTION",
        reads: &["DUMP", "LIST", "STATS"],
        destructive: &["DELETE", "FLUSH", "KILL", "RESTORE"],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "LATENCY",
        reads: &["DOCTOR", "GRAPH", "HISTOGRAM", "HISTORY", "LATEST"],
        destructive: &["RESET"],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "MEMORY",
        reads: &["DOCTOR", "MALLOC-STATS", "STATS", "USAGE"],
        destructive: &[],
        otherwise: Effect::Write,
    },
    Family {
        name: "MODULE",
        reads: &["LIST"],
        destructive: &[],
        otherwise: Effect::Destructive,
    },
    Family {
        name: "OBJECT",
        reads: &["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"],
        destructive: &[],
        otherwise: Effect::Write,
    },
    Family {
        name: "PUBSUB",
        reads: &[
            "CHANNELS",
            "NUMPAT",
            "NUMSUB",
            "SHARDCHANNELS",
            "SHARDNUMSUB",
        ],
        destructive: &[],
        otherwise: Effect::Write,
    },
    Family {
        name: "SCRIPT",
        reads: &["EXISTS"],
        destructive: &["FLUSH", "KILL"],
        otherwise: Effect::Write,
    },
    Family {
        name: "SLOWLOG",
        reads: &["GET", "LEN"],
        destructive: &["RESET"],
        otherwise: Effect::Destructive,
    },
];

/// Commands one step cannot send, with what to write instead.
const REFUSED: &[(&[&str], &str)] = &[
    (
        &["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"],
        "each `redis` step sends one command on a connection of its own, so a transaction \
         cannot span steps; for an atomic change write one `EVAL` script (destructive unless \
         declared otherwise)",
    ),
    (
        &[
            "SUBSCRIBE",
            "PSUBSCRIBE",
            "SSUBSCRIBE",
            "UNSUBSCRIBE",
            "PUNSUBSCRIBE",
            "SUNSUBSCRIBE",
            "MONITOR",
            "SYNC",
            "PSYNC",
            "REPLCONF",
        ],
        "this command streams replies and never ends; to wait for something, poll a read \
         with `until` (for instance `LLEN` until it is 0)",
    ),
    (
        &["AUTH", "HELLO", "SELECT", "QUIT", "RESET"],
        "the connection is set up by `url`: put the user, password and database number there \
         (`redis://:PASSWORD@HOST:6379/DB`, usually from a secret input)",
    ),
];

/// Classifies a command given as its name and its first argument (`None`
/// when there is none). A name or subcommand the caller could not read (a
/// template) is passed as `None` by [`classify_written`].
pub fn classify(name: &str, first: Option<&str>) -> Class {
    let name = name.to_ascii_uppercase();
    if let Some((_, hint)) = REFUSED
        .iter()
        .find(|(names, _)| names.contains(&name.as_str()))
    {
        return Class::Refused(hint);
    }
    if name == "CLIENT" && first.is_some_and(|s| s.eq_ignore_ascii_case("REPLY")) {
        return Class::Refused(
            "`CLIENT REPLY OFF` would leave the step waiting for a reply that never comes",
        );
    }
    if READS.contains(&name.as_str()) {
        return Class::Effect(Effect::Read);
    }
    if DESTRUCTIVE.contains(&name.as_str()) {
        return Class::Effect(Effect::Destructive);
    }
    if let Some(family) = FAMILIES.iter().find(|f| f.name == name) {
        let Some(sub) = first.map(str::to_ascii_uppercase) else {
            return Class::Effect(family.otherwise);
        };
        if family.reads.contains(&sub.as_str()) {
            return Class::Effect(Effect::Read);
        }
        if family.destructive.contains(&sub.as_str()) {
            return Class::Effect(Effect::Destructive);
        }
        return Class::Effect(family.otherwise);
    }
    Class::Effect(Effect::Write)
}

/// Classifies a command as written in a playbook, where the name or the
/// subcommand may be a template: a templated name is `write` (what it will
/// be is not known), a templated subcommand is its family's most cautious.
pub fn classify_written(name: Option<&str>, first: Option<Option<&str>>) -> Class {
    let Some(name) = name else {
        return Class::Effect(Effect::Write);
    };
    match first {
        // Known: a literal first argument, or none at all.
        Some(first) => classify(name, first),
        // A template: the family's most cautious reading.
        None => match FAMILIES.iter().find(|f| f.name.eq_ignore_ascii_case(name)) {
            Some(family) if !family.destructive.is_empty() => Class::Effect(Effect::Destructive),
            Some(family) => Class::Effect(family.otherwise),
            None => classify(name, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn is(effect: Effect, argv: &[&str]) {
        assert_eq!(
            classify(argv[0], argv.get(1).copied()),
            Class::Effect(effect),
            "{argv:?}"
        );
    }

    #[test]
    fn the_tables_are_sorted_and_uppercase() {
        for table in [READS, DESTRUCTIVE] {
            let mut sorted = table.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, table);
            assert!(table.iter().all(|n| n.to_ascii_uppercase() == *n));
        }
        for name in READS {
            assert!(!DESTRUCTIVE.contains(name), "{name} is in both tables");
        }
    }

    #[test]
    fn probes_read() {
        for argv in [
            &["LLEN", "arq:queue"][..],
            &["get", "k"],
            &["INFO", "memory"],
            &["PING"],
            &["DBSIZE"],
            &["SCAN", "0", "MATCH", "*"],
            &["XPENDING", "s", "g"],
            &["XINFO", "STREAM", "s"],
            &["MEMORY", "USAGE", "k"],
            &["client", "list"],
            &["SLOWLOG", "GET", "10"],
            &["CONFIG", "GET", "maxmemory*"],
            &["EVAL_RO", "return 1", "0"],
        ] {
            is(Effect::Read, argv);
        }
    }

    #[test]
    fn removals_and_server_changes_are_destructive() {
        for argv in [
            &["DEL", "k"][..],
            &["unlink", "k"],
            &["FLUSHDB"],
            &["FLUSHALL", "ASYNC"],
            &["EXPIRE", "k", "10"],
            &["PEXPIREAT", "k", "10"],
            &["DEBUG", "SLEEP", "1"],
            &["SHUTDOWN", "NOSAVE"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["CONFIG", "REWRITE"],
            &["CLIENT", "KILL", "ID", "1"],
            &["SCRIPT", "FLUSH"],
            &["EVAL", "return 1", "0"],
            &["FCALL", "f", "0"],
            &["SLOWLOG", "RESET"],
            &["CONFIG"],
            &["ACL", "SETUSER", "u"],
        ] {
            is(Effect::Destructive, argv);
        }
    }

    #[test]
    fn anything_else_writes() {
        for argv in [
            &["SET", "k", "v"][..],
            &["LPUSH", "q", "x"],
            &["BLPOP", "q", "0"],
            &["CLIENT", "SETNAME", "x"],
            &["JSON.GET", "k"],
            &["NOSUCHCOMMAND"],
            &["SORT", "k", "STORE", "d"],
            &["OBJECT", "HELP"],
        ] {
            is(Effect::Write, argv);
        }
    }

    #[test]
    fn connection_and_streaming_commands_are_refused() {
        for argv in [
            &["MULTI"][..],
            &["exec"],
            &["SUBSCRIBE", "c"],
            &["MONITOR"],
            &["AUTH", "p"],
            &["SELECT", "1"],
            &["CLIENT", "REPLY", "OFF"],
        ] {
            assert!(
                matches!(classify(argv[0], argv.get(1).copied()), Class::Refused(_)),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn templates_are_classified_cautiously() {
        assert_eq!(classify_written(None, None), Class::Effect(Effect::Write));
        assert_eq!(
            classify_written(Some("CONFIG"), None),
            Class::Effect(Effect::Destructive)
        );
        assert_eq!(
            classify_written(Some("MEMORY"), None),
            Class::Effect(Effect::Write)
        );
        assert_eq!(
            classify_written(Some("LLEN"), None),
            Class::Effect(Effect::Read)
        );
        assert_eq!(
            classify_written(Some("CONFIG"), Some(Some("GET"))),
            Class::Effect(Effect::Read)
        );
    }
}
