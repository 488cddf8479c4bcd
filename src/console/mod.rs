//! `runbook serve`: a read-only web console over a journal directory. It
//! lists the runs as `runbook runs` does and shows each run as `runbook
//! report` does (the same readers and the same model,
//! `runbook_runtime::report::RunReport`), as HTML pages and a versioned JSON
//! API, and follows a run that is still going by polling its journal.
//!
//! Nothing it serves can run in a browser or reach another site: every
//! string from a journal is HTML-escaped, the Content-Security-Policy
//! allows only the console's own script and style (embedded in the
//! binary), and there are no third-party assets. It binds to loopback
//! unless given a token ([`access`]). No route changes anything.

mod access;
mod api;
mod follow;
mod html;
mod live;
mod pending_view;
mod run_page;
mod runs_page;
mod store;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What `runbook serve` was given.
pub struct Options {
    pub journal_dir: PathBuf,
    pub listen: SocketAddr,
    /// The bearer token, read from `--token-file`.
    pub token: Option<String>,
}

/// What every handler shares.
pub struct Console {
    pub journal_dir: PathBuf,
    pub token: Option<String>,
    /// Permits to read journals ([`store::READERS`] at a time).
    pub readers: tokio::sync::Semaphore,
    /// The runs followed live, each read incrementally.
    pub follows: follow::Follows,
}

/// The Content-Security-Policy of every response: the console's own script
/// and style, fetches to itself, nothing else (no inline script, no
/// plugins, no framing, no third-party anything).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// Builds the console's routes over `console`.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(runs_page::page))
        .route("/runs/{id}", get(run_page::page))
        .route("/runs/{id}/live", get(live::fragment))
        .route("/api/runs", get(api::runs))
        .route("/api/runs/{id}", get(api::run))
        .route("/api/v1/runs", get(api::runs))
        .route("/api/v1/runs/{id}", get(api::run))
        .route(
            "/static/console.js",
            get(|| asset("text/javascript", SCRIPT)),
        )
        .route("/static/console.css", get(|| asset("text/css", STYLE)))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            access::guard,
        ))
        .layer(axum::middleware::from_fn(secure_headers))
        .with_state(console)
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn not_found() -> Response {
    html::error_page(StatusCode::NOT_FOUND, "Not found", "There is no such page.")
}

/// Adds the security headers to every response, errors included.
async fn secure_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Serves until the process is stopped; returns why it could not start
/// (the address is taken, ...) or stopped.
pub fn serve(options: Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let console = Arc::new(Console {
            journal_dir: options.journal_dir,
            token: options.token,
            readers: tokio::sync::Semaphore::new(store::READERS),
            follows: follow::Follows::default(),
        });
        let guarded = if console.token.is_some() {
            "a token is required"
        } else {
            "loopback only"
        };
        // Tests and scripts read the address (with a port chosen by the
        // system for `:0`) from this line.
        println!("runbook serve: listening on http://{address}/ ({guarded})");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        axum::serve(listener, router(console))
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}
