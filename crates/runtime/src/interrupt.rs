//! An interruption of a run from outside (a signal to `runbook`): what
//! caused it, and whether the operator insisted (a second signal).
//!
//! The run's cancellation token stops the steps; this says why, so the
//! scheduler can journal it and the CLI can exit `128 + N`, and it carries
//! the "hurry" request that cuts the grace period between SIGTERM and
//! SIGKILL of the steps' process groups short. A nested `playbook` run
//! shares its caller's, so a second Ctrl-C reaches its processes too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Shared by the signal handler, the scheduler and process-spawning actions.
#[derive(Clone, Debug, Default)]
pub struct Interruption {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The first cause, such as `SIGTERM`; later ones do not replace it.
    cause: OnceLock<String>,
    /// The second one (the operator insisted), journaled too.
    again: OnceLock<String>,
    /// Cancelled when the steps' processes must be killed without waiting.
    hurry: CancellationToken,
    /// How many times the operator insisted (signals after the first).
    hurries: AtomicUsize,
    /// Woken at each of them.
    insisted: Notify,
}

impl Interruption {
    pub fn new() -> Interruption {
        Interruption::default()
    }

    /// Records why the run is interrupted (the first cause wins).
    pub fn record(&self, cause: &str) {
        let _ = self.inner.cause.set(cause.to_string());
    }

    /// Why the run was interrupted, if it was.
    pub fn cause(&self) -> Option<&str> {
        self.inner.cause.get().map(String::as_str)
    }

    /// A second signal, `cause`: recorded (the first one after it wins),
    /// then [`Interruption::hurry`].
    pub fn insist(&self, cause: &str) {
        let _ = self.inner.again.set(cause.to_string());
        self.hurry();
    }

    /// The second signal, if one came ([`Interruption::insist`]).
    pub fn again(&self) -> Option<&str> {
        self.inner.again.get().map(String::as_str)
    }

    /// Asks every process group still being stopped to be killed now.
    pub fn hurry(&self) {
        self.inner.hurries.fetch_add(1, Ordering::SeqCst);
        self.inner.hurry.cancel();
        self.inner.insisted.notify_waiters();
    }

    /// How many times [`Interruption::hurry`] was called so far.
    pub fn hurries(&self) -> usize {
        self.inner.hurries.load(Ordering::SeqCst)
    }

    /// Resolves once [`Interruption::hurry`] is called more than `seen`
    /// times: a signal after a moment, not one that came before it (a
    /// second signal during the grace period cuts the grace short, and must
    /// not also stop the cleanups that begin after it).
    pub async fn hurried_after(&self, seen: usize) {
        loop {
            let insisted = self.inner.insisted.notified();
            tokio::pin!(insisted);
            insisted.as_mut().enable();
            if self.hurries() > seen {
                return;
            }
            insisted.await;
        }
    }

    /// Whether [`Interruption::hurry`] was called.
    pub fn is_hurried(&self) -> bool {
        self.inner.hurry.is_cancelled()
    }

    /// Resolves when [`Interruption::hurry`] is called.
    pub async fn hurried(&self) {
        self.inner.hurry.cancelled().await
    }
}
