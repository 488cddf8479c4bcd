//! Values in a local file path (`http`'s `save_to` and `body_file`). A value
//! inserted inside the path is one file name: it may not hold a `/`, be `.`
//! or `..`, or carry a NUL or control character, so a server's answer cannot
//! walk the path elsewhere (`../../etc/cron.d/x`). Only an input, which the
//! operator gives, may be the whole start of the path (a directory such as
//! `{{inputs.backup_dir}}/db.sql`).

use crate::template::Insertion;

pub(super) fn insert(prefix: &str, insertion: &Insertion, text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err(format!(
            "`{}` cannot go in a file path: it has a control character",
            text.escape_debug()
        ));
    }
    if prefix.is_empty() && insertion.path.starts_with(&["inputs"]) {
        if text.is_empty() {
            return Err("an empty value cannot start a file path".into());
        }
        return Ok(text.to_string());
    }
    if text.is_empty() || text == "." || text == ".." || text.contains('/') {
        return Err(format!(
            "`{text}` cannot go in a file path: an inserted value is one file name, without \
             `/` and not `.` or `..` (only an input may give a whole directory, at the start)"
        ));
    }
    Ok(text.to_string())
}
