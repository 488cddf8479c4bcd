//! The canonical text of an expression, for `runbook fmt` and `convert`:
//! `&&`/`||`/`!` spellings, double-quoted strings, and only the parentheses
//! precedence requires. Reading the text back gives the same tree.

use super::syntax::{Expr, ExprKind, Literal, Precedence, ELEMENT};
use crate::path::quote_string;
use std::fmt;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(literal) => literal.fmt(f),
            ExprKind::Path(path) => path.fmt(f),
            ExprKind::List(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Map(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {value}", key_text(&key.value))?;
                }
                f.write_str("}")
            }
            ExprKind::Unary { op, operand } => {
                f.write_str(op.value.symbol())?;
                write_operand(f, operand, operand.precedence() < op.value.precedence())
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let precedence = op.value.precedence();
                write_operand(f, lhs, lhs.precedence() < precedence)?;
                write!(f, " {} ", op.value.symbol())?;
                write_operand(f, rhs, rhs.precedence() <= precedence)
            }
            ExprKind::Call { name, args } => {
                write!(f, "{}(", name.value)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            // `.metadata.name`: the body is the path, printed from the element.
            ExprKind::Lambda { param, body } if param.value == ELEMENT => body.fmt(f),
            ExprKind::Lambda { param, body } => write!(f, "{} => {body}", param.value),
            ExprKind::Index { base, index } => {
                write_operand(f, base, base.precedence() < Precedence::Postfix)?;
                write!(f, "[{index}]")
            }
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            // `{:?}` always keeps a `.` or an exponent, so it reads back as a float.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::String(s) => f.write_str(&quote_string(s)),
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, expr: &Expr, wrap: bool) -> fmt::Result {
    if wrap {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

/// A map literal's key as written: bare when it reads back as a name (and
/// is no keyword), quoted otherwise.
pub fn key_text(key: &str) -> std::borrow::Cow<'_, str> {
    let keyword = matches!(
        key,
        "true" | "false" | "null" | "and" | "or" | "not" | "in" | "matches"
    );
    if crate::path::is_identifier(key) && !keyword {
        std::borrow::Cow::Borrowed(key)
    } else {
        std::borrow::Cow::Owned(quote_string(key))
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}
