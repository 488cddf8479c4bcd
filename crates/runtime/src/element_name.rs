//! How a person names one element of a loop whose elements are gated one
//! by one (`approval_per_item`): `STEP[INDEX]` or `STEP[LABEL]`, with the
//! index and label the run shows (`element [1] eu-2`). One rule for every
//! place that reads such a name: `--approve` on `run` and `resume`
//! ([`crate::operator::Preapproved`]), and `runbook approve`, `reject` and
//! `answer` ([`crate::pending::Target`], which matches a name against a
//! pending record).
//!
//! A selector of ASCII digits only is an index; anything else is a label,
//! exactly (spaces, quotes, `[` and `]` included: it runs from the first
//! `[` to the last `]`, and a step's address has neither). In
//! `STEP[LABEL]=VALUE` (`runbook answer`) the selector ends at the first
//! `]=`.
//!
//! The step of a playbook a loop calls runs once per element: its address
//! names the element of each calling loop on the way as a rehearsal's
//! scenario does ([`crate::element_address`]): `each[web-1].restart`,
//! `each[0].restart`, and the gate of one element of a loop inside it
//! `each[web-1].drain[eu-2]`. A run addresses such a gate by positions
//! (`each[0].restart`) and carries the labels beside it
//! ([`ElementLabels`]), so a name by label and one by position both find
//! it.

pub use crate::element_address::Selector;
use crate::element_address::{self, Part};
use std::collections::BTreeMap;
use std::fmt;

/// The labels of the calling loops' elements on a gate's or question's
/// way, by the address of the element's run (`each[0]`,
/// `outer[1].each[0]`).
pub type ElementLabels = BTreeMap<String, String>;

/// How a name without a selector reads where a selector could stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bare {
    /// `--approve STEP`: every element (what the person gave before the
    /// run, for all of them).
    NamesEvery,
    /// `runbook approve RUN STEP`: none (which element waits may change
    /// between reading a prompt and typing).
    NamesNone,
}

/// A step's address and, maybe, one of its loop's elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub step: String,
    pub element: Option<Selector>,
}

impl Target {
    /// `STEP` or `STEP[SELECTOR]`, as `runbook approve`, `reject` and
    /// `--approve` take it.
    pub fn parse(text: &str) -> Result<Target, String> {
        if let Some(target) = Target::through_calls(text) {
            return Ok(target);
        }
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

    /// `CALL[SEL].STEP`, `CALL[SEL].STEP[SEL]`, `STEP["LABEL"]`: an address
    /// that selects an element of a calling loop on the way, or names a
    /// label in quotes, read as a scenario's is. `None` when only the last
    /// part selects, not in quotes, or the parts are not step ids (a label
    /// of the last part that holds `].`, read by the rule above).
    fn through_calls(text: &str) -> Option<Target> {
        let mut parts = element_address::parse(text).ok()?;
        let is_id = |id: &str| {
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !parts.iter().all(|p| is_id(&p.id)) {
            return None;
        }
        let last = parts.pop()?;
        // A label in quotes (`drain["12028"]`: a label that is a number)
        // reads as a scenario's does.
        let quoted = text.ends_with("\"]") && matches!(last.element, Some(Selector::Label(_)));
        if parts.iter().all(|p| p.element.is_none()) && !quoted {
            return None;
        }
        parts.push(Part {
            id: last.id,
            element: None,
        });
        Some(Target {
            step: element_address::written(&parts),
            element: last.element,
        })
    }

    /// Whether this names the run of a step a run addresses `address`
    /// (`STEP`, `CALL.STEP`, `CALL[0].STEP` for an element's called run:
    /// positions only), the calling elements' labels `labels`, and the
    /// element `element` (`[INDEX] LABEL`) when the gate is one element's
    /// own. Where this selects nothing and an element runs, `bare` says.
    pub fn names_run(
        &self,
        address: &str,
        labels: &ElementLabels,
        element: Option<&str>,
        bare: Bare,
    ) -> bool {
        if !self.names_calls(address, labels, bare) {
            return false;
        }
        match (&self.element, element) {
            (None, None) => true,
            (None, Some(_)) => bare == Bare::NamesEvery,
            (Some(selector), Some(shown)) => {
                shown_element(shown).is_some_and(|(index, label)| selector.names(index, label))
            }
            (Some(_), None) => false,
        }
    }

    /// Whether this target's step names `address`'s, part by part: the
    /// same ids, and each element this selects on the way the one the run
    /// is for.
    fn names_calls(&self, address: &str, labels: &ElementLabels, bare: Bare) -> bool {
        if self.step == address {
            return true;
        }
        let (Ok(mine), Ok(run)) = (
            element_address::parse(&self.step),
            element_address::parse(address),
        ) else {
            return false;
        };
        if mine.len() != run.len() {
            return false;
        }
        let mut at = String::new();
        mine.iter().zip(&run).all(|(m, r)| {
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(&element_address::written(std::slice::from_ref(r)));
            m.id == r.id
                && match (&m.element, &r.element) {
                    (None, None) => true,
                    (None, Some(_)) => bare == Bare::NamesEvery,
                    (Some(selector), Some(Selector::Index(index))) => {
                        selector.names(*index, labels.get(&at).map_or("", String::as_str))
                    }
                    _ => false,
                }
        })
    }

    fn with(step: &str, selector: &str) -> Result<Target, String> {
        let step = step.trim();
        if step.is_empty() || selector.is_empty() {
            return Err(format!(
                "`{step}[{selector}]`: name a step and one of its elements, `STEP[INDEX]` or `STEP[LABEL]`"
            ));
        }
        // A label in quotes, escapes undone: `"12028"` is a label.
        let quoted = selector
            .starts_with('"')
            .then(|| element_address::parse(&format!("x[{selector}]")).ok())
            .flatten()
            .and_then(|mut parts| parts.pop()?.element);
        let element = if let Some(label) = quoted {
            label
        } else if selector.bytes().all(|b| b.is_ascii_digit()) {
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

    /// Whether this names the element `element` (as the run shows it,
    /// `[INDEX] LABEL`) of step `step`. A bare step never names an
    /// element: which element waits may change between reading a prompt
    /// and typing.
    pub fn names_element(&self, step: &str, element: &str) -> bool {
        match (&self.element, shown_element(element)) {
            (Some(selector), Some((index, label))) => {
                self.step == step && selector.names(index, label)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.element {
            None => f.write_str(&self.step),
            Some(Selector::Index(i)) => write!(f, "{}[{i}]", self.step),
            // A label that would read back as a position, or as a label
            // in quotes, is written in quotes.
            Some(Selector::Label(l))
                if l.bytes().all(|b| b.is_ascii_digit()) || l.starts_with('"') =>
            {
                write!(
                    f,
                    "{}[{}]",
                    self.step,
                    element_address::selector_text(&Selector::Label(l.clone()))
                )
            }
            Some(Selector::Label(l)) => write!(f, "{}[{l}]", self.step),
        }
    }
}

/// A run's address (`each[0].restart`, positions only) as a person names
/// it: each calling loop's element by its label from `labels` where that
/// reads back as the label ([`by_label_or_index`]).
pub fn named_address(address: &str, labels: &ElementLabels) -> String {
    element_address::renamed(address, |run, index| {
        match labels.get(&format!("{run}[{index}]")) {
            Some(label) => by_label_or_index(index, label),
            None => Selector::Index(index),
        }
    })
}

/// An element's selector as a command prints it: its label when it reads
/// back as that label (not empty, no control character, no `]=` or `].`,
/// not starting with a quote; a number is written in quotes), else its
/// index.
pub fn by_label_or_index(index: usize, label: &str) -> Selector {
    let readable = !label.is_empty()
        && !label.starts_with('"')
        && !label.chars().any(char::is_control)
        && !label.contains("]=")
        && !label.contains("].");
    if readable {
        Selector::Label(label.to_string())
    } else {
        Selector::Index(index)
    }
}

/// An element as the run shows it, `[INDEX] LABEL`, as its index and
/// label.
pub fn shown_element(element: &str) -> Option<(usize, &str)> {
    let (index, label) = element.strip_prefix('[')?.split_once("] ")?;
    Some((index.parse().ok()?, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_reads_an_index_or_an_exact_label() {
        let hostile = "it's \"q\" ]x[ $(y)";
        let shown = format!("[3] {hostile}");
        for named in ["drain[3]", &format!("drain[{hostile}]")] {
            assert!(
                Target::parse(named).unwrap().names_element("drain", &shown),
                "{named}"
            );
        }
        for other in ["drain[2]", "drain[it's]", "wipe[3]", "drain[03x]", "drain"] {
            assert!(
                !Target::parse(other).unwrap().names_element("drain", &shown),
                "{other}"
            );
        }
        for bad in [
            "drain[",
            "drain[]",
            "[0]",
            "drain[0]x",
            "drain[99999999999999999999999]",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_element_that_does_not_read_back_is_named_by_nothing() {
        for odd in ["not an element", "[x] a", "[1]a", "1] a"] {
            assert_eq!(shown_element(odd), None, "{odd}");
            assert!(!Target::parse("drain[1]")
                .unwrap()
                .names_element("drain", odd));
        }
        assert_eq!(shown_element("[12] a] b"), Some((12, "a] b")));
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

    #[test]
    fn a_label_in_quotes_is_a_label_even_a_number() {
        let t = Target::parse("terminate[\"12028\"]").unwrap();
        assert_eq!(t.element, Some(Selector::Label("12028".into())));
        assert_eq!(t.to_string(), "terminate[\"12028\"]");
        assert!(t.names_element("terminate", "[0] 12028"));
        assert!(!t.names_element("terminate", "[12028] x"));
        let (answered, value) = Target::parse_answer("pick[\"80\"]=a").unwrap();
        assert_eq!(answered.element, Some(Selector::Label("80".into())));
        assert_eq!(value, "a");
    }

    /// The step of a playbook a loop calls is named through the element
    /// of the calling loop, by label or position; a bare call names every
    /// element's run for `--approve` and none for a remote decision.
    #[test]
    fn a_name_selects_the_element_of_each_calling_loop() {
        let labels: ElementLabels = [
            ("outer[1]".to_string(), "eu".to_string()),
            ("outer[1].each[0]".to_string(), "web 1.example".to_string()),
        ]
        .into();
        let run = "outer[1].each[0].restart";
        for (named, every, none) in [
            ("outer[eu].each[web 1.example].restart", true, true),
            ("outer[1].each[0].restart", true, true),
            ("outer[eu].each[0].restart", true, true),
            ("outer.each.restart", true, false),
            ("outer[eu].each.restart", true, false),
            ("outer[us].each[0].restart", false, false),
            ("outer[eu].each[1].restart", false, false),
            ("outer[eu].each[web 1.example].stop", false, false),
            ("outer[eu].restart", false, false),
        ] {
            let t = Target::parse(named).unwrap();
            assert_eq!(
                t.names_run(run, &labels, None, Bare::NamesEvery),
                every,
                "{named}"
            );
            assert_eq!(
                t.names_run(run, &labels, None, Bare::NamesNone),
                none,
                "{named}"
            );
        }
        // The element of a loop inside, gated one by one.
        let t = Target::parse("outer[eu].each[0].drain[x]").unwrap();
        assert_eq!(t.step, "outer[eu].each[0].drain");
        assert!(t.names_run(
            "outer[1].each[0].drain",
            &labels,
            Some("[3] x"),
            Bare::NamesNone
        ));
        assert!(!t.names_run(
            "outer[1].each[0].drain",
            &labels,
            Some("[3] y"),
            Bare::NamesNone
        ));
        assert_eq!(
            named_address(run, &labels),
            "outer[eu].each[web 1.example].restart"
        );
        let numbers: ElementLabels = [("each[0]".to_string(), "80".to_string())].into();
        assert_eq!(named_address("each[0].x", &numbers), "each[\"80\"].x");
        assert!(Target::parse("each[\"80\"].x").unwrap().names_run(
            "each[0].x",
            &numbers,
            None,
            Bare::NamesNone
        ));
    }
}
