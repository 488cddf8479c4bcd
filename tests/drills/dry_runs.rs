//! `runbook run --dry-run` on every seed playbook (trevor, Pilot,
//! AlphaSwarm) against the drill services, each with the inputs and answers
//! that lead to its write steps: every `write`/`destructive` step the
//! dry-run reaches is described (`step_would_run`) or natively previewed,
//! never executed; the fake CLIs are never called with a write command; and
//! the services are left exactly as they were (Kubernetes: only `dryRun=All`
//! requests; PostgreSQL: the same tables and rows; Redis: the same keys;
//! the application: GET requests only).

use super::support::{Drill, TestRedis};
use crate::harness::http::{serve, Serving};
use crate::harness::k8s::TestK8s;
use crate::harness::postgres::TestPostgres;
use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The tables the Pilot and trevor playbooks read or write, in `pilot`.
const TABLES: &[&str] = &[
    "tasks",
    "sessions",
    "ratelimit_buckets",
    "request",
    "pgboss.schedule",
    "pgboss.job",
    "pgboss.archive",
];
const TASK: &str = "5d3c8e52-7a0b-4f7e-9d8a-0c1e2f3a4b5c";

/// Commands a fake may only be called with by a write step: a dry-run
/// must never run one of them.
const WRITE_COMMANDS: &[&str] = &[
    "alembic upgrade",
    "alembic downgrade",
    "helm upgrade",
    "helm rollback",
    "deploy.sh deploy",
    "deploy.sh rollback",
    "compose -f infra/digitalocean/docker-compose.yml stop",
    "up -d",
    "backup.sh restore",
    "backup.sh retention",
    "db:push",
    "kubectl create",
    "kubectl apply",
];

/// The application standing in for trevor, Pilot and AlphaSwarm's
/// control plane (`/health`, `/metrics`, `/admin/metrics`) and for
/// Prometheus (`/api/v1/query`); records every request.
struct App {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    _serving: Serving,
}

async fn app(
    State(requests): State<Arc<Mutex<Vec<String>>>>,
    method: Method,
    uri: Uri,
) -> Response {
    requests
        .lock()
        .unwrap()
        .push(format!("{method} {}", uri.path()));
    match uri.path() {
        "/health" => Json(json!({"status": "ok", "version": "1.4.2",
            "checks": {"db": true, "helm": "ok", "queue": 3}}))
        .into_response(),
        "/metrics" => "http_requests_total 10\n".into_response(),
        "/admin/metrics" => Json(json!({"pending": 3})).into_response(),
        "/api/v1/query" => Json(json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {}, "value": [1_700_000_000, "3"]}]}}))
        .into_response(),
        _ => Json(json!({"ok": true})).into_response(),
    }
}

impl App {
    fn start() -> App {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let serving = serve(Router::new().fallback(app).with_state(requests.clone()));
        App {
            url: serving.url.clone(),
            requests,
            _serving: serving,
        }
    }
}

/// Every service a seed playbook talks to, shared by its dry-runs.
struct Services {
    k8s: TestK8s,
    pg: TestPostgres,
    db: String,
    redis: TestRedis,
    app: App,
}

impl Services {
    fn start() -> Services {
        let k8s = TestK8s::start();
        super::alphaswarm::cluster(&k8s);
        {
            let mut c = k8s.cluster.lock().unwrap();
            for (name, app) in [("trevor", "trevor"), ("trevor-worker", "trevor-worker")] {
                c.deployments.entry("trevor".into()).or_default().push(json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": "trevor", "generation": 1, "uid": format!("uid-{name}"),
                                 "resourceVersion": "1", "labels": {"app": app, "app.kubernetes.io/name": app}},
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
                             "template": {"metadata": {"labels": {"app": app}},
                                          "spec": {"containers": [{"name": "main", "image": "trevor:2.3"}]}}},
                    "status": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                               "observedGeneration": 1}}));
                c.pods.entry("trevor".into()).or_default().push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{name}-7c-abc"), "namespace": "trevor", "uid": format!("uid-{name}-pod"),
                                 "labels": {"app": app, "app.kubernetes.io/name": app}},
                    "spec": {"containers": [{"name": "main", "image": "trevor:2.3"}]},
                    "status": {"phase": "Running", "containerStatuses": [{"name": "main", "ready": true,
                               "restartCount": 0, "image": "trevor:2.3", "state": {"running": {}}}]}}));
            }
            for name in [
                "trevor-db",
                "trevor-redis",
                "trevor-keycloak",
                "trevor-s3",
                "trevor-app",
                "trevor-smtp",
                "trevor-agent",
            ] {
                c.secrets.entry("trevor".into()).or_default().push(json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": name, "namespace": "trevor", "uid": format!("uid-{name}")}}));
            }
        }
        let pg = TestPostgres::start();
        pg.psql("CREATE DATABASE pilot");
        pg.psql_in(
            "pilot",
            &format!(
                "CREATE TABLE tasks (id uuid PRIMARY KEY, status text NOT NULL, started_at timestamptz NOT NULL);
                 INSERT INTO tasks VALUES ('{TASK}', 'running', now() - interval '6 hours');
                 CREATE TABLE sessions (id serial, channel text, created_at timestamptz);
                 INSERT INTO sessions (channel, created_at) VALUES ('email_pending', now() - interval '1 hour');
                 CREATE TABLE ratelimit_buckets (subject text, tokens int, updated_at timestamptz);
                 INSERT INTO ratelimit_buckets VALUES ('203.0.113.9', 0, now());
                 CREATE TABLE request (id serial, status text, updated_at timestamptz);
                 INSERT INTO request (status, updated_at) VALUES ('SUBMITTED', now() - interval '100 hours');
                 CREATE SCHEMA pgboss;
                 CREATE TABLE pgboss.schedule (name text PRIMARY KEY, cron text NOT NULL);
                 CREATE TABLE pgboss.job (id serial, name text, state text);
                 CREATE TABLE pgboss.archive (id int, name text, state text, completed_on timestamptz);
                 INSERT INTO pgboss.job (name, state) VALUES ('tasks.run', 'active'), ('tasks.reap_stuck', 'failed');
                 INSERT INTO pgboss.archive VALUES (1, 'tasks.run', 'completed', now() - interval '2 hours');"
            ),
        );
        let db = pg.url_of("pilot");
        let redis = TestRedis::start();
        let mut push = vec!["RPUSH".to_string(), "arq:queue".into()];
        push.extend((0..120).map(|i| format!("arq:job:{i}")));
        redis.cli(&push.iter().map(String::as_str).collect::<Vec<_>>());
        Services {
            k8s,
            pg,
            db,
            redis,
            app: App::start(),
        }
    }

    /// What a dry-run must not change: every table and row of `pilot`,
    /// every Redis key and the queue, the Kubernetes objects.
    fn state(&self) -> String {
        let mut s = self.pg.psql_in(
            "pilot",
            "SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY 1) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        );
        for t in TABLES {
            s.push('\n');
            s.push_str(&self.pg.psql_in(
                "pilot",
                &format!("SELECT string_agg(x::text, ';' ORDER BY x::text) FROM {t} x"),
            ));
        }
        s.push('\n');
        s.push_str(&self.redis.cli(&["KEYS", "*"]));
        s.push_str(&self.redis.cli(&["LRANGE", "arq:queue", "0", "-1"]));
        let c = self.k8s.cluster.lock().unwrap();
        for store in [&c.pods, &c.deployments, &c.hpas, &c.endpoints, &c.secrets] {
            let sorted: BTreeMap<_, _> = store.iter().collect();
            s.push_str(&serde_json::to_string(&sorted).unwrap());
        }
        s
    }

    /// A drill directory with the fakes on `PATH` and the services'
    /// environment.
    fn drill(&self) -> Drill {
        let mut drill = Drill::new();
        for fake in ["docker", "helm", "uv", "alembic", "npm", "bash"] {
            drill.fake(fake, "ok");
        }
        // What the Droplet's containers print (`env | grep ...`).
        drill.fake("ssh", "EMAIL_PROVIDER=resend\nSTORAGE_PROVIDER=s3");
        // `helm version --short` must say Helm 3.
        drill.script(
            "helm",
            &format!(
                "echo \"helm $*\" >> '{}'\ncase \"$1\" in version) echo v3.14.4+g81c902a;; *) echo ok;; esac\n",
                drill.calls_log().display()
            ),
        );
        drill.fake("python", "runtime ok");
        drill.kubectl(
            "NAME CPU(cores) MEMORY(bytes)\nalphaswarm-core-1 950m 1900Mi",
            "ok",
        );
        // Auth0's JWKS is down: AlphaSwarm's scenario D starts from a failed probe.
        drill.jwks_down();
        let dir = drill.dir.path().display().to_string();
        drill
            .env("KUBECONFIG", self.k8s.kubeconfig.to_str().unwrap())
            .env("DATABASE_URL", &self.db)
            .env("REDIS_URL", &self.redis.url)
            .env("DO_DROPLET_IP", "127.0.0.1")
            .env("TREVOR_ADMIN_TOKEN", "admin-token")
            .env("ALPHASWARM_TOKEN", "alphaswarm-token")
            .env("PYTHON_BIN", "python")
            .env("PLAYWRIGHT_BROWSERS_PATH", &dir)
            .env("PATCHRIGHT_BROWSERS_PATH", &dir);
        drill
    }

    /// Dry-runs `playbooks/REL` with `inputs` and `answers` and checks it:
    /// exit 0, every reached write step only described or previewed, no
    /// fake called with a write command. Returns the steps described.
    fn dry_run(&self, rel: &str, inputs: &[&str], answers: &[&str]) -> Vec<String> {
        let drill = self.drill();
        let mut args: Vec<String> = Vec::new();
        for i in inputs {
            args.extend(["--input".into(), i.replace("{app}", &self.app.url)]);
        }
        for a in answers {
            args.extend(["--answer".into(), a.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = drill.run(rel, &args, true);
        assert_eq!(run.code, 0, "{rel}\n{}", run.dump());
        assert_eq!(run.events[0]["mode"], "dry_run", "{rel}");
        let effects = effects(rel);
        let described = run.would_run();
        let mut writes = Vec::new();
        for e in run.events.iter().filter(|e| e["event"] == "step_finished") {
            let step = e["step"].as_str().unwrap();
            let effect = effects.get(step).map(String::as_str).unwrap_or("read");
            if effect == "read" || e["state"] == "skipped" {
                continue;
            }
            assert!(
                e["simulated"] == true && described.contains_key(step),
                "{rel}: the {effect} step `{step}` was not only described\n{e}\n{}",
                run.dump()
            );
            assert_ne!(e["state"], "failed", "{rel}: `{step}`\n{}", run.dump());
            writes.push(format!("{rel}:{step}"));
        }
        for call in drill.calls() {
            assert!(
                !WRITE_COMMANDS.iter().any(|w| call.contains(w)),
                "{rel}: a dry-run ran `{call}`\n{}",
                run.dump()
            );
        }
        writes
    }

    /// Nothing changed: the state is `before`, Kubernetes got dry-run
    /// requests only, the application GETs (and Prometheus queries) only.
    fn unchanged(&self, before: &str) {
        assert_eq!(self.state(), before);
        for m in self.k8s.mutations() {
            assert!(m.dry_run, "{} {} was not a dry-run", m.method, m.path);
        }
        // Prometheus's query API takes POST too: a read.
        for r in self.app.requests.lock().unwrap().iter() {
            assert!(
                r.starts_with("GET ") || r == "POST /api/v1/query",
                "the application got {r}"
            );
        }
    }
}

/// Every step's effect (`read`, `write`, `destructive`), from `runbook
/// plan`.
fn effects(rel: &str) -> BTreeMap<String, String> {
    let file = crate::support::root().join("playbooks").join(rel);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("runbook"))
        .arg("plan")
        .arg(&file)
        .env("NO_COLOR", "1")
        .output()
        .expect("runbook plan");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut effects = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("• ").or_else(|| line.strip_prefix("◆ ")) else {
            continue;
        };
        let Some((step, tags)) = rest.split_once(" [") else {
            continue;
        };
        let effect = tags.split([',', ']']).next().unwrap_or("read").trim();
        effects.insert(step.to_string(), effect.to_string());
    }
    assert!(!effects.is_empty(), "no plan for {rel}:\n{text}");
    effects
}

fn report(writes: &[String]) {
    eprintln!("write steps only described:\n  {}", writes.join("\n  "));
}

/// trevor's playbooks: the crash loop (a migration), install, the metrics
/// check (worker lag over 50: the worker-stuck playbook), migrations, the
/// presigned URL, rollback (with the downgrade), SSE, stuck requests, the
/// upgrade and the stuck worker.
#[test]
fn trevor_dry_runs() {
    let s = Services::start();
    let before = s.state();
    let mut writes = Vec::new();
    let app = "base_url={app}";
    let prom = "prometheus_url={app}";
    for (rel, inputs, answers) in [
        ("trevor/crashloop.yaml", vec![], vec!["cause=migration"]),
        (
            "trevor/install.yaml",
            vec!["image_tag=abc123"],
            vec!["right_cluster=yes"],
        ),
        ("trevor/metrics-check.yaml", vec![app, prom], vec![]),
        ("trevor/migrations.yaml", vec![], vec![]),
        (
            "trevor/presigned-url.yaml",
            vec![app, "request_id=42"],
            vec![],
        ),
        ("trevor/rollback.yaml", vec![], vec!["hook_ran=yes"]),
        ("trevor/sse.yaml", vec![], vec![]),
        ("trevor/stuck-request.yaml", vec![], vec![]),
        ("trevor/upgrade.yaml", vec!["image_tag=abc123"], vec![]),
        ("trevor/worker-stuck.yaml", vec![], vec![]),
    ] {
        writes.extend(s.dry_run(rel, &inputs, &answers));
    }
    report(&writes);
    for w in [
        "trevor/crashloop.yaml:restart",
        "trevor/install.yaml:create_namespace",
        "trevor/install.yaml:install",
        "trevor/migrations.yaml:upgrade",
        "trevor/rollback.yaml:downgrade",
        "trevor/rollback.yaml:helm_rollback",
        "trevor/upgrade.yaml:upgrade",
        "trevor/worker-stuck.yaml:restart",
    ] {
        assert!(writes.iter().any(|x| x == w), "{w} not reached: {writes:?}");
    }
    s.unchanged(&before);
}

/// Pilot's playbooks, the whole incident response and each incident.
#[test]
fn pilot_dry_runs() {
    let s = Services::start();
    let before = s.state();
    let mut writes = Vec::new();
    let app = "base_url={app}";
    let task = format!("task_id={TASK}");
    for (rel, inputs, answers) in [
        ("pilot/auth-broken.yaml", vec![app], vec!["resend_down=yes"]),
        (
            "pilot/database-down.yaml",
            vec![app],
            vec!["truly_down=yes"],
        ),
        ("pilot/diagnostics.yaml", vec![app], vec![]),
        ("pilot/disk-full.yaml", vec![], vec!["logs_on_disk=yes"]),
        (
            "pilot/helm-outage.yaml",
            vec![app],
            vec!["upstream_down=yes", "kill_switch_ask=yes"],
        ),
        ("pilot/incident.yaml", vec![app], vec!["symptom=unknown"]),
        (
            "pilot/rate-limited.yaml",
            vec!["subject=203.0.113.9"],
            vec!["bad_ip=yes"],
        ),
        ("pilot/rollback-app.yaml", vec![app], vec![]),
        (
            "pilot/rollback-db.yaml",
            vec!["backup_file=pilot.sql.gz.gpg"],
            vec![],
        ),
        ("pilot/rollback-migration.yaml", vec![], vec![]),
        ("pilot/start-here.yaml", vec![app], vec!["severity=sev1"]),
        ("pilot/stuck-task.yaml", vec![task.as_str()], vec![]),
        ("pilot/yc-sync.yaml", vec![], vec!["session_valid=no"]),
    ] {
        writes.extend(s.dry_run(rel, &inputs, &answers));
    }
    report(&writes);
    s.unchanged(&before);
}

/// AlphaSwarm's triage tree, down each scenario with a write: A (restart
/// the core), B (widen the HPA window), C (scale out, with kubectl and
/// through the control plane), D (auth permissive) and F (delete a
/// stateful pod).
#[test]
fn alphaswarm_dry_runs() {
    let s = Services::start();
    let before = s.state();
    let health = format!("health_url={}/health", s.app.url);
    let cp = format!("control_plane_url={}", s.app.url);
    let mut writes = Vec::new();
    for answers in [
        &["classify=workload", "workload=single_pod"][..],
        &["classify=workload", "workload=several_pods"],
        &[
            "classify=workload",
            "workload=all_degraded",
            "c_how=kubectl",
        ],
        &[
            "classify=workload",
            "workload=all_degraded",
            "c_how=control_plane",
        ],
        &["classify=platform", "platform=auth", "d_firewalled=yes"],
        &["classify=platform", "platform=network"],
        &["classify=platform", "platform=storage", "f_which=postgres"],
        &["classify=platform", "platform=storage", "f_which=redis"],
    ] {
        writes.extend(s.dry_run("alphaswarm/incident.yaml", &[&health, &cp], answers));
    }
    report(&writes);
    for w in [
        "a_restart",
        "b_widen",
        "c_scale",
        "c_scale_cp",
        "d_permissive",
        "f_postgres",
        "f_redis",
    ] {
        let w = format!("alphaswarm/incident.yaml:{w}");
        assert!(writes.contains(&w), "{w} not reached: {writes:?}");
    }
    s.unchanged(&before);
}
