//! Running a `k8s` step through the Kubernetes API with `kube`: the
//! kubeconfig resolved as `kubectl` does (`KUBECONFIG`, `~/.kube/config`,
//! in-cluster), any resource read by kind, and the changes the seed
//! runbooks make with `kubectl` (rollout restart, scale, set env, patch,
//! delete), which a dry-run sends with `dryRun=All` so the API server
//! validates them and changes nothing.

use super::k8s::name_problem;
use kube::api::{
    Api, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch, PatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use kube::{Client, Config};
use runbook_dsl::encode::percent_encode;
use runbook_runtime::action::BoxFuture;
use runbook_runtime::render::Arg;
use runbook_runtime::{Action, ActionContext, ActionResult};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant, SystemTime};

/// The `k8s` action.
pub struct K8s;

/// How long `rollout_status` waits when the step sets no `timeout`.
const ROLLOUT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one API request may take before it is reported as a timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A resource type the step names, as the API knows it.
struct Resource {
    api: ApiResource,
    namespaced: bool,
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

/// Finds a resource type by name, plural, short name or kind, first in
/// [`KNOWN`], then through the server's discovery (custom resources).
async fn resource(client: &Client, name: &str) -> Result<Resource, String> {
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
async fn connect(ctx: &ActionContext) -> Result<(Client, String), String> {
    let mut config = match ctx.str_arg("context") {
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
    let namespace = ctx
        .str_arg("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config)
        .map_err(|e| format!("cannot set up the Kubernetes client: {e}"))?;
    Ok((client, namespace))
}

/// What the step acts on, for messages: `deployment/web in namespace prod`.
struct Target<'a> {
    resource: &'a str,
    name: Option<&'a str>,
    namespace: &'a str,
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
fn explain(e: &kube::Error, what: &str, target: &Target<'_>) -> String {
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

fn str_param<'a>(ctx: &'a ActionContext, name: &str) -> Option<&'a str> {
    ctx.str_arg(name).filter(|s| !s.is_empty())
}

fn int_param(ctx: &ActionContext, name: &str) -> Option<i64> {
    match ctx.args.get(name).and_then(Arg::as_value)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_param(ctx: &ActionContext, name: &str) -> bool {
    matches!(
        ctx.args.get(name).and_then(Arg::as_value),
        Some(Value::Bool(true))
    )
}

/// The derived outputs of pods: counts by phase, the names of pods with a
/// container in `CrashLoopBackOff`, restarts summed.
pub fn pod_summary(pods: &[Value], fields: &mut Map<String, Value>) {
    let mut phases = Map::new();
    let mut crashlooping = Vec::new();
    let mut restarts = 0i64;
    for pod in pods {
        let phase = pod["status"]["phase"].as_str().unwrap_or("Unknown");
        let n = phases.get(phase).and_then(Value::as_i64).unwrap_or(0);
        phases.insert(phase.to_string(), Value::from(n + 1));
        let statuses = ["containerStatuses", "initContainerStatuses"]
            .iter()
            .flat_map(|k| pod["status"][k].as_array().cloned().unwrap_or_default());
        let mut looping = false;
        for s in statuses {
            restarts += s["restartCount"].as_i64().unwrap_or(0);
            looping |= s["state"]["waiting"]["reason"] == "CrashLoopBackOff";
        }
        if looping {
            crashlooping.push(pod["metadata"]["name"].clone());
        }
    }
    fields.insert("phases".into(), Value::Object(phases));
    fields.insert("crashlooping".into(), Value::Array(crashlooping));
    fields.insert("restarts".into(), Value::from(restarts));
}

fn to_value(o: &DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

/// What one operation does, given the client.
struct Op<'a> {
    ctx: &'a ActionContext,
    client: Client,
    namespace: String,
    operation: &'a str,
    resource_name: String,
    name: Option<&'a str>,
    dry_run: bool,
}

impl Op<'_> {
    fn target(&self) -> Target<'_> {
        Target {
            resource: &self.resource_name,
            name: self.name,
            namespace: &self.namespace,
        }
    }

    fn api(&self, r: &Resource) -> Api<DynamicObject> {
        if r.namespaced {
            Api::namespaced_with(self.client.clone(), &self.namespace, &r.api)
        } else {
            Api::all_with(self.client.clone(), &r.api)
        }
    }

    fn need_name(&self) -> Result<&str, String> {
        self.name
            .ok_or_else(|| format!("`{}` needs `name`", self.operation))
    }

    fn patch_params(&self) -> PatchParams {
        PatchParams {
            dry_run: self.dry_run,
            field_manager: Some("runbook".into()),
            ..PatchParams::default()
        }
    }

    async fn run(&self) -> Result<ActionResult, String> {
        let r = resource(&self.client, &self.resource_name).await?;
        let api = self.api(&r);
        let is_pod = r.api.kind == "Pod";
        let mut fields = Map::new();
        match self.operation {
            "get" => {
                let name = self.need_name()?;
                let o = api
                    .get(name)
                    .await
                    .map_err(|e| explain(&e, "get", &self.target()))?;
                let v = to_value(&o);
                if is_pod {
                    pod_summary(std::slice::from_ref(&v), &mut fields);
                }
                fields.insert("names".into(), json!([name]));
                fields.insert("count".into(), Value::from(1));
                fields.insert("object".into(), v);
            }
            "list" => {
                let mut lp = ListParams::default();
                if let Some(s) = str_param(self.ctx, "selector") {
                    lp = lp.labels(s);
                }
                if let Some(s) = str_param(self.ctx, "field_selector") {
                    lp = lp.fields(s);
                }
                if let Some(n) = self.name {
                    lp = lp.fields(&format!("metadata.name={n}"));
                }
                let list = api
                    .list(&lp)
                    .await
                    .map_err(|e| explain(&e, "list", &self.target()))?;
                let items: Vec<Value> = list.items.iter().map(to_value).collect();
                if is_pod {
                    pod_summary(&items, &mut fields);
                }
                let names: Vec<Value> = items
                    .iter()
                    .map(|i| i["metadata"]["name"].clone())
                    .collect();
                fields.insert("count".into(), Value::from(items.len()));
                fields.insert("names".into(), Value::Array(names));
                fields.insert(
                    "object".into(),
                    json!({"kind": format!("{}List", r.api.kind), "items": items.clone()}),
                );
                fields.insert("items".into(), Value::Array(items));
            }
            "logs" => return self.logs().await,
            "events" => return self.events().await,
            "rollout_status" => return self.rollout_status(&api).await,
            "rollout_restart" => {
                let name = self.need_name()?;
                let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
                let patch = json!({"spec": {"template": {"metadata": {"annotations": {
                    "kubectl.kubernetes.io/restartedAt": now
                }}}}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Strategic(patch))
                    .await
                    .map_err(|e| explain(&e, "restart", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            "scale" => {
                let name = self.need_name()?;
                let replicas =
                    int_param(self.ctx, "replicas").ok_or("`scale` needs `replicas`, a number")?;
                let patch = json!({"spec": {"replicas": replicas}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Merge(patch))
                    .await
                    .map_err(|e| explain(&e, "scale", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            "set_env" => {
                let name = self.need_name()?;
                let Some(Value::Object(env)) = self.ctx.args.get("env").and_then(Arg::as_value)
                else {
                    return Err("`set_env` needs `env`, a mapping".into());
                };
                let current = api
                    .get(name)
                    .await
                    .map_err(|e| explain(&e, "read", &self.target()))?;
                let current = to_value(&current);
                let env: Vec<Value> = env
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        json!({"name": k, "value": v})
                    })
                    .collect();
                let containers: Vec<Value> = current["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| match str_param(self.ctx, "container") {
                        Some(only) => c["name"] == only,
                        None => true,
                    })
                    .map(|c| json!({"name": c["name"], "env": env}))
                    .collect();
                if containers.is_empty() {
                    return Err(format!(
                        "{} has no container to set the environment of",
                        self.target()
                    ));
                }
                let patch = json!({"spec": {"template": {"spec": {"containers": containers}}}});
                let o = api
                    .patch(name, &self.patch_params(), &Patch::Strategic(patch))
                    .await
                    .map_err(|e| explain(&e, "set the environment of", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            "patch" => {
                let name = self.need_name()?;
                let doc = self
                    .ctx
                    .args
                    .get("patch")
                    .and_then(Arg::as_value)
                    .cloned()
                    .ok_or("`patch` needs `patch`, the document")?;
                let kind = str_param(self.ctx, "patch_type").unwrap_or(
                    if r.api.group.contains('.') && !r.api.group.ends_with("k8s.io") {
                        "merge"
                    } else {
                        "strategic"
                    },
                );
                let patch = match kind {
                    "merge" => Patch::Merge(doc),
                    "json" => {
                        Patch::Json::<Value>(serde_json::from_value(doc).map_err(|e| {
                            format!("the JSON patch is not a list of operations: {e}")
                        })?)
                    }
                    _ => Patch::Strategic(doc),
                };
                let o = api
                    .patch(name, &self.patch_params(), &patch)
                    .await
                    .map_err(|e| explain(&e, "patch", &self.target()))?;
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), to_value(&o));
            }
            "delete" => {
                let name = self.need_name()?;
                let dp = DeleteParams {
                    dry_run: self.dry_run,
                    ..DeleteParams::default()
                };
                let gone = api
                    .delete(name, &dp)
                    .await
                    .map_err(|e| explain(&e, "delete", &self.target()))?;
                let object = gone.left().map(|o| to_value(&o)).unwrap_or(Value::Null);
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), object);
            }
            other => return Err(format!("unknown operation `{other}`")),
        }
        let mut result = ActionResult::success(fields);
        if self.dry_run {
            result.message = Some(format!(
                "the API server accepted {} of {} with dryRun=All",
                self.operation.replace('_', " "),
                self.target()
            ));
        }
        Ok(result)
    }

    async fn logs(&self) -> Result<ActionResult, String> {
        let name = self.need_name()?;
        let pods: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(self.client.clone(), &self.namespace);
        // `deployment/NAME`: one of its pods, as `kubectl logs deployment/NAME`.
        let pod = match name.split_once('/') {
            Some((workload, workload_name)) => {
                let r = resource(&self.client, workload).await?;
                let owner = self
                    .api(&r)
                    .get(workload_name)
                    .await
                    .map_err(|e| explain(&e, "read", &self.target()))?;
                let labels = to_value(&owner)["spec"]["selector"]["matchLabels"].clone();
                let selector = labels
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("{name} has no label selector"))?;
                let list = pods
                    .list(&ListParams::default().labels(&selector))
                    .await
                    .map_err(|e| explain(&e, "list the pods of", &self.target()))?;
                list.items
                    .first()
                    .and_then(|p| p.metadata.name.clone())
                    .ok_or_else(|| format!("{} has no pods", self.target()))?
            }
            None => name.to_string(),
        };
        let lp = LogParams {
            container: str_param(self.ctx, "container").map(str::to_string),
            tail_lines: int_param(self.ctx, "tail"),
            previous: bool_param(self.ctx, "previous"),
            ..LogParams::default()
        };
        let target = Target {
            resource: "pod",
            name: Some(&pod),
            namespace: &self.namespace,
        };
        let logs = pods
            .logs(&pod, &lp)
            .await
            .map_err(|e| explain(&e, "read the logs of", &target))?;
        let mut fields = Map::new();
        fields.insert("names".into(), json!([pod]));
        fields.insert("logs".into(), Value::String(logs));
        Ok(ActionResult::success(fields))
    }

    async fn events(&self) -> Result<ActionResult, String> {
        let gvk = GroupVersionKind::gvk("", "v1", "Event");
        let ar = ApiResource::from_gvk_with_plural(&gvk, "events");
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.namespace, &ar);
        let mut lp = ListParams::default();
        let mut fields_sel = Vec::new();
        if let Some(n) = self.name {
            fields_sel.push(format!("involvedObject.name={n}"));
        }
        if let Some(f) = str_param(self.ctx, "field_selector") {
            fields_sel.push(f.to_string());
        }
        if !fields_sel.is_empty() {
            lp = lp.fields(&fields_sel.join(","));
        }
        let target = Target {
            resource: "events",
            name: self.name,
            namespace: &self.namespace,
        };
        let list = api
            .list(&lp)
            .await
            .map_err(|e| explain(&e, "list", &target))?;
        let mut events: Vec<Value> = list.items.iter().map(to_value).collect();
        let time = |e: &Value| {
            ["lastTimestamp", "eventTime", "firstTimestamp"]
                .iter()
                .find_map(|k| e[k].as_str().map(str::to_string))
                .or_else(|| {
                    e["metadata"]["creationTimestamp"]
                        .as_str()
                        .map(str::to_string)
                })
                .unwrap_or_default()
        };
        events.sort_by_key(|e| time(e));
        if let Some(n) = int_param(self.ctx, "tail") {
            let n = usize::try_from(n).unwrap_or(0);
            if events.len() > n {
                events.drain(..events.len() - n);
            }
        }
        let mut fields = Map::new();
        fields.insert("count".into(), Value::from(events.len()));
        fields.insert("events".into(), Value::Array(events));
        Ok(ActionResult::success(fields))
    }

    async fn rollout_status(&self, api: &Api<DynamicObject>) -> Result<ActionResult, String> {
        let name = self.need_name()?;
        let limit = match self.ctx.args.get("timeout") {
            Some(Arg::Duration(d)) => *d,
            _ => ROLLOUT_TIMEOUT,
        };
        let started = Instant::now();
        loop {
            let o = api
                .get(name)
                .await
                .map_err(|e| explain(&e, "read", &self.target()))?;
            let v = to_value(&o);
            let (done, progress) = rollout_progress(&v);
            if done {
                let mut fields = Map::new();
                fields.insert("names".into(), json!([name]));
                fields.insert("object".into(), v);
                let mut result = ActionResult::success(fields);
                result.message = Some(progress);
                return Ok(result);
            }
            if !self.ctx.mode.repeats_polls() {
                return Ok(ActionResult::undecided(format!(
                    "a dry-run probes once and does not wait: {progress} (a run waits up to {} for the rollout)",
                    humantime::format_duration(limit)
                )));
            }
            if started.elapsed() >= limit {
                return Err(format!(
                    "the rollout of {} did not complete within {}: {progress}",
                    self.target(),
                    humantime::format_duration(limit)
                ));
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = self.ctx.cancel.cancelled() => return Err("stopped while waiting for the rollout".into()),
            }
        }
    }
}

/// Whether a workload's rollout is complete, as `kubectl rollout status`
/// decides it, and a sentence on its progress.
pub fn rollout_progress(o: &Value) -> (bool, String) {
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let generation = int(&o["metadata"]["generation"]);
    let observed = int(&o["status"]["observedGeneration"]);
    let wanted = o["spec"]["replicas"].as_i64().unwrap_or(1);
    let updated = int(&o["status"]["updatedReplicas"]);
    let replicas = int(&o["status"]["replicas"]);
    let available = int(&o["status"]["availableReplicas"]);
    if observed < generation {
        return (
            false,
            "waiting for the controller to observe the change".into(),
        );
    }
    if updated < wanted {
        return (false, format!("{updated} of {wanted} replicas updated"));
    }
    if replicas > updated {
        return (
            false,
            format!("{} old replicas pending termination", replicas - updated),
        );
    }
    if available < updated {
        return (
            false,
            format!("{available} of {updated} updated replicas available"),
        );
    }
    (
        true,
        format!("rolled out: {available} of {wanted} replicas available"),
    )
}

const READS: &[&str] = &["get", "list", "logs", "events", "rollout_status"];

async fn execute(ctx: &ActionContext, dry_run: bool) -> ActionResult {
    let Some(operation) = ctx.str_arg("operation") else {
        return ActionResult::failure("`operation` is missing");
    };
    let (client, namespace) = match connect(ctx).await {
        Ok(c) => c,
        Err(e) => return ActionResult::failure(e),
    };
    // A rendered name must be one the API accepts (`web#frag` would delete
    // `web`); each path segment is percent-encoded anyway, so a rule relaxed
    // later still cannot change the request's path.
    let names = [
        ("name", str_param(ctx, "name")),
        ("namespace", Some(namespace.as_str())),
        ("container", str_param(ctx, "container")),
    ];
    for (param, value) in names {
        if let Some(problem) = value.and_then(|v| name_problem(param, v, operation)) {
            return ActionResult::failure(problem);
        }
    }
    let name = str_param(ctx, "name").map(|n| match n.split_once('/') {
        Some((kind, name)) => format!("{}/{}", percent_encode(kind), percent_encode(name)),
        None => percent_encode(n),
    });
    let default_resource = match operation {
        "rollout_restart" | "rollout_status" | "scale" | "set_env" => "deployment",
        _ => "pod",
    };
    let op = Op {
        ctx,
        client,
        namespace: percent_encode(&namespace),
        operation,
        resource_name: str_param(ctx, "resource")
            .unwrap_or(default_resource)
            .to_string(),
        name: name.as_deref(),
        dry_run,
    };
    tokio::select! {
        r = op.run() => r.unwrap_or_else(ActionResult::failure),
        _ = ctx.cancel.cancelled() => ActionResult::failure("stopped while talking to the API server"),
    }
}

impl Action for K8s {
    fn run<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, ActionResult> {
        Box::pin(execute(ctx, false))
    }

    fn preview<'a>(&'a self, ctx: &'a ActionContext) -> Option<BoxFuture<'a, ActionResult>> {
        let operation = ctx.str_arg("operation")?;
        if READS.contains(&operation) {
            return None;
        }
        Some(Box::pin(execute(ctx, true)))
    }

    fn describe(&self, ctx: &ActionContext) -> String {
        let operation = ctx.str_arg("operation").unwrap_or("?");
        let default_resource = match operation {
            "rollout_restart" | "rollout_status" | "scale" | "set_env" => "deployment",
            _ => "pod",
        };
        let resource = str_param(ctx, "resource").unwrap_or(default_resource);
        let mut out = format!("kubernetes {} {resource}", operation.replace('_', " "));
        if let Some(n) = str_param(ctx, "name") {
            out.push_str(&format!("/{n}"));
        }
        if let Some(s) = str_param(ctx, "selector") {
            out.push_str(&format!(" -l {s}"));
        }
        if let Some(ns) = str_param(ctx, "namespace") {
            out.push_str(&format!(" -n {ns}"));
        }
        if let Some(c) = str_param(ctx, "context") {
            out.push_str(&format!(" --context {c}"));
        }
        match operation {
            "scale" => {
                if let Some(r) = int_param(ctx, "replicas") {
                    out.push_str(&format!(" to {r} replicas"));
                }
            }
            "set_env" => {
                if let Some(Value::Object(env)) = ctx.args.get("env").and_then(Arg::as_value) {
                    let pairs: Vec<String> = env
                        .iter()
                        .map(|(k, v)| {
                            format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string))
                        })
                        .collect();
                    out.push_str(&format!(" {}", pairs.join(" ")));
                }
            }
            "patch" => {
                if let Some(p) = ctx.args.get("patch").and_then(Arg::as_value) {
                    out.push_str(&format!(" with {p}"));
                }
            }
            _ => {}
        }
        out
    }

    fn primary_result(&self) -> &'static str {
        "object"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_are_summarised() {
        let pods = vec![
            json!({"metadata": {"name": "a"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
            json!({"metadata": {"name": "b"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 0, "state": {"running": {}}}]}}),
            json!({"metadata": {"name": "c"}, "status": {"phase": "Pending"}}),
        ];
        let mut f = Map::new();
        pod_summary(&pods, &mut f);
        assert_eq!(f["phases"], json!({"Running": 2, "Pending": 1}));
        assert_eq!(f["crashlooping"], json!(["a"]));
        assert_eq!(f["restarts"], 7);
    }

    #[test]
    fn rollout_progress_as_kubectl_reads_it() {
        let o = |gen: i64, obs: i64, upd: i64, rep: i64, avail: i64| {
            json!({"metadata": {"generation": gen}, "spec": {"replicas": 3},
                   "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": rep, "availableReplicas": avail}})
        };
        assert!(!rollout_progress(&o(2, 1, 3, 3, 3)).0);
        assert_eq!(
            rollout_progress(&o(2, 2, 1, 3, 1)).1,
            "1 of 3 replicas updated"
        );
        assert!(!rollout_progress(&o(2, 2, 3, 4, 3)).0);
        assert!(rollout_progress(&o(2, 2, 3, 3, 3)).0);
    }
}
