//! A deciding console without JavaScript: signing in, deciding (approve or
//! reject with a reason) and signing out are plain HTML form posts,
//! answered `303 See Other`; a form post that does not prove it comes from
//! the console's own page of a signed-in browser (origin, session cookie,
//! the form's CSRF token) is refused and decides nothing. Real runs at real
//! gates, real consoles, real HTTP (reqwest), and a real Chromium with
//! JavaScript off.

use crate::console::Served;
use crate::console_browser::{call, element, installed, Driver};
use crate::console_decide::{attribute, decisions_in, Answer, Console};
use crate::remote_approvals::{finish, gates_dir, pending_at, start, store, GATED};
use crate::running::Sandbox;
use serde_json::json;
use std::time::{Duration, Instant};

const FORM: &str = "application/x-www-form-urlencoded";

/// Header names and values.
type Headers<'a> = Vec<(&'a str, &'a str)>;
/// A form's fields.
type Fields<'a> = &'a [(&'a str, &'a str)];

/// `field=value&…`, each value percent-encoded.
pub(crate) fn encoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    b => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A form post of `fields` with `headers`.
fn form(
    console: &Console,
    path: &str,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Answer {
    let mut all = headers.to_vec();
    all.push(("content-type", FORM));
    console.send(reqwest::Method::POST, path, &all, Some(encoded(fields)))
}

fn location(answer: &Answer) -> String {
    answer
        .headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn signing_in_deciding_and_signing_out_are_plain_forms() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let nonce = record["nonce"].as_str().unwrap();
    let console = Console::start(&runs, None, &[]);
    let origin = console.origin.clone();

    let signin = console.get("/signin", &[]).body;
    assert!(
        signin.contains("<form id=\"signin-form\" method=\"post\" action=\"/signin\">"),
        "{signin}"
    );
    let signed_in = form(
        &console,
        "/signin",
        &[("origin", &origin)],
        &[("token", &console.token)],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(location(&signed_in), "/");
    let cookie = signed_in.cookie.clone().expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let cookie = cookie.split(';').next().unwrap().to_string();
    // Same-origin pages keep their referrer (a form post its `Origin`).
    let page = console.get(&format!("/runs/{run_id}"), &[("cookie", &cookie)]);
    assert_eq!(page.headers.get("referrer-policy").unwrap(), "same-origin");
    let page = page.body;
    let action = format!("/runs/{run_id}/gates/{nonce}/decision");
    assert!(
        page.contains(&format!(
            "<form class=\"decide-web\" method=\"post\" action=\"{action}\""
        )),
        "{page}"
    );
    let csrf = attribute(&page, "data-csrf").unwrap();
    assert!(
        page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")),
        "{page}"
    );

    // Approve with a hostile reason: journaled exactly, back to the page.
    let hostile = "ok <script>alert(1)</script> & \"quotes\" 'x'\r\nline two $(id)";
    let hash = record["plan_hash"].as_str().unwrap();
    let session = [("origin", origin.as_str()), ("cookie", cookie.as_str())];
    let approved = form(
        &console,
        &action,
        &session,
        &[
            ("csrf", &csrf),
            ("plan_hash", hash),
            ("reason", hostile),
            ("verdict", "approve"),
        ],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    let decided = format!("/runs/{run_id}?decided=approve&taken=");
    assert!(
        [format!("{decided}true"), format!("{decided}false")].contains(&location(&approved)),
        "{}",
        location(&approved)
    );
    let back = console
        .get(&location(&approved), &[("cookie", &cookie)])
        .body;
    assert!(
        back.contains("Decided (approve) as <code>root</code>"),
        "{back}"
    );
    assert!(!back.contains("<script>alert"), "{back}");
    // The notice is never the address's text.
    let forged = console
        .get(
            &format!("/runs/{run_id}?decided=%3Cb%3Ehi"),
            &[("cookie", &cookie)],
        )
        .body;
    assert!(
        !forged.contains("<b>hi") && !forged.contains("id=\"decided\""),
        "{forged}"
    );
    // Again: already decided, refused as a page that links back.
    let again = form(
        &console,
        &action,
        &session,
        &[("csrf", &csrf), ("plan_hash", hash), ("verdict", "approve")],
    );
    assert!(again.status == 409, "{} {}", again.status, again.body);
    assert!(
        again.body.contains(&format!("href=\"/runs/{run_id}\"")),
        "{}",
        again.body
    );

    // Reject the second gate by form.
    let wipe = pending_at(&s, "wipe");
    let rejected = form(
        &console,
        &format!(
            "/runs/{run_id}/gates/{}/decision",
            wipe["nonce"].as_str().unwrap()
        ),
        &session,
        &[
            ("csrf", &csrf),
            ("plan_hash", wipe["plan_hash"].as_str().unwrap()),
            ("reason", ""),
            ("verdict", "reject"),
        ],
    );
    assert_eq!(rejected.status, 303, "{}", rejected.body);
    let run = finish(child);
    assert_eq!(run.code, 3, "{}", run.describe());
    let decided = run.events_of("gate_decided");
    assert_eq!(decided[0]["reason"], hostile, "{:?}", decided[0]);
    assert_eq!(decided[0]["via"], "web");
    assert_eq!(decided[1]["approved"], false, "{:?}", decided[1]);

    // Sign out by form: back to the sign-in page, the session ended.
    let out = form(&console, "/signout", &session, &[("csrf", &csrf)]);
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(location(&out), "/signin");
    assert!(out.cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(console.get("/", &[("cookie", &cookie)]).status, 401);
}

#[test]
fn form_posts_that_do_not_prove_themselves_are_refused_and_decide_nothing() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let nonce = record["nonce"].as_str().unwrap();
    let hash = record["plan_hash"].as_str().unwrap();
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let (_, csrf) = console.page(&cookie, run_id);
    let origin = console.origin.as_str();
    let action = format!("/runs/{run_id}/gates/{nonce}/decision");
    let own_page = format!("{origin}/runs/{run_id}");
    let other_page = "http://127.0.0.1:1/runs/x";
    let look_alike = format!("{origin}.evil.example");
    let fields = [
        ("csrf", csrf.as_str()),
        ("plan_hash", hash),
        ("verdict", "approve"),
    ];
    let no_csrf = [("plan_hash", hash), ("verdict", "approve")];
    let wrong_csrf = [("csrf", "0"), ("plan_hash", hash), ("verdict", "approve")];
    fn with<'a>(cookie: &'a str, extra: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
        let mut headers = vec![("cookie", cookie)];
        headers.extend(extra);
        headers
    }
    let with_cookie = |extra| with(&cookie, extra);
    let refused: Vec<(&str, Headers, Fields)> = vec![
        (
            "no CSRF field",
            with_cookie(vec![("origin", origin)]),
            &no_csrf,
        ),
        (
            "a wrong CSRF field",
            with_cookie(vec![("origin", origin)]),
            &wrong_csrf,
        ),
        ("no cookie", vec![("origin", origin)], &fields),
        (
            "`Origin: null` (no-referrer)",
            with_cookie(vec![("origin", "null")]),
            &fields,
        ),
        (
            "another origin",
            with_cookie(vec![("origin", "http://127.0.0.1:1")]),
            &fields,
        ),
        (
            "a look-alike origin",
            with_cookie(vec![("origin", &look_alike)]),
            &fields,
        ),
        ("neither Origin nor Referer", with_cookie(vec![]), &fields),
        (
            "another page's Referer",
            with_cookie(vec![("referer", other_page)]),
            &fields,
        ),
        (
            "null Origin with the own Referer",
            with_cookie(vec![("origin", "null"), ("referer", &own_page)]),
            &fields,
        ),
        (
            "another site (Sec-Fetch-Site)",
            with_cookie(vec![("origin", origin), ("sec-fetch-site", "cross-site")]),
            &fields,
        ),
    ];
    let gates = gates_dir(&s, &record);
    for (what, headers, fields) in &refused {
        let answer = form(&console, &action, headers, fields);
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        assert!(
            answer.body.contains("<h1>Refused</h1>"),
            "{what}: {}",
            answer.body
        );
        assert!(
            !answer.body.contains(&csrf),
            "{what}: the CSRF token echoed"
        );
        assert!(decisions_in(&gates).is_empty(), "{what}: decided");
    }
    // Signing in or out by form needs the console's own origin too.
    let null_signin = form(
        &console,
        "/signin",
        &[("origin", "null")],
        &[("token", &console.token)],
    );
    assert_eq!(null_signin.status, 403, "{}", null_signin.body);
    assert!(null_signin.cookie.is_none());
    assert!(!null_signin.body.contains(&console.token));
    let out = form(
        &console,
        "/signout",
        &with_cookie(vec![("origin", origin)]),
        &[],
    );
    assert_eq!(out.status, 403, "{}", out.body);
    assert_eq!(
        console.get("/", &[("cookie", &cookie)]).status,
        200,
        "still signed in"
    );
    // A reason past the bound is refused whole (413), nothing written.
    let huge = "x".repeat(1 << 20);
    let answer = form(
        &console,
        &action,
        &with_cookie(vec![("origin", origin)]),
        &[
            ("csrf", &csrf),
            ("plan_hash", hash),
            ("reason", &huge),
            ("verdict", "approve"),
        ],
    );
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(decisions_in(&gates).is_empty());
    // JSON to the form's address is not a form.
    let json = console.post(
        &action,
        &with_cookie(vec![("origin", origin), ("x-csrf-token", &csrf)]),
        &json!({ "plan_hash": hash, "verdict": "approve" }),
    );
    assert_eq!(json.status, 415, "{}", json.body);
    assert!(decisions_in(&gates).is_empty());

    // A browser that sends no `Origin` but the page's own `Referer`
    // (Referrer-Policy: same-origin) is the console's page.
    let answer = form(
        &console,
        &action,
        &with_cookie(vec![("referer", &own_page)]),
        &fields,
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    let wipe = pending_at(&s, "wipe");
    let out = s
        .command(&["reject", run_id, "wipe", "--journal-dir", "runs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?} {wipe}");
    assert_eq!(finish(child).code, 3);
}

/// A real Chromium with JavaScript off: the sign-in address's fragment
/// does nothing (no script reads it), so the person pastes the token into
/// the form; the form signs in, the run page's form approves with a typed
/// reason (Chromium sends the console's own `Origin` under its
/// `Referrer-Policy: same-origin`), and the header's form signs out.
#[test]
fn a_browser_without_javascript_signs_in_decides_and_signs_out_by_forms() {
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
    let address = lines[1]
        .split(" sign in at ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let token = address.split("#token=").nth(1).unwrap().to_string();
    let typed = "typed without <b>script</b> & \"quotes\"";

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let sid = driver.session_with(&client, profile.path(), false).await;
        let session = format!("{}/session/{sid}", driver.base);
        let post = |path: &str, body: serde_json::Value| {
            call(
                &client,
                reqwest::Method::POST,
                format!("{session}{path}"),
                Some(body),
            )
        };
        let get = |path: &str| {
            call(
                &client,
                reqwest::Method::GET,
                format!("{session}{path}"),
                None,
            )
        };
        let click = |css: &'static str| {
            let (client, session) = (&client, &session);
            async move {
                let e = element(client, session, css).await;
                call(
                    client,
                    reqwest::Method::POST,
                    format!("{session}/element/{e}/click"),
                    Some(json!({})),
                )
                .await
            }
        };
        // At one of the addresses `wanted` (`|` between them).
        let wait_for_url = |wanted: String| {
            let get = &get;
            async move {
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let at = get("/url").await;
                    if at["value"]
                        .as_str()
                        .is_some_and(|at| wanted.split('|').any(|w| w == at))
                    {
                        return;
                    }
                    assert!(Instant::now() < deadline, "never at {wanted}: {at}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        // No script runs: the token stays in the fragment, nobody signs in.
        post("/url", json!({ "url": address })).await;
        assert_eq!(get("/url").await["value"], address.as_str());
        let field = element(&client, &session, "#signin-form input[name=token]").await;
        post(&format!("/element/{field}/value"), json!({ "text": token })).await;
        click("#signin-form button[type=submit]").await;
        wait_for_url(served.url("/")).await;

        post("/url", json!({ "url": served.url(&format!("/runs/{id}")) })).await;
        let reason = element(&client, &session, ".decide-web textarea[name=reason]").await;
        post(
            &format!("/element/{reason}/value"),
            json!({ "text": typed }),
        )
        .await;
        click(".decide-web button[data-verdict=approve]").await;
        // Taken, or (on a machine so slow the run did not look within the
        // console's 3 s) written for the run to take.
        let decided = served.url(&format!("/runs/{id}?decided=approve&taken="));
        wait_for_url(format!("{decided}true|{decided}false")).await;
        let source = get("/source").await;
        let source = source["value"].as_str().unwrap();
        assert!(
            source.contains("Decided (approve) as <code>root</code>"),
            "{source}"
        );

        click("#signout button[type=submit]").await;
        wait_for_url(served.url("/signin")).await;
        post("/url", json!({ "url": served.url(&format!("/runs/{id}")) })).await;
        let source = get("/source").await;
        let source = source["value"].as_str().unwrap();
        assert!(source.contains("Sign in required"), "signed out: {source}");
        call(&client, reqwest::Method::DELETE, session.clone(), None).await;
    });
    let run = finish(child);
    assert_eq!(run.code, 0, "{}", run.describe());
    let decided = &run.events_of("gate_decided")[0];
    assert_eq!(decided["via"], "web", "{decided}");
    assert_eq!(decided["reason"], typed, "{decided}");
}
