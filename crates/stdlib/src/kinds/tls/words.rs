//! rustls' errors in the words an operator needs: why a certificate does
//! not verify (expired, for another name, an unknown issuer, a missing
//! intermediate...) and why a handshake failed (not TLS on that port, no
//! common TLS version, the server's alert), instead of rustls' own text,
//! which is often an enum's debug name (`InvalidCertificate(BadSignature)`,
//! `Other(OtherError(CaUsedAsEndEntity))`).

use tokio_rustls::rustls;
use tokio_rustls::rustls::{AlertDescription, CertificateError};

/// Why a chain did not verify.
// rustls may still return the deprecated unit variants: they are named too.
#[allow(deprecated)]
pub fn verify_error(error: &rustls::Error, server_name: &str, ca_file: bool) -> String {
    let roots = if ca_file {
        "the certificates of `ca_file`"
    } else {
        "the system's trusted roots"
    };
    let rustls::Error::InvalidCertificate(reason) = error else {
        return handshake_error(error, server_name);
    };
    match reason {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the certificate has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the certificate is not valid yet".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("the certificate is not valid for `{server_name}`")
        }
        CertificateError::UnknownIssuer => format!(
            "the certificate's issuer is not among {roots} (self-signed, a private CA, or a server that does not send its intermediate certificates)"
        ),
        CertificateError::Revoked => "the certificate has been revoked".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for a TLS server".into()
        }
        CertificateError::BadEncoding => {
            "a certificate of the chain cannot be read (not valid DER X.509)".into()
        }
        CertificateError::BadSignature => {
            "a signature in the chain does not match: a certificate was not signed by the issuer it names".into()
        }
        CertificateError::UnhandledCriticalExtension => {
            "a certificate of the chain has a critical extension that cannot be checked".into()
        }
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "a certificate of the chain is signed with an algorithm that is not accepted (such as SHA-1)".into()
        }
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            "the certificate's revocation status cannot be known".into()
        }
        CertificateError::InvalidOcspResponse => "the server's OCSP response is invalid".into(),
        CertificateError::Other(other) => other_reason(&other.to_string()),
        _ => format!("the certificate does not verify ({error})"),
    }
}

/// WebPKI's reasons that rustls passes on as `Other`, by name.
fn other_reason(name: &str) -> String {
    let known = [
        (
            "CaUsedAsEndEntity",
            "the server presents a CA certificate as its own",
        ),
        (
            "EndEntityUsedAsCa",
            "a certificate that is not a CA's signed another one of the chain",
        ),
        (
            "PathLenConstraintViolated",
            "the chain is longer than one of its CA certificates allows",
        ),
        (
            "NameConstraintViolation",
            "the certificate's names are outside those its CA may sign",
        ),
        (
            "MaximumPathDepthExceeded",
            "the certificate chain is too long",
        ),
        (
            "RequiredEkuNotFound",
            "the certificate is not for a TLS server",
        ),
    ];
    known
        .iter()
        .find(|(key, _)| name.contains(key))
        .map(|(_, words)| words.to_string())
        .unwrap_or_else(|| format!("the certificate chain does not verify ({name})"))
}

/// Why a handshake failed: `error` is what the TLS connector returned
/// (a rustls error inside an I/O error, or the connection's own).
pub fn handshake_io_error(error: &std::io::Error, server_name: &str) -> String {
    if let Some(inner) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return handshake_error(inner, server_name);
    }
    match error.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".into()
        }
        std::io::ErrorKind::ConnectionReset => {
            "the server reset the connection during the handshake".into()
        }
        _ => error.to_string(),
    }
}

/// A rustls error of the handshake, in words.
pub fn handshake_error(error: &rustls::Error, server_name: &str) -> String {
    match error {
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "the server did not answer in TLS (is this a TLS port? a plain-text service answers something else)".into()
        }
        rustls::Error::PeerIncompatible(why) => format!(
            "the server and runbook share no TLS version, cipher suite or key exchange (runbook speaks TLS 1.2 and 1.3; {why:?})"
        ),
        rustls::Error::PeerMisbehaved(why) => {
            format!("the server broke the TLS protocol ({why:?})")
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".into(),
        rustls::Error::DecryptError => {
            "the server's messages could not be decrypted (a broken server or something on the path)".into()
        }
        rustls::Error::AlertReceived(alert) => alert_words(*alert, server_name),
        rustls::Error::InvalidCertificate(_) => verify_error(error, server_name, false),
        other => other.to_string(),
    }
}

/// The server's alert, in words.
fn alert_words(alert: AlertDescription, server_name: &str) -> String {
    match alert {
        AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity => {
            "the server refused the handshake: it shares no TLS version or cipher suite with runbook (TLS 1.2 and 1.3), or wants a client certificate".into()
        }
        AlertDescription::ProtocolVersion => {
            "the server refused runbook's TLS versions (1.2 and 1.3): it speaks only older ones".into()
        }
        AlertDescription::UnrecognisedName => {
            format!("the server does not serve the name `{server_name}` (`server_name`)")
        }
        AlertDescription::CertificateRequired => {
            "the server wants a client certificate, which a `tls` step does not send".into()
        }
        AlertDescription::InternalError => {
            "the server failed during the handshake (it sent an internal error alert)".into()
        }
        other => format!("the server ended the handshake with the alert `{other:?}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_errors_read_as_what_to_do() {
        let invalid = |e| rustls::Error::InvalidCertificate(e);
        assert_eq!(
            verify_error(&invalid(CertificateError::Expired), "x", false),
            "the certificate has expired"
        );
        assert_eq!(
            verify_error(
                &invalid(CertificateError::NotValidForName),
                "a.example",
                false
            ),
            "the certificate is not valid for `a.example`"
        );
        let unknown = verify_error(&invalid(CertificateError::UnknownIssuer), "x", true);
        assert!(unknown.contains("`ca_file`"), "{unknown}");
        assert!(unknown.contains("intermediate"), "{unknown}");
        let unknown = verify_error(&invalid(CertificateError::UnknownIssuer), "x", false);
        assert!(unknown.contains("system's trusted roots"), "{unknown}");
        let other = verify_error(&rustls::Error::General("boom".into()), "x", false);
        assert!(other.contains("boom"), "{other}");
    }

    /// No enum's debug name where words exist.
    #[test]
    fn no_reason_is_a_debug_name() {
        let invalid = |e| rustls::Error::InvalidCertificate(e);
        for (error, words) in [
            (invalid(CertificateError::BadSignature), "was not signed by"),
            (invalid(CertificateError::BadEncoding), "cannot be read"),
            (invalid(CertificateError::Revoked), "revoked"),
            (
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "refused the handshake",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::UnrecognisedName),
                "does not serve the name `x`",
            ),
            (
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
                "did not answer in TLS",
            ),
        ] {
            let text = verify_error(&error, "x", false);
            assert!(text.contains(words), "{error:?}: {text}");
            for debug in ["BadSignature", "BadEncoding", "InvalidCertificate", "Alert"] {
                assert!(!text.contains(debug), "{error:?}: {text}");
            }
        }
        assert_eq!(
            other_reason("CaUsedAsEndEntity"),
            "the server presents a CA certificate as its own"
        );
        assert!(other_reason("Zzz").contains("(Zzz)"));
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert_eq!(
            handshake_io_error(&eof, "x"),
            "the server closed the connection during the handshake"
        );
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert!(handshake_io_error(&wrapped, "x").contains("only older ones"));
    }
}
