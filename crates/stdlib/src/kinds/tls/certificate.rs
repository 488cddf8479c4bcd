//! The presented certificate as results: its names, its validity dates
//! (RFC 3339, UTC) and the whole days it has left, its serial. The DER is
//! read by `x509-parser`, never by hand; a certificate it cannot read is a
//! step failure that says so.

use serde_json::{Map, Value};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
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

#[cfg(test)]
mod tests {
    use super::*;

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
