//! Running a command in its own process group, so that a timeout, an abort
//! or an interruption can stop everything it started (`kubectl ... | tee`, a
//! script's background `sleep`): SIGTERM to the group, then SIGKILL after a
//! grace period (at once when the run is asked to hurry: a second signal).
//!
//! The process is started by [`crate::spawn`] (on Linux a
//! `clone(CLONE_VM | CLONE_VFORK)` of `runbook`, not a `fork`): in its own
//! group, announced to the [`crate::watchdog`] before the command runs. If
//! `runbook` itself dies without stopping them (SIGKILL, a crash), the
//! command gets SIGKILL from the kernel (`PR_SET_PDEATHSIG`) and the
//! watchdog kills the rest of its group.

use crate::captured::Captured;
use crate::spawn::{self, Spawned};
use crate::watchdog;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use runbook_runtime::{ActionContext, Stream};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
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
    /// The streams cut at the output cap (`stdout`, `stderr`).
    pub cut: Vec<&'static str>,
}

/// How long output readers may go on after the command exited: a background
/// process it left behind may hold the pipes open.
const DRAIN: Duration = Duration::from_millis(200);

/// Spawns `command` in a new process group (see [`crate::spawn`]), streams
/// its output lines to the step's live output (at most `ctx.output_cap`
/// bytes of each stream are kept, see [`Captured`]), and waits for it or
/// for cancellation.
pub async fn run(command: spawn::Command, ctx: &ActionContext) -> std::io::Result<Finished> {
    let Spawned {
        mut child,
        stdout,
        stderr,
    } = spawn::spawn(&command, watchdog::channel())?;
    let pgid = child.id();
    let _registered = watchdog::Registration::announced(pgid);
    let out = reader(stdout, ctx, Stream::Stdout);
    let err = reader(stderr, ctx, Stream::Stderr);
    let (status, cancelled) = tokio::select! {
        status = child.wait() => (status?, false),
        _ = ctx.cancel.cancelled() => {
            terminate_group(pgid, &mut child, ctx).await;
            (child.wait().await?, true)
        }
    };
    let (stdout, stdout_cut) = collect(out).await;
    let (stderr, stderr_cut) = collect(err).await;
    let cut = [("stdout", stdout_cut), ("stderr", stderr_cut)]
        .into_iter()
        .filter_map(|(name, cut)| cut.then_some(name))
        .collect();
    use std::os::unix::process::ExitStatusExt;
    let exit_code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok(Finished {
        stdout,
        stderr,
        exit_code,
        cancelled,
        cut,
    })
}

/// Reads a pipe line by line: emits the lines the cap keeps as live output
/// as they come (the rest, the tail, when the pipe closes) and returns the
/// kept text, and whether the cap cut it.
fn reader<R: AsyncRead + Unpin + Send + 'static>(
    pipe: R,
    ctx: &ActionContext,
    stream: Stream,
) -> JoinHandle<(String, bool)> {
    let sink = ctx.line_sink();
    let mut captured = Captured::new(&ctx.output_cap);
    tokio::spawn(async move {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            match read_line(&mut reader, &mut line, captured.longest_line()).await {
                Ok(0) | Err(_) => break,
                Ok(piece) => {
                    if let Some(shown) = captured.push(&line[..piece]) {
                        sink.emit_piece(stream, shown);
                    }
                    // What the piece held back starts the next one.
                    line.drain(..piece);
                }
            }
        }
        for shown in captured.held_lines() {
            sink.emit_piece(stream, shown);
        }
        let cut = captured.cut();
        (captured.into_text(), cut)
    })
}

/// Reads up to a newline, or `limit` bytes of a line that has none yet (so
/// a 5 MB line without a newline never sits in memory whole), after what
/// `line` holds already (the bytes the previous piece held back). Returns
/// the length of the next piece, `line[..n]`; the bytes after it are held
/// back for the next piece: a UTF-8 character cut at the limit (so that
/// each piece is text, decoded as the whole line is, whatever the pipe's
/// chunks were), and a `\r` that may start a `\r\n` (so that a line's
/// ending is never split between pieces).
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<usize> {
    loop {
        if line.len() >= limit {
            let held = match incomplete_char(line) {
                0 => usize::from(line.ends_with(b"\r")),
                n => n,
            };
            return Ok(line.len() - held.min(line.len() - 1));
        }
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(line.len());
        }
        let take = available.len().min(limit - line.len());
        match available[..take].iter().position(|&b| b == b'\n') {
            Some(i) => {
                line.extend_from_slice(&available[..=i]);
                reader.consume(i + 1);
                return Ok(line.len());
            }
            None => {
                line.extend_from_slice(&available[..take]);
                reader.consume(take);
            }
        }
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8
/// character whose other bytes are not there yet.
fn incomplete_char(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needed = match byte {
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            b if b >= 0xC0 => 2,
            _ => 1,
        };
        return if needed > back { back } else { 0 };
    }
    0
}

async fn collect(mut handle: JoinHandle<(String, bool)>) -> (String, bool) {
    let (text, cut) = match tokio::time::timeout(DRAIN, &mut handle).await {
        Ok(Ok(done)) => done,
        _ => {
            handle.abort();
            (String::new(), false)
        }
    };
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_string();
    (text, cut)
}

/// SIGTERM to the group; SIGKILL to whatever is left after the context's
/// grace period, or as soon as the run is asked to hurry.
pub async fn terminate_group(pgid: Pid, child: &mut spawn::Child, ctx: &ActionContext) {
    // A stale group fails with ESRCH, which is what we want to ignore.
    let _ = killpg(pgid, Signal::SIGTERM);
    let deadline = Instant::now() + ctx.kill_grace;
    let mut exited = false;
    while Instant::now() < deadline && !ctx.interruption.is_hurried() {
        if !exited {
            exited = matches!(child.try_wait(), Ok(Some(_)));
        }
        if exited && !group_exists(pgid) {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = ctx.interruption.hurried() => {}
        }
    }
    let _ = killpg(pgid, Signal::SIGKILL);
}

/// Whether a live (not zombie) process is left in the group. Zombies count
/// as gone: in a container whose init does not reap, orphaned zombies would
/// otherwise hold the group "alive" until the grace period ends.
pub fn group_exists(pgid: Pid) -> bool {
    // Signal 0 only checks for existence.
    if killpg(pgid, None).is_err() {
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
        if pgrp == Some(pgid.as_raw()) && state != Some("Z") && state != Some("X") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A character across the piece size goes whole to the next piece, so
    /// every piece is text and the pieces join to the line.
    #[tokio::test]
    async fn a_long_line_is_never_cut_inside_a_character() {
        let text = format!("{}é€😀 end\nnext\n", "a".repeat(9));
        let mut reader = BufReader::new(text.as_bytes());
        let mut pieces = Vec::new();
        let mut line = Vec::new();
        loop {
            let n = read_line(&mut reader, &mut line, 10).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            pieces.push(String::from_utf8(line[..n].to_vec()).expect("whole characters"));
            line.drain(..n);
        }
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces[0], "a".repeat(9));
        assert!(pieces.iter().all(|p| p.len() <= 10), "{pieces:?}");
        assert_eq!(incomplete_char(&[b'a', 0xF0, 0x9F]), 2);
        assert_eq!(incomplete_char("a😀".as_bytes()), 0);
        assert_eq!(incomplete_char(&[0x80, 0x80, 0x80]), 0);
    }

    /// Whatever chunks the pipe delivers (here: a buffer of 1 to 12
    /// bytes), no piece ends inside a character or between the `\r` and
    /// the `\n` of a line ending, and the pieces join to the text.
    #[tokio::test]
    async fn pieces_do_not_depend_on_how_the_pipe_chunks_the_output() {
        let texts = [
            format!("{}€ x\r\n{}\r\nnext\n", "a".repeat(8), "b".repeat(9)),
            format!("{}😀é\r\r\n\r\n", "c".repeat(7)),
        ];
        for text in &texts {
            for capacity in 1..=12 {
                let mut reader = BufReader::with_capacity(capacity, text.as_bytes());
                let mut line = Vec::new();
                let mut pieces: Vec<String> = Vec::new();
                loop {
                    let n = read_line(&mut reader, &mut line, 10).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    let piece = String::from_utf8(line[..n].to_vec());
                    pieces.push(piece.expect("whole characters"));
                    line.drain(..n);
                }
                assert_eq!(&pieces.concat(), text, "{capacity}");
                for pair in pieces.windows(2) {
                    assert!(
                        !(pair[0].ends_with('\r') && pair[1].starts_with('\n')),
                        "{capacity}: {pieces:?}"
                    );
                }
            }
        }
    }

    /// A second signal must not wait out the grace period: with an hour of
    /// grace, a group ignoring SIGTERM is SIGKILLed as soon as the run is
    /// asked to hurry. (The timeout only keeps a regression from hanging.)
    #[tokio::test]
    async fn hurrying_kills_a_term_ignoring_group_without_the_grace_period() {
        let dir = std::env::temp_dir().join(format!("runbook-hurry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ready = dir.join("ready");
        let _ = std::fs::remove_file(&ready);
        let mut ctx = ActionContext::new("t", runbook_runtime::arguments::Args::new());
        ctx.kill_grace = Duration::from_secs(3600);
        let mut command = spawn::Command::new("sh");
        command
            .arg("-c")
            .arg("trap '' TERM; touch ready; sleep 1000")
            .current_dir(&dir);
        let cancel = ctx.cancel.clone();
        let interruption = ctx.interruption.clone();
        tokio::spawn(async move {
            while !ready.exists() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            cancel.cancel();
            interruption.hurry();
        });
        let finished = tokio::time::timeout(Duration::from_secs(120), run(command, &ctx))
            .await
            .expect("the group was killed without waiting for the grace period")
            .unwrap();
        assert!(finished.cancelled);
        // Killed by SIGKILL: SIGTERM was ignored.
        assert_eq!(finished.exit_code, 128 + 9);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
