//! A playbook file read from disk (bounded, UTF-8) and parsed into the
//! model with the front end its extension names, then lowered, without
//! analysis: what `load` checks, what `fmt` and `convert` print, and what
//! the analyzer reads for a called playbook (`analyze/subplaybook.rs`).

use crate::ast::Playbook;
use crate::catalog::Catalog;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lower::lower;
use crate::runbook_syntax::{self, Comment};
use crate::source::{SourceFile, Span, Syntax};
use crate::yaml;

/// A file that could not be read, as a diagnostic against what was read of it.
#[derive(Debug)]
pub struct Unreadable {
    pub file: SourceFile,
    pub diagnostic: Diagnostic,
}

/// Reads a playbook file. Errors are diagnostics too (`runbook::io`, ...),
/// returned with an empty source named after the path.
pub fn read(path: &std::path::Path) -> Result<SourceFile, Box<Unreadable>> {
    read_inner(path).map_err(|(file, diagnostic)| Box::new(Unreadable { file, diagnostic }))
}

#[allow(clippy::result_large_err)] // boxed by `read`, its only caller
fn read_inner(path: &std::path::Path) -> Result<SourceFile, (SourceFile, Diagnostic)> {
    let name = path.display().to_string();
    let empty = || SourceFile::new(name.clone(), "");
    if Syntax::from_path(&name).is_none() {
        return Err((
            empty(),
            Diagnostic::error(
                Code::UnknownExtension,
                format!("`{name}` is not a playbook file"),
            )
            .help("playbooks end in `.yaml`, `.yml` or `.runbook`"),
        ));
    }
    let bytes =
        crate::user_file::read(path, crate::user_file::MAX_PLAYBOOK_BYTES).map_err(|e| {
            (
                empty(),
                Diagnostic::error(Code::Io, format!("cannot read `{name}`: {e}")).help(
                    if e.kind() == std::io::ErrorKind::FileTooLarge {
                        "split it into playbooks that call each other (`playbook` steps)"
                    } else {
                        "check the path and its permissions"
                    },
                ),
            )
        })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = SourceFile::new(name.clone(), text);
            let (line, column) = file.line_col(at);
            Err((
                file,
                Diagnostic::error(
                    Code::InvalidUtf8,
                    format!("`{name}` is not valid UTF-8 (line {line}, column {column})"),
                )
                .label(Span::new(at, at + 1), "invalid byte")
                .help("save the file as UTF-8"),
            ))
        }
    }
}

/// Parses and lowers a file into the model, without analysis (for `fmt` and `convert`).
pub fn parse(
    file: &SourceFile,
    catalog: &dyn Catalog,
    diags: &mut Diagnostics,
) -> (Option<Playbook>, Vec<Comment>) {
    let (node, comments) = match file.syntax() {
        Some(Syntax::Yaml) => (yaml::parse(file, diags), Vec::new()),
        Some(Syntax::Runbook) => match runbook_syntax::parse(file, diags) {
            Some(parsed) => (Some(parsed.node), parsed.comments),
            None => (None, Vec::new()),
        },
        None => {
            diags.push(
                Diagnostic::error(
                    Code::UnknownExtension,
                    format!("`{}` is not a playbook file", file.name()),
                )
                .help("playbooks end in `.yaml`, `.yml` or `.runbook`"),
            );
            (None, Vec::new())
        }
    };
    (node.map(|node| lower(&node, catalog, diags)), comments)
}
