//! A started step process, as its parent sees it: waited for without a
//! thread or a SIGCHLD handler, killed and reaped when dropped before it
//! ended (as `tokio::process`'s `kill_on_drop`), so that no process and no
//! zombie is left behind.

use nix::unistd::Pid;
use std::io;
use std::process::ExitStatus;

pub struct Child {
    pid: Pid,
    waiter: Waiter,
    /// Its status once reaped.
    status: Option<ExitStatus>,
}

enum Waiter {
    /// A pidfd, readable once the process has ended; the process is then
    /// reaped with `waitpid`.
    #[cfg(target_os = "linux")]
    Pidfd(tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>),
    /// The portable spawn's child.
    Tokio(tokio::process::Child),
}

impl Child {
    /// The process started by the clone spawn: waited for through a pidfd
    /// registered with tokio's reactor. On failure the process is killed
    /// and reaped.
    #[cfg(target_os = "linux")]
    pub(super) fn from_pid(pid: Pid) -> io::Result<Child> {
        let registered = pidfd_open(pid).and_then(|fd| {
            // SAFETY: an `OwnedFd` stays open, and the same descriptor, for
            // as long as the `AsyncFd` owns it.
            unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            }
            .map_err(io::Error::from)
        });
        match registered {
            Ok(fd) => Ok(Child {
                pid,
                waiter: Waiter::Pidfd(fd),
                status: None,
            }),
            Err(e) => {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                let _ = reap(pid, true);
                Err(e)
            }
        }
    }

    pub(super) fn from_tokio(child: tokio::process::Child) -> Child {
        // A spawned child that has not been waited for has an id.
        let pid = child.id().map_or(0, |id| id as i32);
        Child {
            pid: Pid::from_raw(pid),
            waiter: Waiter::Tokio(child),
            status: None,
        }
    }

    /// Its process id, which is also its process group's.
    pub fn id(&self) -> Pid {
        self.pid
    }

    /// Its status if it has ended (reaping it), without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = match &mut self.waiter {
                #[cfg(target_os = "linux")]
                Waiter::Pidfd(_) => reap(self.pid, false)?,
                Waiter::Tokio(child) => child.try_wait()?,
            };
        }
        Ok(self.status)
    }

    /// Waits for it to end, and reaps it.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            match &mut self.waiter {
                #[cfg(target_os = "linux")]
                Waiter::Pidfd(fd) => {
                    let mut ready = fd.readable().await?;
                    match reap(self.pid, false)? {
                        Some(status) => {
                            self.status = Some(status);
                            return Ok(status);
                        }
                        // Cleared only if no event came since `readable`
                        // returned, so an exit right now is not missed.
                        None => ready.clear_ready(),
                    }
                }
                Waiter::Tokio(child) => {
                    let status = child.wait().await?;
                    self.status = Some(status);
                    return Ok(status);
                }
            }
        }
    }
}

impl Drop for Child {
    /// Kills a process that has not ended yet and reaps it: at once if it
    /// is gone already, else on a thread of its own that waits for it (a
    /// process in uninterruptible sleep must not hold up the runtime).
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        match &self.waiter {
            #[cfg(target_os = "linux")]
            Waiter::Pidfd(_) => {
                // Not reaped yet, so `pid` is still this process.
                let _ = nix::sys::signal::kill(self.pid, nix::sys::signal::Signal::SIGKILL);
                if let Ok(Some(_)) = reap(self.pid, false) {
                    return;
                }
                let pid = self.pid;
                let waiting = std::thread::Builder::new()
                    .name("rb-reaper".into())
                    .spawn(move || reap(pid, true));
                if waiting.is_err() {
                    let _ = reap(pid, true);
                }
            }
            // `kill_on_drop`: tokio kills it and reaps it in the background.
            Waiter::Tokio(_) => {}
        }
    }
}

/// Reaps `pid` if it has ended (or once it has, if `block`): its status,
/// or `None` while it runs.
#[cfg(target_os = "linux")]
fn reap(pid: Pid, block: bool) -> io::Result<Option<ExitStatus>> {
    use std::os::unix::process::ExitStatusExt;
    let flags = if block { 0 } else { nix::libc::WNOHANG };
    let mut status = 0;
    loop {
        // SAFETY: `waitpid` writes the status into the integer it is given.
        let reaped = unsafe { nix::libc::waitpid(pid.as_raw(), &mut status, flags) };
        match reaped {
            0 => return Ok(None),
            -1 => {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
                }
            }
            _ => return Ok(Some(ExitStatus::from_raw(status))),
        }
    }
}

/// A pidfd for `pid` (Linux 5.3), close-on-exec.
#[cfg(target_os = "linux")]
fn pidfd_open(pid: Pid) -> io::Result<std::os::fd::OwnedFd> {
    // SAFETY: a system call taking a pid and flags.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pidfd_open` returned a new descriptor this owns.
    Ok(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) })
}

/// Whether this kernel gives pidfds and lets tokio's reactor wait on them.
#[cfg(target_os = "linux")]
pub(super) fn pidfds_work() -> bool {
    pidfd_open(nix::unistd::getpid()).is_ok()
}
