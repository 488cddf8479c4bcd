//! `k8s`: the Kubernetes operations the seed runbooks perform with `kubectl`
//! (get pods, logs --previous, events, rollout restart, scale, set env,
//! patch an HPA, delete a pod), as typed operations with typed results, so
//! that a branch can test `steps.pods.crashlooping` instead of grepping
//! `kubectl` output for `CrashLoop`.
//!
//! The kind, its parameters and its [`Operation`]s are here; the schema in
//! [`schema`], the API client in [`client`], what each operation asks of
//! the server in [`operations`], derived results in [`results`].

mod client;
mod closed;
mod operations;
mod results;
mod schema;
mod shapes;

pub use results::{pod_summary, rollout_progress};
pub use schema::{name_problem, PATCH_TYPES};

use crate::params::{lenient_int, only_true};
use runbook_dsl::catalog::KindSchema;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::{ActionContext, ActionResult, Kind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The `k8s` kind.
pub struct K8s;

/// What a `k8s` step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Get,
    List,
    Logs,
    Events,
    RolloutStatus,
    RolloutRestart,
    Scale,
    SetEnv,
    Patch,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 10] = [
        Operation::Get,
        Operation::List,
        Operation::Logs,
        Operation::Events,
        Operation::RolloutStatus,
        Operation::RolloutRestart,
        Operation::Scale,
        Operation::SetEnv,
        Operation::Patch,
        Operation::Delete,
    ];

    /// The word a playbook writes.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Get => "get",
            Operation::List => "list",
            Operation::Logs => "logs",
            Operation::Events => "events",
            Operation::RolloutStatus => "rollout_status",
            Operation::RolloutRestart => "rollout_restart",
            Operation::Scale => "scale",
            Operation::SetEnv => "set_env",
            Operation::Patch => "patch",
            Operation::Delete => "delete",
        }
    }

    pub fn named(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether it only reads the cluster: its default effect is `read`,
    /// and a dry-run runs it instead of previewing it.
    pub const fn reads_only(self) -> bool {
        matches!(
            self,
            Operation::Get
                | Operation::List
                | Operation::Logs
                | Operation::Events
                | Operation::RolloutStatus
        )
    }

    /// The resource type when the step names none.
    pub const fn default_resource(self) -> &'static str {
        match self {
            Operation::RolloutRestart
            | Operation::RolloutStatus
            | Operation::Scale
            | Operation::SetEnv => "deployment",
            _ => "pod",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The operations `k8s` accepts, as the schema lists them.
pub const OPERATIONS: &[&str] = &{
    let mut out = [""; Operation::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = Operation::ALL[i].name();
        i += 1;
    }
    out
};

const READ_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < Operation::ALL.len() {
        if Operation::ALL[i].reads_only() {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The operations that only read the cluster (the kind's
/// `read_only_operations` capability).
pub const READ_OPERATIONS: &[&str] = &{
    let mut out = [""; READ_COUNT];
    let (mut i, mut n) = (0, 0);
    while i < Operation::ALL.len() {
        if Operation::ALL[i].reads_only() {
            out[n] = Operation::ALL[i].name();
            n += 1;
        }
        i += 1;
    }
    out
};

/// The parameters of a `k8s` step.
#[derive(Deserialize)]
pub struct Params {
    operation: Operation,
    resource: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    context: Option<String>,
    selector: Option<String>,
    field_selector: Option<String>,
    container: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    tail: Option<i64>,
    #[serde(default, deserialize_with = "only_true")]
    previous: bool,
    #[serde(default, deserialize_with = "lenient_int")]
    replicas: Option<i64>,
    env: Option<Map<String, Value>>,
    patch: Option<Value>,
    patch_type: Option<String>,
    timeout: Option<Duration>,
}

/// A text parameter that is given and not empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

impl Kind for K8s {
    type Params = Params;

    fn schema(&self) -> KindSchema {
        schema::schema()
    }

    fn run<'a>(&'a self, params: Params, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(async move { operations::execute(&params, ctx, false).await })
    }

    /// Changes go to the API server with `dryRun=All`; reads run as in a run.
    fn preview<'a>(
        &'a self,
        params: Params,
        ctx: &'a ActionContext,
    ) -> Option<BoxFuture<'a, ActionResult>> {
        if params.operation.reads_only() {
            return None;
        }
        Some(Box::pin(async move {
            operations::execute(&params, ctx, true).await
        }))
    }

    fn describe(&self, params: &Params, _: &ActionContext) -> String {
        let operation = params.operation;
        let resource = given(&params.resource).unwrap_or(operation.default_resource());
        let mut out = format!(
            "kubernetes {} {resource}",
            operation.name().replace('_', " ")
        );
        if let Some(n) = given(&params.name) {
            out.push_str(&format!("/{n}"));
        }
        if let Some(s) = given(&params.selector) {
            out.push_str(&format!(" -l {s}"));
        }
        if let Some(ns) = given(&params.namespace) {
            out.push_str(&format!(" -n {ns}"));
        }
        if let Some(c) = given(&params.context) {
            out.push_str(&format!(" --context {c}"));
        }
        match operation {
            Operation::Scale => {
                if let Some(r) = params.replicas {
                    out.push_str(&format!(" to {r} replicas"));
                }
            }
            Operation::SetEnv => {
                if let Some(env) = &params.env {
                    let pairs: Vec<String> = env
                        .iter()
                        .map(|(k, v)| {
                            format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string))
                        })
                        .collect();
                    out.push_str(&format!(" {}", pairs.join(" ")));
                }
            }
            Operation::Patch => {
                if let Some(p) = &params.patch {
                    out.push_str(&format!(" with {p}"));
                }
            }
            _ => {}
        }
        out
    }
}
