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

use std::fmt;

/// Which element of a loop's step.
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
            Some(Selector::Label(l)) => write!(f, "{}[{l}]", self.step),
        }
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
}
