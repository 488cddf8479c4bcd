//! The seam through which step kinds describe themselves to the checker.
//! `crates/stdlib` implements it; the dsl never depends on the runtime.

use crate::ast::{Effect, ValueType};
use crate::expr::Type;
use crate::node::Node;

/// Looks up step kinds by name.
pub trait Catalog: Send + Sync {
    fn kind(&self, name: &str) -> Option<&KindSchema>;
    /// All kind names, for "did you mean" and documentation.
    fn kind_names(&self) -> Vec<&str>;
}

/// What a step kind accepts and produces, as far as checking needs to know.
#[derive(Clone, Debug)]
pub struct KindSchema {
    pub name: &'static str,
    /// One line, for `runbook doc` and diagnostics.
    pub summary: &'static str,
    pub params: Vec<ParamSchema>,
    /// A scalar written in place of the parameter mapping fills this parameter:
    /// `shell: "kubectl get pods"` is `shell: { command: "kubectl get pods" }`.
    pub shorthand: Option<&'static str>,
    pub results: Vec<ResultField>,
    /// The result an output captures when it names none (`stdout` for shell).
    pub primary_result: &'static str,
    /// The effect of a step of this kind that declares none, from its parameters.
    pub default_effect: fn(&Node) -> Effect,
    /// How the default effect is chosen, one Markdown sentence or two, for
    /// the reference (the rule itself is code and cannot describe itself).
    pub effect_doc: &'static str,
    /// Mistakes in how parameters combine that their types cannot say
    /// (k8s `delete` without `name`), found at check time rather than when
    /// the step runs.
    pub rules: fn(&Node) -> Vec<ParamProblem>,
    /// What the rest of the pipeline may rely on about the kind, so that no
    /// command outside the kind's own module knows it by name.
    pub capabilities: Capabilities,
}

/// What a kind is, as the checker, `plan`, `diff`, `doc`, `lint`, the
/// runner and rehearsals ask it: the questions they used to answer by
/// comparing a kind's name.
#[derive(Clone, Copy, Debug, Default)]
pub struct Capabilities {
    /// A step of the kind is an approval gate by itself (`approve`): it asks
    /// before it runs even without an `approval`, and a gate `--yes` does
    /// not pass.
    pub gates: bool,
    /// The parameter holding the question a kind that gates puts to the
    /// operator (`approve`'s `question`); without it, the step's title.
    pub question: Option<&'static str>,
    /// Running it changes nothing outside the run (`log`, `assert`, `wait`,
    /// `approve`): a rehearsal may run it for real when the scenario gives
    /// no result for it.
    pub pure: bool,
    /// It runs another playbook, named by its `path` parameter (or its
    /// shorthand): the checker follows the call, rehearsals and `--approve`
    /// address the called playbook's steps as `CALL.STEP`.
    pub calls_playbook: bool,
    /// The parameter holding a command line that `runbook doc` shows as a
    /// code block (`shell`'s `command`).
    pub command: Option<&'static str>,
    /// The parameter holding the expression the step asserts (`assert`'s
    /// `that`), which a failure of the step points at.
    pub assertion: Option<&'static str>,
    /// Whether the step's own parameters say what it is for, so that a
    /// description would repeat them (`lint`'s on-call rule).
    pub describes_itself: DescribesItself,
    /// The values of the kind's `operation` parameter that only read
    /// (k8s `get`, `list`, `logs`, ...): their default effect is `read`.
    pub read_only_operations: &'static [&'static str],
    /// The parameters that only open a connection (`sql`'s `url`, whose
    /// password is a secret): their values never reach the step's results,
    /// so a secret used there alone does not make its outputs secret for
    /// `lint` and `doc`.
    pub credentials: &'static [&'static str],
    /// The lowest effect a step may declare, read off its parameters where
    /// they say what the step does (`redis`'s command, `http`'s `PUT`,
    /// `PATCH` and `DELETE`), not a guess the author may correct: a
    /// declared `effect` below it is a check error (`understated_effect`),
    /// so a dry-run never runs a change declared `read`.
    pub effect_floor: Option<&'static EffectFloor>,
    /// The parameter that makes a step undo what another step of the kind
    /// did (`silence`'s `expire`): a cleanup, which `lint::ungated_write`
    /// does not ask to gate (a gate a person refuses, or a run stopped
    /// before it, would leave the change in place).
    pub undoes_with: Option<&'static &'static str>,
    /// A text parameter that `diff` compares in a normal form, so that a
    /// change that does not change its meaning (`sql`'s query reflowed or
    /// its keywords in lower case) is no change.
    pub normal_form: Option<&'static NormalForm>,
}

/// See [`Capabilities::normal_form`].
#[derive(Clone, Copy, Debug)]
pub struct NormalForm {
    /// The parameter (`query`).
    pub param: &'static str,
    /// Whether it is the kind's shorthand, so that a scalar written in
    /// place of the parameter mapping (`sql: SELECT 1`) is it too.
    pub shorthand: bool,
    /// The text in its normal form: two texts with the same one mean the
    /// same; anything not known to be insignificant is kept.
    pub of: fn(&str) -> String,
}

/// See [`Capabilities::effect_floor`].
#[derive(Clone, Copy, Debug)]
pub struct EffectFloor {
    /// The lowest effect the step's parameters allow it to declare.
    pub effect: fn(&Node) -> Effect,
    /// The parameters it is read from, in the order a diagnostic points at
    /// the first one written (`http`: `save_to`, then `method`).
    pub read_from: &'static [&'static str],
}

/// See [`Capabilities::describes_itself`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DescribesItself {
    /// A step needs a description to say what it is for (`shell`, `http`).
    #[default]
    No,
    /// Its text says it (a `log` message, an `approve` question).
    Always,
    /// Only when this parameter is given (`assert`'s `message`).
    With(&'static str),
}

impl Capabilities {
    /// Whether the operation (the value of the kind's `operation`
    /// parameter) only reads.
    pub fn reads_only(&self, operation: &str) -> bool {
        self.read_only_operations.contains(&operation)
    }
}

/// A mistake found by a kind's [`KindSchema::rules`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamProblem {
    pub code: crate::code::Code,
    pub span: crate::source::Span,
    pub message: String,
    /// What the span shows ("needs more", "not a DNS-1123 name").
    pub label: String,
    pub help: String,
}

/// The rules of a kind whose parameters' types say everything.
pub fn no_rules(_params: &Node) -> Vec<ParamProblem> {
    Vec::new()
}

impl KindSchema {
    pub fn param(&self, name: &str) -> Option<&ParamSchema> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn result(&self, name: &str) -> Option<&ResultField> {
        self.results.iter().find(|r| r.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct ParamSchema {
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
    pub description: &'static str,
    /// The values of the kind's `operation` parameter the parameter applies
    /// to; empty: all of them. `runbook lint` reads it to know whether a
    /// kind's own `timeout` bounds a step (k8s: only `rollout_status`).
    pub only_for: &'static [&'static str],
}

impl ParamSchema {
    pub fn required(name: &'static str, ty: ParamType, description: &'static str) -> ParamSchema {
        ParamSchema {
            name,
            ty,
            required: true,
            description,
            only_for: &[],
        }
    }

    pub fn optional(name: &'static str, ty: ParamType, description: &'static str) -> ParamSchema {
        ParamSchema {
            name,
            ty,
            required: false,
            description,
            only_for: &[],
        }
    }

    /// The parameter applies only to these values of `operation`.
    pub fn only_for(mut self, operations: &'static [&'static str]) -> ParamSchema {
        self.only_for = operations;
        self
    }

    /// Whether the parameter applies to a step whose `operation` is this.
    pub fn applies_to(&self, operation: Option<&str>) -> bool {
        self.only_for.is_empty() || operation.is_some_and(|op| self.only_for.contains(&op))
    }
}

/// The shape a parameter's value must have.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    /// A literal string, no templating.
    String,
    /// A handlebars template; every variable it uses is checked.
    Template,
    /// A template a person reads in runbook's own output (a `log`
    /// message): an inserted value stays on one line, its line breaks
    /// written `\n`, so a value cannot add lines that look like the run's.
    ProseTemplate,
    /// A template rendered into a shell command: insertions are quoted for
    /// the shell context they land in.
    ShellTemplate,
    /// A template whose insertions are encoded for where they land (a URL,
    /// a JSON body, a PromQL query, a Kubernetes name).
    Encoded(crate::encode::Encoding),
    /// A command as an argv list of templates, run without a shell; an
    /// element that a shell parses again (the script of `sh -c`, the remote
    /// command of `ssh`) is a [`ParamType::ShellTemplate`].
    Argv,
    /// An expression of the playbook's expression language, of this type.
    Expr,
    Int,
    Float,
    Bool,
    Duration,
    /// One of these words.
    Enum(&'static [&'static str]),
    List(Box<ParamType>),
    /// A mapping from string keys to values of this type.
    Map(Box<ParamType>),
    /// The first of these that fits.
    OneOf(Vec<ParamType>),
    /// Any value (a JSON body, say); strings in it are templates.
    Any,
}

impl ParamType {
    /// How the type reads in a diagnostic ("expected a list of strings").
    pub fn describe(&self) -> String {
        match self {
            ParamType::String => "a string".into(),
            ParamType::Template => "a string (a template)".into(),
            ParamType::ProseTemplate => {
                "a string (a template; inserted values stay on one line)".into()
            }
            ParamType::ShellTemplate => "a string (a shell command template)".into(),
            ParamType::Encoded(encoding) => encoding.describe().into(),
            ParamType::Argv => "a list of strings (an argv list of templates)".into(),
            ParamType::Expr => "an expression".into(),
            ParamType::Int => "an integer".into(),
            ParamType::Float => "a number".into(),
            ParamType::Bool => "a boolean".into(),
            ParamType::Duration => "a duration such as `30s` or `5m`".into(),
            ParamType::Enum(words) => {
                let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                format!("one of {}", words.join(", "))
            }
            ParamType::List(item) => format!("a list of {}", plural(&item.describe())),
            ParamType::Map(value) => format!("a mapping to {}", plural(&value.describe())),
            ParamType::OneOf(types) => {
                let parts: Vec<String> = types.iter().map(ParamType::describe).collect();
                parts.join(" or ")
            }
            ParamType::Any => "any value".into(),
        }
    }
}

fn plural(described: &str) -> String {
    let bare = described
        .strip_prefix("a ")
        .or_else(|| described.strip_prefix("an "))
        .unwrap_or(described);
    match bare.split_once(' ') {
        Some((head, rest)) => format!("{head}s {rest}"),
        None => format!("{bare}s"),
    }
}

/// A value a step of this kind produces, readable as `steps.ID.NAME`.
#[derive(Clone, Debug)]
pub struct ResultField {
    pub name: &'static str,
    pub ty: ValueType,
    pub description: &'static str,
    /// The result's type in full, where the kind knows more than `ty`
    /// says: what a list holds (`list<pod>`, `list<series>`), the fields of
    /// a mapping. Given the step's parameters, since it can depend on them
    /// (the resource a k8s step reads, the columns a SQL query selects).
    /// `check` types the element of a loop over the result, a lambda's
    /// parameter and a computed value with it.
    pub shape: Option<fn(&Node) -> Type>,
}

impl ResultField {
    pub fn new(name: &'static str, ty: ValueType, description: &'static str) -> ResultField {
        ResultField {
            name,
            ty,
            description,
            shape: None,
        }
    }

    /// The result's full type, from the step's parameters: see
    /// [`ResultField::shape`]. It must be a `ty`: a list for `list`.
    pub fn shaped(mut self, shape: fn(&Node) -> Type) -> ResultField {
        self.shape = Some(shape);
        self
    }

    /// The type of the result of a step with these parameters.
    pub fn type_for(&self, params: &Node) -> Type {
        match self.shape {
            Some(shape) => shape(params),
            None => Type::from_value_type(self.ty),
        }
    }

    /// The type the reference shows, for a step whose parameters are not
    /// known (the most general the kind declares).
    pub fn documented_type(&self) -> Type {
        self.type_for(&Node {
            value: crate::node::Value::Null,
            span: crate::source::Span::default(),
        })
    }
}

/// A catalog that is a list of kinds: what stdlib builds and tests use.
#[derive(Clone, Debug, Default)]
pub struct KindList {
    kinds: Vec<KindSchema>,
}

impl KindList {
    pub fn new(kinds: Vec<KindSchema>) -> KindList {
        KindList { kinds }
    }

    pub fn iter(&self) -> impl Iterator<Item = &KindSchema> {
        self.kinds.iter()
    }
}

impl Catalog for KindList {
    fn kind(&self, name: &str) -> Option<&KindSchema> {
        self.kinds.iter().find(|k| k.name == name)
    }

    fn kind_names(&self) -> Vec<&str> {
        self.kinds.iter().map(|k| k.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_nested_types() {
        assert_eq!(
            ParamType::List(Box::new(ParamType::String)).describe(),
            "a list of strings"
        );
        assert_eq!(
            ParamType::OneOf(vec![
                ParamType::ShellTemplate,
                ParamType::List(Box::new(ParamType::Template))
            ])
            .describe(),
            "a string (a shell command template) or a list of strings (a template)"
        );
    }
}
