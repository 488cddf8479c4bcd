//! The shapes of what `k8s` reads, for `check`: a Kubernetes object
//! (`apiVersion`, `kind`, `metadata`, and the `spec` and `status` of its
//! type), and a pod in particular when the step names pods. Only fields the
//! Kubernetes API defines are listed; the levels where objects of other
//! types differ (`spec`, `status`, a ConfigMap's `data`) are open, so a
//! field not listed there reads as `any` (unless it is a close misspelling
//! of a listed one: `metadata.nmae`).

use super::Operation;
use crate::params::param;
use runbook_dsl::expr::{map_of, Record, Type};
use runbook_dsl::node::Node;
use std::sync::LazyLock;

/// `metadata`, common to every object (ObjectMeta).
fn metadata() -> Type {
    let owner = Record::open(
        Some("owner_reference"),
        vec![
            ("apiVersion", Type::String),
            ("kind", Type::String),
            ("name", Type::String),
            ("uid", Type::String),
            ("controller", Type::Bool),
            ("blockOwnerDeletion", Type::Bool),
        ],
    )
    .into_type();
    Record::open(
        Some("object_meta"),
        vec![
            ("name", Type::String),
            ("namespace", Type::String),
            ("labels", map_of(Type::String)),
            ("annotations", map_of(Type::String)),
            ("uid", Type::String),
            ("creationTimestamp", Type::String),
            ("deletionTimestamp", Type::String),
            ("deletionGracePeriodSeconds", Type::Int),
            ("generateName", Type::String),
            ("generation", Type::Int),
            ("resourceVersion", Type::String),
            ("ownerReferences", list(owner)),
            ("finalizers", list(Type::String)),
            ("managedFields", list(Type::Any)),
            ("selfLink", Type::String),
        ],
    )
    .into_type()
}

fn list(item: Type) -> Type {
    Type::List(Box::new(item))
}

/// Any Kubernetes object: other types have other top-level fields (a
/// ConfigMap's `data`), so the top level is open.
static OBJECT: LazyLock<Type> = LazyLock::new(|| {
    Record::open(
        Some("k8s_object"),
        vec![
            ("apiVersion", Type::String),
            ("kind", Type::String),
            ("metadata", metadata()),
            ("spec", Type::Any),
            ("status", Type::Any),
        ],
    )
    .into_type()
});

/// A pod (core/v1 Pod): its top level is exactly these fields.
static POD: LazyLock<Type> = LazyLock::new(|| {
    Record::closed(
        Some("pod"),
        vec![
            ("apiVersion", Type::String),
            ("kind", Type::String),
            ("metadata", metadata()),
            ("spec", pod_spec()),
            ("status", pod_status()),
        ],
    )
    .into_type()
});

/// An event (core/v1 Event), as `events` returns them: its top level is
/// exactly these fields.
static EVENT: LazyLock<Type> = LazyLock::new(|| {
    let involved = Record::open(
        Some("object_reference"),
        vec![
            ("apiVersion", Type::String),
            ("kind", Type::String),
            ("name", Type::String),
            ("namespace", Type::String),
            ("uid", Type::String),
            ("resourceVersion", Type::String),
            ("fieldPath", Type::String),
        ],
    )
    .into_type();
    let source = Record::open(
        None,
        vec![("component", Type::String), ("host", Type::String)],
    )
    .into_type();
    let series = Record::open(
        None,
        vec![("count", Type::Int), ("lastObservedTime", Type::String)],
    )
    .into_type();
    Record::closed(
        Some("event"),
        vec![
            ("apiVersion", Type::String),
            ("kind", Type::String),
            ("metadata", metadata()),
            ("involvedObject", involved),
            ("type", Type::String),
            ("reason", Type::String),
            ("message", Type::String),
            ("count", Type::Int),
            ("firstTimestamp", Type::String),
            ("lastTimestamp", Type::String),
            ("eventTime", Type::String),
            ("source", source),
            ("reportingComponent", Type::String),
            ("reportingInstance", Type::String),
            ("action", Type::String),
            ("related", Type::Any),
            ("series", series),
        ],
    )
    .into_type()
});

/// `events`: the events involving the objects.
pub fn events(_params: &Node) -> Type {
    list(EVENT.clone())
}

/// A container of a pod's spec (core/v1 Container).
fn container() -> Type {
    let any = |name| (name, Type::Any);
    Record::open(
        Some("container"),
        vec![
            ("name", Type::String),
            ("image", Type::String),
            ("command", list(Type::String)),
            ("args", list(Type::String)),
            ("workingDir", Type::String),
            ("imagePullPolicy", Type::String),
            ("restartPolicy", Type::String),
            ("terminationMessagePath", Type::String),
            ("terminationMessagePolicy", Type::String),
            ("stdin", Type::Bool),
            ("stdinOnce", Type::Bool),
            ("tty", Type::Bool),
            any("env"),
            any("envFrom"),
            any("ports"),
            any("resources"),
            any("resizePolicy"),
            any("volumeMounts"),
            any("volumeDevices"),
            any("livenessProbe"),
            any("readinessProbe"),
            any("startupProbe"),
            any("lifecycle"),
            any("securityContext"),
        ],
    )
    .into_type()
}

/// A pod's `spec` (core/v1 PodSpec).
fn pod_spec() -> Type {
    let any = |name| (name, Type::Any);
    Record::open(
        Some("pod_spec"),
        vec![
            ("containers", list(container())),
            ("initContainers", list(container())),
            ("ephemeralContainers", list(Type::Any)),
            ("nodeName", Type::String),
            ("nodeSelector", map_of(Type::String)),
            ("serviceAccountName", Type::String),
            ("serviceAccount", Type::String),
            ("restartPolicy", Type::String),
            ("priority", Type::Int),
            ("priorityClassName", Type::String),
            ("schedulerName", Type::String),
            ("hostname", Type::String),
            ("subdomain", Type::String),
            ("hostNetwork", Type::Bool),
            ("hostPID", Type::Bool),
            ("hostIPC", Type::Bool),
            ("hostUsers", Type::Bool),
            ("terminationGracePeriodSeconds", Type::Int),
            ("activeDeadlineSeconds", Type::Int),
            ("dnsPolicy", Type::String),
            ("runtimeClassName", Type::String),
            ("preemptionPolicy", Type::String),
            ("enableServiceLinks", Type::Bool),
            ("automountServiceAccountToken", Type::Bool),
            ("shareProcessNamespace", Type::Bool),
            ("setHostnameAsFQDN", Type::Bool),
            any("affinity"),
            any("tolerations"),
            any("topologySpreadConstraints"),
            any("volumes"),
            any("imagePullSecrets"),
            any("securityContext"),
            any("dnsConfig"),
            any("hostAliases"),
            any("readinessGates"),
            any("resourceClaims"),
            any("schedulingGates"),
            any("overhead"),
            any("os"),
        ],
    )
    .into_type()
}

/// A pod's `status` (core/v1 PodStatus).
fn pod_status() -> Type {
    let condition = Record::open(
        Some("pod_condition"),
        vec![
            ("type", Type::String),
            ("status", Type::String),
            ("reason", Type::String),
            ("message", Type::String),
            ("lastTransitionTime", Type::String),
            ("lastProbeTime", Type::String),
            ("observedGeneration", Type::Int),
        ],
    )
    .into_type();
    let statuses = list(container_status());
    Record::open(
        Some("pod_status"),
        vec![
            ("phase", Type::String),
            ("conditions", list(condition)),
            ("containerStatuses", statuses.clone()),
            ("initContainerStatuses", statuses.clone()),
            ("ephemeralContainerStatuses", statuses),
            ("podIP", Type::String),
            ("podIPs", list(Type::Any)),
            ("hostIP", Type::String),
            ("hostIPs", list(Type::Any)),
            ("startTime", Type::String),
            ("reason", Type::String),
            ("message", Type::String),
            ("qosClass", Type::String),
            ("nominatedNodeName", Type::String),
            ("resize", Type::String),
            ("resourceClaimStatuses", list(Type::Any)),
            ("observedGeneration", Type::Int),
        ],
    )
    .into_type()
}

/// One container's status (core/v1 ContainerStatus).
fn container_status() -> Type {
    let any = |name| (name, Type::Any);
    let state = Record::closed(
        Some("container_state"),
        vec![
            (
                "waiting",
                Record::open(
                    None,
                    vec![("reason", Type::String), ("message", Type::String)],
                )
                .into_type(),
            ),
            (
                "running",
                Record::open(None, vec![("startedAt", Type::String)]).into_type(),
            ),
            (
                "terminated",
                Record::open(
                    None,
                    vec![
                        ("exitCode", Type::Int),
                        ("signal", Type::Int),
                        ("reason", Type::String),
                        ("message", Type::String),
                        ("startedAt", Type::String),
                        ("finishedAt", Type::String),
                        ("containerID", Type::String),
                    ],
                )
                .into_type(),
            ),
        ],
    )
    .into_type();
    Record::open(
        Some("container_status"),
        vec![
            ("name", Type::String),
            ("ready", Type::Bool),
            ("started", Type::Bool),
            ("restartCount", Type::Int),
            ("image", Type::String),
            ("imageID", Type::String),
            ("containerID", Type::String),
            ("state", state.clone()),
            ("lastState", state),
            any("resources"),
            any("allocatedResources"),
            any("allocatedResourcesStatus"),
            any("volumeMounts"),
            any("user"),
            any("stopSignal"),
        ],
    )
    .into_type()
}

/// Whether the step reads pods: `resource` is a pod's name (or not
/// given: pods are the default).
fn reads_pods(params: &Node) -> bool {
    match param(params, None, "resource").map(Node::scalar_string) {
        None => true,
        Some(Some(resource)) => {
            matches!(
                resource.to_ascii_lowercase().as_str(),
                "pod" | "pods" | "po"
            )
        }
        Some(None) => false,
    }
}

/// The object a step of these parameters reads or changes.
fn one(params: &Node) -> Type {
    if reads_pods(params) {
        POD.clone()
    } else {
        OBJECT.clone()
    }
}

fn operation(params: &Node) -> Option<Operation> {
    param(params, None, "operation")
        .and_then(Node::scalar_string)
        .and_then(|op| Operation::named(&op))
}

/// `items`: the objects listed, pods when the step lists pods.
pub fn items(params: &Node) -> Type {
    list(one(params))
}

/// `object`: the object read or as changed; for `list`, the list object.
pub fn object(params: &Node) -> Type {
    match operation(params) {
        Some(Operation::List) => {
            Record::open(None, vec![("kind", Type::String), ("items", items(params))]).into_type()
        }
        Some(
            Operation::Get
            | Operation::Patch
            | Operation::Scale
            | Operation::SetEnv
            | Operation::RolloutRestart
            | Operation::RolloutStatus
            | Operation::Delete,
        ) => one(params),
        _ => Type::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_dsl::node::Value;
    use runbook_dsl::source::Span;

    fn params(yaml: &[(&str, &str)]) -> Node {
        let text = |t: &str| runbook_dsl::node::Text::verbatim(t, Span::default());
        let entry = |(k, v): &(&str, &str)| runbook_dsl::node::Entry {
            key: text(k),
            value: Node {
                value: Value::Str(text(v)),
                span: Span::default(),
            },
        };
        Node {
            value: Value::Map(yaml.iter().map(entry).collect()),
            span: Span::default(),
        }
    }

    #[test]
    fn pods_are_typed_as_pods_and_other_resources_as_objects() {
        let pods = params(&[("operation", "list")]);
        assert_eq!(items(&pods).to_string(), "list<pod>");
        let pods = params(&[("operation", "get"), ("resource", "Pods")]);
        assert_eq!(object(&pods).to_string(), "pod");
        let deployments = params(&[("operation", "list"), ("resource", "deployment")]);
        assert_eq!(items(&deployments).to_string(), "list<k8s_object>");
        let logs = params(&[("operation", "logs")]);
        assert_eq!(object(&logs), Type::Any);
        assert_eq!(events(&logs).to_string(), "list<event>");
    }
}
