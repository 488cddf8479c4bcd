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
//! `runbook` tells it on its stdin, one line each, `+PGID` when a group
//! starts and `-PGID` when it is gone; when its stdin closes (`runbook`
//! exited, however it did) it sends SIGKILL to every group still listed and
//! exits.
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

/// A process group the watchdog knows about for as long as this lives.
pub struct Registration(Pid);

impl Registration {
    pub fn new(pgid: Pid) -> Registration {
        tell('+', pgid);
        Registration(pgid)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        tell('-', self.0);
    }
}

fn tell(sign: char, pgid: Pid) {
    let Ok(mut state) = STATE.lock() else {
        return;
    };
    if let State::Ready(program) = &*state {
        *state = start(program).unwrap_or(State::Failed);
    }
    if let State::Running(stdin) = &mut *state {
        if writeln!(stdin, "{sign}{pgid}").is_err() {
            *state = State::Failed;
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
