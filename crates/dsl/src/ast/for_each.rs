//! `for_each` as written: the list, the element's name, and how elements run.

use crate::node::{Node, Text};
use crate::source::{Span, Spanned};

/// `for_each: LIST` with `as`, `label`, `parallel`, `on_item_failure` and
/// `approval_per_item` beside it: the step runs once per element. It stays
/// one step (one node of the graph, one `StepPlan`), so a loop over a
/// thousand elements costs `check` nothing more than one step.
#[derive(Clone, Debug, PartialEq)]
pub struct ForEach {
    pub list: ForEachList,
    /// `as: pod`: the name the element is bound to (`item` when absent).
    pub name: Option<Spanned<String>>,
    /// How many elements run at once (1 when absent: in order).
    pub parallel: Option<Spanned<u32>>,
    pub on_item_failure: Option<Spanned<ItemFailure>>,
    /// Ask the step's gate once per element rather than once for the set.
    pub approval_per_item: Option<Spanned<bool>>,
    /// `label: item.labels.instance`: an expression over the element that
    /// names it to people, in the journal, in rehearsals and on resume
    /// (when absent, the element itself or its `metadata.name`/`name`).
    pub label: Option<Text>,
    /// The `for_each` key and its value.
    pub span: Span,
}

impl ForEach {
    /// The name the element is bound to.
    pub fn element_name(&self) -> &str {
        self.name
            .as_ref()
            .map(|n| n.value.as_str())
            .unwrap_or("item")
    }

    pub fn parallel(&self) -> usize {
        self.parallel
            .as_ref()
            .map(|p| p.value as usize)
            .unwrap_or(1)
            .max(1)
    }

    pub fn on_item_failure(&self) -> ItemFailure {
        self.on_item_failure
            .as_ref()
            .map(|f| f.value)
            .unwrap_or(ItemFailure::Stop)
    }

    pub fn approval_per_item(&self) -> bool {
        self.approval_per_item.as_ref().is_some_and(|a| a.value)
    }

    /// One line for renderings (`plan`, the text graph, `doc`): "each `pod`
    /// of `steps.pods.crashlooping`, 3 at a time, going on after a failure".
    pub fn summary(&self) -> String {
        let list = match &self.list {
            ForEachList::Expr(text) => format!("`{}`", text.value.trim()),
            ForEachList::Literal(node) => {
                let n = node.as_seq().map_or(0, |s| s.len());
                format!("{n} listed element{}", if n == 1 { "" } else { "s" })
            }
        };
        let at_once = match self.parallel() {
            1 => "one at a time".to_string(),
            n => format!("{n} at a time"),
        };
        let policy = match self.on_item_failure() {
            ItemFailure::Stop => "stopping at the first failure",
            ItemFailure::Continue => "going on after a failure",
        };
        let gate = if self.approval_per_item() {
            ", a gate per element"
        } else {
            ""
        };
        let labelled = match &self.label {
            Some(label) => format!(", labelled `{}`", label.value.trim()),
            None => String::new(),
        };
        format!(
            "each `{}` of {list}{labelled}, {at_once}, {policy}{gate}",
            self.element_name()
        )
    }
}

/// The list a step iterates over.
#[derive(Clone, Debug, PartialEq)]
pub enum ForEachList {
    /// An expression known at run time: `steps.pods.outputs.items`, `inputs.hosts`.
    Expr(Text),
    /// A list written out in the playbook.
    Literal(Node),
}

/// What the failure of one element does to the others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ItemFailure {
    /// No further element starts; those running finish. The step fails.
    #[default]
    Stop,
    /// Every element runs; the step fails at the end if any failed.
    Continue,
}

impl ItemFailure {
    pub fn name(self) -> &'static str {
        match self {
            ItemFailure::Stop => "stop",
            ItemFailure::Continue => "continue",
        }
    }

    pub fn parse(word: &str) -> Option<ItemFailure> {
        match word {
            "stop" => Some(ItemFailure::Stop),
            "continue" => Some(ItemFailure::Continue),
            _ => None,
        }
    }
}
