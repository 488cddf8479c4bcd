//! Unit tests of taking a remote decision.

use super::*;
use crate::pending::target::Target;
use crate::pending::{decide, DecideError};

/// Once the run has taken a decision, deciding the same record again is
/// refused (it no longer waits), never written as if it would be read: the
/// run retires the record before its decision file goes.
#[test]
fn a_decision_made_after_the_run_took_one_is_refused_not_reported_taken() {
    let scratch = std::env::temp_dir().join(format!("runbook-remote-take-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let run_id = "20261202T150000Z-1b2c3d";
    let run_dir = scratch.join(run_id);
    std::fs::create_dir_all(&run_dir).unwrap();
    let gates = files::Gates::create(&run_dir).unwrap();
    let record = PendingRecord {
        pid: std::process::id(),
        starter_uid: current_uid(),
        nonce: "c".repeat(32),
        ..PendingRecord::for_tests(PendingKind::Gate, run_id, "wipe")
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
    let target = Target::parse("wipe").unwrap();
    let approve = Verdict::Approve { reason: None };
    let reject = Verdict::Reject {
        reason: Some("changed my mind".into()),
    };
    decide(&scratch, run_id, &target, &approve).unwrap();

    let taken = Remote::take(&published, &record);
    assert!(
        matches!(taken, Some((Accepted::Approved { .. }, _, Via::Remote))),
        "the approval is taken"
    );
    // The run has not dropped the record yet (it is on its way out of the
    // gate): a second person's "no" must not be reported as decided.
    let late = decide(&scratch, run_id, &target, &reject);
    assert!(
        matches!(late, Err(DecideError::NotPending { .. })),
        "{late:?}"
    );
    let exists = |name: &str| run_dir.join(files::GATES_DIR).join(name).exists();
    assert!(!exists(&published.pending));
    assert!(
        exists(&published.decision),
        "kept until the record is dropped"
    );
    let decision = published.decision.clone();
    drop(published);
    assert!(!exists(&decision), "gone with the record");
    let _ = std::fs::remove_dir_all(&scratch);
}
