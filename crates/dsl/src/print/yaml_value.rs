//! An ordered YAML value: what the YAML printer builds and `runbook diff`
//! flattens.
//!
//! Our own small type rather than a YAML library's value, so the field order
//! is the documented one (a mapping keeps insertion order) and printing goes
//! through serde to serde-saphyr, the maintained YAML stack the front end
//! already reads with (docs/dependencies.md says why serde_yaml went).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fmt;

/// A YAML value with ordered mappings.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Yaml {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Sequence(Vec<Yaml>),
    Mapping(Mapping),
}

/// A YAML number: integers stay integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

/// A mapping with string keys, in insertion order. A key inserted twice keeps
/// its first place and takes the new value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping(Vec<(String, Yaml)>);

impl Mapping {
    pub fn new() -> Mapping {
        Mapping(Vec::new())
    }

    pub fn insert(&mut self, key: impl Into<String>, value: Yaml) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &str) -> Option<Yaml> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &Yaml)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl FromIterator<(String, Yaml)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (String, Yaml)>>(iter: I) -> Mapping {
        let mut map = Mapping::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl Yaml {
    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Mapping(map) => map.get(key),
            _ => None,
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

impl From<u32> for Number {
    fn from(i: u32) -> Number {
        Number::Int(i.into())
    }
}

impl From<f64> for Number {
    fn from(f: f64) -> Number {
        Number::Float(f)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

impl Serialize for Yaml {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Yaml::Null => s.serialize_unit(),
            Yaml::Bool(b) => s.serialize_bool(*b),
            Yaml::Number(Number::Int(i)) => s.serialize_i64(*i),
            Yaml::Number(Number::Float(f)) => s.serialize_f64(*f),
            Yaml::String(text) => s.serialize_str(text),
            Yaml::Sequence(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Yaml::Mapping(map) => map.serialize(s),
        }
    }
}

impl Serialize for Mapping {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

/// Prints a value as a YAML document.
pub fn to_string(value: &impl Serialize) -> String {
    serde_saphyr::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_keeps_insertion_order_and_replaces_in_place() {
        let mut map = Mapping::new();
        map.insert("b", Yaml::Bool(true));
        map.insert("a", Yaml::Null);
        map.insert("b", Yaml::Number(1i64.into()));
        let keys: Vec<&str> = map.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(map.get("b"), Some(&Yaml::Number(Number::Int(1))));
        assert_eq!(map.remove("b"), Some(Yaml::Number(Number::Int(1))));
        assert!(map.get("b").is_none());
    }

    #[test]
    fn printed_values_read_back_as_the_same_values() {
        // Strings YAML would otherwise read as something else come back as
        // strings: printing must quote them.
        let tricky = [
            "true",
            "no",
            "null",
            "~",
            "1",
            "1.5",
            "0x1f",
            "-",
            "- a",
            "a: b",
            "#x",
            "x #y",
            "'q'",
            "\"dq\"",
            "",
            " lead",
            "trail ",
            "{a}",
            "[a]",
            "*ref",
            "&anchor",
            "!tag",
            "%dir",
            "@at",
            "`tick`",
            "multi\nline",
            "tab\there",
            "$(rm -rf /)",
            "a|b",
            ">",
            "---",
            "...",
            "2026-11-30",
        ];
        let mut map = Mapping::new();
        for (i, text) in tricky.iter().enumerate() {
            map.insert(format!("k{i}"), Yaml::String(text.to_string()));
        }
        map.insert("int", Yaml::Number(Number::Int(-7)));
        map.insert("float", Yaml::Number(Number::Float(2.5)));
        map.insert("list", Yaml::Sequence(vec![Yaml::Null, Yaml::Bool(false)]));
        let text = to_string(&Yaml::Mapping(map));
        let back: serde_json::Value = serde_saphyr::from_str(&text).expect("reads back");
        for (i, t) in tricky.iter().enumerate() {
            assert_eq!(
                back[format!("k{i}")],
                serde_json::json!(t),
                "{t:?} in\n{text}"
            );
        }
        assert_eq!(back["int"], serde_json::json!(-7));
        assert_eq!(back["float"], serde_json::json!(2.5));
        assert_eq!(back["list"], serde_json::json!([null, false]));
    }
}
