use super::{INVALID, OK};
use crate::cli::SyntaxArg;
use crate::diagnostics;
use runbook_dsl::{print, Diagnostics};
use std::path::Path;

/// `runbook convert FILE --to yaml|runbook`: the same playbook in the other syntax.
pub fn run(path: &Path, to: SyntaxArg) -> i32 {
    let catalog = runbook_stdlib::builtin();
    let file = match runbook_dsl::load::read(path) {
        Ok(file) => file,
        Err(unreadable) => {
            diagnostics::human(&unreadable.file, &[unreadable.diagnostic]);
            return INVALID;
        }
    };
    let mut diags = Diagnostics::new();
    let (playbook, comments) = runbook_dsl::load::parse(&file, catalog, &mut diags);
    let Some(playbook) = playbook.filter(|_| !diags.has_errors()) else {
        diagnostics::human(&file, &diags.into_sorted());
        return INVALID;
    };
    let out = match to {
        SyntaxArg::Yaml => print::yaml(&playbook),
        SyntaxArg::Runbook => print::runbook(&playbook, &comments, Some(file.text())),
    };
    print!("{out}");
    if to == SyntaxArg::Yaml && !comments.is_empty() {
        // Said, not silently lost: the YAML printer has no place for them.
        let n = comments.len();
        eprintln!(
            "note: {n} comment{} of {} {} not carried into the YAML; keep the .runbook file as the source, or copy {} by hand",
            if n == 1 { "" } else { "s" },
            path.display(),
            if n == 1 { "is" } else { "are" },
            if n == 1 { "it" } else { "them" },
        );
    }
    OK
}
