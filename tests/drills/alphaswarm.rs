//! Drills of AlphaSwarm's triage tree (playbooks/alphaswarm/incident.yaml):
//! one per scenario A–F, each run first with `--dry-run` (nothing changes on
//! the Kubernetes test server or the application) and then for real, on the
//! same services, so the live run starts from the state the dry-run left.

use super::support::{assert_gated, Drill, Run};
use crate::harness::http::{serve, Serving};
use crate::harness::k8s::{Cluster, TestK8s};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const PLAYBOOK: &str = "alphaswarm/incident.yaml";
/// Every step with an `approval`: none may run without its gate approved.
const GATED: &[&str] = &[
    "a_restart",
    "b_widen",
    "c_scale",
    "c_scale_cp",
    "d_permissive",
    "f_postgres",
    "f_redis",
];
/// The `manual` steps: confirmed with `--approve` (no terminal in a drill).
const MANUAL: &[&str] = &[
    "a_none",
    "d_causes",
    "d_wait",
    "e_readiness",
    "report",
    "schedule_revert",
    "regression_test",
];

fn object(kind: &str, api: &str, ns: &str, name: &str, labels: Value, rest: Value) -> Value {
    let mut o = json!({"apiVersion": api, "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": format!("uid-{name}"),
                     "resourceVersion": "100", "creationTimestamp": "2026-01-10T08:00:00Z"}});
    for (k, v) in rest.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn running_pod(ns: &str, name: &str, app: &str) -> Value {
    object(
        "Pod",
        "v1",
        ns,
        name,
        json!({"app": app}),
        json!({"spec": {"containers": [{"name": "main", "image": format!("registry.example/{app}:1")}], "nodeName": "node-1"},
               "status": {"phase": "Running", "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0,
                          "state": {"running": {"startedAt": "2026-01-10T08:00:00Z"}}, "image": "x"}]}}),
    )
}

fn deployment(ns: &str, name: &str, app: &str) -> Value {
    object(
        "Deployment",
        "apps/v1",
        ns,
        name,
        json!({"app": app}),
        json!({"spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
                        "template": {"metadata": {"labels": {"app": app}},
                                     "spec": {"containers": [{"name": "main", "image": "x"}]}}},
               "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}}),
    )
}

/// The AlphaSwarm cluster of the harness (alphaswarm-core crash-looping)
/// plus what the other scenarios read: the control plane in
/// `alphaswarm-admin`, the ingress controller, the core HPA, the services'
/// endpoints (the client's empty: its pods fail readiness) and the stateful
/// pods of scenario F.
pub(super) fn cluster(k8s: &TestK8s) {
    let mut c = k8s.cluster.lock().unwrap();
    let c: &mut Cluster = &mut c;
    let admin = "alphaswarm-admin".to_string();
    c.pods.insert(
        admin.clone(),
        vec![running_pod(&admin, "alphaswarm-cp-6f7-x1", "alphaswarm-cp")],
    );
    c.deployments.insert(
        admin.clone(),
        vec![deployment(&admin, "alphaswarm-cp", "alphaswarm-cp")],
    );
    let ingress = "ingress-nginx".to_string();
    c.pods.insert(
        ingress.clone(),
        vec![running_pod(
            &ingress,
            "ingress-nginx-controller-1",
            "ingress-nginx",
        )],
    );
    c.deployments.insert(
        ingress.clone(),
        vec![deployment(
            &ingress,
            "ingress-nginx-controller",
            "ingress-nginx",
        )],
    );
    let ns = "alphaswarm";
    let pods = c.pods.get_mut(ns).unwrap();
    pods.push(running_pod(ns, "redis-master-0", "redis"));
    pods.push(running_pod(ns, "postgres-0", "postgres"));
    c.hpas.insert(
        ns.into(),
        vec![object(
            "HorizontalPodAutoscaler",
            "autoscaling/v2",
            ns,
            "alphaswarm-core",
            json!({"app": "alphaswarm-core"}),
            json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "alphaswarm-core"},
                            "minReplicas": 2, "maxReplicas": 10,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
                            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}}},
                   "status": {"currentReplicas": 3, "desiredReplicas": 7}}),
        )],
    );
    let ready =
        json!({"subsets": [{"addresses": [{"ip": "10.0.0.7"}], "ports": [{"port": 8080}]}]});
    c.endpoints.insert(
        ns.into(),
        vec![object(
            "Endpoints",
            "v1",
            ns,
            "alphaswarm-client",
            json!({}),
            json!({"subsets": []}),
        )],
    );
    c.endpoints.insert(
        admin.clone(),
        vec![object(
            "Endpoints",
            "v1",
            &admin,
            "alphaswarm-cp",
            json!({}),
            ready,
        )],
    );
}

/// What the control plane recorded: `PATCH .../scale` calls.
#[derive(Default)]
struct ControlPlane {
    scaled: Vec<(String, String, String)>,
}

/// The AlphaSwarm control plane: `/health` is 503 until alphaswarm-core has
/// been restarted on the Kubernetes test server (then 200), `/health-ok` is
/// always 200, and the scale endpoint records who scaled what.
struct App {
    url: String,
    plane: Arc<Mutex<ControlPlane>>,
    _serving: Serving,
}

fn app(k8s: &TestK8s) -> App {
    let plane = Arc::new(Mutex::new(ControlPlane::default()));
    let cluster = k8s.cluster.clone();
    let router = Router::new()
        .route(
            "/health",
            get(move || {
                let cluster = cluster.clone();
                async move {
                    let c = cluster.lock().unwrap();
                    let restarted = c.deployments["alphaswarm"].iter().any(|d| {
                        d["metadata"]["name"] == "alphaswarm-core"
                            && !d["spec"]["template"]["metadata"]["annotations"]
                                ["kubectl.kubernetes.io/restartedAt"]
                                .is_null()
                    });
                    if restarted {
                        (StatusCode::OK, Json(json!({"status": "ok"})))
                    } else {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Json(json!({"status": "degraded", "checks": {"core": false}})),
                        )
                    }
                }
            }),
        )
        .route(
            "/health-ok",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
        .route(
            "/manage/deployments/{name}/scale",
            patch(
                |State(plane): State<Arc<Mutex<ControlPlane>>>,
                 Path(name): Path<String>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: axum::http::HeaderMap| async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    plane.lock().unwrap().scaled.push((
                        name,
                        q.get("replicas").cloned().unwrap_or_default(),
                        auth,
                    ));
                    Json(json!({"audit": "recorded"}))
                },
            ),
        )
        .with_state(plane.clone());
    let serving = serve(router);
    App {
        url: serving.url.clone(),
        plane,
        _serving: serving,
    }
}

/// The services of every scenario, with the fakes and the environment.
struct Scene {
    k8s: TestK8s,
    app: App,
    drill: Drill,
}

fn scene() -> Scene {
    let k8s = TestK8s::start();
    cluster(&k8s);
    let app = app(&k8s);
    let mut drill = Drill::new();
    drill.kubectl(
        "NAME                          CPU(cores)   MEMORY(bytes)\nalphaswarm-core-7d9f-abc12    950m         1200Mi",
        "ok",
    );
    drill
        .env("KUBECONFIG", k8s.kubeconfig.to_str().unwrap())
        .env("ALPHASWARM_TOKEN", "drill-token-s3cr3t");
    Scene { k8s, app, drill }
}

impl Scene {
    /// Runs the triage with the answers, approving `approve` and every
    /// manual step.
    fn run(&self, answers: &[&str], approve: &[&str], health: &str, dry: bool) -> Run {
        let health_url = format!("{}{health}", self.app.url);
        let mut args: Vec<String> = vec![
            "--input".into(),
            format!("health_url={health_url}"),
            "--input".into(),
            format!("control_plane_url={}", self.app.url),
        ];
        for a in answers {
            args.extend(["--answer".into(), a.to_string()]);
        }
        for s in approve.iter().chain(MANUAL) {
            args.extend(["--approve".into(), s.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.drill.run(PLAYBOOK, &args, dry)
    }

    /// Mutations that really changed the cluster (not `dryRun=All`).
    fn real_mutations(&self) -> Vec<String> {
        self.k8s
            .mutations()
            .into_iter()
            .filter(|m| !m.dry_run)
            .map(|m| format!("{} {}", m.method, m.path))
            .collect()
    }

    fn dry_mutations(&self) -> Vec<String> {
        self.k8s
            .mutations()
            .into_iter()
            .filter(|m| m.dry_run)
            .map(|m| format!("{} {}", m.method, m.path))
            .collect()
    }

    /// A dry-run left the cluster and the control plane as they were.
    fn assert_unchanged(&self, run: &Run) {
        assert!(
            self.real_mutations().is_empty(),
            "a dry-run changed the cluster: {:?}\n{}",
            self.real_mutations(),
            run.dump()
        );
        assert!(self.app.plane.lock().unwrap().scaled.is_empty());
        assert!(run.approved().is_empty(), "a dry-run decided a gate");
    }
}

/// The diagnostics every path gathers first.
const COMMON: &[(&str, &str)] = &[
    ("pods", "succeeded"),
    ("admin_pods", "succeeded"),
    ("top", "succeeded"),
    ("events", "succeeded"),
    ("api_logs", "succeeded"),
    ("cp_audit", "succeeded"),
    ("terraform_runs", "succeeded"),
    ("classify", "succeeded"),
];

/// A: a single alphaswarm-core pod crash-loops. The triage finds it,
/// describes it with the real kubectl, reads its previous logs, restarts the
/// deployment (approved) and watches /health until it recovers.
#[test]
fn a_crashloop_restart() {
    let s = scene();
    let answers = ["classify=workload", "workload=single_pod"];

    // The dry-run watches a /health that is already up: the live /health
    // only recovers after a restart the dry-run does not make, so `a_watch`
    // (a read step, executed in a dry-run) would poll until its deadline.
    let dry = s.run(&answers, &["a_restart"], "/health-ok", true);
    dry.expect(0, COMMON);
    dry.expect(
        0,
        &[
            ("a_crashing", "succeeded"),
            ("a_describe", "succeeded"),
            ("a_logs", "succeeded"),
            ("a_none", "skipped"),
            ("b_hpa", "skipped"),
        ],
    );
    assert!(dry.would_run().contains_key("a_restart"), "{}", dry.dump());
    assert_eq!(dry.finished("a_restart")["simulated"], true);
    assert_eq!(
        s.dry_mutations(),
        ["PATCH /apis/apps/v1/namespaces/alphaswarm/deployments/alphaswarm-core"]
    );
    s.assert_unchanged(&dry);

    let live = s.run(&answers, &["a_restart"], "/health", false);
    live.expect(
        0,
        &[
            ("a_crashing", "succeeded"),
            ("a_found", "succeeded"),
            ("a_describe", "succeeded"),
            ("a_logs", "succeeded"),
            ("a_restart", "succeeded"),
            ("a_watch", "succeeded"),
            ("a_none", "skipped"),
            ("b_widen", "skipped"),
            ("c_scale", "skipped"),
            ("d_permissive", "skipped"),
            ("f_redis", "skipped"),
            ("report", "succeeded"),
            ("schedule_revert", "skipped"),
            ("regression_test", "succeeded"),
        ],
    );
    assert_eq!(
        live.finished("a_crashing")["results"]["crashlooping"][0],
        "alphaswarm-core-7d9f-def34"
    );
    // One describe and one log per crash-looping pod, in the list's order.
    let crashlooping = live.finished("a_crashing")["results"]["crashlooping"].clone();
    let logs = &live.finished("a_logs")["results"];
    assert_eq!(logs["count"], crashlooping.as_array().unwrap().len());
    assert_eq!(logs["results"][0]["item"], crashlooping[0]);
    assert!(logs["results"][0]["logs"]
        .as_str()
        .unwrap()
        .contains("cannot connect to redis"));
    assert_eq!(
        live.finished("a_describe")["results"]["all_succeeded"],
        true
    );
    assert_gated(&live, GATED);
    assert_eq!(
        s.real_mutations(),
        ["PATCH /apis/apps/v1/namespaces/alphaswarm/deployments/alphaswarm-core"]
    );
    let core = s.k8s.deployment("alphaswarm-core");
    assert!(
        core["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string(),
        "the deployment was not restarted: {core}"
    );
    assert!(s
        .drill
        .calls()
        .contains(&"kubectl describe pod -n alphaswarm alphaswarm-core-7d9f-def34".to_string()));
}

/// A without its approval: the restart is rejected and nothing changes.
#[test]
fn a_restart_refused_without_approval() {
    let s = scene();
    let run = s.run(
        &["classify=workload", "workload=single_pod"],
        &[],
        "/health",
        false,
    );
    assert_eq!(run.code, 3, "{}", run.dump());
    assert_eq!(run.state("a_restart"), "rejected");
    assert!(!run.states().contains_key("a_watch") || run.state("a_watch") != "succeeded");
    assert!(s.real_mutations().is_empty(), "{:?}", s.real_mutations());
}

/// B: several pods crash-loop with the HPA thrashing: the HPA's scale-up
/// stabilization window is widened to 300 s with a JSON patch.
#[test]
fn b_hpa_patch() {
    let s = scene();
    let answers = ["classify=workload", "workload=several_pods"];
    let dry = s.run(&answers, &["b_widen"], "/health", true);
    dry.expect(
        0,
        &[
            ("b_hpa", "succeeded"),
            ("b_worker_logs", "succeeded"),
            ("a_restart", "skipped"),
        ],
    );
    assert_eq!(dry.finished("b_widen")["simulated"], true);
    s.assert_unchanged(&dry);
    let window = |s: &Scene| {
        s.k8s.cluster.lock().unwrap().hpas["alphaswarm"][0]["spec"]["behavior"]["scaleUp"]
            ["stabilizationWindowSeconds"]
            .clone()
    };
    assert_eq!(window(&s), 0);

    let live = s.run(&answers, &["b_widen"], "/health", false);
    live.expect(
        0,
        &[
            ("b_hpa", "succeeded"),
            ("b_worker_logs", "succeeded"),
            ("b_widen", "succeeded"),
            ("a_crashing", "skipped"),
            ("c_active", "skipped"),
            ("report", "succeeded"),
        ],
    );
    assert_gated(&live, GATED);
    assert_eq!(window(&s), 300);
    let m = s.k8s.mutations();
    let last = m.last().unwrap();
    assert_eq!(
        last.path,
        "/apis/autoscaling/v2/namespaces/alphaswarm/horizontalpodautoscalers/alphaswarm-core"
    );
    assert!(last.content_type.starts_with("application/json-patch+json"));
    assert!(s
        .drill
        .calls()
        .contains(&"kubectl describe hpa -n alphaswarm alphaswarm-core".to_string()));
}

/// C: the queue backs up with every dependency degraded: the workers are
/// scaled to 8 with kubectl (the deployment on the test server).
#[test]
fn c_scale_workers() {
    let s = scene();
    let answers = [
        "classify=workload",
        "workload=all_degraded",
        "c_how=kubectl",
    ];
    let dry = s.run(&answers, &["c_scale"], "/health", true);
    dry.expect(
        0,
        &[
            ("c_active", "succeeded"),
            ("c_how", "succeeded"),
            ("c_scale_cp", "skipped"),
        ],
    );
    assert_eq!(dry.finished("c_scale")["simulated"], true);
    s.assert_unchanged(&dry);
    assert_eq!(s.k8s.deployment("alphaswarm-worker")["spec"]["replicas"], 1);

    let live = s.run(&answers, &["c_scale"], "/health", false);
    live.expect(
        0,
        &[
            ("c_active", "succeeded"),
            ("c_scale", "succeeded"),
            ("c_scale_cp", "skipped"),
            ("report", "succeeded"),
        ],
    );
    assert_gated(&live, GATED);
    assert_eq!(s.k8s.deployment("alphaswarm-worker")["spec"]["replicas"], 8);
    assert!(s.drill.calls().iter().any(|c| c.starts_with(
        "kubectl exec -n alphaswarm deploy/alphaswarm-worker -- celery -A alphaswarm.tasks.celery_app inspect active"
    )));
}

/// C through the control plane: the scale request lands on the control
/// plane's API (an audit row) with the secret token, and not on the cluster.
#[test]
fn c_scale_through_control_plane() {
    let s = scene();
    let answers = [
        "classify=workload",
        "workload=all_degraded",
        "c_how=control_plane",
    ];
    let dry = s.run(&answers, &["c_scale_cp"], "/health", true);
    assert_eq!(dry.code, 0, "{}", dry.dump());
    assert!(!dry
        .would_run()
        .get("c_scale_cp")
        .expect("c_scale_cp described")
        .contains("drill-token-s3cr3t"));
    s.assert_unchanged(&dry);

    let live = s.run(&answers, &["c_scale_cp"], "/health", false);
    live.expect(0, &[("c_scale_cp", "succeeded"), ("c_scale", "skipped")]);
    assert_gated(&live, GATED);
    assert_eq!(
        s.app.plane.lock().unwrap().scaled,
        [(
            "alphaswarm-worker".to_string(),
            "8".to_string(),
            "Bearer drill-token-s3cr3t".to_string()
        )]
    );
    assert!(s.real_mutations().is_empty());
}

/// D: Auth0's JWKS is down and the operator UI is firewalled: auth is
/// flipped to permissive (a destructive, approved step) and the revert is
/// scheduled as a P1 follow-up.
#[test]
fn d_permissive_auth_gate() {
    let s = scene();
    s.drill.jwks_down();
    let answers = ["classify=platform", "platform=auth", "d_firewalled=yes"];
    let dry = s.run(&answers, &["d_permissive"], "/health", true);
    dry.expect(
        0,
        &[
            ("d_probe", "failed"),
            ("d_causes", "succeeded"),
            ("d_recovered", "skipped"),
            ("d_wait", "skipped"),
        ],
    );
    assert_eq!(dry.finished("d_permissive")["simulated"], true);
    s.assert_unchanged(&dry);

    // Not approved: the destructive step is rejected, nothing changes.
    let refused = s.run(&answers, &[], "/health", false);
    assert_eq!(refused.code, 3, "{}", refused.dump());
    assert_eq!(refused.state("d_permissive"), "rejected");
    assert!(s.real_mutations().is_empty());

    let live = s.run(&answers, &["d_permissive"], "/health", false);
    live.expect(
        0,
        &[
            ("d_probe", "failed"),
            ("d_causes", "succeeded"),
            ("d_permissive", "succeeded"),
            ("d_wait", "skipped"),
            ("report", "succeeded"),
            ("schedule_revert", "succeeded"),
        ],
    );
    assert_gated(&live, GATED);
    let env =
        &s.k8s.deployment("alphaswarm-core")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "ALPHASWARM_AUTH_ENFORCE" && e["value"] == "permissive"),
        "{env}"
    );
    assert!(s
        .drill
        .calls()
        .iter()
        .any(|c| c.contains("curl -fsS https://your-tenant.us.auth0.com/.well-known/jwks.json")));
}

/// D when the UI is not firewalled: auth stays enforced, no revert to
/// schedule.
#[test]
fn d_not_firewalled_waits() {
    let s = scene();
    s.drill.jwks_down();
    let answers = ["classify=platform", "platform=auth", "d_firewalled=no"];
    let live = s.run(&answers, &[], "/health", false);
    live.expect(
        0,
        &[
            ("d_wait", "succeeded"),
            ("d_permissive", "skipped"),
            ("schedule_revert", "skipped"),
        ],
    );
    assert!(s.real_mutations().is_empty());
}

/// E: the ingress answers 503 because the client service has no endpoints
/// (its pods fail readiness): the triage reads the ingress controller and
/// both services' endpoints and lands on the readiness check. Read-only.
#[test]
fn e_empty_endpoints() {
    let s = scene();
    let answers = ["classify=platform", "platform=network"];
    for dry in [true, false] {
        let run = s.run(&answers, &[], "/health", dry);
        run.expect(
            0,
            &[
                ("e_ingress_pods", "succeeded"),
                ("e_ingress_logs", "succeeded"),
                ("e_endpoints", "succeeded"),
                ("e_cp_endpoints", "succeeded"),
                ("e_route", "succeeded"),
                ("d_probe", "skipped"),
                ("f_which", "skipped"),
            ],
        );
        assert_eq!(
            run.finished("e_endpoints")["outputs"]["addresses"],
            json!([])
        );
        assert_eq!(
            run.finished("e_cp_endpoints")["outputs"]["addresses"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        if !dry {
            assert_eq!(run.state("e_readiness"), "succeeded");
        }
        assert!(s.k8s.mutations().is_empty());
    }
}

/// F: Redis failed: redis-master-0 is deleted (destructive, approved) for
/// its StatefulSet to bring it back.
#[test]
fn f_delete_stateful_pod() {
    let s = scene();
    let answers = ["classify=platform", "platform=storage", "f_which=redis"];
    let dry = s.run(&answers, &["f_redis"], "/health", true);
    dry.expect(0, &[("f_which", "succeeded"), ("f_postgres", "skipped")]);
    assert_eq!(dry.finished("f_redis")["simulated"], true);
    s.assert_unchanged(&dry);
    assert!(s.k8s.pod_names().contains(&"redis-master-0".to_string()));

    let live = s.run(&answers, &["f_redis"], "/health", false);
    live.expect(
        0,
        &[
            ("f_redis", "succeeded"),
            ("f_postgres", "skipped"),
            ("report", "succeeded"),
        ],
    );
    assert_gated(&live, GATED);
    assert_eq!(
        s.real_mutations(),
        ["DELETE /api/v1/namespaces/alphaswarm/pods/redis-master-0"]
    );
    let pods = s.k8s.pod_names();
    assert!(!pods.contains(&"redis-master-0".to_string()));
    assert!(pods.contains(&"postgres-0".to_string()));
}
