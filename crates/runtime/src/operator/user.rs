//! Who is deciding: the name journaled with every decision.

/// Who is running this: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_name_of_uid)
        .unwrap_or_else(|| "unknown".into())
}

/// The login name of the real user id, from the password database.
fn user_name_of_uid() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; the
    // name is copied out before any other call could overwrite it. Only
    // called from one thread at a time in practice (run start, gate decisions).
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}
