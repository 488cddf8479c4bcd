//! `runbook check` and `runbook lint` at 2,000, 20,000 and 100,000 steps, in
//! both syntaxes: wall time and peak memory of the release binary, beside
//! the floor measured in the same run: a process that only reads the same
//! YAML into an untyped `serde_yaml::Value` (this bench binary re-run with
//! `--yaml-floor FILE`, so it pays the same process start and file read).
//! The nearest peer is `just` (`just --summary` reads, parses and resolves
//! a justfile of the same recipes, dependencies and interpolations): it runs
//! when it is on `PATH` or named by `RUNBOOK_BENCH_JUST`. Debian does not
//! package it; `cargo install just --locked` builds it from crates.io.
//!
//! With `RUNBOOK_BENCH_INSTRUCTIONS=1`, each command up to 20,000 steps is
//! also run once under `valgrind --tool=callgrind` for its instruction
//! count, which the machine's load does not change.
//!
//! `cargo bench --bench check` (sizes: `RUNBOOK_BENCH_SIZES=2000,20000`);
//! the figures go to docs/performance.md.

#[path = "common/just.rs"]
mod just_peer;

use just_peer::find_just;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A realistic playbook: shell and http steps with templates, outputs read
/// by later steps, guards, and a triage branch every 50 steps.
fn generate(steps: usize) -> String {
    let mut out = String::from(
        "name: generated\ninputs:\n  namespace:\n    type: string\n    default: alphaswarm\n  host:\n    type: string\n    default: localhost\nsteps:\n",
    );
    out.push_str("  - id: s0\n    shell: kubectl get pods -n {{inputs.namespace}}\n    effect: read\n    outputs:\n      count:\n        regex: (\\d+) pods\n        type: int\n");
    let mut i = 1;
    while i < steps {
        if i % 50 == 0 && i + 3 < steps {
            out.push_str(&format!(
                "  - id: s{i}\n    needs: [s{p}]\n    triage:\n      - when: steps.s{p}.outputs.count > 10 && inputs.namespace != \"prod\"\n        then: s{a}\n      - else: s{b}\n",
                p = i - 1,
                a = i + 1,
                b = i + 2
            ));
            out.push_str(&format!(
                "  - id: s{}\n    log: many pods in {{{{inputs.namespace}}}}\n",
                i + 1
            ));
            out.push_str(&format!("  - id: s{}\n    log: few pods\n", i + 2));
            out.push_str(&format!(
                "  - id: s{}\n    needs: [s{}, s{}]\n    shell: kubectl get pods -n {{{{inputs.namespace}}}}\n    effect: read\n    outputs:\n      count:\n        regex: (\\d+) pods\n        type: int\n",
                i + 3,
                i + 1,
                i + 2
            ));
            i += 4;
            continue;
        }
        if i % 2 == 0 {
            out.push_str(&format!(
                "  - id: s{i}\n    title: Step {i}\n    needs: [s{p}]\n    when: steps.s{p}.outputs.count >= 0\n    shell: kubectl logs -n {{{{inputs.namespace}}}} deploy/api --tail={{{{steps.s{p}.outputs.count}}}}\n    timeout: 30s\n    outputs:\n      count:\n        regex: (\\d+) lines\n        type: int\n",
                p = i - 1
            ));
        } else {
            out.push_str(&format!(
                "  - id: s{i}\n    needs: [s{p}]\n    http:\n      url: https://{{{{inputs.host}}}}/health?step={i}\n    until:\n      condition: steps.s{i}.status == 200\n      every: 2s\n      within: 1m\n    outputs:\n      count:\n        from: status\n        type: int\n",
                p = i - 1
            ));
        }
        i += 1;
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The same procedure as [`generate`] as a justfile, for `just --summary`:
/// a recipe per step, its `needs` as dependencies, the same commands and
/// interpolations (a triage becomes a recipe its two cases depend on: just
/// has no branches).
fn generate_justfile(steps: usize) -> String {
    let mut out = String::from("namespace := \"alphaswarm\"\nhost := \"localhost\"\n\n");
    out.push_str("s0:\n    kubectl get pods -n {{namespace}}\n\n");
    let mut i = 1;
    while i < steps {
        if i % 50 == 0 && i + 3 < steps {
            let p = i - 1;
            out.push_str(&format!("s{i}: s{p}\n    test \"$(kubectl get pods -n {{{{namespace}}}} | wc -l)\" -gt 10\n\n"));
            out.push_str(&format!(
                "s{}: s{i}\n    echo many pods in {{{{namespace}}}}\n\n",
                i + 1
            ));
            out.push_str(&format!("s{}: s{i}\n    echo few pods\n\n", i + 2));
            out.push_str(&format!(
                "s{}: s{} s{}\n    kubectl get pods -n {{{{namespace}}}}\n\n",
                i + 3,
                i + 1,
                i + 2
            ));
            i += 4;
            continue;
        }
        let p = i - 1;
        if i % 2 == 0 {
            out.push_str(&format!("# Step {i}\ns{i}: s{p}\n    kubectl logs -n {{{{namespace}}}} deploy/api --tail=10\n\n"));
        } else {
            out.push_str(&format!(
                "s{i}: s{p}\n    curl -fsS https://{{{{host}}}}/health?step={i}\n\n"
            ));
        }
        i += 1;
    }
    out
}

/// Fewer rounds for the big sizes: each takes seconds.
fn rounds(steps: usize) -> usize {
    match steps {
        0..=5_000 => 11,
        5_001..=20_000 => 5,
        _ => 3,
    }
}

/// Wall time (median) and peak resident memory (KiB, the largest seen) of
/// one command. Spawned while this process is small: the files are written
/// and dropped before, so nothing of ours is counted in the child's peak.
fn measure(program: &Path, args: &[&str], rounds: usize) -> (Duration, u64) {
    let mut samples = Vec::with_capacity(rounds);
    let mut peak_kib = 0u64;
    for _ in 0..rounds {
        let start = Instant::now();
        #[allow(clippy::zombie_processes)]
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("command runs");
        // Reaped by wait4 below, which also reports the child's own peak memory.
        let (_, max_rss_kib) = wait(child.id());
        std::mem::forget(child);
        samples.push(start.elapsed());
        peak_kib = peak_kib.max(max_rss_kib);
    }
    (median(samples), peak_kib)
}

/// Waits for one child; its exit status and its own peak RSS (Linux reports KiB).
fn wait(pid: u32) -> (i32, u64) {
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 writes the status and a rusage into the pointers it is given.
    let usage = unsafe {
        libc::wait4(pid as libc::pid_t, &mut status, 0, usage.as_mut_ptr());
        usage.assume_init()
    };
    (libc::WEXITSTATUS(status), usage.ru_maxrss.max(0) as u64)
}

/// Instructions executed by one command, counted by callgrind (None when
/// valgrind is missing).
fn instructions(program: &Path, args: &[&str]) -> Option<u64> {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stderr);
    let line = text.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

/// One measured command.
struct Figure {
    time: Duration,
    peak_kib: u64,
    instructions: Option<u64>,
}

fn figure(program: &Path, args: &[&str], steps: usize, count: bool) -> Figure {
    let (time, peak_kib) = measure(program, args, rounds(steps));
    let instructions = (count && steps <= 20_000)
        .then(|| instructions(program, args))
        .flatten();
    Figure {
        time,
        peak_kib,
        instructions,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn show(f: &Figure, floor: &Figure) -> String {
    let ratio = f.time.as_secs_f64() / floor.time.as_secs_f64();
    let mut cell = format!(
        "{} ({ratio:.2}x), {:.1} MiB",
        ms(f.time),
        f.peak_kib as f64 / 1024.0
    );
    if let (Some(ours), Some(theirs)) = (f.instructions, floor.instructions) {
        cell.push_str(&format!(
            ", {:.0} M instr ({:.2}x)",
            ours as f64 / 1e6,
            ours as f64 / theirs as f64
        ));
    }
    cell
}

/// The floor: read the file and parse it into an untyped value, nothing else.
fn yaml_floor(path: &str) -> ! {
    let text = std::fs::read_to_string(path).expect("floor reads its file");
    let value: serde_yaml::Value = serde_yaml::from_str(&text).expect("floor parses");
    std::hint::black_box(&value);
    // Like `runbook check`, exit without freeing the value piece by piece.
    std::process::exit(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--yaml-floor") {
        yaml_floor(&args[at + 1]);
    }
    let sizes: Vec<usize> = std::env::var("RUNBOOK_BENCH_SIZES")
        .unwrap_or_else(|_| "2000,20000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let count = std::env::var_os("RUNBOOK_BENCH_INSTRUCTIONS").is_some();
    let exe = Path::new(env!("CARGO_BIN_EXE_runbook"));
    let me = std::env::current_exe().expect("own path");
    let dir = tempfile::tempdir().expect("temp dir");

    let just = find_just();
    println!("| steps | YAML floor (parse to `Value`) | check YAML | check .runbook | lint YAML, JSON | lint YAML, human | lint .runbook, human | peer: `just --summary` |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut checks = Vec::new();
    for &steps in &sizes {
        let yaml_path = dir.path().join(format!("g{steps}.yaml"));
        let runbook_path = dir.path().join(format!("g{steps}.runbook"));
        {
            std::fs::write(&yaml_path, generate(steps)).unwrap();
            let converted = Command::new(exe)
                .args(["convert", "--to", "runbook"])
                .arg(&yaml_path)
                .output()
                .expect("runbook convert runs");
            assert!(
                converted.status.success(),
                "{}",
                String::from_utf8_lossy(&converted.stderr)
            );
            std::fs::write(&runbook_path, converted.stdout).unwrap();
        }
        let justfile_path = dir.path().join(format!("g{steps}.just"));
        std::fs::write(&justfile_path, generate_justfile(steps)).unwrap();
        let (yaml, runbook) = (yaml_path.to_str().unwrap(), runbook_path.to_str().unwrap());
        let floor = figure(&me, &["--yaml-floor", yaml], steps, count);
        let check_yaml = figure(exe, &["check", yaml], steps, count);
        let check_runbook = figure(exe, &["check", runbook], steps, count);
        let lint_json = figure(exe, &["lint", "--format", "json", yaml], steps, count);
        let lint_human = figure(exe, &["lint", yaml], steps, count);
        let lint_runbook = figure(exe, &["lint", runbook], steps, count);
        let justfile = justfile_path.to_str().unwrap();
        // The peer may fail where we do not (just resolves dependencies
        // recursively and overflows its stack on a chain 20,000 deep): its
        // cell then says how it failed.
        let peer = just.as_deref().map(|just| {
            let args = ["--justfile", justfile, "--summary"];
            let tried = Command::new(just).args(args).output().expect("just runs");
            if tried.status.success() {
                Ok(figure(just, &args, steps, count))
            } else {
                let said = String::from_utf8_lossy(&tried.stderr);
                let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                Err(format!("fails ({}): {}", tried.status, first.trim()))
            }
        });
        println!(
            "| {steps} | {}, {:.1} MiB{} | {} | {} | {} | {} | {} | {} |",
            ms(floor.time),
            floor.peak_kib as f64 / 1024.0,
            floor
                .instructions
                .map(|i| format!(", {:.0} M instr", i as f64 / 1e6))
                .unwrap_or_default(),
            show(&check_yaml, &floor),
            show(&check_runbook, &floor),
            show(&lint_json, &floor),
            show(&lint_human, &floor),
            show(&lint_runbook, &floor),
            match &peer {
                None => "not installed".to_string(),
                Some(Ok(p)) => show(p, &floor),
                Some(Err(failed)) => failed.clone(),
            },
        );
        checks.push((steps, floor, check_yaml, check_runbook, lint_human, peer));
    }
    println!("\nratios are to the floor of the same size; medians of {}/{}/{} runs (up to 5k/20k/more steps)", rounds(0), rounds(20_000), rounds(100_000));
    // Growth: time(b)/time(a) = (b/a)^k; k = 1 is linear.
    if let (Some(first), Some(last)) = (checks.first(), checks.last()) {
        if last.0 > first.0 {
            let k = |a: Duration, b: Duration| {
                (b.as_secs_f64() / a.as_secs_f64()).ln() / (last.0 as f64 / first.0 as f64).ln()
            };
            let peer = match (&first.5, &last.5) {
                (Some(Ok(a)), Some(Ok(b))) => format!(", just {:.2}", k(a.time, b.time)),
                (Some(_), Some(_)) => ", just failed at one size".to_string(),
                _ => String::new(),
            };
            println!(
                "growth exponent {} -> {} steps: floor {:.2}, check YAML {:.2}, check .runbook {:.2}, lint human {:.2}{peer}",
                first.0,
                last.0,
                k(first.1.time, last.1.time),
                k(first.2.time, last.2.time),
                k(first.3.time, last.3.time),
                k(first.4.time, last.4.time),
            );
        }
    }
}
