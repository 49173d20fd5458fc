//! Human-readable descriptions of certificates, requests, CRLs and keys (`kyso inspect`).
//! Names are shown as UTF-8 with their Vietnamese diacritics; key material is never shown —
//! for a private key only its type, whether it is encrypted and (when it can be opened) the
//! SHA-256 fingerprint of its public key.

use crate::keys::{KeyError, KeyFile, Signer};
pub use crate::util::{cert_subject, name_to_string};
use std::fmt;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

/// Revoked entries listed one by one before the rest is summarised: a CRL may list thousands.
const MAX_CRL_ENTRIES_SHOWN: usize = 50;

/// What kind of object was inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// An X.509 certificate.
    Certificate,
    /// A PKCS#10 certificate request.
    Request,
    /// A CRL.
    Crl,
    /// A private key.
    PrivateKey,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Certificate => "Certificate",
            Kind::Request => "Certificate request (PKCS#10)",
            Kind::Crl => "Certificate revocation list",
            Kind::PrivateKey => "Private key",
        }
    }
}

/// The description of one object: a title and labelled lines.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The kind.
    pub kind: Kind,
    /// (label, value) lines, in display order.
    pub fields: Vec<(String, String)>,
}

impl Inspection {
    fn new(kind: Kind) -> Self {
        Inspection { kind, fields: Vec::new() }
    }
    fn add(&mut self, label: &str, value: impl Into<String>) {
        self.fields.push((label.to_string(), value.into()));
    }
    /// The value of the first field called `label`.
    pub fn field(&self, label: &str) -> Option<&str> {
        self.fields.iter().find(|(l, _)| l == label).map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.kind.title())?;
        let width = self.fields.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (l, v) in &self.fields {
            let pad = width - l.chars().count();
            writeln!(f, "  {l}:{:pad$} {v}", "")?;
        }
        Ok(())
    }
}

/// Why a file could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// Not a certificate, request, CRL or key.
    #[error("not a certificate, certificate request, CRL or private key: {0}")]
    Unrecognised(String),
    /// A CMS signature: [`inspect`] leaves it to [`describe`] (which calls
    /// [`crate::cms::describe()`]).
    #[error("this is a CMS signature (.p7s): use inspect::describe")]
    CmsUnsupported,
    /// The object was recognised but is malformed.
    #[error("malformed {what}: {message}")]
    Malformed {
        /// Which kind of object.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
}

fn fingerprint(alg: &'static ring::digest::Algorithm, der: &[u8]) -> String {
    crate::objects::colon_hex(ring::digest::digest(alg, der).as_ref())
}

/// The key type of a SubjectPublicKeyInfo, e.g. "ECDSA P-256" or "RSA 2048 bits".
pub fn describe_spki(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> String {
    use x509_parser::public_key::PublicKey;
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return "Ed25519".into(),
        "1.2.840.113549.1.1.10" => return "RSASSA-PSS key".into(),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m: &[u8] = rsa.modulus;
            let first = m.iter().position(|&b| b != 0).unwrap_or(m.len());
            let m = m.get(first..).unwrap_or(&[]);
            let bits = m.first().map(|b| (m.len() - 1) * 8 + (8 - b.leading_zeros() as usize)).unwrap_or(0);
            format!("RSA {bits} bits")
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "ECDSA P-256".into(),
                Some("1.3.132.0.34") => "ECDSA P-384".into(),
                Some("1.3.132.0.35") => "ECDSA P-521".into(),
                Some(c) => format!("EC key on curve {c}"),
                None => "EC key (no named curve)".into(),
            }
        }
        _ => format!("key algorithm {alg}"),
    }
}

fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".into(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".into(),
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512".into(),
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".into(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".into(),
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption".into(),
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption (legacy)".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.3.101.112" => "Ed25519".into(),
        o => o.to_string(),
    }
}

fn eku_name(oid: &str) -> String {
    match oid {
        "1.3.6.1.5.5.7.3.36" => "documentSigning".into(),
        "1.3.6.1.5.5.7.3.4" => "emailProtection".into(),
        "1.3.6.1.5.5.7.3.8" => "timeStamping".into(),
        "1.3.6.1.5.5.7.3.1" => "serverAuth".into(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".into(),
        "1.3.6.1.5.5.7.3.3" => "codeSigning".into(),
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning".into(),
        o => o.to_string(),
    }
}

fn general_name(g: &GeneralName<'_>) -> String {
    match g {
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::DirectoryName(n) => format!("DirName:{}", name_to_string(n)),
        other => format!("{other:?}"),
    }
}

fn describe_extension(ext: &x509_parser::extensions::X509Extension<'_>) -> (String, String) {
    let crit = if ext.critical { " (critical)" } else { "" };
    let (name, value) = match ext.parsed_extension() {
        ParsedExtension::BasicConstraints(bc) => (
            "Basic constraints",
            match (bc.ca, bc.path_len_constraint) {
                (true, Some(n)) => format!("CA, path length ≤ {n}"),
                (true, None) => "CA".into(),
                (false, _) => "not a CA".into(),
            },
        ),
        ParsedExtension::KeyUsage(ku) => ("Key usage", ku.to_string()),
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let named = [
                (eku.any, "any"),
                (eku.server_auth, "serverAuth"),
                (eku.client_auth, "clientAuth"),
                (eku.code_signing, "codeSigning"),
                (eku.email_protection, "emailProtection"),
                (eku.time_stamping, "timeStamping"),
                (eku.ocsp_signing, "OCSPSigning"),
            ];
            let mut v: Vec<String> = named.iter().filter(|(set, _)| *set).map(|(_, name)| name.to_string()).collect();
            for o in &eku.other {
                v.push(eku_name(&o.to_id_string()));
            }
            ("Extended key usage", v.join(", "))
        }
        ParsedExtension::SubjectKeyIdentifier(k) => ("Subject key identifier", crate::objects::colon_hex(k.0)),
        ParsedExtension::AuthorityKeyIdentifier(a) => (
            "Authority key identifier",
            a.key_identifier.as_ref().map(|k| crate::objects::colon_hex(k.0)).unwrap_or_else(|| "(no key identifier)".into()),
        ),
        ParsedExtension::CRLDistributionPoints(p) => {
            let mut v = Vec::new();
            for dp in p.points.iter() {
                if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) = &dp.distribution_point {
                    v.extend(names.iter().map(general_name));
                }
            }
            ("CRL distribution points", v.join(", "))
        }
        ParsedExtension::SubjectAlternativeName(san) => {
            ("Subject alternative name", san.general_names.iter().map(general_name).collect::<Vec<_>>().join(", "))
        }
        ParsedExtension::CRLNumber(n) => ("CRL number", n.to_string()),
        _ => ("Extension", ext.oid.to_id_string()),
    };
    (format!("{name}{crit}"), value)
}

fn time_str(t: &x509_parser::time::ASN1Time) -> String {
    crate::util::rfc3339(t.to_datetime())
}

fn inspect_cert(der: &[u8]) -> Result<Inspection, InspectError> {
    let bad = |m: String| InspectError::Malformed { what: "certificate", message: m };
    let (rem, c) = x509_parser::certificate::X509Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
    if !rem.is_empty() {
        return Err(bad("trailing data".into()));
    }
    let mut i = Inspection::new(Kind::Certificate);
    i.add("Subject", name_to_string(c.subject()));
    i.add("Issuer", name_to_string(c.issuer()));
    i.add("Serial", hex::encode(c.raw_serial()));
    i.add("Not before", time_str(&c.validity().not_before));
    i.add("Not after", time_str(&c.validity().not_after));
    i.add("Public key", describe_spki(c.public_key()));
    i.add("Signature", sig_alg_name(&c.signature_algorithm.algorithm.to_id_string()));
    if c.subject() == c.issuer() {
        i.add("Self-signed", "yes (a root)");
    }
    for ext in c.extensions() {
        let (l, v) = describe_extension(ext);
        i.add(&l, v);
    }
    i.add("SHA-256 fingerprint", fingerprint(&ring::digest::SHA256, der));
    i.add("SHA-1 fingerprint", fingerprint(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der));
    Ok(i)
}

fn inspect_csr(der: &[u8]) -> Result<Inspection, InspectError> {
    let bad = |m: String| InspectError::Malformed { what: "certificate request", message: m };
    let (rem, r) = x509_parser::certification_request::X509CertificationRequest::from_der(der).map_err(|e| bad(e.to_string()))?;
    if !rem.is_empty() {
        return Err(bad("trailing data".into()));
    }
    let info = &r.certification_request_info;
    let mut i = Inspection::new(Kind::Request);
    i.add("Subject", name_to_string(&info.subject));
    i.add("Public key", describe_spki(&info.subject_pki));
    i.add("Signature", sig_alg_name(&r.signature_algorithm.algorithm.to_id_string()));
    i.add(
        "Signature check",
        match r.verify_signature() {
            Ok(()) => "valid (signed by the key it contains)".to_string(),
            Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => "not checked (unsupported algorithm)".into(),
            Err(_) => "INVALID — the request was altered or is corrupt".into(),
        },
    );
    if let Some(exts) = r.requested_extensions() {
        let n = exts.count();
        i.add("Requested extensions", format!("{n} (a kyso CA ignores them and decides the extensions itself)"));
    }
    i.add("Public key SHA-256", fingerprint(&ring::digest::SHA256, info.subject_pki.raw));
    Ok(i)
}

fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "key-compromise",
        2 => "ca-compromise",
        3 => "affiliation-changed",
        4 => "superseded",
        5 => "cessation-of-operation",
        6 => "certificate-hold",
        8 => "remove-from-crl",
        9 => "privilege-withdrawn",
        10 => "aa-compromise",
        _ => "unknown reason",
    }
}

fn inspect_crl(der: &[u8]) -> Result<Inspection, InspectError> {
    let bad = |m: String| InspectError::Malformed { what: "CRL", message: m };
    let (rem, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der).map_err(|e| bad(e.to_string()))?;
    if !rem.is_empty() {
        return Err(bad("trailing data".into()));
    }
    let mut i = Inspection::new(Kind::Crl);
    i.add("Issuer", name_to_string(crl.issuer()));
    i.add("This update", time_str(&crl.last_update()));
    i.add("Next update", crl.next_update().map(|t| time_str(&t)).unwrap_or_else(|| "(none)".into()));
    i.add("Signature", sig_alg_name(&crl.signature_algorithm.algorithm.to_id_string()));
    for ext in crl.extensions() {
        let (l, v) = describe_extension(ext);
        i.add(&l, v);
    }
    let revoked: Vec<_> = crl.iter_revoked_certificates().collect();
    i.add("Revoked certificates", revoked.len().to_string());
    for r in revoked.iter().take(MAX_CRL_ENTRIES_SHOWN) {
        let reason = r.reason_code().map(|(_, rc)| reason_name(rc.0)).unwrap_or("no reason code");
        i.add("Revoked", format!("{} at {} ({reason})", hex::encode(r.raw_serial()), time_str(&r.revocation_date)));
    }
    if revoked.len() > MAX_CRL_ENTRIES_SHOWN {
        i.add("Revoked", format!("… and {} more", revoked.len() - MAX_CRL_ENTRIES_SHOWN));
    }
    i.add("SHA-256 fingerprint", fingerprint(&ring::digest::SHA256, der));
    Ok(i)
}

fn inspect_key(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Inspection, InspectError> {
    let file = KeyFile::parse(bytes).map_err(|e| InspectError::Malformed { what: "private key", message: e.to_string() })?;
    let mut i = Inspection::new(Kind::PrivateKey);
    i.add(
        "Storage",
        if file.is_encrypted() {
            "encrypted PKCS#8 (PBES2)"
        } else {
            "NOT encrypted — protect this file or re-encrypt it"
        },
    );
    if let Some(e) = file.encryption() {
        i.add("Encryption", e);
    }
    match file.open(passphrase) {
        Ok(k) => {
            i.add("Algorithm", k.algorithm().to_string());
            i.add("Public key SHA-256", fingerprint(&ring::digest::SHA256, k.public_key_spki()));
        }
        Err(KeyError::PassphraseRequired) => {
            i.add("Algorithm", "(encrypted: give the passphrase to see it)");
        }
        Err(KeyError::WrongPassphrase) => {
            i.add("Algorithm", "(the passphrase given does not open this key)");
        }
        Err(e) => i.add("Algorithm", format!("(cannot be opened: {e})")),
    }
    i.add("Key material", "never shown");
    Ok(i)
}

/// True when `der` looks like a CMS ContentInfo (SEQUENCE { OID pkcs7-… }).
fn looks_like_cms(der: &[u8]) -> bool {
    const PKCS7_PREFIX: [u8; 10] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
    // DER, or BER (`openssl cms -sign -stream` writes an indefinite length: 30 80 …)
    let Ok(h) = crate::asn1::head(der) else { return false };
    h.tag == 0x30 && der.get(h.header_len..h.header_len + PKCS7_PREFIX.len()) == Some(&PKCS7_PREFIX[..])
}

/// Describes every object in a file (PEM bundle or single DER object). `passphrase` opens an
/// encrypted key to show its algorithm and public-key fingerprint; without it only the
/// storage form is shown.
pub fn inspect(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Vec<Inspection>, InspectError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InspectError::Unrecognised("the file is empty".into()));
    }
    if crate::objects::is_pem(bytes) {
        let blocks = crate::objects::pem_blocks(bytes).map_err(|e| InspectError::Unrecognised(e.to_string()))?;
        let mut out = Vec::new();
        for (label, der) in &blocks {
            match label.as_str() {
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => out.push(inspect_cert(der)?),
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => out.push(inspect_csr(der)?),
                "X509 CRL" => out.push(inspect_crl(der)?),
                "ENCRYPTED PRIVATE KEY" | "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => {
                    let pem = pem::encode(&pem::Pem::new(label.clone(), der.clone()));
                    out.push(inspect_key(pem.as_bytes(), passphrase)?)
                }
                "PKCS7" | "CMS" => return Err(InspectError::CmsUnsupported),
                other => return Err(InspectError::Unrecognised(format!("PEM block '{other}'"))),
            }
        }
        return Ok(out);
    }
    if looks_like_cms(bytes) {
        return Err(InspectError::CmsUnsupported);
    }
    crate::objects::check_single_der(bytes).map_err(|e| InspectError::Unrecognised(e.to_string()))?;
    if x509_parser::certificate::X509Certificate::from_der(bytes).is_ok() {
        return inspect_cert(bytes).map(|i| vec![i]);
    }
    if x509_parser::revocation_list::CertificateRevocationList::from_der(bytes).is_ok() {
        return inspect_crl(bytes).map(|i| vec![i]);
    }
    if x509_parser::certification_request::X509CertificationRequest::from_der(bytes).is_ok() {
        return inspect_csr(bytes).map(|i| vec![i]);
    }
    if KeyFile::parse(bytes).is_ok() {
        return inspect_key(bytes, passphrase).map(|i| vec![i]);
    }
    Err(InspectError::Unrecognised("a DER object of an unknown kind".into()))
}

/// Describes any file `kyso inspect` accepts as text: certificates, requests, CRLs and keys by
/// [`inspect`], CMS signatures (DER, BER or PEM) by [`crate::cms::describe()`] (structure only;
/// nothing is verified).
pub fn describe(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<String, InspectError> {
    let cms = |first: Option<InspectError>| {
        crate::cms::describe(bytes).map_err(|e| match first.clone() {
            Some(f) => f,
            None => InspectError::Malformed { what: "CMS signature", message: e.to_string() },
        })
    };
    match inspect(bytes, passphrase) {
        Ok(items) => Ok(items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("\n")),
        Err(InspectError::CmsUnsupported) => cms(None),
        // BER (e.g. `openssl cms -sign -stream`) is not a single DER object: try CMS before
        // giving up, and report the first error if that fails too.
        Err(e @ InspectError::Unrecognised(_)) => cms(Some(e)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(inspect(b"", None), Err(InspectError::Unrecognised(_))));
        assert!(matches!(inspect(b"hello", None), Err(InspectError::Unrecognised(_))));
        assert!(matches!(inspect(&[0x30, 0x03, 1, 2, 3], None), Err(InspectError::Unrecognised(_))));
        let cms = [0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
        assert_eq!(inspect(&cms, None).unwrap_err(), InspectError::CmsUnsupported);
    }

    #[test]
    fn extended_key_usages_are_named_in_a_fixed_order() {
        use rcgen::{CertificateParams, ExtendedKeyUsagePurpose as P, KeyPair};
        let mut params = CertificateParams::new(vec![]).unwrap();
        params.extended_key_usages = vec![P::TimeStamping, P::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36]), P::EmailProtection, P::ServerAuth, P::Any];
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
        let found = inspect(cert.der(), None).unwrap();
        assert_eq!(found[0].field("Extended key usage"), Some("any, serverAuth, emailProtection, timeStamping, documentSigning"));
    }
}
