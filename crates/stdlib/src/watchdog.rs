//! The watchdog: a small process that outlives `runbook` only to kill the
//! process groups of the steps that were running when `runbook` died
//! without stopping them (SIGKILL, a crash, the OOM killer).
//!
//! `PR_SET_PDEATHSIG` kills a step's own process when `runbook` dies, but
//! not what that process started (`sleep 1000 &` in a script): the setting
//! is not inherited across `fork`. Those stay in the step's process group,
//! and the watchdog kills the group. It is a `fork` of `runbook` (named
//! `rb-watchdog` in `/proc/PID/comm`, and `runbook-watchdog` in its command
//! line, which it overwrites: `pkill -f 'runbook run'` must not take the
//! watchdog with the run it guards), made at the first step process,
//! in a process group of its own (so a Ctrl-C at the terminal does not
//! reach it) and ignoring the signals that end a run. It is not a new
//! program: no `exec`, so it costs neither loading and relocating the
//! binary again nor parsing a command line (see docs/performance.md).
//! It hears on its stdin, one line each, `+PGID` when a group starts and
//! `-PGID` when it is gone, but it does not wake for each line: it needs
//! the list only at the end, so it sleeps until its stdin hangs up and
//! reads what came every [`DRAIN_EVERY`] on the way ([`serve`]). When its
//! stdin closes (`runbook` exited, however it did) it reads the lines left,
//! sends SIGKILL to every group still listed, syncs the run's
//! journal (which it keeps open for that, and says so on a pipe once it
//! does: `runbook` then does not wait for the disk at the run's end, see
//! `runbook_runtime::journal_sync`; without that byte it syncs the journal
//! itself) and exits. The
//! `+PGID` line is written by the step process itself, between `fork` and
//! `exec` ([`announce`]): so the group is known to the watchdog before the
//! command runs at all, and a SIGKILL of `runbook` right after the spawn
//! cannot miss it.
//!
//! What it cannot do: a process that left the group (`setsid`, `setpgid`)
//! before `runbook` died is not found; and between a group's end and its
//! `-PGID` line the group id could in principle be reused by another
//! process group, which would then be killed if `runbook` died at that
//! moment.

use nix::fcntl::OFlag;
use nix::libc;
use nix::unistd::{ForkResult, Pid};
use runbook_runtime::journal_sync::FinalSync;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Mutex;

enum State {
    /// No watchdog wanted (library use, tests of this crate).
    Off,
    /// Started at the first registration; it will sync this journal at the
    /// end.
    Ready(Option<FinalSync>),
    /// The write end of its stdin; the process itself is not waited for
    /// (it exits when stdin closes, after `runbook`).
    Running(File),
    /// Could not start; step processes still die by `PR_SET_PDEATHSIG`.
    Failed,
}

static STATE: Mutex<State> = Mutex::new(State::Off);

/// Enables the watchdog for this process: it is forked when the first step
/// process is started, and then also takes over `journal`'s final sync.
pub fn install(journal: Option<FinalSync>) {
    if let Ok(mut state) = STATE.lock() {
        if matches!(*state, State::Off) {
            *state = State::Ready(journal);
        }
    }
}

/// The watchdog's stdin, to hand to [`announce`] in a step process before
/// it is spawned (starting the watchdog if it is wanted and not running).
pub fn channel() -> Option<RawFd> {
    let mut state = STATE.lock().ok()?;
    if let State::Ready(journal) = &*state {
        *state = start(journal.as_ref()).unwrap_or(State::Failed);
    }
    match &*state {
        State::Running(stdin) => Some(stdin.as_raw_fd()),
        _ => None,
    }
}

/// Tells the watchdog that the calling process leads a new process group:
/// `+PID`. For a `pre_exec` hook: it only formats into a stack buffer and
/// makes one `write` (atomic on a pipe), which is async-signal-safe.
pub fn announce(channel: RawFd) {
    let mut pid = nix::unistd::getpid().as_raw();
    let mut digits = [0u8; 12];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (pid % 10) as u8;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    let mut line = [0u8; 14];
    line[0] = b'+';
    let len = digits.len() - at;
    line[1..=len].copy_from_slice(&digits[at..]);
    line[len + 1] = b'\n';
    // SAFETY: `channel` is the watchdog's stdin, open in this process (the
    // forked child, before exec) for the duration of this call.
    let fd = unsafe { BorrowedFd::borrow_raw(channel) };
    let _ = nix::unistd::write(fd, &line[..len + 2]);
}

/// A process group announced to the watchdog: released (`-PGID`) when this
/// is dropped, once the step's command has ended.
pub struct Registration(Pid);

impl Registration {
    pub fn announced(pgid: Pid) -> Registration {
        Registration(pgid)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Ok(mut state) = STATE.lock() else {
            return;
        };
        if let State::Running(stdin) = &mut *state {
            // One `write`, as the child's `+PGID` line: a pipe keeps a write
            // of a line whole, while `writeln!` on a file writes `-`, the
            // number and the newline apart, and a step's child announcing
            // itself at the same moment (`--jobs`) could land between them.
            let line = format!("-{}\n", self.0);
            if stdin.write_all(line.as_bytes()).is_err() {
                *state = State::Failed;
            }
        }
    }
}

/// The watchdog's descriptor for the run's journal.
const JOURNAL: libc::c_int = 3;

/// How many groups the watchdog can list before it must allocate: more
/// than any `--jobs` runs at once.
const GROUPS: usize = 1024;

/// Makes the forked watchdog decline the journal (debug builds only), so a
/// test can see `runbook` sync the journal itself when the hand-over is
/// not confirmed.
const DECLINE_JOURNAL: &str = "RUNBOOK_DEBUG_WATCHDOG_DECLINES_JOURNAL";

/// Forks the watchdog. Both ends of its pipe are close-on-exec, so a step's
/// command never holds the write end (which would keep the watchdog from
/// hearing `runbook`'s death). With a journal, a second pipe carries the
/// watchdog's confirmation that it holds the journal (see [`watch`]); the
/// journal's writer reads it at the run's end and syncs the journal itself
/// unless it came.
fn start(journal: Option<&FinalSync>) -> std::io::Result<State> {
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let confirmation = match journal {
        Some(_) => Some(nix::unistd::pipe2(OFlag::O_CLOEXEC)?),
        None => None,
    };
    let declines = cfg!(debug_assertions) && std::env::var_os(DECLINE_JOURNAL).is_some();
    let offered = journal
        .filter(|_| !declines)
        .map(FinalSync::fd)
        .zip(confirmation.as_ref().map(|(_, write)| write.as_raw_fd()));
    // Allocated before the fork: the child does not allocate unless more
    // groups than this run at once.
    let groups: Vec<i32> = Vec::with_capacity(GROUPS);
    let command_line = command_line_area();
    // SAFETY: the child runs only `watch`, which makes async-signal-safe
    // system calls and never returns; the one thing it may do beyond them
    // is grow `groups`, and glibc's malloc is usable in a forked child (its
    // `fork` resets the allocator's locks in the child).
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            rename_command_line(command_line);
            watch(read, offered, groups)
        }
        ForkResult::Parent { .. } => {
            drop(read);
            if let (Some(journal), Some((confirmed, confirming))) = (journal, confirmation) {
                // Only the watchdog holds the write end now: it writes its
                // byte or the pipe closes without one.
                drop(confirming);
                journal.hand_over(confirmed);
            }
            Ok(State::Running(File::from(write)))
        }
    }
}

/// Where the kernel reads this process's command line from
/// (`/proc/PID/cmdline`): its `arg_start` and `arg_end`, fields 48 and 49 of
/// `/proc/self/stat`. Read in `runbook`, before the fork.
fn command_line_area() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name in parentheses, from field 3 (`state`).
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split(' ').skip(48 - 3);
    let start: usize = fields.next()?.parse().ok()?;
    let end: usize = fields.next()?.parse().ok()?;
    (start != 0 && end > start).then_some((start, end))
}

/// Overwrites the forked watchdog's copy of `runbook`'s arguments with
/// `runbook-watchdog` (cut to fit, the rest zeroed), so that its command
/// line no longer reads as the run's.
fn rename_command_line(area: Option<(usize, usize)>) {
    let Some((start, end)) = area else {
        return;
    };
    let name = b"runbook-watchdog";
    let len = end - start;
    let n = name.len().min(len.saturating_sub(1));
    // SAFETY: `[start, end)` is this process's argument strings, as the
    // kernel reported them for `runbook` before the fork: mapped, writable
    // (they live on the initial stack) and, in this forked copy, read by
    // nothing but the kernel's `/proc/PID/cmdline`.
    unsafe {
        let at = start as *mut u8;
        std::ptr::copy_nonoverlapping(name.as_ptr(), at, n);
        std::ptr::write_bytes(at.add(n), 0, len - n);
    }
}

/// The forked watchdog's body: its own process group, the run-ending
/// signals ignored, the pipe as stdin, `/dev/null` as stdout and stderr,
/// the journal (when offered: its descriptor and the write end of the
/// confirmation pipe) as descriptor 3, confirmed with one byte once it is
/// there, and every other descriptor closed (it must hold nothing else of
/// `runbook`'s: not the pipe's write end, not a pipe a reader waits to see
/// closed, not the run's lock; closing the confirmation pipe without a
/// byte tells `runbook` to sync the journal itself); then [`serve`],
/// SIGKILL to the groups left, the journal's sync, and `_exit` without
/// running any of `runbook`'s exit code.
fn watch(read: OwnedFd, offered: Option<(RawFd, RawFd)>, mut groups: Vec<i32>) -> ! {
    // The journal and the confirmation's write end above 3 first, where
    // the `dup2`s below cannot replace them (either could be 0-2 if
    // `runbook` was started with a standard descriptor closed, or 3).
    // SAFETY: system calls on descriptors inherited from `runbook`.
    let above = |fd: RawFd| unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, JOURNAL + 1) };
    let offered = offered.map(|(journal, confirm)| (above(journal), above(confirm)));
    // SAFETY: only async-signal-safe calls on descriptors this process owns.
    unsafe {
        libc::setpgid(0, 0);
        for sig in crate::signals::INTERRUPTING {
            libc::signal(sig as libc::c_int, libc::SIG_IGN);
        }
        libc::prctl(libc::PR_SET_NAME, c"rb-watchdog".as_ptr());
        libc::dup2(read.as_raw_fd(), 0);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 1);
            libc::dup2(null, 2);
        }
    }
    // The journal as descriptor 3, then the confirmation; without it
    // `runbook` syncs the journal.
    // SAFETY: system calls on descriptors open in this process (inherited
    // from `runbook`), the byte from a static.
    let journal = offered.filter(|&(fd, confirm)| unsafe {
        fd >= 0
            && confirm >= 0
            && libc::dup2(fd, JOURNAL) == JOURNAL
            && libc::write(confirm, b"1".as_ptr().cast(), 1) == 1
    });
    close_from(if journal.is_some() {
        JOURNAL + 1
    } else {
        JOURNAL
    });
    std::mem::forget(read);
    serve(0, &mut groups);
    for &id in &groups {
        // SAFETY: a system call.
        unsafe {
            libc::killpg(id, libc::SIGKILL);
        }
    }
    if journal.is_some() {
        // `runbook` has exited: nothing more is written to the journal.
        // SAFETY: a system call on a descriptor this process owns.
        unsafe {
            libc::fdatasync(JOURNAL);
        }
    }
    // SAFETY: ends this process without unwinding or running exit handlers
    // (they belong to `runbook`).
    unsafe { libc::_exit(0) }
}

/// Closes every descriptor from `first` on: `close_range` (Linux 5.9), or
/// one by one up to the descriptor limit.
fn close_from(first: libc::c_int) {
    // SAFETY: system calls on this process's descriptor table, which only
    // this thread uses in the forked child.
    unsafe {
        if libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0,
        ) == 0
        {
            return;
        }
        let limit = libc::sysconf(libc::_SC_OPEN_MAX);
        let limit = if limit > 0 {
            limit.min(1 << 20) as libc::c_int
        } else {
            1024
        };
        for fd in first..limit {
            libc::close(fd);
        }
    }
}

/// How often the watchdog reads the lines that came while it slept. Each
/// line woke it before: two wake-ups per step, and on a 2-core machine the
/// woken watchdog preempted the writer (the step's process or `runbook`)
/// 0.3 to 1.3 times a step (docs/performance.md, "Wake-ups per step,
/// 2026-12-02"). The pipe (64 KiB) holds 3,600 steps' lines at the longest
/// pids (`+4194303\n`, `-4194303\n`), 18,000 steps a second at this
/// period, several times what one `runbook` starts; if it ever filled, a
/// writer would wait for the next read, never longer: the watchdog reads on
/// its timer whatever `runbook` does.
const DRAIN_EVERY: libc::c_int = 200;

/// Reads `+PGID`/`-PGID` lines from `fd` until it closes, keeping the
/// listed groups in `groups`. Sleeps in `poll` asking for no event, so that
/// only the hang-up (every write end closed) or the timeout wakes it, not
/// each line; then reads, without blocking, all there is. Reads into a
/// stack buffer with `read`: no lock, no standard-library I/O state (which
/// a thread of `runbook` may have held at the fork).
fn serve(fd: RawFd, groups: &mut Vec<i32>) {
    let mut buf = [0u8; 4096];
    let mut line = Line::default();
    // SAFETY: system calls on a descriptor this process owns.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
    loop {
        // SAFETY: reads into a buffer this function owns.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return;
        }
        if n < 0 {
            match std::io::Error::last_os_error().kind() {
                std::io::ErrorKind::Interrupted => continue,
                std::io::ErrorKind::WouldBlock => {
                    // No events asked: `POLLHUP` (and `POLLERR`,
                    // `POLLNVAL`) come anyway, data does not wake it.
                    let mut hangup = libc::pollfd {
                        fd,
                        events: 0,
                        revents: 0,
                    };
                    // SAFETY: one `pollfd` this function owns.
                    unsafe { libc::poll(&mut hangup, 1, DRAIN_EVERY) };
                    continue;
                }
                _ => return,
            }
        }
        for &byte in &buf[..n as usize] {
            if let Some((add, id)) = line.push(byte) {
                if add {
                    if !groups.contains(&id) {
                        groups.push(id);
                    }
                } else if let Some(at) = groups.iter().position(|&g| g == id) {
                    groups.swap_remove(at);
                }
            }
        }
    }
}

/// One line being read: its sign and its number so far.
#[derive(Default)]
struct Line {
    sign: Option<bool>,
    id: i64,
    bad: bool,
    started: bool,
}

impl Line {
    /// Takes one byte; at the end of a well-formed line returns whether it
    /// adds (`+`) or removes (`-`) and the group id (ids 0 and 1, and
    /// malformed lines, are ignored).
    fn push(&mut self, byte: u8) -> Option<(bool, i32)> {
        if byte == b'\n' {
            let done = std::mem::take(self);
            let sign = done.sign?;
            if done.bad || !done.started || done.id <= 1 {
                return None;
            }
            return Some((sign, i32::try_from(done.id).ok()?));
        }
        match (self.sign, byte) {
            (None, b'+') if !self.bad => self.sign = Some(true),
            (None, b'-') if !self.bad => self.sign = Some(false),
            (Some(_), b'0'..=b'9') if !self.bad => {
                self.started = true;
                self.id = self.id * 10 + i64::from(byte - b'0');
                if self.id > i64::from(i32::MAX) {
                    self.bad = true;
                }
            }
            _ => self.bad = true,
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_lines(text: &str) -> Vec<i32> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let mut write = File::from(write);
        write.write_all(text.as_bytes()).unwrap();
        drop(write);
        let mut groups = Vec::new();
        serve(read.as_raw_fd(), &mut groups);
        groups.sort();
        groups
    }

    #[test]
    fn groups_are_added_and_removed_by_lines() {
        assert_eq!(read_lines("+10\n+20\n+30\n-20\n"), vec![10, 30]);
        assert_eq!(read_lines("+10\n+10\n-10\n"), Vec::<i32>::new());
        assert_eq!(read_lines("-5\n+7\n"), vec![7]);
    }

    #[test]
    fn malformed_lines_and_groups_0_and_1_are_ignored() {
        let hostile = "+1\n+0\n+\n-\n+-3\n++4\n+5x\n 6\n+$(rm -rf /)\n+99999999999\n+12";
        // `+12` has no line end: the pipe closed in the middle of it.
        assert_eq!(read_lines(hostile), Vec::<i32>::new());
        assert_eq!(read_lines("+2147483647\n+2147483648\n"), vec![2147483647]);
    }

    #[test]
    fn a_line_split_across_reads_is_one_line() {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let writer = std::thread::spawn(move || {
            let mut write = File::from(write);
            for part in ["+4", "2\n+4", "3\n-4", "2\n"] {
                write.write_all(part.as_bytes()).unwrap();
                write.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let mut groups = Vec::new();
        serve(read.as_raw_fd(), &mut groups);
        writer.join().unwrap();
        assert_eq!(groups, vec![43]);
    }

    /// Many times what the pipe holds, written while the watchdog sleeps
    /// between reads: the writer waits for the next read, and every line
    /// counts, in order.
    #[test]
    fn a_burst_larger_than_the_pipe_is_read_whole() {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        // SAFETY: a system call on a descriptor this test owns.
        let capacity = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ) };
        assert!(capacity > 0);
        let writer = std::thread::spawn(move || {
            let mut write = File::from(write);
            let mut written = 0;
            for id in 100_000..200_000 {
                // Each group comes and goes but every 1,000th stays.
                let line = if id % 1_000 == 0 {
                    format!("+{id}\n")
                } else {
                    format!("+{id}\n-{id}\n")
                };
                write.write_all(line.as_bytes()).unwrap();
                written += line.len();
            }
            written
        });
        let mut groups = Vec::new();
        serve(read.as_raw_fd(), &mut groups);
        let written = writer.join().unwrap();
        assert!(written > 10 * capacity as usize, "{written} bytes");
        groups.sort();
        assert_eq!(groups, (100..200).map(|k| k * 1_000).collect::<Vec<_>>());
    }
}
