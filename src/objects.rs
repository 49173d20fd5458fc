//! Reading PEM and DER objects from files: certificates, CRLs, CSRs, keys and signatures are
//! accepted in both encodings everywhere, and a PEM file may hold several objects.

use std::fmt;

/// Limit on PEM objects read from one file. A trust or chain bundle of a province holds a
/// handful; the Mozilla root store holds ~150. 10,000 leaves room for real bundles while
/// bounding the work an attacker-supplied file can cause.
pub const MAX_OBJECTS_PER_FILE: usize = 10_000;

/// What went wrong reading an object file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectError {
    /// The input is empty.
    Empty,
    /// PEM armour is present but broken (bad base64, missing END line).
    BadPem(String),
    /// The PEM file holds no object of the expected kind; `found` lists the labels it does hold.
    WrongPemLabel {
        /// What the caller wanted (e.g. "CERTIFICATE").
        expected: &'static str,
        /// The labels found in the file.
        found: Vec<String>,
    },
    /// Binary input that is not one complete DER object (truncated, trailing data, or not DER).
    BadDer(&'static str),
    /// More objects than [`MAX_OBJECTS_PER_FILE`].
    TooMany,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Empty => write!(f, "the file is empty"),
            ObjectError::BadPem(e) => write!(f, "broken PEM armour: {e}"),
            ObjectError::WrongPemLabel { expected, found } if found.is_empty() => {
                write!(f, "expected a PEM '{expected}' block, found no PEM block")
            }
            ObjectError::WrongPemLabel { expected, found } => write!(
                f,
                "expected a PEM '{expected}' block, found {} (is this the right file?)",
                found.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ")
            ),
            ObjectError::BadDer(why) => write!(f, "not a DER object: {why}"),
            ObjectError::TooMany => {
                write!(f, "more than {MAX_OBJECTS_PER_FILE} objects in one file")
            }
        }
    }
}

impl std::error::Error for ObjectError {}

/// The encoding a file was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    /// PEM with these labels, in order.
    Pem(Vec<String>),
    /// A single binary DER object.
    Der,
}

/// True when the bytes look like PEM text (after optional leading whitespace).
pub fn is_pem(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes[start..].starts_with(b"-----BEGIN ")
}

/// All PEM blocks of a file as (label, DER) pairs.
pub fn pem_blocks(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ObjectError> {
    let blocks = pem::parse_many(bytes).map_err(|e| ObjectError::BadPem(e.to_string()))?;
    if blocks.len() > MAX_OBJECTS_PER_FILE {
        return Err(ObjectError::TooMany);
    }
    Ok(blocks.into_iter().map(|p| (p.tag().to_string(), p.into_contents())).collect())
}

/// Reads every object with one of `labels` from PEM input, or the single object of DER input.
/// PEM blocks with other labels are skipped (a bundle may mix certificates and CRLs); if none
/// matches, [`ObjectError::WrongPemLabel`] names what the file does hold.
pub fn read_objects(bytes: &[u8], labels: &[&'static str]) -> Result<(Vec<Vec<u8>>, Encoding), ObjectError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ObjectError::Empty);
    }
    if is_pem(bytes) {
        let blocks = pem_blocks(bytes)?;
        let found: Vec<String> = blocks.iter().map(|(l, _)| l.clone()).collect();
        let objs: Vec<Vec<u8>> = blocks
            .into_iter()
            .filter(|(l, _)| labels.contains(&l.as_str()))
            .map(|(_, d)| d)
            .collect();
        if objs.is_empty() {
            return Err(ObjectError::WrongPemLabel { expected: labels[0], found });
        }
        return Ok((objs, Encoding::Pem(found)));
    }
    check_single_der(bytes)?;
    Ok((vec![bytes.to_vec()], Encoding::Der))
}

/// Certificates from a PEM bundle or one DER certificate.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, ObjectError> {
    read_objects(bytes, &["CERTIFICATE", "X509 CERTIFICATE"]).map(|(v, _)| v)
}

/// CRLs from a PEM bundle or one DER CRL.
pub fn crls(bytes: &[u8]) -> Result<Vec<Vec<u8>>, ObjectError> {
    read_objects(bytes, &["X509 CRL"]).map(|(v, _)| v)
}

/// One PKCS#10 request, PEM or DER.
pub fn csr(bytes: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let (mut v, _) = read_objects(bytes, &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"])?;
    Ok(v.swap_remove(0))
}

/// Checks that `bytes` is exactly one DER TLV with a definite, minimal length: no truncation,
/// no trailing data. Returns the header length.
pub fn check_single_der(bytes: &[u8]) -> Result<usize, ObjectError> {
    match crate::asn1::read(bytes) {
        Ok((t, [])) => Ok(t.header().len()),
        Ok(_) => Err(ObjectError::BadDer("trailing data after the object")),
        Err(crate::asn1::Error::Truncated) if crate::asn1::head(bytes).is_ok() => {
            Err(ObjectError::BadDer("truncated (the length field says more than the file holds)"))
        }
        Err(_) => Err(ObjectError::BadDer("truncated or invalid header")),
    }
}

/// A serial number's lower-case hex without leading zeros (the form `kyso ca list` prints).
pub fn serial_hex(bytes: &[u8]) -> String {
    let h = hex::encode(bytes);
    let t = h.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.to_string()
    }
}

/// Upper-case hex with colons, as `openssl x509 -fingerprint` prints (fingerprints and key
/// identifiers only; serial numbers are [`serial_hex`]).
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_checks() {
        assert_eq!(check_single_der(&[0x30, 0x03, 1, 2, 3]), Ok(2));
        assert_eq!(
            check_single_der(&[0x30, 0x03, 1, 2, 3, 4]),
            Err(ObjectError::BadDer("trailing data after the object"))
        );
        assert!(matches!(check_single_der(&[0x30, 0x05, 1]), Err(ObjectError::BadDer(_))));
        assert!(matches!(check_single_der(&[0x30, 0x80, 0, 0]), Err(ObjectError::BadDer(_))));
        assert_eq!(check_single_der(&[0x30, 0x81, 0x01, 0]), Err(ObjectError::BadDer("truncated or invalid header")));
        assert_eq!(check_single_der(&[0x30, 0x84, 0xff]), Err(ObjectError::BadDer("truncated or invalid header")));
        assert_eq!(
            check_single_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0]),
            Err(ObjectError::BadDer("truncated (the length field says more than the file holds)"))
        );
        assert_eq!(check_single_der(&[]), Err(ObjectError::BadDer("truncated or invalid header")));
    }

    #[test]
    fn wrong_label_is_named() {
        let pem = b"-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n";
        match certificates(pem) {
            Err(ObjectError::WrongPemLabel { expected, found }) => {
                assert_eq!(expected, "CERTIFICATE");
                assert_eq!(found, vec!["CERTIFICATE REQUEST".to_string()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(csr(pem).unwrap(), vec![0x30, 0x00]);
        assert_eq!(certificates(b"  \n"), Err(ObjectError::Empty));
    }
}
