//! From a path or a text to a checked plan: read, pick the front end by
//! extension, lower ([`crate::playbook_file`]), analyze. What every command
//! starts with.

use crate::analyze::analyze;
use crate::ast::Playbook;
use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::plan::Plan;
use crate::runbook_syntax::Comment;
use crate::source::SourceFile;

pub use crate::playbook_file::{parse, read, Unreadable};

/// Everything known about one file after checking it.
#[derive(Debug)]
pub struct Checked {
    pub file: SourceFile,
    /// The model as written, when the file could be parsed but did not
    /// check clean (otherwise it is inside the plan: see [`Checked::playbook`]).
    pub playbook: Option<Playbook>,
    /// Comments of a `.runbook` file, for `fmt`.
    pub comments: Vec<Comment>,
    /// The plan, when there was no error.
    pub plan: Option<Plan>,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// The model as written, from the plan or from the failed check.
    pub fn playbook(&self) -> Option<&Playbook> {
        self.plan
            .as_ref()
            .map(Plan::playbook)
            .or(self.playbook.as_ref())
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and checks the playbook at `path`; a file that cannot be read is
/// checked as its one diagnostic (`runbook::io`, ...).
pub fn check_path(path: &std::path::Path, catalog: &dyn Catalog) -> Checked {
    match read(path) {
        Ok(file) => check(file, catalog),
        Err(unreadable) => Checked {
            file: unreadable.file,
            playbook: None,
            comments: Vec::new(),
            plan: None,
            diagnostics: vec![unreadable.diagnostic],
        },
    }
}

/// Parses, lowers and analyzes a file.
pub fn check(file: SourceFile, catalog: &dyn Catalog) -> Checked {
    let mut diags = Diagnostics::new();
    let (playbook, comments) = parse(&file, catalog, &mut diags);
    // Analysis goes on after shape errors, to report reference errors too.
    let (plan, playbook) = match playbook.map(|p| analyze(&file, p, catalog, &mut diags)) {
        Some(Ok(plan)) => (Some(plan), None),
        Some(Err(playbook)) => (None, Some(*playbook)),
        None => (None, None),
    };
    Checked {
        file,
        playbook,
        comments,
        plan,
        diagnostics: diags.into_sorted(),
    }
}
