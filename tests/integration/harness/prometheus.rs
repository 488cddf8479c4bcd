//! The real Prometheus server (Debian package `prometheus`) on a loopback
//! port, with a temporary configuration and storage, scraping one target
//! every second.

use super::{free_port, require_program, wait_until, Killed};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// A running Prometheus; stopped and its storage removed when dropped.
pub struct TestPrometheus {
    pub url: String,
    _process: Killed,
    _dir: tempfile::TempDir,
}

impl TestPrometheus {
    /// Starts Prometheus scraping `target` (`127.0.0.1:PORT`, path
    /// `/metrics`) as job `exporter`, and waits until it has scraped it.
    pub fn start(target: &str) -> TestPrometheus {
        Self::start_jobs(
            &[("exporter", "/metrics", &[target])],
            "up{job=\"exporter\"}==1",
        )
    }

    /// Starts Prometheus scraping `jobs` (name, metrics path, targets), and
    /// waits until `ready` (PromQL) returns a series.
    pub fn start_jobs(jobs: &[(&str, &str, &[&str])], ready: &str) -> TestPrometheus {
        require_program(Path::new(PROMETHEUS), "prometheus");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("prometheus.yml");
        let mut text = String::from(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
        );
        for (job, path, targets) in jobs {
            let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
            text.push_str(&format!(
                "  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ));
        }
        std::fs::write(&config, text).expect("write the Prometheus configuration");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {PROMETHEUS}: {e}"));
        let server = TestPrometheus {
            url: format!("http://127.0.0.1:{port}"),
            _process: Killed(child),
            _dir: dir,
        };
        let log_path = server._dir.path().join("prometheus.log");
        let query = format!(
            "{}/api/v1/query?query={}",
            server.url,
            runbook_dsl::encode::percent_encode(ready)
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        wait_until(
            &format!(
                "Prometheus did not answer `{ready}` (its log: {})",
                log_path.display()
            ),
            Duration::from_secs(60),
            || {
                rt.block_on(async {
                    let Ok(r) = reqwest::get(&query).await else {
                        return false;
                    };
                    let Ok(body) = r.json::<serde_json::Value>().await else {
                        return false;
                    };
                    body["data"]["result"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                })
            },
        );
        server
    }
}
