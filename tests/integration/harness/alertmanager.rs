//! The real Alertmanager (Debian package `prometheus-alertmanager`) on a
//! loopback port, standalone (no cluster), with a temporary configuration
//! and storage.

use super::{free_port, require_program, wait_until, Killed};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// A running Alertmanager; stopped and its storage removed when dropped.
pub struct TestAlertmanager {
    pub url: String,
    _process: Killed,
    _dir: tempfile::TempDir,
}

impl TestAlertmanager {
    /// Starts Alertmanager with one receiver that sends nowhere, and waits
    /// until it answers `/-/ready`.
    pub fn start() -> TestAlertmanager {
        require_program(Path::new(ALERTMANAGER), "prometheus-alertmanager");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n",
        )
        .expect("write the Alertmanager configuration");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).unwrap();
        let child = Command::new(ALERTMANAGER)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Standalone: no gossip port to collide with other tests.
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {ALERTMANAGER}: {e}"));
        let server = TestAlertmanager {
            url: format!("http://127.0.0.1:{port}"),
            _process: Killed(child),
            _dir: dir,
        };
        let ready = format!("{}/-/ready", server.url);
        let log_path = server._dir.path().join("alertmanager.log");
        wait_until(
            &format!(
                "Alertmanager did not get ready (its log: {})",
                log_path.display()
            ),
            Duration::from_secs(60),
            || reqwest_ready(&ready),
        );
        server
    }

    /// The server's process id, for a test that stops it in the middle of a run.
    pub fn pid(&self) -> u32 {
        self._process.0.id()
    }

    /// Creates an hour-long silence of `service` by `by`; its id.
    pub fn silence(&self, service: &str, by: &str) -> String {
        let url = format!("{}/api/v2/silences", self.url);
        let now = std::time::SystemTime::now();
        let end = now + Duration::from_secs(3600);
        let body = serde_json::json!({
            "matchers": [{"name": "service", "value": service, "isRegex": false, "isEqual": true}],
            "startsAt": humantime::format_rfc3339_seconds(now).to_string(),
            "endsAt": humantime::format_rfc3339_seconds(end).to_string(),
            "createdBy": by,
            "comment": "set up by the test",
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let answer: serde_json::Value = reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("Alertmanager answers")
                .json()
                .await
                .expect("a JSON answer");
            answer["silenceID"]
                .as_str()
                .expect("a silence id")
                .to_string()
        })
    }

    /// The silences Alertmanager holds now, as its API gives them.
    pub fn silences(&self) -> Vec<serde_json::Value> {
        silences_at(&self.url)
    }
}

/// The silences the Alertmanager at `base` holds now (for a thread that
/// watches it while a run goes on).
pub fn silences_at(base: &str) -> Vec<serde_json::Value> {
    let url = format!("{base}/api/v2/silences");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::get(&url)
            .await
            .expect("Alertmanager answers")
            .json::<Vec<serde_json::Value>>()
            .await
            .expect("a list of silences")
    })
}

fn reqwest_ready(url: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
}
