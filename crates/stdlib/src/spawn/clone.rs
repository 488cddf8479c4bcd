//! The Linux spawn: `clone(CLONE_VM | CLONE_VFORK | SIGCHLD)` on a stack of
//! its own, as glibc's `posix_spawn` does, with what a `pre_exec` hook did
//! done by the new process itself before `execve`.
//!
//! The new process shares `runbook`'s memory until it calls `execve` (or
//! `_exit`), and the calling thread is suspended until then. So everything
//! it needs is prepared before the clone ([`Prepared`]: the paths to try,
//! argv and envp as C strings, the working directory, the descriptors to
//! put in place); it makes only async-signal-safe system calls, takes no
//! lock, allocates nothing, and writes no memory of `runbook` but its own
//! stack and one word of [`Shared`]: why it failed.
//!
//! Signals: every signal is blocked in `runbook`'s calling thread around the
//! clone, so none is handled in the new process while it shares the memory
//! (a handler of `runbook`'s would run on `runbook`'s data); the new process
//! then sets every signal `runbook` changes to its default disposition
//! ([`crate::signals::CHANGED`]: the ones with a handler, and SIGPIPE, which
//! `runbook` ignores and a command must get as default, as `std`'s spawn
//! gives it), and empties its signal mask just before `execve`. The other threads of `runbook` keep running: they never touch
//! the new process's stack or [`Shared`], and every descriptor they open is
//! close-on-exec (`std`, tokio and the project's own opens all are), so
//! none leaks into the command.

use super::{Child, Command, Stdio};
use nix::libc::{self, c_char, c_int, c_void};
use nix::unistd::Pid;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicI32, Ordering};

/// Starts `command` as described in the module's documentation; the
/// process refuses to start unless its parent is `parent`.
pub(super) fn spawn(
    command: &Command,
    stdio: &Stdio,
    watchdog: Option<c_int>,
    parent: Pid,
) -> io::Result<Child> {
    let mut prepared = Prepared::new(command)?;
    let stack = Stack::new()?;
    let shared = Shared {
        candidates: prepared.candidates.as_ptr(),
        argv: prepared.argv.as_ptr(),
        script_argv: prepared.script_argv.as_mut_ptr(),
        envp: prepared.envp.as_ptr(),
        cwd: prepared
            .cwd
            .as_ref()
            .map_or(std::ptr::null(), |c| c.as_ptr()),
        stdio: stdio.fds(),
        watchdog: watchdog.unwrap_or(-1),
        parent: parent.as_raw(),
        failure: AtomicI32::new(0),
        errno: AtomicI32::new(0),
    };
    let (pid, clone_error) = {
        let _blocked = AllSignalsBlocked::new()?;
        // SAFETY: `start` runs on `stack` (which outlives the process's use
        // of it: this thread is suspended until `execve` or `_exit`), reads
        // `shared` and what it points to (all alive until this function
        // returns) and writes only `shared.failure`/`shared.errno`;
        // `CLONE_VFORK` makes this call return only once it no longer uses
        // either.
        let pid = unsafe {
            libc::clone(
                start,
                stack.top(),
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                std::ptr::addr_of!(shared).cast_mut().cast::<c_void>(),
            )
        };
        (pid, io::Error::last_os_error())
    };
    if pid < 0 {
        return Err(clone_error);
    }
    let pid = Pid::from_raw(pid);
    let failure = shared.failure.load(Ordering::Acquire);
    if failure != 0 {
        // It has `_exit`ed (or is about to): reap it.
        let _ = nix::sys::wait::waitpid(pid, None);
        return Err(match failure {
            PARENT_GONE => super::parent_gone(),
            _ => io::Error::from_raw_os_error(shared.errno.load(Ordering::Acquire)),
        });
    }
    Child::from_pid(pid)
}

/// Why the new process did not `execve` the command (`Shared::failure`).
const FAILED: c_int = 1;
const PARENT_GONE: c_int = 2;

/// What the new process reads, and the one thing it writes back.
#[repr(C)]
struct Shared {
    /// The paths to try in turn, null-terminated.
    candidates: *const *const c_char,
    argv: *const *const c_char,
    /// `/bin/sh`, a slot for the path, then `argv[1..]`: to run a file
    /// that `execve` refuses as not executable (`ENOEXEC`) as a shell
    /// script, as `execvp` does.
    script_argv: *mut *const c_char,
    envp: *const *const c_char,
    /// Null: stay in `runbook`'s directory.
    cwd: *const c_char,
    /// stdin, stdout, stderr.
    stdio: [c_int; 3],
    /// The watchdog's channel, or -1.
    watchdog: c_int,
    /// `runbook`'s pid, to check after setting the parent-death signal.
    parent: libc::pid_t,
    /// 0, or why it failed ([`FAILED`] with `errno`, [`PARENT_GONE`]).
    failure: AtomicI32,
    errno: AtomicI32,
}

/// The new process's body, on its own stack. Never returns.
extern "C" fn start(shared: *mut c_void) -> c_int {
    // SAFETY: `shared` is the `Shared` `spawn` passed to `clone`, alive
    // and unchanged while this runs; every call below is an
    // async-signal-safe system call on values prepared by `spawn`.
    unsafe {
        let shared = &*shared.cast::<Shared>();
        let fail = |why: c_int, errno: c_int| -> ! {
            shared.errno.store(errno, Ordering::Release);
            shared.failure.store(why, Ordering::Release);
            libc::_exit(127)
        };
        reset_signal_dispositions();
        for (target, &fd) in shared.stdio.iter().enumerate() {
            let target = target as c_int;
            // `dup2` onto itself would leave it close-on-exec.
            let put = if fd == target {
                libc::fcntl(fd, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, target)
            };
            if put < 0 {
                fail(FAILED, errno());
            }
        }
        if !shared.cwd.is_null() && libc::chdir(shared.cwd) < 0 {
            fail(FAILED, errno());
        }
        if libc::setpgid(0, 0) < 0 {
            fail(FAILED, errno());
        }
        if shared.watchdog >= 0 {
            crate::watchdog::announce(shared.watchdog);
        }
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) < 0 {
            fail(FAILED, errno());
        }
        if libc::getppid() != shared.parent {
            fail(PARENT_GONE, 0);
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        let errno = exec(shared);
        fail(FAILED, errno)
    }
}

/// Tries each candidate path as `execvp` does: a file the kernel does not
/// know how to execute runs as a `/bin/sh` script; a path that is missing
/// or refused moves on to the next; any other error stops. Returns the
/// errno to report (`EACCES` if any path was refused).
///
/// # Safety
/// Only in the new process, with `shared` as `spawn` prepared it.
unsafe fn exec(shared: &Shared) -> c_int {
    let mut refused = false;
    let mut last = libc::ENOENT;
    let mut candidate = shared.candidates;
    while !(*candidate).is_null() {
        let path = *candidate;
        libc::execve(path, shared.argv, shared.envp);
        last = errno();
        if last == libc::ENOEXEC {
            *shared.script_argv.add(1) = path;
            libc::execve(*shared.script_argv, shared.script_argv, shared.envp);
            last = errno();
        }
        match last {
            libc::EACCES => refused = true,
            libc::ENOENT | libc::ESTALE | libc::ENOTDIR | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return last,
        }
        candidate = candidate.add(1);
    }
    if refused {
        libc::EACCES
    } else {
        last
    }
}

/// The calling thread's `errno` (in the new process: the suspended
/// thread's, which it shares until `execve`).
fn errno() -> c_int {
    // SAFETY: `__errno_location` returns the calling thread's `errno`.
    unsafe { *libc::__errno_location() }
}

/// Sets every signal whose disposition `runbook` changes
/// ([`crate::signals::CHANGED`]: its handlers, SIGPIPE) to the default,
/// one `sigaction` each, without reading any disposition first. Other
/// signals are as `runbook` found them (an ignored one stays ignored
/// across `execve`, as with `std`'s spawn); none of them has a handler
/// (the test `signals_at_spawn` holds that).
///
/// # Safety
/// Only in the new process, with every signal blocked.
unsafe fn reset_signal_dispositions() {
    let mut default: libc::sigaction = std::mem::zeroed();
    default.sa_sigaction = libc::SIG_DFL;
    for signal in crate::signals::CHANGED {
        libc::sigaction(signal as c_int, &default, std::ptr::null_mut());
    }
}

/// Every string the new process needs, as C strings, with the arrays of
/// pointers into them.
struct Prepared {
    /// Owns what the pointers point to.
    _strings: Vec<CString>,
    candidates: Vec<*const c_char>,
    argv: Vec<*const c_char>,
    script_argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    cwd: Option<CString>,
}

/// The shell that runs a file `execve` does not recognise, as `execvp`
/// does (glibc's `_PATH_BSHELL`).
const SHELL: &std::ffi::CStr = c"/bin/sh";

/// `execvp`'s search path when the environment has no `PATH` (glibc's
/// `confstr(_CS_PATH)`).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

impl Prepared {
    fn new(command: &Command) -> io::Result<Prepared> {
        let mut strings = Vec::new();
        let mut c = |bytes: &[u8]| -> io::Result<*const c_char> {
            let string = CString::new(bytes).map_err(|_| super::nul_error())?;
            let pointer = string.as_ptr();
            // Moving a `CString` does not move its bytes.
            strings.push(string);
            Ok(pointer)
        };
        let mut argv = Vec::with_capacity(command.argv.len() + 1);
        for arg in &command.argv {
            argv.push(c(arg.as_bytes())?);
        }
        argv.push(std::ptr::null());
        let mut script_argv = vec![SHELL.as_ptr(), std::ptr::null()];
        script_argv.extend_from_slice(&argv[1..]);
        let env = environment(command);
        let mut envp = Vec::with_capacity(env.len() + 1);
        for (key, value) in &env {
            let mut entry = Vec::with_capacity(key.len() + value.len() + 1);
            entry.extend_from_slice(key.as_bytes());
            entry.push(b'=');
            entry.extend_from_slice(value.as_bytes());
            envp.push(c(&entry)?);
        }
        envp.push(std::ptr::null());
        let path = env
            .iter()
            .find(|(key, _)| key.as_bytes() == b"PATH")
            .map_or(DEFAULT_PATH, |(_, value)| value.as_bytes());
        let mut candidates = Vec::new();
        for candidate in candidates_for(command.program.as_bytes(), path) {
            candidates.push(c(&candidate)?);
        }
        candidates.push(std::ptr::null());
        let cwd = match &command.cwd {
            Some(dir) => {
                Some(CString::new(dir.as_os_str().as_bytes()).map_err(|_| super::nul_error())?)
            }
            None => None,
        };
        Ok(Prepared {
            _strings: strings,
            candidates,
            argv,
            script_argv,
            envp,
            cwd,
        })
    }
}

/// The process's environment: `runbook`'s, with the command's variables
/// set on top (a later one of the same name wins), sorted by name when the
/// command sets any (as `std` builds it).
fn environment(command: &Command) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    if command.env.is_empty() {
        return std::env::vars_os().collect();
    }
    let mut env: std::collections::BTreeMap<_, _> = std::env::vars_os().collect();
    for (key, value) in &command.env {
        env.insert(key.clone(), value.clone());
    }
    env.into_iter().collect()
}

/// The paths `execvp` would try for `program`: itself if it holds a `/`
/// (or is empty), else `DIR/program` for each directory of `path` in
/// order, an empty entry meaning the working directory.
fn candidates_for(program: &[u8], path: &[u8]) -> Vec<Vec<u8>> {
    if program.is_empty() || program.contains(&b'/') {
        return vec![program.to_vec()];
    }
    path.split(|&b| b == b':')
        .map(|dir| {
            if dir.is_empty() {
                return program.to_vec();
            }
            let mut candidate = dir.to_vec();
            if !candidate.ends_with(b"/") {
                candidate.push(b'/');
            }
            candidate.extend_from_slice(program);
            candidate
        })
        .collect()
}

/// The new process's stack: mapped for one spawn, with a guard page below
/// it (a stack that overflowed would otherwise write into whatever `mmap`
/// placed there, in `runbook`'s memory).
struct Stack {
    base: *mut c_void,
    len: usize,
}

/// Enough for [`start`]'s frames (a few `sigaction` structures and the
/// watchdog's line) many times over: glibc's `posix_spawn` gives its
/// child 32 KiB plus argv.
const STACK: usize = 64 * 1024;

impl Stack {
    fn new() -> io::Result<Stack> {
        // SAFETY: `sysconf` has no preconditions.
        let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            n if n > 0 => n as usize,
            _ => 4096,
        };
        let len = STACK + page;
        // SAFETY: a new private anonymous mapping, owned by the `Stack`.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = Stack { base, len };
        // The stack grows down: the guard is its lowest page.
        // SAFETY: the first page of the mapping just made.
        if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stack)
    }

    /// Where the stack starts (its highest address).
    fn top(&self) -> *mut c_void {
        // SAFETY: one past the end of the mapping.
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: the mapping this `Stack` made, no longer used.
        unsafe {
            libc::munmap(self.base, self.len);
        }
    }
}

/// Every signal blocked in the calling thread for as long as this lives;
/// the thread's mask is restored after.
struct AllSignalsBlocked(libc::sigset_t);

impl AllSignalsBlocked {
    fn new() -> io::Result<AllSignalsBlocked> {
        // SAFETY: `sigset_t`s filled by `sigfillset` and `pthread_sigmask`.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut old: libc::sigset_t = std::mem::zeroed();
            match libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old) {
                0 => Ok(AllSignalsBlocked(old)),
                e => Err(io::Error::from_raw_os_error(e)),
            }
        }
    }
}

impl Drop for AllSignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask `new` saved.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_searched_on_the_path_as_execvp_does() {
        let found = |program: &str, path: &str| -> Vec<String> {
            candidates_for(program.as_bytes(), path.as_bytes())
                .into_iter()
                .map(|c| String::from_utf8(c).unwrap())
                .collect()
        };
        assert_eq!(found("sh", "/bin:/usr/bin/"), ["/bin/sh", "/usr/bin/sh"]);
        assert_eq!(found("sh", ":rel:"), ["sh", "rel/sh", "sh"]);
        assert_eq!(found("./x", "/bin"), ["./x"]);
        assert_eq!(found("/bin/sh", "/usr/bin"), ["/bin/sh"]);
        assert_eq!(found("", "/bin"), [""]);
        assert_eq!(found("$(id)", "/a b"), ["/a b/$(id)"]);
    }
}
