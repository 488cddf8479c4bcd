//! Starting a step's process without copying `runbook`'s address space.
//!
//! A `fork` copies the page tables of the whole `runbook` process (an 18 MB
//! binary with its relocated data, its heap, the stacks of its threads),
//! and afterwards every page `runbook` writes again is a copy-on-write
//! fault: a few hundred microseconds per step, a large part of a one-step
//! run's startup (docs/performance.md, "Startup, 2026-12-01, fourth
//! round"). `std` would use its `posix_spawn` (vfork-like) path, but not
//! with a `pre_exec` hook, and a step's process needs one: it must announce
//! its group to the [`crate::watchdog`] and set its parent-death signal
//! before the command runs.
//!
//! So on Linux a step's process is a `clone(CLONE_VM | CLONE_VFORK)` of
//! `runbook` ([`clone`]): it runs on a small stack of its own in
//! `runbook`'s memory, `runbook`'s calling thread suspended until it has
//! called `exec` (or failed), and does what the hook did with system calls
//! alone; it is then waited for through a pidfd ([`Child`]). Elsewhere, or
//! where pidfds are not available (Linux < 5.3), [`portable`] starts it
//! with `tokio::process` and a `pre_exec` hook, as before. Both give the
//! process the same things: its own process group, stdin `/dev/null`,
//! stdout and stderr pipes, the default disposition of every signal
//! `runbook` changes ([`crate::signals`]) and an empty signal mask, the parent-death signal, the watchdog's announcement,
//! and the same error for a program that cannot be executed.

mod child;
#[cfg(target_os = "linux")]
mod clone;
mod portable;
#[cfg(test)]
mod tests;

pub use child::Child;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::OnceLock;
use tokio::net::unix::pipe::Receiver;

/// What to start: a program, its whole argv (`argv[0]` included), the
/// variables added to `runbook`'s environment, and the working directory.
#[derive(Debug, Clone)]
pub struct Command {
    program: OsString,
    argv: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
}

impl Command {
    /// Runs `program`: a path (with a `/`), or a name searched on the
    /// `PATH` of the process's environment, as `execvp` does. `argv[0]` is
    /// `program` unless [`Command::arg0`] says otherwise.
    pub fn new(program: impl Into<OsString>) -> Command {
        let program = program.into();
        Command {
            argv: vec![program.clone()],
            program,
            env: Vec::new(),
            cwd: None,
        }
    }

    /// What the program sees as its own name (`$0`).
    pub fn arg0(&mut self, arg0: impl Into<OsString>) -> &mut Command {
        self.argv[0] = arg0.into();
        self
    }

    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Command {
        self.argv.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(&mut self, args: I) -> &mut Command {
        self.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets a variable on top of `runbook`'s own environment.
    pub fn env(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Command {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn current_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Command {
        self.cwd = Some(dir.into());
        self
    }
}

/// A started process and the read ends of its stdout and stderr.
pub struct Spawned {
    pub child: Child,
    pub stdout: Receiver,
    pub stderr: Receiver,
}

/// The descriptors a process gets as its stdin, stdout and stderr; all are
/// close-on-exec in `runbook`, and at 3 or above (so that putting one in
/// place never overwrites another).
pub(crate) struct Stdio {
    pub stdin: RawFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

impl Stdio {
    fn fds(&self) -> [RawFd; 3] {
        [self.stdin, self.stdout.as_raw_fd(), self.stderr.as_raw_fd()]
    }
}

/// How to start it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `clone(CLONE_VM | CLONE_VFORK)`, waited for through a pidfd.
    #[cfg(target_os = "linux")]
    Clone,
    /// `tokio::process` with a `pre_exec` hook (a `fork`).
    Portable,
}

/// Starts `command` in a new process group, announced to the watchdog's
/// `channel` before it runs, with stdin `/dev/null` and its stdout and
/// stderr piped to the returned readers. Must be called inside the tokio
/// runtime (the readers and the child register with it).
pub fn spawn(command: &Command, watchdog: Option<RawFd>) -> std::io::Result<Spawned> {
    crate::signals::let_children_be_waited_for();
    spawn_via(command, watchdog, via(), nix::unistd::getpid())
}

/// The clone spawn where the kernel gives pidfds; the portable one
/// elsewhere. Probed once per process.
fn via() -> Via {
    #[cfg(target_os = "linux")]
    {
        static PIDFDS: OnceLock<bool> = OnceLock::new();
        if *PIDFDS.get_or_init(child::pidfds_work) {
            return Via::Clone;
        }
    }
    Via::Portable
}

/// [`spawn`] by the given way, the process refusing to start unless its
/// parent is `parent` (which is `runbook` itself but for a test of the
/// refusal).
fn spawn_via(
    command: &Command,
    watchdog: Option<RawFd>,
    via: Via,
    parent: nix::unistd::Pid,
) -> std::io::Result<Spawned> {
    let (stdout, stdout_write) = pipe()?;
    let (stderr, stderr_write) = pipe()?;
    let stdio = Stdio {
        stdin: dev_null()?,
        stdout: stdout_write,
        stderr: stderr_write,
    };
    let child = match via {
        #[cfg(target_os = "linux")]
        Via::Clone => clone::spawn(command, &stdio, watchdog, parent)?,
        Via::Portable => portable::spawn(command, stdio, watchdog, parent)?,
    };
    Ok(Spawned {
        child,
        stdout: Receiver::from_owned_fd_unchecked(stdout)?,
        stderr: Receiver::from_owned_fd_unchecked(stderr)?,
    })
}

/// A pipe, both ends close-on-exec and at 3 or above: the read end, made
/// non-blocking for tokio, and the write end for the process.
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let (read, write) = (above_stdio(read)?, above_stdio(write)?);
    fcntl(&read, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    Ok((read, write))
}

/// `fd`, or a close-on-exec duplicate of it at 3 or above when it is one
/// of 0, 1 and 2 (which happens only when `runbook` was started with one of
/// them closed).
fn above_stdio(fd: OwnedFd) -> std::io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    let raw = fcntl(&fd, FcntlArg::F_DUPFD_CLOEXEC(3))?;
    // SAFETY: `F_DUPFD_CLOEXEC` returned a new descriptor this owns.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) })
}

/// `/dev/null`, opened once (close-on-exec) and kept for every step's
/// stdin.
fn dev_null() -> std::io::Result<RawFd> {
    static NULL: OnceLock<OwnedFd> = OnceLock::new();
    if let Some(fd) = NULL.get() {
        return Ok(fd.as_raw_fd());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    let fd = above_stdio(file.into())?;
    Ok(NULL.get_or_init(|| fd).as_raw_fd())
}

/// The error `std` gives for a string holding a NUL byte.
fn nul_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "nul byte found in provided data",
    )
}

/// The error of a process that refused to start because `runbook` (its
/// parent) had exited: its parent-death signal would never come.
fn parent_gone() -> std::io::Error {
    std::io::Error::other("runbook exited")
}
