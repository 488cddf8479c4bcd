//! Reading a step's parameters for a default effect.
//!
//! The effect functions run on whatever [`Node`] the step's parameters are,
//! possibly before the checker has reported that they are malformed, so they
//! must never panic and must fall back to the *more* cautious effect when a
//! parameter they look at is missing or of the wrong shape.

use runbook_dsl::node::{Node, Value};

/// The parameter `name` of a step, also when the step was written in its
/// shorthand form (`http: "https://..."`), where the whole node is the
/// shorthand parameter.
pub(crate) fn param<'a>(params: &'a Node, shorthand: Option<&str>, name: &str) -> Option<&'a Node> {
    match &params.value {
        Value::Map(_) => params.get(name),
        _ if shorthand == Some(name) => Some(params),
        _ => None,
    }
}

/// An integer parameter whose value the checker could not type (an
/// insertion of an output of unknown type, such as a step's `stdout`): a
/// number, or a string holding one; anything else is absent, and the kind
/// says what it needed.
pub(crate) fn lenient_int<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        },
    )
}

/// A flag that is set only by `true` itself (an untyped insertion that
/// renders `"true"` does not set it).
pub(crate) fn only_true<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<bool, D::Error> {
    use serde::Deserialize;
    Ok(matches!(
        Option::<serde_json::Value>::deserialize(deserializer)?,
        Some(serde_json::Value::Bool(true))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Lenient {
        #[serde(default, deserialize_with = "lenient_int")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "only_true")]
        flag: bool,
    }

    fn read(value: serde_json::Value) -> Lenient {
        serde_json::from_value(value).expect("never an error")
    }

    #[test]
    fn an_untyped_integer_is_read_or_absent() {
        assert_eq!(read(json!({"n": 3})).n, Some(3));
        assert_eq!(read(json!({"n": " 8 "})).n, Some(8));
        for hostile in ["$(id)", "3; rm -rf /", "`x`", "1e3", "", "../"] {
            assert_eq!(read(json!({ "n": hostile })).n, None, "{hostile}");
        }
        assert_eq!(read(json!({"n": 2.5})).n, None);
        assert_eq!(read(json!({})).n, None);
    }

    #[test]
    fn only_true_sets_a_flag() {
        assert!(read(json!({"flag": true})).flag);
        assert!(!read(json!({"flag": "true"})).flag);
        assert!(!read(json!({"flag": false})).flag);
        assert!(!read(json!({})).flag);
    }
}
