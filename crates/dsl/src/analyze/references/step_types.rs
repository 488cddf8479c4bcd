//! What the checker knows of a step once it is checked: the names and
//! types of its results and outputs, for the steps that read them.

use super::*;

/// What later steps need to know about a step already checked.
pub(in crate::analyze) struct StepTypes<'a> {
    pub(super) catalog: &'a dyn Catalog,
    pub(super) uses_secret: Vec<bool>,
    pub(super) reaches_results: Vec<bool>,
    /// The type of the element of each step's loop, once checked: what
    /// `steps.ID.results[0].item` reads (`any` until then).
    pub(super) element_types: Vec<Type>,
    /// Which inputs something reads (a template, an expression), by
    /// position: an input nothing reads is asked for and never used.
    pub(super) inputs_read: std::cell::RefCell<Vec<bool>>,
}

impl<'a> StepTypes<'a> {
    pub(in crate::analyze) fn new(
        playbook: &'a Playbook,
        catalog: &'a dyn Catalog,
    ) -> StepTypes<'a> {
        StepTypes {
            catalog,
            uses_secret: vec![false; playbook.steps.len()],
            reaches_results: vec![false; playbook.steps.len()],
            element_types: vec![Type::Any; playbook.steps.len()],
            inputs_read: std::cell::RefCell::new(vec![false; playbook.inputs.len()]),
        }
    }

    /// The positions of the inputs nothing read.
    pub(in crate::analyze) fn unread_inputs(&self) -> Vec<usize> {
        let read = self.inputs_read.borrow();
        (0..read.len()).filter(|&i| !read[i]).collect()
    }

    pub(in crate::analyze) fn record(
        &mut self,
        step: usize,
        uses_secret: bool,
        reaches_results: bool,
    ) {
        self.uses_secret[step] = uses_secret;
        self.reaches_results[step] = reaches_results;
    }

    pub(in crate::analyze) fn record_element(&mut self, step: usize, ty: Type) {
        self.element_types[step] = ty;
    }

    pub(in crate::analyze) fn step_uses_secret(&self, step: usize) -> bool {
        self.uses_secret[step]
    }

    pub(in crate::analyze) fn schema(&self, step: &Step) -> Option<&'a KindSchema> {
        match &step.action {
            Action::Kind { name, .. } => self.catalog.kind(&name.value),
            _ => None,
        }
    }
}

/// The results a step produces, by name; `None` when its kind is unknown
/// (already reported), so nothing about it is reported again.
pub(in crate::analyze) fn result_names<'s>(
    step: &'s Step,
    schema: Option<&'s KindSchema>,
) -> Option<Vec<&'s str>> {
    match &step.action {
        Action::Kind { .. } => schema.map(|s| s.results.iter().map(|r| r.name).collect()),
        Action::Ask(_) => Some(vec!["answer"]),
        Action::Manual { .. } => Some(vec!["note"]),
        Action::Branch(_) => Some(vec!["taken"]),
    }
}

/// The result an output captures when it names none.
pub(in crate::analyze) fn primary_result(
    step: &Step,
    schema: Option<&KindSchema>,
) -> Option<&'static str> {
    match &step.action {
        Action::Kind { .. } => schema.map(|s| s.primary_result).filter(|p| !p.is_empty()),
        Action::Ask(_) => Some("answer"),
        Action::Manual { .. } => Some("note"),
        Action::Branch(_) => Some("taken"),
    }
}

/// The type of a result of a step.
pub(super) fn result_type(step: &Step, schema: Option<&KindSchema>, name: &str) -> Option<Type> {
    match &step.action {
        Action::Kind { params, .. } => schema?.result(name).map(|r| r.type_for(params)),
        Action::Ask(ask) if name == "answer" => Some(match &ask.answer {
            AnswerType::Choice(choices) => {
                Type::Enum(choices.iter().map(|c| c.value.clone()).collect())
            }
            AnswerType::Number { .. } => Type::Float,
            AnswerType::Text => Type::String,
        }),
        Action::Manual { .. } if name == "note" => Some(Type::String),
        Action::Branch(_) if name == "taken" => Some(Type::String),
        _ => None,
    }
}

/// The type of a declared output: declared, or what its capture yields.
pub(in crate::analyze) fn output_type(
    step: &Step,
    schema: Option<&KindSchema>,
    output: &Output,
) -> Type {
    if let Some(ty) = &output.ty {
        return Type::from_value_type(ty.value);
    }
    if output.lines.is_some() || output.regex.is_some() {
        return match output.selected() {
            crate::ast::Select::All => Type::List(Box::new(Type::String)),
            crate::ast::Select::Count => Type::Int,
            crate::ast::Select::First | crate::ast::Select::Last => Type::String,
        };
    }
    if output.json.is_some() {
        return Type::Any;
    }
    let from = output
        .from
        .as_ref()
        .map(|f| f.value.as_str())
        .or_else(|| primary_result(step, schema));
    from.and_then(|f| result_type(step, schema, f))
        .unwrap_or(Type::Any)
}
