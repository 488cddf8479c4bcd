//! The signals that interrupt a run: SIGINT (Ctrl-C), SIGTERM (`kill`,
//! `timeout`, systemd, a CI cancellation), SIGHUP (the terminal or the SSH
//! session went away) and SIGQUIT (Ctrl-\). The first one cancels the run:
//! the runner journals the interruption and the steps' process groups get
//! SIGTERM, then SIGKILL after the grace period. Any later one cuts the
//! grace period short (SIGKILL at once), but `runbook` still waits for the
//! groups to be killed and the journal to be closed before it exits. The
//! exit code is 128 + the first signal's number, as a shell reports a
//! process killed by it.

use nix::sys::signal::Signal;
use runbook_runtime::Interruption;
use std::str::FromStr;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// The signals handled, in the order they are listed in the docs (kept
/// with every other signal `runbook` changes, which a step's process
/// resets: see `runbook_stdlib::signals`).
const HANDLED: [Signal; 4] = runbook_stdlib::signals::INTERRUPTING;

/// Starts listening (inside the tokio runtime). From now on the handled
/// signals no longer end the process: they cancel `cancel` and are recorded
/// in `interruption`.
pub fn watch(cancel: CancellationToken, interruption: Interruption) -> std::io::Result<()> {
    let mut streams = Vec::new();
    for sig in HANDLED {
        streams.push((sig, signal(SignalKind::from_raw(sig as i32))?));
    }
    tokio::spawn(async move {
        loop {
            let Some(sig) = next(&mut streams).await else {
                return;
            };
            if cancel.is_cancelled() {
                interruption.insist(sig.as_str());
            } else {
                interruption.record(sig.as_str());
                cancel.cancel();
            }
        }
    });
    Ok(())
}

/// Waits for the next of the signals; `None` when the streams have closed.
async fn next(streams: &mut [(Signal, tokio::signal::unix::Signal)]) -> Option<Signal> {
    let [(a, sa), (b, sb), (c, sc), (d, sd)] = streams else {
        return None;
    };
    tokio::select! {
        r = sa.recv() => r.map(|_| *a),
        r = sb.recv() => r.map(|_| *b),
        r = sc.recv() => r.map(|_| *c),
        r = sd.recv() => r.map(|_| *d),
    }
}

/// The exit code of an interrupted run: 128 + the signal's number (130
/// when the run was cancelled otherwise).
pub fn exit_code(signal: Option<&str>) -> i32 {
    signal
        .and_then(|cause| Signal::from_str(cause).ok())
        .map(|sig| 128 + sig as i32)
        .unwrap_or(crate::exit_code::INTERRUPTED)
}
