//! Helpers for tests that run playbooks with the real binary in a temporary
//! directory: write a playbook, run it, read its JSON events and journal.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `runbook` binary built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_runbook"))
}

/// A temporary directory holding one playbook.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new(playbook: &str) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("p.yaml"), playbook).expect("write playbook");
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `runbook` command in the sandbox, without a terminal.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.current_dir(self.path())
            .args(args)
            .env(SANDBOX_VAR, self.path())
            .env("NO_COLOR", "1")
            .env("USER", "tester")
            .stdin(Stdio::null());
        cmd
    }

    /// `runbook ARGS` under `script(1)`, colour on so the live view draws
    /// unless `env` (added last) turns it off: the raw bytes the terminal received, escape
    /// sequences and all.
    pub fn pty_capture(&self, args: &str, env: &[(&str, &str)]) -> String {
        let mut child = Command::new("script")
            .args([
                "-qefc",
                &format!("{} {args}", binary().display()),
                "/dev/null",
            ])
            .current_dir(self.path())
            .env(SANDBOX_VAR, self.path())
            .env("USER", "tester")
            // A terminal console recognises even where the tests run without
            // one (an unset TERM reads as `dumb`: no colour).
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script(1) from util-linux");
        let _stdin = child.stdin.take();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        child.wait().unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// `runbook run p.yaml ARGS --output json`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["run", "p.yaml", "--output", "json"];
        all.extend_from_slice(args);
        Run::from(self.command(&all).output().expect("runbook runs"))
    }

    /// `runbook resume RUN_ID ARGS --output json`.
    pub fn resume(&self, run_id: &str, args: &[&str]) -> Run {
        let mut all = vec!["resume", run_id, "--output", "json"];
        all.extend_from_slice(args);
        Run::from(self.command(&all).output().expect("runbook resumes"))
    }

    /// The only run's journal records.
    pub fn journal(&self) -> Vec<Value> {
        let runs = self.path().join(".runbook/runs");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
            .expect("a journal directory")
            .flatten()
            .map(|e| e.path())
            .collect();
        dirs.sort();
        let text = std::fs::read_to_string(dirs.last().expect("a run").join("journal.jsonl"))
            .expect("journal");
        text.lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// The journal's events with each called playbook's record taken out
    /// of its `called` wrappers (its step ids are `CALL.STEP` already).
    pub fn journal_events(&self) -> Vec<Value> {
        self.journal()
            .into_iter()
            .map(|mut record| {
                while record["event"] == "called" {
                    record = record["record"].take();
                }
                record
            })
            .collect()
    }

    pub fn run_id(&self) -> String {
        self.journal()[0]["run_id"].as_str().unwrap().to_string()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }
}

/// A finished `runbook run --output json`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub events: Vec<Value>,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let events = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            events,
        }
    }
}

impl Run {
    /// Each step's final state (`succeeded`, `skipped`, ...).
    pub fn states(&self) -> HashMap<String, String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "step_finished")
            .map(|e| {
                (
                    e["step"].as_str().unwrap().to_string(),
                    e["state"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn state(&self, step: &str) -> String {
        self.states()
            .get(step)
            .cloned()
            .unwrap_or_else(|| "not run".into())
    }

    /// The message of a step's `step_finished`.
    pub fn message(&self, step: &str) -> String {
        self.events
            .iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == step)
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub fn finished(&self, step: &str) -> &Value {
        self.events
            .iter()
            .find(|e| e["event"] == "step_finished" && e["step"] == step)
            .unwrap_or_else(|| panic!("{step} did not finish: {}", self.stderr))
    }

    /// Events of one kind.
    pub fn events_of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == kind).collect()
    }

    /// The questions of the gates asked, in order.
    pub fn questions(&self) -> Vec<&str> {
        self.events_of("gate_requested")
            .iter()
            .map(|e| e["question"].as_str().unwrap())
            .collect()
    }

    pub fn describe(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The variable every process a [`Sandbox`] starts carries, set to the
/// sandbox's directory (unique to one test of one test run): `runbook`
/// passes its environment to the steps' processes, and they to theirs, so
/// a test finds the processes its own run started, orphans included (an
/// orphan leaves the process tree but keeps its environment), and never
/// those of another test or of another test run on the same machine.
pub const SANDBOX_VAR: &str = "RUNBOOK_TEST_SANDBOX";

impl Sandbox {
    /// `RUNBOOK_TEST_SANDBOX=DIR`, as it appears in `/proc/PID/environ`.
    pub fn marker(&self) -> String {
        format!("{SANDBOX_VAR}={}", self.path().display())
    }

    /// This sandbox's live processes (not zombies) whose command line
    /// contains `pattern`, as `(pid, command line)`.
    pub fn live_processes(&self, pattern: &str) -> Vec<(i32, String)> {
        processes_carrying(&self.marker())
            .into_iter()
            .filter(|(_, cmdline)| cmdline.contains(pattern))
            .collect()
    }

    /// `runbook run p.yaml ARGS`, SIGKILLed once the file `ready` exists
    /// in the sandbox (a step touched it); then the processes left behind
    /// whose command line contains `leftover` are killed too. Leaves a
    /// journal to resume.
    pub fn run_until_killed(&self, args: &[&str], ready: &str, leftover: &str) {
        let mut all = vec!["run", "p.yaml"];
        all.extend_from_slice(args);
        let mut child = self
            .command(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runbook runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !self.path().join(ready).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {ready}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        child.wait().expect("runbook is reaped");
        self.kill_leftovers(leftover);
    }

    /// Kills, by pid, the live processes this sandbox's run left behind
    /// whose command line contains `pattern`.
    pub fn kill_leftovers(&self, pattern: &str) {
        for (pid, _) in self.live_processes(pattern) {
            kill_if_carrying(pid, &self.marker());
        }
    }
}

/// SIGKILLs process `pid` only if it still carries `entry` in its
/// environment: pids cycle fast on this machine (`pid_max` 32768), and a
/// pid read from /proc a moment ago may now be another test's process.
/// The process is held by a pidfd while it is checked, so the signal goes
/// to the process checked or to none.
fn kill_if_carrying(pid: i32, entry: &str) {
    // SAFETY: pidfd_open takes a pid and flags; the descriptor it returns
    // is owned here and closed below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if fd < 0 {
        return;
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let carries = std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|environ| environ.split(|&b| b == 0).any(|e| e == entry.as_bytes()));
    if carries {
        // SAFETY: pidfd_send_signal on an open pidfd, no siginfo, no flags.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }
}

/// Live processes (not zombies) whose environment holds `entry`
/// (`NAME=VALUE`), as `(pid, command line)`. Only processes of this user
/// can be read, which is all a test starts.
pub fn processes_carrying(entry: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = dir.file_name().to_string_lossy().parse::<i32>().ok() else {
            continue;
        };
        let path = dir.path();
        let Ok(environ) = std::fs::read(path.join("environ")) else {
            continue;
        };
        if !environ.split(|&b| b == 0).any(|e| e == entry.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next().map(str::to_string));
        if matches!(state.as_deref(), Some("Z") | Some("X") | None) {
            continue;
        }
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
    }
    found
}

/// `runbook ARGS` on a pseudo-terminal (`script`), its screen read as it
/// comes, so a test can wait for a prompt, answer it, or look elsewhere
/// (the journal, the web console) while the run waits. Killed if dropped
/// before it ends.
pub struct Terminal {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    screen: std::sync::mpsc::Receiver<Vec<u8>>,
    /// What the screen showed since the last prompt waited for.
    pub seen: String,
}

impl Terminal {
    pub fn start(s: &Sandbox, args: &str, env: &[(&str, &str)]) -> Terminal {
        let command = format!("{} {args}", binary().display());
        let mut child = Command::new("script")
            .args(["-qefc", &command, "/dev/null"])
            .current_dir(s.path())
            .env("NO_COLOR", "1")
            .env("USER", "tester")
            .env(SANDBOX_VAR, s.path())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script(1) from util-linux");
        let mut out = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, screen) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            stdin,
            screen,
            seen: String::new(),
        }
    }

    /// Waits for `prompt` on the screen; only what follows it is kept.
    pub fn wait_for(&mut self, prompt: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !self.seen.contains(prompt) {
            assert!(
                std::time::Instant::now() < deadline,
                "no prompt {prompt:?} in:\n{}",
                self.seen
            );
            if let Ok(chunk) = self
                .screen
                .recv_timeout(std::time::Duration::from_millis(100))
            {
                self.seen.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
        let at = self.seen.find(prompt).unwrap() + prompt.len();
        self.seen = self.seen.split_off(at);
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        use std::io::Write;
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the run to end and for the rest of its screen; its exit
    /// code.
    pub fn finish(&mut self) -> i32 {
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self
            .screen
            .recv_timeout(std::time::Duration::from_millis(200))
        {
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        status.code().unwrap_or(-1)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
