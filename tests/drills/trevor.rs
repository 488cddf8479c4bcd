//! Drills of trevor's "worker not processing jobs"
//! (playbooks/trevor/worker-stuck.yaml) against the real Redis (the
//! `arq:queue` list, read by `redis` steps, filled with the real `redis-cli`)
//! and the Kubernetes test server holding the `trevor-worker` deployment.

use super::support::{assert_gated, Drill, Run, TestRedis};
use crate::harness::k8s::TestK8s;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PLAYBOOK: &str = "trevor/worker-stuck.yaml";
const GATED: &[&str] = &["restart", "scale"];
const MANUAL: &[&str] = &["redis_unreachable", "not_lagging"];

/// The test cluster with trevor's worker (one replica, one pod) in `trevor`.
fn k8s() -> TestK8s {
    let k8s = TestK8s::start();
    let mut c = k8s.cluster.lock().unwrap();
    c.deployments.insert(
        "trevor".into(),
        vec![json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "trevor-worker", "namespace": "trevor", "generation": 1, "uid": "uid-tw",
                         "resourceVersion": "1", "labels": {"app": "trevor-worker"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "trevor-worker"}},
                     "template": {"metadata": {"labels": {"app": "trevor-worker"}},
                                  "spec": {"containers": [{"name": "worker", "image": "trevor:2.3"}]}}},
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}})],
    );
    c.pods.insert(
        "trevor".into(),
        vec![json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "trevor-worker-7c-abc", "namespace": "trevor", "uid": "uid-twp",
                         "labels": {"app": "trevor-worker"}},
            "spec": {"containers": [{"name": "worker", "image": "trevor:2.3"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "worker", "ready": true,
                       "restartCount": 0, "image": "trevor:2.3", "state": {"running": {}}}]}})],
    );
    drop(c);
    k8s
}

fn fill(redis: &TestRedis, jobs: usize) {
    redis.cli(&["DEL", "arq:queue"]);
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(50) {
        let mut args = vec!["RPUSH".to_string(), "arq:queue".into()];
        args.extend(chunk.iter().map(|i| format!("arq:job:{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        redis.cli(&args);
    }
}

fn run(k8s: &TestK8s, redis_url: &str, approve: &[&str], dry: bool) -> Run {
    let mut drill = Drill::new();
    drill
        .env("KUBECONFIG", k8s.kubeconfig.to_str().unwrap())
        .env("REDIS_URL", redis_url);
    let mut args: Vec<&str> = Vec::new();
    for a in approve.iter().chain(MANUAL) {
        args.extend(["--approve", a]);
    }
    drill.run(PLAYBOOK, &args, dry)
}

/// The worker is stuck with 120 jobs queued (past the threshold of 50): it
/// is restarted (approved) and, once restarted, drains the queue, so the
/// watch succeeds and the scale-out is not needed.
///
/// The dry-run of this path previews the restart (dryRun=All only) and
/// probes `drain` once without waiting for an effect it did not make.
#[test]
fn worker_lagging_restart() {
    let k8s = k8s();
    let redis = TestRedis::start();
    fill(&redis, 120);

    let dry = run(&k8s, &redis.url, &["restart", "scale"], true);
    assert_eq!(dry.code, 0, "{}", dry.dump());
    assert_eq!(dry.state("drain"), "skipped");
    assert!(
        dry.finished("drain")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not wait"),
        "{}",
        dry.dump()
    );
    assert!(
        k8s.mutations().iter().all(|m| m.dry_run),
        "{:?}",
        k8s.mutations().len()
    );
    assert_eq!(redis.cli(&["LLEN", "arq:queue"]), "120");

    // Not approved: rejected, the worker is untouched and the queue too.
    let refused = run(&k8s, &redis.url, &[], false);
    assert_eq!(refused.code, 3, "{}", refused.dump());
    assert_eq!(refused.state("restart"), "rejected");
    assert!(k8s.mutations().iter().all(|m| m.dry_run));
    assert_eq!(redis.cli(&["LLEN", "arq:queue"]), "120");

    // The restarted worker drains the queue: a stand-in for arq, started
    // when the restart lands on the API server.
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let cluster = k8s.cluster.clone();
        let port = redis.url.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let restarted = cluster
                    .lock()
                    .unwrap()
                    .mutations
                    .iter()
                    .any(|m| !m.dry_run && m.path.ends_with("/deployments/trevor-worker"));
                if restarted {
                    let _ = std::process::Command::new("/usr/bin/redis-cli")
                        .args(["-u", &port, "LTRIM", "arq:queue", "0", "9"])
                        .output();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let live = run(&k8s, &redis.url, &["restart"], false);
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap();
    live.expect(
        0,
        &[
            ("logs", "succeeded"),
            ("queue", "succeeded"),
            ("lag_route", "succeeded"),
            ("restart", "succeeded"),
            ("drain", "succeeded"),
            ("not_lagging", "skipped"),
            ("redis_unreachable", "skipped"),
        ],
    );
    assert_ne!(live.state("scale"), "succeeded");
    assert_gated(&live, GATED);
    assert_eq!(redis.cli(&["LLEN", "arq:queue"]), "10");
    let m: Vec<String> = k8s
        .mutations()
        .iter()
        .map(|m| format!("{} {} {}", m.method, m.path, m.dry_run))
        .collect();
    // The dry-run's preview, then the one real restart.
    assert_eq!(
        m,
        [
            "PATCH /apis/apps/v1/namespaces/trevor/deployments/trevor-worker true",
            "PATCH /apis/apps/v1/namespaces/trevor/deployments/trevor-worker false"
        ]
    );
    let d = k8s.cluster.lock().unwrap().deployments["trevor"][0].clone();
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    assert_eq!(d["spec"]["replicas"], 1);
}

/// 30 jobs queued: under the threshold, nothing to restart; the dry-run
/// and the live run agree and neither touches the worker or the queue.
#[test]
fn queue_not_lagging() {
    let k8s = k8s();
    let redis = TestRedis::start();
    fill(&redis, 30);
    for dry in [true, false] {
        let run = run(&k8s, &redis.url, &["restart", "scale"], dry);
        run.expect(
            0,
            &[
                ("queue", "succeeded"),
                ("not_lagging", "succeeded"),
                ("restart", "skipped"),
                ("drain", "skipped"),
                ("scale", "skipped"),
            ],
        );
    }
    assert!(k8s.mutations().is_empty());
    assert_eq!(redis.cli(&["LLEN", "arq:queue"]), "30");
}

/// Redis is down (nothing listens at `REDIS_URL`): the `queue` step fails and
/// the failure edge leads to the connectivity check; no restart.
#[test]
fn redis_unreachable() {
    let k8s = k8s();
    let (_held, closed) = crate::harness::refusing_port();
    let closed = format!("redis://127.0.0.1:{closed}/0");
    for dry in [true, false] {
        let run = run(&k8s, &closed, &["restart", "scale"], dry);
        run.expect(
            0,
            &[
                ("queue", "failed"),
                ("redis_unreachable", "succeeded"),
                ("lag_route", "skipped"),
                ("restart", "skipped"),
            ],
        );
    }
    assert!(k8s.mutations().is_empty());
}
