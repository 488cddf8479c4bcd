//! `runbook serve --max-connections N` (default [`DEFAULT_MAX`]): at most
//! N connections are open at once, TLS handshakes under way included, so
//! a flood of clients that connect and say nothing, or dribble, cannot
//! use up the console's file descriptors or memory.
//!
//! A connection past the bound is not refused: to make room, the oldest
//! open connection that is not being answered (idle between requests,
//! still sending its request or its handshake, or slow to read its
//! answer) is closed. So idle connections held open by anyone cannot
//! keep a signed-in operator out: each new connection pushes the oldest
//! idle one out. The connection closed is taken from the address that
//! holds the most open connections, so a flood from one address pushes
//! out its own connections, not an operator's from another. Only when
//! all N are being answered does a new one wait (in the system's listen
//! queue) until one ends.

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Connections open at once unless `--max-connections` says otherwise:
/// well under the usual limit of 1,024 open files.
pub const DEFAULT_MAX: u32 = 256;

/// The open connections, oldest first, and the bound.
pub struct Limit {
    max: usize,
    open: Mutex<Vec<Arc<Slot>>>,
    /// Told when a connection ends.
    freed: Notify,
}

/// One open connection's place under the bound.
pub struct Slot {
    /// The address it came from.
    from: IpAddr,
    /// Requests being answered on it.
    busy: AtomicUsize,
    /// Closed to make room: every read and write fails from then on.
    closed: AtomicBool,
    /// Who waits to read or write, woken when it is closed.
    wakers: Mutex<[Option<Waker>; 2]>,
}

const READ: usize = 0;
const WRITE: usize = 1;

impl Limit {
    pub fn new(max: usize) -> Arc<Limit> {
        Arc::new(Limit {
            max: max.max(1),
            open: Mutex::new(Vec::new()),
            freed: Notify::new(),
        })
    }

    /// A place for a connection just accepted: at once while fewer than
    /// the bound are open; otherwise after closing the oldest idle one,
    /// or after one ends when all are being answered.
    pub async fn admit(self: &Arc<Self>, from: IpAddr) -> Ticket {
        loop {
            {
                let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
                if open.len() < self.max {
                    let slot = Arc::new(Slot {
                        from,
                        busy: AtomicUsize::new(0),
                        closed: AtomicBool::new(false),
                        wakers: Mutex::new([None, None]),
                    });
                    open.push(slot.clone());
                    return Ticket {
                        limit: self.clone(),
                        slot,
                    };
                }
                // One at a time: one closed and not yet gone makes room.
                if !open.iter().any(|s| s.closed.load(Ordering::SeqCst)) {
                    let seen: Vec<(IpAddr, bool)> = open
                        .iter()
                        .map(|s| (s.from, s.busy.load(Ordering::SeqCst) == 0))
                        .collect();
                    if let Some(at) = to_close(&seen) {
                        open[at].close();
                    }
                }
            }
            // A connection that ends stores a wake-up if nobody waits yet.
            self.freed.notified().await;
        }
    }

    fn leave(&self, slot: &Arc<Slot>) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|s| !Arc::ptr_eq(s, slot));
        drop(open);
        self.freed.notify_one();
    }
}

/// Which of the open connections (oldest first: its address, whether it
/// is idle) to close to make room: the oldest idle one of the address
/// that holds the most open connections among those with an idle one.
fn to_close(open: &[(IpAddr, bool)]) -> Option<usize> {
    let held = |from: IpAddr| open.iter().filter(|(a, _)| *a == from).count();
    let mut best: Option<(usize, usize)> = None;
    for (at, (from, idle)) in open.iter().enumerate() {
        if !idle {
            continue;
        }
        let count = held(*from);
        if best.is_none_or(|(_, most)| count > most) {
            best = Some((at, count));
        }
    }
    best.map(|(at, _)| at)
}

impl Slot {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        for waker in wakers.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }

    /// Marks a request as being answered until the guard is dropped: the
    /// connection is not closed to make room meanwhile.
    pub fn answering(self: &Arc<Self>) -> Answering {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Answering(self.clone())
    }

    /// Fails once closed; else remembers who to wake if it is closed.
    fn check(&self, side: usize, cx: &Context<'_>) -> io::Result<()> {
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed to make room under --max-connections",
            ));
        }
        match &wakers[side] {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => wakers[side] = Some(cx.waker().clone()),
        }
        Ok(())
    }
}

/// A request being answered ([`Slot::answering`]).
pub struct Answering(Arc<Slot>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's place, given back when the connection is dropped.
pub struct Ticket {
    limit: Arc<Limit>,
    slot: Arc<Slot>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.limit.leave(&self.slot);
    }
}

/// A TCP connection holding its place under the bound.
pub struct Conn {
    stream: TcpStream,
    ticket: Ticket,
}

impl Conn {
    pub fn new(stream: TcpStream, ticket: Ticket) -> Conn {
        Conn { stream, ticket }
    }
}

/// What each request knows of its connection: its place.
#[derive(Clone)]
pub struct Peer(pub Arc<Slot>);

impl Connected<IncomingStream<'_, Listener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Peer {
        Peer(stream.io().ticket.slot.clone())
    }
}

impl Connected<IncomingStream<'_, super::tls::Listener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, super::tls::Listener>) -> Peer {
        Peer(stream.io().get_ref().0.ticket.slot.clone())
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.ticket.slot.check(READ, cx)?;
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.ticket.slot.check(WRITE, cx)?;
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.ticket.slot.check(WRITE, cx)?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Accepts a TCP connection; on an error (out of descriptors and the
/// like) waits a second and tries again, as axum does.
pub async fn accept(tcp: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match tcp.accept().await {
            Ok(accepted) => return accepted,
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// The clear-HTTP listener under the bound: what `axum::serve` is given.
pub struct Listener {
    pub tcp: TcpListener,
    pub limit: Arc<Limit>,
}

impl axum::serve::Listener for Listener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        let (stream, peer) = accept(&self.tcp).await;
        let ticket = self.limit.admit(peer.ip()).await;
        (Conn::new(stream, ticket), peer)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Marks each request as being answered on its connection (see
/// [`Slot::answering`]).
pub async fn answering(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let _answering = request
        .extensions()
        .get::<axum::extract::ConnectInfo<Peer>>()
        .map(|peer| peer.0 .0.answering());
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_closed_is_the_oldest_idle_one_of_the_address_holding_most() {
        let operator: IpAddr = "10.0.0.7".parse().unwrap();
        let flood: IpAddr = "10.0.0.99".parse().unwrap();
        // The operator's idle connection is the oldest, the flood's are newer.
        let open = [
            (operator, true),
            (flood, false),
            (flood, true),
            (flood, true),
        ];
        assert_eq!(to_close(&open), Some(2));
        // One address alone: the oldest idle, as before.
        assert_eq!(
            to_close(&[(flood, false), (flood, true), (flood, true)]),
            Some(1)
        );
        // Equal holdings: the oldest idle.
        assert_eq!(to_close(&[(operator, true), (flood, true)]), Some(0));
        // Nothing idle: nothing to close, the new one waits.
        assert_eq!(to_close(&[(operator, false), (flood, false)]), None);
        // The address holding most has nothing idle: another's idle one.
        assert_eq!(
            to_close(&[(flood, false), (flood, false), (operator, true)]),
            Some(2)
        );
    }
}
