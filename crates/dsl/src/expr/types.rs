//! The static types of expression values, as far as `check` can know them.

use super::record::Record;
use crate::ast::{InputType, ValueType};
use std::fmt;
use std::sync::Arc;

/// The type of an expression or of a value a path refers to.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Bool,
    Int,
    Float,
    String,
    List(Box<Type>),
    Map,
    Null,
    /// A string that can only be one of these: an enum input, the answer of
    /// an `ask` choice. Compared with string literals, which are checked.
    Enum(Vec<String>),
    /// A length of time: `duration("5m")`, `age(ts)`, a `duration` input.
    /// At run time it is a number of seconds; the checker keeps it apart
    /// from plain numbers so `age(ts) > 300` is caught (300 what?).
    Duration,
    /// A value with known fields (a pod, a Prometheus series, a SQL row),
    /// or a mapping whose values have one type (`map<string>`): see
    /// [`Record`]. Shared, since kinds hand out the same shapes often.
    Record(Arc<Record>),
    /// Unknown or dynamic (JSON from an HTTP response, a name that was
    /// already reported): fits everything, so one error does not cascade.
    Any,
}

impl Type {
    /// The type of a declared output or result field.
    pub fn from_value_type(ty: ValueType) -> Type {
        match ty {
            ValueType::String => Type::String,
            ValueType::Int => Type::Int,
            ValueType::Float => Type::Float,
            ValueType::Bool => Type::Bool,
            ValueType::List => Type::List(Box::new(Type::Any)),
            ValueType::Map => Type::Map,
            ValueType::Any => Type::Any,
        }
    }

    /// The type of a playbook input.
    pub fn from_input_type(ty: &InputType) -> Type {
        match ty {
            InputType::String => Type::String,
            InputType::Int => Type::Int,
            InputType::Float => Type::Float,
            InputType::Bool => Type::Bool,
            InputType::Duration => Type::Duration,
            InputType::Enum(values) => Type::Enum(values.iter().map(|v| v.value.clone()).collect()),
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Type::Any)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Any)
    }

    /// A string, an enum answer, or unknown.
    pub fn is_stringy(&self) -> bool {
        matches!(self, Type::String | Type::Enum(_) | Type::Any)
    }

    /// A duration, or unknown.
    pub fn is_duration(&self) -> bool {
        matches!(self, Type::Duration | Type::Any)
    }

    pub fn is_bool(&self) -> bool {
        matches!(self, Type::Bool | Type::Any)
    }

    /// A mapping: untyped, or a record (which is a mapping with known keys).
    pub fn is_mapping(&self) -> bool {
        matches!(self, Type::Map | Type::Record(_))
    }

    /// Whether values of the two types can be compared with `==`: equal
    /// types, integers with floats, enums with strings, `null` or `Any` with
    /// anything.
    pub fn comparable(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Any, _) | (_, Type::Any) | (Type::Null, _) | (_, Type::Null) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (a, b) if a.is_stringy() && b.is_stringy() => true,
            (Type::List(a), Type::List(b)) => a.comparable(b),
            (a, b) if a.is_mapping() && b.is_mapping() => true,
            (a, b) => a == b,
        }
    }

    /// The type both are, for list elements and `default`: `Any` when they differ.
    pub fn join(&self, other: &Type) -> Type {
        match (self, other) {
            (a, b) if a == b => a.clone(),
            (Type::Int, Type::Float) | (Type::Float, Type::Int) => Type::Float,
            (Type::Enum(_) | Type::String, Type::Enum(_) | Type::String) => Type::String,
            (Type::Null, t) | (t, Type::Null) => t.clone(),
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.join(b))),
            (a, b) if a.is_mapping() && b.is_mapping() => Type::Map,
            _ => Type::Any,
        }
    }

    /// "an integer", "a list of strings": how a diagnostic names the type.
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "a boolean".into(),
            Type::Int => "an integer".into(),
            Type::Float => "a number".into(),
            Type::String => "a string".into(),
            Type::List(item) => match item.as_ref() {
                Type::Any => "a list".into(),
                Type::Bool => "a list of booleans".into(),
                Type::Int => "a list of integers".into(),
                Type::Float => "a list of numbers".into(),
                Type::String | Type::Enum(_) => "a list of strings".into(),
                Type::List(_) => "a list of lists".into(),
                Type::Map => "a list of mappings".into(),
                Type::Null => "a list of nulls".into(),
                Type::Duration => "a list of durations".into(),
                Type::Record(_) => format!("a `{self}`"),
            },
            Type::Map => "a mapping".into(),
            Type::Null => "null".into(),
            Type::Enum(values) => {
                let shown: Vec<String> = values.iter().take(6).map(|v| format!("`{v}`")).collect();
                let more = if values.len() > 6 { ", ..." } else { "" };
                format!("a choice ({}{more})", shown.join(", "))
            }
            Type::Duration => "a duration".into(),
            Type::Record(record) if record.name.is_none() && record.is_mapping_of().is_none() => {
                format!("a mapping `{self}`")
            }
            Type::Record(_) => format!("a `{self}`"),
            Type::Any => "a value of unknown type".into(),
        }
    }
}

/// The short name: `int`, `list<string>`, `enum`, `list<pod>`, `map<string>`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::String => f.write_str("string"),
            Type::List(item) => write!(f, "list<{item}>"),
            Type::Map => f.write_str("map"),
            Type::Null => f.write_str("null"),
            Type::Enum(_) => f.write_str("enum"),
            Type::Duration => f.write_str("duration"),
            Type::Record(record) => super::record::write(record, f),
            Type::Any => f.write_str("any"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparable_is_lenient_where_it_should_be() {
        assert!(Type::Int.comparable(&Type::Float));
        assert!(Type::Enum(vec!["a".into()]).comparable(&Type::String));
        assert!(Type::Any.comparable(&Type::Map));
        assert!(Type::Null.comparable(&Type::Int));
        assert!(!Type::Int.comparable(&Type::String));
        assert!(!Type::Bool.comparable(&Type::Int));
    }

    #[test]
    fn describes_types_for_people() {
        assert_eq!(Type::Int.describe(), "an integer");
        assert_eq!(
            Type::List(Box::new(Type::String)).describe(),
            "a list of strings"
        );
        assert_eq!(Type::List(Box::new(Type::Int)).to_string(), "list<int>");
        assert_eq!(
            Type::from_value_type(ValueType::List),
            Type::List(Box::new(Type::Any))
        );
    }
}
