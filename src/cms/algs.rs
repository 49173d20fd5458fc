//! Signature algorithms the verifier accepts under each [`Policy`] (DESIGN.md §4 rule 5), and
//! signature verification over a SubjectPublicKeyInfo for CMS signatures and CRLs.
//!
//! Strict: ECDSA P-256/P-384 with SHA-256/384, Ed25519, RSA PKCS#1 v1.5 and RSASSA-PSS with
//! SHA-256/384/512 and 2048–8192-bit keys (ring's bounds). Legacy adds RSA PKCS#1 v1.5 with
//! SHA-1 — the algorithm of documents signed around 2012. ring has no ECDSA with SHA-1, so
//! ecdsa-with-SHA1 stays unsupported under both policies.

use crate::asn1 as der;
use crate::alg::{DigestAlgorithm, Policy};
use crate::findings::SignatureScheme;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use webpki::ring as w;

/// `sha1WithRSAEncryption` with NULL parameters (the contents of the AlgorithmIdentifier).
const SHA1_WITH_RSA_ID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00];
/// `sha1WithRSAEncryption` with absent parameters (seen in the wild).
const SHA1_WITH_RSA_ABSENT_ID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];

/// RSA PKCS#1 v1.5 with SHA-1 (legacy policy only).
#[derive(Debug)]
pub(crate) struct RsaPkcs1Sha1 {
    id: &'static [u8],
}

impl SignatureVerificationAlgorithm for RsaPkcs1Sha1 {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(self.id)
    }
}

/// Legacy RSA PKCS#1 v1.5 SHA-1, NULL parameters.
pub(crate) static RSA_PKCS1_SHA1: &dyn SignatureVerificationAlgorithm = &RsaPkcs1Sha1 { id: SHA1_WITH_RSA_ID };
/// Legacy RSA PKCS#1 v1.5 SHA-1, absent parameters.
pub(crate) static RSA_PKCS1_SHA1_ABSENT: &dyn SignatureVerificationAlgorithm =
    &RsaPkcs1Sha1 { id: SHA1_WITH_RSA_ABSENT_ID };

/// The strict list (DESIGN.md §4 rule 5) followed by `$extra`: one list written once, so that
/// legacy can only ever add to strict.
macro_rules! strict_plus {
    ($($extra:expr),* $(,)?) => {
        &[
            w::ECDSA_P256_SHA256,
            w::ECDSA_P256_SHA384,
            w::ECDSA_P384_SHA256,
            w::ECDSA_P384_SHA384,
            w::ED25519,
            w::RSA_PKCS1_2048_8192_SHA256,
            w::RSA_PKCS1_2048_8192_SHA384,
            w::RSA_PKCS1_2048_8192_SHA512,
            w::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            w::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            w::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
            w::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            w::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            w::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            $($extra),*
        ]
    };
}

static STRICT: &[&dyn SignatureVerificationAlgorithm] = strict_plus!();

/// Strict plus RSA PKCS#1 v1.5 with SHA-1 (both parameter encodings).
static LEGACY: &[&dyn SignatureVerificationAlgorithm] = strict_plus!(RSA_PKCS1_SHA1, RSA_PKCS1_SHA1_ABSENT);

/// The certificate/CRL signature algorithms allowed under `policy`.
pub(crate) fn allowed(policy: Policy) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    match policy {
        Policy::Strict => STRICT,
        Policy::Legacy => LEGACY,
    }
}

/// Splits a SubjectPublicKeyInfo into (algorithm contents, key bits).
pub(crate) fn split_spki(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let spki = der::read_all(spki).ok()?;
    let (alg, rest) = der::expect(spki.body, 0x30, "algorithm").ok()?;
    let bits = der::read_all(rest).ok()?;
    if bits.tag != 0x03 || bits.body.first() != Some(&0) {
        return None;
    }
    Some((alg.body, &bits.body[1..]))
}

/// Verifies a signature made with an AlgorithmIdentifier (certificates and CRLs: the identifier
/// names the whole algorithm) against `spki`, using only the algorithms of `policy`.
pub(crate) fn verify_by_id(
    policy: Policy,
    spki: &[u8],
    sig_alg_body: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    let (pk_alg, key) = split_spki(spki).ok_or(SigError::BadKey)?;
    let alg = allowed(policy)
        .iter()
        .find(|a| a.signature_alg_id().as_ref() == sig_alg_body && a.public_key_alg_id().as_ref() == pk_alg)
        .ok_or(SigError::Unsupported)?;
    alg.verify_signature(key, message, signature).map_err(|_| SigError::Invalid)
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigError {
    /// The public key cannot be read.
    BadKey,
    /// The algorithm (or its combination with the key) is not allowed or not implemented.
    Unsupported,
    /// The signature is wrong.
    Invalid,
}

/// A CMS SignerInfo's signature algorithm, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmsSigAlg {
    Ecdsa(DigestAlgorithm),
    RsaPkcs1(DigestAlgorithm),
    RsaPss(DigestAlgorithm),
    /// RSASSA-PSS with a salt length ring does not support (OpenSSL's default maximum salt).
    RsaPssSalt(super::pss::PssParams),
    Ed25519,
}

impl CmsSigAlg {
    /// The scheme, for the report.
    pub(crate) fn scheme(self) -> SignatureScheme {
        match self {
            CmsSigAlg::Ecdsa(d) => SignatureScheme::Ecdsa(d),
            CmsSigAlg::RsaPkcs1(d) => SignatureScheme::RsaPkcs1(d),
            CmsSigAlg::RsaPss(d) => SignatureScheme::RsaPss(d),
            CmsSigAlg::RsaPssSalt(p) => SignatureScheme::RsaPssSalt { hash: p.hash, salt_len: p.salt_len },
            CmsSigAlg::Ed25519 => SignatureScheme::Ed25519,
        }
    }

    /// The digest inside the signature algorithm.
    pub(crate) fn digest(self) -> DigestAlgorithm {
        match self {
            CmsSigAlg::Ecdsa(d) | CmsSigAlg::RsaPkcs1(d) | CmsSigAlg::RsaPss(d) => d,
            CmsSigAlg::RsaPssSalt(p) => p.hash,
            CmsSigAlg::Ed25519 => DigestAlgorithm::Sha512,
        }
    }
}

const OID_RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_PSS: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

/// Resolves a CMS signatureAlgorithm (AlgorithmIdentifier contents) together with the
/// SignerInfo's digestAlgorithm. CMS signers write either the combined OID
/// (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`) or the key OID (`rsaEncryption`,
/// RFC 3370 §3.2) with the digest given separately.
pub(crate) fn resolve_cms(sig_alg_body: &[u8], digest: DigestAlgorithm) -> Option<CmsSigAlg> {
    let (oid, params) = der::read(sig_alg_body).ok()?;
    let oid_raw = oid.raw;
    let null_or_absent = params.is_empty() || params == [0x05, 0x00];
    let rsa = |n: u8| -> Vec<u8> { vec![0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n] };
    let ecdsa = |n: u8| -> Vec<u8> { vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n] };
    use DigestAlgorithm::*;
    if oid_raw == OID_RSA && null_or_absent {
        return Some(CmsSigAlg::RsaPkcs1(digest));
    }
    for (n, d) in [(5u8, Sha1), (11, Sha256), (12, Sha384), (13, Sha512)] {
        if oid_raw == rsa(n).as_slice() && null_or_absent {
            return Some(CmsSigAlg::RsaPkcs1(d));
        }
    }
    for (n, d) in [(2u8, Sha256), (3, Sha384), (4, Sha512)] {
        if oid_raw == ecdsa(n).as_slice() && params.is_empty() {
            return Some(CmsSigAlg::Ecdsa(d));
        }
    }
    if oid_raw == [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01] && params.is_empty() {
        return Some(CmsSigAlg::Ecdsa(Sha1));
    }
    if oid_raw == OID_EC_PUBLIC_KEY {
        return Some(CmsSigAlg::Ecdsa(digest));
    }
    if oid_raw == OID_ED25519 && params.is_empty() {
        return Some(CmsSigAlg::Ed25519);
    }
    if oid_raw == OID_PSS {
        for (id, d) in [(alg_id::RSA_PSS_SHA256, Sha256), (alg_id::RSA_PSS_SHA384, Sha384), (alg_id::RSA_PSS_SHA512, Sha512)] {
            if id.as_ref() == sig_alg_body {
                return Some(CmsSigAlg::RsaPss(d));
            }
        }
        return super::pss::parse_params(params).map(CmsSigAlg::RsaPssSalt);
    }
    None
}

/// Verifies a CMS signature over `message` with the key in `spki`. SHA-1 algorithms are always
/// available here; the policy decision about them is reported separately.
pub(crate) fn verify_cms(alg: CmsSigAlg, spki: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SigError> {
    use DigestAlgorithm::*;
    if let CmsSigAlg::RsaPssSalt(p) = alg {
        use x509_parser::prelude::FromDer;
        let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).map_err(|_| SigError::BadKey)?;
        return match info.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                if super::pss::verify(p, rsa.modulus, rsa.exponent, message, signature) {
                    Ok(())
                } else {
                    Err(SigError::Invalid)
                }
            }
            _ => Err(SigError::Unsupported),
        };
    }
    let candidates: Vec<&dyn SignatureVerificationAlgorithm> = match alg {
        CmsSigAlg::Ecdsa(Sha256) => vec![w::ECDSA_P256_SHA256, w::ECDSA_P384_SHA256],
        CmsSigAlg::Ecdsa(Sha384) => vec![w::ECDSA_P256_SHA384, w::ECDSA_P384_SHA384],
        CmsSigAlg::Ecdsa(_) => vec![],
        CmsSigAlg::RsaPkcs1(Sha1) => vec![RSA_PKCS1_SHA1],
        CmsSigAlg::RsaPkcs1(Sha256) => vec![w::RSA_PKCS1_2048_8192_SHA256],
        CmsSigAlg::RsaPkcs1(Sha384) => vec![w::RSA_PKCS1_2048_8192_SHA384],
        CmsSigAlg::RsaPkcs1(Sha512) => vec![w::RSA_PKCS1_2048_8192_SHA512],
        CmsSigAlg::RsaPss(Sha256) => vec![w::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        CmsSigAlg::RsaPss(Sha384) => vec![w::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        CmsSigAlg::RsaPss(Sha512) => vec![w::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        CmsSigAlg::RsaPss(Sha1) => vec![],
        CmsSigAlg::Ed25519 => vec![w::ED25519],
        CmsSigAlg::RsaPssSalt(_) => vec![],
    };
    let (pk_alg, key) = split_spki(spki).ok_or(SigError::BadKey)?;
    let alg = candidates.into_iter().find(|a| a.public_key_alg_id().as_ref() == pk_alg).ok_or(SigError::Unsupported)?;
    alg.verify_signature(key, message, signature).map_err(|_| SigError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&dyn SignatureVerificationAlgorithm]) -> Vec<(Vec<u8>, Vec<u8>)> {
        list.iter().map(|a| (a.signature_alg_id().as_ref().to_vec(), a.public_key_alg_id().as_ref().to_vec())).collect()
    }

    #[test]
    fn legacy_is_strict_plus_the_two_sha1_encodings() {
        let strict = ids(allowed(Policy::Strict));
        let legacy = ids(allowed(Policy::Legacy));
        assert_eq!(strict.len(), 14);
        assert_eq!(&legacy[..strict.len()], &strict[..]);
        let rsa = alg_id::RSA_ENCRYPTION.as_ref().to_vec();
        assert_eq!(
            &legacy[strict.len()..],
            &[(SHA1_WITH_RSA_ID.to_vec(), rsa.clone()), (SHA1_WITH_RSA_ABSENT_ID.to_vec(), rsa)]
        );
        assert!(strict.iter().all(|(sig, _)| sig != SHA1_WITH_RSA_ID && sig != SHA1_WITH_RSA_ABSENT_ID));
    }
}
