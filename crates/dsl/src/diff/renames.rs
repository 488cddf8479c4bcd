//! Old text spelled as the new plan names steps, so a renamed step is no
//! change of the `needs`, conditions and templates that name it. Every
//! rename is applied at once: two steps that swapped ids must not turn
//! into one.

/// An old field's value with renamed step ids replaced by their new ids:
/// the whole value of `needs`, a branch target or `on_failure.goto`, and
/// `steps.ID` references anywhere.
pub(super) fn rename_value(path: &str, value: &str, renames: &[(String, String)]) -> String {
    if renames.is_empty() {
        return value.to_string();
    }
    let is_reference_field = path.starts_with("needs[")
        || path.ends_with(".then")
        || path.ends_with(".else")
        || path == "on_failure.goto";
    match renames.iter().find(|(old, _)| old == value) {
        Some((_, new)) if is_reference_field => new.clone(),
        _ => rename_all(value, renames),
    }
}

/// Every `steps.OLD` and `(OLD)` in the text replaced by its new id at
/// once: through a placeholder per rename, which no id can spell, so that
/// `a -> b` and `b -> a` swap the two rather than make both `a`.
pub(super) fn rename_all(text: &str, renames: &[(String, String)]) -> String {
    let placeholder = |i: usize| format!("\u{1}{i}\u{1}");
    let held = renames
        .iter()
        .enumerate()
        .fold(text.to_string(), |t, (i, (old, _))| {
            replace_reference(&t, old, &placeholder(i))
        });
    renames.iter().enumerate().fold(held, |t, (i, (_, new))| {
        replace_reference(&t, &placeholder(i), new)
    })
}

/// Replaces `steps.OLD` (followed by a non-identifier character) and `(OLD)`
/// by the new id.
pub(super) fn replace_reference(text: &str, old: &str, new: &str) -> String {
    let mut out = text.to_string();
    for (before, after) in [("steps.", ""), ("(", ")")] {
        let needle = format!("{before}{old}{after}");
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&needle) {
            let end = at + needle.len();
            let boundary = !rest[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            result.push_str(&rest[..at]);
            if boundary {
                result.push_str(&format!("{before}{new}{after}"));
            } else {
                result.push_str(&needle);
            }
            rest = &rest[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_ids_are_renamed_at_once() {
        let renames = [
            ("drain".to_string(), "cordon".to_string()),
            ("cordon".to_string(), "drain".to_string()),
        ];
        assert_eq!(
            rename_all("succeeded(drain) && steps.cordon.ok", &renames),
            "succeeded(cordon) && steps.drain.ok"
        );
        assert_eq!(rename_value("needs[0]", "cordon", &renames), "drain");
        assert_eq!(rename_value("needs[1]", "drain", &renames), "cordon");
        // Only a field that names a step is a step id as a whole.
        assert_eq!(rename_value("title", "drain", &renames), "drain");
    }

    #[test]
    fn references_to_a_renamed_step_are_rewritten_on_word_boundaries() {
        assert_eq!(
            replace_reference(
                "steps.probe.status == 200 && steps.probe2.ok",
                "probe",
                "health"
            ),
            "steps.health.status == 200 && steps.probe2.ok"
        );
        assert_eq!(
            replace_reference("succeeded(probe)", "probe", "health"),
            "succeeded(health)"
        );
    }
}
