//! From a path or a text to a checked plan: read, pick the front end by
//! extension, lower, analyze. What every command starts with.

use crate::analyze::analyze;
use crate::ast::Playbook;
use crate::catalog::Catalog;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lower::lower;
use crate::plan::Plan;
use crate::runbook_syntax::{self, Comment};
use crate::source::{SourceFile, Span, Syntax};
use crate::yaml;

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
    let bytes = crate::user_file::read(path, crate::user_file::MAX_FILE_BYTES).map_err(|e| {
        (
            empty(),
            Diagnostic::error(Code::Io, format!("cannot read `{name}`: {e}"))
                .help("check the path and its permissions"),
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
