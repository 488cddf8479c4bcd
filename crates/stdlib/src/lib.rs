//! The built-in step kinds of runbook.
