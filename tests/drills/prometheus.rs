//! Drill of the Prometheus target-down example
//! (playbooks/examples/prometheus-target-down.yaml) against a real
//! Prometheus scraping three targets: one up, one refusing connections,
//! one answering 405. The run finds the two down targets and their last
//! scrape errors, probes each from here (the refused one fails, which does
//! not stop the triage), and routes each error family to its manual step.

use super::support::Drill;
use crate::harness::http::TestHttp;
use crate::harness::prometheus::TestPrometheus;
use crate::harness::refusing_port;

const PLAYBOOK: &str = "examples/prometheus-target-down.yaml";

#[test]
fn two_down_targets_are_found_probed_and_routed() {
    let exporter = TestHttp::start();
    exporter.set_metrics("demo_up 1\n");
    let live = exporter.url.trim_start_matches("http://").to_string();
    let (_held, refused) = refusing_port();
    let refused = format!("127.0.0.1:{refused}");
    let prometheus = TestPrometheus::start_jobs(
        &[
            ("node", "/metrics", &[live.as_str()]),
            // `/webhook-broken` takes only POST: the scrape gets 405.
            (
                "myapp",
                "/webhook-broken",
                &[refused.as_str(), live.as_str()],
            ),
        ],
        "count(up == 0) == 2 and count(up == 1) == 1",
    );
    let drill = Drill::new();
    let input = format!("--input=prometheus={}", prometheus.url);
    let run = drill.run(
        PLAYBOOK,
        &[&input, "--approve=exporter", "--approve=path"],
        false,
    );
    run.expect(
        0,
        &[
            ("down", "succeeded"),
            ("scope", "succeeded"),
            ("each_target", "failed"),
            ("summary", "succeeded"),
            ("exporter", "succeeded"),
            ("path", "succeeded"),
            ("config", "skipped"),
            ("all_clear", "skipped"),
        ],
    );
    assert_eq!(run.finished("scope")["results"]["taken"], "each_target");
    // One probe per down target: the refused one failed, the 405 answered.
    let items: Vec<&serde_json::Value> = run
        .events
        .iter()
        .filter(|e| e["event"] == "item_finished" && e["step"] == "each_target")
        .collect();
    assert_eq!(items.len(), 2, "{}", run.dump());
    let failed: Vec<&str> = items
        .iter()
        .filter(|e| e["state"] == "failed")
        .filter_map(|e| e["message"].as_str())
        .collect();
    let port = refused.rsplit(':').next().unwrap();
    assert!(
        failed.len() == 1 && failed[0].contains(&format!("port {port}")),
        "{failed:?}"
    );
    // The summary names both targets with their errors.
    let logged: String = run
        .events
        .iter()
        .filter(|e| e["event"] == "step_output" && e["step"] == "summary")
        .filter_map(|e| e["line"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(logged.contains(&format!("myapp {refused}: ")), "{logged}");
    assert!(logged.contains("connection refused"), "{logged}");
    assert!(logged.contains("405"), "{logged}");

    // A dry-run runs the same reads and decides the same way.
    let dry = drill.run(PLAYBOOK, &[&input], true);
    assert_eq!(dry.code, 0, "{}", dry.dump());
    assert_eq!(dry.finished("scope")["results"]["taken"], "each_target");
}
