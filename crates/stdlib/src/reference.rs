//! The reference of the built-in kinds, rendered from their schemas into
//! `docs/stdlib.md`, so the documentation cannot drift from what `check`
//! enforces: a test fails when the committed file differs from this rendering.

use crate::kinds::ALL;
use runbook_dsl::catalog::{KindSchema, ParamType};
use runbook_dsl::encode::Encoding;
use runbook_runtime::AnyKind;
use std::fmt::Write;

/// Where the generated part of `docs/stdlib.md` begins.
pub const BEGIN_MARKER: &str = "<!-- kinds:begin -->";
/// Where the generated part of `docs/stdlib.md` ends.
pub const END_MARKER: &str = "<!-- kinds:end -->";

/// The Markdown reference of every built-in kind: parameters, results and
/// default effect, in the order of [`ALL`]. This is what goes between the
/// markers of `docs/stdlib.md`.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    for (i, builtin) in ALL.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_kind(&mut out, *builtin);
    }
    out
}

fn render_kind(out: &mut String, kind: &dyn AnyKind) {
    let schema: KindSchema = kind.schema();
    let name = schema.name;
    let _ = writeln!(out, "## `{name}`\n");
    let _ = writeln!(out, "{}\n", schema.summary);
    if let Some(shorthand) = schema.shorthand {
        let _ = writeln!(
            out,
            "Shorthand: a single value, `{name}: VALUE`, sets `{shorthand}`.\n"
        );
    }

    out.push_str("| Parameter | Type | Required | Description |\n");
    out.push_str("|---|---|---|---|\n");
    for p in &schema.params {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            p.name,
            cell(&type_name(&p.ty)),
            if p.required { "yes" } else { "" },
            cell(p.description),
        );
    }
    out.push('\n');

    if schema.results.is_empty() {
        out.push_str("Results: none.\n\n");
    } else {
        out.push_str("| Result | Type | Description |\n");
        out.push_str("|---|---|---|\n");
        for r in &schema.results {
            let primary = if r.name == schema.primary_result {
                " (primary)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| `{}`{primary} | {} | {} |",
                r.name,
                cell(&format!("`{}`", r.documented_type())),
                cell(r.description),
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "Default effect: {}", schema.effect_doc);
}

/// A compact name for a parameter type, for a table cell.
/// ([`ParamType::describe`] is the sentence form, for diagnostics.)
fn type_name(ty: &ParamType) -> String {
    match ty {
        ParamType::String => "string".into(),
        ParamType::Template => "template".into(),
        ParamType::ProseTemplate => "template (inserted values on one line)".into(),
        ParamType::ShellTemplate => "shell template".into(),
        ParamType::Encoded(encoding) => match encoding {
            Encoding::Url => "URL template",
            Encoding::ServiceUrl => "connection URL template",
            Encoding::JsonBody => "body template",
            Encoding::PromQl => "PromQL template",
            Encoding::K8sName => "name template",
            Encoding::LabelSelector => "label selector template",
            Encoding::FieldSelector => "field selector template",
            Encoding::FilePath => "file path template",
        }
        .into(),
        ParamType::Argv => "argv list of templates".into(),
        ParamType::Expr => "expression".into(),
        ParamType::Int => "int".into(),
        ParamType::Float => "float".into(),
        ParamType::Bool => "bool".into(),
        ParamType::Duration => "duration".into(),
        ParamType::Enum(words) => {
            let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
            format!("one of {}", words.join(", "))
        }
        ParamType::List(item) => format!("list of {}", plural(item)),
        ParamType::Map(value) => format!("map of {}", plural(value)),
        ParamType::OneOf(types) => {
            let names: Vec<String> = types.iter().map(type_name).collect();
            names.join(" or ")
        }
        ParamType::Any => "any".into(),
    }
}

fn plural(ty: &ParamType) -> String {
    match ty {
        ParamType::Enum(_) => type_name(ty),
        ParamType::List(item) => format!("lists of {}", plural(item)),
        ParamType::Map(value) => format!("maps of {}", plural(value)),
        ParamType::OneOf(types) => {
            let names: Vec<String> = types.iter().map(plural).collect();
            names.join(" or ")
        }
        ParamType::Any => "values".into(),
        _ => format!("{}s", type_name(ty)),
    }
}

/// Text made safe for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `document` with the text between the markers replaced by `generated`, or
/// `None` if the markers are missing or out of order.
pub fn splice(document: &str, generated: &str) -> Option<String> {
    let begin = document.find(BEGIN_MARKER)? + BEGIN_MARKER.len();
    let end = begin + document[begin..].find(END_MARKER)?;
    Some(format!(
        "{}\n\n{}\n{}",
        &document[..begin],
        generated,
        &document[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn docs_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/stdlib.md")
    }

    /// The committed reference is what the schemas say. Run with
    /// `UPDATE_DOCS=1` to rewrite it after changing a schema.
    #[test]
    fn docs_stdlib_md_is_up_to_date() {
        let path = docs_path();
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let expected = splice(&committed, &reference_markdown())
            .unwrap_or_else(|| panic!("{} lacks {BEGIN_MARKER} ... {END_MARKER}", path.display()));
        if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &expected).expect("writing docs/stdlib.md");
            return;
        }
        assert!(
            committed == expected,
            "docs/stdlib.md is out of date with the kinds' schemas; \
             run `UPDATE_DOCS=1 cargo test -p runbook-stdlib` and commit the result"
        );
    }

    #[test]
    fn every_kind_is_documented_with_every_parameter_and_result() {
        let doc = reference_markdown();
        for builtin in ALL {
            let schema = builtin.schema();
            assert!(doc.contains(&format!("## `{}`", schema.name)));
            for p in &schema.params {
                assert!(doc.contains(&format!("| `{}` |", p.name)), "{}", p.name);
            }
            for r in &schema.results {
                assert!(doc.contains(&format!("| `{}`", r.name)), "{}", r.name);
            }
        }
    }

    #[test]
    fn splice_replaces_only_between_the_markers() {
        let doc = format!("intro\n{BEGIN_MARKER}\nold\n{END_MARKER}\noutro\n");
        assert_eq!(
            splice(&doc, "new\n").unwrap(),
            format!("intro\n{BEGIN_MARKER}\n\nnew\n\n{END_MARKER}\noutro\n")
        );
        assert_eq!(splice("no markers", "x"), None);
        assert_eq!(splice(&format!("{END_MARKER}{BEGIN_MARKER}"), "x"), None);
    }

    #[test]
    fn compact_type_names() {
        let command = runbook_runtime::Kind::schema(&crate::kinds::shell::Shell)
            .param("command")
            .unwrap()
            .ty
            .clone();
        assert_eq!(
            type_name(&command),
            "shell template or argv list of templates"
        );
    }
}
