//! Why a condition did not hold: the values it read.

use super::eval::{Env, Lookup};
use super::syntax::Expr;

/// The longest value text shown for one path; a longer one (a whole reply,
/// a list of pods) is cut, since the expression rarely needs all of it.
const MAX_VALUE_CHARS: usize = 300;

/// What each path `expr` reads holds in `env`, once per path in the order
/// they appear (`steps.a.n = 1`): a failed assertion, or a poll that ran
/// out of time, shows them beside the expression.
pub fn values_read<E: Env + ?Sized>(expr: &Expr, env: &E) -> Vec<(String, String)> {
    let mut read: Vec<(String, String)> = Vec::new();
    for path in expr.paths() {
        let text = path.to_string();
        if read.iter().any(|(seen, _)| *seen == text) {
            continue;
        }
        let value = match env.lookup(path) {
            Lookup::Known(v) => cut(v.to_string()),
            Lookup::Unknown => "unknown".into(),
            Lookup::Missing => "missing".into(),
        };
        read.push((text, value));
    }
    read
}

fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::tests::p;
    use crate::expr::StepOutcome;
    use crate::path::Path;
    use serde_json::json;

    struct Values;

    impl Env for Values {
        fn lookup(&self, path: &Path) -> Lookup {
            match path.to_string().as_str() {
                "steps.a.n" => Lookup::Known(json!(1)),
                "steps.a.long" => Lookup::Known(json!("x".repeat(1000))),
                "steps.b.n" => Lookup::Unknown,
                _ => Lookup::Missing,
            }
        }

        fn step_state(&self, _: &str) -> Option<StepOutcome> {
            None
        }
    }

    #[test]
    fn each_path_once_in_order_long_values_cut() {
        let expr =
            p("steps.a.n > 3 && steps.b.n < steps.a.n && steps.c.n == 0 && steps.a.long != \"\"");
        let read = values_read(&expr, &Values);
        let names: Vec<&str> = read.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            ["steps.a.n", "steps.b.n", "steps.c.n", "steps.a.long"]
        );
        assert_eq!(read[0].1, "1");
        assert_eq!(read[1].1, "unknown");
        assert_eq!(read[2].1, "missing");
        assert!(read[3].1.ends_with("… (1002 bytes)"), "{}", read[3].1);
        assert!(read[3].1.len() < 400);
    }
}
