//! Checking a step's parameters against its kind's schema, turning the
//! untyped node tree into typed [`Param`]s for the runtime.

use super::references::References;
use crate::catalog::{KindSchema, ParamSchema, ParamType};
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr;
use crate::node::{Entry, Node, Text, Value};
use crate::plan::{Param, ParamValue, Params};
use crate::source::Spanned;
use crate::suggest;
use crate::template::{self, Quoting};

/// Checks the parameters of a step of kind `schema`.
pub(super) fn check(
    schema: &KindSchema,
    name: &Spanned<String>,
    params: &Node,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Params {
    let entries: Vec<Entry>;
    let entries: &[Entry] = match &params.value {
        Value::Map(map) => map,
        _ => match schema.shorthand {
            Some(shorthand) => {
                entries = vec![Entry {
                    key: Text::opaque(shorthand, name.span),
                    value: params.clone(),
                }];
                &entries
            }
            None => {
                diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!(
                            "the `{}` kind takes a mapping of parameters, found {}",
                            schema.name,
                            params.type_name()
                        ),
                    )
                    .label(params.span, "expected parameters")
                    .help(format!(
                        "write its parameters under `{}:`, e.g. {}",
                        schema.name,
                        example_params(schema)
                    )),
                );
                return Params::new();
            }
        },
    };
    let mut checked = Params::with_capacity(entries.len());
    for entry in entries {
        let key = entry.key.value.as_str();
        if checked.get(key).is_some() {
            diags.push(
                Diagnostic::error(Code::DuplicateKey, format!("`{key}` is given twice"))
                    .label(entry.key.span, "given again here")
                    .help("remove one of them"),
            );
            continue;
        }
        let Some(param) = schema.param(key) else {
            diags.push(
                Diagnostic::error(
                    Code::UnknownParam,
                    format!("the `{}` kind has no parameter `{key}`", schema.name),
                )
                .label(entry.key.span, "unknown parameter")
                .with_help(suggest::help_for(
                    "parameter",
                    key,
                    schema.params.iter().map(|p| p.name),
                )),
            );
            continue;
        };
        refs.set_in_credential(schema.capabilities.credentials.contains(&key));
        let value = check_value(param, &param.ty, &entry.value, refs, diags);
        refs.set_in_credential(false);
        if let Some(value) = value {
            checked.insert(key.to_string(), value);
        }
    }
    for problem in (schema.rules)(params) {
        diags.push(
            Diagnostic::error(problem.code, problem.message)
                .label(problem.span, problem.label)
                .help(problem.help),
        );
    }
    let missing: Vec<&ParamSchema> = schema
        .params
        .iter()
        .filter(|p| p.required && !entries.iter().any(|e| e.key.value == p.name))
        // A misspelt parameter was reported as unknown with this one suggested.
        .filter(|p| {
            !entries.iter().any(|e| {
                schema.param(&e.key.value).is_none()
                    && suggest::did_you_mean(&e.key.value, schema.params.iter().map(|q| q.name))
                        == Some(p.name)
            })
        })
        .collect();
    for param in missing {
        diags.push(
            Diagnostic::error(
                Code::MissingParam,
                format!("the `{}` kind needs `{}`", schema.name, param.name),
            )
            .label(name.span, format!("`{}` missing", param.name))
            .help(format!(
                "`{}`: {} ({})",
                param.name,
                param.description,
                param.ty.describe()
            )),
        );
    }
    checked
}

fn example_params(schema: &KindSchema) -> String {
    let required: Vec<String> = schema
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| format!("{}: ...", p.name))
        .collect();
    format!("`{{{}}}`", required.join(", "))
}

/// Checks one value against a parameter type, without reporting, to pick among `OneOf`.
fn fits(param: &ParamSchema, ty: &ParamType, node: &Node, refs: &mut References) -> bool {
    let mut scratch = Diagnostics::new();
    check_value(param, ty, node, refs, &mut scratch).is_some() && !scratch.has_errors()
}

fn check_value(
    param: &ParamSchema,
    ty: &ParamType,
    node: &Node,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Param> {
    let value = match (ty, &node.value) {
        (ParamType::Any, _) => any_value(node, refs, diags)?,
        (ParamType::String, Value::Str(text)) => {
            if super::literal_text::in_param(param.name, text, diags) {
                return None;
            }
            ParamValue::Str(text.value.clone())
        }
        (ParamType::String, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            ParamValue::Str(node.scalar_string().unwrap_or_default())
        }
        (
            ParamType::Template
            | ParamType::ProseTemplate
            | ParamType::ShellTemplate
            | ParamType::Encoded(_),
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_),
        ) => {
            let text = as_text(node);
            let quoting = match ty {
                ParamType::ShellTemplate => Quoting::Shell,
                ParamType::ProseTemplate => Quoting::Prose,
                ParamType::Encoded(encoding) => Quoting::Encoded(*encoding),
                _ => Quoting::None,
            };
            match template::parse(&text) {
                Ok(parsed) => {
                    template::check(&parsed, quoting, refs, diags);
                    if let Quoting::Encoded(encoding) = quoting {
                        crate::template::encode::check(encoding, &parsed, refs, diags);
                    }
                    ParamValue::Template {
                        template: parsed,
                        quoting,
                        typed: false,
                    }
                }
                Err(diagnostic) => {
                    diags.push(diagnostic);
                    return None;
                }
            }
        }
        (ParamType::Expr, Value::Str(_) | Value::Bool(_)) => {
            let text = as_text(node);
            match expr::parse(&text) {
                Ok(parsed) => {
                    expr::check_bool(&parsed, refs, diags, "an assertion");
                    ParamValue::Expr(parsed)
                }
                Err(diagnostic) => {
                    diags.push(super::with_expression_help(diagnostic));
                    return None;
                }
            }
        }
        (ParamType::Int, Value::Int(i)) => ParamValue::Int(*i),
        (ParamType::Float, Value::Int(i)) => ParamValue::Float(*i as f64),
        (ParamType::Float, Value::Float(f)) => ParamValue::Float(*f),
        (ParamType::Bool, Value::Bool(b)) => ParamValue::Bool(*b),
        (ParamType::Duration, Value::Str(text)) if text.value.contains("{{") => {
            ParamValue::DurationTemplate(super::durations::check_template(
                param.name, text, refs, diags,
            )?)
        }
        (ParamType::Duration, Value::Str(text)) => {
            match crate::duration::parse_duration(&text.value) {
                Ok(duration) => ParamValue::Duration(duration),
                Err(reason) => {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidDuration,
                            format!("`{}` is not a duration: {reason}", text.value),
                        )
                        .label(node.span, "invalid duration")
                        .help("write a number and a unit: `500ms`, `30s`, `5m`, `1h30m`"),
                    );
                    return None;
                }
            }
        }
        (ParamType::Enum(words), Value::Str(text)) => {
            if words.contains(&text.value.as_str()) {
                ParamValue::Str(text.value.clone())
            } else {
                let exact_case = words.iter().find(|w| w.eq_ignore_ascii_case(&text.value));
                let help = match exact_case {
                    Some(w) => Some(format!("write `{w}`")),
                    None => suggest::help_for("value", &text.value, words.iter().copied()),
                };
                diags.push(
                    Diagnostic::error(
                        Code::InvalidParam,
                        format!("`{}` is not a valid `{}`", text.value, param.name),
                    )
                    .label(node.span, format!("expected {}", ty.describe()))
                    .with_help(help),
                );
                return None;
            }
        }
        (ParamType::List(item), Value::Seq(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item_node in items {
                out.push(check_value(param, item, item_node, refs, diags)?);
            }
            ParamValue::List(out)
        }
        (ParamType::Argv, Value::Seq(items)) => {
            // Literal elements say which later ones a shell parses (`sh -c`).
            let words: Vec<Option<String>> = items
                .iter()
                .map(|item| match &item.value {
                    Value::Str(text) if !text.value.contains("{{") => Some(text.value.clone()),
                    Value::Int(_) | Value::Float(_) | Value::Bool(_) => item.scalar_string(),
                    _ => None,
                })
                .collect();
            let words: Vec<Option<&str>> = words.iter().map(|w| w.as_deref()).collect();
            let parsed_by_shell = template::shell_parsed(&words);
            let mut out = Vec::with_capacity(items.len());
            for (item_node, shell) in items.iter().zip(parsed_by_shell) {
                let item = if shell {
                    ParamType::ShellTemplate
                } else {
                    ParamType::Template
                };
                out.push(check_value(param, &item, item_node, refs, diags)?);
            }
            ParamValue::List(out)
        }
        (ParamType::Map(value_ty), Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for entry in entries {
                let value = check_value(param, value_ty, &entry.value, refs, diags)?;
                out.push((entry.key.value.clone(), value));
            }
            ParamValue::Map(out)
        }
        (ParamType::OneOf(types), _) => {
            let chosen = types.iter().find(|t| fits(param, t, node, refs));
            match chosen {
                Some(t @ ParamType::Template) => {
                    let checked = check_value(param, t, node, refs, diags)?;
                    return Some(typed_insertion(param, types, checked, refs, diags));
                }
                Some(t) => return check_value(param, t, node, refs, diags),
                None => {
                    // Report the errors of the alternative of the same shape, if any.
                    if let Some(same_shape) = types.iter().find(|t| same_shape(t, node)) {
                        return check_value(param, same_shape, node, refs, diags);
                    }
                    return mismatch(param, ty, node, diags);
                }
            }
        }
        _ => return mismatch(param, ty, node, diags),
    };
    Some(Param {
        value,
        span: node.span,
    })
}

/// A parameter that takes a number or a boolean, or a template, given
/// exactly one insertion (`replicas: "{{steps.size.answer}}"`): the value
/// keeps its type, which must be one the parameter takes.
fn typed_insertion(
    param: &ParamSchema,
    types: &[ParamType],
    mut checked: Param,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Param {
    let ParamValue::Template {
        template, typed, ..
    } = &mut checked.value
    else {
        return checked;
    };
    let Some(insertion) = template.single_insertion() else {
        return checked;
    };
    let scalar: Vec<&ParamType> = types
        .iter()
        .filter(|t| matches!(t, ParamType::Int | ParamType::Float | ParamType::Bool))
        .collect();
    if scalar.is_empty() {
        return checked;
    }
    // Resolved again only for its type: the template check reported problems.
    let ty = insertion.resolve(refs, &mut Diagnostics::new());
    let fits = scalar.iter().any(|t| match (t, &ty) {
        (_, expr::Type::Any | expr::Type::Null) => true,
        // A number (an `ask` with `type: number`) may be whole: the kind
        // checks the value it gets.
        (ParamType::Int | ParamType::Float, expr::Type::Int | expr::Type::Float) => true,
        (ParamType::Bool, expr::Type::Bool) => true,
        _ => false,
    });
    if !fits {
        let wanted: Vec<String> = scalar.iter().map(|t| t.describe()).collect();
        diags.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!(
                    "`{}` takes {}, and `{}` is {}",
                    param.name,
                    wanted.join(" or "),
                    insertion.subject(),
                    ty.describe()
                ),
            )
            .label(insertion.path.span, format!("this is {}", ty.describe()))
            .help("insert a value of that type (an `ask` with `type: number`, an output with `type: int`), or write the value itself"),
        );
    }
    *typed = true;
    checked
}

/// Whether a node has the outer shape of a type (a list for a list...).
fn same_shape(ty: &ParamType, node: &Node) -> bool {
    matches!(
        (ty, &node.value),
        (ParamType::List(_) | ParamType::Argv, Value::Seq(_))
            | (ParamType::Map(_), Value::Map(_))
            | (
                ParamType::Int | ParamType::Float,
                Value::Int(_) | Value::Float(_)
            )
            | (ParamType::Bool, Value::Bool(_))
            | (
                ParamType::String
                    | ParamType::Template
                    | ParamType::ProseTemplate
                    | ParamType::ShellTemplate
                    | ParamType::Encoded(_)
                    | ParamType::Duration
                    | ParamType::Enum(_),
                Value::Str(_)
            )
    )
}

fn mismatch(
    param: &ParamSchema,
    ty: &ParamType,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Param> {
    let mut help = format!("`{}`: {}", param.name, param.description);
    if matches!(ty, ParamType::Duration) && matches!(node.value, Value::Int(_)) {
        help = format!(
            "a duration needs a unit: `{}s`",
            node.scalar_string().unwrap_or_default()
        );
    }
    diags.push(
        Diagnostic::error(
            Code::InvalidParam,
            format!(
                "`{}` must be {}, found {}",
                param.name,
                ty.describe(),
                node.type_name()
            ),
        )
        .label(node.span, format!("expected {}", ty.describe()))
        .help(help),
    );
    None
}

/// A free-form value (a JSON body): strings in it are templates.
fn any_value(node: &Node, refs: &mut References, diags: &mut Diagnostics) -> Option<ParamValue> {
    Some(match &node.value {
        Value::Null => ParamValue::Null,
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Int(i) => ParamValue::Int(*i),
        Value::Float(f) => ParamValue::Float(*f),
        Value::Str(text) => match template::parse(text) {
            Ok(parsed) => {
                template::check(&parsed, Quoting::None, refs, diags);
                let typed = parsed.single_insertion().is_some();
                ParamValue::Template {
                    template: parsed,
                    quoting: Quoting::None,
                    typed,
                }
            }
            Err(diagnostic) => {
                diags.push(diagnostic);
                return None;
            }
        },
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(Param {
                    value: any_value(item, refs, diags)?,
                    span: item.span,
                });
            }
            ParamValue::List(out)
        }
        Value::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for entry in entries {
                out.push((
                    entry.key.value.clone(),
                    Param {
                        value: any_value(&entry.value, refs, diags)?,
                        span: entry.value.span,
                    },
                ));
            }
            ParamValue::Map(out)
        }
    })
}

fn as_text(node: &Node) -> Text {
    match &node.value {
        Value::Str(text) => text.clone(),
        _ => Text::verbatim(node.scalar_string().unwrap_or_default(), node.span),
    }
}
