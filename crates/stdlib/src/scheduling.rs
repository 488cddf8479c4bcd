//! `runbook` gives the processor to its steps.
//!
//! A run is mostly `runbook` starting a step's process and waiting for it.
//! With the default policy, each time `runbook` is woken while a step runs
//! (the step's `execve` ends the `vfork` wait, its pipes close, it exits)
//! the kernel lets the woken `runbook` preempt the step on its core: on a
//! 2-core machine that is one or two forced context switches per step that
//! a shell running the same commands does not have (docs/performance.md,
//! "Wake-ups per step"). Under `SCHED_BATCH` a woken thread does not
//! preempt the running one; it waits for its turn, which comes at once
//! when the step blocks or ends. `runbook` never computes for long, so a
//! run loses nothing by it.
//!
//! Only the policy `runbook` was started with is changed, and only the
//! default one (`SCHED_OTHER`): a run started under `chrt` (idle, batch,
//! real-time) keeps what it was given. The nice value is not touched. A
//! step's process is put back to `SCHED_OTHER` before its `execve`
//! ([`restore_in_step`]), so the commands run as they would from a shell.
//! The watchdog, a fork of `runbook`, keeps `SCHED_BATCH`.

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`yield_to_steps`] changed this process's policy.
#[cfg(target_os = "linux")]
static BATCHED: AtomicBool = AtomicBool::new(false);

/// Puts the calling thread (and the threads and processes it starts
/// later) under `SCHED_BATCH`, if it is under the default policy. Call it
/// on the thread that will start the steps, before the run. A refusal
/// (a sandbox that forbids the call) leaves the policy as it was.
pub fn yield_to_steps() {
    #[cfg(target_os = "linux")]
    {
        use nix::libc;
        let zero = libc::sched_param { sched_priority: 0 };
        // SAFETY: both calls take the calling thread (0) and, for the set,
        // a valid `sched_param`.
        unsafe {
            if libc::sched_getscheduler(0) == libc::SCHED_OTHER
                && libc::sched_setscheduler(0, libc::SCHED_BATCH, &zero) == 0
            {
                BATCHED.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// In a step's new process, before `execve`: back to `SCHED_OTHER` if
/// [`yield_to_steps`] changed the policy the process inherited. One system
/// call, async-signal-safe, no allocation; a refusal leaves the step under
/// `SCHED_BATCH` rather than failing it.
///
/// # Safety
/// Only in a new process (after `fork`, or a `clone` sharing `runbook`'s
/// memory) that is about to `execve`.
pub unsafe fn restore_in_step() {
    #[cfg(target_os = "linux")]
    if BATCHED.load(Ordering::Relaxed) {
        use nix::libc;
        let zero = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_OTHER, &zero);
    }
}
