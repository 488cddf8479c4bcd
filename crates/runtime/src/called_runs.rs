//! The cleanups of called playbooks that did not finish, as their callers
//! name them (`` `host.unmaint` (cancelled) ``): a run's end says them
//! with its own (`run_finished.cleanup_unfinished`, stderr, the report,
//! `runs`), since what a called cleanup undoes is as much in place as what
//! the caller's would be. Each called run adds its list, its own calls'
//! included, under its call's address once it ends.

use std::sync::{Arc, Mutex};

/// Shared by a runner and the steps it runs (through their context).
#[derive(Clone, Debug, Default)]
pub struct CalledCleanups(Arc<Mutex<Vec<String>>>);

impl CalledCleanups {
    /// Notes the unfinished cleanups of the run called at `call` (`CALL`,
    /// `CALL[INDEX]`), each `` `ID` (state) `` as that run says them.
    pub fn note(&self, call: &str, unfinished: &[String]) {
        if unfinished.is_empty() {
            return;
        }
        if let Ok(mut all) = self.0.lock() {
            all.extend(
                unfinished
                    .iter()
                    .map(|entry| match entry.strip_prefix('`') {
                        Some(rest) => format!("`{call}.{rest}"),
                        None => format!("{call}: {entry}"),
                    }),
            );
        }
    }

    /// What was noted, in the order the called runs ended.
    pub fn noted(&self) -> Vec<String> {
        self.0.lock().map(|all| all.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::CalledCleanups;

    #[test]
    fn entries_take_the_calls_address() {
        let noted = CalledCleanups::default();
        noted.note(
            "each[1]",
            &["`unmaint` (cancelled)".into(), "`inner.x` (not run)".into()],
        );
        noted.note("quiet", &[]);
        assert_eq!(
            noted.noted(),
            [
                "`each[1].unmaint` (cancelled)",
                "`each[1].inner.x` (not run)"
            ]
        );
    }
}
