//! Durations written as templates (`timeout: "{{inputs.wait}}"`,
//! `within: "{{vars.grace}}"`, `wait: "{{inputs.settle}}"`): checked like
//! any template, and what they insert must be able to render a duration: a
//! `duration` input or value, or text. A number is refused here, since
//! `300` says nothing about its unit. A template that reads only values
//! known at check time (input defaults, values computed from them) is
//! filled in here and what it renders must be a duration; otherwise that
//! is checked when the step runs.

use super::known_values::KnownValues;
use super::references::References;
use crate::code::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::Type;
use crate::node::Text;
use crate::plan::DurationField;
use crate::template::{self, Quoting, Template};

/// Checks the templated durations of a step; returns them parsed.
pub(super) fn check(
    step: &crate::ast::Step,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Vec<(DurationField, Template)> {
    let mut out = Vec::new();
    for field in DurationField::ALL {
        let Some(text) = field.of(step).and_then(|d| d.template.as_ref()) else {
            continue;
        };
        if let Some(parsed) = check_template(field.name(), text, refs, diags) {
            out.push((field, parsed));
        }
    }
    out
}

/// Parses and checks one duration written as a template; `name` is the
/// field or parameter as written (`timeout`, `duration`).
pub(super) fn check_template(
    name: &str,
    text: &Text,
    refs: &mut References,
    diags: &mut Diagnostics,
) -> Option<Template> {
    let parsed = match template::parse(text) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let mut found = Diagnostics::new();
    template::check(&parsed, Quoting::None, refs, &mut found);
    for insertion in parsed.insertions() {
        let ty = insertion.resolve(refs, &mut Diagnostics::new());
        if matches!(
            ty,
            Type::Int | Type::Float | Type::Bool | Type::List(_) | Type::Map | Type::Record(_)
        ) {
            found.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!(
                        "`{name}` inserts {}, which is not a duration",
                        ty.describe()
                    ),
                )
                .label(insertion.span, format!("this is {}", ty.describe()))
                .help("insert a duration: an input with `type: duration`, a value such as `duration(\"5m\")`, or text such as `5m`"),
            );
        }
    }
    let clean = !found.has_errors();
    diags.extend(found);
    if clean {
        check_known(name, text, &parsed, refs, diags);
    }
    Some(parsed)
}

/// Fills the template in with the values known now, if it reads only
/// those, and reports a rendering that is not a duration at the values it
/// read, with a label on the use.
fn check_known(
    name: &str,
    text: &Text,
    parsed: &Template,
    refs: &References,
    diags: &mut Diagnostics,
) {
    let known = KnownValues::new(refs.playbook(), refs.computed());
    // A value missing inside a default is a type error reported already.
    let Ok(Some(rendered)) = template::fill_known(parsed, &known, Quoting::None) else {
        return;
    };
    let Err(why) = crate::duration::rendered_duration(&rendered) else {
        return;
    };
    let sources = known.sources();
    let secret = sources.iter().any(|s| s.secret);
    let shown = if secret {
        "a value (not shown: it reads a secret)".to_string()
    } else {
        format!("`{}`", rendered.trim())
    };
    let mut diagnostic = Diagnostic::error(
        Code::InvalidDuration,
        format!("`{name}` renders {shown}, which is not a duration: {why}"),
    );
    for source in &sources {
        diagnostic = diagnostic.label(
            source.span,
            if source.default {
                format!(
                    "the default of `{}`, used unless the run is given another value",
                    source.name
                )
            } else {
                format!("`{}` is computed here", source.name)
            },
        );
    }
    let help = if sources.iter().any(|s| s.default) {
        "make the default a duration such as `30s`, `5m` or `1h30m` (and declare the input `type: duration`, so that a value given to the run is checked when it starts)"
    } else {
        "render a duration: a number and a unit such as `30s`, `5m` or `1h30m`"
    };
    diags.push(
        diagnostic
            .label(text.span, format!("`{name}` is rendered from it here"))
            .help(help),
    );
}
