//! The watchdog: a small process that outlives `runbook` only to kill the
//! process groups of the steps that were running when `runbook` died
//! without stopping them (SIGKILL, a crash, the OOM killer).
//!
//! `PR_SET_PDEATHSIG` kills a step's own process when `runbook` dies, but
//! not what that process started (`sleep 1000 &` in a script): the setting
//! is not inherited across `fork`. Those stay in the step's process group,
//! and the watchdog kills the group. It is `runbook __watchdog`, started at
//! the first step process, in a process group of its own (so a Ctrl-C at the
//! terminal does not reach it) and ignoring the signals that end a run.
//! It hears on its stdin, one line each, `+PGID` when a group starts and
//! `-PGID` when it is gone; when its stdin closes (`runbook` exited, however
//! it did) it sends SIGKILL to every group still listed and exits. The
//! `+PGID` line is written by the step process itself, between `fork` and
//! `exec` ([`announce`]): so the group is known to the watchdog before the
//! command runs at all, and a SIGKILL of `runbook` right after the spawn
//! cannot miss it.
//!
//! What it cannot do: a process that left the group (`setsid`, `setpgid`)
//! before `runbook` died is not found; and between a group's end and its
//! `-PGID` line the group id could in principle be reused by another
//! process group, which would then be killed if `runbook` died at that
//! moment.

use nix::sys::signal::{killpg, signal, SigHandler, Signal};
use nix::unistd::Pid;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// The hidden subcommand that runs [`serve`].
pub const SUBCOMMAND: &str = "__watchdog";

enum State {
    /// No watchdog wanted (library use, tests of this crate).
    Off,
    /// Started at the first registration, with this program.
    Ready(PathBuf),
    /// Its stdin; the process itself is not waited for (it exits when
    /// stdin closes, after `runbook`).
    Running(ChildStdin),
    /// Could not start; step processes still die by `PR_SET_PDEATHSIG`.
    Failed,
}

static STATE: Mutex<State> = Mutex::new(State::Off);

/// Enables the watchdog for this process: `program __watchdog` is started
/// when the first step process is.
pub fn install(program: PathBuf) {
    if let Ok(mut state) = STATE.lock() {
        if matches!(*state, State::Off) {
            *state = State::Ready(program);
        }
    }
}

/// The watchdog's stdin, to hand to [`announce`] in a step process before
/// it is spawned (starting the watchdog if it is wanted and not running).
pub fn channel() -> Option<RawFd> {
    let mut state = STATE.lock().ok()?;
    if let State::Ready(program) = &*state {
        *state = start(program).unwrap_or(State::Failed);
    }
    match &*state {
        State::Running(stdin) => Some(stdin.as_raw_fd()),
        _ => None,
    }
}

/// Tells the watchdog that the calling process leads a new process group:
/// `+PID`. For a `pre_exec` hook: it only formats into a stack buffer and
/// makes one `write` (atomic on a pipe), which is async-signal-safe.
pub fn announce(channel: RawFd) {
    let mut pid = nix::unistd::getpid().as_raw();
    let mut digits = [0u8; 12];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (pid % 10) as u8;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    let mut line = [0u8; 14];
    line[0] = b'+';
    let len = digits.len() - at;
    line[1..=len].copy_from_slice(&digits[at..]);
    line[len + 1] = b'\n';
    // SAFETY: `channel` is the watchdog's stdin, open in this process (the
    // forked child, before exec) for the duration of this call.
    let fd = unsafe { BorrowedFd::borrow_raw(channel) };
    let _ = nix::unistd::write(fd, &line[..len + 2]);
}

/// A process group announced to the watchdog: released (`-PGID`) when this
/// is dropped, once the step's command has ended.
pub struct Registration(Pid);

impl Registration {
    pub fn announced(pgid: Pid) -> Registration {
        Registration(pgid)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Ok(mut state) = STATE.lock() else {
            return;
        };
        if let State::Running(stdin) = &mut *state {
            if writeln!(stdin, "-{}", self.0).is_err() {
                *state = State::Failed;
            }
        }
    }
}

fn start(program: &PathBuf) -> std::io::Result<State> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(program)
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("no stdin"))?;
    Ok(State::Running(stdin))
}

/// The watchdog's body: reads `+PGID`/`-PGID` lines until stdin closes,
/// then kills every group still listed. Returns the exit code.
pub fn serve() -> i32 {
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        // SAFETY: installing SIG_IGN runs no handler code.
        unsafe {
            let _ = signal(sig, SigHandler::SigIgn);
        }
    }
    let mut groups: HashSet<i32> = HashSet::new();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            break;
        };
        let (sign, id) = line.split_at(line.len().min(1));
        let Ok(id) = id.parse::<i32>() else {
            continue;
        };
        if id <= 1 {
            continue;
        }
        match sign {
            "+" => {
                groups.insert(id);
            }
            "-" => {
                groups.remove(&id);
            }
            _ => {}
        }
    }
    for id in groups {
        let _ = killpg(Pid::from_raw(id), Signal::SIGKILL);
    }
    0
}
