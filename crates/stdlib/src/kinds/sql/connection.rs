//! A `sql` step's connection: the URL (given or `$DATABASE_URL`), where it
//! goes (said without the password), the server's errors as one line, and
//! the cancel request sent when the step is stopped while its statement
//! runs.

use super::Params;
use runbook_runtime::ActionResult;
use std::error::Error as _;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

/// How long connecting may take when the URL says nothing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn url(params: &Params) -> Result<String, String> {
    match &params.url {
        Some(u) => Ok(u.to_string()),
        None => std::env::var("DATABASE_URL")
            .map_err(|_| "no database: set `url` or $DATABASE_URL".to_string()),
    }
}

/// Where the connection goes, without the password.
fn target(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// An error from the server or the connection, as one readable line.
pub(super) fn explain(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(detail) = db.detail() {
            s.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            s.push_str(&format!("; hint: {hint}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}

/// A connection to the server; a failure that no earlier step could have
/// caused (a URL that does not parse, credentials or a database the server
/// refused) is [`ActionResult::misconfigured`].
pub(super) async fn connect(url: &str) -> Result<(Client, String), ActionResult> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| ActionResult::misconfigured(format!("the database URL is not valid: {e}")))?;
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(ActionResult::misconfigured(format!(
            "the database URL asks for TLS (`sslmode=require`), and `sql` connects without it: \
             nothing was sent to {}; reach a remote server through a local socket, a tunnel \
             or a sidecar, and drop `sslmode` (or set it to `disable` or `prefer`)",
            target(&config)
        )));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let target = target(&config);
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        let message = format!("cannot connect to PostgreSQL at {target}: {}", explain(&e));
        if refuses_as_given(&e) {
            ActionResult::misconfigured(message)
        } else {
            ActionResult::failure(message)
        }
    })?;
    tokio::spawn(connection);
    Ok((client, target))
}

/// Whether the server refused the connection for what the step gave it:
/// its credentials (`28P01`, `28000`) or a database that does not exist
/// (`3D000`).
fn refuses_as_given(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.code().is_some_and(|code| {
        [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            SqlState::INVALID_CATALOG_NAME,
        ]
        .contains(code)
    })
}

/// How long asking the server to cancel may take: the step is stopping.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the server to cancel the statement running on the step's
/// connection; what became of it, for the step's message.
pub(super) async fn cancel_on_server(token: &tokio_postgres::CancelToken) -> String {
    match tokio::time::timeout(CANCEL_TIMEOUT, token.cancel_query(NoTls)).await {
        Ok(Ok(())) => "; the server was asked to cancel it".into(),
        Ok(Err(e)) => format!(
            "; asking the server to cancel it failed ({}): it may still run there",
            explain(&e)
        ),
        Err(_) => format!(
            "; the server did not take the cancel request within {}s: it may still run there",
            CANCEL_TIMEOUT.as_secs()
        ),
    }
}
