//! `runbook serve`: the read-only web console, as a real process answering
//! real HTTP requests, over journals written by real runs (succeeded,
//! failed, killed with SIGKILL, with a secret input, with a called playbook
//! and a loop, and one still going). Everything a journal holds is escaped;
//! nothing is read outside the journal directory; nothing is changed.

use crate::running::{binary, Sandbox, Terminal};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `runbook serve` process, stopped when dropped.
pub struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// `http`, or `https` with `--tls-cert`.
    pub scheme: String,
}

impl Served {
    /// `runbook serve --journal-dir DIR --listen 127.0.0.1:0 ARGS`.
    pub fn start(journal_dir: &Path, args: &[&str]) -> Served {
        Served::start_as(None, journal_dir, args).0
    }

    /// The same as the user of uid and gid `user` (exec'd directly, so
    /// dropping it stops the server itself), with every line it printed at
    /// start: the address, and with `--decide` the sign-in address.
    pub fn start_as(
        user: Option<(u32, u32)>,
        journal_dir: &Path,
        args: &[&str],
    ) -> (Served, Vec<String>) {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--journal-dir"])
            .arg(journal_dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((uid, gid)) = user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        let mut child = command.spawn().expect("runbook serve starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..if args.contains(&"--decide") { 2 } else { 1 } {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            lines.push(line);
        }
        let (scheme, rest) = lines[0]
            .strip_prefix("runbook serve: listening on ")
            .and_then(|rest| rest.split_once("://"))
            .unwrap_or_else(|| panic!("an address in {lines:?}"));
        let address = rest.split('/').next().unwrap_or_default().to_string();
        let scheme = scheme.to_string();
        (
            Served {
                child,
                address,
                scheme,
            },
            lines,
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.address)
    }

    /// A raw HTTP/1.0 `METHOD PATH` (the path sent exactly as given, which
    /// an HTTP client library would normalise), with extra header lines.
    pub fn raw(&self, method: &str, path: &str, headers: &[&str]) -> Reply {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let mut request = format!("{method} {path} HTTP/1.0\r\n");
        if !headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("host:"))
        {
            request.push_str(&format!("Host: {}\r\n", self.address));
        }
        for h in headers {
            request.push_str(h);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        Reply::parse(&bytes)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.raw("GET", path, &[])
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (names lower-cased), body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Reply {
        let text = String::from_utf8(bytes.to_vec()).expect("the console answers UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// What steps print in these tests: markup that would run as script,
/// break out of an attribute, or drive a terminal.
pub const HOSTILE_STEP: &str = r#"  - id: hostile
    title: "<script>alert('title')</script>"
    shell: |
      printf '%s\n' '<script>alert(1)</script>' '"><img src=x onerror=alert(2)>' "'><svg onload=alert(3)>"
      printf '\033[2J\033]0;retitled\007ansi\n'
      printf 'bad utf8: \377\376 end\n'
"#;

fn journal_dir(s: &Sandbox) -> std::path::PathBuf {
    s.path().join(".runbook/runs")
}

/// Every byte of the journal directory, to prove nothing changed it.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = crate::support::files_under(dir, |_| true)
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn runs_are_listed_newest_first_with_status_filters_and_the_json_api() {
    let s = Sandbox::new(
        "name: ok\ninputs:\n  who: {type: string, default: \"<b>bold</b>\"}\nsteps:\n  - id: hello\n    shell: echo hello\n",
    );
    std::fs::write(
        s.path().join("bad.yaml"),
        "name: bad\nsteps:\n  - id: boom\n    shell: \"echo '<i>why</i>' >&2; exit 3\"\n",
    )
    .unwrap();
    assert_eq!(s.run(&[]).code, 0);
    let failed = s.command(&["run", "bad.yaml"]).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let dir = journal_dir(&s);
    let before = snapshot(&dir);
    let served = Served::start(&dir, &[]);

    let list = served.get("/");
    assert_eq!(list.status, 200, "{}", list.body);
    let csp = list.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(list.header("x-content-type-options"), Some("nosniff"));
    // On every answer, errors and assets included.
    for (method, path, host) in [
        ("GET", "/no/such/page", None),
        ("POST", "/", None),
        ("GET", "/static/console.js", None),
        ("GET", "/", Some("Host: attacker.example")),
    ] {
        let headers: Vec<&str> = host.into_iter().collect();
        let reply = served.raw(method, path, &headers);
        assert_eq!(
            reply.header("content-security-policy"),
            Some(csp),
            "{method} {path}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    let script = served.get("/static/console.js");
    assert_eq!(script.header("content-type"), Some("text/javascript"));
    let (ok_at, bad_at) = (
        list.body.find("p.yaml").unwrap(),
        list.body.find("bad.yaml").unwrap(),
    );
    assert!(bad_at < ok_at, "newest first:\n{}", list.body);
    assert!(list.body.contains("tester"), "started by:\n{}", list.body);

    let failed_only = served.get("/?status=failed");
    assert!(failed_only.body.contains("bad.yaml") && !failed_only.body.contains("p.yaml"));
    let hostile_filter = served.get("/?status=%3Cscript%3E");
    assert_eq!(hostile_filter.status, 200);
    assert!(
        !hostile_filter.body.contains("<script>"),
        "{}",
        hostile_filter.body
    );

    // The API, with a real HTTP client, matches `runbook runs`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let api: Value = runtime.block_on(async {
        reqwest::get(served.url("/api/runs"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(api["api_version"], 1);
    let runs = api["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{api}");
    assert_eq!(runs[0]["playbook"], "bad.yaml");
    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[1]["status"], "succeeded");
    assert_eq!(runs[1]["steps_finished"], 1);
    let listed = String::from_utf8(s.command(&["runs"]).output().unwrap().stdout).unwrap();
    for run in runs {
        let id = run["run_id"].as_str().unwrap();
        let line = listed
            .lines()
            .find(|l| l.starts_with(id))
            .expect("listed by `runs`");
        assert!(line.contains(run["status"].as_str().unwrap()), "{line}");
    }
    // The columns line up under their headings.
    let started_at = listed.lines().next().unwrap().find("STARTED").unwrap();
    for line in listed.lines().skip(1) {
        assert_eq!(
            line.find(" 20").map(|i| i + 1),
            Some(started_at),
            "{listed}"
        );
    }
    assert_eq!(
        served.get("/api/v1/runs").json(),
        api,
        "v1 is today's version"
    );
    let filtered = served.get("/api/runs?status=succeeded").json();
    assert_eq!(filtered["runs"].as_array().unwrap().len(), 1);

    // The failed run's page: its reason escaped.
    let bad_id = runs[0]["run_id"].as_str().unwrap();
    let page = served.get(&format!("/runs/{bad_id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("&lt;i&gt;why&lt;/i&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<i>why"), "{}", page.body);
    let one = served.get(&format!("/api/runs/{bad_id}")).json();
    assert_eq!(one["run"]["status"], "failed");
    assert_eq!(one["report"]["steps"][0]["step"], "boom");
    assert_eq!(one["report"]["steps"][0]["result"], "failed");
    let ok_id = runs[1]["run_id"].as_str().unwrap();
    let ok = served.get(&format!("/runs/{ok_id}"));
    assert!(ok.body.contains("&lt;b&gt;bold&lt;/b&gt;") && !ok.body.contains("<b>bold"));

    // Read-only: no route takes anything but GET, and nothing changed.
    for (method, path) in [
        ("POST", "/"),
        ("PUT", "/api/runs"),
        ("DELETE", &*format!("/runs/{ok_id}")),
    ] {
        let reply = served.raw(method, path, &["Content-Length: 0"]);
        assert!(
            reply.status == 405 || reply.status == 404,
            "{method} {path}: {}",
            reply.status
        );
    }
    assert_eq!(
        snapshot(&dir),
        before,
        "the console changed the journal directory"
    );
}

#[test]
fn hostile_output_is_escaped_on_the_page_and_exact_in_the_api() {
    let s = Sandbox::new(&format!(
        "name: hostile\nsteps:\n{HOSTILE_STEP}  - id: long\n    needs: [hostile]\n    shell: \"head -c 10000000 /dev/zero | tr '\\\\0' A; echo\"\n"
    ));
    // A cap above the line's length: the whole 10 MB line is journaled.
    let run = s.run(&["--output-cap", "16MiB"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let served = Served::start(&journal_dir(&s), &[]);
    let id = s.run_id();
    let page = served.get(&format!("/runs/{id}"));
    assert_eq!(page.status, 200);
    let body = &page.body;
    // The only tags are the console's own; the only script is its file.
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    assert!(body.contains("<script src=\"/static/console.js\" defer></script>"));
    for raw in ["<img", "<svg", "\u{1b}", "\u{7}"] {
        assert!(!body.contains(raw), "{raw:?} reached the page");
    }
    for escaped in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
        "&#39;&gt;&lt;svg onload=alert(3)&gt;",
        "\\x1b[2J",
        "bad utf8: ",
    ] {
        assert!(body.contains(escaped), "{escaped} on the page");
    }
    // The 10 MB line arrives whole (journaled in 64 KiB pieces).
    let shown = body.matches('A').count();
    assert!(
        shown >= 10_000_000,
        "{shown} of the line's 10,000,000 bytes"
    );
    // The API carries the journal's text exactly, as JSON.
    let api = served.get(&format!("/api/runs/{id}")).json();
    let lines: Vec<&str> = api["report"]["output"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(lines.contains(&"<script>alert(1)</script>"), "{lines:?}");
    assert_eq!(api["report"]["output"][0]["step"], "hostile");
    let long: String = api["report"]["output"][1]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(long, "A".repeat(10_000_000));
}

#[test]
fn a_secret_input_never_reaches_the_console() {
    const SECRET: &str = "hunter2-Sup3r-S3cret-value";
    let s = Sandbox::new(
        "name: secret\ninputs:\n  token: {type: string, secret: true}\n  region: {type: string}\nsteps:\n  - id: use\n    shell: {command: 'printf \"token=%s\\n\" \"$T\"', env: {T: \"{{inputs.token}}\"}}\n",
    );
    let run = s.run(&[
        "--input",
        &format!("token={SECRET}"),
        "--input",
        "region=eu",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let served = Served::start(&journal_dir(&s), &[]);
    let id = s.run_id();
    for path in [
        "/".to_string(),
        format!("/runs/{id}"),
        format!("/api/runs/{id}"),
        "/api/runs".into(),
    ] {
        let reply = served.get(&path);
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            !reply.body.contains(SECRET),
            "{path} shows the secret:\n{}",
            reply.body
        );
        assert!(!reply.body.contains("hunter2"), "{path}");
    }
    let page = served.get(&format!("/runs/{id}")).body;
    assert!(
        page.contains("<code>region</code> = <code>eu</code>"),
        "{page}"
    );
    assert!(
        page.contains("<code>token</code>"),
        "the secret input is listed, masked"
    );
}

#[test]
fn a_killed_run_a_called_playbook_and_a_loop_are_shown() {
    let s = Sandbox::new(
        r#"name: parent
steps:
  - id: call
    playbook: child.yaml
  - id: each
    needs: [call]
    for_each: ["alpha", "<b>beta</b>"]
    shell: "echo item {{item}}"
"#,
    );
    std::fs::write(
        s.path().join("child.yaml"),
        "name: child\nsteps:\n  - id: inner\n    shell: echo inside\n",
    )
    .unwrap();
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let called_id = s.run_id();
    std::fs::write(
        s.path().join("killed.yaml"),
        "name: killed\nsteps:\n  - id: forever\n    shell: \"echo started; sleep 600\"\n",
    )
    .unwrap();
    let mut killed = s
        .command(&["run", "killed.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = journal_dir(&s);
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed_id = loop {
        let started = std::fs::read_dir(&dir).unwrap().flatten().find_map(|e| {
            let text = std::fs::read_to_string(e.path().join("journal.jsonl")).unwrap_or_default();
            (text.contains("killed.yaml") && text.contains("\"step_started\""))
                .then(|| e.file_name().to_string_lossy().into_owned())
        });
        if let Some(id) = started {
            break id;
        }
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(50));
    };
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();

    let served = Served::start(&dir, &[]);
    let page = served.get(&format!("/runs/{called_id}")).body;
    for row in [
        "call.inner",
        "&lt;b&gt;beta&lt;/b&gt;",
        "Loop elements",
        "[1]",
    ] {
        assert!(page.contains(row), "{row} on the page:\n{page}");
    }
    let api = served.get(&format!("/api/runs/{called_id}")).json();
    let steps: Vec<&str> = api["report"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"call.inner") && steps.contains(&"each"),
        "{steps:?}"
    );
    assert_eq!(api["report"]["elements"].as_array().unwrap().len(), 2);

    let killed_page = served.get(&format!("/runs/{killed_id}")).body;
    assert!(killed_page.contains("incomplete"), "{killed_page}");
    assert!(
        killed_page.contains("<code>forever</code>"),
        "{killed_page}"
    );
    let killed_api = served.get(&format!("/api/runs/{killed_id}")).json();
    assert_eq!(killed_api["run"]["status"], "incomplete");
    assert_eq!(killed_api["report"]["complete"], false);
    s.kill_leftovers("sleep 600");
}

#[test]
fn nothing_outside_the_journal_directory_is_ever_read() {
    let s = Sandbox::new("name: ok\nsteps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(s.run(&[]).code, 0);
    let dir = journal_dir(&s);
    // A run outside the journal directory, and links to it from inside.
    let outside = tempfile::tempdir().unwrap();
    let secret_run = outside.path().join("outside-run");
    std::fs::create_dir(&secret_run).unwrap();
    let id = s.run_id();
    let marker = "OUTSIDE-MARKER-7f3a";
    let mut journal = std::fs::read_to_string(dir.join(&id).join("journal.jsonl")).unwrap();
    journal = journal.replace("p.yaml", marker);
    std::fs::write(secret_run.join("journal.jsonl"), &journal).unwrap();
    std::os::unix::fs::symlink(&secret_run, dir.join("linked-dir")).unwrap();
    std::fs::create_dir(dir.join("linked-file")).unwrap();
    std::os::unix::fs::symlink(
        secret_run.join("journal.jsonl"),
        dir.join("linked-file/journal.jsonl"),
    )
    .unwrap();
    let served = Served::start(&dir, &[]);
    let outside_name = outside.path().display().to_string();
    for path in [
        "/runs/../../etc/passwd".to_string(),
        "/runs/..%2f..%2f..%2fetc%2fpasswd".into(),
        "/runs/%2e%2e%2f%2e%2e%2fetc".into(),
        "/runs/%2e%2e".into(),
        "/runs/..".into(),
        format!(
            "/runs/%2F{}",
            outside_name.trim_start_matches('/').replace('/', "%2F")
        ),
        format!("/runs/{}", outside_name),
        "/runs/linked-dir".into(),
        "/runs/linked-file".into(),
        "/runs/linked-dir/live?known=0".into(),
        "/api/runs/linked-dir".into(),
        "/api/runs/linked-file".into(),
        "/api/runs/%2e%2e%2foutside-run".into(),
        "/api/runs/..%2F..%2Fetc".into(),
        "/api/v1/runs/%2E%2E%2Foutside-run".into(),
        "/api/v1/runs/linked-dir".into(),
        "/static/..%2f..%2fCargo.toml".into(),
        "/static/../../Cargo.toml".into(),
    ] {
        let reply = served.get(&path);
        assert!(
            (400..500).contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            !reply.body.contains(marker),
            "{path} read outside: {}",
            reply.body
        );
        assert!(!reply.body.contains("root:x:0"), "{path} read /etc/passwd");
    }
    for path in ["/", "/api/runs"] {
        let reply = served.get(path);
        assert!(!reply.body.contains(marker), "{path} lists a run outside");
        assert!(
            !reply.body.contains("linked-"),
            "{path} lists a link:\n{}",
            reply.body
        );
    }
    // `runbook report` and `runbook runs` refuse the same.
    let report = s.command(&["report", "linked-dir"]).output().unwrap();
    assert!(!report.status.success());
    assert!(!String::from_utf8_lossy(&report.stdout).contains(marker));
    let runs = s.command(&["runs"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&runs.stdout).contains(marker));
}

#[test]
fn off_loopback_a_token_is_required_and_checked() {
    let s = Sandbox::new("name: ok\nsteps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(s.run(&[]).code, 0);
    let dir = journal_dir(&s);
    let refused = Command::new(binary())
        .args(["serve", "--listen", "0.0.0.0:0", "--journal-dir"])
        .arg(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "refused to start");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("runbook::serve_unprotected") && stderr.contains("--token-file"),
        "{stderr}"
    );

    let token_file = s.path().join("token");
    std::fs::write(&token_file, "short\n").unwrap();
    let weak = Command::new(binary())
        .args(["serve", "--listen", "0.0.0.0:0", "--token-file"])
        .arg(&token_file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("runbook::bad_token_file"));

    let token = "0123456789abcdef0123456789abcdef";
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let served = Served::start(&dir, &["--token-file", token_file.to_str().unwrap()]);
    assert_eq!(served.get("/").status, 401);
    assert_eq!(served.get("/api/runs").status, 401);
    assert_eq!(
        served
            .raw(
                "GET",
                "/",
                &["Authorization: Bearer wrong-token-0123456789abcdef"]
            )
            .status,
        401
    );
    assert_eq!(
        served
            .raw("GET", "/", &[&format!("Authorization: Bearer {token}x")])
            .status,
        401
    );
    assert_eq!(
        served
            .raw("GET", "/", &[&format!("Authorization: Bearer {token}")])
            .status,
        200
    );
    let login = served.get(&format!("/api/runs?token={token}"));
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location"), Some("/api/runs"));
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let with_cookie = served.raw("GET", "/api/runs", &[&format!("Cookie: {pair}")]);
    assert_eq!(with_cookie.status, 200);
    assert_eq!(with_cookie.json()["runs"].as_array().unwrap().len(), 1);
    assert_eq!(served.get("/api/runs?token=nope").status, 401);
}

#[test]
fn on_loopback_only_loopback_host_names_are_served() {
    let s = Sandbox::new("name: ok\nsteps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(s.run(&[]).code, 0);
    let served = Served::start(&journal_dir(&s), &[]);
    // A page elsewhere whose name was rebound to 127.0.0.1 sends its own name.
    assert_eq!(
        served
            .raw("GET", "/api/runs", &["Host: attacker.example"])
            .status,
        403
    );
    assert_eq!(
        served.raw("GET", "/api/runs", &["Host: localhost"]).status,
        200
    );
}

/// A run that waits for the file `go` to exist, started in the background;
/// dropped, it is released and reaped, so a failing test leaves nothing.
pub struct WaitingRun {
    child: Child,
    go: std::path::PathBuf,
    pub id: String,
}

impl WaitingRun {
    /// Starts it and waits until its `wait` step has printed.
    pub fn start(s: &Sandbox) -> WaitingRun {
        std::fs::write(
            s.path().join("wait.yaml"),
            format!(
                "name: held\nsteps:\n{HOSTILE_STEP}  - id: wait\n    needs: [hostile]\n    shell: \"echo waiting; while [ ! -f go ]; do sleep 0.1; done; echo released\"\n  - id: last\n    needs: [wait]\n    shell: echo finished-last\n"
            ),
        )
        .unwrap();
        let child = s
            .command(&["run", "wait.yaml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut run = WaitingRun {
            child,
            go: s.path().join("go"),
            id: String::new(),
        };
        let dir = journal_dir(s);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .find_map(|e| {
                    let text =
                        std::fs::read_to_string(e.path().join("journal.jsonl")).unwrap_or_default();
                    text.contains("waiting\"")
                        .then(|| e.file_name().to_string_lossy().into_owned())
                });
            if let Some(id) = found {
                run.id = id;
                return run;
            }
            assert!(Instant::now() < deadline, "the waiting step never printed");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Lets the step end; returns whether the run succeeded.
    pub fn release(&mut self) -> bool {
        std::fs::write(&self.go, "").unwrap();
        self.child.wait().unwrap().success()
    }
}

impl Drop for WaitingRun {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.go, "");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_run_in_progress_is_followed_as_its_journal_grows() {
    let s = Sandbox::new("name: unused\nsteps:\n  - id: a\n    shell: echo a\n");
    let mut run = WaitingRun::start(&s);
    let id = run.id.clone();
    let served = Served::start(&journal_dir(&s), &[]);
    let page = served.get(&format!("/runs/{id}"));
    assert!(page.body.contains("data-going=\"true\""), "{}", page.body);
    let length: u64 = page
        .body
        .split("data-length=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(page.body.contains("<code>wait</code>") && page.body.contains("running"));
    // Unchanged journal: nothing to send.
    assert_eq!(
        served
            .get(&format!("/runs/{id}/live?known={length}"))
            .status,
        204
    );
    assert!(run.release(), "the run succeeded");
    let live = served.get(&format!("/runs/{id}/live?known={length}"));
    assert_eq!(live.status, 200);
    assert_eq!(live.header("x-run-going"), Some("0"));
    assert!(live.body.contains("finished-last"), "{}", live.body);
    assert!(!live.body.contains("<script"), "{}", live.body);

    // A torn last line (a record being written) is not an error.
    let path = journal_dir(&s).join(&id).join("journal.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"{\"seq\":999,\"time\":\"2026").unwrap();
    drop(file);
    let torn = served.get(&format!("/runs/{id}"));
    assert_eq!(torn.status, 200, "{}", torn.body);
    assert!(torn.body.contains("finished-last"));
    let api = served.get(&format!("/api/runs/{id}")).json();
    assert_eq!(api["torn"], true);
    assert_eq!(api["run"]["status"], "succeeded");
}

#[test]
fn a_damaged_journal_is_shown_as_damaged_not_rendered() {
    let s = Sandbox::new("name: ok\nsteps:\n  - id: a\n    shell: echo a\n");
    assert_eq!(s.run(&[]).code, 0);
    let id = s.run_id();
    let path = journal_dir(&s).join(&id).join("journal.jsonl");
    let mut text = std::fs::read(&path).unwrap();
    let first_newline = text.iter().position(|&b| b == b'\n').unwrap();
    text.splice(
        first_newline + 1..first_newline + 1,
        b"<script>not json\xff\n".iter().copied(),
    );
    std::fs::write(&path, text).unwrap();
    let served = Served::start(&journal_dir(&s), &[]);
    let page = served.get(&format!("/runs/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("damaged") && page.body.contains("line 2"),
        "{}",
        page.body
    );
    let api = served.get(&format!("/api/runs/{id}")).json();
    assert_eq!(api["run"]["status"], "damaged");
    assert_eq!(api["report"], Value::Null);

    // Larger than the 256 MiB every journal reader stops at (a sparse file).
    let huge = journal_dir(&s).join("huge-run");
    std::fs::create_dir(&huge).unwrap();
    let file = std::fs::File::create(huge.join("journal.jsonl")).unwrap();
    file.set_len(257 * 1024 * 1024).unwrap();
    let page = served.get("/runs/huge-run");
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("256 MiB"), "{}", page.body);
    let api = served.get("/api/runs/huge-run").json();
    assert_eq!(api["error"]["code"], "unreadable", "{api}");
}

#[test]
fn a_gate_waiting_at_the_terminal_is_shown_then_its_decision() {
    let s = Sandbox::new(
        "name: gated\ninputs:\n  pool: {type: string, default: \"<b>blue</b>\"}\nsteps:\n  - id: restart\n    shell: echo restarted\n    approval: Restart the {{inputs.pool}} pool?\n",
    );
    let mut terminal = Terminal::start(&s, "run p.yaml", &[]);
    terminal.wait_for("approve? [y/n]");

    let served = Served::start(&journal_dir(&s), &[]);
    let id = s.run_id();
    let page = served.get(&format!("/runs/{id}")).body;
    let waiting = &page[page.find("Waiting for someone").expect("a waiting section")..];
    assert!(
        waiting.contains("<code>restart</code> (gate): Restart the &lt;b&gt;blue&lt;/b&gt; pool?"),
        "{waiting}"
    );
    let api = served.get(&format!("/api/runs/{id}")).json();
    assert_eq!(api["report"]["waiting"][0]["step"], "restart", "{api}");

    // The decision, with who, how and why, replaces the waiting gate.
    terminal.type_line("y");
    terminal.wait_for("reason (optional):");
    terminal.type_line("<i>load</i> is normal");
    assert_eq!(terminal.finish(), 0, "{}", terminal.seen);
    let page = served.get(&format!("/runs/{id}")).body;
    assert!(!page.contains("Waiting for someone"), "{page}");
    let decisions = &page[page.find("Approvals and answers").expect("decisions")..];
    let row = "<td><code>restart</code></td><td>approved</td><td>tester</td><td>terminal</td><td>&lt;i&gt;load&lt;/i&gt; is normal</td>";
    assert!(decisions.contains(row), "{row} in:\n{decisions}");
}

/// The first pending record under `dir` (`RUN/gates/NONCE.pending.json`),
/// waited for: its run id, path and content.
fn wait_for_pending(dir: &Path) -> (String, std::path::PathBuf, Value) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        for run in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            for file in std::fs::read_dir(run.path().join("gates"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = file.file_name().to_string_lossy().into_owned();
                if name.ends_with(".pending.json") && !name.starts_with('.') {
                    if let Ok(record) = serde_json::from_slice::<Value>(
                        &std::fs::read(file.path()).unwrap_or_default(),
                    ) {
                        return (
                            run.file_name().to_string_lossy().into_owned(),
                            file.path(),
                            record,
                        );
                    }
                }
            }
        }
        assert!(Instant::now() < deadline, "no gate was ever pending");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A gate waiting for a remote decision is shown with its question, its
/// effect, its masked command, its context, who started it, its deadline
/// and the exact commands that decide it, all escaped; forged records
/// (another owner, a symlink, oversized, another version) are refused by
/// the runtime's reader and never shown as waiting; deciding it from a
/// terminal takes it off the page at the next live update.
#[test]
fn a_gate_waiting_for_a_remote_decision_is_shown_with_the_commands_that_decide_it() {
    let s = Sandbox::new(
        r#"name: gated
steps:
  - id: wipe
    description: "<img src=x onerror=alert(1)> and '\u001b[2J' $(touch ctx)"
    shell: "echo '<script>alert(2)</script>' \"$(touch cmd)\" `id`"
    effect: destructive
    approval: "Wipe <b>now</b>? \"quoted\" & 'single' $(touch q)"
"#,
    );
    let mut child = s
        .command(&[
            "run",
            "p.yaml",
            "--wait-for-approval",
            "--gate-timeout",
            "10m",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = journal_dir(&s);
    let (id, path, record) = wait_for_pending(&dir);
    let served = Served::start(&dir, &[]);

    // Forged records beside the real one, each a valid-looking copy with
    // its own nonce and a question the page must never show.
    let gates = path.parent().unwrap().to_path_buf();
    let forge = |n: char, version: u64| {
        let nonce: String = std::iter::repeat_n(n, 32).collect();
        let mut forged = record.clone();
        forged["nonce"] = nonce.clone().into();
        forged["version"] = version.into();
        forged["question"] = format!("FORGED-{n}").into();
        (
            gates.join(format!("{nonce}.pending.json")),
            forged.to_string(),
        )
    };
    let (other_owner, text) = forge('a', 1);
    std::fs::write(&other_owner, text).unwrap();
    std::os::unix::fs::chown(&other_owner, Some(65534), Some(65534)).unwrap();
    let (linked, text) = forge('b', 1);
    let outside = s.path().join("outside.pending.json");
    std::fs::write(&outside, text).unwrap();
    std::os::unix::fs::symlink(&outside, &linked).unwrap();
    let (oversized, text) = forge('c', 1);
    let mut big = text.into_bytes();
    big.resize(9 * 1024 * 1024, b' ');
    std::fs::write(&oversized, big).unwrap();
    let (versioned, text) = forge('d', 2);
    std::fs::write(&versioned, text).unwrap();

    let page = served.get(&format!("/runs/{id}"));
    assert_eq!(page.status, 200);
    let body = &page.body;
    let pending = &body[body
        .find("<section id=\"pending\">")
        .expect("a pending section")..];
    let pending = &pending[..pending.find("</section>").unwrap()];
    for shown in [
        "Wipe &lt;b&gt;now&lt;/b&gt;? &quot;quoted&quot; &amp; &#39;single&#39; $(touch q)",
        "echo &#39;&lt;script&gt;alert(2)&lt;/script&gt;&#39; &quot;$(touch cmd)&quot; `id`",
        "&lt;img src=x onerror=alert(1)&gt;",
        "approval, effect destructive",
        "Started by</dt><dd>root",
        "rejected if undecided at ",
    ] {
        assert!(pending.contains(shown), "{shown} in:\n{pending}");
    }
    let store = std::path::absolute(&dir).unwrap().display().to_string();
    for verb in ["approve", "reject"] {
        let command = format!("runbook {verb} {id} wipe --journal-dir {store}");
        assert!(pending.contains(&command), "{command} in:\n{pending}");
    }
    let content = &body[body.find("<div id=\"run\"").unwrap()..];
    for hostile in ["<script", "<img", "<b>", "\u{1b}"] {
        assert!(!content.contains(hostile), "{hostile:?} raw in:\n{content}");
    }
    assert!(!body.contains("FORGED"), "{body}");
    assert!(
        pending.contains("Not shown: 4 gate files that cannot be trusted"),
        "{pending}"
    );
    for why in [
        "not written by the owner",
        "symlink",
        "over the limit",
        "version 2",
    ] {
        assert!(pending.contains(why), "{why} in:\n{pending}");
    }
    for unchanged in ["ctx", "cmd", "q"] {
        assert!(!s.path().join(unchanged).exists(), "`{unchanged}` was made");
    }

    // The API: the record exactly, with the commands; the refusals.
    let api = served.get(&format!("/api/v1/runs/{id}")).json();
    let listed = &api["pending"];
    assert_eq!(listed.as_array().unwrap().len(), 1, "{api}");
    assert_eq!(listed[0]["question"], record["question"]);
    assert_eq!(listed[0]["command"], record["command"]);
    assert_eq!(listed[0]["live"], true);
    assert_eq!(listed[0]["stale"], false);
    assert_eq!(
        listed[0]["commands"][0]["command"],
        format!("runbook approve {id} wipe --journal-dir {store}")
    );
    assert_eq!(api["pending_refused"].as_array().unwrap().len(), 4, "{api}");

    // The runs list marks it, and filters on it.
    let runs = served.get("/?waiting=1").body;
    assert!(
        runs.contains(&id) && runs.contains("waiting for a decision"),
        "{runs}"
    );
    let runs = served.get("/api/runs?waiting=1").json();
    assert_eq!(runs["runs"][0]["run_id"], id.as_str());
    assert_eq!(runs["runs"][0]["waiting"], true);

    // Decided from a terminal: the live update drops it.
    let length = body
        .split("data-length=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    let token = body
        .split("data-gates=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    let live = format!("/runs/{id}/live?known={length}&gates={token}");
    assert_eq!(served.get(&live).status, 204);
    for forged in [&other_owner, &linked, &oversized, &versioned] {
        std::fs::remove_file(forged).unwrap();
    }
    let out = s
        .command(&["reject", &id, "wipe", "--reason", "<i>not now</i>"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(child.wait().unwrap().code(), Some(3));
    let update = served.get(&live);
    assert_eq!(update.status, 200);
    assert!(!update.body.contains("id=\"pending\""), "{}", update.body);
    assert!(
        update.body.contains("&lt;i&gt;not now&lt;/i&gt;"),
        "{}",
        update.body
    );
    let runs = served.get("/api/runs?waiting=1").json();
    assert_eq!(runs["runs"].as_array().unwrap().len(), 0, "{runs}");
}

/// The content of `#run` in a run page.
fn run_content(page: &str) -> &str {
    let start = page.find("<div id=\"run\"").expect("a #run");
    let inner = &page[start..];
    let inner = &inner[inner.find(">\n").unwrap() + 2..];
    &inner[..inner.rfind("</div>\n</main>").unwrap()]
}

/// Live updates parse only what was appended, yet answer exactly what a
/// fresh read shows: a journal of thousands of lines copied in pieces (up
/// to half a line, then the rest of it, then everything else), polled
/// after each piece and compared with the page read afresh.
#[test]
fn a_live_update_read_in_pieces_equals_a_fresh_read() {
    let s = Sandbox::new(
        "name: long\nsteps:\n  - id: count\n    shell: \"seq 1 5000; echo '<b>done</b>' >&2\"\n  - id: after\n    needs: [count]\n    shell: echo after\n",
    );
    assert_eq!(s.run(&[]).code, 0);
    let id = s.run_id();
    let dir = journal_dir(&s);
    let whole = std::fs::read(dir.join(&id).join("journal.jsonl")).unwrap();
    let lines = whole.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 5000, "{lines} lines");
    // Cut in the middle of a line near the middle of the journal.
    let half = whole.len() / 2;
    let line_start = whole[..half].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let line_end = half + whole[half..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let cut = (line_start + line_end) / 2;
    assert!(line_start < cut && cut < line_end);
    let copy = dir.join("copied-run");
    std::fs::create_dir(&copy).unwrap();
    let path = copy.join("journal.jsonl");
    std::fs::write(&path, &whole[..cut]).unwrap();
    let served = Served::start(&dir, &[]);
    let mut appended = cut;
    for piece in [line_end, whole.len()] {
        let fresh = served.get("/runs/copied-run");
        let live = served.get("/runs/copied-run/live?known=0");
        assert_eq!(live.status, 200, "{}", live.body);
        assert_eq!(
            live.body,
            run_content(&fresh.body),
            "after {appended} bytes"
        );
        // The first piece ends in half a line: shown as being written.
        assert_eq!(
            live.body.contains("its last line is being written"),
            appended == cut
        );
        assert_eq!(
            live.header("x-journal-length"),
            Some(appended.to_string().as_str())
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(&whole[appended..piece]).unwrap();
        appended = piece;
    }
    let fresh = served.get("/runs/copied-run");
    let live = served.get("/runs/copied-run/live?known=0");
    assert_eq!(live.body, run_content(&fresh.body));
    assert_eq!(live.header("x-run-going"), Some("0"));
    assert!(live.body.contains("&lt;b&gt;done&lt;/b&gt;") && live.body.contains("5000"));
    assert!(live.body.contains("succeeded"));
}

/// The spans of the output section of a run page (or of its live
/// fragment), as text.
fn output_spans(page: &str) -> Vec<String> {
    let Some(start) = page.find("<section id=\"output\">") else {
        return Vec::new();
    };
    let section = &page[start..];
    let section = &section[..section.find("</section>").unwrap_or(section.len())];
    section
        .split("<span class=\"")
        .skip(1)
        .filter_map(|s| {
            let text = &s[s.find('>')? + 1..];
            Some(text[..text.find("</span>")?].to_string())
        })
        .collect()
}

#[test]
fn the_live_page_joins_a_long_lines_pieces_into_one_line() {
    // A line of 64 KiB of A, then B: the A piece is journaled while the
    // line is still being written; once the rest comes (more B, then C),
    // the page shows one line, polled live with a real HTTP client.
    let s = Sandbox::new(
        "name: long\nsteps:\n  - id: long\n    shell: \"head -c 65536 /dev/zero | tr '\\\\0' A; head -c 100 /dev/zero | tr '\\\\0' B; touch half; while [ ! -f go ]; do sleep 0.1; done; head -c 65536 /dev/zero | tr '\\\\0' B; printf CCC; echo; echo after\"\n",
    );
    let mut child = s
        .command(&["run", "p.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = journal_dir(&s);
    let deadline = Instant::now() + Duration::from_secs(60);
    let journal = || {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path().join("journal.jsonl")).unwrap_or_default())
            .next()
            .unwrap_or_default()
    };
    while !(s.path().join("half").exists() && journal().contains("AAAA")) {
        assert!(Instant::now() < deadline, "the first piece never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    let id = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .into_owned();
    let served = Served::start(&dir, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let live = |known: u64| -> (u16, String) {
        runtime.block_on(async {
            let answer = client
                .get(served.url(&format!("/runs/{id}/live?known={known}")))
                .send()
                .await
                .unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        })
    };
    let (status, first) = live(0);
    assert_eq!(status, 200, "{first}");
    let spans = output_spans(&first);
    assert_eq!(spans, vec!["A".repeat(65536)], "the first piece alone");

    std::fs::write(s.path().join("go"), "").unwrap();
    assert!(child.wait().unwrap().success());
    let (status, page) = live(1);
    assert_eq!(status, 200, "{page}");
    let spans = output_spans(&page);
    let line = format!("{}{}CCC", "A".repeat(65536), "B".repeat(65536 + 100));
    assert_eq!(
        spans.len(),
        2,
        "{:?}",
        spans.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    assert!(spans[0] == line, "the pieces are not one line");
    assert_eq!(spans[1], "after");
}
