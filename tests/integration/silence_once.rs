//! A `silence` step creates one silence even when Alertmanager's answer to
//! the creation never reaches runbook. Between runbook and the real
//! Alertmanager sits a proxy on loopback that forwards every request, but
//! for the first creation it forwards the `POST`, reads Alertmanager's
//! answer and then loses it: it drops the connection (the attempt fails,
//! `retry` runs the step again), or holds it while the test kills runbook
//! with SIGKILL (then `runbook resume` runs the interrupted step again).
//! Either way the silence Alertmanager created is found by its mark and
//! becomes the step's result; no second one is created.

use crate::harness::alertmanager::TestAlertmanager;
use crate::running::Sandbox;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the proxy does with Alertmanager's answer to the first creation.
#[derive(Clone, Copy)]
enum Lose {
    /// Closes the connection without a byte of it.
    Drop,
    /// Says so on the proxy's channel and keeps the connection open, the
    /// answer unsent, until the proxy is dropped.
    Hold,
}

/// The proxy: `url` for the playbook; how many creations reached
/// Alertmanager through it.
struct LossyProxy {
    url: String,
    posts: Arc<AtomicUsize>,
    created: mpsc::Receiver<()>,
    released: Arc<AtomicBool>,
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.released.store(true, Ordering::SeqCst);
    }
}

impl LossyProxy {
    fn start(upstream: &str, lose: Lose) -> LossyProxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let posts = Arc::new(AtomicUsize::new(0));
        let released = Arc::new(AtomicBool::new(false));
        let (tell, created) = mpsc::channel();
        let (counted, free) = (posts.clone(), released.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, posts, released, tell) = (
                    upstream.clone(),
                    counted.clone(),
                    free.clone(),
                    tell.clone(),
                );
                std::thread::spawn(move || {
                    forward(client, &upstream, lose, &posts, &released, &tell)
                });
            }
        });
        LossyProxy {
            url,
            posts,
            created,
            released,
        }
    }

    fn posts(&self) -> usize {
        self.posts.load(Ordering::SeqCst)
    }
}

/// One request of `client`, sent to `upstream` with `Connection: close`;
/// its answer is passed back, except for the first creation's.
fn forward(
    mut client: TcpStream,
    upstream: &str,
    lose: Lose,
    posts: &AtomicUsize,
    released: &AtomicBool,
    tell: &mpsc::Sender<()>,
) {
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut request = format!("{request_line}\r\nConnection: close\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    request.push_str("\r\n");
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(request.as_bytes()).unwrap();
    server.write_all(&body).unwrap();
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).unwrap();
    let creates = request_line.starts_with("POST /api/v2/silences ");
    if creates && posts.fetch_add(1, Ordering::SeqCst) == 0 {
        match lose {
            Lose::Drop => drop(client),
            Lose::Hold => {
                let _ = tell.send(());
                let deadline = Instant::now() + Duration::from_secs(120);
                while !released.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        return;
    }
    let _ = client.write_all(&answer);
}

/// The head of an HTTP request (up to its blank line) and its body (by
/// `Content-Length`).
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = client.read(&mut chunk).ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = bytes[end + 4..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn playbook(url: &str, retry: &str) -> String {
    format!(
        r#"
name: once
steps:
  - id: mute
    {retry}
    silence:
      url: "{url}"
      matchers: {{alertname: NodeDown, instance: "db-1:9100"}}
      duration: 1h
      comment: "disk swap on db-1 $(id) \"quoted\""
"#
    )
}

fn finished<'a>(records: &'a [Value], step: &str) -> &'a Value {
    records
        .iter()
        .rev()
        .find(|r| r["event"] == "step_finished" && r["step"] == step)
        .unwrap_or_else(|| panic!("no end of {step}: {records:#?}"))
}

/// Alertmanager holds exactly one silence, marked with the run and step,
/// and it is the step's result.
fn one_marked_silence(am: &TestAlertmanager, s: &Sandbox) {
    let silences = am.silences();
    assert_eq!(silences.len(), 1, "{silences:#?}");
    let silence = &silences[0];
    assert_eq!(silence["status"]["state"], "active");
    assert_eq!(
        silence["comment"],
        format!(
            "disk swap on db-1 $(id) \"quoted\" (runbook run {}, step mute)",
            s.run_id()
        )
        .as_str()
    );
    let journal = s.journal();
    let end = finished(&journal, "mute");
    assert_eq!(end["state"], "succeeded", "{end}");
    assert_eq!(end["results"]["id"], silence["id"]);
    let message = end["message"].as_str().unwrap_or_default();
    assert!(message.contains("not created again"), "{message}");
}

#[test]
fn a_retry_after_a_lost_answer_creates_no_second_silence() {
    let am = TestAlertmanager::start();
    let proxy = LossyProxy::start(&am.url, Lose::Drop);
    let s = Sandbox::new(&playbook(&proxy.url, "retry: {attempts: 3, delay: 0s}"));
    let run = s.run(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The first attempt failed for want of the answer; the second found
    // the silence instead of creating one.
    let retried: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| e["event"] == "step_retrying" && e["step"] == "mute")
        .collect();
    assert_eq!(retried.len(), 1, "{:#?}", run.events);
    assert_eq!(proxy.posts(), 1, "a second silence was asked for");
    one_marked_silence(&am, &s);
}

#[test]
fn a_resume_after_sigkill_right_after_creation_creates_no_second_silence() {
    let am = TestAlertmanager::start();
    let proxy = LossyProxy::start(&am.url, Lose::Hold);
    let s = Sandbox::new(&playbook(&proxy.url, ""));
    let mut child = s
        .command(&["run", "p.yaml", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Alertmanager has created the silence; its answer is held.
    proxy
        .created
        .recv_timeout(Duration::from_secs(60))
        .expect("the creation reached Alertmanager");
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    assert_eq!(am.silences().len(), 1);
    let killed = s.journal();
    assert!(
        killed.iter().all(|r| r["event"] != "step_finished"),
        "{killed:#?}"
    );

    let resumed = s
        .command(&["resume", &s.run_id(), "--approve", "mute"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(proxy.posts(), 1, "a second silence was asked for");
    one_marked_silence(&am, &s);
}
