//! `prometheus` steps against the real Prometheus, scraping an exporter the
//! test serves.

use crate::harness::http::TestHttp;
use crate::harness::prometheus::TestPrometheus;
use crate::harness::{refusing_port, run_playbook};

const METRICS: &str = "\
# TYPE queue_depth gauge
queue_depth{queue=\"arq\"} 42
# TYPE http_requests_total counter
http_requests_total{code=\"200\"} 1000
http_requests_total{code=\"500\"} 70
";

#[test]
fn instant_range_empty_and_failing_queries() {
    let exporter = TestHttp::start();
    exporter.set_metrics(METRICS);
    let prometheus = TestPrometheus::start(exporter.url.trim_start_matches("http://"));
    let text = format!(
        r#"name: thresholds
steps:
  - id: depth
    prometheus:
      url: "{url}"
      query: queue_depth{{queue="arq"}}
  - id: error_rate
    prometheus:
      url: "{url}"
      query: sum(http_requests_total{{code=~"5.."}}) / sum(http_requests_total)
  - id: by_code
    prometheus:
      url: "{url}"
      query: http_requests_total
  - id: recent
    prometheus:
      url: "{url}"
      query: queue_depth
      range: 30s
      step: 1s
  - id: nothing
    prometheus:
      url: "{url}"
      query: no_such_metric
  - id: decide
    needs: [depth, error_rate, nothing]
    assert: steps.depth.value > 20 && steps.error_rate.value > 0.05 && steps.nothing.empty
  - id: bad
    prometheus:
      url: "{url}"
      query: "sum(no_such_function(x[5m]))"
    on_failure: continue
"#,
        url = prometheus.url
    );
    let ran = run_playbook("thresholds.yaml", &text, &[], &[]);
    let results = |step: &str| ran.finished(step)["results"].clone();
    assert_eq!(results("depth")["value"], 42.0);
    assert_eq!(results("depth")["empty"], false);
    assert_eq!(results("depth")["series"][0]["labels"]["queue"], "arq");
    let rate = results("error_rate")["value"].as_f64().unwrap();
    assert!((rate - 70.0 / 1070.0).abs() < 1e-9, "{rate}");
    assert!(results("by_code").get("value").is_none());
    assert_eq!(results("by_code")["series"].as_array().unwrap().len(), 2);
    let recent = results("recent");
    assert_eq!(recent["value"], 42.0);
    assert!(!recent["series"][0]["values"].as_array().unwrap().is_empty());
    assert_eq!(results("nothing")["empty"], true);
    assert!(results("nothing").get("value").is_none());
    assert_eq!(ran.finished("decide")["state"], "succeeded");
    let bad = ran.finished("bad");
    assert_eq!(bad["state"], "failed");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .starts_with("Prometheus refused PromQL `sum(no_such_function(x[5m]))`"),
        "{bad}"
    );
}

#[test]
fn a_stopped_prometheus_is_a_refused_connection() {
    let (_held, port) = refusing_port();
    let text = format!(
        "name: down\nsteps:\n  - id: depth\n    prometheus:\n      url: http://127.0.0.1:{port}\n      query: up\n"
    );
    let ran = run_playbook("down.yaml", &text, &[], &[]);
    assert_ne!(ran.code, 0);
    let message = ran.finished("depth")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.starts_with("connection refused"), "{message}");
}

/// Issue 12, section 2: a query that answers several series is read with
/// the list functions: "any pod above 80%" decides a branch.
#[test]
fn several_series_decide_a_branch_through_list_functions() {
    let exporter = TestHttp::start();
    exporter.set_metrics(
        "# TYPE pod_cpu_percent gauge\n\
         pod_cpu_percent{pod=\"web-1\"} 42\n\
         pod_cpu_percent{pod=\"web-2\"} 91.5\n\
         pod_cpu_percent{pod=\"db-1\"} 7\n",
    );
    let prometheus = TestPrometheus::start(exporter.url.trim_start_matches("http://"));
    let text = format!(
        r#"name: hot-pods
vars:
  hottest: max(steps.cpu.series, s => s.value)
  hot: map(filter(steps.cpu.series, s => s.value > 80), s => s.labels.pod)
steps:
  - id: cpu
    prometheus:
      url: "{url}"
      query: pod_cpu_percent
  - id: recent
    prometheus:
      url: "{url}"
      query: pod_cpu_percent
      range: 30s
      step: 1s
  - id: triage
    needs: [cpu, recent]
    branch:
      - when: any(steps.cpu.series, s => s.value > 80) && max(steps.recent.series, s => s.value) > 80
        then: report
      - else: calm
  - id: report
    log: "hot: {{{{join(vars.hot, \",\")}}}} at {{{{vars.hottest}}}}%, {{{{count(steps.cpu.series, s => s.value < 80)}}}} calm"
  - id: calm
    log: all calm
"#,
        url = prometheus.url
    );
    let ran = run_playbook("hot.yaml", &text, &[], &[]);
    assert_eq!(
        ran.finished("triage")["results"]["taken"],
        "report",
        "{}",
        ran.stdout
    );
    let log: Vec<&serde_json::Value> = ran
        .records
        .iter()
        .filter(|r| r["event"] == "step_output" && r["step"] == "report")
        .collect();
    assert_eq!(
        log[0]["line"], "hot: web-2 at 91.5%, 2 calm",
        "{}",
        ran.stdout
    );
    let recent = ran.finished("recent")["results"].clone();
    assert_eq!(recent["series"].as_array().unwrap().len(), 3);
}
