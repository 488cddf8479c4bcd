//! A certificate verifier that records instead of refusing: it keeps the
//! chain the server presented and the verdict of rustls' own WebPKI
//! verifier (roots, validity dates, host name), then lets the handshake
//! finish. So a certificate that does not verify (expired, for another
//! host, from an unknown issuer) is still reported in full, and the step
//! decides afterwards whether the verdict fails it.
//!
//! The handshake's signatures are still checked (the server proves it
//! holds the certificate's key), and nothing is ever sent over the
//! connection, so accepting an unverified certificate exposes nothing.

use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// What the server presented and whether it verified.
#[derive(Debug)]
pub struct Seen {
    /// The end-entity certificate first, then the intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// `Err` with the reason when the chain does not verify.
    pub verdict: Result<(), rustls::Error>,
}

#[derive(Debug)]
pub struct Recording {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Seen>>,
}

impl Recording {
    pub fn new(roots: RootCertStore, provider: Arc<CryptoProvider>) -> Result<Recording, String> {
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("cannot verify certificates: {e}"))?;
        Ok(Recording {
            webpki,
            provider,
            seen: Mutex::new(None),
        })
    }

    /// What the handshake presented, once it has.
    pub fn take(&self) -> Option<Seen> {
        self.seen.lock().ok().and_then(|mut seen| seen.take())
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen { chain, verdict });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
