//! An HTTP server with the routes the `http`, `notify` and `prometheus`
//! tests need: JSON, errors, slow answers, redirects, an echo, a webhook
//! that records what it receives, and `/metrics` for Prometheus to scrape.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server remembers, for assertions.
#[derive(Default)]
pub struct Recorded {
    /// Bodies POSTed to `/webhook`, parsed.
    pub webhooks: Vec<Value>,
    /// The text served at `/metrics`.
    pub metrics: String,
    /// Requests to any other path: method, request target exactly as
    /// received (path and query, still percent-encoded), body.
    pub requests: Vec<(String, String, String)>,
}

/// An axum router served on a free loopback port, on a thread of its own
/// (so that both async tests and tests running the binary can use it);
/// stopped when dropped.
pub struct Serving {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Serves `router` on 127.0.0.1 at a free port.
pub fn serve(router: Router) -> Serving {
    serve_on(router, Accept::Plain)
}

/// Serves `router` on 127.0.0.1 at a free port, each connection closed
/// after its first answer ([`super::answer_once`]).
pub fn serve_answering_once(router: Router) -> Serving {
    serve_on(router, Accept::AnswerOnce)
}

/// How the server's connections are accepted.
enum Accept {
    Plain,
    Tls(tokio_rustls::TlsAcceptor),
    AnswerOnce,
}

/// A TCP listener whose connections are TLS, for axum.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    tls: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that refuses the certificate fails its handshake: next.
            if let Ok(tls) = self.tls.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A self-signed certificate for 127.0.0.1 made by `openssl`, as rustls
/// server configuration.
fn self_signed() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=runbook-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed (Debian: openssl; scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .expect("the certificate")
        .collect::<Result<_, _>>()
        .expect("the certificate parses");
    let key = PrivateKeyDer::from_pem_file(&key).expect("the key parses");
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("a TLS configuration");
    tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))
}

/// Serves `router` over TLS with a self-signed certificate, which clients
/// refuse unless told not to verify it.
pub fn serve_tls(router: Router) -> Serving {
    serve_on(router, Accept::Tls(self_signed()))
}

fn serve_on(router: Router, accept: Accept) -> Serving {
    let scheme = match accept {
        Accept::Tls(_) => "https",
        _ => "http",
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the test server");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the test HTTP server on loopback");
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let served = async {
                match accept {
                    Accept::Tls(tls) => {
                        axum::serve(TlsListener { tcp: listener, tls }, router).await
                    }
                    Accept::Plain => axum::serve(listener, router).await,
                    Accept::AnswerOnce => {
                        let listener = super::answer_once::AnswerOnceListener(listener);
                        axum::serve(listener, router).await
                    }
                }
            };
            tokio::select! {
                served = served => served.expect("the test HTTP server runs"),
                _ = stop_rx => {}
            }
        });
        // Requests still sleeping (slow routes) are dropped with the runtime.
        rt.shutdown_timeout(Duration::from_millis(100));
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the test HTTP server starts");
    Serving {
        url: format!("{scheme}://{addr}"),
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server of the `http`, `notify` and `prometheus` tests.
pub struct TestHttp {
    pub url: String,
    pub state: Arc<Mutex<Recorded>>,
    _serving: Serving,
}

impl TestHttp {
    /// Starts the server on a free loopback port.
    pub fn start() -> TestHttp {
        Self::start_with(serve)
    }

    /// The same routes over HTTPS, with a self-signed certificate.
    pub fn start_tls() -> TestHttp {
        Self::start_with(serve_tls)
    }

    fn start_with(serve: fn(Router) -> Serving) -> TestHttp {
        let state = Arc::new(Mutex::new(Recorded::default()));
        let serving = serve(router(state.clone()));
        TestHttp {
            url: serving.url.clone(),
            state,
            _serving: serving,
        }
    }

    pub fn set_metrics(&self, text: &str) {
        self.state.lock().unwrap().metrics = text.to_string();
    }

    pub fn webhooks(&self) -> Vec<Value> {
        self.state.lock().unwrap().webhooks.clone()
    }

    /// Method and request target of each request to a path without a route.
    pub fn requests(&self) -> Vec<(String, String)> {
        let state = self.state.lock().unwrap();
        state
            .requests
            .iter()
            .map(|(method, target, _)| (method.clone(), target.clone()))
            .collect()
    }

    /// Bodies of the requests to a path without a route, as received.
    pub fn bodies(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.requests.iter().map(|(_, _, b)| b.clone()).collect()
    }
}

type Shared = Arc<Mutex<Recorded>>;

fn router(state: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/text", get(|| async { "plain text\nsecond line" }))
        .route("/error", get(error))
        .route("/slow", get(slow))
        .route(
            "/redirect",
            get(|| async { Redirect::temporary("/health") }),
        )
        .route(
            "/redirect-loop",
            get(|| async { Redirect::temporary("/redirect-loop") }),
        )
        .route("/echo", any(echo))
        .route("/webhook", post(webhook))
        .route(
            "/webhook-broken",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no_service") }),
        )
        .route("/metrics", get(metrics))
        .route("/blob", get(|| async { blob() }))
        .route("/huge", get(huge))
        .fallback(record)
        // Recorded bodies may be large (a 10 MB output posted back).
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .with_state(state)
}

/// What `/blob` serves: 300 KiB of every byte value in turn, so a saved
/// body is compared byte for byte (not valid UTF-8, several chunks).
pub fn blob() -> Vec<u8> {
    (0..300 * 1024).map(|i| (i % 251) as u8).collect()
}

/// How many bytes `/huge` streams: 50 MiB.
pub const HUGE: u64 = 50 << 20;

/// `/huge?json=true`: 50 MiB streamed in 64 KiB chunks, never held whole
/// (a JSON array of numbers with `json`, text lines otherwise), with its
/// `Content-Length`, as a server that answers far more than asked.
async fn huge(Query(q): Query<HashMap<String, String>>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let json = q.get("json").is_some_and(|v| v == "true");
    let chunks = (HUGE as usize) / CHUNK;
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let mut chunk = vec![if json { b' ' } else { b'x' }; CHUNK];
        if json {
            if i == 0 {
                chunk[0] = b'[';
            }
            chunk[CHUNK - 2] = b'1';
            chunk[CHUNK - 1] = if i + 1 == chunks { b']' } else { b',' };
        } else {
            chunk[CHUNK - 1] = b'\n';
        }
        Ok::<_, std::convert::Infallible>(Bytes::from(chunk))
    }));
    let kind = if json {
        "application/json"
    } else {
        "text/plain"
    };
    (
        [
            ("content-type", kind.to_string()),
            ("content-length", HUGE.to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": "1.4.2", "checks": {"db": "ok", "queue": 3}}))
}

async fn error() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("content-type", "application/json")],
        r#"{"error":"upstream unavailable"}"#,
    )
        .into_response()
}

async fn slow(Query(q): Query<HashMap<String, u64>>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(q.get("ms").copied().unwrap_or(2000))).await;
    "finally"
}

async fn echo(
    method: Method,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(v.to_str().unwrap_or(""))))
        .collect();
    let body = String::from_utf8_lossy(&body).into_owned();
    Json(json!({
        "method": method.as_str(),
        "headers": headers,
        "query": q,
        "body": body,
        "json": serde_json::from_str::<Value>(&body).ok(),
    }))
}

async fn webhook(State(state): State<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) => {
            state.lock().unwrap().webhooks.push(v);
            "ok".into_response()
        }
        Err(_) => (StatusCode::BAD_REQUEST, "invalid_payload").into_response(),
    }
}

/// Any other path: recorded as received, answered `200 {}`.
async fn record(State(state): State<Shared>, method: Method, uri: Uri, body: Bytes) -> Json<Value> {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.to_string(), |p| p.as_str().to_string());
    let body = String::from_utf8_lossy(&body).into_owned();
    state
        .lock()
        .unwrap()
        .requests
        .push((method.to_string(), target, body));
    Json(json!({}))
}

async fn metrics(State(state): State<Shared>) -> Response {
    let text = state.lock().unwrap().metrics.clone();
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}
