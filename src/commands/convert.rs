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
    // Said, not silently lost: neither printer carries the other syntax's
    // comments (the YAML front end keeps none, the YAML printer has no
    // place for them).
    let (left, into, keep) = match to {
        SyntaxArg::Yaml => (comments.len(), "the YAML", ".runbook"),
        SyntaxArg::Runbook if file.syntax() == Some(runbook_dsl::source::Syntax::Yaml) => (
            runbook_dsl::yaml_comments::count(file.text()),
            "the .runbook",
            "YAML",
        ),
        SyntaxArg::Runbook => (0, "", ""),
    };
    if left > 0 {
        eprintln!(
            "note: {left} comment{} of {} {} not carried into {into}; keep the {keep} file as the source, or copy {} by hand",
            if left == 1 { "" } else { "s" },
            path.display(),
            if left == 1 { "is" } else { "are" },
            if left == 1 { "it" } else { "them" },
        );
    }
    OK
}
