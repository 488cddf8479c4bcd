//! What the playbooks a run's steps called leave for the run itself, once
//! each called run ended:
//!
//! - the cleanups that did not finish, as the caller names them
//!   (`` `host.unmaint` (cancelled) ``): a run's end says them with its
//!   own (`run_finished.cleanup_unfinished`, stderr, the report, `runs`),
//!   since what a called cleanup undoes is as much in place as what the
//!   caller's would be;
//! - the strings their outputs declared `secret: false`: the calling step
//!   that used a secret captures the called outputs, and would otherwise
//!   register those strings as derived from the secret and show them as
//!   `***` (a host's health status read with a token).
//!
//! Each called run adds its own, its own calls' included.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// Shared by a runner and the steps it runs (through their context).
#[derive(Clone, Debug, Default)]
pub struct CalledRuns(Arc<Mutex<Noted>>);

#[derive(Debug, Default)]
struct Noted {
    unfinished: Vec<String>,
    plain: BTreeSet<String>,
}

impl CalledRuns {
    /// Notes the unfinished cleanups of the run called at `call` (`CALL`,
    /// `CALL[INDEX]`), each `` `ID` (state) `` as that run says them.
    pub fn note_unfinished(&self, call: &str, unfinished: &[String]) {
        if unfinished.is_empty() {
            return;
        }
        if let Ok(mut noted) = self.0.lock() {
            noted.unfinished.extend(
                unfinished
                    .iter()
                    .map(|entry| match entry.strip_prefix('`') {
                        Some(rest) => format!("`{call}.{rest}"),
                        None => format!("{call}: {entry}"),
                    }),
            );
        }
    }

    /// The unfinished cleanups noted, in the order the called runs ended.
    pub fn unfinished(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|noted| noted.unfinished.clone())
            .unwrap_or_default()
    }

    /// Notes the strings a called run's outputs declared `secret: false`.
    pub fn note_plain(&self, plain: impl IntoIterator<Item = String>) {
        if let Ok(mut noted) = self.0.lock() {
            noted.plain.extend(plain);
        }
    }

    /// The plain strings noted since the last call.
    pub fn take_plain(&self) -> BTreeSet<String> {
        self.0
            .lock()
            .map(|mut noted| std::mem::take(&mut noted.plain))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::CalledRuns;

    #[test]
    fn entries_take_the_calls_address() {
        let noted = CalledRuns::default();
        noted.note_unfinished(
            "each[1]",
            &["`unmaint` (cancelled)".into(), "`inner.x` (not run)".into()],
        );
        noted.note_unfinished("quiet", &[]);
        assert_eq!(
            noted.unfinished(),
            [
                "`each[1].unmaint` (cancelled)",
                "`each[1].inner.x` (not run)"
            ]
        );
        noted.note_plain(["ok".to_string()]);
        assert_eq!(noted.take_plain().len(), 1);
        assert!(noted.take_plain().is_empty());
    }
}
