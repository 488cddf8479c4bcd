//! Who makes a run's journal durable when the run ends.
//!
//! The journal is `fdatasync`ed at the run's end (see [`crate::journal`]).
//! Waiting for the disk there is the last thing a run does, and the
//! longest part of a short run's end on a real disk (0.4-0.6 ms on the
//! project's machines, more on a busy one). When a process that outlives
//! `runbook` holds the journal's descriptor (the watchdog, which exists
//! whenever a step started a process), that process syncs it instead,
//! right after `runbook` exits: `runbook` hands the final sync over and
//! does not wait, once that process has confirmed that it holds the
//! journal (else `runbook` syncs it itself, as without one). Syncs that must happen before the run goes on (a gate's
//! decision, an answer) are never handed over.

use std::fs::File;
use std::io::Read;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

/// The journal's descriptor and whether its final sync was handed over to
/// another process. Cloned between the journal's writer and whoever may
/// take the sync over.
#[derive(Clone, Debug)]
pub struct FinalSync {
    fd: RawFd,
    handed_over: Arc<Mutex<HandOver>>,
}

/// Where the hand-over stands.
#[derive(Debug)]
enum HandOver {
    /// Not offered: `runbook` syncs.
    Kept,
    /// Offered; the other process confirms it on this pipe (one byte) once
    /// it holds the journal, or closes it without a byte if it does not.
    Offered(File),
    /// Confirmed: the other process syncs.
    Confirmed,
}

impl FinalSync {
    pub(crate) fn new(fd: RawFd) -> FinalSync {
        FinalSync {
            fd,
            handed_over: Arc::new(Mutex::new(HandOver::Kept)),
        }
    }

    /// The journal's open descriptor, valid while the run is: for a process
    /// forked during the run to keep (a copy of) and sync.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Offers the final sync to a process that outlives this one and syncs
    /// the journal once this process has exited. It is that process's only
    /// once it confirms: one byte on `confirmation`, the read end of a pipe
    /// whose write end only that process holds (it closes the pipe without
    /// a byte if it could not take the journal, or dies). The pipe is read
    /// at the run's end, not now: the offer costs the run no wait.
    pub fn hand_over(&self, confirmation: OwnedFd) {
        if let Ok(mut state) = self.handed_over.lock() {
            *state = HandOver::Offered(File::from(confirmation));
        }
    }

    /// Whether the run's end leaves the sync to that process: only if it
    /// confirmed the offer. Reads the confirmation (once) if it has not
    /// been read yet; the other process writes it or closes the pipe right
    /// after it is forked, so this does not wait in practice.
    pub(crate) fn handed_over(&self) -> bool {
        let Ok(mut state) = self.handed_over.lock() else {
            return false;
        };
        if let HandOver::Offered(pipe) = &mut *state {
            let mut byte = [0u8; 1];
            let confirmed = loop {
                match pipe.read(&mut byte) {
                    Ok(n) => break n == 1,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break false,
                }
            };
            *state = if confirmed {
                HandOver::Confirmed
            } else {
                HandOver::Kept
            };
        }
        matches!(*state, HandOver::Confirmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn offered(confirm: bool) -> FinalSync {
        let sync = FinalSync::new(-1);
        let (read, write) = nix::unistd::pipe().unwrap();
        sync.hand_over(read);
        let mut write = File::from(write);
        if confirm {
            write.write_all(b"1").unwrap();
        }
        drop(write);
        sync
    }

    #[test]
    fn a_confirmed_offer_is_handed_over() {
        let sync = offered(true);
        assert!(sync.handed_over());
        // Read once; asked again, the same answer.
        assert!(sync.clone().handed_over());
    }

    #[test]
    fn an_offer_closed_without_a_byte_is_kept() {
        let sync = offered(false);
        assert!(!sync.handed_over());
        assert!(!sync.handed_over());
    }

    #[test]
    fn nothing_offered_is_kept() {
        assert!(!FinalSync::new(-1).handed_over());
    }
}
