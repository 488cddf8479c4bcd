//! `runbook serve` in a real browser: headless Chromium, driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`), loads the page
//! of a run still going whose steps printed hostile markup, proves that no
//! script of theirs ran (no alert, no element made from their markup, the
//! text shown literally), then releases the run and sees the live update
//! show the step finishing. Skipped, with the reason printed, only when
//! Chromium or ChromeDriver is not installed.

use crate::console::{Served, WaitingRun};
use crate::running::Sandbox;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A ChromeDriver process, stopped when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("chromedriver answers");
    response.json().await.expect("chromedriver answers JSON")
}

#[test]
fn the_browser_runs_none_of_the_runs_output_and_follows_the_run_live() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        eprintln!(
            "skipped: {CHROMIUM} or {CHROMEDRIVER} is not installed (Debian packages chromium, chromium-driver; scripts/test installs them)"
        );
        return;
    }
    let s = Sandbox::new("name: unused\nsteps:\n  - id: a\n    shell: echo a\n");
    let mut run = WaitingRun::start(&s);
    let id = run.id.clone();
    let served = Served::start(&s.path().join(".runbook/runs"), &[]);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver {
        child: Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{}/status", driver.base)).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let session = call(
            &client,
            reqwest::Method::POST,
            format!("{}/session", driver.base),
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            }}})),
        )
        .await;
        let sid = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a session: {session}"))
            .to_string();
        let at = |path: &str| format!("{}/session/{sid}{path}", driver.base);
        let script = |source: &str| {
            call(
                &client,
                reqwest::Method::POST,
                at("/execute/sync"),
                Some(json!({"script": source, "args": []})),
            )
        };
        call(
            &client,
            reqwest::Method::POST,
            at("/url"),
            Some(json!({"url": served.url(&format!("/runs/{id}"))})),
        )
        .await;

        // No alert is open: none of the payloads ran.
        let alert = call(&client, reqwest::Method::GET, at("/alert/text"), None).await;
        assert_eq!(alert["value"]["error"], "no such alert", "{alert}");
        let found = script(
            "return [document.querySelectorAll('#run script, #run img, #run svg, #run iframe').length, document.title, document.getElementById('run').innerText]",
        )
        .await;
        let value = &found["value"];
        assert_eq!(value[0], 0, "elements made from the output: {found}");
        assert!(!value[1].as_str().unwrap().contains("retitled"), "{found}");
        let shown = value[2].as_str().unwrap();
        assert!(shown.contains("Steps") && shown.contains("wait"), "{shown}");
        // Output is collapsed; opened, it shows the markup as text.
        let text = script(
            "document.querySelectorAll('#run details').forEach(function (d) { d.open = true; }); return document.getElementById('output').innerText",
        )
        .await;
        let text = text["value"].as_str().unwrap_or_default().to_string();
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
        assert!(text.contains("\"><img src=x onerror=alert(2)>"), "{text}");

        // Release the step; the page's script shows it finishing.
        assert!(run.release(), "the run succeeded");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let state = script(
                "var row = document.querySelector('#run tr[data-step=\"last\"]'); return [document.getElementById('run').dataset.going, row ? row.innerText : '']",
            )
            .await;
            let v = &state["value"];
            if v[0] == "false" && v[1].as_str().unwrap_or("").contains("succeeded") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed the run finishing: {state}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let opened = script("return document.querySelectorAll('#run details[open]').length").await;
        assert!(opened["value"].as_u64().unwrap_or(0) > 0, "opened output stays open: {opened}");
        let alert = call(&client, reqwest::Method::GET, at("/alert/text"), None).await;
        assert_eq!(alert["value"]["error"], "no such alert", "{alert}");
        call(&client, reqwest::Method::DELETE, at(""), None).await;
    });
}
