//! Talking to the API server with `kube`: the kubeconfig resolved as
//! `kubectl` does (`KUBECONFIG`, `~/.kube/config`, in-cluster), resource
//! types found by the names `kubectl` users write, and API errors as
//! sentences naming what the step acted on.

use kube::api::{DynamicObject, GroupVersionKind};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use kube::{Client, Config};
use serde_json::Value;
use std::time::Duration;

/// How long `rollout_status` waits when the step sets no `timeout`.
pub const ROLLOUT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one API request may take before it is reported as a timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A resource type the step names, as the API knows it.
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// The resource types `kubectl` users name most, with their short names, so
/// the common case needs no discovery round trips.
/// Names, group, version, kind, plural, whether namespaced.
type Known = (
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

const KNOWN: &[Known] = &[
    // names, group, version, kind, plural, namespaced
    (&["pod", "pods", "po"], "", "v1", "Pod", "pods", true),
    (
        &["service", "services", "svc"],
        "",
        "v1",
        "Service",
        "services",
        true,
    ),
    (
        &["endpoints", "ep"],
        "",
        "v1",
        "Endpoints",
        "endpoints",
        true,
    ),
    (
        &["configmap", "configmaps", "cm"],
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        true,
    ),
    (&["secret", "secrets"], "", "v1", "Secret", "secrets", true),
    (
        &["event", "events", "ev"],
        "",
        "v1",
        "Event",
        "events",
        true,
    ),
    (
        &["persistentvolumeclaim", "persistentvolumeclaims", "pvc"],
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
    ),
    (&["node", "nodes", "no"], "", "v1", "Node", "nodes", false),
    (
        &["namespace", "namespaces", "ns"],
        "",
        "v1",
        "Namespace",
        "namespaces",
        false,
    ),
    (
        &["deployment", "deployments", "deploy"],
        "apps",
        "v1",
        "Deployment",
        "deployments",
        true,
    ),
    (
        &["statefulset", "statefulsets", "sts"],
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        true,
    ),
    (
        &["daemonset", "daemonsets", "ds"],
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        true,
    ),
    (
        &["replicaset", "replicasets", "rs"],
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        true,
    ),
    (&["job", "jobs"], "batch", "v1", "Job", "jobs", true),
    (
        &["cronjob", "cronjobs", "cj"],
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        true,
    ),
    (
        &["horizontalpodautoscaler", "horizontalpodautoscalers", "hpa"],
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    (
        &["ingress", "ingresses", "ing"],
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
    ),
];

/// The names of the built-in resource types runbook knows without asking
/// the cluster (`deployment`, `deployments`, `deploy`, ...).
pub fn known_names() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().flat_map(|k| k.0.iter().copied())
}

/// Finds a resource type by name, plural, short name or kind, first in
/// [`KNOWN`], then through the server's discovery (custom resources).
pub async fn resource(client: &Client, name: &str) -> Result<Resource, String> {
    let wanted = name.to_ascii_lowercase();
    for (names, group, version, kind, plural, namespaced) in KNOWN {
        if names.contains(&wanted.as_str()) {
            let gvk = GroupVersionKind::gvk(group, version, kind);
            return Ok(Resource {
                api: ApiResource::from_gvk_with_plural(&gvk, plural),
                namespaced: *namespaced,
            });
        }
    }
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| format!("cannot discover the resource types of the cluster: {e}"))?;
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if ar.plural == wanted || ar.kind.to_ascii_lowercase() == wanted {
                return Ok(Resource {
                    api: ar,
                    namespaced: caps.scope == kube::discovery::Scope::Namespaced,
                });
            }
        }
    }
    Err(format!("the cluster has no resource type `{name}`"))
}

/// The client for the step's context, and the namespace to use.
pub async fn connect(
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<(Client, String), String> {
    let mut config = match context {
        Some(context) => {
            let options = KubeConfigOptions {
                context: Some(context.to_string()),
                ..KubeConfigOptions::default()
            };
            let kubeconfig =
                Kubeconfig::read().map_err(|e| format!("cannot read the kubeconfig: {e}"))?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("cannot use the kubeconfig context `{context}`: {e}"))?
        }
        None => Config::infer().await.map_err(|e| {
            format!("no Kubernetes configuration (KUBECONFIG, ~/.kube/config or in-cluster): {e}")
        })?,
    };
    config.read_timeout = Some(REQUEST_TIMEOUT);
    config.connect_timeout = Some(Duration::from_secs(10));
    let namespace = namespace
        .map(str::to_string)
        .unwrap_or_else(|| config.default_namespace.clone());
    // Every request goes through the rule for closed connections.
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| format!("cannot set up the Kubernetes client: {e}"))?
        .with_layer(&super::closed::RepeatLayer)
        .build();
    Ok((client, namespace))
}

/// What the step acts on, for messages: `deployment/web in namespace prod`.
pub struct Target<'a> {
    pub resource: &'a str,
    pub name: Option<&'a str>,
    pub namespace: &'a str,
}

impl std::fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(n) => write!(f, "{}/{n}", self.resource)?,
            None => write!(f, "{}", self.resource)?,
        }
        write!(f, " in namespace `{}`", self.namespace)
    }
}

/// An API error as a sentence naming the resource.
pub fn explain(e: &kube::Error, what: &str, target: &Target<'_>) -> String {
    use std::error::Error as _;
    if let kube::Error::Api(status) = e {
        let detail = if status.message.is_empty() {
            status.reason.clone()
        } else {
            status.message.clone()
        };
        let why = match status.code {
            401 => "unauthorized (401): the API server refused the kubeconfig's credentials"
                .to_string(),
            403 => "forbidden (403): the kubeconfig's user may not do this".to_string(),
            404 => "not found (404)".to_string(),
            409 => "conflict (409): the object changed or already exists".to_string(),
            422 => "invalid (422): the API server rejected the change".to_string(),
            429 => "throttled (429): too many requests".to_string(),
            code @ 500..=599 => format!("the API server failed ({code})"),
            code => format!("the API server refused ({code})"),
        };
        return format!("cannot {what} {target}: {why}: {detail}");
    }
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(closed) = cause.downcast_ref::<super::closed::NotSentAgain>() {
            return format!("cannot {what} {target}: {closed}");
        }
        source = cause.source();
    }
    let mut text = e.to_string();
    let mut source = e.source();
    let mut timed_out = false;
    let mut refused = false;
    while let Some(cause) = source {
        let s = cause.to_string();
        timed_out |= s.to_ascii_lowercase().contains("timed out")
            || s.to_ascii_lowercase().contains("elapsed");
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    if refused {
        format!(
            "cannot {what} {target}: connection refused: the API server is not listening ({text})"
        )
    } else if timed_out {
        format!("cannot {what} {target}: the API server did not answer in time ({text})")
    } else {
        format!("cannot {what} {target}: {text}")
    }
}

/// An object as JSON.
pub fn to_value(o: &DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}
