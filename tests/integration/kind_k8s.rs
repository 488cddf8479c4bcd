//! `k8s` steps against the test API server (tests/integration/harness/k8s.rs),
//! through a kubeconfig, as an operator's machine would run them; and
//! `kubectl` against the same server.

use crate::harness::k8s::TestK8s;
use crate::harness::{run_playbook, Ran};
use serde_json::json;

fn run(k8s: &TestK8s, text: &str, args: &[&str]) -> Ran {
    let kubeconfig = k8s.kubeconfig.display().to_string();
    run_playbook("k8s.yaml", text, args, &[("KUBECONFIG", &kubeconfig)])
}

#[test]
fn pods_are_read_with_derived_outputs_logs_and_events() {
    let k8s = TestK8s::start();
    let text = r#"name: triage
steps:
  - id: pods
    k8s:
      operation: list
      selector: app=alphaswarm-core
  - id: pending
    k8s:
      operation: list
      field_selector: status.phase=Pending
  - id: one
    k8s:
      operation: get
      name: alphaswarm-core-7d9f-def34
  - id: deployment
    k8s:
      operation: get
      resource: deploy
      name: alphaswarm-worker
  - id: crash
    k8s:
      operation: logs
      name: alphaswarm-core-7d9f-def34
      previous: true
  - id: recent
    k8s:
      operation: logs
      name: deployment/alphaswarm-worker
      tail: 3
  - id: events
    k8s:
      operation: events
      name: alphaswarm-core-7d9f-def34
  - id: decide
    needs: [pods]
    assert: len(steps.pods.crashlooping) > 1 && steps.pods.restarts == 19
"#;
    let ran = run(&k8s, text, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let r = |s: &str| ran.finished(s)["results"].clone();
    assert_eq!(r("pods")["count"], 3);
    assert_eq!(r("pods")["phases"], json!({"Running": 3}));
    assert_eq!(
        r("pods")["crashlooping"],
        json!(["alphaswarm-core-7d9f-def34", "alphaswarm-core-7d9f-ghi56"])
    );
    assert_eq!(r("pods")["restarts"], 19);
    assert_eq!(r("pending")["names"], json!(["reindex-29141-mno90"]));
    assert_eq!(
        r("one")["crashlooping"],
        json!(["alphaswarm-core-7d9f-def34"])
    );
    assert_eq!(r("deployment")["object"]["spec"]["replicas"], 1);
    assert!(r("crash")["logs"]
        .as_str()
        .unwrap()
        .contains("FATAL giving up"));
    let recent = r("recent")["logs"].as_str().unwrap().to_string();
    assert_eq!(recent.lines().count(), 3, "{recent}");
    assert_eq!(
        r("recent")["names"],
        json!(["alphaswarm-worker-5c6b-jkl78"])
    );
    let reasons: Vec<_> = r("events")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        vec![json!("Pulled"), json!("Started"), json!("BackOff")]
    );
    assert_eq!(ran.finished("decide")["state"], "succeeded");
    assert!(k8s.mutations().is_empty());
}

const CHANGES: &str = r#"name: fix
steps:
  - id: restart
    k8s:
      operation: rollout_restart
      name: alphaswarm-worker
  - id: scale
    k8s:
      operation: scale
      name: alphaswarm-core
      replicas: 5
  - id: env
    k8s:
      operation: set_env
      name: alphaswarm-core
      env:
        LOG_LEVEL: debug
  - id: hpa_like
    k8s:
      operation: patch
      resource: deployment
      name: alphaswarm-worker
      patch_type: merge
      patch:
        metadata:
          labels:
            tier: backend
  - id: json_patch
    k8s:
      operation: patch
      resource: deployment
      name: alphaswarm-worker
      patch_type: json
      patch:
        - op: replace
          path: /spec/replicas
          value: 2
  - id: kill
    k8s:
      operation: delete
      name: alphaswarm-core-7d9f-ghi56
  - id: watch
    needs: [restart, scale, env, json_patch]
    k8s:
      operation: rollout_status
      name: alphaswarm-worker
      timeout: 10s
"#;

#[test]
fn mutations_change_the_cluster_as_kubectl_would() {
    let k8s = TestK8s::start();
    let ran = run(&k8s, CHANGES, &["--yes"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let worker = k8s.deployment("alphaswarm-worker");
    let restarted =
        &worker["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"];
    assert!(restarted.as_str().unwrap().ends_with('Z'), "{worker}");
    assert_eq!(worker["metadata"]["labels"]["tier"], "backend");
    assert_eq!(worker["spec"]["replicas"], 2);
    let core = k8s.deployment("alphaswarm-core");
    assert_eq!(core["spec"]["replicas"], 5);
    assert_eq!(
        core["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "LOG_LEVEL", "value": "debug"}])
    );
    assert!(!k8s
        .pod_names()
        .contains(&"alphaswarm-core-7d9f-ghi56".to_string()));
    let kinds: Vec<String> = k8s
        .mutations()
        .iter()
        .map(|m| format!("{} {}", m.method, m.content_type))
        .collect();
    assert!(
        kinds.contains(&"PATCH application/strategic-merge-patch+json".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"PATCH application/merge-patch+json".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"PATCH application/json-patch+json".to_string()),
        "{kinds:?}"
    );
    assert!(k8s.mutations().iter().all(|m| !m.dry_run));
    let scale = k8s
        .mutations()
        .into_iter()
        .find(|m| m.body == json!({"spec": {"replicas": 5}}))
        .expect("the scale patch");
    assert_eq!(
        scale.path,
        "/apis/apps/v1/namespaces/alphaswarm/deployments/alphaswarm-core"
    );
    let watch = ran.finished("watch");
    assert_eq!(watch["state"], "succeeded");
    assert_eq!(watch["results"]["object"]["status"]["availableReplicas"], 2);
}

#[test]
fn a_dry_run_sends_every_change_with_dry_run_all_and_changes_nothing() {
    let k8s = TestK8s::start();
    let before = (k8s.deployment("alphaswarm-core"), k8s.pod_names());
    let ran = run(&k8s, CHANGES, &["--dry-run"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let mutations = k8s.mutations();
    assert_eq!(mutations.len(), 6, "{mutations:?}");
    assert!(mutations.iter().all(|m| m.dry_run), "{mutations:?}");
    assert_eq!(before, (k8s.deployment("alphaswarm-core"), k8s.pod_names()));
    let would = ran.events("step_would_run");
    let scale = would.iter().find(|e| e["step"] == "scale").unwrap();
    assert_eq!(
        scale["description"],
        "kubernetes scale deployment/alphaswarm-core to 5 replicas (preview: the API server accepted scale of deployment/alphaswarm-core in namespace `alphaswarm` with dryRun=All)"
    );
}

#[test]
fn a_change_the_server_rejects_fails_the_dry_run_too() {
    let k8s = TestK8s::start();
    let text = "name: bad\nsteps:\n  - id: scale\n    k8s:\n      operation: scale\n      name: alphaswarm-core\n      replicas: -1\n";
    let ran = run(&k8s, text, &["--dry-run"]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("scale")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("the preview failed: cannot scale deployment/alphaswarm-core in namespace `alphaswarm`: invalid (422)"),
        "{message}"
    );
}

#[test]
fn api_errors_name_the_resource() {
    let k8s = TestK8s::start();
    let text = r#"name: errors
steps:
  - id: missing
    k8s: {operation: get, name: no-such-pod}
    on_failure: continue
  - id: forbidden
    k8s: {operation: list, namespace: locked}
    on_failure: continue
  - id: failing
    k8s: {operation: list, namespace: broken}
    on_failure: continue
  - id: conflict
    k8s: {operation: delete, name: finalizing}
    on_failure: continue
  - id: unauthorized
    k8s: {operation: list, context: wrong-token}
    on_failure: continue
  - id: stuck
    k8s: {operation: rollout_status, name: alphaswarm-core, timeout: 1s}
    on_failure: continue
  - id: hung
    k8s: {operation: get, name: hung}
    timeout: 2s
    on_failure: continue
"#;
    let ran = run(&k8s, text, &["--yes"]);
    let message = |s: &str| {
        ran.finished(s)["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let expect = [
        ("missing", "cannot get pod/no-such-pod in namespace `alphaswarm`: not found (404): pod \"no-such-pod\" not found"),
        ("forbidden", "cannot list pod in namespace `locked`: forbidden (403)"),
        ("failing", "cannot list pod in namespace `broken`: the API server failed (500)"),
        ("conflict", "cannot delete pod/finalizing in namespace `alphaswarm`: conflict (409)"),
        ("unauthorized", "cannot list pod in namespace `alphaswarm`: unauthorized (401)"),
        ("stuck", "the rollout of deployment/alphaswarm-core in namespace `alphaswarm` did not complete within 1s: 1 of 3 updated replicas available"),
    ];
    for (step, start) in expect {
        assert!(
            message(step).starts_with(start),
            "{step}: {}",
            message(step)
        );
    }
    assert_eq!(ran.finished("hung")["state"], "timed_out", "{}", ran.stdout);
}

/// `kubectl` (the real one) reads the same server through the same kubeconfig.
#[test]
fn kubectl_get_pods_works_against_the_test_server() {
    let k8s = TestK8s::start();
    let out = std::process::Command::new("kubectl")
        .args(["get", "pods", "-l", "app=alphaswarm-core"])
        .env("KUBECONFIG", &k8s.kubeconfig)
        .env("HOME", k8s.kubeconfig.parent().unwrap())
        .output()
        .expect("kubectl is installed (Debian: kubernetes-client; scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("alphaswarm-core-7d9f-def34"), "{stdout}");
    assert!(!stdout.contains("alphaswarm-worker"), "{stdout}");
}

#[test]
fn an_api_server_that_is_down_is_a_refused_connection() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let (_held, port) = crate::harness::refusing_port();
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: http://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: down\n  context: {{cluster: down, user: u, namespace: prod}}\ncurrent-context: down\n"
        ),
    )
    .unwrap();
    let ran = run_playbook(
        "down.yaml",
        "name: down\nsteps:\n  - id: pods\n    k8s: {operation: list}\n",
        &[],
        &[("KUBECONFIG", &kubeconfig.display().to_string())],
    );
    assert_ne!(ran.code, 0);
    let message = ran.finished("pods")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("cannot list pod in namespace `prod`: connection refused: the API server is not listening"),
        "{message}"
    );
}
