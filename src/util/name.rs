//! X.509 names as people read them: `C=VN, ST=Bắc Ninh, O=…, CN=…`.

use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

fn attr_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.6" => "C",
        "2.5.4.8" => "ST",
        "2.5.4.7" => "L",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        "2.5.4.12" => "title",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') || (i == 0 && matches!(c, '#' | ' ')) {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A name as `C=VN, ST=Bắc Ninh, O=…, CN=…` (in certificate order, RFC 4514 escaping, UTF-8).
/// Values in unusual string types (BMPString…) are shown as `#hex`.
pub fn name_to_string(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter() {
        let attrs: Vec<String> = rdn
            .iter()
            .map(|a| {
                let oid = a.attr_type().to_id_string();
                let label = attr_short_name(&oid).map(str::to_string).unwrap_or(oid);
                let value = match a.as_str() {
                    Ok(s) => escape_value(s),
                    Err(_) => format!("#{}", hex::encode(a.as_slice())),
                };
                format!("{label}={value}")
            })
            .collect();
        parts.push(attrs.join("+"));
    }
    parts.join(", ")
}

/// The subject of a DER certificate as [`name_to_string`] prints it.
pub fn cert_subject(der: &[u8]) -> Option<String> {
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
    Some(name_to_string(c.subject()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_rfc4514_specials() {
        assert_eq!(escape_value("a,b"), "a\\,b");
        assert_eq!(escape_value("Sở Y tế"), "Sở Y tế");
        assert_eq!(escape_value(" x"), "\\ x");
    }
}
