//! A prompt that can be called off: the gate or question it asks was
//! decided elsewhere (a remote decision), timed out, or the run was
//! cancelled, so the operator still asking must stop and return.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Shared between whoever waits for an operator and the operator: once
/// [`Withdrawal::withdraw`] is called, [`Withdrawal::is_withdrawn`] holds
/// for every clone and [`Withdrawal::wait`] returns at once.
#[derive(Clone, Debug, Default)]
pub struct Withdrawal(Arc<(Mutex<bool>, Condvar)>);

impl Withdrawal {
    pub fn withdraw(&self) {
        let (flag, changed) = &*self.0;
        *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
        changed.notify_all();
    }

    pub fn is_withdrawn(&self) -> bool {
        *self.0 .0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits at most `limit` for the withdrawal; whether it happened.
    pub fn wait(&self, limit: Duration) -> bool {
        let (flag, changed) = &*self.0;
        let guard = flag.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = changed
            .wait_timeout_while(guard, limit, |withdrawn| !*withdrawn)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withdrawal_is_seen_by_every_clone_and_ends_a_wait() {
        let w = Withdrawal::default();
        assert!(!w.is_withdrawn());
        assert!(!w.wait(Duration::from_millis(1)));
        let other = w.clone();
        let waiter = std::thread::spawn(move || other.wait(Duration::from_secs(600)));
        w.withdraw();
        assert!(waiter.join().unwrap());
        assert!(w.is_withdrawn());
    }
}
