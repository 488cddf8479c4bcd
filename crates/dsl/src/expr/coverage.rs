//! Which answers of a choice a branch case covers, so the analyzer can tell
//! whether a branch over an `ask` answer or an enum input is exhaustive.

use super::syntax::{BinaryOp, Expr, ExprKind};
use crate::path::Path;

/// When `expr` is `PATH == "lit"` (either way round), `PATH in ["a", "b"]`,
/// or an `||` of such over one path, that path and the literals it covers.
/// `None` for anything else: the case then covers an unknown set.
pub fn enum_coverage(expr: &Expr) -> Option<(Path, Vec<String>)> {
    let mut path: Option<&Path> = None;
    let mut covered: Vec<String> = Vec::new();
    // Iterative over `||` chains, which may be long.
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return None;
        };
        let (p, values) = match op.value {
            BinaryOp::Or => {
                stack.push(rhs);
                stack.push(lhs);
                continue;
            }
            BinaryOp::Eq => match (lhs.as_path(), rhs.as_path()) {
                (Some(p), None) => (p, vec![rhs.as_str_literal()?.to_string()]),
                (None, Some(p)) => (p, vec![lhs.as_str_literal()?.to_string()]),
                _ => return None,
            },
            BinaryOp::In => {
                let ExprKind::List(items) = &rhs.kind else {
                    return None;
                };
                let values = items
                    .iter()
                    .map(|i| i.as_str_literal().map(str::to_string))
                    .collect::<Option<Vec<_>>>()?;
                (lhs.as_path()?, values)
            }
            _ => return None,
        };
        match path {
            Some(seen) if !seen.same_as(p) => return None,
            _ => path = Some(p),
        }
        for value in values {
            if !covered.contains(&value) {
                covered.push(value);
            }
        }
    }
    path.map(|p| (p.clone(), covered))
}
