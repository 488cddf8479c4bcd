//! One built-in step kind per file. Each exposes `schema()` and `EFFECT`, the
//! prose form of its default-effect rule for the reference (the rule itself is
//! code, `KindSchema::default_effect`, and cannot describe itself).

use runbook_dsl::ast::Effect;
use runbook_dsl::catalog::KindSchema;
use runbook_dsl::node::Node;

pub mod approve;
pub mod approve_action;
pub mod assert;
pub mod assert_action;
pub mod http;
pub mod http_action;
pub mod http_file;
pub mod k8s;
pub mod k8s_action;
pub mod log;
pub mod log_action;
pub mod notify;
pub mod notify_action;
pub mod playbook;
pub mod playbook_action;
pub mod prometheus;
pub mod prometheus_action;
pub mod shell;
pub mod shell_action;
pub mod sql;
pub mod sql_action;
pub mod sql_classify;
pub mod wait;
pub mod wait_action;

/// The `primary_result` of a kind that produces no results (`wait`,
/// `assert`): it names no result, so an output that relies on the primary
/// result of such a step is reported by the checker as naming nothing.
pub const NO_RESULT: &str = "";

/// A built-in kind as the catalog and the reference see it.
pub struct Builtin {
    pub schema: fn() -> KindSchema,
    /// How the default effect is chosen, one Markdown sentence or two.
    pub effect: &'static str,
}

/// Every built-in kind, in the order the reference documents them: probes
/// first, then changes, then the flow helpers.
pub const ALL: &[Builtin] = &[
    Builtin {
        schema: shell::schema,
        effect: shell::EFFECT,
    },
    Builtin {
        schema: http::schema,
        effect: http::EFFECT,
    },
    Builtin {
        schema: k8s::schema,
        effect: k8s::EFFECT,
    },
    Builtin {
        schema: prometheus::schema,
        effect: prometheus::EFFECT,
    },
    Builtin {
        schema: sql::schema,
        effect: sql::EFFECT,
    },
    Builtin {
        schema: wait::schema,
        effect: wait::EFFECT,
    },
    Builtin {
        schema: assert::schema,
        effect: assert::EFFECT,
    },
    Builtin {
        schema: log::schema,
        effect: log::EFFECT,
    },
    Builtin {
        schema: notify::schema,
        effect: notify::EFFECT,
    },
    Builtin {
        schema: approve::schema,
        effect: approve::EFFECT,
    },
    Builtin {
        schema: playbook::schema,
        effect: playbook::EFFECT,
    },
];

/// The default effect of a kind that only reads, whatever its parameters.
pub(crate) fn reads(_params: &Node) -> Effect {
    Effect::Read
}

/// The default effect of a kind that changes something, whatever its parameters.
pub(crate) fn writes(_params: &Node) -> Effect {
    Effect::Write
}

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::testing::assert_consistent;

    #[test]
    fn every_schema_is_consistent() {
        for kind in ALL {
            assert_consistent(&(kind.schema)());
        }
    }
}
