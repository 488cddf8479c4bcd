//! The runbook executor. It consumes a checked `runbook_dsl::plan::Plan`.
