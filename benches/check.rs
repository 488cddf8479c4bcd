//! `runbook check` on a generated 5,000-step playbook, in both syntaxes:
//! in-process time of the pipeline, and wall time and peak memory of the
//! release binary, next to serde_yaml deserializing the same file.
//!
//! Run with `cargo bench --bench check`; the figures go to docs/performance.md.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STEPS: usize = 5_000;
const RUNS: usize = 15;

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

fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(f());
        samples.push(start.elapsed());
    }
    median(samples)
}

/// Wall time (median) and peak resident memory of `runbook check FILE`.
/// Run while this process is still small: Linux counts the memory a child
/// had before `exec` (this process's, copied at fork) in its peak.
fn binary(path: &Path) -> (Duration, u64) {
    let exe = env!("CARGO_BIN_EXE_runbook");
    let mut samples = Vec::with_capacity(RUNS);
    let mut peak_kib = 0u64;
    for _ in 0..RUNS {
        let start = Instant::now();
        #[allow(clippy::zombie_processes)]
        let child = Command::new(exe)
            .arg("check")
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runbook runs");
        // Reaped by wait4 below, which also reports the child's own peak memory.
        let (status, max_rss_kib) = wait(child.id());
        std::mem::forget(child);
        samples.push(start.elapsed());
        assert_eq!(status, 0, "runbook check {} failed", path.display());
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

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("runbook-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml_path = dir.join("generated.yaml");
    let runbook_path = dir.join("generated.runbook");
    let yaml = generate(STEPS);
    std::fs::write(&yaml_path, &yaml).unwrap();
    let converted = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["convert", "--to", "runbook"])
        .arg(&yaml_path)
        .output()
        .expect("runbook convert runs");
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let runbook_text = String::from_utf8(converted.stdout).unwrap();
    std::fs::write(&runbook_path, &runbook_text).unwrap();

    let (bin_yaml, rss_yaml) = binary(&yaml_path);
    let (bin_runbook, rss_runbook) = binary(&runbook_path);
    let _ = std::fs::remove_dir_all(&dir);

    let catalog = runbook_stdlib::builtin();
    let file = runbook_dsl::SourceFile::new("generated.yaml", yaml.clone());
    let runbook_file = runbook_dsl::SourceFile::new("generated.runbook", runbook_text.clone());
    let checked = runbook_dsl::load::check(file.clone(), catalog);
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        checked.diagnostics.first()
    );
    let serde = time(|| serde_yaml::from_str::<serde_yaml::Value>(&yaml).unwrap());
    let in_yaml = time(|| runbook_dsl::load::check(file.clone(), catalog));
    let in_runbook = time(|| runbook_dsl::load::check(runbook_file.clone(), catalog));

    println!("`runbook check` on a generated playbook of {STEPS} steps ({} KiB of YAML, {} KiB of .runbook), median of {RUNS} runs:\n", yaml.len() / 1024, runbook_text.len() / 1024);
    println!("| what | YAML | .runbook |");
    println!("| --- | --- | --- |");
    println!(
        "| pipeline in-process (parse, lower, analyze) | {} | {} |",
        ms(in_yaml),
        ms(in_runbook)
    );
    println!(
        "| `runbook check FILE`, wall time | {} | {} |",
        ms(bin_yaml),
        ms(bin_runbook)
    );
    println!(
        "| `runbook check FILE`, peak memory | {:.1} MB | {:.1} MB |",
        rss_yaml as f64 / 1024.0,
        rss_runbook as f64 / 1024.0
    );
    println!(
        "| reference: `serde_yaml::from_str::<Value>` of the same YAML | {} | - |",
        ms(serde)
    );
}
