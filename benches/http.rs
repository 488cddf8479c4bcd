//! `http` throughput (issue 4): 1,000 `http` steps against a local server
//! with `--jobs 64`, next to `curl` run by `xargs -P 64` on the same URLs.
//! Not a timed test: `cargo bench --bench http` prints a Markdown table,
//! which `docs/performance.md` records. Traffic goes to 127.0.0.1 only, and
//! every loop is bounded (1,000 requests a round, 5 rounds).

use axum::routing::get;
use axum::{Json, Router};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHECKS: usize = 1000;
const JOBS: usize = 64;
const ROUNDS: usize = 5;

/// The server the checks hit, on its own runtime thread.
fn serve() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().route(
                "/health",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the command runs");
    let elapsed = started.elapsed();
    assert!(status.success(), "{command:?} failed");
    elapsed
}

fn runbook(dir: &Path) -> Duration {
    let mut c = Command::new(env!("CARGO_BIN_EXE_runbook"));
    c.current_dir(dir).args([
        "run",
        "checks.yaml",
        "--jobs",
        &JOBS.to_string(),
        "--output",
        "json",
    ]);
    timed(c)
}

fn curl(dir: &Path, url: &str) -> Duration {
    let mut c = Command::new("bash");
    c.current_dir(dir).args([
        "-c",
        &format!(
            "seq {CHECKS} | xargs -P {JOBS} -I{{}} curl -sf -o /dev/null '{url}/health?i={{}}'"
        ),
    ]);
    timed(c)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let url = serve();
    let dir = tempfile::tempdir().unwrap();
    let mut playbook = String::from("name: checks\nsteps:\n");
    for i in 0..CHECKS {
        let _ = writeln!(playbook, "  - id: h{i}\n    http: \"{url}/health?i={i}\"");
    }
    std::fs::write(dir.path().join("checks.yaml"), playbook).unwrap();
    runbook(dir.path());
    curl(dir.path(), &url);
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(runbook(dir.path()));
        floor.push(curl(dir.path(), &url));
    }
    let (ours, floor) = (median(ours), median(floor));
    let rate = |d: Duration| CHECKS as f64 / d.as_secs_f64();
    println!("| Case | wall time (median of {ROUNDS}) | checks/s |");
    println!("|---|---|---|");
    println!(
        "| `runbook run`, {CHECKS} `http` steps, `--jobs {JOBS}` | {:.0} ms | {:.0} |",
        ours.as_secs_f64() * 1000.0,
        rate(ours)
    );
    println!(
        "| `xargs -P {JOBS}` running `curl -sf` {CHECKS} times | {:.0} ms | {:.0} |",
        floor.as_secs_f64() * 1000.0,
        rate(floor)
    );
}
