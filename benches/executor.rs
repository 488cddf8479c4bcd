//! Executor benchmarks against their bash floors. Not a timed test:
//! `cargo bench --bench executor` prints a Markdown table, which
//! `docs/performance.md` records. Each case runs the `runbook` binary and the
//! bash equivalent side by side, alternating, and reports medians of wall
//! time, and of cpu time and context switches (the command's own and its
//! children's, from `wait4`), which depend less on the machine's load.
//! The nearest peer, `just`, runs the same commands as one recipe of one
//! line per step (each line its own `sh -cu`, stopping at the first
//! failure: a chain) when it is on `PATH` or named by `RUNBOOK_BENCH_JUST`;
//! Debian does not package it (`cargo install just --locked`).
//!
//! Journal writes count: every run writes its journal to a temporary
//! directory as it would in production. `RUNBOOK_BENCH_LONG=0` leaves out
//! the 20,000- and 50,000-step chains (minutes each); `RUNBOOK_BENCH_LONG=20000`
//! keeps only the chains of the sizes listed (comma-separated), and
//! `RUNBOOK_BENCH_LONG_ROUNDS=N` runs them N times each instead of twice,
//! for a ratio whose spread is smaller than its margin. A 5,000-step chain
//! also runs with every core busy (`RUNBOOK_BENCH_LOADED=0` leaves it out).

#[path = "common/just.rs"]
mod just_peer;

use just_peer::find_just;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;
/// Rounds of the 20,000- and 50,000-step chains (about a minute each),
/// unless `RUNBOOK_BENCH_LONG_ROUNDS` says otherwise.
const LONG_ROUNDS: usize = 2;

/// The long chains to run, by their number of steps, and how many rounds.
fn long_chains() -> (Vec<usize>, usize) {
    let sizes = match std::env::var("RUNBOOK_BENCH_LONG").as_deref() {
        Ok("0") => Vec::new(),
        Ok(list) if list.contains(|c: char| c.is_ascii_digit()) && list != "1" => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("RUNBOOK_BENCH_LONG: step counts, comma-separated")
            })
            .collect(),
        _ => vec![20_000, 50_000],
    };
    let rounds = std::env::var("RUNBOOK_BENCH_LONG_ROUNDS")
        .ok()
        .map(|n| n.parse().expect("RUNBOOK_BENCH_LONG_ROUNDS: a number"))
        .unwrap_or(LONG_ROUNDS);
    (sizes, rounds)
}

/// What one run cost.
#[derive(Clone, Copy, Default)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    voluntary: u64,
    involuntary: u64,
}

fn measure(command: &mut Command) -> Cost {
    let started = Instant::now();
    #[allow(clippy::zombie_processes)]
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("command runs");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 writes the status and a rusage into the pointers it is given.
    let usage = unsafe {
        libc::wait4(
            child.id() as libc::pid_t,
            &mut status,
            0,
            usage.as_mut_ptr(),
        );
        usage.assume_init()
    };
    std::mem::forget(child);
    let wall = started.elapsed();
    assert_eq!(libc::WEXITSTATUS(status), 0, "{command:?} failed");
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Cost {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        voluntary: usage.ru_nvcsw as u64,
        involuntary: usage.ru_nivcsw as u64,
    }
}

fn runbook(dir: &Path, args: &[&str]) -> Cost {
    measure(
        Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(dir)
            .args(args),
    )
}

fn bash(dir: &Path, script: &str) -> Cost {
    measure(Command::new("bash").current_dir(dir).args(["-c", script]))
}

/// A justfile of one recipe, `run`, of `n` lines: just runs each line in its
/// own `sh -cu` and stops at the first that fails, as a chain of steps does.
/// `@` keeps just from echoing each line first.
fn justfile(n: usize, line: &str) -> String {
    let mut out = String::with_capacity(n * (line.len() + 6) + 8);
    out.push_str("run:\n");
    for _ in 0..n {
        out.push_str("    @");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn just(program: &Path, dir: &Path, justfile: &str) -> Cost {
    measure(
        Command::new(program)
            .current_dir(dir)
            .args(["--justfile", justfile, "run"]),
    )
}

/// The median of each measure on its own.
fn median(costs: &[Cost]) -> Cost {
    fn mid<T: Ord + Copy>(mut v: Vec<T>) -> T {
        v.sort();
        v[v.len() / 2]
    }
    Cost {
        wall: mid(costs.iter().map(|c| c.wall).collect()),
        cpu: mid(costs.iter().map(|c| c.cpu).collect()),
        voluntary: mid(costs.iter().map(|c| c.voluntary).collect()),
        involuntary: mid(costs.iter().map(|c| c.involuntary).collect()),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct Case {
    name: String,
    budget: &'static str,
    steps: u64,
    ours: Cost,
    floor: Cost,
    /// `just` running the same commands, when it is installed.
    peer: Option<Cost>,
}

/// The peer's side of a case: the `just` binary and the justfile it runs.
type Peer<'a> = Option<(&'a Path, &'a str)>;

/// What each contender runs in a case.
struct Contenders<'a> {
    /// runbook's arguments.
    args: &'a [&'a str],
    /// The floor: bash running the same commands.
    script: &'a str,
    peer: Peer<'a>,
}

fn compare(
    name: &str,
    budget: &'static str,
    steps: u64,
    rounds: usize,
    dir: &Path,
    Contenders { args, script, peer }: Contenders,
) -> Case {
    // One warm-up of each (not for the long chains, which warm up as they
    // go), then alternate so that drift hits all alike.
    if rounds > 1 {
        runbook(dir, args);
        bash(dir, script);
        if let Some((program, file)) = peer {
            just(program, dir, file);
        }
    }
    let (mut ours, mut floor, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(runbook(dir, args));
        floor.push(bash(dir, script));
        if let Some((program, file)) = peer {
            theirs.push(just(program, dir, file));
        }
    }
    Case {
        name: name.to_string(),
        budget,
        steps,
        ours: median(&ours),
        floor: median(&floor),
        peer: peer.map(|_| median(&theirs)),
    }
}

/// A chain of `n` steps, each `sh -c true` after the one before.
fn chain(n: usize) -> String {
    let mut chain = String::from("name: chain\nsteps:\n  - id: s0\n    shell: \"true\"\n");
    for i in 1..n {
        chain.push_str(&format!(
            "  - id: s{i}\n    needs: [s{}]\n    shell: \"true\"\n",
            i - 1
        ));
    }
    chain
}

/// One step running `true` once per element of a list of `n` written out.
fn loop_of(n: usize) -> String {
    let elements: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!(
        "name: loop\nsteps:\n  - id: each\n    for_each: [{}]\n    shell: \"true\"\n",
        elements.join(", ")
    )
}

/// `for_each` over `n` elements against the same `n` steps written out as
/// a chain (a loop runs its elements in order, one at a time, by default),
/// both with the runbook binary, alternating.
fn loop_against_chain(dir: &Path, n: usize, rounds: usize) -> Case {
    std::fs::write(dir.join("loop.yaml"), loop_of(n)).unwrap();
    std::fs::write(dir.join("written.yaml"), chain(n)).unwrap();
    runbook(dir, &["run", "loop.yaml"]);
    runbook(dir, &["run", "written.yaml"]);
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(runbook(dir, &["run", "loop.yaml"]));
        floor.push(runbook(dir, &["run", "written.yaml"]));
    }
    Case {
        name: "`for_each` over 1,000 `true` elements (the same 1,000 steps written out)".into(),
        budget: "1.1x",
        steps: n as u64,
        ours: median(&ours),
        floor: median(&floor),
        peer: None,
    }
}

/// One `yes > /dev/null` per core for as long as it lives: a machine
/// whose cores are all taken, as on a shared host or a busy CI runner.
struct BusyCores(Vec<std::process::Child>);

impl BusyCores {
    fn start() -> BusyCores {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        BusyCores(
            (0..cores)
                .map(|_| {
                    Command::new("yes")
                        .stdout(Stdio::null())
                        .spawn()
                        .expect("yes runs")
                })
                .collect(),
        )
    }
}

impl Drop for BusyCores {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// 20000 -> "20,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path();
    let (long_sizes, long_rounds) = long_chains();
    let load_before = load();

    std::fs::write(path.join("chain.yaml"), chain(500)).unwrap();
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

    let just_binary = find_just();
    let peer = |file: &'static str, n: usize, line: &str| -> Peer {
        let program = just_binary.as_deref()?;
        std::fs::write(path.join(file), justfile(n, line)).unwrap();
        Some((program, file))
    };
    let mut cases = vec![
        compare(
            "startup: a one-step playbook",
            "3 ms",
            1,
            21,
            path,
            Contenders {
                args: &["run", "one.yaml"],
                // Not `sh -c true` alone, which bash would exec in its own place.
                script: "sh -c true; true",
                peer: peer("one.just", 1, "true"),
            },
        ),
        compare(
            "500 sequential `true` steps",
            "1.1x",
            500,
            ROUNDS,
            path,
            Contenders {
                args: &["run", "chain.yaml"],
                script: "for i in $(seq 500); do sh -c true; done",
                peer: peer("chain.just", 500, "true"),
            },
        ),
        compare(
            "50 independent `sleep 0.2` steps, `--jobs 50`",
            "1.2x",
            50,
            ROUNDS,
            path,
            Contenders {
                args: &["run", "fan.yaml", "--jobs", "50"],
                script: "for i in $(seq 50); do sh -c 'sleep 0.2' & done; wait",
                // just runs a recipe's lines one after another: no peer.
                peer: None,
            },
        ),
    ];
    for steps in long_sizes {
        let file = format!("chain{steps}.yaml");
        let just_file = format!("chain{steps}.just");
        std::fs::write(path.join(&file), chain(steps)).unwrap();
        let peer = just_binary.as_deref().map(|program| {
            std::fs::write(path.join(&just_file), justfile(steps, "true")).unwrap();
            (program, just_file.as_str())
        });
        cases.push(compare(
            &format!("{} sequential `true` steps", thousands(steps)),
            "1.1x",
            steps as u64,
            long_rounds,
            path,
            Contenders {
                args: &["run", &file],
                script: &format!("for i in $(seq {steps}); do sh -c true; done"),
                peer,
            },
        ));
    }
    // The same chain while every core is busy: a run's wake-ups then
    // compete for a core, and a policy that gives way to the step (as
    // `SCHED_BATCH` did) costs twice bash (docs/performance.md, "Under
    // load"). `RUNBOOK_BENCH_LOADED=0` leaves it out.
    if std::env::var("RUNBOOK_BENCH_LOADED").map_or(true, |v| v != "0") {
        let steps = 5_000;
        std::fs::write(path.join("loaded.yaml"), chain(steps)).unwrap();
        let busy = BusyCores::start();
        cases.push(compare(
            &format!(
                "5,000 sequential `true` steps, {} busy loops (one a core)",
                busy.0.len()
            ),
            "1.1x",
            steps as u64,
            5,
            path,
            Contenders {
                args: &["run", "loaded.yaml"],
                script: &format!("for i in $(seq {steps}); do sh -c true; done"),
                peer: None,
            },
        ));
    }
    println!("| Case | runbook | bash floor | wall ratio | cpu ratio | context switches per step, voluntary/forced (runbook; bash) | peer: `just` (wall, cpu ratio to bash) | budget |");
    println!("|---|---|---|---|---|---|---|---|");
    for case in &cases {
        let per_step = |n: u64| n as f64 / case.steps as f64;
        let peer = case.peer.map_or_else(
            || "-".to_string(),
            |p| {
                format!(
                    "{} ({:.2}x, {:.2}x)",
                    ms(p.wall),
                    p.wall.as_secs_f64() / case.floor.wall.as_secs_f64(),
                    p.cpu.as_secs_f64() / case.floor.cpu.as_secs_f64()
                )
            },
        );
        println!(
            "| {} | {} | {} | {:.2}x | {:.2}x | {:.1}/{:.1}; {:.1}/{:.1} | {peer} | {} |",
            case.name,
            ms(case.ours.wall),
            ms(case.floor.wall),
            case.ours.wall.as_secs_f64() / case.floor.wall.as_secs_f64(),
            case.ours.cpu.as_secs_f64() / case.floor.cpu.as_secs_f64(),
            per_step(case.ours.voluntary),
            per_step(case.ours.involuntary),
            per_step(case.floor.voluntary),
            per_step(case.floor.involuntary),
            case.budget
        );
    }
    // A loop against its steps written out: both columns are runbook.
    let looped = loop_against_chain(path, 1_000, ROUNDS);
    println!("\n| Case | loop | steps written out | wall ratio | cpu ratio | context switches per step, voluntary/forced (loop; written out) | budget |");
    println!("|---|---|---|---|---|---|---|");
    let per_step = |n: u64| n as f64 / looped.steps as f64;
    println!(
        "| {} | {} | {} | {:.2}x | {:.2}x | {:.1}/{:.1}; {:.1}/{:.1} | {} |",
        looped.name,
        ms(looped.ours.wall),
        ms(looped.floor.wall),
        looped.ours.wall.as_secs_f64() / looped.floor.wall.as_secs_f64(),
        looped.ours.cpu.as_secs_f64() / looped.floor.cpu.as_secs_f64(),
        per_step(looped.ours.voluntary),
        per_step(looped.ours.involuntary),
        per_step(looped.floor.voluntary),
        per_step(looped.floor.involuntary),
        looped.budget
    );
    println!(
        "\nmedians of alternating runs after one warm-up each (21 for startup, {ROUNDS} for the short cases, {long_rounds} without warm-up for the long chains); load average {load_before} before, {} after",
        load()
    );
}
