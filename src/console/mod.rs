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
//! unless given a token ([`access`]). No route changes anything unless it
//! was started with `--decide` ([`deciding`]): then the pending-gate panel
//! decides, as the OS user running the console, through [`decision`].

mod access;
mod api;
mod deciding;
mod decision;
mod decision_form;
mod follow;
mod forms;
mod host;
mod html;
mod limit;
mod live;
mod pending_view;
mod run_page;
mod runs_page;
mod session;
mod signing;
mod store;
pub mod tls;

pub use limit::DEFAULT_MAX as DEFAULT_MAX_CONNECTIONS;
pub use session::random_hex;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    /// `--decide`: the token that signs in to decide, and whether the
    /// session cookie is `Secure` (`--secure-cookie`).
    pub decide: Option<Decide>,
    /// `--tls-cert` and `--tls-key`, loaded: serve HTTPS only.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// `--max-connections`: connections open at once ([`limit`]).
    pub max_connections: usize,
}

/// What `runbook serve --decide` was given.
pub struct Decide {
    pub token: String,
    /// The `--token-file` the token was read from: the sign-in address is
    /// then printed without it (stdout may be kept in a log), naming the
    /// file instead. `None`: a token made at start, printed once in the
    /// address's fragment.
    pub token_file: Option<PathBuf>,
    pub secure_cookie: bool,
}

/// What every handler shares.
pub struct Console {
    pub journal_dir: PathBuf,
    pub token: Option<String>,
    /// Permits to read journals ([`store::READERS`] at a time).
    pub readers: tokio::sync::Semaphore,
    /// The runs followed live, each read incrementally.
    pub follows: follow::Follows,
    /// `--decide`: the token, the signed-in sessions, the user it decides as.
    pub deciding: Option<deciding::Deciding>,
    /// Served over TLS: cookies are `Secure`, `Origin` must be `https`,
    /// and responses to a request for a host other than this machine
    /// carry `Strict-Transport-Security`.
    pub tls: bool,
}

/// The Content-Security-Policy of every response: the console's own script
/// and style, fetches to itself, nothing else (no inline script, no
/// plugins, no framing, no third-party anything).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// Builds the console's routes over `console`.
pub fn router(console: Arc<Console>) -> Router {
    let mut routes = Router::new();
    if console.deciding.is_some() {
        routes = routes
            .route("/signin", get(signing::page).post(signing::sign_in))
            .route("/signout", post(signing::sign_out))
            .route(
                "/runs/{id}/gates/{nonce}/decision",
                post(decision_form::decide),
            )
            .route(
                "/api/v1/runs/{id}/gates/{nonce}/decision",
                post(decision::decide),
            )
            .route(
                "/api/runs/{id}/gates/{nonce}/decision",
                post(decision::decide),
            );
    }
    let mut routes = routes
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
        .layer(axum::middleware::from_fn(limit::answering));
    if console.tls {
        routes = routes.layer(axum::middleware::from_fn(strict_transport));
    }
    routes.with_state(console)
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
        // Same-origin requests keep their `Referer` and a form post its
        // `Origin` (`no-referrer` makes a browser send `Origin: null` with
        // a form, which the CSRF check must refuse); no other site is told
        // a console's address.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Tells a browser that reached the console over TLS to never use clear
/// HTTP for its host again (for a year); not when that host is this
/// machine (`localhost`, a name under it, a loopback address): HSTS holds
/// for every port of a host name, so it would break every plain-HTTP
/// service on this machine in that browser for a year.
async fn strict_transport(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let local = host::name(request.headers().get(header::HOST)).is_some_and(host::is_local);
    let mut response = next.run(request).await;
    if !local {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
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
        // SAFETY: getuid cannot fail.
        let user = runbook_runtime::operator::user_name(unsafe { libc::getuid() });
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let sign_in = options.decide.as_ref().map(|d| match &d.token_file {
            Some(file) => format!(
                "{scheme}://{address}/signin with the token in {} (paste it there)",
                file.display()
            ),
            None => format!("{scheme}://{address}/signin#token={}", d.token),
        });
        let console = Arc::new(Console {
            journal_dir: options.journal_dir,
            token: options.token,
            readers: tokio::sync::Semaphore::new(store::READERS),
            follows: follow::Follows::default(),
            deciding: options.decide.map(|d| deciding::Deciding {
                token: d.token,
                sessions: session::Sessions::default(),
                secure_cookie: d.secure_cookie,
                user: user.clone(),
                tls: options.tls.is_some(),
            }),
            tls: options.tls.is_some(),
        });
        let guarded = if console.token.is_some() {
            "a token is required"
        } else {
            "loopback only"
        };
        // Tests and scripts read the address (with a port chosen by the
        // system for `:0`) from this line.
        println!("runbook serve: listening on {scheme}://{address}/ ({guarded})");
        // A token made here is printed once, here only, in the fragment,
        // which a browser never sends, so no request or access log holds
        // it; a token file's is never printed (stdout may be kept).
        if console.deciding.is_some() {
            let _ = html::DECIDES_AS.set(user.clone());
        }
        if let Some(url) = sign_in {
            println!("runbook serve: deciding as {user}: sign in at {url}");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let app = router(console).into_make_service_with_connect_info::<limit::Peer>();
        let limit = limit::Limit::new(options.max_connections);
        let stopped = match options.tls {
            Some(config) => {
                let listener = tls::Listener::new(listener, config, limit)
                    .map_err(|e| format!("cannot listen on {address}: {e}"))?;
                axum::serve(listener, app).await
            }
            None => {
                let listener = limit::Listener {
                    tcp: listener,
                    limit,
                };
                axum::serve(listener, app).await
            }
        };
        stopped.map_err(|e| format!("the server stopped: {e}"))
    })
}
