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
