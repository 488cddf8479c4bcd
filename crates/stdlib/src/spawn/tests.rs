//! Both spawns, on real processes: what the command gets (argv, environment,
//! process group, signals, descriptors), how they fail, and that nothing
//! is left behind.

use super::*;
use nix::unistd::Pid;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The ways this machine can spawn: each test runs on all of them.
fn vias() -> Vec<Via> {
    let mut vias = vec![Via::Portable];
    #[cfg(target_os = "linux")]
    {
        assert_eq!(via(), Via::Clone, "this kernel gives pidfds (Linux >= 5.3)");
        vias.push(Via::Clone);
    }
    vias
}

fn start(command: &Command, via: Via) -> std::io::Result<Spawned> {
    spawn_via(command, None, via, nix::unistd::getpid())
}

/// What the command printed, byte for byte, and how it ended.
async fn output(spawned: Spawned) -> (Vec<u8>, Vec<u8>, ExitStatus) {
    let Spawned {
        mut child,
        mut stdout,
        mut stderr,
    } = spawned;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let (read_out, read_err) =
        tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
    read_out.unwrap();
    read_err.unwrap();
    let status = child.wait().await.unwrap();
    (out, err, status)
}

async fn run(command: &Command, via: Via) -> (String, String, ExitStatus) {
    let (out, err, status) = output(start(command, via).unwrap()).await;
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (text(out), text(err), status)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("runbook-spawn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The error `std`'s own spawn gives for the same command: the messages
/// users see (`cannot run `X` in DIR: No such file or directory (os error
/// 2)`) must not change with the spawn.
fn std_error(program: &str, dir: &Path, env_path: Option<&str>) -> std::io::Error {
    let mut command = std::process::Command::new(program);
    command.current_dir(dir);
    if let Some(path) = env_path {
        command.env("PATH", path);
    }
    command.spawn().map(|_| ()).unwrap_err()
}

#[tokio::test]
async fn a_command_that_cannot_be_executed_fails_as_with_std() {
    let dir = scratch("exec");
    let not_executable = dir.join("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let not_executable = not_executable.to_str().unwrap().to_string();
    let dir_str = dir.to_str().unwrap().to_string();
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("/nonexistent/program-$(id)", None),
        ("no-such-program-anywhere-`id`", None),
        (&not_executable, None),
        (&dir_str, None),
        // A name searched on a `PATH` the step sets, and found nowhere.
        ("sh", Some("/nonexistent:relative")),
        // Found, but not executable: `EACCES`, not `ENOENT`.
        ("not-executable", Some(&dir_str)),
    ];
    for via in vias() {
        for (program, env_path) in &cases {
            let mut command = Command::new(*program);
            command.current_dir(&dir);
            if let Some(path) = env_path {
                command.env("PATH", *path);
            }
            let ours = start(&command, via).map(|_| ()).unwrap_err();
            let std = std_error(program, &dir, *env_path);
            assert_eq!(ours.to_string(), std.to_string(), "{via:?} {program}");
            assert_eq!(ours.kind(), std.kind(), "{via:?} {program}");
        }
        // A working directory that does not exist.
        let missing = dir.join("missing");
        let mut command = Command::new("true");
        command.current_dir(&missing);
        let ours = start(&command, via).map(|_| ()).unwrap_err();
        let std = std_error("true", &missing, None);
        assert_eq!(ours.to_string(), std.to_string(), "{via:?}");
        // A NUL byte, which no C string can hold.
        let mut command = Command::new("echo");
        command.arg("a\0b");
        let ours = start(&command, via).map(|_| ()).unwrap_err();
        let std = std::process::Command::new("echo")
            .arg("a\0b")
            .spawn()
            .unwrap_err();
        assert_eq!(ours.to_string(), std.to_string(), "{via:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file without `#!` that `execve` refuses runs as a `/bin/sh` script,
/// as `std`'s `execvp` ran it.
#[tokio::test]
async fn a_script_without_an_interpreter_line_runs_in_sh() {
    let dir = scratch("script");
    let script = dir.join("script");
    std::fs::write(&script, "printf '%s|' \"$0\" \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    for via in vias() {
        let mut command = Command::new(&script);
        command.arg0("name").args(["a b", "$(id)"]);
        let (out, err, status) = run(&command, via).await;
        assert!(status.success(), "{via:?}: {err}");
        assert_eq!(out, format!("{}|a b|$(id)|", script.display()), "{via:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn hostile_arguments_and_variables_reach_the_program_unchanged() {
    let non_utf8 = std::ffi::OsString::from_vec(vec![0xff, b'$', 0xfe, b'\n', 0x80]);
    let hostile: Vec<std::ffi::OsString> = [
        "$(id)",
        "`id`",
        "'single' \"double\"",
        "line\nbreak",
        "; rm -rf /",
        "--",
        "",
        "${HOME}$((1+1))",
        "a=b",
    ]
    .into_iter()
    .map(Into::into)
    .chain([non_utf8.clone()])
    .collect();
    let lines_of = "$(id)\n`id`";
    let mut expected = Vec::new();
    let printed = [b"x$(id)".as_slice()]
        .into_iter()
        .chain(hostile.iter().map(|a| a.as_bytes()))
        .chain([non_utf8.as_bytes(), lines_of.as_bytes()]);
    for arg in printed {
        expected.extend_from_slice(arg);
        expected.push(0);
    }
    for via in vias() {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"printf '%s\0' "$0" "$@" "$ODD" "$LINES_OF""#)
            .arg("x$(id)")
            .args(hostile.iter().cloned())
            .env("ODD", non_utf8.clone())
            .env("LINES_OF", lines_of);
        let (out, err, status) = output(start(&command, via).unwrap()).await;
        assert!(
            status.success(),
            "{via:?}: {}",
            String::from_utf8_lossy(&err)
        );
        assert_eq!(out, expected, "{via:?}");
    }
}

#[tokio::test]
async fn a_variable_set_by_the_step_wins_and_the_rest_is_inherited() {
    let inherited = std::env::var("PATH").unwrap();
    for via in vias() {
        let mut command = Command::new("sh");
        command
            .args(["-c", r#"printf '%s|%s' "$PATH" "$RB_SPAWN_X""#])
            .env("RB_SPAWN_X", "first")
            .env("RB_SPAWN_X", "second");
        let (out, _, _) = run(&command, via).await;
        assert_eq!(out, format!("{inherited}|second"), "{via:?}");
    }
}

/// `/proc/PID/stat` of the program itself: its pid and its process group.
fn pid_and_group(stat: &str) -> (i32, i32) {
    let pid = stat.split_whitespace().next().unwrap().parse().unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    let pgrp = rest.split_whitespace().nth(2).unwrap().parse().unwrap();
    (pid, pgrp)
}

#[tokio::test]
async fn the_program_leads_a_process_group_of_its_own() {
    let ours = nix::unistd::getpgrp().as_raw();
    for via in vias() {
        let mut command = Command::new("cat");
        command.arg("/proc/self/stat");
        let spawned = start(&command, via).unwrap();
        let id = spawned.child.id().as_raw();
        let (out, _, status) = output(spawned).await;
        assert!(status.success());
        let (pid, pgrp) = pid_and_group(&String::from_utf8(out).unwrap());
        assert_eq!((pid, pgrp), (id, id), "{via:?}");
        assert_ne!(pgrp, ours, "{via:?}");
    }
}

/// The masks of `/proc/self/status`, as numbers.
fn mask(status: &str, name: &str) -> u64 {
    let line = status.lines().find(|l| l.starts_with(name)).unwrap();
    u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
}

#[tokio::test]
async fn sigpipe_is_default_and_no_signal_is_blocked_in_the_program() {
    // Rust ignores SIGPIPE in its own process; a handler is installed too.
    let _handler =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).unwrap();
    let pipe_bit = 1u64 << (nix::libc::SIGPIPE - 1);
    for via in vias() {
        let mut command = Command::new("cat");
        command.arg("/proc/self/status");
        let (status_text, _, status) = run(&command, via).await;
        assert!(status.success());
        assert_eq!(mask(&status_text, "SigBlk:"), 0, "{via:?}");
        assert_eq!(mask(&status_text, "SigIgn:") & pipe_bit, 0, "{via:?}");
        assert_eq!(mask(&status_text, "SigCgt:"), 0, "{via:?}");
        // `yes` dies of SIGPIPE when `head` has its line, silently.
        let mut command = Command::new("sh");
        command.args(["-c", "yes | head -1"]);
        let (out, err, status) = run(&command, via).await;
        assert_eq!((out.as_str(), err.as_str()), ("y\n", ""), "{via:?}");
        assert!(status.success(), "{via:?}");
    }
}

/// The program holds stdin `/dev/null`, the two pipes, and nothing else of
/// `runbook`'s: not the pipes' read ends, the pidfds, the watchdog's
/// channel, or a file `runbook` has open. The watchdog heard of the group
/// before the program ran.
#[tokio::test]
async fn the_program_holds_no_descriptor_of_runbook_and_was_announced() {
    let dir = scratch("fds");
    let _open_file = std::fs::File::create(dir.join("held")).unwrap();
    let (announced, channel) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
    let mut announced = std::fs::File::from(announced);
    let inherited: Vec<u32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd: &u32| {
            // SAFETY: `F_GETFD` only reads the descriptor's flags.
            let flags = unsafe { nix::libc::fcntl(fd as i32, nix::libc::F_GETFD) };
            flags >= 0 && flags & nix::libc::FD_CLOEXEC == 0
        })
        .collect();
    for via in vias() {
        let mut command = Command::new("ls");
        command.args(["-l", "/proc/self/fd/"]);
        // Another command running at the same time holds its own pipes.
        let other = start(Command::new("sleep").arg("1000"), via).unwrap();
        let spawned = spawn_via(
            &command,
            Some(channel.as_raw_fd()),
            via,
            nix::unistd::getpid(),
        )
        .unwrap();
        let id = spawned.child.id();
        let (out, _, status) = output(spawned).await;
        assert!(status.success(), "{via:?}");
        let out = String::from_utf8(out).unwrap();
        let mut fds: Vec<(u32, String)> = out
            .lines()
            .filter_map(|line| {
                let (left, target) = line.split_once(" -> ")?;
                let fd = left.rsplit(' ').next()?.parse().ok()?;
                Some((fd, target.to_string()))
            })
            .collect();
        // `ls`'s own handle on the directory it lists.
        fds.retain(|(_, target)| !(target.starts_with("/proc/") && target.ends_with("/fd")));
        // What the test process itself inherited without close-on-exec
        // (a jobserver's pipe) passes on, as through any `exec`.
        fds.retain(|(fd, _)| *fd < 3 || !inherited.contains(fd));
        fds.sort();
        let fd_numbers: Vec<u32> = fds.iter().map(|(fd, _)| *fd).collect();
        assert_eq!(fd_numbers, [0, 1, 2], "{via:?}: {out}");
        assert_eq!(fds[0].1, "/dev/null", "{via:?}");
        assert!(
            fds[1].1.starts_with("pipe:") && fds[2].1.starts_with("pipe:"),
            "{via:?}: {out}"
        );
        drop(other);
        let mut line = [0u8; 16];
        let n = std::io::Read::read(&mut announced, &mut line).unwrap();
        assert_eq!(&line[..n], format!("+{id}\n").as_bytes(), "{via:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A process whose parent is not the `runbook` that started it (`runbook`
/// died between the spawn and the check) never runs the command: no
/// parent-death signal would ever stop it.
#[tokio::test]
async fn a_process_whose_runbook_is_gone_refuses_to_start_the_command() {
    let dir = scratch("orphan");
    let marker = dir.join("ran");
    for via in vias() {
        let mut command = Command::new("touch");
        command.arg(&marker);
        let refused = spawn_via(&command, None, via, Pid::from_raw(1));
        assert!(refused.is_err(), "{via:?}");
        assert!(!marker.exists(), "{via:?}: the command ran");
        #[cfg(target_os = "linux")]
        if via == Via::Clone {
            assert_eq!(
                refused.map(|_| ()).unwrap_err().to_string(),
                "runbook exited"
            );
        }
        // The same command from its real parent runs.
        let (_, _, status) = run(&command, via).await;
        assert!(status.success() && marker.exists(), "{via:?}");
        std::fs::remove_file(&marker).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether `pid` is still in the process table (a zombie included).
fn exists(pid: Pid) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Dropped while it runs, the process is killed and reaped: neither it
/// nor its zombie is left. (The deadline only keeps a regression from
/// hanging the test.)
#[tokio::test]
async fn a_dropped_child_is_killed_and_leaves_no_zombie() {
    for via in vias() {
        let spawned = start(Command::new("sleep").arg("1000"), via).unwrap();
        let pid = spawned.child.id();
        assert!(exists(pid));
        drop(spawned);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while exists(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "{via:?}: {pid} is left"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn exit_codes_signals_and_try_wait() {
    for via in vias() {
        let (_, _, status) = run(Command::new("sh").args(["-c", "exit 7"]), via).await;
        assert_eq!(status.code(), Some(7), "{via:?}");
        let (_, _, status) = run(Command::new("sh").args(["-c", "kill -TERM $$"]), via).await;
        assert_eq!(status.signal(), Some(15), "{via:?}");
        let mut spawned = start(Command::new("sleep").arg("1000"), via).unwrap();
        assert_eq!(spawned.child.try_wait().unwrap(), None, "{via:?}");
        nix::sys::signal::kill(spawned.child.id(), nix::sys::signal::Signal::SIGKILL).unwrap();
        let status = spawned.child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(9), "{via:?}");
        assert_eq!(spawned.child.try_wait().unwrap(), Some(status), "{via:?}");
        assert!(!exists(spawned.child.id()), "{via:?}: reaped");
    }
}
