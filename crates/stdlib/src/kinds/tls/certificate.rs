//! The presented certificate as results: its names, its validity dates
//! (RFC 3339, UTC) and the whole days it has left, its serial. The DER is
//! read by `x509-parser`, never by hand; a certificate it cannot read is a
//! step failure that says so.

use serde_json::{Map, Value};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_rustls::rustls;
use tokio_rustls::rustls::CertificateError;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

const DAY: i64 = 24 * 3600;

/// The results read from the end-entity certificate `der`, at `now`.
pub fn fields(der: &[u8], now: OffsetDateTime) -> Result<Map<String, Value>, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("the server's certificate cannot be read: {e}"))?;
    let mut fields = Map::new();
    let text = |s: String| Value::String(s);
    fields.insert("subject".into(), text(cert.subject().to_string()));
    fields.insert("issuer".into(), text(cert.issuer().to_string()));
    fields.insert("sans".into(), Value::Array(sans(&cert)));
    let validity = cert.validity();
    let not_before = validity.not_before.to_datetime();
    let not_after = validity.not_after.to_datetime();
    fields.insert("not_before".into(), rfc3339(not_before));
    fields.insert("not_after".into(), rfc3339(not_after));
    let left = (not_after - now).whole_seconds().div_euclid(DAY);
    fields.insert("days_left".into(), Value::from(left));
    fields.insert("serial".into(), text(cert.raw_serial_as_string()));
    Ok(fields)
}

/// A time as RFC 3339 (`2027-03-01T12:00:00Z`); `null` for a year RFC
/// 3339 cannot write.
fn rfc3339(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map_or(Value::Null, Value::String)
}

/// The subject alternative names: DNS names, IP addresses, e-mail
/// addresses and URIs, as text.
fn sans(cert: &X509Certificate<'_>) -> Vec<Value> {
    let Ok(Some(extension)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    extension
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                Some(s.to_string())
            }
            GeneralName::IPAddress(bytes) => ip(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .map(Value::String)
        .collect()
}

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Why a chain did not verify, in the words an operator needs.
pub fn verify_error(error: &rustls::Error, server_name: &str, ca_file: bool) -> String {
    let roots = if ca_file {
        "the certificates of `ca_file`"
    } else {
        "the system's trusted roots"
    };
    match error {
        rustls::Error::InvalidCertificate(reason) => match reason {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the certificate has expired".into()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the certificate is not valid yet".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("the certificate is not valid for `{server_name}`")
            }
            CertificateError::UnknownIssuer => {
                format!(
                    "the certificate's issuer is not among {roots} (self-signed, or a private CA)"
                )
            }
            CertificateError::Revoked => "the certificate has been revoked".into(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the certificate is not for a TLS server".into()
            }
            _ => error.to_string(),
        },
        other => other.to_string(),
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
        let unknown = verify_error(&invalid(CertificateError::UnknownIssuer), "x", false);
        assert!(unknown.contains("system's trusted roots"), "{unknown}");
        let other = verify_error(&rustls::Error::General("boom".into()), "x", false);
        assert!(other.contains("boom"), "{other}");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        let now = OffsetDateTime::now_utc();
        for der in [
            &b""[..],
            b"\x30\x03\x02\x01",
            b"-----BEGIN CERTIFICATE-----",
        ] {
            assert!(fields(der, now).is_err());
        }
    }
}
