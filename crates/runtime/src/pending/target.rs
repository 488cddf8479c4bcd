//! What a person names when deciding from another terminal: a step's
//! address (`STEP`, `CALL.STEP`), and, for a loop whose elements are gated
//! one by one (`approval_per_item`), which element: `STEP[INDEX]` or
//! `STEP[LABEL]`, the index and label `runbook pending` shows (`element
//! [1] eu-2`). A bare `STEP` never names an element, not even when one
//! element alone waits: the person may have read element [1]'s prompt,
//! and by the time they type it is element [2] that waits. Deciding a
//! bare `STEP` while elements of it wait is refused, listing them with the
//! commands that name each ([`super::DecideError::ElementNotNamed`]). A
//! selector that names several records waiting at once decides none of
//! them ([`super::DecideError::Ambiguous`]).
//!
//! A selector of ASCII digits only is an index; anything else is a label,
//! exactly (spaces, quotes, `[` and `]` included: it runs from the first
//! `[` to the last `]`, and a step's address has neither). In `STEP[LABEL]=VALUE`
//! (`runbook answer`) the selector ends at the first `]=`. The commands
//! printed for a record ([`Target::of`]) name an element by its label when
//! the label reads back as itself, else by its index.

use super::record::PendingRecord;
use std::fmt;

/// Which element of a loop's step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Index(usize),
    Label(String),
}

/// A step's address and, maybe, one of its loop's elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub step: String,
    pub element: Option<Selector>,
}

impl Target {
    /// `STEP` or `STEP[SELECTOR]`, as `runbook approve` and `reject` take it.
    pub fn parse(text: &str) -> Result<Target, String> {
        let Some(open) = text.find('[') else {
            return Ok(Target {
                step: text.to_string(),
                element: None,
            });
        };
        let Some(inner) = text[open + 1..].strip_suffix(']') else {
            return Err(format!(
                "`{text}`: an element is named `STEP[INDEX]` or `STEP[LABEL]`, ending with `]`"
            ));
        };
        Target::with(&text[..open], inner)
    }

    /// `STEP=VALUE` or `STEP[SELECTOR]=VALUE`, as `runbook answer` takes
    /// it: the target and the value as typed.
    pub fn parse_answer(pair: &str) -> Result<(Target, String), String> {
        let expected = || format!("`{pair}`: expected STEP=VALUE or STEP[ELEMENT]=VALUE");
        let equals = pair.find('=').ok_or_else(expected)?;
        match pair.find('[').filter(|open| *open < equals) {
            Some(open) => {
                let close = pair[open..]
                    .find("]=")
                    .map(|at| open + at)
                    .ok_or_else(expected)?;
                let target = Target::with(&pair[..open], &pair[open + 1..close])?;
                Ok((target, pair[close + 2..].to_string()))
            }
            None => {
                let step = pair[..equals].trim();
                if step.is_empty() {
                    return Err(expected());
                }
                Ok((
                    Target {
                        step: step.to_string(),
                        element: None,
                    },
                    pair[equals + 1..].to_string(),
                ))
            }
        }
    }

    fn with(step: &str, selector: &str) -> Result<Target, String> {
        let step = step.trim();
        if step.is_empty() || selector.is_empty() {
            return Err(format!(
                "`{step}[{selector}]`: name a step and one of its elements, `STEP[INDEX]` or `STEP[LABEL]`"
            ));
        }
        let element = if selector.bytes().all(|b| b.is_ascii_digit()) {
            match selector.parse() {
                Ok(index) => Selector::Index(index),
                Err(_) => return Err(format!("`{selector}` is not an element's index")),
            }
        } else {
            Selector::Label(selector.to_string())
        };
        Ok(Target {
            step: step.to_string(),
            element: Some(element),
        })
    }

    /// Whether `record` is what this names: its step, and the element if
    /// one is named. A record of no element is never named by a selector,
    /// and a record of an element never by a bare step (fail closed: which
    /// element waits may change between reading a prompt and typing).
    pub fn matches(&self, record: &PendingRecord) -> bool {
        if record.step != self.step {
            return false;
        }
        let Some(selector) = &self.element else {
            return record.element.is_none();
        };
        match (selector, element_of(record)) {
            (Selector::Index(i), Some((index, _))) => *i == index,
            (Selector::Label(l), Some((_, label))) => l == label,
            (_, None) => false,
        }
    }

    /// How a command names `record`: its step, and its element when it has
    /// one, by label when the label reads back as that label (no control
    /// character, not digits only, no `]=`), else by index.
    pub fn of(record: &PendingRecord) -> Target {
        let element = element_of(record).map(|(index, label)| {
            let readable = !label.is_empty()
                && !label.bytes().all(|b| b.is_ascii_digit())
                && !label.chars().any(char::is_control)
                && !label.contains("]=");
            if readable {
                Selector::Label(label.to_string())
            } else {
                Selector::Index(index)
            }
        });
        Target {
            step: record.step.clone(),
            element,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.element {
            None => f.write_str(&self.step),
            Some(Selector::Index(i)) => write!(f, "{}[{i}]", self.step),
            Some(Selector::Label(l)) => write!(f, "{}[{l}]", self.step),
        }
    }
}

/// A record's element (`[INDEX] LABEL`) as its index and label.
pub fn element_of(record: &PendingRecord) -> Option<(usize, &str)> {
    let rest = record.element.as_deref()?.strip_prefix('[')?;
    let (index, label) = rest.split_once("] ")?;
    Some((index.parse().ok()?, label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pending::PendingKind;

    fn element(index: usize, label: &str) -> PendingRecord {
        PendingRecord {
            element: Some(format!("[{index}] {label}")),
            ..PendingRecord::for_tests(PendingKind::Gate, "20261201T031500Z-4f3a9c", "drain")
        }
    }

    #[test]
    fn a_selector_names_an_element_by_index_or_exact_label() {
        let hostile = "it's \"q\" ]x[ $(y)";
        let record = element(3, hostile);
        for named in ["drain[3]", &format!("drain[{hostile}]")] {
            assert!(Target::parse(named).unwrap().matches(&record), "{named}");
        }
        for other in ["drain[2]", "drain[it's]", "wipe[3]", "drain[03x]"] {
            assert!(!Target::parse(other).unwrap().matches(&record), "{other}");
        }
        let plain = PendingRecord::for_tests(PendingKind::Gate, "r", "drain");
        assert!(!Target::parse("drain[0]").unwrap().matches(&plain));
        assert!(Target::parse("drain").unwrap().matches(&plain));
    }

    #[test]
    fn a_bare_step_never_names_an_element() {
        let bare = Target::parse("drain").unwrap();
        for record in [element(0, "eu-1"), element(2, "drain")] {
            assert!(!bare.matches(&record), "{:?}", record.element);
        }
        // Nor one whose element cannot be read back.
        let odd = PendingRecord {
            element: Some("not an element".into()),
            ..PendingRecord::for_tests(PendingKind::Ask, "r", "drain")
        };
        assert!(!bare.matches(&odd));
        let (answered, _) = Target::parse_answer("drain=yes").unwrap();
        assert!(!answered.matches(&element(1, "eu-2")));
        for bad in ["drain[", "drain[]", "[0]", "drain[0]x"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn printed_targets_read_back_as_the_same_element() {
        for (label, shown) in [
            ("eu-1", "drain[eu-1]"),
            ("it's \"q\" ]x[", "drain[it's \"q\" ]x[]"),
            ("7", "drain[4]"),
            ("a]=b", "drain[4]"),
            ("bell\u{7}", "drain[4]"),
        ] {
            let record = element(4, label);
            let target = Target::of(&record);
            assert_eq!(target.to_string(), shown);
            assert_eq!(Target::parse(shown).unwrap(), target);
            assert!(target.matches(&record));
            let (answered, value) = Target::parse_answer(&format!("{shown}=a=b ]=")).unwrap();
            assert_eq!(answered, target, "{shown}");
            assert_eq!(value, "a=b ]=");
        }
    }

    #[test]
    fn answers_split_at_the_right_equals() {
        let (t, v) = Target::parse_answer("classify=x[1]=y").unwrap();
        assert_eq!(
            (t.step.as_str(), t.element, v.as_str()),
            ("classify", None, "x[1]=y")
        );
        let (t, v) = Target::parse_answer(" call.ask =").unwrap();
        assert_eq!((t.step.as_str(), v.as_str()), ("call.ask", ""));
        for bad in ["=x", "noequals", "drain[0=x", "drain[]=x"] {
            assert!(Target::parse_answer(bad).is_err(), "{bad}");
        }
    }
}
