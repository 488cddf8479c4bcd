//! After a decision is written: whether the run read it. `decide` says
//! "decided" only of a decision the waiting run took (its mark,
//! [`super::TakenMark`], names it); one the run never read, because the
//! gate was decided or ended another way first, is removed and refused
//! (docs/run-store.md, "The decision file").

use super::decide::DecideError;
use super::files;
use super::record::{PendingRecord, TakenMark};
use crate::operator::current_uid;
use std::time::{Duration, Instant};

/// How long a decider waits for the run to say it took the decision. A
/// waiting run looks every 100 ms; past this, the decision stays written
/// for the run to read when it looks again, and is said decided.
const CONFIRM: Duration = Duration::from_secs(3);
/// How often the decider looks meanwhile.
const CONFIRM_POLL: Duration = Duration::from_millis(20);
/// The largest mark: a digest and two numbers, with room to spare.
const MAX_MARK_BYTES: u64 = 4096;

/// After a decision was written: waits until the run took it (its mark
/// names this decision: `Ok(true)`), or the gate ended without it. A
/// decision the run will never read is never said decided: the gate was
/// decided at the run's terminal, by someone else first, timed out, or the
/// run stopped waiting between the listing and the write. Such a decision
/// is removed. `Ok(false)`: the run said nothing within [`CONFIRM`], and
/// the decision stays written for it to read.
pub(super) fn confirm(
    gates: &files::Gates,
    record: &PendingRecord,
    bytes: &[u8],
    run_uid: Option<u32>,
) -> Result<bool, DecideError> {
    let me = current_uid();
    let step = &record.named_step();
    let taken = files::taken_name(&record.nonce);
    let decision = files::decision_name(&record.nonce);
    let pending = files::pending_name(&record.nonce);
    let not_taken = |how: &str| {
        gates.remove(&decision);
        Err(DecideError::Changed(format!(
            "`{step}` no longer waits: {how} before this decision was read, so it was not taken (`runbook report` says who decided)"
        )))
    };
    // The run's mark, of its own user only (another's would be a forgery):
    // whether it took this decision.
    let mark = || -> Option<bool> {
        let owned = gates.read_owned(&taken, MAX_MARK_BYTES).ok()??;
        if Some(owned.uid) != run_uid {
            return None;
        }
        let mark: TakenMark = serde_json::from_slice(&owned.bytes).ok()?;
        Some(mark.names(me, bytes))
    };
    let deadline = Instant::now() + CONFIRM;
    loop {
        // The files first, then the mark: the run writes its mark before
        // it retires the record, so a gate seen ended and no mark read
        // after it means the decision was not taken.
        let ended =
            matches!(gates.owner(&decision), Ok(None)) || matches!(gates.owner(&pending), Ok(None));
        match mark() {
            Some(true) => return Ok(true),
            Some(false) => return not_taken("another decision was taken"),
            None if ended => return not_taken("the gate was decided or ended another way"),
            None => {}
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(CONFIRM_POLL);
    }
}
