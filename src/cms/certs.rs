//! A per-run cache of what signer verification needs from a candidate certificate (an embedded
//! certificate or a `--chain` one), keyed by the certificate's DER bytes.
//!
//! In a batch every document carries the same signer certificate and chain, and before this
//! cache each signature parsed every candidate with x509-parser (to match the sid), parsed the
//! signer certificate again with x509-cert and hashed it twice (signing-certificate-v2), and
//! formatted its subject, issuer and validity for the report. Now each distinct certificate is
//! parsed, hashed and formatted once per verifier (`crate::verify::Verifier`); a lookup costs one hash of the
//! bytes (SipHash) and one comparison of them, so a hit is exact: a different certificate is
//! never served another one's facts.
//!
//! The cache is bounded by [`MAX_CERT_CACHE_ENTRIES`] (cleared when full), like the path cache.

use crate::alg::DigestAlgorithm;
use crate::findings::Name;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use x509_parser::prelude::*;

/// Limit on cached certificates. A batch normally shows a handful (the signers of a unit and
/// their CAs); an attacker-supplied batch can bring up to `MAX_CERTIFICATES` per file, so the
/// map is cleared at this size (1,024 entries of a few KB each: a few MB at most).
pub(crate) const MAX_CERT_CACHE_ENTRIES: usize = 1024;

/// Limit on the size of a certificate kept in the cache: real certificates are 0.5–2 KB; a
/// larger one is still verified, just not cached (bounds the cache's memory to
/// `MAX_CERT_CACHE_ENTRIES × 16 KiB`).
const MAX_CACHED_CERT_SIZE: usize = 16 * 1024;

/// One certificate's digests, and its parsed facts when x509-parser accepts it.
#[derive(Debug)]
pub(crate) struct CertEntry {
    /// SHA-256 of the DER bytes (path-cache keys, signing-certificate-v2).
    pub sha256: [u8; 32],
    /// SHA-1 of the DER bytes (signing-certificate v1).
    pub sha1: [u8; 20],
    /// `None` when the certificate does not parse (it can then match no sid).
    pub facts: Option<CertFacts>,
    /// Whether the RustCrypto `cms` crate decodes it strictly as `CertificateChoices` (the
    /// cross-check of embedded certificates; the error text when not).
    pub strict: Result<(), String>,
}

/// The parsed facts of a certificate, as verify_signer uses them.
#[derive(Debug)]
pub(crate) struct CertFacts {
    /// issuer Name, DER (sid issuerAndSerialNumber).
    pub issuer_raw: Vec<u8>,
    /// The issuer Name prepared for comparison by RFC 5280 §7.1 (sid and ESS issuerSerial spelt
    /// with other string types or case).
    pub issuer_name: crate::path::Name,
    /// serialNumber content octets (sid issuerAndSerialNumber).
    pub serial_raw: Vec<u8>,
    /// Every subjectKeyIdentifier extension value (sid subjectKeyIdentifier).
    pub skis: Vec<Vec<u8>>,
    /// subjectPublicKeyInfo, DER (the key the signature is verified with).
    pub spki_raw: Vec<u8>,
    /// The subject, for the report.
    pub subject: Name,
    /// The issuer, for the report.
    pub issuer: Name,
    /// The serial number, lower-case hex without leading zeros (as `kyso ca list` prints it).
    pub serial_hex: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
}

impl CertEntry {
    pub(crate) fn new(der: &[u8]) -> CertEntry {
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(DigestAlgorithm::Sha256.digest(der).as_slice());
        let mut sha1 = [0u8; 20];
        sha1.copy_from_slice(DigestAlgorithm::Sha1.digest(der).as_slice());
        use ::der::Decode;
        let strict = match cms::cert::CertificateChoices::from_der(der) {
            Ok(_) => Ok(()),
            // der 0.8 has no date before 1970 (its DateTime starts at the Unix epoch) while RFC
            // 5280's UTCTime covers 1950–2049: a certificate that kyso's own reader takes, with a
            // validity date before 1970, is not malformed (NIST PKITS 4.2.3).
            Err(_) if crate::path::Cert::from_der(der).is_ok_and(|c| c.not_before() < 0 || c.not_after() < 0) =>
            {
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        };
        CertEntry { sha256, sha1, facts: CertFacts::parse(der), strict }
    }

    /// The hash of the certificate with `alg` (computed only for algorithms not kept here).
    pub(crate) fn digest(&self, alg: DigestAlgorithm, der: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        match alg {
            DigestAlgorithm::Sha256 => std::borrow::Cow::Borrowed(&self.sha256[..]),
            DigestAlgorithm::Sha1 => std::borrow::Cow::Borrowed(&self.sha1[..]),
            other => std::borrow::Cow::Owned(other.digest(der)),
        }
    }
}

impl CertFacts {
    /// Whether the DER Name `name` equals the certificate's issuer by RFC 5280 §7.1 (string types
    /// and case aside: RFC 4518 preparation).
    pub(crate) fn issuer_is(&self, name: &[u8]) -> bool {
        use x509_parser::prelude::FromDer;
        match x509_parser::x509::X509Name::from_der(name) {
            Ok(([], n)) => crate::path::name::Name::from_x509(&n) == self.issuer_name,
            _ => false,
        }
    }

    fn parse(der: &[u8]) -> Option<CertFacts> {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        let skis = c
            .extensions()
            .iter()
            .filter_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            })
            .collect();
        let not_before = c.validity().not_before.timestamp();
        let not_after = c.validity().not_after.timestamp();
        Some(CertFacts {
            issuer_raw: c.issuer().as_raw().to_vec(),
            issuer_name: crate::path::name::Name::from_x509(c.issuer()),
            serial_raw: c.raw_serial().to_vec(),
            skis,
            spki_raw: c.public_key().raw.to_vec(),
            subject: Name::from_x509(c.subject()),
            issuer: Name::from_x509(c.issuer()),
            serial_hex: crate::objects::serial_hex(c.raw_serial()),
            not_before,
            not_after,
        })
    }

    /// Does the SignerInfo's sid name this certificate?
    pub(crate) fn matches_sid(&self, sid: &super::signed_data::Sid<'_>) -> bool {
        match sid {
            super::signed_data::Sid::IssuerSerial { issuer, serial } => {
                self.serial_raw == *serial && (self.issuer_raw == *issuer || self.issuer_is(issuer))
            }
            super::signed_data::Sid::Ski(ski) => self.skis.iter().any(|k| k == ski),
        }
    }
}

/// The cache (shared by the threads of a batch: a read lock for hits, a write lock to insert).
#[derive(Debug, Default)]
pub(crate) struct CertCache {
    map: RwLock<HashMap<Vec<u8>, Arc<CertEntry>>>,
}

impl CertCache {
    /// The entry for `der`, parsed now if this run has not seen the certificate yet.
    pub(crate) fn get(&self, der: &[u8]) -> Arc<CertEntry> {
        if let Ok(map) = self.map.read() {
            if let Some(hit) = map.get(der) {
                return Arc::clone(hit);
            }
        }
        let entry = Arc::new(CertEntry::new(der));
        if der.len() <= MAX_CACHED_CERT_SIZE {
            if let Ok(mut map) = self.map.write() {
                if map.len() >= MAX_CERT_CACHE_ENTRIES {
                    map.clear();
                }
                map.insert(der.to_vec(), Arc::clone(&entry));
            }
        }
        entry
    }

    /// Number of cached certificates (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str) -> Vec<u8> {
        let key = crate::PrivateKey::generate(crate::KeyAlgorithm::EcdsaP256).unwrap();
        let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.distinguished_name.push(rcgen::DnType::OrganizationName, "Sở Y tế");
        p.self_signed(&key.rcgen_key_pair().unwrap()).unwrap().der().to_vec()
    }

    #[test]
    fn hits_are_exact_and_bounded() {
        let cache = CertCache::default();
        let a = cert("A");
        let b = cert("B");
        let ea = cache.get(&a);
        assert!(Arc::ptr_eq(&ea, &cache.get(&a)), "a second lookup is a hit");
        let eb = cache.get(&b);
        assert!(!Arc::ptr_eq(&ea, &eb));
        assert_eq!(eb.facts.as_ref().unwrap().subject.dn, "CN=B, O=Sở Y tế");
        assert_eq!(ea.facts.as_ref().unwrap().subject.parts.organization.as_deref(), Some("Sở Y tế"));
        assert_eq!(&ea.sha256[..], DigestAlgorithm::Sha256.digest(&a).as_slice());
        assert_eq!(&ea.sha1[..], DigestAlgorithm::Sha1.digest(&a).as_slice());
        assert_eq!(ea.digest(DigestAlgorithm::Sha384, &a).as_ref(), DigestAlgorithm::Sha384.digest(&a).as_slice());
        // one byte different: another entry (the key is the whole encoding)
        let mut a2 = a.clone();
        let last = a2.len() - 1;
        a2[last] ^= 1;
        assert!(!Arc::ptr_eq(&ea, &cache.get(&a2)));
        assert_eq!(cache.len(), 3);
        // garbage is cached as unparsable, not a panic
        let garbage = cache.get(b"\x30\x03\x02\x01\x01");
        assert!(garbage.facts.is_none() && garbage.strict.is_err());
        assert!(ea.strict.is_ok());
        for i in 0..MAX_CERT_CACHE_ENTRIES {
            cache.get(format!("not a certificate {i}").as_bytes());
        }
        assert!(cache.len() <= MAX_CERT_CACHE_ENTRIES);
        // too large to cache: still answered
        let big = vec![0u8; MAX_CACHED_CERT_SIZE + 1];
        assert!(cache.get(&big).facts.is_none());
        assert!(cache.map.read().unwrap().get(&big[..]).is_none());
    }
}
