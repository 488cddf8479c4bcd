//! A loop in `runbook plan`: one node, and under it its body.

/// A loop is one node of the plan; under it, its body: what runs once per
/// element, over which list, how many at a time.
pub(super) fn loop_body(step: &runbook_dsl::ast::Step) -> Option<String> {
    use runbook_dsl::ast::Action;
    let for_each = step.for_each.as_ref()?;
    let body = match &step.action {
        Action::Kind { name, params } => match params.scalar_string() {
            Some(text) => format!("{} {}", name.value, terminal_line(&text)),
            // The scalar parameters of the long form, and lists of scalars
            // (a `redis` command): `k8s operation=logs name={{pod}}`,
            // `redis command=[CLIENT, KILL, ID, {{item}}]`.
            None => {
                let fields: Vec<String> = params
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| Some(format!("{}={}", e.key.value, shown(&e.value)?)))
                    .collect();
                format!("{} {}", name.value, terminal_line(&fields.join(" ")))
            }
        },
        other => other.kind_name().to_string(),
    };
    Some(format!("↻ {}: {body}", for_each.summary()))
}

/// A parameter's value on the plan's line: a scalar, or a list of scalars.
fn shown(value: &runbook_dsl::node::Node) -> Option<String> {
    if let Some(text) = value.scalar_string() {
        return Some(text);
    }
    let items = value
        .as_seq()?
        .iter()
        .map(|item| item.scalar_string())
        .collect::<Option<Vec<String>>>()?;
    Some(format!("[{}]", items.join(", ")))
}

/// The first line of a command, control characters escaped, for a line of the plan.
fn terminal_line(text: &str) -> String {
    let line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let escaped = runbook_dsl::terminal_text::escape(&line).into_owned();
    if line.len() < text.len() {
        format!("{escaped} ...")
    } else {
        escaped
    }
}
