//! The pest grammar (`runbook.pest`) and the [`Rule`]s pest derives from it,
//! which the tree builder (`parse.rs`) walks and the error wording
//! (`error.rs`) names.

#[derive(pest_derive::Parser)]
#[grammar = "runbook_syntax/runbook.pest"]
pub(super) struct RunbookParser;
