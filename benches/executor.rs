//! Executor benchmarks against their bash floors (issue 3). Not a timed
//! test: `cargo bench --bench executor` prints a Markdown table, which
//! `docs/performance.md` records. Each case runs the `runbook` binary and the
//! bash equivalent side by side, alternating, and reports medians.
//!
//! Journal writes count: every run writes its journal to a temporary
//! directory as it would in production.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;

fn runbook(dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runbook runs");
    let elapsed = started.elapsed();
    assert!(status.success(), "runbook {args:?} failed");
    elapsed
}

fn bash(dir: &Path, script: &str) -> Duration {
    let started = Instant::now();
    let status = Command::new("bash")
        .current_dir(dir)
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("bash runs");
    let elapsed = started.elapsed();
    assert!(status.success());
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct Case {
    name: &'static str,
    budget: &'static str,
    ours: Duration,
    floor: Duration,
}

fn compare(
    name: &'static str,
    budget: &'static str,
    dir: &Path,
    args: &[&str],
    script: &str,
) -> Case {
    // One warm-up of each, then alternate so that drift hits both alike.
    runbook(dir, args);
    bash(dir, script);
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(runbook(dir, args));
        floor.push(bash(dir, script));
    }
    Case {
        name,
        budget,
        ours: median(ours),
        floor: median(floor),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path();

    let mut chain = String::from("name: chain\nsteps:\n  - id: s0\n    shell: \"true\"\n");
    for i in 1..500 {
        chain.push_str(&format!(
            "  - id: s{i}\n    needs: [s{}]\n    shell: \"true\"\n",
            i - 1
        ));
    }
    std::fs::write(path.join("chain.yaml"), chain).unwrap();

    let mut fan = String::from("name: fan\nsteps:\n");
    for i in 0..50 {
        fan.push_str(&format!("  - id: s{i}\n    shell: sleep 0.2\n"));
    }
    std::fs::write(path.join("fan.yaml"), fan).unwrap();

    std::fs::write(
        path.join("one.yaml"),
        "name: one\nsteps:\n  - id: s\n    shell: \"true\"\n",
    )
    .unwrap();

    let cases = [
        compare(
            "500 sequential `true` steps",
            "1.5x",
            path,
            &["run", "chain.yaml"],
            "for i in $(seq 500); do sh -c true; done",
        ),
        compare(
            "50 independent `sleep 0.2` steps, `--jobs 50`",
            "1.2x",
            path,
            &["run", "fan.yaml", "--jobs", "50"],
            "for i in $(seq 50); do sh -c 'sleep 0.2' & done; wait",
        ),
        compare(
            "startup: a one-step playbook",
            "under 10 ms",
            path,
            &["run", "one.yaml"],
            "sh -c true",
        ),
    ];
    println!("| Case | runbook | bash floor | ratio | budget |");
    println!("|---|---|---|---|---|");
    for case in &cases {
        println!(
            "| {} | {} | {} | {:.2}x | {} |",
            case.name,
            ms(case.ours),
            ms(case.floor),
            case.ours.as_secs_f64() / case.floor.as_secs_f64(),
            case.budget
        );
    }
    println!("\nmedians of {ROUNDS} alternating runs, after one warm-up each");
}
