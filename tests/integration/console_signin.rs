//! Signing in to and out of a deciding console (`runbook serve --decide`),
//! and what it serves to whom: a token file's token is never printed (it is
//! pasted into the sign-in page), signing out ends the session on the
//! server (a replayed cookie opens nothing), and every page and API call
//! of a deciding console needs a session or the token, loopback included.
//! Real runs waiting at real gates, real consoles, real HTTP (reqwest).

use crate::console_decide::{attribute, decisions_in, Console};
use crate::remote_approvals::{finish, gates_dir, pending_at, start, store, GATED};
use crate::running::Sandbox;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

/// Every address of a deciding console that shows something of a run.
fn reading_paths(run_id: &str) -> Vec<String> {
    vec![
        "/".into(),
        "/?waiting=1".into(),
        format!("/runs/{run_id}"),
        format!("/runs/{run_id}/live?known=0&gates="),
        "/api/runs".into(),
        "/api/v1/runs".into(),
        format!("/api/runs/{run_id}"),
        format!("/api/v1/runs/{run_id}"),
    ]
}

/// A console started with `--decide` but no token file on loopback: a
/// local user without the token reads nothing (the pages show commands,
/// gate questions and who is waiting), whatever they send; a session or
/// the bearer token reads everything; the sign-in page and the assets are
/// served to anyone who may reach it.
#[test]
fn with_decide_every_page_and_api_call_needs_a_session_or_the_token() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let console = Console::start(&runs, None, &[]);
    let token = console.token.clone();
    let wrong = format!("Bearer {}", "0".repeat(64));
    let bare = token.clone();
    let forged = format!("runbook_session={}", "0".repeat(64));
    let token_cookie = format!("runbook_console={token}");
    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("nothing", vec![]),
        ("a wrong bearer token", vec![("authorization", &wrong)]),
        ("the token without `Bearer`", vec![("authorization", &bare)]),
        ("a forged session", vec![("cookie", &forged)]),
        (
            "the read-only console's token cookie",
            vec![("cookie", &token_cookie)],
        ),
    ];
    for path in reading_paths(run_id) {
        for (what, headers) in &refused {
            let answer = console.get(&path, headers);
            assert_eq!(answer.status, 401, "{path} with {what}: {}", answer.body);
            for secret in ["Restart the workers", "echo restarted", &token] {
                assert!(
                    !answer.body.contains(secret),
                    "{path} with {what} shows {secret}"
                );
            }
            assert!(answer.body.contains("/signin"), "{path}: {}", answer.body);
        }
        // Never from an address: logs and `Referer` keep addresses.
        let joined = if path.contains('?') { '&' } else { '?' };
        let by_address = console.get(&format!("{path}{joined}token={token}"), &[]);
        assert_eq!(by_address.status, 401, "{path}?token=");
        assert!(by_address.cookie.is_none(), "{path}?token=");
    }
    // Anyone who may reach it: the sign-in page and the assets, nothing else.
    for open in ["/signin", "/static/console.js", "/static/console.css"] {
        assert_eq!(console.get(open, &[]).status, 200, "{open}");
    }
    let signin = console.get("/signin", &[]).body;
    assert!(!signin.contains(run_id), "{signin}");
    // Loopback without a token file: still only loopback host names.
    let rebound = console
        .served
        .raw("GET", "/signin", &["Host: evil.example"]);
    assert_eq!(rebound.status, 403);

    // A session reads; so does the bearer token (a script).
    let cookie = console.sign_in();
    let bearer = format!("Bearer {token}");
    for path in reading_paths(run_id) {
        for (what, headers) in [
            ("a session", vec![("cookie", cookie.as_str())]),
            ("the bearer token", vec![("authorization", bearer.as_str())]),
        ] {
            let answer = console.get(&path, &headers);
            assert!(
                answer.status == 200 || (answer.status == 204 && path.contains("/live")),
                "{path} with {what}: {} {}",
                answer.status,
                answer.body
            );
        }
    }
    let page = console
        .get(&format!("/runs/{run_id}"), &[("cookie", &cookie)])
        .body;
    assert!(page.contains("echo restarted &gt;&gt; trail"), "{page}");
    let answer = console.post(
        &console.decision(run_id, record["nonce"].as_str().unwrap()),
        &[("authorization", &bearer)],
        &json!({ "plan_hash": record["plan_hash"], "verdict": "reject" }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(finish(child).code, 3);
}

/// Sign out: a POST from the signed-in page (its CSRF token, the console's
/// own origin) ends the session on the server and clears the cookie; a
/// copy of the cookie replayed afterwards reads nothing and decides
/// nothing. A sign-out that does not prove itself ends nothing.
#[test]
fn signing_out_ends_the_session_and_a_replayed_cookie_opens_nothing() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let child = start(&s, &["--wait-for-approval", "--gate-timeout", "10m"]);
    let record = pending_at(&s, "restart");
    let run_id = record["run_id"].as_str().unwrap();
    let console = Console::start(&runs, None, &[]);
    let cookie = console.sign_in();
    let other = console.sign_in();
    let (page, csrf) = console.page(&cookie, run_id);
    assert!(
        page.contains("<form id=\"signout\" method=\"post\" action=\"/signout\""),
        "{page}"
    );
    let runs_page = console.get("/", &[("cookie", &cookie)]).body;
    assert_eq!(
        attribute(&runs_page, "data-csrf").as_deref(),
        Some(csrf.as_str()),
        "the runs page signs out too"
    );
    let origin = console.origin.as_str();
    let empty = json!({});
    // Refused, and the session lives on.
    for (what, headers) in [
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
            "another origin",
            vec![
                ("origin", "http://evil.example"),
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
            ],
        ),
        (
            "no Origin",
            vec![("cookie", &cookie), ("x-csrf-token", &csrf)],
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
    ] {
        let answer = console.post("/signout", &headers, &empty);
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        assert!(answer.cookie.is_none(), "{what}");
        assert_eq!(
            console.get("/", &[("cookie", &cookie)]).status,
            200,
            "{what}"
        );
    }
    assert_eq!(
        console.get("/signout", &[("cookie", &cookie)]).status,
        405,
        "only a POST signs out"
    );

    let session = [
        ("origin", origin),
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
    ];
    let answer = console.post("/signout", &session, &empty);
    assert_eq!(answer.status, 204, "{}", answer.body);
    let cleared = answer.cookie.expect("the cookie cleared");
    assert!(cleared.starts_with("runbook_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The same cookie replayed: nothing to read, nothing to decide.
    for path in reading_paths(run_id) {
        let answer = console.get(&path, &[("cookie", &cookie)]);
        assert_eq!(answer.status, 401, "{path}: {}", answer.body);
    }
    let decided = console.post(
        &console.decision(run_id, record["nonce"].as_str().unwrap()),
        &session,
        &json!({ "plan_hash": record["plan_hash"], "verdict": "approve" }),
    );
    assert_eq!(decided.status, 403, "{}", decided.body);
    assert!(decided.body.contains("not signed in"), "{}", decided.body);
    assert_eq!(console.post("/signout", &session, &empty).status, 403);
    assert!(decisions_in(&gates_dir(&s, &record)).is_empty());
    // Another browser's session is its own.
    assert_eq!(console.get("/", &[("cookie", &other)]).status, 200);

    let answer = console.post(
        &console.decision(run_id, record["nonce"].as_str().unwrap()),
        &[("authorization", &format!("Bearer {}", console.token))],
        &json!({ "plan_hash": record["plan_hash"], "verdict": "reject" }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(finish(child).code, 3);
    assert!(!s.path().join("trail").exists());
}

/// With `--token-file`, the printed sign-in address does not hold the
/// token (stdout may be kept in a log): it names the file, and the token
/// is pasted into the sign-in page's field, which posts it (never in an
/// address). A wrong token is refused without being echoed.
#[test]
fn a_token_files_token_is_never_printed_and_is_pasted_to_sign_in() {
    let s = Sandbox::new(GATED);
    let runs = store(&s);
    let file = s.path().join("console.token");
    let token = "Tok3n-._~+/=".to_string() + &"q".repeat(30);
    std::fs::write(&file, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // `Console::start` checks the line names the file and holds no token.
    let console = Console::start(&runs, None, &["--token-file", file.to_str().unwrap()]);
    assert_eq!(console.token, token);
    let page = console.get("/signin", &[]).body;
    assert!(
        page.contains("<form id=\"signin-form\" method=\"post\" action=\"/signin\">"),
        "a form that posts, so a token never lands in a query: {page}"
    );
    assert!(
        page.contains("<input type=\"password\" name=\"token\""),
        "{page}"
    );
    assert!(!page.contains("<script>"), "no inline script: {page}");
    let hostile = "wrong<b>'\"$(x)".to_string() + &"z".repeat(20);
    let wrong = console.post(
        "/signin",
        &[("origin", &console.origin)],
        &json!({ "token": hostile }),
    );
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(!wrong.body.contains(&hostile) && !wrong.body.contains(&token));
    // Without a script, the form's own post (urlencoded) signs in too
    // (console_forms.rs), and a wrong token is refused without echoing
    // what was typed.
    let form = |typed: &str| {
        console.send(
            reqwest::Method::POST,
            "/signin",
            &[
                ("origin", &console.origin),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(crate::console_forms::encoded(&[("token", typed)])),
        )
    };
    let wrong = form(&hostile);
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(!wrong.body.contains(&hostile) && !wrong.body.contains(&token));
    let signed_in = form(&token);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert!(!signed_in.body.contains(&token), "{}", signed_in.body);
    assert!(signed_in.cookie.is_some());
    let cookie = console.sign_in();
    assert_eq!(console.get("/", &[("cookie", &cookie)]).status, 200);
}
