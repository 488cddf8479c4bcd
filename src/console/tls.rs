//! `runbook serve --tls-cert FILE --tls-key FILE`: the console speaks TLS
//! itself (rustls, through the tokio-rustls the project already builds),
//! so the token, the session cookie and every decision are encrypted on
//! the wire without a proxy in front.
//!
//! The files are read and checked before the console listens: a missing,
//! unreadable or invalid file is refused by name, with why, not met at
//! the first handshake. Handshakes run off the accept loop, each bounded
//! in time, so a client that connects and says nothing holds up nobody.

use super::limit::{self, Conn, Limit};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The largest certificate chain or key file read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// How long a client has to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Handshakes finished and not yet taken by the server.
const BACKLOG: usize = 64;

/// A certificate or key file that cannot serve: which one and why.
#[derive(Debug)]
pub struct BadFile {
    /// `--tls-cert` or `--tls-key`.
    pub flag: &'static str,
    pub file: String,
    pub why: String,
}

/// The server configuration of `cert` (a PEM chain, the server's own
/// certificate first) and `key_pem`, the PEM private key read from `key`
/// (by `secret_file::read`, which checks the file is private on the very
/// descriptor it reads), checked to belong together.
pub fn load(cert: &Path, key: &Path, key_pem: &[u8]) -> Result<Arc<ServerConfig>, BadFile> {
    let bad = |flag: &'static str, file: &Path, why: String| BadFile {
        flag,
        file: file.display().to_string(),
        why,
    };
    let cert_pem = read(cert).map_err(|why| bad("--tls-cert", cert, why))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("--tls-cert", cert, format!("it is not a PEM file ({e})")))?;
    if chain.is_empty() {
        return Err(bad(
            "--tls-cert",
            cert,
            "it holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".into(),
        ));
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "it holds no PEM private key (`-----BEGIN PRIVATE KEY-----`, RSA or EC)".into()
            }
            e => format!("it is not a PEM private key ({e})"),
        };
        bad("--tls-key", key, why)
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("--tls-cert", cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            let why = match e {
                rustls::Error::InconsistentKeys(_) => {
                    "its first certificate is not the one of the key in `--tls-key`".to_string()
                }
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                    "its first certificate cannot be read as a certificate (X.509, DER in PEM)"
                        .to_string()
                }
                rustls::Error::General(why) => why,
                e => format!("rustls refuses it with its key: {e}"),
            };
            bad("--tls-cert", cert, why)
        })?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The bytes of the certificate chain `file`: a regular file, at most
/// [`MAX_FILE_BYTES`].
fn read(file: &Path) -> Result<Vec<u8>, String> {
    runbook_dsl::user_file::read(file, MAX_FILE_BYTES).map_err(|e| format!("cannot read it: {e}"))
}

/// A listener whose connections have finished a TLS handshake: what
/// `axum::serve` is given instead of the bare TCP listener.
pub struct Listener {
    address: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<Conn>, SocketAddr)>,
}

impl Listener {
    /// Accepts on `tcp`, shaking hands with each client in a task of its
    /// own (at most [`HANDSHAKE`]), each connection under `limit`; a
    /// failed handshake is dropped.
    pub fn new(
        tcp: TcpListener,
        config: Arc<ServerConfig>,
        limit: Arc<Limit>,
    ) -> io::Result<Listener> {
        let address = tcp.local_addr()?;
        let (sender, ready) = mpsc::channel(BACKLOG);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = limit::accept(&tcp).await;
                let stream = Conn::new(stream, limit.admit(peer.ip()).await);
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await
                    {
                        let _ = sender.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(Listener { address, ready })
    }
}

impl axum::serve::Listener for Listener {
    type Io = TlsStream<Conn>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.address)
    }
}
