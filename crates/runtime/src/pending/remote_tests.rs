//! Unit tests of taking a remote decision, and of the decider learning
//! whether the run took it.

use super::*;
use crate::pending::target::Target;
use crate::pending::{decide, DecideError, Decided};
use std::time::Duration;

const RUN_ID: &str = "20261202T150000Z-1b2c3d";

/// A run directory under a scratch journal directory of its own, with one
/// published pending record of step `wipe`, as a waiting run leaves it.
struct Waiting {
    scratch: PathBuf,
    record: PendingRecord,
    published: Option<Published>,
}

impl Waiting {
    fn new(name: &str) -> Waiting {
        let scratch =
            std::env::temp_dir().join(format!("runbook-remote-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let run_dir = scratch.join(RUN_ID);
        std::fs::create_dir_all(&run_dir).unwrap();
        let gates = files::Gates::create(&run_dir).unwrap();
        let record = PendingRecord {
            pid: std::process::id(),
            starter_uid: current_uid(),
            nonce: "c".repeat(32),
            ..PendingRecord::for_tests(PendingKind::Gate, RUN_ID, "wipe")
        };
        let published = Published {
            pending: files::pending_name(&record.nonce),
            decision: files::decision_name(&record.nonce),
            gates,
        };
        published
            .gates
            .write_atomically(
                &published.pending,
                &serde_json::to_vec(&record).unwrap(),
                true,
            )
            .unwrap();
        Waiting {
            scratch,
            record,
            published: Some(published),
        }
    }

    fn exists(&self, name: &str) -> bool {
        self.scratch
            .join(RUN_ID)
            .join(files::GATES_DIR)
            .join(name)
            .exists()
    }

    /// `decide` from another thread, as `runbook approve` from another
    /// terminal, while this one plays the run.
    fn decide_meanwhile(
        &self,
        verdict: Verdict,
    ) -> std::thread::JoinHandle<Result<Decided, DecideError>> {
        let scratch = self.scratch.clone();
        std::thread::spawn(move || {
            decide(&scratch, RUN_ID, &Target::parse("wipe").unwrap(), &verdict)
        })
    }

    /// Waits until a decision file is there to take.
    fn until_decided(&self) {
        let decision = files::decision_name(&self.record.nonce);
        for _ in 0..500 {
            if self.exists(&decision) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("no decision was written");
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        drop(self.published.take());
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// The decider is told "decided" once the run took its decision, and a
/// second decision made after that is refused (it no longer waits), never
/// written as if it would be read.
#[test]
fn a_decision_taken_is_said_decided_and_a_later_one_is_refused() {
    let mut w = Waiting::new("take");
    let decider = w.decide_meanwhile(Verdict::Approve { reason: None });
    w.until_decided();
    let published = w.published.as_ref().unwrap();
    let taken = Remote::take(published, &w.record);
    assert!(
        matches!(taken, Some((Accepted::Approved { .. }, _, Via::Remote))),
        "the approval is taken"
    );
    let told = decider.join().unwrap();
    assert!(
        matches!(told, Ok(Decided { taken: true, .. })),
        "said taken: {told:?}"
    );
    assert!(
        w.exists(&files::taken_name(&w.record.nonce)),
        "the run's mark"
    );

    // The run has not dropped the record yet (it is on its way out of the
    // gate): a second person's "no" must not be reported as decided.
    let late = decide(
        &w.scratch,
        RUN_ID,
        &Target::parse("wipe").unwrap(),
        &Verdict::Reject {
            reason: Some("changed my mind".into()),
        },
    );
    assert!(
        matches!(late, Err(DecideError::NotPending { .. })),
        "{late:?}"
    );
    let decision = files::decision_name(&w.record.nonce);
    assert!(!w.exists(&files::pending_name(&w.record.nonce)));
    assert!(w.exists(&decision), "kept until the record is dropped");
    drop(w.published.take());
    assert!(!w.exists(&decision), "gone with the record");
    assert!(
        w.exists(&files::taken_name(&w.record.nonce)),
        "the mark stays for a decider who reads it late"
    );
}

/// The run's own terminal decided first (the record is dropped without
/// taking the file): a decision written meanwhile is not said decided,
/// and is removed.
#[test]
fn a_decision_the_run_never_read_is_said_not_taken() {
    let mut w = Waiting::new("dropped");
    let decider = w.decide_meanwhile(Verdict::Reject {
        reason: Some("no".into()),
    });
    w.until_decided();
    // The prompt won: the run leaves the gate without reading the file.
    drop(w.published.take());
    let told = decider.join().unwrap();
    match told {
        Err(DecideError::Changed(why)) => {
            assert!(why.contains("it was not taken"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!w.exists(&files::decision_name(&w.record.nonce)));
    assert!(!w.exists(&files::taken_name(&w.record.nonce)));
}

/// A mark that is not the run's (another user's file could be a forgery)
/// or names another decision never makes a decider say "decided".
#[test]
fn only_the_runs_mark_of_this_very_decision_says_decided() {
    let w = Waiting::new("mark");
    let published = w.published.as_ref().unwrap();
    // A mark naming another decision, written by the run's user.
    let other = TakenMark::of(current_uid(), b"{\"another\": true}");
    published
        .gates
        .write_atomically(
            &files::taken_name(&w.record.nonce),
            &serde_json::to_vec(&other).unwrap(),
            false,
        )
        .unwrap();
    let told = decide(
        &w.scratch,
        RUN_ID,
        &Target::parse("wipe").unwrap(),
        &Verdict::Approve { reason: None },
    );
    match told {
        Err(DecideError::Changed(why)) => {
            assert!(why.contains("another decision was taken"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!w.exists(&files::decision_name(&w.record.nonce)));
}
