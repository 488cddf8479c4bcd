//! Starting a program from a command (`runbook diff` runs `git`), as
//! opposed to a step's process (`runbook_stdlib::spawn`). Every such start
//! goes through [`command`], so that none meets a SIGCHLD that `runbook`'s
//! parent left ignored; the integration test `sigchld_ignored` fails if a
//! source file builds a `std::process::Command` elsewhere.

use std::ffi::OsStr;
use std::process::Command;

/// A `Command` for `program` that can be waited for: SIGCHLD ignored when
/// `runbook` started would make the kernel reap the program as it exits,
/// and `output()` would then fail with "No child processes". The reset is
/// the steps' one ([`runbook_stdlib::signals::let_children_be_waited_for`]):
/// done once, by the first program or step started, and never by a command
/// that starts none.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    runbook_stdlib::signals::let_children_be_waited_for();
    Command::new(program)
}
