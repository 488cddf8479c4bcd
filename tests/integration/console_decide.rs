//! `runbook serve --decide`: deciding from the browser, as the OS user who
//! runs the console. Real runs waiting at real gates (`--wait-for-approval`),
//! real consoles (one as a second, throwaway OS user for four-eyes, made by
//! the remote approvals' helper), real HTTP through reqwest. Every request
//! that does not prove it comes from the console's own page of a signed-in
//! browser (or carries the token) is refused and decides nothing.

use crate::console::Served;
use crate::remote_approvals::{
    approver, finish, gates_dir, pending_at, pending_files, start, store, GATED, TEAM,
};
use crate::running::Sandbox;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A deciding console and an HTTP client to it.
pub(crate) struct Console {
    pub(crate) served: Served,
    /// The token of its sign-in address.
    pub(crate) token: String,
    /// `http://127.0.0.1:PORT`, the console's own origin.
    pub(crate) origin: String,
    /// Started with `--secure-cookie`.
    secure: bool,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

/// A response: status, `Set-Cookie`, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) cookie: Option<String>,
    pub(crate) body: String,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Console {
    /// `runbook serve --decide ARGS` over `dir`, as `user` (uid, gid). With
    /// `--token-file FILE`, the token is the file's, which the printed line
    /// names instead of holding; otherwise the one-time address's.
    pub(crate) fn start(dir: &Path, user: Option<(u32, u32)>, args: &[&str]) -> Console {
        Console::start_with(dir, user, args, None)
    }

    /// The same, its client trusting the CA certificate `ca` (PEM): for a
    /// console given `--tls-cert`.
    pub(crate) fn start_with(
        dir: &Path,
        user: Option<(u32, u32)>,
        args: &[&str],
        ca: Option<&Path>,
    ) -> Console {
        let mut all = vec!["--decide"];
        all.extend_from_slice(args);
        let (served, lines) = Served::start_as(user, dir, &all);
        let who = user.map_or("root".to_string(), |(uid, _)| user_name(uid));
        let file = args
            .iter()
            .position(|a| *a == "--token-file")
            .map(|i| args[i + 1]);
        let token = match file {
            Some(file) => {
                let token = std::fs::read_to_string(file).unwrap().trim().to_string();
                assert_eq!(
                    lines[1].trim(),
                    format!(
                        "runbook serve: deciding as {who}: sign in at {}/signin with the token in {file} (paste it there)",
                        served.url("")
                    )
                );
                assert!(!lines.concat().contains(&token), "{lines:?}");
                token
            }
            None => {
                let token = lines[1]
                    .split("/signin#token=")
                    .nth(1)
                    .unwrap_or_else(|| panic!("a sign-in address in {lines:?}"))
                    .trim()
                    .to_string();
                assert_eq!(
                    lines[1].trim(),
                    format!(
                        "runbook serve: deciding as {who}: sign in at {}/signin#token={token}",
                        served.url("")
                    )
                );
                token
            }
        };
        let mut http = reqwest::Client::builder()
            // Redirects are answers to check, not to follow.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).unwrap();
            http = http
                .tls_built_in_root_certs(false)
                .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
        }
        Console {
            origin: served.url(""),
            secure: args.contains(&"--secure-cookie") || args.contains(&"--tls-cert"),
            served,
            token,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: http.build().unwrap(),
        }
    }

    pub(crate) fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Answer {
        self.runtime.block_on(async {
            let mut request = self.http.request(method, self.served.url(path));
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            let response = request.send().await.expect("the console answers");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let cookie = response
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().to_string());
            Answer {
                status,
                cookie,
                headers,
                body: response.text().await.unwrap_or_default(),
            }
        })
    }

    pub(crate) fn post(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Answer {
        self.send(reqwest::Method::POST, path, headers, Some(body.to_string()))
    }

    pub(crate) fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(reqwest::Method::GET, path, headers, None)
    }

    /// Signs in as the page's script does: the session cookie
    /// (`runbook_session=ID`).
    pub(crate) fn sign_in(&self) -> String {
        let answer = self.post(
            "/signin",
            &[("origin", &self.origin)],
            &json!({ "token": self.token }),
        );
        assert_eq!(answer.status, 204, "{}", answer.body);
        let cookie = answer.cookie.expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains(&self.token), "{cookie}");
        assert_eq!(cookie.contains("Secure"), self.secure, "{cookie}");
        cookie.split(';').next().unwrap().to_string()
    }

    /// The run page as a signed-in browser sees it, and its CSRF token.
    pub(crate) fn page(&self, cookie: &str, run_id: &str) -> (String, String) {
        let page = self
            .get(&format!("/runs/{run_id}"), &[("cookie", cookie)])
            .body;
        let csrf = attribute(&page, "data-csrf").expect("a CSRF token in the page");
        (page, csrf)
    }

    pub(crate) fn decision(&self, run_id: &str, nonce: &str) -> String {
        format!("/api/v1/runs/{run_id}/gates/{nonce}/decision")
    }
}

pub(crate) fn attribute(page: &str, name: &str) -> Option<String> {
    Some(
        page.split(&format!("{name}=\""))
            .nth(1)?
            .split('"')
            .next()?
            .to_string(),
    )
}

fn user_name(uid: u32) -> String {
    let out = Command::new("id")
        .args(["-nu", &uid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The throwaway approver's uid and the team's gid.
fn approver_ids() -> Option<(u32, u32)> {
    let user = approver()?;
    let id = |args: &[&str]| -> u32 {
        let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.trim()
            .split(':')
            .nth(if args[0] == "getent" { 2 } else { 0 })
            .unwrap()
            .parse()
            .unwrap()
    };
    Some((id(&["id", "-u", user]), id(&["getent", "group", TEAM])))
}

pub(crate) fn decisions_in(gates: &Path) -> Vec<String> {
    std::fs::read_dir(gates)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".decision"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_request_that_does_not_prove_itself_is_refused_and_decides_nothing() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let nonce = record["nonce"].as_str().unwrap();
    let hash = record["plan_hash"].as_str().unwrap();
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let (page, csrf) = console.page(&cookie, run_id);
    assert_eq!(attribute(&page, "data-nonce").as_deref(), Some(nonce));
    assert_eq!(attribute(&page, "data-plan-hash").as_deref(), Some(hash));
    assert!(page.contains("data-verdict=\"approve\""), "{page}");
    let path = console.decision(run_id, nonce);
    let approve = json!({ "plan_hash": hash, "verdict": "approve" });
    let origin = console.origin.as_str();
    let bearer = format!("Bearer {}", console.token);
    let wrong_bearer = format!("Bearer {}", "0".repeat(64));
    let look_alike = format!("{origin}.evil.example");
    // Another local user's page on another port of the same host: same
    // site, so a browser sends the SameSite=Strict cookie along.
    let other_port = "http://127.0.0.1:1";
    let session = [
        ("origin", origin),
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];

    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no cookie", vec![("origin", origin)]),
        (
            "no cookie, a CSRF token",
            vec![("origin", origin), ("x-csrf-token", &csrf)],
        ),
        (
            "a forged session",
            vec![
                ("origin", origin),
                ("cookie", "runbook_session=0123"),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "a wrong bearer token",
            vec![("authorization", &wrong_bearer)],
        ),
        (
            "no CSRF token",
            vec![("origin", origin), ("cookie", &cookie)],
        ),
        (
            "a wrong CSRF token",
            vec![
                ("origin", origin),
                ("cookie", &cookie),
                ("x-csrf-token", "0"),
            ],
        ),
        (
            "the session id as CSRF token",
            vec![
                ("origin", origin),
                ("cookie", &cookie),
                (
                    "x-csrf-token",
                    cookie.trim_start_matches("runbook_session="),
                ),
            ],
        ),
        (
            "no Origin",
            vec![("cookie", &cookie), ("x-csrf-token", &csrf)],
        ),
        (
            "another origin",
            vec![
                ("origin", "http://evil.example"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "a look-alike origin",
            vec![
                ("origin", look_alike.as_str()),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "a page on another port of this host",
            vec![
                ("origin", other_port),
                ("sec-fetch-site", "same-site"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "another port without Sec-Fetch-Site",
            vec![
                ("origin", other_port),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "the null origin",
            vec![
                ("origin", "null"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "a cross-site fetch",
            vec![
                ("origin", origin),
                ("sec-fetch-site", "cross-site"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "a cross-site fetch with the token",
            vec![("sec-fetch-site", "same-site"), ("authorization", &bearer)],
        ),
    ];
    for (what, headers) in &refused {
        let answer = console.post(&path, headers, &approve);
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        assert_eq!(answer.code(), "forbidden", "{what}");
        assert!(
            !answer.body.contains(&console.token),
            "{what}: the token echoed"
        );
    }
    // GET instead of POST, and a form post without JSON.
    assert_eq!(console.get(&path, &session).status, 405);
    let form = console.send(
        reqwest::Method::POST,
        &path,
        &session,
        Some("verdict=approve".into()),
    );
    assert_eq!(form.status, 400, "{}", form.body);
    // Signing in: the wrong token, or not from the console's own page.
    for (what, headers, token) in [
        ("a wrong token", vec![("origin", origin)], "0".repeat(64)),
        ("no Origin", vec![], console.token.clone()),
        (
            "another origin",
            vec![("origin", "http://evil.example")],
            console.token.clone(),
        ),
    ] {
        let answer = console.post("/signin", &headers, &json!({ "token": token }));
        assert_eq!(answer.status, 403, "sign-in with {what}: {}", answer.body);
        assert!(answer.cookie.is_none(), "{what}");
    }
    // A nonce or plan hash other than what waits: stale, not decided.
    for (what, nonce, hash) in [
        ("another nonce", "0".repeat(32), hash.to_string()),
        (
            "a path in the nonce",
            "..%2F..%2Fx".into(),
            hash.to_string(),
        ),
        ("a changed plan", nonce.to_string(), "f".repeat(64)),
    ] {
        let answer = console.post(
            &console.decision(run_id, &nonce),
            &session,
            &json!({ "plan_hash": hash, "verdict": "approve" }),
        );
        assert_eq!(answer.status, 409, "{what}: {}", answer.body);
        assert_eq!(answer.code(), "changed", "{what}");
    }
    // A 1 MB reason is refused whole, before anything is read past the bound.
    let huge = json!({ "plan_hash": hash, "verdict": "approve", "reason": "x".repeat(1 << 20) });
    let answer = console.post(&path, &session, &huge);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.code(), "too_large");
    // An answer does not approve a gate.
    let answer = console.post(
        &path,
        &session,
        &json!({ "plan_hash": hash, "verdict": "answer", "answer": "yes" }),
    );
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.code(), "wrong_decision");

    // Nothing was decided: the gate still waits, no decision was written.
    let gates = gates_dir(&s, &record);
    assert_eq!(pending_files(&gates).len(), 1);
    assert!(
        decisions_in(&gates).is_empty(),
        "{:?}",
        decisions_in(&gates)
    );
    assert!(!s.path().join("trail").exists());

    // The token as a bearer token (a script) decides, without a cookie.
    let answer = console.post(
        &path,
        &[("authorization", &bearer)],
        &json!({ "plan_hash": hash, "verdict": "reject", "reason": "by script" }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["decided"]["via"], "web");
    // Decided: the same request again is refused.
    let again = console.post(&path, &[("authorization", &bearer)], &approve);
    assert_eq!(again.status, 409, "{}", again.body);
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    let decided = &run.events_of("gate_decided")[0];
    assert_eq!(decided["via"], "web", "{decided}");
    assert_eq!(decided["who"], "root", "{decided}");
    assert_eq!(decided["approved"], false, "{decided}");
}

/// A run waiting with `--wait-for-approval` decided from two consoles: the
/// starter's (which may not pass the four-eyes gate) and a second OS user's.
#[test]
fn a_decision_in_the_console_is_its_users_journaled_via_web_and_four_eyes_holds() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap().to_string();
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let (page, csrf) = console.page(&cookie, &run_id);
    assert!(page.contains("deciding as <code>root</code>"), "{page}");
    // Before deciding: the exact command and the plan hash it approves.
    let panel = &page[page.find("<article class=\"pending live\"").unwrap()..];
    let panel = &panel[..panel.find("</article>").unwrap()];
    assert!(panel.contains("echo restarted &gt;&gt; trail"), "{panel}");
    assert!(
        panel.contains(&format!(
            "<code class=\"plan-hash\">{}</code>",
            record["plan_hash"].as_str().unwrap()
        )),
        "{panel}"
    );
    let session = [
        ("origin", console.origin.as_str()),
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];
    let hostile = "<script>alert(1)</script> \"double\" 'single' $(touch pwned) `id`\nsecond line\r\n\u{1b}[2J";
    let answer = console.post(
        &console.decision(&run_id, record["nonce"].as_str().unwrap()),
        &session,
        &json!({ "plan_hash": record["plan_hash"], "verdict": "approve", "reason": hostile }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let decided = answer.json();
    assert_eq!(decided["decided"]["by"], "root");
    assert_eq!(decided["decided"]["step"], "restart");
    // Whether the run said it took it within the console's 3 s.
    assert!(decided["decided"]["taken"].is_boolean(), "{decided}");

    // The four-eyes gate: the starter's console may not approve it...
    let wipe = pending_at(&s, "wipe");
    let wipe_path = console.decision(&run_id, wipe["nonce"].as_str().unwrap());
    let pass = json!({ "plan_hash": wipe["plan_hash"], "verdict": "approve" });
    let answer = console.post(&wipe_path, &session, &pass);
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(answer.code(), "four_eyes");
    assert!(decisions_in(&gates_dir(&s, &wipe)).is_empty());
    let second = approver_ids();
    match second {
        // ...a colleague's own console, as their own OS user, may.
        Some(ids) => {
            let colleague = Console::start(&runs, Some(ids), &[]);
            assert_ne!(colleague.token, console.token);
            // The starter's session means nothing to another console.
            let foreign = colleague.post(&wipe_path, &session, &pass);
            assert_eq!(foreign.status, 403, "{}", foreign.body);
            let cookie = colleague.sign_in();
            let (_, csrf) = colleague.page(&cookie, &run_id);
            let answer = colleague.post(
                &wipe_path,
                &[
                    ("origin", colleague.origin.as_str()),
                    ("cookie", &cookie),
                    ("x-csrf-token", &csrf),
                ],
                &pass,
            );
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        None => {
            let answer = console.post(
                &wipe_path,
                &session,
                &json!({ "plan_hash": wipe["plan_hash"], "verdict": "reject" }),
            );
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
    }

    let run = finish(child);
    let decided = run.events_of("gate_decided");
    assert_eq!(decided[0]["who"], "root", "{}", run.describe());
    assert_eq!(decided[0]["via"], "web");
    assert_eq!(decided[0]["reason"], hostile, "journaled exactly");
    assert_eq!(decided[1]["via"], "web");
    assert!(!s.path().join("pwned").exists());
    let report = s
        .command(&["report", &run_id, "--journal-dir", "runs"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(report.contains("root (web)"), "{report}");
    match second {
        Some(_) => {
            assert_eq!(run.code, 0, "{}", run.describe());
            assert_eq!(decided[1]["who"], crate::remote_approvals::APPROVER);
            assert_eq!(s.read("trail"), "restarted\nwiped\n");
            assert!(
                report.contains(&format!("{} (web)", crate::remote_approvals::APPROVER)),
                "{report}"
            );
        }
        None => assert_eq!(run.code, 3, "{}", run.describe()),
    }
    // The page shows the hostile reason as text.
    let page = console
        .get(&format!("/runs/{run_id}"), &[("cookie", &cookie)])
        .body;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;double&quot; &#39;single&#39;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains('\u{1b}'), "{page}");
    assert!(pending_files(&gates_dir(&s, &record)).is_empty());
}

/// `ask` and `manual` steps: the choices and a typed answer validated as
/// `runbook answer` validates them, and Done.
#[test]
fn questions_are_answered_as_runbook_answer_validates_and_manual_steps_are_done() {
    let s = Sandbox::new(
        r#"steps:
  - id: which
    ask:
      question: Which one?
      choices: [workload, "<b>platform</b>"]
  - id: count
    needs: [which]
    ask:
      question: How many?
      type: number
      min: 1
      max: 5
  - id: page
    needs: [count]
    manual: Update the status page
  - id: echo
    needs: [page]
    shell: echo {{steps.which.answer}} {{steps.count.answer}} > answers
"#,
    );
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let which = pending_at(&s, "which");
    let run_id = which["run_id"].as_str().unwrap().to_string();
    let (page, csrf) = console.page(&cookie, &run_id);
    assert!(
        page.contains("data-answer=\"2\">&lt;b&gt;platform&lt;/b&gt;</button>"),
        "{page}"
    );
    let session = [
        ("origin", console.origin.as_str()),
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];
    let answer = |record: &Value, value: &str| {
        console.post(
            &console.decision(&run_id, record["nonce"].as_str().unwrap()),
            &session,
            &json!({ "plan_hash": record["plan_hash"], "verdict": "answer", "answer": value }),
        )
    };
    for bad in ["3", "$(touch pwned)", "", "work load"] {
        let refused = answer(&which, bad);
        assert_eq!(refused.status, 422, "{bad:?}: {}", refused.body);
        assert_eq!(refused.code(), "invalid_answer");
    }
    let approve = console.post(
        &console.decision(&run_id, which["nonce"].as_str().unwrap()),
        &session,
        &json!({ "plan_hash": which["plan_hash"], "verdict": "approve" }),
    );
    assert_eq!(approve.code(), "wrong_decision", "{}", approve.body);
    assert_eq!(answer(&which, "1").status, 200);

    let count = pending_at(&s, "count");
    for bad in ["NaN", "0", "6", "inf", "1; rm -rf /"] {
        let refused = answer(&count, bad);
        assert_eq!(refused.status, 422, "{bad:?}: {}", refused.body);
    }
    assert_eq!(answer(&count, "3").status, 200);

    let page_step = pending_at(&s, "page");
    let (page, _) = console.page(&cookie, &run_id);
    assert!(
        page.contains("data-verdict=\"approve\">Done</button>"),
        "{page}"
    );
    let done = console.post(
        &console.decision(&run_id, page_step["nonce"].as_str().unwrap()),
        &session,
        &json!({ "plan_hash": page_step["plan_hash"], "verdict": "approve", "reason": "posted at 03:12" }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(s.read("answers"), "workload 3\n");
    assert!(!s.path().join("pwned").exists());
    for answered in run.events_of("answered") {
        assert_eq!(answered["via"], "web", "{answered}");
        assert_eq!(answered["who"], "root", "{answered}");
    }
}

#[test]
fn a_stale_record_shows_no_buttons_and_cannot_be_decided() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let mut child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    // SIGKILL: the record is left behind, and nobody waits for it.
    child.kill().unwrap();
    child.wait().unwrap();
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let page = console
        .get(&format!("/runs/{run_id}"), &[("cookie", &cookie)])
        .body;
    assert!(page.contains("pending stale"), "{page}");
    assert!(!page.contains("data-verdict"), "{page}");
    let answer = console.post(
        &console.decision(run_id, record["nonce"].as_str().unwrap()),
        &[("authorization", &format!("Bearer {}", console.token))],
        &json!({ "plan_hash": record["plan_hash"], "verdict": "approve" }),
    );
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale"),
        "{}",
        answer.body
    );
    assert!(decisions_in(&gates_dir(&s, &record)).is_empty());
}

#[test]
fn without_decide_the_console_stays_read_only() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let served = Served::start(&runs, &[]);
    let page = served.get(&format!("/runs/{run_id}")).body;
    assert!(page.contains("the console changes nothing"), "{page}");
    assert!(page.contains("read-only console"), "{page}");
    assert!(
        !page.contains("data-verdict") && !page.contains("data-csrf"),
        "{page}"
    );
    let path = format!(
        "/api/v1/runs/{run_id}/gates/{}/decision",
        record["nonce"].as_str().unwrap()
    );
    let origin = format!("Origin: http://{}", served.address);
    // No such routes: the answer of any unknown address, as before.
    assert_eq!(served.raw("POST", &path, &[&origin]).status, 404);
    assert_eq!(served.raw("POST", "/signin", &[&origin]).status, 404);
    assert_eq!(served.get("/signin").status, 404);
    assert!(decisions_in(&gates_dir(&s, &record)).is_empty());
    let out = s
        .command(&["reject", run_id, "restart", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(finish(child).code, 3);
}

#[test]
fn a_token_file_must_be_the_users_own_and_private() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let file = s.path().join("console.token");
    let token = "a".repeat(20) + "-._~+/=" + &"Z".repeat(20);
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let serve = |file: &Path| {
        s.command(&[
            "serve",
            "--decide",
            "--listen",
            "127.0.0.1:0",
            "--journal-dir",
            "runs",
            "--token-file",
        ])
        .arg(file)
        .output()
        .unwrap()
    };
    for mode in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = serve(&file);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{mode:o}: {err}");
        assert!(
            err.contains("runbook::bad_token_file") && err.contains(&format!("{mode:04o}")),
            "{err}"
        );
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains(&token), "{err}");
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
    let out = serve(&file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("belongs to uid 65534"), "{err}");
    std::os::unix::fs::chown(&file, Some(0), None).unwrap();

    // The user's own 0600 file: its token signs in; the printed address
    // carries it once; a random one is made otherwise, new at every start.
    let console = Console::start(&runs, None, &["--token-file", file.to_str().unwrap()]);
    assert_eq!(console.token, token);
    // The token also guards reading; a session reads, and the token is
    // never taken from an address (`?token=`), which logs keep.
    let cookie = console.sign_in();
    assert_eq!(console.get("/", &[("cookie", &cookie)]).status, 200);
    assert_eq!(console.get("/", &[]).status, 401);
    let by_address = console.get(&format!("/?token={token}"), &[]);
    assert_eq!(by_address.status, 401, "{}", by_address.body);
    assert!(by_address.cookie.is_none());
    // Behind a TLS-terminating proxy: a `Secure` cookie.
    Console::start(&runs, None, &["--secure-cookie"]).sign_in();
    let first = Console::start(&runs, None, &[]);
    let second = Console::start(&runs, None, &[]);
    assert_eq!(first.token.len(), 64);
    assert!(first.token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(first.token, second.token);
    // A session of one console is nothing to another (restarting signs out).
    let cookie = first.sign_in();
    let refused = second.post(
        "/api/v1/runs/r/gates/n/decision",
        &[
            ("origin", second.origin.as_str()),
            ("cookie", &cookie),
            ("x-csrf-token", "x"),
        ],
        &json!({ "plan_hash": "h", "verdict": "approve" }),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not signed in"), "{}", refused.body);
}
