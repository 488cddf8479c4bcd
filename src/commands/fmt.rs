use super::{INVALID, OK, UNFORMATTED};
use crate::diagnostics;
use runbook_dsl::{print, Diagnostics, Syntax};
use std::path::PathBuf;

/// `runbook fmt FILE...`: rewrites `.runbook` files canonically, keeping comments.
pub fn run(files: &[PathBuf], check: bool) -> i32 {
    let catalog = runbook_stdlib::builtin();
    let mut status = OK;
    for path in files {
        let file = match runbook_dsl::load::read(path) {
            Ok(file) => file,
            Err(unreadable) => {
                diagnostics::human(&unreadable.file, &[unreadable.diagnostic]);
                status = INVALID;
                continue;
            }
        };
        if file.syntax() != Some(Syntax::Runbook) {
            eprintln!(
                "runbook fmt: `{}` is not a `.runbook` file; YAML playbooks are left as written",
                file.name()
            );
            status = INVALID;
            continue;
        }
        let mut diags = Diagnostics::new();
        let (playbook, comments) = runbook_dsl::load::parse(&file, catalog, &mut diags);
        let Some(playbook) = playbook.filter(|_| !diags.has_errors()) else {
            diagnostics::human(&file, &diags.into_sorted());
            status = INVALID;
            continue;
        };
        let formatted = print::runbook(&playbook, &comments, Some(file.text()));
        if formatted == file.text() {
            continue;
        }
        if check {
            println!("{} is not formatted", file.name());
            if status == OK {
                status = UNFORMATTED;
            }
        } else if let Err(e) = std::fs::write(path, formatted) {
            eprintln!("runbook fmt: cannot write `{}`: {e}", file.name());
            status = INVALID;
        }
    }
    status
}
