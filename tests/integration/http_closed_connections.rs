//! Requests that meet a kept-alive connection the server closed
//! (`runbook_stdlib::web::send`): a request that may be repeated goes out
//! again on a new connection; a POST does not, and says the server may or
//! may not have applied it. A server that is gone is "connection refused",
//! never "connection closed". Against a real server on loopback that
//! closes its connections on purpose (`harness::closing`).

use crate::harness::closing::{Closing, ClosingServer};
use crate::harness::{run_file, run_playbook, Ran};

fn seen(server: &ClosingServer) -> Vec<(usize, String, String)> {
    server.seen()
}

fn state(ran: &Ran, step: &str) -> String {
    ran.finished(step)["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A playbook of `http` steps, each after the one before: `(id, method,
/// path)`; the body is JSON for the methods that carry one.
fn chain(url: &str, steps: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("name: closing\nsteps:\n");
    let mut before: Option<&str> = None;
    for (id, method, path) in steps {
        text.push_str(&format!(
            "  - id: {id}\n    http:\n      url: \"{url}{path}\"\n      method: {method}\n"
        ));
        if matches!(*method, "POST" | "PUT" | "PATCH") {
            text.push_str("      json: {reason: \"$(id) ; drop table\"}\n");
        }
        if let Some(before) = before {
            text.push_str(&format!("    needs: [{before}]\n"));
        }
        before = Some(id);
    }
    text
}

fn request(connection: usize, method: &str, path: &str) -> (usize, String, String) {
    (connection, method.to_string(), path.to_string())
}

#[test]
fn an_idempotent_request_on_a_closed_connection_is_sent_again_on_a_new_one() {
    let server = ClosingServer::start(Closing::AtSecondRequest);
    let steps = [
        ("first", "GET", "/one"),
        ("read", "GET", "/two"),
        ("put", "PUT", "/three"),
        ("delete", "DELETE", "/four"),
    ];
    let ran = run_playbook("p.yaml", &chain(&server.url, &steps), &["--yes"], &[]);
    for (id, _, _) in steps {
        assert_eq!(state(&ran, id), "succeeded", "{id}: {}", ran.message(id));
    }
    // `read` went out on `first`'s kept-alive connection, which the server
    // closed having read it, then on a new one, which is not kept (so
    // `put` opens another); `delete` the same on `put`'s.
    assert_eq!(
        seen(&server),
        vec![
            request(0, "GET", "/one"),
            request(0, "GET", "/two"),
            request(1, "GET", "/two"),
            request(2, "PUT", "/three"),
            request(2, "DELETE", "/four"),
            request(3, "DELETE", "/four"),
        ]
    );
}

#[test]
fn a_post_on_a_closed_connection_is_not_sent_again_and_says_it_may_have_been_applied() {
    let server = ClosingServer::start(Closing::AtSecondRequest);
    for method in ["POST", "PATCH"] {
        let steps = [("first", "GET", "/one"), ("write", method, "/two")];
        let ran = run_playbook("p.yaml", &chain(&server.url, &steps), &["--yes"], &[]);
        assert_eq!(state(&ran, "write"), "failed");
        let said = ran.message("write");
        assert!(
            said.starts_with("the server closed the connection before it answered")
                && said.contains(&format!("({method} {}/two)", server.url))
                && said.contains("the request may or may not have been applied")
                && said.contains(&format!(
                    "it was not sent again ({method} is not idempotent)"
                )),
            "{said}"
        );
    }
    let writes: Vec<_> = seen(&server)
        .into_iter()
        .filter(|(_, method, _)| method != "GET")
        .collect();
    // Each once, on the connection the GET had opened.
    assert_eq!(
        writes,
        vec![request(0, "POST", "/two"), request(1, "PATCH", "/two")]
    );
}

#[test]
fn a_server_that_closes_every_connection_after_answering_serves_every_step() {
    let server = ClosingServer::start(Closing::AfterEachResponse);
    let steps: Vec<(String, &str, String)> = (0..6)
        .map(|i| (format!("s{i}"), "GET", format!("/{i}")))
        .collect();
    let steps: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|(id, method, path)| (id.as_str(), *method, path.as_str()))
        .collect();
    let ran = run_playbook("p.yaml", &chain(&server.url, &steps), &["--yes"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    // Whether the client saw a close before it reused the connection or
    // only after, every path was answered.
    let paths: std::collections::BTreeSet<String> =
        seen(&server).into_iter().map(|(_, _, path)| path).collect();
    assert_eq!(paths.len(), 6);
}

#[test]
fn a_server_stopped_between_two_steps_is_refused_plainly() {
    let server = ClosingServer::start(Closing::AfterEachResponse);
    let steps = [
        ("first", "GET", "/one"),
        ("stop", "GET", "/stop"),
        ("after", "GET", "/three"),
        ("remove", "DELETE", "/four"),
    ];
    // `remove` runs although `after` failed.
    let text = chain(&server.url, &steps).replace(
        "  - id: after\n",
        "  - id: after\n    on_failure: continue\n",
    );
    let ran = run_playbook("p.yaml", &text, &["--yes"], &[]);
    assert_eq!(state(&ran, "stop"), "succeeded");
    for step in ["after", "remove"] {
        assert_eq!(state(&ran, step), "failed", "{step}");
        let said = ran.message(step);
        assert!(
            said.starts_with("connection refused: nothing is listening at 127.0.0.1:")
                && !said.contains("closed"),
            "{step}: {said}"
        );
    }
}

#[test]
fn a_prometheus_query_on_a_closed_connection_is_sent_again_although_it_is_a_post() {
    let server = ClosingServer::start(Closing::AtSecondRequest);
    let text = format!(
        r#"name: queries
steps:
  - id: first
    prometheus:
      url: "{url}"
      query: up
  - id: second
    needs: [first]
    prometheus:
      url: "{url}"
      query: up
"#,
        url = server.url
    );
    let ran = run_playbook("p.yaml", &text, &["--yes"], &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let queries = seen(&server);
    assert_eq!(
        queries,
        vec![
            request(0, "POST", "/api/v1/query"),
            request(0, "POST", "/api/v1/query"),
            request(1, "POST", "/api/v1/query"),
        ]
    );
}

#[test]
fn a_put_of_a_streamed_file_on_a_closed_connection_is_not_sent_again() {
    let server = ClosingServer::start(Closing::AtSecondRequest);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backup.json"), "{\"rows\": 3}").unwrap();
    let text = format!(
        "name: upload\nsteps:\n  - id: first\n    http: \"{url}/one\"\n  - id: upload\n    needs: [first]\n    http:\n      url: \"{url}/two\"\n      method: PUT\n      body_file: backup.json\n",
        url = server.url
    );
    let file = dir.path().join("p.yaml");
    std::fs::write(&file, text).unwrap();
    let ran = run_file(&file, dir.path(), &["--yes"], &[]);
    assert_eq!(state(&ran, "upload"), "failed");
    let said = ran.message("upload");
    assert!(
        said.contains("the request may or may not have been applied")
            && said.ends_with("it was not sent again (its body was streamed from a file)"),
        "{said}"
    );
    assert_eq!(
        seen(&server),
        vec![request(0, "GET", "/one"), request(0, "PUT", "/two")]
    );
}

/// A server that resets the connection under every request: the GET is
/// sent again once on a new connection, reset again, and the step says so
/// in words, not as the HTTP client's error chain.
#[test]
fn a_connection_reset_under_a_request_is_said_in_words() {
    let server = ClosingServer::start(Closing::ResetEachRequest);
    let ran = run_playbook(
        "p.yaml",
        &chain(&server.url, &[("read", "GET", "/one")]),
        &[],
        &[],
    );
    assert_eq!(state(&ran, "read"), "failed");
    let said = ran.message("read");
    let host = server.url.trim_start_matches("http://");
    assert!(
        said.starts_with(&format!(
            "connection reset: {host} dropped the connection before it answered (GET "
        )),
        "{said}"
    );
    assert!(!said.contains("SendRequest"), "{said}");
    assert_eq!(
        seen(&server),
        vec![request(0, "GET", "/one"), request(1, "GET", "/one")]
    );
}
