//! Running a `tcp` step: the rendered host and port checked, the
//! connection made ([`super::connect`]), then, with `send` or `expect`,
//! one short exchange: `send` written, what the server sends read until
//! `expect` matches, the server closes, `read_timeout` passes or
//! [`READ_LIMIT`] bytes (or the output cap) arrive. Nothing else is sent;
//! dropping the stream closes the connection.

use super::connect::{connect, shown, Connected};
use super::host::{self, Host};
use super::rules::port;
use super::{Params, DEFAULT_CONNECT_TIMEOUT};
use runbook_runtime::{ActionContext, ActionResult};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most a step reads of what the server sends: a banner or a short
/// answer, never a download.
pub const READ_LIMIT: usize = 16 * 1024;

/// How long to wait for what the server sends unless `read_timeout` says.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The rendered host and port, checked as `check` checks literal ones.
pub fn place(host: &str, port_number: Option<i64>) -> Result<(Host, u16), String> {
    let host = host::parse(host)?;
    let port = match port_number {
        Some(n) => port(n)?,
        None => return Err("`port` is not a number".into()),
    };
    Ok((host, port))
}

pub async fn run(params: Params, ctx: &ActionContext) -> ActionResult {
    let (host, port) = match place(&params.host, params.port) {
        Ok(place) => place,
        Err(e) => return ActionResult::failure(e),
    };
    let expect = match params.expect.as_deref().map(regex::Regex::new).transpose() {
        Ok(expect) => expect,
        Err(e) => return ActionResult::failure(format!("`expect` is not a valid regex: {e}")),
    };
    let timeout = params.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let work = async {
        let connected = connect(&host, port, timeout).await?;
        let mut fields = connected_fields(&connected);
        if params.send.is_none() && expect.is_none() {
            fields.insert("banner".into(), Value::Null);
            return Ok::<_, String>(ActionResult::success(fields));
        }
        let limit = READ_LIMIT.min(ctx.output_cap.bytes.max(1));
        let read_timeout = params.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT);
        let exchange = Exchange {
            send: params.send.as_deref(),
            expect: expect.as_ref(),
            limit,
            read_timeout,
        };
        let (banner, verdict) = exchange.run(connected.stream).await;
        fields.insert("banner".into(), Value::String(banner));
        Ok(match verdict {
            Ok(()) => ActionResult::success(fields),
            Err(why) => ActionResult::failure(format!("{host}:{port}: {why}")).with_fields(fields),
        })
    };
    tokio::select! {
        result = work => result.unwrap_or_else(not_connected),
        _ = ctx.cancel.cancelled() => ActionResult::failure(format!("stopped while connecting to {host}:{port}")),
    }
}

/// A connection that could not be made: a failure whose `connected`
/// result is `false`, for a branch or an `until` that reads it.
fn not_connected(why: String) -> ActionResult {
    let mut fields = Map::new();
    fields.insert("connected".into(), Value::Bool(false));
    ActionResult::failure(why).with_fields(fields)
}

/// The results every connected step has.
fn connected_fields(connected: &Connected) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("connected".into(), Value::Bool(true));
    fields.insert(
        "address".into(),
        Value::String(connected.address.ip().to_string()),
    );
    let ms = u64::try_from(connected.elapsed.as_millis()).unwrap_or(u64::MAX);
    fields.insert("connect_ms".into(), Value::from(ms));
    fields
}

/// One `send`, then reading until the answer is decided.
struct Exchange<'a> {
    send: Option<&'a str>,
    expect: Option<&'a regex::Regex>,
    limit: usize,
    read_timeout: Duration,
}

impl Exchange<'_> {
    /// What the server sent, as text, and whether it is what was expected.
    async fn run(&self, mut stream: tokio::net::TcpStream) -> (String, Result<(), String>) {
        if let Some(send) = self.send {
            let written = async {
                stream.write_all(send.as_bytes()).await?;
                stream.flush().await
            };
            match tokio::time::timeout(self.read_timeout, written).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return (String::new(), Err(format!("sending `send` failed: {e}"))),
                Err(_) => {
                    return (
                        String::new(),
                        Err(format!(
                            "could not send `send` within {} (read_timeout)",
                            shown(self.read_timeout)
                        )),
                    )
                }
            }
        }
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + self.read_timeout;
        let end = loop {
            if let Some(expect) = self.expect {
                if expect.is_match(&String::from_utf8_lossy(&received)) {
                    break Ok(());
                }
            }
            if received.len() >= self.limit {
                break Err(format!("the first {} bytes", self.limit));
            }
            let room = (self.limit - received.len()).min(chunk.len());
            match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..room])).await {
                Ok(Ok(0)) => break Err("everything it sent before closing".to_string()),
                Ok(Ok(n)) => received.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => break Err(format!("what it sent before the error ({e})")),
                Err(_) => break Err(format!("what it sent within {}", shown(self.read_timeout))),
            }
        };
        let banner = String::from_utf8_lossy(&received).into_owned();
        let verdict = match (self.expect, end) {
            (_, Ok(())) => Ok(()),
            (None, Err(_)) => Ok(()),
            (Some(expect), Err(what)) if received.is_empty() => Err(format!(
                "expected `{expect}`, but the server sent nothing ({what})"
            )),
            (Some(expect), Err(what)) => Err(format!(
                "{what} does not match `expect` (`{expect}`): see `banner`"
            )),
        };
        (banner, verdict)
    }
}

/// What a step would do, for a gate and the plan.
pub fn describe(params: &Params) -> String {
    let port = params
        .port
        .map_or_else(|| "?".to_string(), |p| p.to_string());
    let mut text = format!("connect to {}:{port}", params.host.escape_debug());
    if params.send.is_some() {
        text.push_str(", send a line");
    }
    if let Some(expect) = &params.expect {
        text.push_str(&format!(", expect `{}`", expect.escape_debug()));
    }
    text
}
