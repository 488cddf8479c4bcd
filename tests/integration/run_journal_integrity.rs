//! The journal is never silently wrong: one live process per run (the run
//! lock), run ids that cannot be paths, a torn last line cut off and that
//! repair journaled, damaged lines refused with their number, a failed
//! journal write (a real full filesystem) reported in the exit code.
//! Journals are written byte for byte where a test needs them damaged.

use crate::running::{Run, Sandbox};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `s2` fails until the file `fixed` exists; `s3` reads `s1`'s output.
const FIXABLE: &str = r#"
name: fixable
steps:
  - id: s1
    shell: printf 'hello\nworld\n'
  - id: s2
    needs: [s1]
    shell: test -f fixed
  - id: s3
    needs: [s2]
    shell: printf '%s' {{steps.s1.stdout}} > got
"#;

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run of [`FIXABLE`] that failed at `s2`, and its journal's path.
fn failed_run() -> (Sandbox, String, PathBuf) {
    let s = Sandbox::new(FIXABLE);
    let run = s.run(&[]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let run_id = s.run_id();
    let path = s
        .path()
        .join(".runbook/runs")
        .join(&run_id)
        .join("journal.jsonl");
    (s, run_id, path)
}

fn output(s: &Sandbox, args: &[&str]) -> Run {
    Run::from(s.command(args).output().unwrap())
}

#[test]
fn a_second_process_on_a_running_run_is_refused_naming_the_live_one() {
    let s = Sandbox::new(
        "name: slow\ninputs:\n  pw: {type: string, secret: true}\nsteps:\n  - id: wait\n    shell: touch started; while [ ! -f stop ]; do sleep 0.05; done\n",
    );
    // A secret given on the command line (with its warning) must not be
    // quoted back by the refusal, which another user reads.
    let secret = "p@ss'\"$(id) #x";
    let mut first = s
        .command(&[
            "run",
            "p.yaml",
            "--output",
            "json",
            "--input",
            &format!("pw={secret}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the step to start", || s.path().join("started").exists());
    let run_id = s.run_id();
    let before = std::fs::read(
        s.path()
            .join(".runbook/runs")
            .join(&run_id)
            .join("journal.jsonl"),
    )
    .unwrap();
    let second = output(&s, &["resume", &run_id, "--yes", "--approve", "wait"]);
    assert_eq!(second.code, 2, "{}", second.describe());
    assert!(
        second.stderr.contains("runbook::run_locked"),
        "{}",
        second.stderr
    );
    assert!(
        second
            .stderr
            .contains(&format!("being worked on by process {}", first.id())),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("--input pw=…"), "{}", second.stderr);
    assert!(!second.stderr.contains("p@ss"), "{}", second.stderr);
    let after = std::fs::read(
        s.path()
            .join(".runbook/runs")
            .join(&run_id)
            .join("journal.jsonl"),
    )
    .unwrap();
    assert_eq!(before, after, "the refused resume wrote to the journal");
    std::fs::write(s.path().join("stop"), "").unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(0));
    // Once the first process is gone, the lock is free again.
    let again = output(&s, &["resume", &run_id]);
    assert_eq!(again.code, 0, "{}", again.describe());
    assert!(
        again.stderr.contains("already succeeded"),
        "{}",
        again.stderr
    );
}

#[test]
fn run_ids_that_are_paths_are_refused_by_report_and_resume() {
    let s = Sandbox::new(FIXABLE);
    // A journal outside the journal directory, which must never be read.
    let outside = s.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("journal.jsonl"),
        r#"{"seq":0,"time":"2026-11-25T18:43:47.205Z","event":"run_started","run_id":"outside","playbook":"p.yaml","name":null,"plan_hash":"x","mode":"run","inputs":{},"user":"SECRET-OUTSIDE","workdir":"."}"#.to_string() + "\n",
    )
    .unwrap();
    for bad in [
        "../../outside",
        "../outside",
        "/etc",
        "a/b",
        "..",
        "",
        "$(touch pwned)",
        "`id`",
        "x\ny",
    ] {
        for command in ["report", "resume"] {
            let out = output(&s, &[command, bad]);
            assert_eq!(out.code, 2, "{command} {bad:?}: {}", out.describe());
            assert!(
                out.stderr.contains("runbook::bad_run_id"),
                "{command} {bad:?}: {}",
                out.stderr
            );
            assert!(!out.stdout.contains("SECRET-OUTSIDE"));
        }
    }
    assert!(!s.path().join("pwned").exists());
    assert!(!s.path().join(".runbook").exists(), "nothing was created");
}

#[test]
fn a_journal_naming_its_run_with_a_path_is_refused_and_nothing_is_written_outside() {
    let (s, run_id, path) = failed_run();
    let text = std::fs::read_to_string(&path).unwrap();
    let crafted = text.replacen(
        &format!("\"run_id\":\"{run_id}\""),
        "\"run_id\":\"../../x\"",
        1,
    );
    assert_ne!(text, crafted);
    std::fs::write(&path, &crafted).unwrap();
    std::fs::write(s.path().join("fixed"), "").unwrap();
    let out = output(&s, &["resume", &run_id]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("runbook::bad_run_id"), "{}", out.stderr);
    assert!(out.stderr.contains("../../x"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), crafted);
    for escaped in [
        s.path().join("x"),
        s.path().join(".runbook/x"),
        s.path().parent().unwrap().join("x"),
    ] {
        assert!(
            !escaped.join("journal.jsonl").exists(),
            "{}",
            escaped.display()
        );
    }
    assert!(!s.path().join("got").exists(), "no step ran");
}

#[test]
fn a_torn_last_line_is_cut_off_and_the_repair_journaled_before_anything_else() {
    let (s, run_id, path) = failed_run();
    let mut bytes = std::fs::read(&path).unwrap();
    let kept = bytes.len();
    let torn = br#"{"seq":99,"time":"2026-11-25T18:4"#;
    bytes.extend_from_slice(torn);
    std::fs::write(&path, &bytes).unwrap();
    std::fs::write(s.path().join("fixed"), "").unwrap();

    let out = output(&s, &["resume", &run_id, "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    // s1's output came back from its journaled lines: the template got it.
    assert_eq!(s.read("got"), "hello\nworld");

    let after = std::fs::read(&path).unwrap();
    assert_eq!(
        &after[..kept],
        &bytes[..kept],
        "the complete lines are kept"
    );
    let text = String::from_utf8(after[kept..].to_vec()).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records[0]["event"], "journal_repaired", "{text}");
    assert_eq!(records[0]["dropped_bytes"], torn.len() as u64);
    assert_eq!(records[1]["event"], "run_resumed", "{text}");
    let journal = s.journal();
    let seqs: Vec<u64> = journal.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

/// Replaces line `n` (1-based) of the journal with `bytes`.
fn damage(path: &Path, n: usize, bytes: &[u8]) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    for (i, line) in original.split_inclusive(|&b| b == b'\n').enumerate() {
        if i + 1 == n {
            out.extend_from_slice(bytes);
            out.push(b'\n');
        } else {
            out.extend_from_slice(line);
        }
    }
    std::fs::write(path, &out).unwrap();
    out
}

/// The line number of s2's `step_started` in the journal.
fn line_of_s2_start(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .position(|l| l.contains("\"step_started\"") && l.contains("\"s2\""))
        .unwrap()
        + 1
}

#[test]
fn a_damaged_line_in_the_middle_is_refused_with_its_number_unless_forced() {
    for garbage in [
        &b"{\"seq\":3,\"event\":\"step_sta"[..],
        &b"\xff\xfe not utf-8"[..],
    ] {
        let (s, run_id, path) = failed_run();
        let line = line_of_s2_start(&path);
        let damaged = damage(&path, line, garbage);
        std::fs::write(s.path().join("fixed"), "").unwrap();

        let out = output(&s, &["resume", &run_id]);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(
            out.stderr.contains("runbook::journal_damaged"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("damaged at line {line}")),
            "{}",
            out.stderr
        );
        assert_eq!(std::fs::read(&path).unwrap(), damaged, "nothing appended");
        assert!(!s.path().join("got").exists());

        let report = output(&s, &["report", &run_id]);
        assert_eq!(report.code, 2, "{}", report.describe());
        assert!(report.stderr.contains(&format!("line {line}")));

        let runs = output(&s, &["runs"]);
        assert_eq!(runs.code, 0, "{}", runs.describe());
        let row = runs
            .stdout
            .lines()
            .find(|l| l.starts_with(&run_id))
            .unwrap_or_else(|| panic!("the damaged run is listed: {}", runs.stdout));
        assert!(row.contains("damaged"), "{row}");

        let forced = output(&s, &["resume", &run_id, "--force"]);
        assert_eq!(forced.code, 0, "{}", forced.describe());
        assert!(
            forced.stderr.contains("skipping damaged line"),
            "{}",
            forced.stderr
        );
        assert_eq!(s.read("got"), "hello\nworld");
    }
}

/// A tmpfs of 64 KiB mounted in the sandbox, unmounted when dropped.
struct SmallFilesystem(PathBuf);

impl SmallFilesystem {
    fn mount(at: PathBuf) -> SmallFilesystem {
        std::fs::create_dir_all(&at).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&at)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (the test machines run tests as root)"
        );
        SmallFilesystem(at)
    }
}

impl Drop for SmallFilesystem {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_makes_the_run_fail_and_says_so_at_the_end() {
    let s = Sandbox::new(
        "name: chatty\nsteps:\n  - id: talk\n    shell: seq 1 20000\n  - id: after\n    needs: [talk]\n    shell: touch after-ran\n",
    );
    let full = SmallFilesystem::mount(s.path().join("small"));
    let journal_dir = full.0.join("runs");
    let out = s
        .command(&["run", "p.yaml", "--journal-dir"])
        .arg(&journal_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    // The summary ends with it, after the steps' own verdict.
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(last.contains("the journal is incomplete"), "{stderr}");
    // The run itself went on: a full disk does not stop an incident response.
    assert!(s.path().join("after-ran").exists());

    // `--output json` too: exit 4, said on stderr.
    std::fs::remove_dir_all(&journal_dir).unwrap();
    let out = s
        .command(&["run", "p.yaml", "--output", "json", "--journal-dir"])
        .arg(&journal_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("the journal is incomplete"), "{stderr}");
    drop(full);
}

#[test]
fn a_sigkilled_run_leaves_no_lock_behind() {
    let s =
        Sandbox::new("name: slow\nsteps:\n  - id: wait\n    shell: touch started; sleep 30.4242\n");
    let mut first = s
        .command(&["run", "p.yaml"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the step to start", || s.path().join("started").exists());
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    first.wait().unwrap();
    // The kernel released the flock with the process: resume may proceed
    // (and asks about the interrupted step, which nobody approves here).
    let out = output(&s, &["resume", &s.run_id()]);
    assert_eq!(out.code, 3, "{}", out.describe());
    assert!(!out.stderr.contains("run_locked"), "{}", out.stderr);
}
