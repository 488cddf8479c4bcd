//! References into loops: the results of a step with `for_each` (a list
//! and its aggregates) and the element of the current step's loop.

use super::*;

impl<'a> References<'a, '_> {
    /// `steps.ID.FIELD` of a step with `for_each`: the list of its elements'
    /// results and the aggregates over them.
    pub(in crate::analyze) fn resolve_loop_results(
        &mut self,
        id: &str,
        step: &'a Step,
        schema: Option<&KindSchema>,
        path: &Path,
        diags: &mut Diagnostics,
    ) -> Type {
        let field_segment = &path.segments[2];
        let field = field_segment.value.as_key().unwrap_or_default();
        if let Some(ty) = loop_aggregate_type(field) {
            if path.segments.len() > 3 {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!("`{field}` is {}, it has no fields", ty.describe()),
                    )
                    .label(path.span_from(3), "no such field"),
                );
                return Type::Any;
            }
            return ty;
        }
        if field != "results" {
            let mut candidates: Vec<&str> = LOOP_RESULTS.to_vec();
            candidates.push("results");
            let one_element = result_names(step, schema)
                .unwrap_or_default()
                .contains(&field)
                || field == "outputs";
            let suggested = suggest::help_for("result", field, candidates.iter().copied())
                .filter(|_| !one_element);
            let help = suggested.unwrap_or_else(|| format!("`{id}` runs once per element (`for_each`): read one element's `{field}` as `steps.{id}.results[0].{field}`, or an aggregate such as `steps.{id}.all_succeeded`"));
            diags.push(
                Diagnostic::error(
                    Code::UnknownResult,
                    format!("step `{id}` runs once per element, its results are a list"),
                )
                .label(field_segment.span, "not a result of the loop as a whole")
                .help(help),
            );
            return Type::Any;
        }
        let element = Type::Map;
        let Some(index) = path.segments.get(3) else {
            return Type::List(Box::new(element));
        };
        if !matches!(index.value, crate::path::Segment::Index(_)) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidPath,
                    format!("`steps.{id}.results` is a list, indexed by position"),
                )
                .label(index.span, "expected `[0]`, `[1]`, ...")
                .help(format!(
                    "write `steps.{id}.results[0].FIELD` for the first element"
                )),
            );
            return Type::Any;
        }
        match path.key(4) {
            None => element,
            Some("item") => {
                let target = self.index.get(id).copied();
                let element = target.map_or(Type::Any, |t| self.types.element_types[t].clone());
                crate::expr::read_path_or_report(&element, path, 5, None, diags)
            }
            Some("index") => Type::Int,
            Some("state" | "message" | "label") => Type::String,
            Some(_) => self.resolve_result(id, step, schema, path, 4, diags),
        }
    }

    /// From here on the loop's element is readable under `name`, of type `ty`.
    pub(in crate::analyze) fn bind_element(&mut self, name: &'a str, ty: Type) {
        self.element = Some((name, ty));
    }

    /// The element is no longer readable; `why` says where the reader is.
    pub(in crate::analyze) fn unbind_element(&mut self, why: &'static str) {
        self.element = None;
        self.unbound_because = why;
    }

    /// `item`, `pod.metadata.name`: a path into the element of the loop.
    fn resolve_element(&mut self, path: &Path, ty: Type, diags: &mut Diagnostics) -> Type {
        match crate::expr::read_path(&ty, path, 1, diags) {
            Ok(ty) => ty,
            Err(deeper) if deeper.at > 1 => {
                diags.push(deeper.diagnostic(path));
                Type::Any
            }
            Err(crate::expr::NoFields { ty: other, .. }) => {
                let name = path.key(0).unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        Code::InvalidPath,
                        format!(
                            "the element `{name}` is {}, it has no fields",
                            other.describe()
                        ),
                    )
                    .label(path.span_from(1), "no such field")
                    .help(format!(
                        "each element of this list is {}: write `{name}` itself",
                        other.describe()
                    )),
                );
                Type::Any
            }
        }
    }

    /// A name that is not `inputs` or `steps`: the element of the loop, or
    /// a mistake about it.
    pub(in crate::analyze) fn resolve_other(
        &mut self,
        other: &str,
        path: &Path,
        diags: &mut Diagnostics,
    ) -> Option<Type> {
        if let Some((name, ty)) = &self.element {
            if *name == other {
                let ty = ty.clone();
                return Some(self.resolve_element(path, ty, diags));
            }
        }
        let first = path.segments.first().map(|s| s.span).unwrap_or(path.span);
        if other.starts_with('@') {
            diags.push(crate::template::position_name_outside(other, first));
            return Some(Type::Any);
        }
        // No step when a computed value (`vars`) is checked.
        let current = self.playbook.steps.get(self.current);
        let own = current
            .and_then(|step| step.for_each.as_ref())
            .map(|f| f.element_name());
        let (message, label, help) = if own == Some(other) {
            (
                format!("the element `{other}` is not bound {}", self.unbound_because),
                "no element here".to_string(),
                "the element is readable in the step's parameters, its `until`, and the question of a gate asked per element (`approval_per_item: true`)".to_string(),
            )
        } else if let Some(own) = own.filter(|_| self.element.is_some()) {
            let help = match other {
                "item" => {
                    format!("this step names its element `{own}` (`as: {own}`): write `{own}`")
                }
                _ => suggest::help_for("name", other, [own, "inputs", "steps"])
                    .unwrap_or_else(|| format!("this step names its element `{own}`")),
            };
            (
                format!("`{other}` is not something this step can read"),
                "unknown name".to_string(),
                help,
            )
        } else if other == "item"
            || self.playbook.steps.iter().any(|s| {
                s.for_each
                    .as_ref()
                    .is_some_and(|f| f.element_name() == other)
            })
        {
            (
                match current {
                    Some(step) => format!("`{other}` is the element of a loop, and step `{}` is not that loop", step.id.value),
                    None => format!("`{other}` is the element of a loop, and a computed value (`var`) is not in any loop"),
                },
                "no element here".to_string(),
                "the element of a `for_each` is readable only in its own step; elsewhere read the loop's results, such as `steps.ID.results[0]`".to_string(),
            )
        } else {
            return None;
        };
        let code = if label == "unknown name" {
            Code::InvalidPath
        } else {
            Code::ElementOutOfScope
        };
        diags.push(
            Diagnostic::error(code, message)
                .label(first, label)
                .help(help),
        );
        Some(Type::Any)
    }
}

/// Aggregates of a loop's results, and their types.
const LOOP_RESULTS: &[&str] = &[
    "count",
    "succeeded_count",
    "failed_count",
    "all_succeeded",
    "any_failed",
];

fn loop_aggregate_type(field: &str) -> Option<Type> {
    match field {
        "count" | "succeeded_count" | "failed_count" => Some(Type::Int),
        "all_succeeded" | "any_failed" => Some(Type::Bool),
        _ => None,
    }
}

/// The type of the elements of a list written out in the playbook.
pub(crate) fn literal_element_type(node: &crate::node::Node) -> Type {
    use crate::node::Value;
    let Some(items) = node.as_seq() else {
        return Type::Any;
    };
    let mut joined: Option<Type> = None;
    for item in items {
        let ty = match &item.value {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Str(_) => Type::String,
            Value::Seq(_) => Type::List(Box::new(Type::Any)),
            Value::Map(_) => Type::Map,
        };
        joined = Some(match joined {
            Some(prev) => prev.join(&ty),
            None => ty,
        });
    }
    joined.unwrap_or(Type::Any)
}
