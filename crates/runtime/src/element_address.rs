//! How an address names the run of a step inside the called playbooks of
//! loops on the way: `CALL[INDEX].STEP` (`each[1].restart`) or
//! `CALL[LABEL].STEP` (`each[web-2].restart`; in quotes, any label:
//! `each["80"].restart`), nested as `OUTER[0].CALL[web-2].STEP`. One
//! syntax for every place that reads one: a rehearsal's scenario
//! ([`crate::rehearsal`]), and `--approve`, `--answer`, `runbook approve`,
//! `reject` and `answer` for a gate or question of a playbook a loop calls
//! ([`crate::element_name::Target`]).

/// One step of an address, and which element of it when it is a loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub id: String,
    pub element: Option<Selector>,
}

/// Which element of a loop: by position or by label, as everywhere a
/// person names one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Index(usize),
    Label(String),
}

impl Selector {
    /// Whether this names the element at `index` labelled `label`.
    pub fn names(&self, index: usize, label: &str) -> bool {
        match self {
            Selector::Index(i) => *i == index,
            Selector::Label(l) => l == label,
        }
    }
}

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

/// `address` (positions only: `outer[0].each[1].restart`) with each
/// position replaced by what `name` gives for it: `name(LOOP, INDEX)`,
/// `LOOP` the loop step's address so far (`outer[0].each`). Written so
/// that [`parse`] reads it back; an address that does not parse, or
/// selects nothing, is returned as it is.
pub fn renamed(address: &str, name: impl Fn(&str, usize) -> Selector) -> String {
    if !selects(address) {
        return address.to_string();
    }
    let Ok(parts) = parse(address) else {
        return address.to_string();
    };
    let mut at = String::new();
    let named: Vec<Part> = parts
        .into_iter()
        .map(|part| {
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(&part.id);
            let element = match part.element {
                Some(Selector::Index(index)) => {
                    let selector = name(&at, index);
                    at.push_str(&format!("[{index}]"));
                    Some(selector)
                }
                other => other,
            };
            Part { element, ..part }
        })
        .collect();
    written(&named)
}

/// The address with no element selected: `CALL.STEP`.
pub fn unselected(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(".")
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
}
