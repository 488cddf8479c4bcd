//! The connection a `redis` step opens: its URL read into a target, the
//! connection made within a deadline, the password and database given,
//! one command sent and its reply read.
//!
//! The password is kept apart from everything that is ever shown: a target
//! describes itself as `host:port/db`, and no message built here contains
//! the URL, so neither an error nor a dry-run can print the password,
//! whether or not the URL came from a secret input.

use super::resp::{self, Fail, Reply};
use runbook_runtime::mask::MASK;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// How long connecting and the handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a step connects to and as whom.
pub struct Target {
    place: Place,
    user: Option<String>,
    password: Option<String>,
    db: u32,
}

enum Place {
    /// `tls`: `rediss://`, verified against the system's roots.
    Tcp {
        host: String,
        port: u16,
        tls: bool,
    },
    Unix(PathBuf),
}

impl std::fmt::Display for Target {
    /// `host:port/db` or `unix:PATH/db`: never the user or the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Place::Tcp { host, port, .. } => write!(f, "{host}:{port}/{}", self.db),
            Place::Unix(path) => write!(f, "unix:{}/{}", path.display(), self.db),
        }
    }
}

/// `%XX` sequences decoded (a password with `@` or `:` in it is written
/// percent-encoded in a URL).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a connection could not be made, and whether the server refused
/// the step's own credentials (a wrong or missing password: the step
/// fails as it is given, see [`runbook_runtime::ActionResult::misconfigured`]).
#[derive(Debug)]
pub struct ConnectFailure {
    pub message: String,
    pub credentials: bool,
}

impl ConnectFailure {
    fn unreachable(message: String) -> ConnectFailure {
        ConnectFailure {
            message,
            credentials: false,
        }
    }

    fn credentials(message: String) -> ConnectFailure {
        ConnectFailure {
            message,
            credentials: true,
        }
    }
}

impl Target {
    /// Reads `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (`rediss://`
    /// for TLS) or
    /// `unix:///PATH[?db=N][&user=U][&password=P]`. The error never quotes
    /// the URL, which holds the password.
    pub fn parse(url: &str) -> Result<Target, String> {
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
            format!("the Redis URL is not valid ({e}); write `redis://[:PASSWORD@]HOST:PORT/DB`")
        })?;
        let query = |name: &str| {
            parsed
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let from_url = |s: &str| (!s.is_empty()).then(|| percent_decoded(s));
        let user = from_url(parsed.username()).or_else(|| query("user"));
        let password = parsed
            .password()
            .map(percent_decoded)
            .or_else(|| query("password"));
        let number = |text: &str| {
            text.parse::<u32>()
                .map_err(|_| "the database in the Redis URL is not a number".to_string())
        };
        let (place, db) = match parsed.scheme() {
            scheme @ ("redis" | "rediss") => {
                let host = match parsed.host_str() {
                    Some(host) if !host.is_empty() => host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    _ => return Err("the Redis URL names no host".into()),
                };
                let port = parsed.port().unwrap_or(6379);
                let db = match parsed.path().trim_matches('/') {
                    "" => 0,
                    db => number(db)?,
                };
                let tls = scheme == "rediss";
                (Place::Tcp { host, port, tls }, db)
            }
            "unix" | "redis+unix" => {
                let path = PathBuf::from(percent_decoded(parsed.path()));
                let db = query("db").map(|d| number(&d)).transpose()?.unwrap_or(0);
                (Place::Unix(path), db)
            }
            other => {
                return Err(format!(
                    "`{other}:` is not a Redis URL scheme: write `redis://HOST:PORT/DB` or \
                     `unix:///PATH`"
                ))
            }
        };
        Ok(Target {
            place,
            user,
            password,
            db,
        })
    }

    /// Opens the connection and gives the password and the database; a
    /// failure says whether the server refused the step's credentials
    /// (which no earlier step can have changed).
    pub async fn connect(&self) -> Result<Connection, ConnectFailure> {
        let open = async {
            let io = |e: std::io::Error| format!("cannot connect to Redis at {self}: {e}");
            let stream: Box<dyn Stream> = match &self.place {
                Place::Tcp { host, port, tls } => {
                    let tcp = tokio::net::TcpStream::connect((host.as_str(), *port))
                        .await
                        .map_err(io)?;
                    tcp.set_nodelay(true).map_err(io)?;
                    if *tls {
                        Box::new(self.tls(host, tcp).await?)
                    } else {
                        Box::new(tcp)
                    }
                }
                Place::Unix(path) => {
                    Box::new(tokio::net::UnixStream::connect(path).await.map_err(io)?)
                }
            };
            Ok::<_, String>(Connection {
                stream: BufReader::new(stream),
            })
        };
        let handshake = async {
            let mut connection = open.await.map_err(ConnectFailure::unreachable)?;
            self.log_in(&mut connection).await?;
            Ok(connection)
        };
        tokio::time::timeout(CONNECT_TIMEOUT, handshake)
            .await
            .unwrap_or_else(|_| {
                Err(ConnectFailure::unreachable(format!(
                    "cannot connect to Redis at {self}: no answer within {}s",
                    CONNECT_TIMEOUT.as_secs()
                )))
            })
    }

    /// TLS over `tcp`, the server's certificate verified for `host`
    /// against the system's roots (`SSL_CERT_FILE` and `SSL_CERT_DIR`
    /// honoured, for a private CA).
    async fn tls(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
        use tokio_rustls::rustls;
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(format!(
                "cannot connect to Redis at {self} over TLS: no trusted root certificate found \
                 (set SSL_CERT_FILE to the CA that signed the server's certificate)"
            ));
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS for Redis at {self}: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|_| {
            format!("cannot connect to Redis at {self} over TLS: `{host}` is not a host name")
        })?;
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("cannot connect to Redis at {self} over TLS: {e}"))
    }

    /// `HELLO 3` (with `AUTH` when there is a password), falling back to
    /// RESP2 and `AUTH` on a server older than Redis 6; then `SELECT`.
    async fn log_in(&self, connection: &mut Connection) -> Result<(), ConnectFailure> {
        let user = self.user.as_deref().unwrap_or("default");
        let mut hello: Vec<&[u8]> = vec![b"HELLO", b"3"];
        if let Some(password) = &self.password {
            hello.extend([b"AUTH".as_slice(), user.as_bytes(), password.as_bytes()]);
        }
        let refused = |e: Fail| match e {
            Fail::Server(m) if m.starts_with("NOAUTH") && self.password.is_none() => {
                ConnectFailure::credentials(format!(
                    "Redis at {self} wants a password: give it in the URL \
                     (`redis://:PASSWORD@HOST:PORT/DB`, from a secret input)"
                ))
            }
            // Said before the login is even read: not a password problem.
            Fail::Server(m) if m.starts_with("ERR max number of clients reached") => {
                ConnectFailure::unreachable(format!(
                    "Redis at {self} refused the connection: it holds `maxclients` connections \
                     already (ERR max number of clients reached); each `redis` step opens one \
                     connection of its own while it runs"
                ))
            }
            Fail::Server(m) => ConnectFailure::credentials(format!(
                "Redis at {self} refused the login: {}",
                self.scrub(&m)
            )),
            other => ConnectFailure::unreachable(self.failure(other)),
        };
        match connection.call(&hello, 1 << 20).await {
            Ok(_) => {}
            Err(Fail::Server(m))
                if m.starts_with("ERR unknown command") || m.starts_with("NOPROTO") =>
            {
                if let Some(password) = &self.password {
                    let mut auth: Vec<&[u8]> = vec![b"AUTH"];
                    if let Some(user) = &self.user {
                        auth.push(user.as_bytes());
                    }
                    auth.push(password.as_bytes());
                    connection.call(&auth, 1 << 20).await.map_err(refused)?;
                }
            }
            Err(e) => return Err(refused(e)),
        }
        if self.db != 0 {
            let db = self.db.to_string();
            connection
                .call(&[b"SELECT", db.as_bytes()], 1 << 20)
                .await
                .map_err(|e| ConnectFailure::unreachable(self.failure(e)))?;
        }
        Ok(())
    }

    /// A server's message with the password taken out: a server may echo
    /// a command's arguments in an error (`unknown command ... with args
    /// beginning with`), and the login's arguments hold the password.
    fn scrub(&self, message: &str) -> String {
        match self.scrubbed_password() {
            Some(password) => message.replace(password, MASK),
            None => message.to_string(),
        }
    }

    /// The password, when it is long enough to be taken out where it
    /// shows: as for the run's masker, a shorter one would blank letters
    /// of unrelated words (`dis***led`), and show what it is.
    fn scrubbed_password(&self) -> Option<&str> {
        self.password
            .as_deref()
            .filter(|p| p.chars().count() >= runbook_runtime::mask::MIN_SECRET_LEN)
    }

    /// A reply with the password taken out of every string in it: a read
    /// such as `CONFIG GET requirepass` or `CLIENT LIST` can hold it, and
    /// only the URL as a whole is known to the masker.
    pub fn scrub_value(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        let Some(password) = self.scrubbed_password() else {
            return;
        };
        match value {
            Value::String(s) if s.contains(password) => *s = s.replace(password, MASK),
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v)),
            Value::Object(map) => {
                let scrubbed: serde_json::Map<String, Value> = std::mem::take(map)
                    .into_iter()
                    .map(|(k, mut v)| {
                        self.scrub_value(&mut v);
                        (k.replace(password, MASK), v)
                    })
                    .collect();
                *map = scrubbed;
            }
            _ => {}
        }
    }

    /// A failure of the connection or of the reply, as one line naming
    /// the target.
    pub fn failure(&self, fail: Fail) -> String {
        match fail {
            Fail::Server(m) => format!("Redis at {self} answered: {}", self.scrub(&m)),
            Fail::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("Redis at {self} closed the connection before it answered")
            }
            Fail::Io(e) => format!("Redis at {self}: {e}"),
            Fail::Protocol(m) => {
                format!("Redis at {self} answered something that is not RESP: {m}")
            }
            Fail::Cap => format!("Redis at {self}: a reply line passes the output cap"),
        }
    }
}

/// A TCP or Unix socket.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open, logged-in connection.
pub struct Connection {
    stream: BufReader<Box<dyn Stream>>,
}

impl Connection {
    /// Sends one command and reads its reply within `cap` bytes.
    pub async fn call(&mut self, argv: &[&[u8]], cap: usize) -> Result<Reply, Fail> {
        let command = resp::encode(argv);
        self.stream.get_mut().write_all(&command).await?;
        self.stream.get_mut().flush().await?;
        resp::read(&mut self.stream, cap).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_never_shows_its_password() {
        let t = Target::parse("redis://:s3cr%40t@cache.internal:6380/2").unwrap();
        assert_eq!(t.to_string(), "cache.internal:6380/2");
        assert_eq!(t.password.as_deref(), Some("s3cr@t"));
        assert_eq!(t.user, None);
        let t = Target::parse("redis://app:pw@[::1]").unwrap();
        assert_eq!(t.to_string(), "::1:6379/0");
        assert_eq!(t.user.as_deref(), Some("app"));
        let t = Target::parse("rediss://:pw@cache:6380/1").unwrap();
        assert!(matches!(t.place, Place::Tcp { tls: true, .. }));
        assert_eq!(t.to_string(), "cache:6380/1");
        let t = Target::parse("unix:///run/redis.sock?db=3&password=pw").unwrap();
        assert_eq!(t.to_string(), "unix:/run/redis.sock/3");
        assert_eq!(t.password.as_deref(), Some("pw"));
    }

    #[test]
    fn a_bad_url_is_not_echoed() {
        for url in [
            "redis://:hunter2@host:99999/0",
            "redis://:hunter2@host/x",
            "http://:hunter2@host",
            "hunter2",
        ] {
            let e = Target::parse(url).err().unwrap();
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn a_reply_holding_the_password_is_scrubbed() {
        let t = Target::parse("redis://:hunter2@h").unwrap();
        let mut reply =
            serde_json::json!({"requirepass": "hunter2", "hunter2x": ["a hunter2 b", 1]});
        t.scrub_value(&mut reply);
        assert_eq!(
            reply,
            serde_json::json!({"requirepass": "***", "***x": ["a *** b", 1]})
        );
    }
}
