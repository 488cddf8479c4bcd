//! The built-in functions of the expression language, shared by the checker
//! and the evaluator so both agree on names and arity.

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Len,
    Contains,
    StartsWith,
    EndsWith,
    Lower,
    Upper,
    Int,
    Float,
    String,
    Default,
    Succeeded,
    Failed,
    Skipped,
}

impl Function {
    pub const ALL: &'static [Function] = &[
        Function::Len,
        Function::Contains,
        Function::StartsWith,
        Function::EndsWith,
        Function::Lower,
        Function::Upper,
        Function::Int,
        Function::Float,
        Function::String,
        Function::Default,
        Function::Succeeded,
        Function::Failed,
        Function::Skipped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Len => "len",
            Function::Contains => "contains",
            Function::StartsWith => "starts_with",
            Function::EndsWith => "ends_with",
            Function::Lower => "lower",
            Function::Upper => "upper",
            Function::Int => "int",
            Function::Float => "float",
            Function::String => "string",
            Function::Default => "default",
            Function::Succeeded => "succeeded",
            Function::Failed => "failed",
            Function::Skipped => "skipped",
        }
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// How it is called, for help lines: `starts_with(text, prefix)`.
    pub fn signature(self) -> &'static str {
        match self {
            Function::Len => "len(value)",
            Function::Contains => "contains(haystack, needle)",
            Function::StartsWith => "starts_with(text, prefix)",
            Function::EndsWith => "ends_with(text, suffix)",
            Function::Lower => "lower(text)",
            Function::Upper => "upper(text)",
            Function::Int => "int(value)",
            Function::Float => "float(value)",
            Function::String => "string(value)",
            Function::Default => "default(value, fallback)",
            Function::Succeeded => "succeeded(step)",
            Function::Failed => "failed(step)",
            Function::Skipped => "skipped(step)",
        }
    }

    pub fn arity(self) -> usize {
        match self {
            Function::Contains | Function::StartsWith | Function::EndsWith | Function::Default => 2,
            _ => 1,
        }
    }

    /// Whether the argument is a step id (`succeeded(health)`), not a value.
    pub fn takes_step(self) -> bool {
        matches!(
            self,
            Function::Succeeded | Function::Failed | Function::Skipped
        )
    }
}

/// The step id a step-state function is given: a bare `health` or
/// `steps.health`. `None` for anything else.
pub fn step_argument(arg: &super::Expr) -> Option<crate::source::Spanned<String>> {
    use crate::path::Segment;
    use crate::source::Spanned;
    let path = arg.as_path()?;
    let segment = match path.segments.as_slice() {
        [only] => only,
        [_, id] if path.key(0) == Some("steps") => id,
        _ => return None,
    };
    match &segment.value {
        Segment::Name(id) => Some(Spanned::new(id.clone(), segment.span)),
        _ => None,
    }
}
