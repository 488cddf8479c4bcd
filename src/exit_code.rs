//! The process's exit codes (docs/cli.md lists them).

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: `fmt --check` found unformatted files.
pub const UNFORMATTED: i32 = 1;
/// Exit code: `diff --fail-on` found a risk that severe, or `lint` found an error.
pub const FINDINGS: i32 = 1;
/// Exit code: invalid playbook or usage.
pub const INVALID: i32 = 2;
/// Exit code: an approval was rejected or is missing.
pub const REJECTED: i32 = 3;
/// Exit code: the steps succeeded but the journal could not be written
/// completely (a full disk): the record of the run is incomplete.
pub const JOURNAL_FAILED: i32 = 4;
/// Exit code: interrupted with no known signal (a signal N exits 128 + N).
pub const INTERRUPTED: i32 = 130;
