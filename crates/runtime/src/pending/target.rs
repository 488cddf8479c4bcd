//! What a person names when deciding from another terminal, matched
//! against what waits: a step's address (`STEP`, `CALL.STEP`), and, for a
//! loop whose elements are gated one by one (`approval_per_item`), which
//! element (`STEP[INDEX]`, `STEP[LABEL]`; the rule is
//! [`crate::element_name`]'s). A bare `STEP` never names an element, not
//! even when one element alone waits: the person may have read element
//! [1]'s prompt, and by the time they type it is element [2] that waits.
//! Deciding a bare `STEP` while elements of it wait is refused, listing
//! them with the commands that name each
//! ([`super::DecideError::ElementNotNamed`]). A selector that names several
//! records waiting at once decides none of them
//! ([`super::DecideError::Ambiguous`]). The commands printed for a record
//! ([`Target::of`]) name an element by its label when the label reads back
//! as itself, else by its index.

use super::record::PendingRecord;
use crate::element_name::{by_label_or_index, Bare};
pub use crate::element_name::{Selector, Target};

impl Target {
    /// Whether `record` is what this names: its step (through the
    /// elements of the loops that call it), and the element if one is
    /// named. A record of no element is never named by a selector, and a
    /// record of an element never by a bare step (fail closed: which
    /// element waits may change between reading a prompt and typing).
    pub fn matches(&self, record: &PendingRecord) -> bool {
        self.names_run(
            &record.step,
            &record.labels,
            record.element.as_deref(),
            Bare::NamesNone,
        )
    }

    /// Whether this would name `record` if a bare step named every
    /// element: it names the step but not which element, so deciding it
    /// is refused with the elements that wait.
    pub fn names_no_element_of(&self, record: &PendingRecord) -> bool {
        self.names_run(
            &record.step,
            &record.labels,
            record.element.as_deref(),
            Bare::NamesEvery,
        )
    }

    /// How a command names `record`: its step, each calling loop's element
    /// on the way and its own element when it has one, by label when the
    /// label reads back as that label (no control character, not digits
    /// only, no `]=` or `].`), else by index.
    pub fn of(record: &PendingRecord) -> Target {
        Target {
            step: crate::element_name::named_address(&record.step, &record.labels),
            element: element_of(record).map(|(index, label)| by_label_or_index(index, label)),
        }
    }
}

/// A record's element (`[INDEX] LABEL`) as its index and label.
pub fn element_of(record: &PendingRecord) -> Option<(usize, &str)> {
    crate::element_name::shown_element(record.element.as_deref()?)
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
            ("7", "drain[\"7\"]"),
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
}
