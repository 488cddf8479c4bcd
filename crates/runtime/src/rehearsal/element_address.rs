//! Addresses in a scenario that name one element's called run of a loop over
//! a `playbook` step: `CALL[INDEX].STEP` (`each[1].first`) or
//! `CALL[LABEL].STEP` (`each[web-2].first`; in quotes, any label:
//! `each["80"].first` for a label that is a number, `each["a\"].b"].first`),
//! nested as `OUTER[0].CALL[web-2].STEP`. Without a selector, `CALL.STEP`
//! names the step in any element's run (reached when one element reached
//! it; scripted for every element). Under `steps:`, `answers:` and
//! `gates:` they script that element's run ([`super::element_scripts`]).
//!
//! Checked before any scenario runs (the address's steps, that a selected
//! step is a loop, and, when the scenario makes the list known, that the
//! element is in it, with its labels as did-you-mean), then made canonical
//! for the run that was rehearsed ([`super::run_address`]).

use super::address::{resolve_chain, Addressed};
use super::elements::{check_element, ElementRef};
use super::prepare::{scripted_labels, Prepared};
use runbook_dsl::catalog::Catalog;
use runbook_dsl::plan::Plan;
use runbook_dsl::{Code, Diagnostic, Diagnostics, Spanned};
use std::sync::Arc;

/// One step of an address, and which element of it when it is a loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub id: String,
    pub element: Option<Selector>,
}

/// Which element: by position or by label, as everywhere a person names
/// one.
pub use crate::element_name::Selector;

/// Whether an address selects an element anywhere.
pub fn selects(address: &str) -> bool {
    address.contains('[')
}

/// Reads `A[SEL].B.C[SEL].D`. A selector is a position (digits), a label
/// in quotes (`"..."`, with `\"` and `\\` escapes: any label, one that
/// holds `].` or is a number too), or a label as it is, which ends at the
/// first `]` followed by `.` or the end (so it may hold `.` and `:`:
/// `each[10.0.0.1:9100].probe`).
pub fn parse(address: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = address;
    loop {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let id = &rest[..end];
        if id.is_empty() {
            return Err("a step id is missing".into());
        }
        rest = &rest[end..];
        let mut element = None;
        if let Some(open) = rest.strip_prefix('[') {
            let (selector, after) = match open.strip_prefix('"') {
                Some(quoted) => quoted_label(id, quoted)?,
                None => bare_selector(id, open)?,
            };
            element = Some(selector);
            rest = after;
        }
        parts.push(Part {
            id: id.to_string(),
            element,
        });
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None if rest.is_empty() => return Ok(parts),
            None => return Err(format!("expected `.` after `{id}`")),
        }
    }
}

/// `"LABEL"]` (after the opening quote): the label with its escapes
/// undone, and what follows the `]`.
fn quoted_label<'a>(id: &str, quoted: &'a str) -> Result<(Selector, &'a str), String> {
    let mut label = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let after = &quoted[at + 1..];
                let Some(after) = after.strip_prefix(']') else {
                    return Err(format!(
                        "the quoted label after `{id}[` is not followed by `]`"
                    ));
                };
                if label.is_empty() {
                    return Err(format!("`{id}[\"\"]` names no element"));
                }
                return Ok((Selector::Label(label), after));
            }
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => label.push(e),
                _ => {
                    return Err(format!(
                        "in the quoted label after `{id}[`, `\\` escapes only `\"` and `\\`"
                    ))
                }
            },
            c => label.push(c),
        }
    }
    Err(format!("the quote after `{id}[` is never closed"))
}

/// `SEL]` not in quotes (after the `[`): a position, or a label up to the
/// first `]` followed by `.` or the end; and what follows the `]`.
fn bare_selector<'a>(id: &str, open: &'a str) -> Result<(Selector, &'a str), String> {
    let close = open
        .match_indices(']')
        .map(|(at, _)| at)
        .find(|&at| open[at + 1..].is_empty() || open[at + 1..].starts_with('.'))
        .ok_or_else(|| format!("the `[` after `{id}` is never closed"))?;
    let selector = &open[..close];
    let element = match selector.parse::<usize>() {
        Ok(index) => Selector::Index(index),
        Err(_) if selector.is_empty() => return Err(format!("`{id}[]` names no element")),
        Err(_) => Selector::Label(selector.to_string()),
    };
    Ok((element, &open[close + 1..]))
}

/// A selector as an address writes it, so that [`parse`] reads it back:
/// a label in quotes (escaped) when it would not read back as itself
/// bare (a number, a `]`, a leading quote, a control character).
pub fn selector_text(selector: &Selector) -> String {
    match selector {
        Selector::Index(i) => i.to_string(),
        Selector::Label(label) => {
            let bare = !label.is_empty()
                && label.parse::<usize>().is_err()
                && !label.starts_with('"')
                && !label.contains(']')
                && !label.chars().any(char::is_control);
            if bare {
                return label.clone();
            }
            let mut out = String::from('"');
            for c in label.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            out
        }
    }
}

/// An address as the scenario writes it: `CALL[SEL].STEP`, each label
/// quoted when it needs to be ([`selector_text`]).
pub fn written(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match &p.element {
            Some(selector) => format!("{}[{}]", p.id, selector_text(selector)),
            None => p.id.clone(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `text` as a YAML scalar that reads back as itself where a hint puts it
/// (a key under `steps:`, an item of a block list): as it is when that is
/// safe, else in single quotes, or in double quotes (JSON's escapes, which
/// YAML reads) when it holds a control character.
pub fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.[]/@+".contains(c) || c == ':')
        && !text.contains(": ")
        && !text.ends_with(':')
        && !text.starts_with(['[', ']', '-', ':']);
    if plain {
        text.to_string()
    } else if text.chars().any(char::is_control) {
        serde_json::Value::from(text).to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// `text` with each address in backticks that names the same loops as
/// `parts` given their selectors back, as `as_written` has them.
fn reselected(text: &str, as_written: &str, parts: &[Part]) -> String {
    let mut out = String::new();
    for (n, piece) in text.split('`').enumerate() {
        if n > 0 {
            out.push('`');
        }
        let ids: Vec<&str> = piece.split('.').collect();
        // An address of the same steps as far as they select elements.
        let inside = n % 2 == 1
            && ids.len() == parts.len()
            && piece != as_written
            && ids
                .iter()
                .zip(parts)
                .all(|(id, part)| part.element.is_none() || *id == part.id);
        if !inside {
            out.push_str(piece);
            continue;
        }
        let with: Vec<Part> = ids
            .iter()
            .zip(parts)
            .map(|(id, part)| Part {
                id: id.to_string(),
                element: part.element.clone(),
            })
            .collect();
        out.push_str(&written(&with));
    }
    out
}

/// The address with no element selected: `CALL.STEP`.
pub fn unselected(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// Checks an address a scenario names under `steps:`, `answers:`,
/// `gates:` or `expect:` (`STEP`, `CALL.STEP`, `CALL[SEL].STEP`) and gives
/// the step found at each of its parts. Under `gates:` (`gate`),
/// `STEP[SEL]` also names the gate of one element of a loop asked per
/// element (`approval_per_item`): `clean[1]: reject`.
pub fn resolve_address(
    plan: &Arc<Plan>,
    catalog: &dyn Catalog,
    prepared: &Prepared,
    id: &Spanned<String>,
    gate: bool,
    diags: &mut Diagnostics,
) -> Option<Vec<Addressed>> {
    if !selects(&id.value) {
        return resolve_chain(plan, catalog, id, diags);
    }
    let shape = "address one element's run of a loop over a `playbook` step as `CALL[INDEX].STEP` or `CALL[LABEL].STEP`, any label in quotes with `\\\"` and `\\\\` escaped (`CALL[\"we]ird\"].STEP`); quote the whole address in a YAML flow list: `[\"each[1].first\"]`";
    let parts = match parse(&id.value) {
        Ok(parts) => parts,
        Err(why) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{}` is not an address: {why}", id.value),
                )
                .label(id.span, "not an address")
                .help(shape),
            );
            return None;
        }
    };
    let mut unresolved = Diagnostics::new();
    let Some(chain) = resolve_chain(
        plan,
        catalog,
        &Spanned::new(unselected(&parts), id.span),
        &mut unresolved,
    ) else {
        // "did you mean `each.ping`?" for `each[0].pnig`: `each[0].ping`.
        diags.extend(unresolved.into_iter().map(|mut diagnostic| {
            diagnostic.message = reselected(&diagnostic.message, &id.value, &parts);
            diagnostic.help = diagnostic
                .help
                .map(|help| reselected(&help, &id.value, &parts));
            diagnostic
        }));
        return None;
    };
    let mut ok = true;
    let last = parts.len() - 1;
    for (at, (part, step)) in parts.iter().zip(&chain).enumerate() {
        let looped = step.plan.step_plan(step.index).iteration.is_some();
        let asks_per_element = || {
            step.plan
                .step(step.index)
                .0
                .for_each
                .as_ref()
                .is_some_and(|f| f.approval_per_item())
        };
        let calls = step.plan.step_plan(step.index).capabilities.calls_playbook;
        let problem = match (&part.element, looped) {
            // The gate of one element, under `gates:`.
            (Some(_), true) if at == last && gate && asks_per_element() => None,
            (Some(_), false) => Some((
                format!("`{}` is not a `for_each` step: it has no elements to address", part.id),
                if calls && at < last {
                    format!("write `{}.STEP` for the step of the playbook it calls", part.id)
                } else {
                    format!("write `{}` alone", part.id)
                },
            )),
            (Some(_), true) if at == last => Some((
                format!("`{}` selects an element of `{}` and names no step in its run", id.value, part.id),
                if gate {
                    format!("an element's own gate is decided under `gates:` only in a loop with `approval_per_item: true`; `{}` asks one gate for all its elements: decide it as `{}`", part.id, part.id)
                } else {
                    format!("an element of a loop is addressed to name a step of its called playbook (`{}[1].STEP`); expect the elements' states under `loops:`", part.id)
                },
            )),
            (None, true) if at < last => Some((
                format!("`{}` runs once per element: `{}` selects an element of one loop and not of this one", part.id, id.value),
                format!("select an element of every loop on the way (`{}[0]....`), or of none (`CALL.STEP` is reached when any element reaches it)", part.id),
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            diags.push(
                Diagnostic::error(Code::InvalidValue, message)
                    .label(id.span, "cannot be addressed so")
                    .help(help),
            );
            ok = false;
            continue;
        }
        let Some(selector) = &part.element else {
            continue;
        };
        // The element must be in the list, when the scenario makes it known.
        if let Some(labels) = scripted_labels(plan, step, catalog, prepared) {
            let element = ElementRef {
                index: match selector {
                    Selector::Index(i) => Some(Spanned::new(*i, id.span)),
                    Selector::Label(_) => None,
                },
                label: match selector {
                    Selector::Label(l) => Some(Spanned::new(l.clone(), id.span)),
                    Selector::Index(_) => None,
                },
                span: id.span,
            };
            let mut found = Diagnostics::new();
            check_element(&part.id, &element, &labels, &mut found);
            ok &= found.is_empty();
            diags.extend(found.into_iter().map(|mut diagnostic| {
                diagnostic.help = diagnostic
                    .help
                    .map(|help| closest_address(&help, &parts, at));
                diagnostic
            }));
        }
    }
    ok.then_some(chain)
}

/// The help of a label no element has, `did you mean `web-1`? (its
/// elements: ...)`, with the closest label as the whole address that
/// selects it at part `at` (in quotes when it needs them), so it can be
/// written back as it is.
fn closest_address(help: &str, parts: &[Part], at: usize) -> String {
    let Some((label, rest)) = help.strip_prefix("did you mean `").and_then(|h| {
        h.rfind("`? (its elements: ")
            .map(|end| (&h[..end], &h[end..]))
    }) else {
        return help.to_string();
    };
    let mut named = parts.to_vec();
    named[at].element = Some(Selector::Label(label.to_string()));
    format!("did you mean `{}{rest}", written(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str, element: Option<Selector>) -> Part {
        Part {
            id: id.into(),
            element,
        }
    }

    #[test]
    fn addresses_select_elements_by_position_or_label() {
        assert_eq!(
            parse("each[1].first").unwrap(),
            vec![part("each", Some(Selector::Index(1))), part("first", None)]
        );
        assert_eq!(
            parse("each[10.0.0.1:9100].probe").unwrap(),
            vec![
                part("each", Some(Selector::Label("10.0.0.1:9100".into()))),
                part("probe", None)
            ]
        );
        assert_eq!(
            parse("outer[0].each[\"80\"].x").unwrap(),
            vec![
                part("outer", Some(Selector::Index(0))),
                part("each", Some(Selector::Label("80".into()))),
                part("x", None)
            ]
        );
        assert_eq!(
            parse("a.b").unwrap(),
            vec![part("a", None), part("b", None)]
        );
        for bad in ["each[1.first", "each[].x", ".x", "each[1]x", "a..b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    /// In quotes, a label may hold anything: `].`, quotes, backslashes,
    /// spaces, `#`, unicode; [`written`] quotes exactly the labels that
    /// need it, and what it writes reads back as the same label.
    #[test]
    fn quoted_labels_hold_any_label_and_read_back() {
        assert_eq!(
            parse(r#"each["we]ird.label"].x"#).unwrap(),
            vec![
                part("each", Some(Selector::Label("we]ird.label".into()))),
                part("x", None)
            ]
        );
        assert_eq!(
            parse(r#"each["a \"q\" \\ b"].x"#).unwrap()[0].element,
            Some(Selector::Label(r#"a "q" \ b"#.into()))
        );
        for hostile in [
            "we]ird.label",
            "].",
            "a].b].c",
            "\"quoted\"",
            "back\\slash\\",
            "two words",
            "# not a comment",
            "$(touch pwned)",
            "`touch pwned`",
            "it's",
            "443",
            "0",
            "web-2",
            "10.0.0.1:9100",
            "ünï cödé ✓",
            "x]",
            "[y]",
            "tab\there",
            "'single'",
            "ends with ]",
        ] {
            let parts = vec![
                part("outer", Some(Selector::Index(3))),
                part("each", Some(Selector::Label(hostile.into()))),
                part("x", None),
            ];
            let text = written(&parts);
            assert_eq!(parse(&text).unwrap(), parts, "{hostile:?} as {text}");
        }
        assert_eq!(
            written(&[
                part("each", Some(Selector::Label("web-2".into()))),
                part("x", None)
            ]),
            "each[web-2].x"
        );
        assert_eq!(
            written(&[
                part("each", Some(Selector::Label("80".into()))),
                part("x", None)
            ]),
            "each[\"80\"].x"
        );
        for bad in [
            r#"each["a].x"#,
            r#"each["a"x].y"#,
            r#"each[""].x"#,
            r#"each["a\n"].x"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    /// A hint's address as YAML reads back as the same text.
    #[test]
    fn yaml_scalars_read_back() {
        for text in [
            "each[web-2].x",
            "each[10.0.0.1:5432].ping",
            r#"each["we]ird.label"].x"#,
            r#"each["a #b"].x"#,
            r#"each["it's"].x"#,
            "each[\"tab\there\"].x",
            "each[ünï].x",
            "each[a: b].x",
        ] {
            // Read as a scenario file is.
            let yaml = format!("steps:\n  {}: succeeded\n", yaml_scalar(text));
            let file = runbook_dsl::SourceFile::new("s.yaml", yaml.clone());
            let mut diags = Diagnostics::new();
            let root = runbook_dsl::yaml::parse(&file, &mut diags).expect(&yaml);
            let steps = root.get("steps").and_then(|s| s.as_map()).expect(&yaml);
            assert_eq!(steps[0].key.value, text, "{yaml}");
        }
        assert_eq!(yaml_scalar("each[web-2].x"), "each[web-2].x");
    }
}
