//! The expression language of `when` guards, branch cases, `until` polling
//! conditions and assertions: parsed with spans ([`parse`]), type-checked
//! against the playbook's names ([`check`]), evaluated with unknowns
//! ([`eval`]) and printed canonically (`Display`).

mod check;
mod check_call;
mod coverage;
mod eval;
mod eval_call;
mod explain;
mod function;
mod lex;
mod mapping;
mod parse;
mod parse_error;
mod print;
mod record;
mod syntax;
mod types;

#[cfg(test)]
mod element_path_tests;
#[cfg(test)]
mod function_tests;
#[cfg(test)]
mod mapping_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod tests;

pub use check::{check, check_bool, Scope};
pub use coverage::enum_coverage;
pub use eval::{
    const_eval, eval, no_value, values_equal, Env, EvalError, JsonEnv, Lookup, Outcome, StepOutcome,
};
pub use explain::values_read;
pub use function::{step_argument, Function};
pub use mapping::value_type;
pub use parse::{parse, MAX_DEPTH, MAX_NESTING};
pub use print::key_text;
pub use record::{index_type, map_of, read_path, read_path_or_report, NoFields, Record, Rest};
pub use syntax::{BinaryOp, Expr, ExprKind, Literal, Precedence, UnaryOp, ELEMENT};
pub use types::Type;
