//! `runbook serve` in a real browser: headless Chromium, driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`), loads the page
//! of a run still going whose steps printed hostile markup, proves that no
//! script of theirs ran (no alert, no element made from their markup, the
//! text shown literally), then releases the run and sees the live update
//! show the step finishing. Skipped, with the reason printed, only when
//! Chromium or ChromeDriver is not installed.

use crate::console::{Served, WaitingRun};
use crate::remote_approvals::{finish, pending_at, start, store};
use crate::running::Sandbox;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A ChromeDriver process, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    pub(crate) base: String,
}

impl Driver {
    /// ChromeDriver on a free loopback port.
    pub(crate) fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Driver {
            child: Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A headless Chromium session with its profile in `profile`: its id.
    async fn session(&self, client: &reqwest::Client, profile: &Path) -> String {
        self.session_with(client, profile, true).await
    }

    /// The same, with the pages' JavaScript off unless `javascript`
    /// (WebDriver's own commands still work).
    pub(crate) async fn session_with(
        &self,
        client: &reqwest::Client,
        profile: &Path,
        javascript: bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while client
            .get(format!("{}/status", self.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let session = call(
            client,
            reqwest::Method::POST,
            format!("{}/session", self.base),
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "prefs": {
                        "profile.managed_default_content_settings.javascript":
                            if javascript { 1 } else { 2 }
                    },
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}})),
        )
        .await;
        session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a session: {session}"))
            .to_string()
    }
}

/// Whether Chromium and ChromeDriver are here; says why not otherwise.
pub(crate) fn installed() -> bool {
    let there = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !there {
        eprintln!(
            "skipped: {CHROMIUM} or {CHROMEDRIVER} is not installed (Debian packages chromium, chromium-driver; scripts/test installs them)"
        );
    }
    there
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn call(
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
    if !installed() {
        return;
    }
    let s = Sandbox::new("name: unused\nsteps:\n  - id: a\n    shell: echo a\n");
    let mut run = WaitingRun::start(&s);
    let id = run.id.clone();
    let served = Served::start(&s.path().join(".runbook/runs"), &[]);

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let sid = driver.session(&client, profile.path()).await;
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

/// The WebDriver id of the element `css` selects.
pub(crate) async fn element(client: &reqwest::Client, session: &str, css: &str) -> String {
    let found = call(
        client,
        reqwest::Method::POST,
        format!("{session}/element"),
        Some(json!({"using": "css selector", "value": css})),
    )
    .await;
    found["value"]["element-6066-11e4-a52e-4f735466cecf"]
        .as_str()
        .unwrap_or_else(|| panic!("`{css}` on the page: {found}"))
        .to_string()
}

/// `runbook serve --decide` in a real browser: it signs in by the address
/// the console printed (the token only in the fragment, gone from the
/// address bar at once, the session cookie out of the page's reach), opens
/// the run waiting at a gate, types a reason and clicks Approve; the run
/// goes on, journaled as the console's user, `via: web`.
#[test]
fn a_browser_signs_in_by_the_printed_address_and_clicks_approve() {
    if !installed() {
        return;
    }
    let s = Sandbox::new(
        "steps:\n  - id: restart\n    shell: echo restarted >> trail\n    approval: Restart the workers?\n",
    );
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let id = record["run_id"].as_str().unwrap().to_string();
    let (served, lines) = Served::start_as(None, &runs, &["--decide"]);
    let sign_in = lines[1]
        .split(" sign in at ")
        .nth(1)
        .expect("a sign-in address")
        .trim()
        .to_string();
    assert!(
        sign_in.starts_with(&served.url("/signin#token=")),
        "{sign_in}"
    );

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let sid = driver.session(&client, profile.path()).await;
        let session = format!("{}/session/{sid}", driver.base);
        let script = |source: &str| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/execute/sync"),
                Some(json!({"script": source, "args": []})),
            )
        };
        let open = |url: String| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/url"),
                Some(json!({ "url": url })),
            )
        };
        open(sign_in.clone()).await;
        // Signed in, the page's script moves on to the runs.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let at = script("return [location.pathname, location.hash, document.cookie]").await;
            let v = &at["value"];
            if v[0] == "/" {
                assert_eq!(v[1], "", "{at}");
                assert!(!v[2].as_str().unwrap_or("").contains("runbook_session"), "HttpOnly: {at}");
                break;
            }
            assert!(Instant::now() < deadline, "never signed in: {at}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        open(served.url(&format!("/runs/{id}"))).await;
        let reason = element(&client, &session, ".decide-web textarea[name=reason]").await;
        call(
            &client,
            reqwest::Method::POST,
            format!("{session}/element/{reason}/value"),
            Some(json!({ "text": "clicked <b>in</b> the browser" })),
        )
        .await;
        let approve = element(&client, &session, ".decide-web button[data-verdict=approve]").await;
        call(
            &client,
            reqwest::Method::POST,
            format!("{session}/element/{approve}/click"),
            Some(json!({})),
        )
        .await;
        // The run takes the decision and ends; the page's live update
        // shows it decided.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = script(
                "var d = document.getElementById('decisions'); return [document.getElementById('run').dataset.going, d ? d.innerText : '', (document.querySelector('.decide-status') || {}).textContent || '']",
            )
            .await;
            let v = &state["value"];
            if v[0] == "false" && v[1].as_str().unwrap_or("").contains("web") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed the decision: {state}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        call(&client, reqwest::Method::DELETE, session.clone(), None).await;
    });
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("trail"), "restarted\n");
    let decided = &run.events_of("gate_decided")[0];
    assert_eq!(decided["via"], "web", "{decided}");
    assert_eq!(decided["who"], "root", "{decided}");
    assert_eq!(
        decided["reason"], "clicked <b>in</b> the browser",
        "{decided}"
    );
}

/// `runbook serve --decide --token-file FILE` in a real browser: the
/// printed address holds no token; the person pastes the file's token into
/// the sign-in page's field and clicks Sign in (the page's script posts it:
/// the token is never in an address), reads the run, then clicks Sign out
/// in another tab: back at the sign-in page, and the browser reads nothing
/// more; the run's page left open in the first tab stops polling at its
/// first 401 and says "signed out: sign in again" with a link to /signin.
#[test]
fn a_browser_signs_in_with_a_pasted_token_and_signs_out() {
    if !installed() {
        return;
    }
    let s = Sandbox::new(
        "steps:\n  - id: restart\n    shell: echo restarted >> trail\n    approval: Restart the workers?\n",
    );
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let id = record["run_id"].as_str().unwrap().to_string();
    let file = s.path().join("console.token");
    let token = "pasted-".to_string() + &"t0k".repeat(12);
    std::fs::write(&file, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (served, lines) = Served::start_as(
        None,
        &runs,
        &["--decide", "--token-file", file.to_str().unwrap()],
    );
    assert!(!lines.concat().contains(&token), "{lines:?}");
    assert!(
        lines[1].contains(&served.url("/signin with the token in ")),
        "{lines:?}"
    );

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let sid = driver.session(&client, profile.path()).await;
        let session = format!("{}/session/{sid}", driver.base);
        let script = |source: &str| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/execute/sync"),
                Some(json!({"script": source, "args": []})),
            )
        };
        let open = |url: String| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/url"),
                Some(json!({ "url": url })),
            )
        };
        let click = |element: String| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/element/{element}/click"),
                Some(json!({})),
            )
        };
        let wait_for_path = |path: &'static str| {
            let script = &script;
            async move {
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    let at = script("return [location.pathname, location.href]").await;
                    if at["value"][0] == path {
                        return at;
                    }
                    assert!(Instant::now() < deadline, "never at {path}: {at}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        // Unsigned, the run's page is refused and points to the sign-in.
        open(served.url(&format!("/runs/{id}"))).await;
        let refused = script("return document.body.innerText").await;
        assert!(!refused["value"].as_str().unwrap().contains("Restart the workers"), "{refused}");

        open(served.url("/signin")).await;
        let field = element(&client, &session, "#signin-form input[name=token]").await;
        call(
            &client,
            reqwest::Method::POST,
            format!("{session}/element/{field}/value"),
            Some(json!({ "text": token })),
        )
        .await;
        click(element(&client, &session, "#signin-form button[type=submit]").await).await;
        let at = wait_for_path("/").await;
        assert!(!at["value"][1].as_str().unwrap().contains(&token), "{at}");

        open(served.url(&format!("/runs/{id}"))).await;
        let shown = script("return [document.body.innerText, location.href]").await;
        assert!(shown["value"][0].as_str().unwrap().contains("Restart the workers"), "{shown}");
        assert!(!shown["value"][1].as_str().unwrap().contains(&token), "{shown}");

        // The run's page stays open in this window; the person signs out
        // in another.
        let first = call(&client, reqwest::Method::GET, format!("{session}/window"), None).await;
        let opened = call(
            &client,
            reqwest::Method::POST,
            format!("{session}/window/new"),
            Some(json!({"type": "tab"})),
        )
        .await;
        let switch = |handle: Value| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}/window"),
                Some(json!({ "handle": handle })),
            )
        };
        switch(opened["value"]["handle"].clone()).await;
        open(served.url(&format!("/runs/{id}"))).await;
        click(element(&client, &session, "#signout button").await).await;
        wait_for_path("/signin").await;
        let after = script(
            "return fetch('/api/v1/runs', {credentials: 'same-origin'}).then(function (r) { return r.status; })",
        )
        .await;
        assert_eq!(after["value"], 401, "signed out: {after}");
        open(served.url(&format!("/runs/{id}"))).await;
        let refused = script("return document.body.innerText").await;
        assert!(!refused["value"].as_str().unwrap().contains("Restart the workers"), "{refused}");

        // The page left open: its next poll is refused (401), and it says
        // so with the way back instead of asking again every few seconds.
        switch(first["value"].clone()).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let notice = loop {
            let notice = script(
                "var n = document.getElementById('signed-out'); return n && [n.innerText, n.querySelector('a').getAttribute('href'), document.getElementById('run').dataset.going]",
            )
            .await;
            if !notice["value"].is_null() {
                break notice;
            }
            assert!(Instant::now() < deadline, "never said signed out: {notice}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(
            notice["value"],
            json!(["signed out: sign in again", "/signin", "false"]),
            "{notice}"
        );
        // No poll after that: every request the page makes from now on is
        // counted, over longer than its retry delay (3 s).
        script(
            "window.polls = 0; var real = window.fetch; window.fetch = function () { window.polls += 1; return real.apply(this, arguments); }; return true",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(4500)).await;
        let polls = script("return [window.polls, document.querySelectorAll('#signed-out').length]").await;
        assert_eq!(polls["value"], json!([0, 1]), "stopped polling: {polls}");
        click(element(&client, &session, "#signed-out a").await).await;
        wait_for_path("/signin").await;
        call(&client, reqwest::Method::DELETE, session.clone(), None).await;
    });
    let out = s
        .command(&["reject", &id, "restart", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(finish(child).code, 3);
}
