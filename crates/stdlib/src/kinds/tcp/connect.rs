//! Opening a TCP connection for a `tcp` or `tls` step: the host resolved,
//! each of its addresses tried in turn within `connect_timeout`, and a
//! failure said as what it was (the name does not resolve, the port is
//! refused, the network or host is unreachable, no answer in time), so an
//! operator reading the run, or an `on_failure` edge, knows which.

use super::host::Host;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// An open connection and how it was made.
pub struct Connected {
    pub stream: TcpStream,
    /// The address actually connected to.
    pub address: SocketAddr,
    /// How long the connection took (resolution excluded).
    pub elapsed: Duration,
}

/// Resolves `host` and connects to `port` on the first address that
/// accepts; each attempt may take `timeout`. The error names the host, the
/// port and, for a refusal or a timeout, the address.
pub async fn connect(host: &Host, port: u16, timeout: Duration) -> Result<Connected, String> {
    let place = format!("{host}:{port}");
    let addresses: Vec<SocketAddr> = match host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        Host::Name(name) => {
            let lookup = tokio::net::lookup_host((name.as_str(), port));
            match tokio::time::timeout(timeout, lookup).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(e)) => return Err(format!("cannot resolve `{name}` (DNS): {e}")),
                Err(_) => {
                    return Err(format!(
                        "cannot resolve `{name}` (DNS): no answer within {}",
                        shown(timeout)
                    ))
                }
            }
        }
    };
    if addresses.is_empty() {
        return Err(format!("cannot resolve `{host}` (DNS): it has no address"));
    }
    let mut failures = Vec::new();
    for address in addresses {
        let started = Instant::now();
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                return Ok(Connected {
                    stream,
                    address,
                    elapsed: started.elapsed(),
                })
            }
            Ok(Err(e)) => failures.push(refused(&address, &e)),
            Err(_) => failures.push(format!(
                "{address} did not answer within {} (connect_timeout)",
                shown(timeout)
            )),
        }
    }
    Err(format!(
        "cannot connect to {place}: {}",
        failures.join("; ")
    ))
}

/// A failed connect as a sentence: refusals and unreachability named.
fn refused(address: &SocketAddr, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => {
            format!("{address} refused the connection (ECONNREFUSED: nothing listens on that port)")
        }
        ErrorKind::NetworkUnreachable => {
            format!("the network of {address} is unreachable (ENETUNREACH)")
        }
        ErrorKind::HostUnreachable => format!("{address} is unreachable (EHOSTUNREACH)"),
        _ => format!("{address}: {e}"),
    }
}

/// A duration as the author writes one (`5s`, `300ms`).
pub fn shown(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}
