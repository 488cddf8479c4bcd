//! A Kubernetes API server for the tests: the REST API for pods, deployments,
//! pod logs and events, the discovery documents `kubectl` reads, and a
//! realistic cluster state (a deployment whose pods are in
//! `CrashLoopBackOff`, a healthy one, a pending pod, events out of order).
//!
//! It honours `dryRun=All` (validates and answers as if it had applied the
//! change, changes nothing), records every mutation for assertions, checks
//! the bearer token (a wrong one is 401; none is an anonymous reader, since
//! kubectl sends no token over plain http), and answers 403, 404, 409, 422, 500 and slow
//! responses where the tests need them:
//! - namespace `locked`: 403 for everything;
//! - namespace `broken`: 500 for everything;
//! - pod `hung`: answers after 60 s (a timeout);
//! - a deployment patched to negative replicas: 422;
//! - deleting pod `finalizing`: 409.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bearer token the kubeconfig carries.
pub const TOKEN: &str = "runbook-test-token";

/// A change the server received.
#[derive(Clone, Debug)]
pub struct Mutation {
    pub method: String,
    pub path: String,
    pub dry_run: bool,
    pub content_type: String,
    pub body: Value,
}

#[derive(Default)]
pub struct Cluster {
    /// By namespace, then name.
    pub pods: HashMap<String, Vec<Value>>,
    pub deployments: HashMap<String, Vec<Value>>,
    pub events: HashMap<String, Vec<Value>>,
    /// HorizontalPodAutoscalers (autoscaling/v2) and Endpoints: empty in
    /// the default cluster; the incident drills add the ones they need.
    pub hpas: HashMap<String, Vec<Value>>,
    pub endpoints: HashMap<String, Vec<Value>>,
    /// Secrets (metadata only is enough for `list`): empty by default.
    pub secrets: HashMap<String, Vec<Value>>,
    pub mutations: Vec<Mutation>,
}

/// A running API server and its kubeconfig; stopped when dropped.
pub struct TestK8s {
    pub kubeconfig: std::path::PathBuf,
    pub cluster: Arc<Mutex<Cluster>>,
    _dir: tempfile::TempDir,
    _http: Option<super::http::Serving>,
}

fn container_status(name: &str, restarts: i64, crashlooping: bool) -> Value {
    let state = if crashlooping {
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}})
    } else {
        json!({"running": {"startedAt": "2026-01-10T09:00:00Z"}})
    };
    json!({"name": name, "ready": !crashlooping, "restartCount": restarts, "state": state,
           "image": "registry.example/alphaswarm:1.4.2"})
}

fn pod(name: &str, app: &str, phase: &str, statuses: Vec<Value>) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "alphaswarm", "labels": {"app": app},
                     "uid": format!("uid-{name}"), "creationTimestamp": "2026-01-10T08:00:00Z",
                     "resourceVersion": "100"},
        "spec": {"containers": [{"name": "core", "image": "registry.example/alphaswarm:1.4.2"}],
                 "nodeName": "node-1"},
        "status": {"phase": phase, "containerStatuses": statuses}
    })
}

fn deployment(name: &str, replicas: i64, available: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "alphaswarm", "generation": 4,
                     "uid": format!("uid-{name}"), "creationTimestamp": "2026-01-01T00:00:00Z",
                     "resourceVersion": "200", "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "core", "image": "registry.example/alphaswarm:1.4.2",
                                                        "env": [{"name": "LOG_LEVEL", "value": "info"}]}]}}},
        "status": {"observedGeneration": 4, "replicas": replicas, "updatedReplicas": replicas,
                   "readyReplicas": available, "availableReplicas": available}
    })
}

fn event(name: &str, object: &str, reason: &str, at: &str, message: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": name, "namespace": "alphaswarm", "creationTimestamp": at},
           "involvedObject": {"kind": "Pod", "name": object, "namespace": "alphaswarm"},
           "reason": reason, "message": message, "type": if reason == "BackOff" { "Warning" } else { "Normal" },
           "firstTimestamp": at, "lastTimestamp": at, "count": 1})
}

/// The cluster of the AlphaSwarm incident: `alphaswarm-core` has three pods,
/// two of them crash-looping; `alphaswarm-worker` is healthy; one pod of a
/// batch job is pending.
pub fn alphaswarm() -> Cluster {
    let ns = "alphaswarm".to_string();
    let mut c = Cluster::default();
    c.pods.insert(
        ns.clone(),
        vec![
            pod(
                "alphaswarm-core-7d9f-abc12",
                "alphaswarm-core",
                "Running",
                vec![container_status("core", 0, false)],
            ),
            pod(
                "alphaswarm-core-7d9f-def34",
                "alphaswarm-core",
                "Running",
                vec![container_status("core", 7, true)],
            ),
            pod(
                "alphaswarm-core-7d9f-ghi56",
                "alphaswarm-core",
                "Running",
                vec![container_status("core", 12, true)],
            ),
            pod(
                "alphaswarm-worker-5c6b-jkl78",
                "alphaswarm-worker",
                "Running",
                vec![container_status("core", 1, false)],
            ),
            pod("reindex-29141-mno90", "reindex", "Pending", vec![]),
            pod(
                "finalizing",
                "reindex",
                "Running",
                vec![container_status("core", 0, false)],
            ),
            pod(
                "hung",
                "reindex",
                "Running",
                vec![container_status("core", 0, false)],
            ),
        ],
    );
    c.deployments.insert(
        ns.clone(),
        vec![
            deployment("alphaswarm-core", 3, 1),
            deployment("alphaswarm-worker", 1, 1),
        ],
    );
    c.events.insert(
        ns,
        vec![
            event(
                "e3",
                "alphaswarm-core-7d9f-def34",
                "BackOff",
                "2026-01-10T09:05:00Z",
                "Back-off restarting failed container core",
            ),
            event(
                "e1",
                "alphaswarm-core-7d9f-def34",
                "Pulled",
                "2026-01-10T09:00:00Z",
                "Container image already present",
            ),
            event(
                "e2",
                "alphaswarm-core-7d9f-def34",
                "Started",
                "2026-01-10T09:01:00Z",
                "Started container core",
            ),
            event(
                "e4",
                "alphaswarm-worker-5c6b-jkl78",
                "Started",
                "2026-01-10T08:30:00Z",
                "Started container core",
            ),
        ],
    );
    c
}

impl TestK8s {
    /// Starts the server with the [`alphaswarm`] cluster and writes a
    /// kubeconfig (contexts `test`, the current one, with namespace
    /// `alphaswarm`, and `wrong-token`, whose token the server refuses).
    pub fn start() -> TestK8s {
        TestK8s::start_with(super::http::serve)
    }

    /// As [`TestK8s::start`], each connection closed after its first
    /// answer, unannounced ([`super::answer_once`]).
    pub fn start_answering_once() -> TestK8s {
        TestK8s::start_with(super::http::serve_answering_once)
    }

    /// Stops the server: its port is no longer listened on.
    pub fn stop(&mut self) {
        self._http = None;
    }

    fn start_with(serve: fn(Router) -> super::http::Serving) -> TestK8s {
        let cluster = Arc::new(Mutex::new(alphaswarm()));
        let http = serve(router(cluster.clone()));
        let url = http.url.clone();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: {url}
users:
- name: tester
  user:
    token: {TOKEN}
- name: intruder
  user:
    token: not-the-token
contexts:
- name: test
  context: {{cluster: test, user: tester, namespace: alphaswarm}}
- name: wrong-token
  context: {{cluster: test, user: intruder, namespace: alphaswarm}}
current-context: test
"
            ),
        )
        .expect("write the kubeconfig");
        TestK8s {
            kubeconfig,
            cluster,
            _dir: dir,
            _http: Some(http),
        }
    }

    pub fn mutations(&self) -> Vec<Mutation> {
        self.cluster.lock().unwrap().mutations.clone()
    }

    pub fn deployment(&self, name: &str) -> Value {
        self.cluster.lock().unwrap().deployments["alphaswarm"]
            .iter()
            .find(|d| d["metadata"]["name"] == name)
            .cloned()
            .expect("the deployment exists")
    }

    pub fn pod_names(&self) -> Vec<String> {
        self.cluster.lock().unwrap().pods["alphaswarm"]
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }
}

type Shared = Arc<Mutex<Cluster>>;

fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    (
        code,
        Json(
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": message.into(), "reason": reason, "code": code.as_u16()}),
        ),
    )
        .into_response()
}

fn router(cluster: Shared) -> Router {
    Router::new()
        .route("/version", get(|| async {
            Json(json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-runbook-test",
                        "platform": "linux/amd64", "goVersion": "go1.24"}))
        }))
        .route("/api", get(|| async {
            Json(json!({"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}))
        }))
        .route("/apis", get(|| async {
            Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}},
                {"name": "autoscaling", "versions": [{"groupVersion": "autoscaling/v2", "version": "v2"}],
                 "preferredVersion": {"groupVersion": "autoscaling/v2", "version": "v2"}}]}))
        }))
        .route("/api/v1", get(|| async {
            Json(json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
                 "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["po"]},
                {"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]},
                {"name": "events", "singularName": "event", "namespaced": true, "kind": "Event",
                 "verbs": ["get", "list"], "shortNames": ["ev"]},
                {"name": "endpoints", "singularName": "endpoints", "namespaced": true, "kind": "Endpoints",
                 "verbs": ["get", "list"], "shortNames": ["ep"]},
                {"name": "secrets", "singularName": "secret", "namespaced": true, "kind": "Secret",
                 "verbs": ["get", "list"]}]}))
        }))
        .route("/apis/apps/v1", get(|| async {
            Json(json!({"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
                {"name": "deployments", "singularName": "deployment", "namespaced": true, "kind": "Deployment",
                 "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["deploy"]}]}))
        }))
        .route("/apis/autoscaling/v2", get(|| async {
            Json(json!({"kind": "APIResourceList", "groupVersion": "autoscaling/v2", "resources": [
                {"name": "horizontalpodautoscalers", "singularName": "horizontalpodautoscaler", "namespaced": true,
                 "kind": "HorizontalPodAutoscaler", "verbs": ["get", "list", "patch"], "shortNames": ["hpa"]}]}))
        }))
        .fallback(resource)
        .with_state(cluster)
}

/// Everything under `/api/v1/namespaces/...` and `/apis/apps/v1/namespaces/...`.
async fn resource(
    State(cluster): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    // As an API server with anonymous access enabled: a wrong token is 401;
    // no token is `system:anonymous`, who may read but not change anything.
    // (client-go, and so kubectl, sends no token over plain http.)
    let path = uri.path().to_string();
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(given) if given != format!("Bearer {TOKEN}") => {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
        None if method != Method::GET => {
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "User \"system:anonymous\" cannot {} {path}",
                    method.as_str().to_lowercase()
                ),
            );
        }
        _ => {}
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // [api, v1, namespaces, NS, RESOURCE, NAME?, SUB?] or [apis, apps, v1, namespaces, ...]
    let rest = match parts.as_slice() {
        ["api", "v1", "namespaces", rest @ ..] => rest,
        ["apis", "apps", "v1", "namespaces", rest @ ..] => rest,
        ["apis", "autoscaling", "v2", "namespaces", rest @ ..] => rest,
        _ => {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("the server could not find the requested resource ({path})"),
            )
        }
    };
    let (ns, kind, name, sub) = match rest {
        [ns, kind] => (*ns, *kind, None, None),
        [ns, kind, name] => (*ns, *kind, Some(*name), None),
        [ns, kind, name, sub] => (*ns, *kind, Some(*name), Some(*sub)),
        _ => return status(StatusCode::NOT_FOUND, "NotFound", "no such path"),
    };
    if ns == "locked" {
        return status(StatusCode::FORBIDDEN, "Forbidden",
            format!("{kind} is forbidden: User \"tester\" cannot {} resource \"{kind}\" in API group \"\" in the namespace \"locked\"", method.as_str().to_lowercase()));
    }
    if ns == "broken" {
        return status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "etcdserver: request timed out",
        );
    }
    if name == Some("hung") {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    // In the query (patch, create) or in the DeleteOptions body (delete).
    let dry_run = query.get("dryRun").is_some_and(|v| v == "All")
        || serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| b.get("dryRun").cloned())
            .is_some_and(|d| d == json!(["All"]));
    let kind_name = match kind {
        "pods" => "Pod",
        "deployments" => "Deployment",
        "events" => "Event",
        "horizontalpodautoscalers" => "HorizontalPodAutoscaler",
        "endpoints" => "Endpoints",
        "secrets" => "Secret",
        _ => {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("the server could not find the requested resource ({kind})"),
            )
        }
    };
    let mut c = cluster.lock().unwrap();
    if method != Method::GET {
        c.mutations.push(Mutation {
            method: method.to_string(),
            path: path.clone(),
            dry_run,
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
    }
    let store = match kind {
        "pods" => &mut c.pods,
        "deployments" => &mut c.deployments,
        "horizontalpodautoscalers" => &mut c.hpas,
        "endpoints" => &mut c.endpoints,
        "secrets" => &mut c.secrets,
        _ => &mut c.events,
    };
    let items = store.entry(ns.to_string()).or_default();
    let not_found = |name: &str| {
        status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} \"{name}\" not found", kind.trim_end_matches('s')),
        )
    };
    match (method.clone(), name, sub) {
        (Method::GET, None, None) => {
            let selected: Vec<Value> = items
                .iter()
                .filter(|o| matches_labels(o, query.get("labelSelector")))
                .filter(|o| matches_fields(o, query.get("fieldSelector")))
                .cloned()
                .collect();
            Json(json!({"kind": format!("{kind_name}List"), "apiVersion": match kind { "deployments" => "apps/v1", "horizontalpodautoscalers" => "autoscaling/v2", _ => "v1" },
                        "metadata": {"resourceVersion": "300"}, "items": selected})).into_response()
        }
        (Method::GET, Some(name), None) => {
            match items.iter().find(|o| o["metadata"]["name"] == name) {
                Some(o) => Json(o.clone()).into_response(),
                None => not_found(name),
            }
        }
        (Method::GET, Some(name), Some("log")) => {
            if !items.iter().any(|o| o["metadata"]["name"] == name) {
                return not_found(name);
            }
            let previous = query.get("previous").is_some_and(|v| v == "true");
            let lines: Vec<String> = if previous {
                vec![
                    "2026-01-10T09:04:58Z INFO starting alphaswarm-core 1.4.2".into(),
                    "2026-01-10T09:04:59Z ERROR cannot connect to redis://redis:6379: connection refused".into(),
                    "2026-01-10T09:04:59Z FATAL giving up after 3 attempts".into(),
                ]
            } else if name.starts_with("alphaswarm-cp") {
                // The control plane's audit log, as the triage reads it.
                vec![
                    "2026-01-10T09:02:00Z INFO audit workload_run id=wr-311 workload=backtest status=running".into(),
                    "2026-01-10T09:03:00Z INFO audit workload_run id=wr-312 workload=backtest status=failed".into(),
                ]
            } else {
                (1..=20)
                    .map(|i| {
                        format!(
                            "2026-01-10T09:{i:02}:00Z INFO tick {i} container={}",
                            query.get("container").map_or("core", String::as_str)
                        )
                    })
                    .collect()
            };
            let mut lines = lines;
            if name.starts_with("alphaswarm-worker") && !previous {
                // A failed task among the worker's ticks (AlphaSwarm scenario B).
                lines[10] =
                    "2026-01-10T09:10:30Z ERROR task backtest.run[9f2] FAILED: MemoryError".into();
            }
            let tail = query
                .get("tailLines")
                .and_then(|t| t.parse::<usize>().ok())
                .unwrap_or(lines.len());
            let mut text = lines[lines.len().saturating_sub(tail)..].join("\n") + "\n";
            if query.get("container").is_some_and(|c| c == "chatty") {
                // A container that logged 8 MB (result size caps).
                text = (0..100_000)
                    .map(|i| format!("2026-01-10T09:00:00Z INFO chatty line {i:06} ........................\n"))
                    .collect();
            }
            // As the API server: at most `limitBytes` of the log.
            if let Some(limit) = query
                .get("limitBytes")
                .and_then(|l| l.parse::<usize>().ok())
            {
                text.truncate(limit.min(text.len()));
            }
            text.into_response()
        }
        (Method::PATCH, Some(name), None) => {
            let Some(index) = items.iter().position(|o| o["metadata"]["name"] == name) else {
                return not_found(name);
            };
            let patch: Value = match serde_json::from_slice(&body) {
                Ok(p) => p,
                Err(e) => {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        format!("invalid patch: {e}"),
                    )
                }
            };
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let mut changed = items[index].clone();
            if content_type.starts_with("application/json-patch+json") {
                if let Err(e) = json_patch(&mut changed, &patch) {
                    return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", e);
                }
            } else {
                merge(
                    &mut changed,
                    &patch,
                    content_type.starts_with("application/strategic-merge-patch+json"),
                );
            }
            if changed["spec"]["replicas"].as_i64().is_some_and(|r| r < 0) {
                return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid",
                    format!("Deployment.apps \"{name}\" is invalid: spec.replicas: Invalid value: {}: must be greater than or equal to 0", changed["spec"]["replicas"]));
            }
            if changed["spec"] != items[index]["spec"] {
                let g = changed["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
                changed["metadata"]["generation"] = json!(g);
                // The controller of this cluster is instant: the rollout completes at once.
                let r = changed["spec"]["replicas"].clone();
                changed["status"] = json!({"observedGeneration": g, "replicas": r, "updatedReplicas": r,
                                           "readyReplicas": r, "availableReplicas": r});
            }
            if !dry_run {
                items[index] = changed.clone();
            }
            Json(changed).into_response()
        }
        (Method::DELETE, Some(name), None) => {
            let Some(index) = items.iter().position(|o| o["metadata"]["name"] == name) else {
                return not_found(name);
            };
            if name == "finalizing" {
                return status(StatusCode::CONFLICT, "Conflict",
                    "Operation cannot be fulfilled on pods \"finalizing\": the object has been modified; please apply your changes to the latest version and try again");
            }
            let gone = items[index].clone();
            if !dry_run {
                items.remove(index);
            }
            Json(gone).into_response()
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported here"),
        ),
    }
}

fn matches_labels(o: &Value, selector: Option<&String>) -> bool {
    selector.is_none_or(|s| {
        s.split(',')
            .filter(|t| !t.is_empty())
            .all(|term| match term.split_once("!=") {
                Some((k, v)) => o["metadata"]["labels"][k] != v,
                None => match term.split_once('=') {
                    Some((k, v)) => o["metadata"]["labels"][k.trim_end_matches('=')] == v,
                    None => !o["metadata"]["labels"][term].is_null(),
                },
            })
    })
}

fn field(o: &Value, path: &str) -> Value {
    path.split('.').fold(o.clone(), |v, k| v[k].clone())
}

fn matches_fields(o: &Value, selector: Option<&String>) -> bool {
    selector.is_none_or(|s| {
        s.split(',')
            .filter(|t| !t.is_empty())
            .all(|term| match term.split_once("!=") {
                Some((k, v)) => field(o, k) != v,
                None => match term.split_once('=') {
                    Some((k, v)) => field(o, k.trim_end_matches('=')) == v,
                    None => false,
                },
            })
    })
}

/// JSON merge patch (RFC 7386); with `strategic`, lists of objects with a
/// `name` merge by name, as the strategic merge patch does for containers
/// and env.
fn merge(target: &mut Value, patch: &Value, strategic: bool) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v, strategic);
                }
            }
        }
        (Value::Array(t), Value::Array(p))
            if strategic && p.iter().all(|i| i.get("name").is_some()) =>
        {
            for item in p {
                match t.iter_mut().find(|i| i["name"] == item["name"]) {
                    Some(existing) => merge(existing, item, strategic),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// `add`, `replace` and `remove` of RFC 6902, enough for the tests.
fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("a JSON patch is a list")? {
        let path = op["path"].as_str().ok_or("an operation needs a path")?;
        let (parent, last) = path.rsplit_once('/').ok_or("a path starts with /")?;
        let parent = target.pointer_mut(parent).ok_or(format!("no {parent}"))?;
        match op["op"].as_str() {
            Some("add") | Some("replace") => {
                parent[last] = op["value"].clone();
            }
            Some("remove") => {
                parent
                    .as_object_mut()
                    .and_then(|m| m.remove(last))
                    .ok_or(format!("no {path}"))?;
            }
            other => return Err(format!("unsupported op {other:?}")),
        }
    }
    Ok(())
}
