//! Lowering: the spanned node tree (from either syntax) -> the playbook model.
//!
//! This is where the shape of a playbook is checked: unknown and duplicate
//! fields, wrong types, ids, durations. It runs the same for YAML and
//! `.runbook`, so both syntaxes get the same diagnostics.

use crate::ast::*;
use crate::catalog::Catalog;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::node::{Entry, Node};
use crate::source::Spanned;
use crate::suggest;

mod ask;
mod branch;
mod data_var;
mod for_each;
mod outputs;
mod playbook;
mod policies;
mod scalars;
mod step;

/// Fields of the playbook itself.
pub const PLAYBOOK_FIELDS: &[&str] = &[
    "name",
    "title",
    "description",
    "owners",
    "tags",
    "inputs",
    "vars",
    "output_cap",
    "steps",
];
/// Fields of an input.
pub const INPUT_FIELDS: &[&str] = &[
    "type",
    "description",
    "default",
    "required",
    "secret",
    "env",
    "choices",
];
/// Fields every step may have besides its kind.
pub const STEP_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "needs",
    "when",
    "effect",
    "approval",
    "timeout",
    "retry",
    "until",
    "on_failure",
    "outputs",
    "lint",
    "for_each",
    "as",
    "label",
    "parallel",
    "on_item_failure",
    "approval_per_item",
    "output_cap",
    "finally",
];
/// Fields of an output.
pub const OUTPUT_FIELDS: &[&str] = &[
    "from",
    "json",
    "regex",
    "lines",
    "separator",
    "select",
    "type",
    "secret",
    "default",
];
pub use for_each::{LOOP_FIELDS, MAX_PARALLEL};
/// Kinds the language itself defines (not catalog kinds).
pub const LANGUAGE_KINDS: &[&str] = &["branch", "triage", "manual", "ask"];

/// Lowers a document tree into a playbook. Problems are pushed to `diags`;
/// the playbook returned holds everything that could be read.
pub fn lower(root: &Node, catalog: &dyn Catalog, diags: &mut Diagnostics) -> Playbook {
    let mut lowerer = Lowerer {
        catalog,
        diags,
        unreadable: Vec::new(),
        valid_regexes: std::collections::HashSet::new(),
    };
    let mut playbook = lowerer.playbook(root);
    playbook.unreadable_steps = lowerer.unreadable;
    playbook
}

struct Lowerer<'a> {
    catalog: &'a dyn Catalog,
    diags: &'a mut Diagnostics,
    unreadable: Vec<Spanned<String>>,
    /// Output patterns already parsed without error: a playbook repeats
    /// the same few (`(\d+) lines`), and parsing one (Unicode classes
    /// included) costs about 20,000 instructions.
    valid_regexes: std::collections::HashSet<String>,
}

/// The entries of a mapping, with duplicates reported once and fields taken by name.
struct Fields<'n> {
    entries: Vec<&'n Entry>,
    taken: Vec<bool>,
}

impl<'n> Fields<'n> {
    fn take(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.entries.iter().position(|e| e.key.value == key)?;
        self.taken[i] = true;
        Some(&self.entries[i].value)
    }

    fn take_entry(&mut self, key: &str) -> Option<&'n Entry> {
        let i = self.entries.iter().position(|e| e.key.value == key)?;
        self.taken[i] = true;
        Some(self.entries[i])
    }

    fn rest(&self) -> impl Iterator<Item = &'n Entry> + '_ {
        self.entries
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| !**taken)
            .map(|(e, _)| *e)
    }
}

impl Lowerer<'_> {
    pub(super) fn error(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    pub(super) fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            Diagnostic::error(
                Code::WrongType,
                format!("{what} must be {expected}, found {}", node.type_name()),
            )
            .label(node.span, format!("expected {expected}")),
        );
    }

    /// The fields of a mapping; duplicates are reported and the first kept.
    pub(super) fn fields<'n>(&mut self, node: &'n Node, what: &str) -> Option<Fields<'n>> {
        let Some(entries) = node.as_map() else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut kept: Vec<&Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(first) = kept.iter().find(|e| e.key.value == entry.key.value) {
                self.error(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        format!("`{}` is given twice", entry.key.value),
                    )
                    .label(entry.key.span, "given again here")
                    .label(first.key.span, "first given here")
                    .help("remove one of them"),
                );
            } else {
                kept.push(entry);
            }
        }
        let taken = vec![false; kept.len()];
        Some(Fields {
            entries: kept,
            taken,
        })
    }

    pub(super) fn unknown_fields(&mut self, fields: &Fields, allowed: &[&str], what: &str) {
        let unknown: Vec<&Entry> = fields.rest().collect();
        for entry in unknown {
            self.error(
                Diagnostic::error(
                    Code::UnknownField,
                    format!("{what} has no field `{}`", entry.key.value),
                )
                .label(entry.key.span, "unknown field")
                .with_help(suggest::help_for(
                    "field",
                    &entry.key.value,
                    allowed.iter().copied(),
                )),
            );
        }
    }
}

/// The items kept of `written` items, in a vector sized for them. The model
/// of a playbook lives as long as its plan, and collecting a filtered
/// iterator rounds a small vector up to four items (for the one output of a
/// step, 1,300 bytes held for nothing).
fn sized<T>(written: usize, kept: impl Iterator<Item = T>) -> Vec<T> {
    let mut items = Vec::with_capacity(written);
    items.extend(kept);
    items
}

/// `an int`, `a string`.
/// The path of this dialect a kubectl-style `{.status.readyReplicas}` means.
fn kubectl_form(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    let inner = inner.strip_prefix('$').unwrap_or(inner);
    let inner = inner.strip_prefix('.').unwrap_or(inner);
    Some(format!("$.{inner}"))
}

fn article(word: &str) -> String {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

/// The id a step was written with, whatever its validity.
fn fields_id(node: &Node) -> Option<Spanned<String>> {
    let id = node.get("id")?;
    Some(Spanned::new(id.scalar_string()?, id.span))
}

/// Whether a name can be used as a step, input or output id.
pub fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub use crate::duration::parse_duration;

fn first_line(text: &str) -> String {
    text.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("invalid")
        .trim()
        .to_string()
}
