//! What the checker knows of `k8s`: its parameters and results, its
//! default effect (from [`Operation::reads_only`]), and the rules of how
//! its parameters combine.

use super::{Operation, OPERATIONS, READ_OPERATIONS};
use crate::params::param;
use runbook_dsl::ast::{Effect, ValueType};
use runbook_dsl::catalog::{
    Capabilities, KindSchema, ParamProblem, ParamSchema, ParamType, ResultField,
};
use runbook_dsl::code::Code;
use runbook_dsl::encode::{dns1123_label, dns1123_subdomain, Encoding};
use runbook_dsl::expr::Type;
use runbook_dsl::node::Node;

/// How a patch document is interpreted, as `kubectl patch --type`.
pub const PATCH_TYPES: &[&str] = &["merge", "json", "strategic"];

const EFFECT: &str = "`read` for `get`, `list`, `logs`, `events` and `rollout_status`; \
`write` for the others. `delete` is `write` too: whether deleting is destructive depends on \
what is deleted (a pod its controller recreates, or a PVC), so the author raises it with \
`effect: destructive`.";

/// The `k8s` kind.
pub fn schema() -> KindSchema {
    let template =
        |name, description| ParamSchema::optional(name, ParamType::Template, description);
    let encoded = |name, encoding, description| {
        ParamSchema::optional(name, ParamType::Encoded(encoding), description)
    };
    KindSchema {
        name: "k8s",
        summary: "Read or change Kubernetes resources through the API server, as `kubectl` would.",
        params: vec![
            ParamSchema::required(
                "operation",
                ParamType::Enum(OPERATIONS),
                "What to do; `rollout_*` and `set_env` act on a workload.",
            ),
            ParamSchema::optional(
                "resource",
                ParamType::String,
                "Resource type (`pod`, `deployment`, `statefulset`, `hpa`, `service`, `endpoints`, ...); default `pod`.",
            ),
            encoded("name", Encoding::K8sName, "Name of the object; for `logs`, a pod or `deployment/NAME`."),
            encoded("namespace", Encoding::K8sName, "Namespace; default the context's namespace."),
            template("context", "Kubeconfig context; default the current context."),
            encoded("selector", Encoding::LabelSelector, "Label selector, such as `app=alphaswarm-core`, instead of `name`."),
            encoded("field_selector", Encoding::FieldSelector, "Field selector, such as `status.phase!=Running`."),
            encoded("container", Encoding::K8sName, "Container whose logs to read; default the pod's only or default container."),
            ParamSchema::optional(
                "tail",
                ParamType::Int,
                "For `logs`: only the last N lines; for `events`: only the last N events.",
            ),
            ParamSchema::optional(
                "previous",
                ParamType::Bool,
                "For `logs`: the previous, crashed instance of the container.",
            ),
            ParamSchema::optional(
                "replicas",
                ParamType::OneOf(vec![ParamType::Int, ParamType::Template]),
                "For `scale`: the desired replica count.",
            ),
            ParamSchema::optional(
                "env",
                ParamType::Map(Box::new(ParamType::Template)),
                "For `set_env`: variables to set on the workload's containers.",
            ),
            ParamSchema::optional(
                "patch",
                ParamType::Any,
                "For `patch`: the patch document; strings in it are templates.",
            ),
            ParamSchema::optional(
                "patch_type",
                ParamType::Enum(PATCH_TYPES),
                "For `patch`: how the document applies; default `strategic` (`merge` for custom resources).",
            ),
            ParamSchema::optional(
                "timeout",
                ParamType::Duration,
                "For `rollout_status`: how long to wait for the rollout; default `5m`.",
            )
            .only_for(&["rollout_status"]),
        ],
        shorthand: None,
        results: vec![
            ResultField::new(
                "object",
                ValueType::Any,
                "The object read or as changed (for `list`, the list object): a `pod` when the step reads pods, else a `k8s_object` (see \"What the elements look like\").",
            )
            .shaped(super::shapes::object),
            ResultField::new(
                "items",
                ValueType::List,
                "The objects listed: `list<pod>` when the step lists pods, else `list<k8s_object>`.",
            )
            .shaped(super::shapes::items),
            ResultField::new("count", ValueType::Int, "How many objects were listed, or matched."),
            ResultField::new("names", ValueType::List, "Names of the objects listed, or acted on.")
                .shaped(|_| Type::List(Box::new(Type::String))),
            ResultField::new(
                "phases",
                ValueType::Map,
                "Pods per phase (`Running`, `Pending`, `Failed`, ...), counted over the pods read.",
            )
            .shaped(|_| runbook_dsl::expr::map_of(Type::Int)),
            ResultField::new(
                "crashlooping",
                ValueType::List,
                "Names of the pods read with a container in `CrashLoopBackOff`.",
            )
            .shaped(|_| Type::List(Box::new(Type::String))),
            ResultField::new(
                "restarts",
                ValueType::Int,
                "Container restarts summed over the pods read.",
            ),
            ResultField::new(
                "logs",
                ValueType::String,
                "For `logs`: the log text, its first output-cap bytes when longer (`truncated`).",
            ),
            crate::capped::truncated_field(),
            ResultField::new(
                "events",
                ValueType::List,
                "For `events`: the events involving the objects, oldest first.",
            )
            .shaped(super::shapes::events),
        ],
        primary_result: "object",
        default_effect,
        effect_doc: EFFECT,
        rules,
        capabilities: Capabilities {
            read_only_operations: READ_OPERATIONS,
            ..Capabilities::default()
        },
    }
}

fn default_effect(params: &Node) -> Effect {
    let operation = param(params, None, "operation").and_then(Node::scalar_string);
    match operation {
        Some(op) if Operation::named(&op).is_some_and(Operation::reads_only) => Effect::Read,
        _ => Effect::Write,
    }
}

/// What each operation needs besides its type-checked parameters.
const NEEDS: &[(&str, &str, &str)] = &[
    ("get", "name", "name the object: `name: alphaswarm-core`; `list` reads objects by `selector`"),
    ("logs", "name", "name a pod or `deployment/NAME`"),
    ("rollout_restart", "name", "name the workload: `name: alphaswarm-core`"),
    ("rollout_status", "name", "name the workload: `name: alphaswarm-core`"),
    ("scale", "name", "name the workload: `name: alphaswarm-worker`"),
    ("scale", "replicas", "give the replica count: `replicas: 8`"),
    ("set_env", "name", "name the workload: `name: alphaswarm-core`"),
    ("set_env", "env", "give the variables: `env: {ALPHASWARM_AUTH_ENFORCE: permissive}`"),
    ("patch", "name", "name the object: `name: alphaswarm-core`"),
    ("patch", "patch", "give the patch document under `patch:`"),
    (
        "delete",
        "name",
        "name the object: `name: redis-master-0`; to delete a pod found by label, list it first (`operation: list`, `selector: ...`) and pass its name on",
    ),
];

/// An operation without a parameter it cannot work without.
fn rules(params: &Node) -> Vec<ParamProblem> {
    let Some(operation) = param(params, None, "operation") else {
        return Vec::new();
    };
    let Some(op) = operation.scalar_string() else {
        return Vec::new();
    };
    NEEDS
        .iter()
        .filter(|(o, needed, _)| *o == op && param(params, None, needed).is_none())
        .map(|(_, needed, help)| ParamProblem {
            code: Code::InvalidParam,
            span: operation.span,
            message: format!("the k8s operation `{op}` needs `{needed}`"),
            label: "needs more".into(),
            help: (*help).to_string(),
        })
        .chain(literal_names(params, &op))
        .chain(misspelt_resource(params))
        .collect()
}

/// A literal `resource` one or two edits from a built-in type's name
/// (`deploymnet`): found at run time only as "the cluster has no resource
/// type", after the gates. A custom resource is looked up in the cluster
/// and is not a misspelling of a built-in name.
fn misspelt_resource(params: &Node) -> Option<ParamProblem> {
    let node = param(params, None, "resource")?;
    let text = node.as_text()?;
    let written = text.as_str();
    if written.contains("{{") || written.contains('.') {
        return None;
    }
    let lower = written.to_ascii_lowercase();
    if super::client::known_names().any(|k| k == lower) {
        return None;
    }
    let close =
        super::client::known_names().find(|k| runbook_dsl::suggest::is_misspelling(&lower, k))?;
    Some(ParamProblem {
        code: Code::InvalidParam,
        span: node.span,
        message: format!("`{written}` is not a resource type"),
        label: "misspelt?".into(),
        help: format!("did you mean `{close}`? (the built-in types, their plurals and short names are known; a custom resource is looked up in the cluster)"),
    })
}

/// The parameters that name API objects, and the DNS-1123 rule each follows.
const NAMES: &[(&str, bool)] = &[("name", false), ("namespace", true), ("container", true)];

/// Why `value` of parameter `param` is not a name the API accepts, if it is
/// not: namespaces and containers are DNS-1123 labels, object names DNS-1123
/// subdomains (`logs` also takes `KIND/NAME`). Checked on literal values by
/// `check`, and on rendered values before any request.
pub fn name_problem(param: &str, value: &str, operation: &str) -> Option<String> {
    let label = NAMES.iter().any(|(p, label)| *p == param && *label);
    let name = match value.split_once('/') {
        Some((kind, name)) if param == "name" && operation == "logs" && !kind.is_empty() => name,
        _ => value,
    };
    let valid = if label {
        dns1123_label(name)
    } else {
        dns1123_subdomain(name)
    };
    (!valid).then(|| {
        let rule = if label {
            "a DNS-1123 label: at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit"
        } else {
            "a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
        };
        format!("`{value}` is not a valid Kubernetes {param}: it must be {rule}")
    })
}

/// Literal names that the API would refuse (or read as a path: `web#frag`).
fn literal_names(params: &Node, operation: &str) -> Vec<ParamProblem> {
    NAMES
        .iter()
        .filter_map(|(name, _)| {
            let node = param(params, None, name)?;
            let text = node.as_text()?;
            if text.value.contains("{{") {
                return None;
            }
            let message = name_problem(name, &text.value, operation)?;
            Some(ParamProblem {
                code: Code::InvalidK8sName,
                span: node.span,
                message,
                label: "not a Kubernetes name".into(),
                help: "Kubernetes names are lowercase (`web-0`, `alphaswarm-core`); a name with \
                       `#`, `?` or `/` would be read as another URL by the API server"
                    .into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_consistent, map, text};

    #[test]
    fn schema_is_consistent() {
        assert_consistent(&schema());
        assert!(READ_OPERATIONS.iter().all(|op| OPERATIONS.contains(op)));
        // The schema's words are the words serde reads.
        for op in Operation::ALL {
            let read: Operation = serde_json::from_value(op.name().into()).unwrap();
            assert_eq!(read, op);
        }
    }

    #[test]
    fn a_misspelt_built_in_resource_is_refused_and_a_custom_one_is_not() {
        let problems = |resource: &str| {
            rules(&map(vec![
                ("operation", text("list")),
                ("resource", text(resource)),
            ]))
        };
        let found = problems("deploymnet");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "`deploymnet` is not a resource type");
        assert!(found[0].help.starts_with("did you mean `deployment`?"));
        for fine in [
            "deployments",
            "Deployment",
            "deploy",
            "podmonitors",
            "certificates.cert-manager.io",
            "{{inputs.kind}}",
        ] {
            assert!(problems(fine).is_empty(), "{fine}");
        }
    }

    fn effect_of(operation: &str) -> Effect {
        let params = map(vec![
            ("operation", text(operation)),
            ("resource", text("deployment")),
            ("name", text("alphaswarm-core")),
        ]);
        (schema().default_effect)(&params)
    }

    #[test]
    fn reads_read() {
        for op in ["get", "list", "logs", "events", "rollout_status"] {
            assert_eq!(effect_of(op), Effect::Read, "{op}");
        }
    }

    #[test]
    fn changes_write_and_delete_is_left_to_the_author() {
        for op in ["rollout_restart", "scale", "set_env", "patch", "delete"] {
            assert_eq!(effect_of(op), Effect::Write, "{op}");
        }
    }

    #[test]
    fn an_unknown_or_missing_operation_writes() {
        assert_eq!(effect_of("exec"), Effect::Write);
        assert_eq!(effect_of("GET"), Effect::Write);
        assert_eq!((schema().default_effect)(&map(vec![])), Effect::Write);
    }
}
