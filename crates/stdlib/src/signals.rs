//! The signals whose disposition `runbook` changes, in one place: the
//! places that install a handler or ignore a signal take their signal from
//! here, and a step's process resets exactly these to the default before it
//! executes its command ([`crate::spawn`]).
//!
//! A step's process shares `runbook`'s memory until `execve`
//! (`CLONE_VM`), so a handler of `runbook`'s must not run in it: each
//! signal with a handler is set to its default there. Only the listed ones
//! are, instead of reading all 64 dispositions (about 70 system calls per
//! step, as glibc's `posix_spawn` makes); the integration test
//! `signals_at_spawn` fails if `runbook` holds a handler or an ignored
//! signal that is not listed.

use nix::sys::signal::Signal;

/// The signals that interrupt a run: `runbook run` handles them
/// (`src/signals.rs`), the watchdog ignores them.
pub const INTERRUPTING: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// Every signal whose disposition `runbook` may change from the one it
/// started with, and who changes it:
/// - [`INTERRUPTING`]: handlers of `runbook run` (tokio's);
/// - SIGPIPE: ignored by Rust's runtime at startup (and by
///   `src/closed_pipe.rs` for `run`);
/// - SIGSEGV and SIGBUS: handlers of Rust's runtime, which reports a stack
///   overflow of the main thread;
/// - SIGCHLD: a handler of tokio's, where a step's process is started by
///   `tokio::process` (the portable spawn).
pub const CHANGED: [Signal; 8] = [
    INTERRUPTING[0],
    INTERRUPTING[1],
    INTERRUPTING[2],
    INTERRUPTING[3],
    Signal::SIGPIPE,
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGCHLD,
];

/// Lets `runbook` wait for its children: step processes, and programs a
/// command runs (`git` for `runbook diff`, through `src/programs.rs`).
/// SIGCHLD ignored when `runbook` started (inherited from its parent: `env
/// --ignore-signal=CHLD`, some supervisors) makes the kernel reap every
/// child as it exits, and waiting for one then fails with "No child
/// processes". So it is set back to the default, once, before the first
/// child is started (one `sigaction` to read it; a second only if it was
/// ignored).
pub fn let_children_be_waited_for() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use nix::libc;
        // SAFETY: `sigaction` reads into and from structures owned here;
        // setting SIGCHLD's disposition to the default is sound at any time.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGCHLD, &default, std::ptr::null_mut());
            }
        }
    });
}
