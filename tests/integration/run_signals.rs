//! Signals to `runbook` while a step runs a process tree: a background
//! `sleep` and a child that ignores SIGTERM. Whatever the signal (Ctrl-C,
//! twice, TERM, HUP, QUIT, or SIGKILL of `runbook` itself), no process of
//! the tree survives (checked in /proc), the journal records the
//! interruption (except for SIGKILL, which cannot be handled), and the exit
//! code is 128 + the signal. The same through a nested `playbook` step.

use crate::running::{processes_carrying, Sandbox};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A step whose process group holds a background `sleep` and a shell that
/// ignores SIGTERM (its `sleep` inherits that), each writing its pid.
const TREE: &str = r#"
name: tree
steps:
  - id: tree
    shell: |
      echo $$ > group.pid
      sleep 1000 &
      echo $! > sleep.pid
      sh -c 'trap "" TERM; echo $$ > stubborn.pid; sleep 1000; echo survived' &
      wait
"#;

/// The same tree one `playbook` call down.
const NESTED: &str = r#"
name: caller
steps:
  - id: call
    playbook: tree.yaml
"#;

const DEADLINE: Duration = Duration::from_secs(30);

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A pid written by the step, once the whole line is there.
fn pid_in(dir: &Path, name: &str) -> Option<i32> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    text.strip_suffix('\n')?.trim().parse().ok()
}

/// `(state, process group)` of a live process, from /proc.
fn stat(pid: i32) -> Option<(String, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.to_string();
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((state, pgrp))
}

fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != "Z" && state != "X")
}

/// Live processes in a process group.
fn group_members(pgid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|&pid| {
            stat(pid).is_some_and(|(state, pgrp)| pgrp == pgid && state != "Z" && state != "X")
        })
        .collect()
}

/// The tree's pids once every process of it has started.
struct Tree {
    group: i32,
    pids: Vec<i32>,
    /// The sandbox's variable as the tree's processes carry it, to find
    /// this run's watchdog and no other test's.
    marker: String,
}

fn started(s: &Sandbox, child: &mut Child) -> Tree {
    let dir = s.path();
    wait_for("the process tree to start", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("runbook ended before the tree started: {status}");
        }
        ["group.pid", "sleep.pid", "stubborn.pid"]
            .iter()
            .all(|f| pid_in(dir, f).is_some())
    });
    let pids: Vec<i32> = ["group.pid", "sleep.pid", "stubborn.pid"]
        .iter()
        .map(|f| pid_in(dir, f).unwrap())
        .collect();
    for &pid in &pids {
        assert!(alive(pid), "process {pid} of the tree is not running");
    }
    Tree {
        group: pids[0],
        pids,
        marker: s.marker(),
    }
}

/// Kills, by pid, whatever a failed test left (so it cannot pile up).
fn cleanup(tree: &Tree) {
    for &pid in tree.pids.iter().chain(group_members(tree.group).iter()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// A process for a failure message: pid, state, parent, command line.
fn describe(pid: i32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_default()
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    format!(
        "{pid} state {} ppid {} `{}`",
        field("State:"),
        field("PPid:"),
        String::from_utf8_lossy(&cmdline).replace('\0', " ")
    )
}

/// The watchdog processes of this test's run (those carrying its
/// sandbox's variable), for a failure message.
fn watchdogs(marker: &str) -> Vec<String> {
    processes_carrying(marker)
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).trim() == "rb-watchdog")
        })
        .map(|pid| {
            let stdin = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap_or_default();
            format!("watchdog {} stdin {}", describe(pid), stdin.display())
        })
        .collect()
}

fn assert_all_gone(tree: &Tree) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left: Vec<i32> = tree
            .pids
            .iter()
            .copied()
            .filter(|&p| alive(p))
            .chain(group_members(tree.group))
            .collect();
        if left.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            let mut described: Vec<String> = left.iter().map(|&p| describe(p)).collect();
            described.extend(watchdogs(&tree.marker));
            cleanup(tree);
            panic!("processes of the step survived: {described:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal(s: &Sandbox) -> Vec<Value> {
    s.journal()
}

/// Whether the running process has journaled the interruption yet (read as
/// text: a line may be half written while the run goes on).
fn interruption_journaled(s: &Sandbox) -> bool {
    let Ok(runs) = std::fs::read_dir(s.path().join(".runbook/runs")) else {
        return false;
    };
    runs.flatten().any(|run| {
        std::fs::read_to_string(run.path().join("journal.jsonl"))
            .is_ok_and(|text| text.contains(r#""event":"run_interrupted""#))
    })
}

/// Starts `runbook run` on `playbook`, waits for the tree, sends `signals`
/// (the second one once the first is journaled), and checks what is left.
fn interrupt(playbook: &str, signals: &[Signal], expected_code: i32) {
    let s = Sandbox::new(playbook);
    std::fs::write(s.path().join("tree.yaml"), TREE).unwrap();
    let mut child = s
        .command(&["run", "p.yaml", "--output", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let tree = started(&s, &mut child);
    let runbook = Pid::from_raw(child.id() as i32);
    for (n, &sig) in signals.iter().enumerate() {
        if n > 0 {
            wait_for("the interruption to be journaled", || {
                interruption_journaled(&s)
            });
        }
        kill(runbook, sig).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_all_gone(&tree);
    assert_eq!(out.status.code(), Some(expected_code), "{stderr}");
    let records = journal(&s);
    let interrupted: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "run_interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{records:?}");
    assert_eq!(interrupted[0]["signal"], signals[0].as_str());
    let last = records.last().unwrap();
    assert_eq!(last["event"], "run_finished", "{last}");
    assert_eq!(last["status"], "interrupted");
    let step = if playbook == NESTED { "call" } else { "tree" };
    let finished = records
        .iter()
        .find(|r| r["event"] == "step_finished" && r["step"] == step)
        .unwrap_or_else(|| panic!("no end of `{step}`: {records:?}"));
    assert_eq!(finished["state"], "cancelled", "{finished}");
}

/// SIGKILL of `runbook`: nothing can be journaled, but the tree dies with it.
fn killed(playbook: &str) {
    let s = Sandbox::new(playbook);
    std::fs::write(s.path().join("tree.yaml"), TREE).unwrap();
    let mut child = s
        .command(&["run", "p.yaml", "--output", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let tree = started(&s, &mut child);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32));
    assert_all_gone(&tree);
}

#[test]
fn ctrl_c_kills_the_whole_tree_journals_and_exits_130() {
    interrupt(TREE, &[Signal::SIGINT], 130);
}

#[test]
fn a_second_ctrl_c_still_kills_the_tree_before_exiting() {
    interrupt(TREE, &[Signal::SIGINT, Signal::SIGINT], 130);
}

#[test]
fn sigterm_is_handled_like_ctrl_c_and_exits_143() {
    interrupt(TREE, &[Signal::SIGTERM], 143);
}

#[test]
fn sighup_is_handled_like_ctrl_c_and_exits_129() {
    interrupt(TREE, &[Signal::SIGHUP], 129);
}

#[test]
fn sigquit_is_handled_like_ctrl_c_and_exits_131() {
    interrupt(TREE, &[Signal::SIGQUIT], 131);
}

#[test]
fn sigkill_of_runbook_takes_the_tree_with_it() {
    killed(TREE);
}

#[test]
fn a_nested_playbook_tree_dies_on_ctrl_c() {
    interrupt(NESTED, &[Signal::SIGINT], 130);
}

#[test]
fn a_nested_playbook_tree_dies_on_a_second_ctrl_c() {
    interrupt(NESTED, &[Signal::SIGINT, Signal::SIGINT], 130);
}

#[test]
fn a_nested_playbook_tree_dies_on_sigterm() {
    interrupt(NESTED, &[Signal::SIGTERM], 143);
}

#[test]
fn a_nested_playbook_tree_dies_on_sighup() {
    interrupt(NESTED, &[Signal::SIGHUP], 129);
}

#[test]
fn a_nested_playbook_tree_dies_on_sigquit() {
    interrupt(NESTED, &[Signal::SIGQUIT], 131);
}

#[test]
fn a_nested_playbook_tree_dies_with_runbook_on_sigkill() {
    killed(NESTED);
}

/// The real thing behind SIGHUP: the terminal goes away (an SSH session
/// drops). `runbook` runs on a pseudo-terminal made by `script`, as the
/// session's controlling process; killing `script` closes the terminal, the
/// kernel sends SIGHUP, and every write to stderr fails from then on. The
/// run must still stop its tree and journal its end.
#[test]
fn a_closed_terminal_interrupts_the_run_and_kills_the_tree() {
    let s = Sandbox::new(TREE);
    let command = format!("'{}' run p.yaml", crate::running::binary().display());
    let mut script = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(s.path())
        .env("NO_COLOR", "1")
        .env("USER", "tester")
        // Held open, so that `script` does not end on end of input.
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) runs");
    let tree = started(&s, &mut script);
    kill(Pid::from_raw(script.id() as i32), Signal::SIGKILL).unwrap();
    script.wait().unwrap();
    assert_all_gone(&tree);
    wait_for("the run's end to be journaled", || {
        std::fs::read_dir(s.path().join(".runbook/runs"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|run| {
                std::fs::read_to_string(run.path().join("journal.jsonl"))
                    .is_ok_and(|text| text.contains(r#""event":"run_finished""#))
            })
    });
    let records = journal(&s);
    let interrupted = records
        .iter()
        .find(|r| r["event"] == "run_interrupted")
        .unwrap_or_else(|| panic!("{records:?}"));
    assert_eq!(interrupted["signal"], "SIGHUP");
    assert_eq!(records.last().unwrap()["status"], "interrupted");
}

/// `runbook`'s watchdog: its child named `rb-watchdog`.
fn watchdog_of(runbook: i32) -> Option<i32> {
    let parent_of = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))?
            .trim()
            .parse::<i32>()
            .ok()
    };
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .find(|&pid| {
            parent_of(pid) == Some(runbook)
                && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "rb-watchdog")
        })
}

/// The watchdog (a fork of `runbook`, not a new program) keeps nothing of
/// `runbook`'s but what it needs: its stdin is its pipe, stdout and stderr
/// `/dev/null`, descriptor 3 the run's journal (which it syncs once
/// `runbook` has exited), no other descriptor (not the pipe `runbook`'s
/// output goes to, not the run's lock), and it leads a process group of
/// its own; and it still takes the tree with it when `runbook` is
/// SIGKILLed.
#[test]
fn the_watchdog_holds_only_its_pipe_and_leads_its_own_group() {
    let s = Sandbox::new(TREE);
    let mut child = s
        .command(&["run", "p.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let tree = started(&s, &mut child);
    let runbook = child.id() as i32;
    let Some(watchdog) = watchdog_of(runbook) else {
        cleanup(&tree);
        panic!(
            "no watchdog among runbook's children: {:?}",
            watchdogs(&tree.marker)
        );
    };
    let mut fds: Vec<(String, String)> = std::fs::read_dir(format!("/proc/{watchdog}/fd"))
        .unwrap()
        .flatten()
        .map(|e| {
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            (
                e.file_name().to_string_lossy().into_owned(),
                target.to_string_lossy().into_owned(),
            )
        })
        .collect();
    fds.sort();
    let group = stat(watchdog).map(|(_, group)| group);
    // Its command line is its own: `pkill -f 'runbook run'` spares it.
    let command_line = std::fs::read(format!("/proc/{watchdog}/cmdline")).unwrap_or_default();
    kill(Pid::from_raw(runbook), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    assert_all_gone(&tree);
    assert_eq!(fds.len(), 4, "{fds:?}");
    assert_eq!(fds[0].0, "0");
    assert!(fds[0].1.starts_with("pipe:"), "{fds:?}");
    assert_eq!(fds[1], ("1".to_string(), "/dev/null".to_string()));
    assert_eq!(fds[2], ("2".to_string(), "/dev/null".to_string()));
    assert_eq!(fds[3].0, "3");
    assert!(fds[3].1.ends_with("/journal.jsonl"), "{fds:?}");
    assert_eq!(group, Some(watchdog), "the watchdog leads its own group");
    let shown = String::from_utf8_lossy(&command_line);
    assert_eq!(
        shown.trim_end_matches('\0'),
        "runbook-watchdog",
        "{shown:?}"
    );
}

/// Lines the watchdog ignores (groups 0 and 1, malformed), hostile ones
/// among them, each at most `PIPE_BUF` so a write of it is whole or fails.
const JUNK: &[&str] = &[
    "+1\n",
    "-1\n",
    "+0\n",
    "+$(touch pwned)\n",
    "-\"'`\n",
    "+../../etc\n",
    "+# 5\n",
    "+12 34\n",
];

/// Writes `line` to `pipe` without blocking: whether it went in whole.
fn wrote(pipe: &std::fs::File, line: &[u8]) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: writes from a buffer this function borrows.
    let n = unsafe { libc::write(pipe.as_raw_fd(), line.as_ptr().cast(), line.len()) };
    n == line.len() as isize
}

/// The watchdog reads its pipe only every 200 ms, not at each line. A
/// burst larger than the pipe: the test fills it to the last byte from
/// outside (`/proc/WATCHDOG/fd/0`, opened for writing, with lines it
/// ignores), then lets the run go on. The steps after that must still
/// start (their `+PGID` and `-PGID` wait for the watchdog's next read,
/// never for ever), no line of theirs may be lost, and the tree of the last
/// step still dies with `runbook` on SIGKILL.
#[test]
fn a_burst_larger_than_the_watchdogs_pipe_loses_no_group() {
    let mut playbook = String::from(
        "name: burst\nsteps:\n  - id: wait\n    shell: \"while [ ! -e go ]; do sleep 0.05; done\"\n",
    );
    let mut before = "wait".to_string();
    for i in 0..50 {
        playbook.push_str(&format!(
            "  - id: s{i}\n    needs: [{before}]\n    shell: \"true\"\n"
        ));
        before = format!("s{i}");
    }
    let tree_step = TREE.split_once("steps:\n").unwrap().1;
    playbook.push_str(&tree_step.replacen(
        "  - id: tree\n",
        &format!("  - id: tree\n    needs: [{before}]\n"),
        1,
    ));
    let s = Sandbox::new(&playbook);
    let mut child = s
        .command(&["run", "p.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runbook = child.id() as i32;
    let mut watchdog = None;
    wait_for("the watchdog", || {
        watchdog = watchdog_of(runbook);
        watchdog.is_some()
    });
    let pipe = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(format!("/proc/{}/fd/0", watchdog.unwrap()))
        .unwrap();
    // SAFETY: a system call on a descriptor this test owns.
    let capacity =
        unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&pipe), libc::F_GETPIPE_SZ) };
    let block: String = JUNK.iter().cycle().take(400).copied().collect();
    assert!(block.len() <= 4096);
    let mut written = 0;
    while wrote(&pipe, block.as_bytes()) {
        written += block.len();
    }
    // Then line by line, until not even the shortest goes in: full.
    'full: loop {
        for line in JUNK {
            if wrote(&pipe, line.as_bytes()) {
                written += line.len();
            } else if line.len() == 3 {
                break 'full;
            }
        }
    }
    assert!(written >= capacity as usize / 2, "{written} of {capacity}");
    drop(pipe);
    std::fs::write(s.path().join("go"), "").unwrap();
    let tree = started(&s, &mut child);
    kill(Pid::from_raw(runbook), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    assert_all_gone(&tree);
    assert!(!s.path().join("pwned").exists());
}
