//! What a closed pipe does (`runbook plan FILE | head`): a command that only
//! prints ends quietly, killed by SIGPIPE as `cat` or `ls` would be (a shell
//! reports status 141), instead of panicking with "failed printing to stdout"
//! and a backtrace. Rust ignores SIGPIPE by default, which turns each write
//! to a closed pipe into an error; for printing commands the default action
//! is right. `run` and `resume` keep ignoring it: they drive real processes
//! and a journal, so a reader that goes away must not kill them half-way;
//! their writes to stdout ignore errors instead (see `view::JsonLines`).

use nix::sys::signal::{signal, SigHandler, Signal};

/// Lets SIGPIPE end the process, silently.
pub fn end_quietly() {
    // SAFETY: setting a signal's disposition to the default is async-signal-safe
    // and done before any thread is started.
    unsafe {
        let _ = signal(Signal::SIGPIPE, SigHandler::SigDfl);
    }
}

/// Turns SIGPIPE back into write errors (Rust's default at startup).
pub fn keep_running() {
    // SAFETY: as above; still single-threaded.
    unsafe {
        let _ = signal(Signal::SIGPIPE, SigHandler::SigIgn);
    }
}
