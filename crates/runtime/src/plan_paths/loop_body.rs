//! A loop in `runbook plan`: one node, and under it its body.

/// A loop is one node of the plan; under it, its body: what runs once per
/// element, over which list, how many at a time.
pub(super) fn loop_body(step: &runbook_dsl::ast::Step) -> Option<String> {
    use runbook_dsl::ast::Action;
    let for_each = step.for_each.as_ref()?;
    let body = match &step.action {
        Action::Kind { name, params } => match params.scalar_string() {
            Some(text) => format!("{} {}", name.value, terminal_line(&text)),
            // The scalar parameters of the long form: `k8s operation=logs name={{pod}}`.
            None => {
                let fields: Vec<String> = params
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| Some(format!("{}={}", e.key.value, e.value.scalar_string()?)))
                    .collect();
                format!("{} {}", name.value, terminal_line(&fields.join(" ")))
            }
        },
        other => other.kind_name().to_string(),
    };
    Some(format!("↻ {}: {body}", for_each.summary()))
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
