//! An HTTP/1.1 server on raw sockets that does what a well-behaved server
//! (axum) never does on purpose: it closes kept-alive connections under
//! its clients, and it stops in the middle of a run. Every request it
//! reads is recorded with the number of the connection it came on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// How the server treats its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// Answers each request (keep-alive, as HTTP/1.1 is by default), then
    /// closes the connection at once.
    AfterEachResponse,
    /// Answers the first request of a connection; reads the second whole
    /// and closes the connection without an answer.
    AtSecondRequest,
    /// Reads each request whole and resets the connection (an RST, as a
    /// crashing or overloaded server's kernel sends) without an answer.
    ResetEachRequest,
}

/// A request as read: its connection's number (from 0), method and path.
pub type Seen = (usize, String, String);

/// The server; a request for `/stop` stops it (every other connection
/// closed, the port no longer listened on) before it is answered, and its
/// own connection is closed after the answer. Stopped when dropped.
pub struct ClosingServer {
    pub url: String,
    shared: Arc<Shared>,
}

/// What every request is answered with: JSON that reads as an empty
/// Prometheus vector too.
const BODY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

/// What the threads of a server share.
struct Shared {
    closing: Closing,
    seen: Mutex<Vec<Seen>>,
    stopped: AtomicBool,
    /// Every connection accepted (a handle to shut it down).
    open: Mutex<Vec<TcpStream>>,
    /// Told once the listener is closed.
    closed: Mutex<std::sync::mpsc::Receiver<()>>,
    addr: std::net::SocketAddr,
}

impl ClosingServer {
    pub fn start(closing: Closing) -> ClosingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let (closed_tx, closed_rx) = std::sync::mpsc::channel();
        let shared = Arc::new(Shared {
            closing,
            seen: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
            closed: Mutex::new(closed_rx),
            addr,
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for (number, stream) in listener.incoming().enumerate() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(copy) = stream.try_clone() {
                    accepting.open.lock().unwrap().push(copy);
                }
                let shared = accepting.clone();
                std::thread::spawn(move || serve(stream, number, &shared));
            }
            // The port refuses from now on.
            drop(listener);
            let _ = closed_tx.send(());
        });
        ClosingServer {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// The requests read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

impl Drop for ClosingServer {
    fn drop(&mut self) {
        stop(&self.shared, None);
    }
}

/// Stops the server: every connection but `keep` shut down, the listener
/// closed (waited for).
fn stop(shared: &Shared, keep: Option<std::net::SocketAddr>) {
    if shared.stopped.swap(true, Ordering::SeqCst) {
        return;
    }
    for connection in shared.open.lock().unwrap().iter() {
        if keep.is_none() || connection.peer_addr().ok() != keep {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }
    // Wakes the accepting thread, which sees the flag and closes the
    // listener.
    let _ = TcpStream::connect(shared.addr);
    let _ = shared.closed.lock().unwrap().recv();
}

/// One connection: requests read and answered as the server's `closing`
/// says; `GET /stop` stops the server before it is answered.
fn serve(stream: TcpStream, number: usize, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut writer = stream;
    for index in 0.. {
        let Some((method, path)) = read_request(&mut reader) else {
            return;
        };
        shared
            .seen
            .lock()
            .unwrap()
            .push((number, method.clone(), path.clone()));
        if shared.closing == Closing::AtSecondRequest && index == 1 {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        if shared.closing == Closing::ResetEachRequest {
            reset(&writer);
            // The server's own copy too: the socket closes with its last
            // descriptor.
            let peer = writer.peer_addr().ok();
            shared
                .open
                .lock()
                .unwrap()
                .retain(|c| c.peer_addr().ok() != peer);
            return;
        }
        if path == "/stop" {
            stop(shared, writer.peer_addr().ok());
        }
        // Keep-alive, as HTTP/1.1 is by default: no `connection: close`.
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
        if shared.closing == Closing::AfterEachResponse || path == "/stop" {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Closes `stream` with an RST: a zero linger time makes `close` abort
/// the connection instead of ending it (both handles must be dropped).
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on this open socket with a `linger` of the size given.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Reads one request (head and `content-length` body): its method and
/// path, or `None` when the connection ended.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_string();
    let path = words.next()?.to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path))
}
