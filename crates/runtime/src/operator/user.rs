//! Who is deciding: the name journaled with every decision.

/// Who is running this: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn current_user() -> String {
    // Asked at a run's start (twice) and at every gate decision: the
    // password database is read once (without `USER`, that is two `connect`s
    // to nscd, nsswitch.conf and /etc/passwd each time).
    static USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    USER.get_or_init(user_of_session).clone()
}

/// `USER`, `LOGNAME`, or the name of the real user id.
fn user_of_session() -> String {
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
