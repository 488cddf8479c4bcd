//! The HTTP client shared by the kinds that speak HTTP (`http`, `notify`,
//! `prometheus`, `silence`), the one way they send a request ([`send`]),
//! and the words for what went wrong.
//!
//! One `reqwest` client per combination of client-level settings is built
//! once per process and reused, so a thousand `http` steps share their
//! connection pools and TLS configuration instead of each building its own
//! (building a rustls client config costs more than a loopback request).

pub mod closed;
pub mod send;

use std::error::Error as _;
use std::sync::OnceLock;
use std::time::Duration;

/// How many redirects `follow_redirects: true` follows, as curl's default
/// `--max-redirs` would for a runbook author's expectations.
pub const MAX_REDIRECTS: usize = 10;

/// Client-level settings; everything else is set per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    pub follow_redirects: bool,
    pub insecure: bool,
}

/// The shared client for these settings. Send with [`send::send`], which
/// deals with a pooled connection that closed.
pub fn client(options: ClientOptions) -> Result<&'static reqwest::Client, String> {
    client_with(options, true)
}

/// The shared client for these settings that keeps connections alive
/// (`pooled`), or the one that opens a new connection for every request
/// (to send a request again after its pooled connection closed).
fn client_with(options: ClientOptions, pooled: bool) -> Result<&'static reqwest::Client, String> {
    static CLIENTS: [OnceLock<Result<reqwest::Client, String>>; 8] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = usize::from(pooled) * 4
        + usize::from(options.follow_redirects) * 2
        + usize::from(options.insecure);
    CLIENTS[slot]
        .get_or_init(|| {
            let redirects = if options.follow_redirects {
                reqwest::redirect::Policy::limited(MAX_REDIRECTS)
            } else {
                reqwest::redirect::Policy::none()
            };
            reqwest::Client::builder()
                .redirect(redirects)
                .danger_accept_invalid_certs(options.insecure)
                .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")))
                .pool_max_idle_per_host(if pooled { 128 } else { 0 })
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The error and its causes on one line, each once.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// The classes of failure an operator acts on differently: nothing listening
/// (the service is down), a name that does not resolve (a typo or DNS), TLS
/// (certificates), a timeout (the service hangs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    ConnectionRefused,
    /// The server reset or dropped the connection before it answered.
    Reset,
    Dns,
    Tls,
    Timeout,
    Redirects,
    Other,
}

/// Which class a `reqwest` error is in, from its causes.
pub fn classify(error: &reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::Timeout;
    }
    if error.is_redirect() {
        return Failure::Redirects;
    }
    let mut source = error.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Failure::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return Failure::Timeout,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    return Failure::Reset
                }
                _ => {}
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return Failure::Dns;
        }
        if text.contains("certificate")
            || text.contains("tls")
            || text.contains("handshake")
            || text.contains("received corrupt message")
        {
            return Failure::Tls;
        }
        source = e.source();
    }
    Failure::Other
}

/// A readable sentence for a failed request to `what` (`GET http://...`).
pub fn describe_failure(error: &reqwest::Error, what: &str, timeout: Duration) -> String {
    let host = error
        .url()
        .map(|u| {
            let host = u.host_str().unwrap_or("?");
            match u.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }
        })
        .unwrap_or_else(|| "the server".into());
    match classify(error) {
        Failure::ConnectionRefused => {
            format!("connection refused: nothing is listening at {host} ({what})")
        }
        Failure::Reset => {
            format!("connection reset: {host} dropped the connection before it answered ({what})")
        }
        Failure::Dns => {
            let name = error
                .url()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            format!(
                "DNS failure: cannot resolve the host name `{name}` ({what}): {}",
                chain(error)
            )
        }
        Failure::Tls => format!("TLS error talking to {host} ({what}): {}", chain(error)),
        Failure::Timeout => format!(
            "timed out after {} ({what})",
            humantime::format_duration(timeout)
        ),
        Failure::Redirects => format!(
            "too many redirects (more than {MAX_REDIRECTS}) ({what}): {}",
            chain(error)
        ),
        Failure::Other => format!("request failed ({what}): {}", chain(error)),
    }
}
