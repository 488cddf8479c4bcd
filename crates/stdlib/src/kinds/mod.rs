//! The built-in step kinds: one module per kind (a folder for a large
//! one), each a [`Kind`] with its schema and its execution, and [`ALL`],
//! the one list that registers them for both the checker and the runner.
//! Adding a kind is a module here and a line in [`ALL`]
//! (see `docs/adding-a-kind.md`).

use runbook_dsl::ast::Effect;
use runbook_dsl::node::Node;
use runbook_runtime::AnyKind;

pub mod approve;
pub mod assert;
pub mod http;
pub mod k8s;
pub mod log;
pub mod notify;
pub mod playbook;
pub mod prometheus;
pub mod redis;
pub mod shell;
pub mod silence;
pub mod sql;
pub mod tcp;
pub mod tls;
pub mod wait;

/// The `primary_result` of a kind that produces no results (`wait`,
/// `assert`): it names no result, so an output that relies on the primary
/// result of such a step is reported by the checker as naming nothing.
pub const NO_RESULT: &str = "";

/// Every built-in kind, in the order the reference documents them: probes
/// first, then changes, then the flow helpers.
pub static ALL: &[&dyn AnyKind] = &[
    &shell::Shell,
    &http::Http,
    &k8s::K8s,
    &prometheus::Prometheus,
    &sql::Sql,
    &silence::Silence,
    &redis::Redis,
    &tcp::Tcp,
    &tls::Tls,
    &wait::Wait,
    &assert::Assert,
    &log::Log,
    &notify::Notify,
    &approve::Approve,
    &playbook::Playbook,
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
            assert_consistent(&kind.schema());
        }
    }
}
