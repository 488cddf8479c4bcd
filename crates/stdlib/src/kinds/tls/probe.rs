//! Running a `tls` step: the rendered host, port and server name checked,
//! the trusted roots loaded (`ca_file`, else the system's, else the
//! WebPKI bundle), a TCP connection made as `tcp` makes one, a handshake
//! with the [`Recording`] verifier, and the presented certificate read
//! into results whether or not it verified. Nothing is sent after the
//! handshake; the connection is closed with a `close_notify`.

use super::certificate;
use super::verifier::{Recording, Seen};
use super::words;
use super::Params;
use crate::kinds::http::file::resolve;
use crate::kinds::tcp::{self, host};
use runbook_runtime::{ActionContext, ActionResult};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, ProtocolVersion, RootCertStore};

/// The port of a `tls` step that names none.
const DEFAULT_PORT: i64 = 443;

/// The largest `ca_file` read: a bundle of every public root is ~200 KiB.
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The name to send and verify: `server_name`, else the host.
fn server_name(params: &Params) -> Result<ServerName<'static>, String> {
    let written = params.server_name.as_deref().unwrap_or(&params.host);
    let name = host::parse(written).map_err(|e| format!("`server_name`: {e}"))?;
    ServerName::try_from(name.lookup())
        .map_err(|_| format!("`server_name`: `{name}` is not a name TLS can verify"))
}

/// `ca_file`, unless it is empty (an input left at its default `""`):
/// then the system's roots are used.
fn ca_file(params: &Params) -> Option<&str> {
    params.ca_file.as_deref().filter(|file| !file.is_empty())
}

/// The roots to verify against: `ca_file`'s certificates, else the system's.
fn roots(ca_file: Option<&str>, workdir: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if let Some(file) = ca_file {
        let path = resolve(workdir, file);
        let shown = path.display();
        let pem = runbook_dsl::user_file::read(&path, MAX_CA_FILE_BYTES)
            .map_err(|e| format!("cannot read `ca_file` {shown}: {e}"))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("`ca_file` {shown} is not a PEM file: {e}"))?;
            roots.add(cert).map_err(|e| {
                format!("`ca_file` {shown} holds a certificate rustls refuses: {e}")
            })?;
        }
        if roots.is_empty() {
            return Err(format!("`ca_file` {shown} holds no PEM certificate"));
        }
        return Ok(roots);
    }
    let (added, _) =
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(roots)
}

pub async fn run(params: Params, ctx: &ActionContext) -> ActionResult {
    let prepared = (|| {
        let place = tcp::place(&params.host, Some(params.port.unwrap_or(DEFAULT_PORT)))?;
        let name = server_name(&params)?;
        let roots = roots(ca_file(&params), &ctx.workdir)?;
        Ok::<_, String>((place, name, roots))
    })();
    let ((host, port), name, roots) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return ActionResult::failure(e),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match Recording::new(roots, provider.clone()) {
        Ok(v) => Arc::new(v),
        Err(e) => return ActionResult::failure(e),
    };
    let config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(builder) => builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth(),
            Err(e) => return ActionResult::failure(format!("TLS: {e}")),
        };
    let timeout = params
        .connect_timeout
        .unwrap_or(tcp::DEFAULT_CONNECT_TIMEOUT);
    let place = format!("{host}:{port}");
    let name_text = name.to_str().into_owned();
    let work = async {
        let connected = tcp::connect(&host, port, timeout).await?;
        let address = connected.address.ip().to_string();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let handshake = connector.connect(name, connected.stream);
        let outcome = match tokio::time::timeout(timeout, handshake).await {
            Ok(Ok(mut stream)) => {
                let protocol = stream.get_ref().1.protocol_version();
                // Best effort: the answer is already known.
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
                Ok(protocol)
            }
            Ok(Err(e)) => Err(format!(
                "the TLS handshake with {place} failed: {}",
                words::handshake_io_error(&e, &name_text)
            )),
            Err(_) => Err(format!(
                "the TLS handshake with {place} did not finish within {} (connect_timeout)",
                tcp::shown(timeout)
            )),
        };
        Ok::<_, String>((address, outcome))
    };
    let (address, outcome) = tokio::select! {
        done = work => match done {
            Ok(done) => done,
            Err(e) => return ActionResult::failure(e),
        },
        _ = ctx.cancel.cancelled() => return ActionResult::failure(format!("stopped during the TLS handshake with {place}")),
    };
    let report = Report {
        place: &place,
        name: &name_text,
        ca_file: ca_file(&params).is_some(),
        verify: params.verify.unwrap_or(true),
    };
    report.result(verifier.take(), address, outcome)
}

/// Turning what the handshake saw into the step's result.
struct Report<'a> {
    place: &'a str,
    name: &'a str,
    ca_file: bool,
    verify: bool,
}

impl Report<'_> {
    fn result(
        &self,
        seen: Option<Seen>,
        address: String,
        outcome: Result<Option<ProtocolVersion>, String>,
    ) -> ActionResult {
        let Some(seen) = seen else {
            let why = outcome.err().unwrap_or_else(|| "no certificate".into());
            return ActionResult::failure(format!(
                "{why} before the server presented a certificate"
            ));
        };
        let Some(end_entity) = seen.chain.first() else {
            return ActionResult::failure(format!("{} presented no certificate", self.place));
        };
        let now = time::OffsetDateTime::now_utc();
        let mut fields = match certificate::fields(end_entity, now) {
            Ok(fields) => fields,
            Err(e) => return ActionResult::failure(format!("{}: {e}", self.place)),
        };
        let verify_error = seen
            .verdict
            .as_ref()
            .err()
            .map(|e| words::verify_error(e, self.name, self.ca_file));
        let mut all = Map::new();
        all.insert("verified".into(), Value::Bool(verify_error.is_none()));
        all.insert(
            "verify_error".into(),
            verify_error.clone().map_or(Value::Null, Value::String),
        );
        all.append(&mut fields);
        let protocol = match &outcome {
            Ok(Some(ProtocolVersion::TLSv1_3)) => Value::from("TLS1.3"),
            Ok(Some(ProtocolVersion::TLSv1_2)) => Value::from("TLS1.2"),
            Ok(Some(other)) => Value::String(format!("{other:?}")),
            _ => Value::Null,
        };
        all.insert("protocol".into(), protocol);
        all.insert("chain_length".into(), Value::from(seen.chain.len()));
        all.insert("address".into(), Value::String(address));
        match (outcome, verify_error) {
            (Err(e), _) => ActionResult::failure(e).with_fields(all),
            (Ok(_), Some(why)) if self.verify => ActionResult::failure(format!(
                "the certificate of {} does not verify: {why} (its details are in the step's results; `verify: false` reports without failing)",
                self.place
            ))
            .with_fields(all),
            (Ok(_), _) => ActionResult::success(all),
        }
    }
}

/// What a step would do, for a gate and the plan.
pub fn describe(params: &Params) -> String {
    let port = params.port.unwrap_or(DEFAULT_PORT);
    let mut text = format!("TLS handshake with {}:{port}", params.host.escape_debug());
    if let Some(name) = &params.server_name {
        text.push_str(&format!(" as `{}`", name.escape_debug()));
    }
    if params.verify == Some(false) {
        text.push_str(", report the certificate without requiring it to verify");
    }
    text
}
