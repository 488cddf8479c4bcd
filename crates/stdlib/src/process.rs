//! Running a command in its own process group, so that a timeout, an abort
//! or Ctrl-C can stop everything it started (`kubectl ... | tee`, a script's
//! background `sleep`): SIGTERM to the group, then SIGKILL after a grace
//! period.

use runbook_runtime::{ActionContext, Stream};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

/// How a command ended.
#[derive(Debug)]
pub struct Finished {
    pub stdout: String,
    pub stderr: String,
    /// The exit status; 128 + N when killed by signal N (as shells report it).
    pub exit_code: i32,
    /// Stopped by the step's cancellation token (timeout, abort, Ctrl-C).
    pub cancelled: bool,
}

/// How long output readers may go on after the command exited: a background
/// process it left behind may hold the pipes open.
const DRAIN: Duration = Duration::from_millis(200);

/// Spawns `command` in a new process group, streams its output lines to the
/// step's live output, and waits for it or for cancellation.
pub async fn run(mut command: Command, ctx: &ActionContext) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    let pgid = child.id().map(|id| id as i32);
    let out = reader(child.stdout.take(), ctx, Stream::Stdout);
    let err = reader(child.stderr.take(), ctx, Stream::Stderr);
    let (status, cancelled) = tokio::select! {
        status = child.wait() => (status?, false),
        _ = ctx.cancel.cancelled() => {
            if let Some(pgid) = pgid {
                terminate_group(pgid, &mut child, ctx.kill_grace).await;
            }
            (child.wait().await?, true)
        }
    };
    let stdout = collect(out).await;
    let stderr = collect(err).await;
    use std::os::unix::process::ExitStatusExt;
    let exit_code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(Finished {
        stdout,
        stderr,
        exit_code,
        cancelled,
    })
}

fn reader<R: AsyncRead + Unpin + Send + 'static>(
    pipe: Option<R>,
    ctx: &ActionContext,
    stream: Stream,
) -> Option<JoinHandle<String>> {
    let pipe = pipe?;
    let sink = ctx.line_sink();
    Some(tokio::spawn(async move {
        let mut reader = BufReader::new(pipe);
        let mut all = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    all.extend_from_slice(&line);
                    let text = String::from_utf8_lossy(&line);
                    sink.emit(stream, text.trim_end_matches(['\n', '\r']));
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    }))
}

async fn collect(handle: Option<JoinHandle<String>>) -> String {
    let Some(mut handle) = handle else {
        return String::new();
    };
    let text = match tokio::time::timeout(DRAIN, &mut handle).await {
        Ok(Ok(text)) => text,
        _ => {
            handle.abort();
            String::new()
        }
    };
    text.strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_string()
}

/// SIGTERM to the group; SIGKILL to whatever is left after `grace`.
pub async fn terminate_group(pgid: i32, child: &mut tokio::process::Child, grace: Duration) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    let mut exited = false;
    while Instant::now() < deadline {
        if !exited {
            exited = matches!(child.try_wait(), Ok(Some(_)));
        }
        if exited && !group_exists(pgid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal_group(pgid, libc::SIGKILL);
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions; a stale group id
    // fails with ESRCH, which is what we want to ignore.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Whether a live (not zombie) process is left in the group. Zombies count
/// as gone: in a container whose init does not reap, orphaned zombies would
/// otherwise hold the group "alive" until the grace period ends.
fn group_exists(pgid: i32) -> bool {
    // SAFETY: as above; signal 0 only checks for existence.
    if unsafe { libc::killpg(pgid, 0) } != 0 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|p| p.parse::<i32>().ok());
        if pgrp == Some(pgid) && state != Some("Z") && state != Some("X") {
            return true;
        }
    }
    false
}
