//! The portable spawn: `tokio::process` with a `pre_exec` hook, which makes
//! `std` `fork` the whole of `runbook`. Used where the clone spawn is not
//! available (not Linux, or a kernel without pidfds).

use super::{Child, Command, Stdio};
use nix::unistd::Pid;
use std::os::fd::RawFd;

/// Starts `command` with `stdio`, in a new process group, through `std`'s
/// `fork` and a [`die_with_runbook`] hook.
pub(super) fn spawn(
    command: &Command,
    stdio: Stdio,
    watchdog: Option<RawFd>,
    parent: Pid,
) -> std::io::Result<Child> {
    let mut tokio = tokio::process::Command::new(&command.program);
    tokio
        .arg0(&command.argv[0])
        .args(&command.argv[1..])
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(stdio.stdout)
        .stderr(stdio.stderr)
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &command.cwd {
        tokio.current_dir(dir);
    }
    die_with_runbook(&mut tokio, watchdog, parent);
    tokio.spawn().map(Child::from_tokio)
}

/// In the forked child, before exec: announces its process group to the
/// watchdog (see [`crate::watchdog::announce`]), and asks the kernel to
/// SIGKILL the command when `runbook` dies, refusing to start it if
/// `runbook` (`parent`) is already gone (the death signal would never
/// come). `PR_SET_PDEATHSIG` is Linux only; elsewhere the watchdog alone
/// stands guard.
fn die_with_runbook(command: &mut tokio::process::Command, watchdog: Option<RawFd>, parent: Pid) {
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
    // SAFETY: the closure runs in the forked child before exec, and makes
    // only async-signal-safe system calls (`getpid`, `write`, `prctl`,
    // `getppid`); it allocates nothing (but for the error of a refusal,
    // after which the child only reports and exits) and takes no lock.
    unsafe {
        command.pre_exec(move || {
            if let Some(fd) = watchdog {
                crate::watchdog::announce(fd);
            }
            #[cfg(target_os = "linux")]
            {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
                if nix::unistd::getppid() != parent {
                    return Err(super::parent_gone());
                }
            }
            Ok(())
        });
    }
}
