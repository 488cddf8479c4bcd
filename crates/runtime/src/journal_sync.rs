//! Who makes a run's journal durable when the run ends.
//!
//! The journal is `fdatasync`ed at the run's end (see [`crate::journal`]).
//! Waiting for the disk there is the last thing a run does, and the
//! longest part of a short run's end on a real disk (0.4-0.6 ms on the
//! project's machines, more on a busy one). When a process that outlives
//! `runbook` holds the journal's descriptor (the watchdog, which exists
//! whenever a step started a process), that process syncs it instead,
//! right after `runbook` exits: `runbook` hands the final sync over and
//! does not wait. Syncs that must happen before the run goes on (a gate's
//! decision, an answer) are never handed over.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The journal's descriptor and whether its final sync was handed over to
/// another process. Cloned between the journal's writer and whoever may
/// take the sync over.
#[derive(Clone, Debug)]
pub struct FinalSync {
    fd: RawFd,
    handed_over: Arc<AtomicBool>,
}

impl FinalSync {
    pub(crate) fn new(fd: RawFd) -> FinalSync {
        FinalSync {
            fd,
            handed_over: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The journal's open descriptor, valid while the run is: for a process
    /// forked during the run to keep (a copy of) and sync.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Tells the journal's writer that a process which outlives this one
    /// holds the journal and syncs it once this process has exited.
    pub fn hand_over(&self) {
        self.handed_over.store(true, Ordering::SeqCst);
    }

    /// Whether the run's end leaves the sync to that process.
    pub(crate) fn handed_over(&self) -> bool {
        self.handed_over.load(Ordering::SeqCst)
    }
}
