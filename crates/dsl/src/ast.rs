//! The playbook model as written: one Ast for both syntaxes, every node
//! carrying its span. Produced by [`crate::lower`] from a [`Node`] tree,
//! consumed by the analyzer and the printers.

use crate::node::{Node, Text};
use crate::source::{Span, Spanned};
use std::time::Duration;

mod for_each;
mod text_matches;
pub use for_each::{ForEach, ForEachList, ItemFailure};
pub use text_matches::{Select, Separator};

/// A whole playbook file.
#[derive(Clone, Debug, PartialEq)]
pub struct Playbook {
    pub name: Option<Spanned<String>>,
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub owners: Vec<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    pub inputs: Vec<Input>,
    /// Named values computed from inputs and results (`vars:`).
    pub vars: Vec<Var>,
    /// `output_cap:`: the output cap of the playbook's steps that set none.
    pub output_cap: Option<SizeLit>,
    pub steps: Vec<Step>,
    /// Ids of steps written in the file that could not be read (their errors
    /// were reported): references to them are not reported again.
    pub unreadable_steps: Vec<Spanned<String>>,
    pub span: Span,
}

/// A named value computed by an expression over inputs, results and other
/// values (`used_pct: steps.mem.outputs.used / steps.mem.outputs.total * 100`),
/// read as `vars.NAME`; computed when a step first needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: Spanned<String>,
    /// The expression; for YAML data (a list or a mapping), the one that
    /// writes the same value, so both syntaxes share one model.
    pub expr: Text,
    pub span: Span,
}

/// A typed parameter of the playbook, given on the command line or from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: Spanned<String>,
    pub ty: Spanned<InputType>,
    pub description: Option<Text>,
    pub default: Option<Node>,
    pub required: Option<Spanned<bool>>,
    pub secret: Option<Spanned<bool>>,
    pub env: Option<Spanned<String>>,
    pub span: Span,
}

impl Input {
    pub fn is_secret(&self) -> bool {
        self.secret.as_ref().is_some_and(|s| s.value)
    }

    /// Types a value given for this input. The error quotes the value,
    /// except for a secret input: such errors are printed before anything
    /// can mask them.
    pub fn coerce(&self, raw: serde_json::Value) -> Result<serde_json::Value, String> {
        self.ty.value.coerce(raw).map_err(|error| {
            if self.is_secret() {
                format!(
                    "the value given is not a valid {} (not shown: the input is secret)",
                    self.ty.value.name()
                )
            } else {
                error
            }
        })
    }

    /// Required unless it has a default, an environment variable, or says otherwise.
    pub fn is_required(&self) -> bool {
        match &self.required {
            Some(r) => r.value,
            None => self.default.is_none(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum InputType {
    String,
    Int,
    Float,
    Bool,
    /// `5m`, `30s`: at run time its number of seconds, like every duration.
    Duration,
    Enum(Vec<Spanned<String>>),
}

impl InputType {
    /// A value given for an input (`--input k=v`, a scenario, a calling
    /// playbook: often text) as this type, or why it is not one.
    pub fn coerce(&self, raw: serde_json::Value) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        let text = match &raw {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match self {
            InputType::String => Ok(Value::String(text)),
            InputType::Int => match raw {
                Value::Number(n) if n.is_i64() => Ok(Value::Number(n)),
                _ => text
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("`{text}` is not an integer")),
            },
            InputType::Float => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("`{text}` is not a number")),
            InputType::Bool => match text.trim() {
                "true" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "0" => Ok(Value::Bool(false)),
                _ => Err(format!("`{text}` is not `true` or `false`")),
            },
            InputType::Duration => match raw {
                // A duration passed on by a calling playbook: seconds.
                Value::Number(n) => Ok(Value::Number(n)),
                _ => {
                    let parsed = crate::duration::parse_duration(&text)
                        .map_err(|why| format!("`{text}` is not a duration: {why}"))?;
                    let secs = parsed.as_secs_f64();
                    Ok(if secs.fract() == 0.0 {
                        Value::from(parsed.as_secs())
                    } else {
                        serde_json::Number::from_f64(secs)
                            .map(Value::Number)
                            .unwrap_or(Value::Null)
                    })
                }
            },
            InputType::Enum(words) => {
                if words.iter().any(|w| w.value == text) {
                    Ok(Value::String(text))
                } else {
                    let names: Vec<String> =
                        words.iter().map(|w| format!("`{}`", w.value)).collect();
                    Err(format!("`{text}` is not one of {}", names.join(", ")))
                }
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Int => "int",
            InputType::Float => "float",
            InputType::Bool => "bool",
            InputType::Duration => "duration",
            InputType::Enum(_) => "enum",
        }
    }
}

/// One node of the step graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub id: Spanned<String>,
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub action: Action,
    pub needs: Vec<Spanned<String>>,
    pub when: Option<Text>,
    pub timeout: Option<DurationLit>,
    /// Boxed, as the other fields most steps leave out: a large playbook's
    /// model lives as long as its plan (see the test `sizes_stay_small`).
    pub retry: Option<Box<Retry>>,
    pub until: Option<Box<Until>>,
    pub on_failure: Option<Spanned<OnFailure>>,
    pub effect: Option<Spanned<Effect>>,
    pub approval: Option<Box<Approval>>,
    pub outputs: Vec<Output>,
    /// Lint rules this step is exempt from, and why.
    pub lint: Option<Box<LintAllow>>,
    /// Runs the step once per element of a list.
    pub for_each: Option<Box<ForEach>>,
    /// `output_cap:`: what is kept of this step's output and large results.
    pub output_cap: Option<Box<SizeLit>>,
    /// `finally: true`: a cleanup that runs however the run goes on or
    /// stops (a failure, a rejected gate, a signal); where `true` is
    /// written. Boxed: most steps are not one.
    pub finally: Option<Box<Span>>,
    pub span: Span,
}

impl Step {
    /// Whether the step is a cleanup (`finally: true`).
    pub fn is_finally(&self) -> bool {
        self.finally.is_some()
    }
}

/// `lint: {allow: [rule, ...], reason: "..."}`: the step knowingly breaks
/// these `runbook lint` rules. The reason is required, so the exemption
/// explains itself to the next reviewer; rule names are checked by `lint`.
#[derive(Clone, Debug, PartialEq)]
pub struct LintAllow {
    /// Rule names, with or without the `lint::` prefix.
    pub allow: Vec<Spanned<String>>,
    pub reason: Text,
    pub span: Span,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A kind from the catalog (`shell`, `http`, ...) with its parameters.
    Kind { name: Spanned<String>, params: Node },
    /// Ordered conditional edges; `branch` and `triage` are two spellings.
    Branch(Branch),
    /// Instructions an operator follows and confirms.
    Manual { instructions: Text, span: Span },
    /// A typed question whose answer is the step's `answer` result (boxed:
    /// the largest variant, and the rarest).
    Ask(Box<Ask>),
}

impl Action {
    /// The name of the kind, as written in the playbook.
    pub fn kind_name(&self) -> &str {
        match self {
            Action::Kind { name, .. } => &name.value,
            Action::Branch(b) => b.keyword.value.name(),
            Action::Manual { .. } => "manual",
            Action::Ask(_) => "ask",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub keyword: Spanned<BranchKeyword>,
    pub cases: Vec<Case>,
    pub otherwise: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchKeyword {
    Branch,
    Triage,
}

impl BranchKeyword {
    pub fn name(self) -> &'static str {
        match self {
            BranchKeyword::Branch => "branch",
            BranchKeyword::Triage => "triage",
        }
    }
}

/// `when EXPR -> STEP`: taken when its condition holds and no earlier case was.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub when: Text,
    pub then: Spanned<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ask {
    pub question: Text,
    pub answer: AnswerType,
    /// The answer taken when the step's `timeout` passes with no answer.
    pub default: Option<Spanned<String>>,
    pub span: Span,
}

/// An answer is checked the same way wherever it comes from: the prompt,
/// `--answer`, a scenario, or an `ask`'s `default` at `check` time.
impl AnswerType {
    /// The answer `given` as its value, or why it does not fit: a choice (by
    /// name, or by its number in the list as the prompt shows it), a number
    /// within `min`/`max`, or any text.
    pub fn accept(&self, given: &str) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        let given = given.trim();
        match self {
            AnswerType::Choice(choices) => {
                if let Some(c) = choices.iter().find(|c| c.value == given) {
                    return Ok(Value::String(c.value.clone()));
                }
                if let Ok(n) = given.parse::<usize>() {
                    if (1..=choices.len()).contains(&n) {
                        return Ok(Value::String(choices[n - 1].value.clone()));
                    }
                }
                let names: Vec<String> = choices.iter().map(|c| format!("`{}`", c.value)).collect();
                Err(format!("`{given}` is not one of {}", names.join(", ")))
            }
            AnswerType::Number { min, max } => {
                let n: f64 = given
                    .parse()
                    .map_err(|_| format!("`{given}` is not a number"))?;
                // `NaN` would pass both bounds and be journaled as null.
                if !n.is_finite() {
                    return Err(format!("`{given}` is not a finite number"));
                }
                if let Some(min) = min {
                    if n < min.value {
                        return Err(format!("{n} is less than the minimum {}", min.value));
                    }
                }
                if let Some(max) = max {
                    if n > max.value {
                        return Err(format!("{n} is more than the maximum {}", max.value));
                    }
                }
                Ok(if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Value::from(n as i64)
                } else {
                    serde_json::Number::from_f64(n)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                })
            }
            AnswerType::Text => Ok(Value::String(given.to_string())),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum AnswerType {
    Choice(Vec<Spanned<String>>),
    Number {
        min: Option<Spanned<f64>>,
        max: Option<Spanned<f64>>,
    },
    Text,
}

/// A duration as written (`30s`, `5m`), kept verbatim so printing is lossless.
#[derive(Clone, Debug, PartialEq)]
pub struct DurationLit {
    /// Zero when `template` is set: the value is known at run time.
    pub value: Duration,
    pub text: String,
    pub span: Span,
    /// `timeout: "{{inputs.wait}}"`: the text is a template that renders a
    /// duration when the step runs.
    pub template: Option<Text>,
}

/// A size as written (`64KiB`, `1MiB`, `65536`), kept verbatim so printing
/// is lossless; an output cap (see `crate::size`).
#[derive(Clone, Debug, PartialEq)]
pub struct SizeLit {
    /// Bytes; zero when `template` is set: the value is known at run time.
    pub bytes: u64,
    pub text: String,
    pub span: Span,
    /// `output_cap: "{{inputs.cap}}"`: the text is a template that renders
    /// a size when the step runs.
    pub template: Option<Text>,
    /// Written as a YAML number (`65536`), printed back as one.
    pub number: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    pub attempts: Spanned<u32>,
    pub delay: Option<DurationLit>,
    pub backoff: Option<Spanned<f64>>,
    pub span: Span,
}

/// Poll: re-run the step every `every` until `condition` holds or `within` passes.
#[derive(Clone, Debug, PartialEq)]
pub struct Until {
    pub condition: Text,
    pub every: Option<DurationLit>,
    pub within: Option<DurationLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OnFailure {
    Abort,
    Continue,
    Goto(Spanned<String>),
}

/// What a step does to the world; decides dry-run behaviour and gates.
/// A step of unknown kind is assumed to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    Read,
    #[default]
    Write,
    Destructive,
}

impl Effect {
    pub fn name(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Write => "write",
            Effect::Destructive => "destructive",
        }
    }

    pub fn parse(word: &str) -> Option<Effect> {
        match word {
            "read" => Some(Effect::Read),
            "write" => Some(Effect::Write),
            "destructive" => Some(Effect::Destructive),
            _ => None,
        }
    }
}

/// A gate before the step: the operator must approve it.
#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    /// The question to ask; a default one is derived from the step when absent.
    pub question: Option<Text>,
    /// Who may approve (`by: other`, four-eyes); anyone when absent.
    pub by: Option<Spanned<ApprovedBy>>,
    pub span: Span,
}

impl Approval {
    /// Four-eyes: the person running the playbook cannot approve it.
    pub fn by_other(&self) -> bool {
        self.by
            .as_ref()
            .is_some_and(|b| b.value == ApprovedBy::Other)
    }
}

/// Who may approve a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovedBy {
    /// Whoever decides: the terminal, `--approve`, a remote decision.
    Anyone,
    /// Four-eyes: only a remote decision by an OS user other than the one
    /// running the playbook (see docs/semantics.md, "Who may decide").
    Other,
}

impl ApprovedBy {
    pub fn parse(word: &str) -> Option<ApprovedBy> {
        match word {
            "anyone" => Some(ApprovedBy::Anyone),
            "other" => Some(ApprovedBy::Other),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ApprovedBy::Anyone => "anyone",
            ApprovedBy::Other => "other",
        }
    }
}

/// A named value captured from a step's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: Spanned<String>,
    /// The result field it is taken from; the kind's primary result when absent.
    pub from: Option<Spanned<String>>,
    pub json: Option<Text>,
    pub regex: Option<Text>,
    /// `lines: "error|panic"`: the lines of the text that match.
    pub lines: Option<Text>,
    /// `separator: nul`: what splits the text into the records `lines`
    /// matches, when not line ends (boxed: most outputs leave it out).
    pub separator: Option<Box<Spanned<Separator>>>,
    /// Which of the matches of `lines` or `regex` (`all`, `count`, `first`, `last`).
    pub select: Option<Spanned<Select>>,
    pub ty: Option<Spanned<ValueType>>,
    pub secret: Option<Spanned<bool>>,
    /// Makes the output optional: its value when what it is captured from is
    /// absent (a field Kubernetes omits when zero, a regex that does not match).
    pub default: Option<crate::node::Node>,
    pub span: Span,
}

impl Output {
    /// What splits its text into the records `lines` matches.
    pub fn separator(&self) -> Separator {
        self.separator
            .as_ref()
            .map_or(Separator::Newline, |s| s.value)
    }

    /// Which matches it holds: declared, or the default of its capture.
    pub fn selected(&self) -> Select {
        match &self.select {
            Some(select) => select.value,
            None if self.lines.is_some() => Select::All,
            None => Select::First,
        }
    }

    pub fn is_secret(&self) -> bool {
        self.secret.as_ref().is_some_and(|s| s.value)
    }
}

/// The type of a value an author can declare for an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    Int,
    Float,
    Bool,
    List,
    Map,
    Any,
}

impl ValueType {
    pub const ALL: &'static [ValueType] = &[
        ValueType::String,
        ValueType::Int,
        ValueType::Float,
        ValueType::Bool,
        ValueType::List,
        ValueType::Map,
        ValueType::Any,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::List => "list",
            ValueType::Map => "map",
            ValueType::Any => "any",
        }
    }

    pub fn parse(word: &str) -> Option<ValueType> {
        ValueType::ALL.iter().copied().find(|t| t.name() == word)
    }
}
