//! Run ids name a directory under the journal directory, so an id from the
//! command line or from a journal must be a plain name: it can never point
//! outside (`../../x`, `/etc`) or at a hidden file.
//!
//! Allowed: 1 to 128 characters from `A-Z a-z 0-9 . _ -`, not starting with
//! `.` (so neither `.`, `..` nor a hidden name), with no `..` anywhere. The
//! ids `runbook` makes (`20261125T183201Z-4f3a9c`) are of this form.

/// The longest run id accepted.
pub const MAX_LEN: usize = 128;

/// Why `id` is not a plain run id, or `Ok`.
pub fn check(id: &str) -> Result<(), String> {
    let shown = id.escape_debug();
    if id.is_empty() {
        return Err("a run id cannot be empty".into());
    }
    if id.len() > MAX_LEN {
        return Err(format!("a run id has at most {MAX_LEN} characters"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "`{shown}` is not a run id: `{}` is not allowed (letters, digits, `.`, `_` and `-` only)",
            c.escape_debug()
        ));
    }
    if id.starts_with('.') || id.contains("..") {
        return Err(format!(
            "`{shown}` is not a run id: it cannot start with `.` or contain `..`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn generated_ids_are_plain() {
        assert_eq!(check(&crate::journal::new_run_id()), Ok(()));
        assert_eq!(check("20261125T183201Z-4f3a9c"), Ok(()));
        assert_eq!(check("my_run.2"), Ok(()));
    }

    #[test]
    fn paths_and_hostile_ids_are_refused() {
        for bad in [
            "", ".", "..", "../../x", "a/b", "/etc", "a\0b", ".hidden", "a..b", "x y", "$(id)",
            "`id`", "a\nb", "é", "a#b", "'q'", "\"q\"",
        ] {
            assert!(check(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(check(&"a".repeat(129)).is_err());
    }
}
