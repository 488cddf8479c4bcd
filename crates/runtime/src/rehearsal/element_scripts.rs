//! What a scenario scripts by address under `steps:`, `answers:` and
//! `gates:` (and a loop's `items:`), found for one run of a step: `STEP`,
//! `CALL.STEP` for the step in every run of the called playbook (every
//! element's, when `CALL` is a loop), and `CALL[LABEL].STEP` /
//! `CALL[INDEX].STEP` for one element's called run
//! ([`super::element_address`]). The most specific entry answers: an
//! element's own over the one for every element.
//!
//! A rehearsal addresses an element's called run by its position
//! (`each[1].restore_db`, as the journal does); the labels of the elements
//! whose runs started are kept in [`RunLabels`], so an entry by label finds
//! its element whether or not the scenario made the list known.

use super::element_address::{parse, unselected, written, Part, Selector};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Entries by address.
#[derive(Clone, Debug)]
pub struct ByAddress<T> {
    /// `STEP`, `CALL.STEP`: every run of the step.
    every: HashMap<String, T>,
    /// `CALL[SEL].STEP`, by the address without selectors.
    elements: HashMap<String, Vec<ElementEntry<T>>>,
    /// The entries a run used, shared by the clones the run holds.
    used: Used,
}

impl<T> Default for ByAddress<T> {
    fn default() -> Self {
        ByAddress {
            every: HashMap::new(),
            elements: HashMap::new(),
            used: Used::default(),
        }
    }
}

/// The entries a rehearsal used, by their key ([`entry_key`]) and, for an
/// element of a loop's `items:`, its position in the list: what
/// [`super::unreached`] judges the scenario file's entries by.
#[derive(Clone, Debug, Default)]
pub struct Used(Arc<Mutex<HashSet<UsedEntry>>>);

/// An entry's key, and the position of the element of its `items:`.
type UsedEntry = (String, Option<usize>);

impl Used {
    /// Notes that the entry `key` (its element `item` of `items:`) answered.
    pub fn note(&self, key: &str, item: Option<usize>) {
        if let Ok(mut used) = self.0.lock() {
            used.insert((key.to_string(), item));
        }
    }

    /// Whether the entry `key` (its element `item`) answered.
    pub fn has(&self, key: &str, item: Option<usize>) -> bool {
        self.0
            .lock()
            .is_ok_and(|used| used.contains(&(key.to_string(), item)))
    }

    /// Whether the entry `key` or any element of its `items:` answered.
    pub fn any(&self, key: &str) -> bool {
        self.0
            .lock()
            .is_ok_and(|used| used.iter().any(|(k, _)| k == key))
    }
}

/// The key of the entry at `parts`: the address without selectors for the
/// entry of every run (`CALL.STEP`), as written for one element's.
pub fn entry_key(parts: &[Part]) -> String {
    if parts.iter().all(|p| p.element.is_none()) {
        unselected(parts)
    } else {
        written(parts)
    }
}

#[derive(Clone, Debug)]
struct ElementEntry<T> {
    /// One per part of the address: the element of each loop on the way.
    selectors: Vec<Option<Selector>>,
    /// Its key ([`entry_key`]).
    key: String,
    /// The address as the scenario writes it.
    written: String,
    value: T,
}

/// What was found for a step's run.
#[derive(Debug, PartialEq)]
pub enum Found<'a, T> {
    None,
    One(&'a T),
    /// Entries of the scenario that name this element's step each (a label
    /// and a position of the same element, where the scenario did not make
    /// the list known): as written.
    Conflict(Vec<String>),
}

impl<'a, T> Found<'a, T> {
    pub fn one(self) -> Option<&'a T> {
        match self {
            Found::One(value) => Some(value),
            _ => None,
        }
    }
}

impl<T> ByAddress<T> {
    /// Adds the entry at `parts` (a parsed address).
    pub fn insert(&mut self, parts: &[Part], value: T) {
        if parts.iter().all(|p| p.element.is_none()) {
            self.every.insert(unselected(parts), value);
            return;
        }
        self.elements
            .entry(unselected(parts))
            .or_default()
            .push(ElementEntry {
                selectors: parts.iter().map(|p| p.element.clone()).collect(),
                key: entry_key(parts),
                written: written(parts),
                value,
            });
    }

    /// Adds the entry for every run of the step at `address` (no selector).
    pub fn insert_every(&mut self, address: &str, value: T) {
        self.every.insert(address.to_string(), value);
    }

    /// The entries for every run, by address (`STEP`, `CALL.STEP`).
    pub fn every(&self) -> impl Iterator<Item = (&String, &T)> {
        self.every.iter()
    }

    /// The entry for the run of the step at `address`, as the rehearsal
    /// addresses it (`outer[0].each[1].STEP`, positions only): the entry
    /// of its elements if the scenario gives one, else the one for every
    /// run. The entry found is noted as used.
    pub fn get(&self, address: &str, labels: &RunLabels) -> Found<'_, T> {
        match self.keyed(address, labels) {
            Ok(Some((key, value))) => {
                self.used.note(key, None);
                Found::One(value)
            }
            Ok(None) => Found::None,
            Err(entries) => Found::Conflict(entries),
        }
    }

    /// As [`ByAddress::get`], noting nothing (a description of the step,
    /// before its gate decides whether it runs).
    pub fn peek(&self, address: &str, labels: &RunLabels) -> Found<'_, T> {
        match self.keyed(address, labels) {
            Ok(Some((_, value))) => Found::One(value),
            Ok(None) => Found::None,
            Err(entries) => Found::Conflict(entries),
        }
    }

    /// The entry for the run of the step at `address` and its key; the
    /// caller notes what it used (one element of `items:`). `Err`: the
    /// entries that each name it, as written.
    pub fn keyed(
        &self,
        address: &str,
        labels: &RunLabels,
    ) -> Result<Option<(&str, &T)>, Vec<String>> {
        let Ok(parts) = parse(address) else {
            return Ok(self
                .every
                .get_key_value(address)
                .map(|(k, v)| (k.as_str(), v)));
        };
        let every = unselected(&parts);
        if parts.iter().any(|p| p.element.is_some()) {
            let run = labels.of(&parts);
            let mine: Vec<&ElementEntry<T>> = self
                .elements
                .get(&every)
                .into_iter()
                .flatten()
                .filter(|e| names(&e.selectors, &run))
                .collect();
            match mine.as_slice() {
                [] => {}
                [one] => return Ok(Some((one.key.as_str(), &one.value))),
                many => return Err(many.iter().map(|e| e.written.clone()).collect()),
            }
        }
        Ok(self
            .every
            .get_key_value(&every)
            .map(|(k, v)| (k.as_str(), v)))
    }

    /// The entries the runs used so far (shared by the clones).
    pub fn used(&self) -> &Used {
        &self.used
    }

    /// Whether the scenario scripts the step at `address` at all, for
    /// some run of it.
    pub fn scripts(&self, address: &str) -> bool {
        let every = parse(address).map_or(address.to_string(), |p| unselected(&p));
        self.every.contains_key(&every) || self.elements.contains_key(&every)
    }
}

/// Whether the selectors of an entry name the element of each loop of a
/// run (`run`: its position and label, for each part that is an element).
fn names(selectors: &[Option<Selector>], run: &[Option<(usize, Option<String>)>]) -> bool {
    selectors.len() == run.len()
        && selectors.iter().zip(run).all(|(s, r)| match (s, r) {
            (None, None) => true,
            (Some(Selector::Index(i)), Some((index, _))) => i == index,
            (Some(Selector::Label(l)), Some((_, Some(label)))) => l == label,
            _ => false,
        })
}

/// The labels of the elements whose called runs a rehearsal started, by
/// the address of the run (`each[1]`, `outer[0].each[2]`).
#[derive(Clone, Debug, Default)]
pub struct RunLabels(Arc<Mutex<HashMap<String, String>>>);

impl RunLabels {
    /// Notes the label of the element whose run is at `run` (`each[1]`).
    pub fn note(&self, run: &str, label: &str) {
        if let Ok(mut labels) = self.0.lock() {
            labels.insert(run.to_string(), label.to_string());
        }
    }

    /// For each part of a run's address: the element's position and
    /// label, when the part is an element's run.
    fn of(&self, parts: &[Part]) -> Vec<Option<(usize, Option<String>)>> {
        let labels = self.0.lock().map(|l| l.clone()).unwrap_or_default();
        let mut at = String::new();
        parts
            .iter()
            .map(|part| {
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(&part.id);
                let Some(Selector::Index(index)) = part.element else {
                    return None;
                };
                at.push_str(&format!("[{index}]"));
                Some((index, labels.get(&at).cloned()))
            })
            .collect()
    }

    /// How a scenario names the step of a run: `(for every element, for
    /// this element)`, the second by labels where known
    /// (`each.restore_db`, `each[web-2].restore_db`); `None` for a run
    /// that is no element's.
    pub fn addresses(&self, address: &str) -> (String, Option<String>) {
        let Ok(parts) = parse(address) else {
            return (address.to_string(), None);
        };
        let every = unselected(&parts);
        if parts.iter().all(|p| p.element.is_none()) {
            return (every, None);
        }
        let run = self.of(&parts);
        let named: Vec<Part> = parts
            .iter()
            .zip(run)
            .map(|(part, element)| Part {
                id: part.id.clone(),
                element: element.map(|(index, label)| match label {
                    Some(label) => Selector::Label(label),
                    None => Selector::Index(index),
                }),
            })
            .collect();
        (every, Some(written(&named)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripted(entries: &[(&str, &'static str)]) -> ByAddress<&'static str> {
        let mut by = ByAddress::default();
        for (address, value) in entries {
            by.insert(&parse(address).expect("an address"), *value);
        }
        by
    }

    #[test]
    fn an_elements_own_entry_wins_over_the_one_for_every_element() {
        let by = scripted(&[
            ("each.restore", "every"),
            ("each[web-2].restore", "web-2"),
            ("each[2].restore", "third"),
            ("outer[0].each[\"we]ird.x\"].restore", "nested"),
        ]);
        let labels = RunLabels::default();
        labels.note("each[0]", "web-1");
        labels.note("each[1]", "web-2");
        labels.note("each[2]", "web-3");
        labels.note("outer[0]", "a");
        labels.note("outer[0].each[4]", "we]ird.x");
        assert_eq!(by.get("each[0].restore", &labels), Found::One(&"every"));
        assert_eq!(by.get("each[1].restore", &labels), Found::One(&"web-2"));
        assert_eq!(by.get("each[2].restore", &labels), Found::One(&"third"));
        assert_eq!(
            by.get("outer[0].each[4].restore", &labels),
            Found::One(&"nested")
        );
        assert_eq!(by.get("outer[1].each[4].restore", &labels), Found::None);
        assert_eq!(by.get("each.restore", &labels), Found::One(&"every"));
        assert!(by.scripts("outer[3].each[9].restore"));
        assert!(!by.scripts("each.other"));
    }

    #[test]
    fn a_label_and_a_position_of_the_same_element_conflict() {
        let by = scripted(&[("each[web-2].x", "by label"), ("each[1].x", "by index")]);
        let labels = RunLabels::default();
        labels.note("each[1]", "web-2");
        assert_eq!(
            by.get("each[1].x", &labels),
            Found::Conflict(vec!["each[web-2].x".into(), "each[1].x".into()])
        );
    }

    #[test]
    fn a_run_is_named_by_its_labels_quoted_when_they_must_be() {
        let labels = RunLabels::default();
        labels.note("outer[0]", "443");
        labels.note("outer[0].each[1]", "a \"b\"].c");
        assert_eq!(
            labels.addresses("outer[0].each[1].x"),
            (
                "outer.each.x".to_string(),
                Some(r#"outer["443"].each["a \"b\"].c"].x"#.to_string())
            )
        );
        assert_eq!(labels.addresses("each.x"), ("each.x".to_string(), None));
        assert_eq!(
            labels.addresses("each[3].x"),
            ("each.x".to_string(), Some("each[3].x".to_string()))
        );
    }
}
