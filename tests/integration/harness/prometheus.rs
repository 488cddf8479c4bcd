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
        require_program(Path::new(PROMETHEUS), "prometheus");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write the Prometheus configuration");
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
            "{}/api/v1/query?query=up%7Bjob%3D%22exporter%22%7D%3D%3D1",
            server.url
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        wait_until(
            &format!(
                "Prometheus did not scrape {target} (its log: {})",
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
