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
    login_name(current_uid())
}

/// The real uid of this process: who runs it, for four-eyes and for the
/// ownership of gate files (never `$USER`, which anyone can set).
pub fn current_uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

/// The uid of login name `name`, from the password database: the starter
/// of a run journaled before its uid was.
pub fn uid_of_name(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    let mut buffer = vec![0 as libc::c_char; 4096];
    // SAFETY: as in `login_name`.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let status = libc::getpwnam_r(
            name.as_ptr(),
            &mut pw,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut result,
        );
        (status == 0 && !result.is_null()).then_some(pw.pw_uid)
    }
}

/// The login name of `uid`, or `uid N` when the password database has none:
/// who made a remote decision is the owner of its file, never a name
/// anyone could claim in it.
pub fn user_name(uid: u32) -> String {
    login_name(uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The login name of `uid`, from the password database (`getpwuid_r`,
/// reentrant: remote decisions are read on several threads).
fn login_name(uid: u32) -> Option<String> {
    let mut buffer = vec![0 as libc::c_char; 4096];
    // SAFETY: every pointer is to a live local of the right type and the
    // buffer's length is passed with it; `result` is null or `&pw`.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let status = libc::getpwuid_r(uid, &mut pw, buffer.as_mut_ptr(), buffer.len(), &mut result);
        if status != 0 || result.is_null() || pw.pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}
