//! How a step that tries again is said, in every view that says it: the
//! plain and live terminal views (after their marker) and the line a
//! calling step prints for a step of the playbook it calls.

use crate::event::Event;

/// A duration as a person reads it: `250ms`, `2.0s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

/// `STEP: attempt N failed (WHY); retrying in D` for a retry, `STEP: WHY
/// (attempt N); again in D` for a poll; `None` for any other event.
pub fn retry_or_poll(event: &Event) -> Option<String> {
    Some(match event {
        Event::StepRetrying {
            step,
            attempt,
            delay_ms,
            message,
        } => format!(
            "{step}: attempt {attempt} failed ({message}); retrying in {}",
            duration(*delay_ms)
        ),
        Event::StepPolling {
            step,
            attempt,
            every_ms,
            message,
        } => format!(
            "{step}: {message} (attempt {attempt}); again in {}",
            duration(*every_ms)
        ),
        _ => return None,
    })
}
