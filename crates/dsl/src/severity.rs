//! How serious a finding is. Its own module because both the diagnostics
//! and the stable codes (a lint rule's default severity) need it, and the
//! diagnostics need the codes.

use serde::Serialize;

/// Whether a finding fails `check` (or `lint`) or only warns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}
