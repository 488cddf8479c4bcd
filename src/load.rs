//! Reading and checking a playbook file against the standard library's
//! kinds, as every command that takes a playbook does.

/// Reads and checks one file; a file that cannot be read is a result with
/// no plan and the one diagnostic saying why. Prints nothing.
pub fn load(path: &std::path::Path) -> runbook_dsl::load::Checked {
    let catalog = runbook_stdlib::builtin();
    match runbook_dsl::load::read(path) {
        Ok(file) => runbook_dsl::load::check(file, catalog),
        Err(unreadable) => runbook_dsl::load::Checked {
            file: unreadable.file,
            playbook: None,
            comments: Vec::new(),
            plan: None,
            diagnostics: vec![unreadable.diagnostic],
        },
    }
}
