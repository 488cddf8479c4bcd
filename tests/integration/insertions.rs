//! Hostile values inserted into URLs, JSON bodies, PromQL queries and
//! Kubernetes names reach the real servers as values, never as structure:
//! each server records what it received.

use crate::harness::http::TestHttp;
use crate::harness::k8s::TestK8s;
use crate::harness::prometheus::TestPrometheus;
use crate::harness::run_playbook;
use serde_json::{json, Value};

/// Values that would change a URL, a JSON document or a query if spliced.
const HOSTILE: &[&str] = &[
    "../../admin?x#",
    "a/b?c=d&e#f",
    "%2e%2e%2fadmin",
    "$(touch pwned)",
    "line\nbreak",
    "it's \"quoted\"",
    "{{inputs.base}}",
    "--help",
];

fn input(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

#[test]
fn url_path_and_query_insertions_reach_the_server_percent_encoded() {
    let server = TestHttp::start();
    let playbook = r#"name: urls
inputs:
  base:
    type: string
  x:
    type: string
steps:
  - id: get
    http:
      url: "{{inputs.base}}/api/{{inputs.x}}/logs?q={{inputs.x}}&page=1"
      expect_status: any
"#;
    for value in HOSTILE {
        server.state.lock().unwrap().requests.clear();
        let args = [
            "--input",
            &input("base", &server.url),
            "--input",
            &input("x", value),
        ];
        let ran = run_playbook("urls.yaml", playbook, &args, &[]);
        assert_eq!(ran.code, 0, "{value:?}: {}\n{}", ran.stdout, ran.stderr);
        let encoded = runbook_dsl::encode::percent_encode(value);
        assert_eq!(
            server.requests(),
            [(
                "GET".to_string(),
                format!("/api/{encoded}/logs?q={encoded}&page=1")
            )],
            "{value:?}"
        );
    }
}

#[test]
fn a_dot_segment_host_or_base_url_that_would_move_the_request_is_refused() {
    let server = TestHttp::start();
    let playbook = r#"name: urls
inputs:
  base:
    type: string
  x:
    type: string
steps:
  - id: get
    http: "{{inputs.base}}/api/{{inputs.x}}/logs"
"#;
    for (base, value, why) in [
        (server.url.as_str(), "..", "would move up the path"),
        (server.url.as_str(), ".", "would move up the path"),
        ("127.0.0.1/api", "x", "is not an absolute"),
        ("file:///etc/passwd#", "x", "is not an absolute"),
    ]
    .into_iter()
    .map(|(b, v, w)| (b.to_string(), v, w))
    // The playbook's own path would become the base's query.
    .chain([(
        format!("{}/hosts/web-1/rollback?", server.url),
        "web-5",
        "would be part of that query",
    )]) {
        let base = base.as_str();
        let args = [
            "--input",
            &input("base", base),
            "--input",
            &input("x", value),
        ];
        // Inputs: refused before anything runs.
        let ran = run_playbook("urls.yaml", playbook, &args, &[]);
        assert_eq!(ran.code, 2, "{value:?}");
        assert!(
            ran.stderr.contains("cannot go where step `get` puts it") && ran.stderr.contains(why),
            "{value:?}: {}",
            ran.stderr
        );
    }
    let hosted = r#"name: host
inputs:
  host:
    type: string
steps:
  - id: get
    http: "http://{{inputs.host}}/health"
"#;
    let host = &server.url["http://".len()..];
    for evil in [format!("{host}:1@evil.example"), format!("{host}/admin#")] {
        let ran = run_playbook(
            "host.yaml",
            hosted,
            &["--input", &input("host", &evil)],
            &[],
        );
        assert_eq!(ran.code, 2, "{evil}");
        assert!(
            ran.stderr.contains("cannot go in the host"),
            "{}",
            ran.stderr
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn json_body_insertions_cannot_change_the_document() {
    let server = TestHttp::start();
    let playbook = r#"name: grant
inputs:
  base:
    type: string
  user:
    type: string
  n:
    type: int
steps:
  - id: post
    http:
      url: "{{inputs.base}}/grants"
      method: POST
      body: '{"user": "{{inputs.user}}", "again": {{inputs.user}}, "n": {{inputs.n}}, "role": "viewer"}'
      expect_status: any
"#;
    let mut payloads: Vec<&str> = HOSTILE.to_vec();
    payloads.extend([
        "\", \"admin\": true, \"x\": \"",
        "\"}, {\"admin\": true",
        "\\\"\n\r\t\u{1}",
    ]);
    for user in payloads {
        server.state.lock().unwrap().requests.clear();
        let args = [
            "--input",
            &input("base", &server.url),
            "--input",
            &input("user", user),
            "--input",
            "n=3",
        ];
        let ran = run_playbook("grant.yaml", playbook, &args, &[]);
        assert_eq!(ran.code, 0, "{user:?}: {}\n{}", ran.stdout, ran.stderr);
        let bodies = server.bodies();
        let received: Value = serde_json::from_str(&bodies[0]).unwrap_or_else(|e| {
            panic!(
                "{user:?}: the server received invalid JSON ({e}): {}",
                bodies[0]
            )
        });
        assert_eq!(
            received,
            json!({"user": user, "again": user, "n": 3, "role": "viewer"}),
            "{user:?}"
        );
    }
}

const METRICS: &str = "\
# TYPE queue_depth gauge
queue_depth{queue=\"arq\"} 42
";

#[test]
fn promql_label_values_are_escaped_and_numbers_stand_alone() {
    let exporter = TestHttp::start();
    exporter.set_metrics(METRICS);
    let prometheus = TestPrometheus::start(exporter.url.trim_start_matches("http://"));
    let playbook = format!(
        r#"name: depth
inputs:
  queue:
    type: string
  above:
    type: int
steps:
  - id: depth
    prometheus:
      url: "{url}"
      query: queue_depth{{queue="{{{{inputs.queue}}}}"}} > {{{{inputs.above}}}}
  - id: single
    prometheus:
      url: "{url}"
      query: "queue_depth{{queue='{{{{inputs.queue}}}}'}}"
  - id: matching
    prometheus:
      url: "{url}"
      query: queue_depth{{queue=~"{{{{inputs.queue}}}}"}}
"#,
        url = prometheus.url
    );
    let run = |queue: &str| {
        let args = ["--input", &input("queue", queue), "--input", "above=40"];
        run_playbook("depth.yaml", &playbook, &args, &[])
    };
    let ran = run("arq");
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.finished("depth")["results"]["value"], 42.0);
    assert_eq!(ran.finished("single")["results"]["value"], 42.0);
    assert_eq!(ran.finished("matching")["results"]["value"], 42.0);
    for hostile in [
        // A regular expression: matches itself only, not every queue.
        ".*",
        "a.q|arq",
        "nope\"} or vector(42) or queue_depth{queue=\"",
        "nope'} or vector(42) or queue_depth{queue='",
        "nope\\\"} or vector(42)",
        "nope\n\"} or vector(42)",
    ] {
        let ran = run(hostile);
        assert_eq!(ran.code, 0, "{hostile:?}: {}\n{}", ran.stdout, ran.stderr);
        for step in ["depth", "single", "matching"] {
            let results = &ran.finished(step)["results"];
            assert_eq!(
                results["empty"], true,
                "{hostile:?} changed {step}: {results}"
            );
        }
    }
}

#[test]
fn kubernetes_names_and_selectors_cannot_change_the_request_path() {
    let k8s = TestK8s::start();
    let pod = k8s.pod_names()[0].clone();
    let env = [("KUBECONFIG", k8s.kubeconfig.to_str().unwrap())];
    let playbook = r#"name: kill
inputs:
  pod:
    type: string
  app:
    type: string
    default: alphaswarm-worker
steps:
  - id: kill
    effect: destructive
    k8s:
      operation: delete
      name: "{{inputs.pod}}"
    on_failure: continue
  - id: find
    k8s:
      operation: list
      selector: "app={{inputs.app}}"
    on_failure: continue
"#;
    for hostile in [
        format!("{pod}#frag"),
        format!("{pod}?dryRun=All"),
        format!("../{pod}"),
        format!("{pod}/status"),
        pod.to_uppercase(),
    ] {
        let args = [
            "--input",
            &input("pod", &hostile),
            "--input",
            "app=alphaswarm-core,tier!=x",
            "--approve",
            "kill",
        ];
        // Inputs: both refused before anything runs.
        let ran = run_playbook("kill.yaml", playbook, &args, &env);
        assert_eq!(ran.code, 2, "{hostile}: {}", ran.stderr);
        assert!(
            ran.stderr
                .contains("input `pod` cannot go where step `kill` puts it")
                && ran.stderr.contains("cannot be part of a Kubernetes name"),
            "{hostile}: {}",
            ran.stderr
        );
        assert!(
            ran.stderr
                .contains("input `app` cannot go where step `find` puts it")
                && ran.stderr.contains("cannot go in a label selector"),
            "{hostile}: {}",
            ran.stderr
        );
    }
    assert!(k8s.mutations().is_empty(), "{:?}", k8s.mutations());
    assert!(k8s.pod_names().contains(&pod));

    // A valid name is deleted at exactly its path.
    let args = ["--input", &input("pod", &pod), "--approve", "kill"];
    let ran = run_playbook("kill.yaml", playbook, &args, &env);
    assert_eq!(ran.finished("kill")["state"], "succeeded", "{}", ran.stdout);
    assert_eq!(
        ran.finished("find")["results"]["count"],
        1,
        "{}",
        ran.stdout
    );
    let paths: Vec<String> = k8s.mutations().iter().map(|m| m.path.clone()).collect();
    assert_eq!(paths, [format!("/api/v1/namespaces/alphaswarm/pods/{pod}")]);
}
