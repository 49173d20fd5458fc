//! PKCS#10 certificate requests (RFC 2986): making one for a unit that keeps its own key, and
//! checking one before the CA signs it (signature, key algorithm and size, strict DER).
//!
//! The CA decides every extension: a request's extension attributes are read only to be
//! reported as ignored, never copied into the certificate.

use super::profile::SubjectInfo;
use super::signer::RcgenSigner;
use crate::keys::{KeyAlgorithm, PrivateKey, RsaPadding};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// Smallest RSA modulus accepted (DESIGN.md §1: RSA ≥ 2048).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted: ring verifies up to 8192 bits; larger keys are a denial of
/// service risk for every verifier downstream.
pub const MAX_RSA_BITS: usize = 8192;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrError {
    /// Not a PKCS#10 request (bad PEM/DER, truncated, trailing data…).
    #[error("malformed certificate request: {0}")]
    Malformed(String),
    /// The request's signature does not verify with the key it contains.
    #[error("the request's signature does not verify: the request was altered or is corrupt")]
    BadSignature,
    /// The request is signed with an algorithm kyso does not verify.
    #[error("the request is signed with an unsupported algorithm ({0})")]
    UnsupportedSignature(String),
    /// The key is too weak (RSA below [`MIN_RSA_BITS`]).
    #[error("the request's key is too weak: {0}")]
    WeakKey(String),
    /// A key type or curve the CA does not certify.
    #[error("unsupported key in the request: {0} (accepted: ECDSA P-256/P-384, RSA 2048–8192, Ed25519)")]
    UnsupportedKey(String),
    /// Building a request failed.
    #[error("cannot build the request: {0}")]
    Build(String),
}

/// A request whose signature verified, ready for the CA.
#[derive(Debug, Clone)]
pub struct VerifiedCsr {
    /// The requested public key (DER SubjectPublicKeyInfo).
    pub spki: Vec<u8>,
    /// The key's algorithm.
    pub key_algorithm: KeyAlgorithm,
    /// The subject the requester asked for (information only: the CA sets the subject).
    pub subject: String,
    /// How many requested extensions were present (all ignored: the CA decides).
    pub ignored_extensions: usize,
}

/// Checks a public key against the CA's key policy and names its algorithm.
pub fn check_public_key(spki_der: &[u8]) -> Result<KeyAlgorithm, CsrError> {
    let (rem, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| CsrError::Malformed(format!("public key: {e}")))?;
    if !rem.is_empty() {
        return Err(CsrError::Malformed("trailing data after the public key".into()));
    }
    key_algorithm(&spki)
}

fn key_algorithm(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Result<KeyAlgorithm, CsrError> {
    use crate::alg::oid;
    let alg = spki.algorithm.algorithm.to_id_string();
    if alg == oid::ED25519.to_string() {
        return Ok(KeyAlgorithm::Ed25519);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus: &[u8] = rsa.modulus;
            let first = modulus.iter().position(|&b| b != 0).unwrap_or(modulus.len());
            let m = modulus.get(first..).unwrap_or(&[]);
            let bits = match m.first() {
                Some(b) => (m.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
                None => 0,
            };
            if bits < MIN_RSA_BITS {
                return Err(CsrError::WeakKey(format!("RSA {bits} bits (at least {MIN_RSA_BITS} required)")));
            }
            if bits > MAX_RSA_BITS {
                return Err(CsrError::UnsupportedKey(format!("RSA {bits} bits (at most {MAX_RSA_BITS})")));
            }
            Ok(KeyAlgorithm::Rsa(bits))
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .ok_or_else(|| CsrError::UnsupportedKey("EC key without a named curve".into()))?;
            if curve == oid::P256.to_string() {
                Ok(KeyAlgorithm::EcdsaP256)
            } else if curve == oid::P384.to_string() {
                Ok(KeyAlgorithm::EcdsaP384)
            } else {
                Err(CsrError::UnsupportedKey(format!("elliptic curve {curve}")))
            }
        }
        Ok(_) => Err(CsrError::UnsupportedKey(format!("key algorithm {alg}"))),
        Err(e) => Err(CsrError::Malformed(format!("public key: {e}"))),
    }
}

/// Parses a request (PEM or DER), checks its key and verifies its signature.
pub fn verify_csr(bytes: &[u8]) -> Result<VerifiedCsr, CsrError> {
    let der = crate::objects::csr(bytes).map_err(|e| CsrError::Malformed(e.to_string()))?;
    crate::objects::check_single_der(&der).map_err(|e| CsrError::Malformed(e.to_string()))?;
    let (rem, req) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
        .map_err(|e| CsrError::Malformed(e.to_string()))?;
    if !rem.is_empty() {
        return Err(CsrError::Malformed("trailing data after the request".into()));
    }
    let info = &req.certification_request_info;
    // The key first: an RSA-1024 request should be refused as weak, not as a bad signature.
    let key_algorithm = key_algorithm(&info.subject_pki)?;
    match req.verify_signature() {
        Ok(()) => {}
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
            return Err(CsrError::UnsupportedSignature(req.signature_algorithm.algorithm.to_id_string()))
        }
        Err(_) => return Err(CsrError::BadSignature),
    }
    let ignored_extensions = req.requested_extensions().map(|it| it.count()).unwrap_or(0);
    Ok(VerifiedCsr {
        spki: info.subject_pki.raw.to_vec(),
        key_algorithm,
        subject: crate::util::name_to_string(&info.subject),
        ignored_extensions,
    })
}

/// Makes a request for `subject`, signed by `key` (RSA keys sign with PKCS#1 v1.5, which every
/// CA accepts). Returns DER.
pub fn new_csr(key: &PrivateKey, subject: &SubjectInfo) -> Result<Vec<u8>, CsrError> {
    let rsa_copy;
    let signer_key: &PrivateKey = if matches!(key.algorithm(), KeyAlgorithm::Rsa(_)) {
        let mut k = PrivateKey::from_pkcs8_der(key.pkcs8_der()).map_err(|e| CsrError::Build(e.to_string()))?;
        k.set_rsa_padding(RsaPadding::Pkcs1);
        rsa_copy = k;
        &rsa_copy
    } else {
        key
    };
    new_csr_with(signer_key, subject)
}

/// Makes a request for `subject`, signed by any [`Signer`](crate::Signer) — a key on a token
/// too. An RSA signer must sign with PKCS#1 v1.5 ([`RsaPadding::Pkcs1`]): RSASSA-PSS requests
/// are refused ([`CsrError::Build`]). Returns DER.
pub fn new_csr_with(key: &dyn crate::keys::Signer, subject: &SubjectInfo) -> Result<Vec<u8>, CsrError> {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = subject.dn(false).map_err(|e| CsrError::Build(e.to_string()))?;
    let signer = RcgenSigner::new(key).map_err(|e| CsrError::Build(e.to_string()))?;
    let csr = params.serialize_request(&signer).map_err(|e| CsrError::Build(e.to_string()))?;
    Ok(csr.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyAlgorithm;

    fn subject() -> SubjectInfo {
        SubjectInfo { cn: "Trần Thị Bình".into(), org: Some("Sở Y tế tỉnh Bắc Ninh".into()), ..Default::default() }
    }

    #[test]
    fn roundtrip_and_tampering() {
        for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Ed25519] {
            let key = PrivateKey::generate(alg).unwrap();
            let der = new_csr(&key, &subject()).unwrap();
            let v = verify_csr(&der).unwrap();
            assert_eq!(v.key_algorithm, alg);
            assert!(key.matches_spki(&v.spki));
            assert_eq!(v.subject, "O=Sở Y tế tỉnh Bắc Ninh, CN=Trần Thị Bình".replace("O=", "C=VN, O="));
            // flip one byte of the UTF-8 name: the signature no longer verifies
            let name = "Bình".as_bytes();
            let pos = der.windows(name.len()).position(|w| w == name).unwrap();
            let mut bad = der.clone();
            bad[pos] ^= 0x01;
            assert_eq!(verify_csr(&bad).unwrap_err(), CsrError::BadSignature);
        }
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(verify_csr(b""), Err(CsrError::Malformed(_))));
        assert!(matches!(verify_csr(&[0x30, 0x02, 0x05, 0x00]), Err(CsrError::Malformed(_))));
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let mut der = new_csr(&key, &subject()).unwrap();
        der.push(0);
        assert!(matches!(verify_csr(&der), Err(CsrError::Malformed(m)) if m.contains("trailing")));
    }
}
