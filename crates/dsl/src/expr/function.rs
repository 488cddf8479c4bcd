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
    Any,
    All,
    Max,
    Min,
    Sum,
    Count,
    Filter,
    Map,
    Join,
    Split,
    Round,
    Format,
    Now,
    FromNow,
    Age,
    Duration,
    Keys,
    Values,
    Entries,
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
        Function::Any,
        Function::All,
        Function::Max,
        Function::Min,
        Function::Sum,
        Function::Count,
        Function::Filter,
        Function::Map,
        Function::Join,
        Function::Split,
        Function::Round,
        Function::Format,
        Function::Now,
        Function::FromNow,
        Function::Age,
        Function::Duration,
        Function::Keys,
        Function::Values,
        Function::Entries,
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
            Function::Any => "any",
            Function::All => "all",
            Function::Max => "max",
            Function::Min => "min",
            Function::Sum => "sum",
            Function::Count => "count",
            Function::Filter => "filter",
            Function::Map => "map",
            Function::Join => "join",
            Function::Split => "split",
            Function::Round => "round",
            Function::Format => "format",
            Function::Now => "now",
            Function::FromNow => "from_now",
            Function::Age => "age",
            Function::Duration => "duration",
            Function::Keys => "keys",
            Function::Values => "values",
            Function::Entries => "entries",
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
            Function::Any => "any(list) or any(list, x => condition)",
            Function::All => "all(list) or all(list, x => condition)",
            Function::Max => "max(list) or max(list, x => number)",
            Function::Min => "min(list) or min(list, x => number)",
            Function::Sum => "sum(list) or sum(list, x => number)",
            Function::Count => "count(list) or count(list, x => condition)",
            Function::Filter => "filter(list, x => condition)",
            Function::Map => "map(list, x => value)",
            Function::Join => "join(list, separator)",
            Function::Split => "split(text, separator)",
            Function::Round => "round(number) or round(number, decimals)",
            Function::Format => "format(number, decimals) or format(duration)",
            Function::Now => "now()",
            Function::FromNow => "from_now(duration)",
            Function::Age => "age(timestamp)",
            Function::Duration => "duration(\"5m\")",
            Function::Keys => "keys(mapping)",
            Function::Values => "values(mapping)",
            Function::Entries => "entries(mapping)",
        }
    }

    /// The fewest and the most arguments it takes.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Function::Now => (0, 0),
            Function::Any
            | Function::All
            | Function::Max
            | Function::Min
            | Function::Sum
            | Function::Count
            | Function::Round
            | Function::Format => (1, 2),
            Function::Contains
            | Function::StartsWith
            | Function::EndsWith
            | Function::Default
            | Function::Filter
            | Function::Map
            | Function::Join
            | Function::Split => (2, 2),
            _ => (1, 1),
        }
    }

    /// Whether its second argument is a lambda (`x => ...`) applied to each
    /// element of the list given first.
    pub fn takes_lambda(self) -> bool {
        matches!(
            self,
            Function::Any
                | Function::All
                | Function::Max
                | Function::Min
                | Function::Sum
                | Function::Count
                | Function::Filter
                | Function::Map
        )
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
