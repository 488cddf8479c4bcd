//! Old text spelled as the new plan names steps, so a renamed step is no
//! change of the `needs`, conditions and templates that name it. Every
//! rename is applied at once: two steps that swapped ids must not turn
//! into one.

use super::Flat;

/// Old field values with renamed step ids replaced by their new ids: in
/// `needs`, branch targets, `on_failure.goto`, and `steps.ID` references.
pub(super) fn rename_flat(flat: &Flat, renames: &[(String, String)]) -> Flat {
    if renames.is_empty() {
        return flat.clone();
    }
    flat.iter()
        .map(|(path, value)| {
            let mut value = value.clone();
            for (old, new) in renames {
                let is_reference_field = path.starts_with("needs[")
                    || path.ends_with(".then")
                    || path.ends_with(".else")
                    || path == "on_failure.goto";
                if is_reference_field && value == *old {
                    value = new.clone();
                } else {
                    value = replace_reference(&value, old, new);
                }
            }
            (path.clone(), value)
        })
        .collect()
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
