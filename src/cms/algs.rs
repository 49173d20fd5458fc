//! CMS signature algorithms (a SignerInfo's signatureAlgorithm with its digestAlgorithm) and
//! their verification over a SubjectPublicKeyInfo. Certificate and CRL signatures, and the
//! algorithm policy's lists for them, are in [`crate::path`]'s `sig` module.

use crate::asn1 as der;
use crate::alg::DigestAlgorithm;
use crate::findings::SignatureScheme;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use webpki::ring as w;

/// `sha1WithRSAEncryption` with NULL parameters (the contents of the AlgorithmIdentifier).
const SHA1_WITH_RSA_ID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00];
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
    RsaPssSalt(crate::alg::pss::PssParams),
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
        return crate::alg::pss::parse_params(params).map(CmsSigAlg::RsaPssSalt);
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
                if crate::alg::pss::verify(p, rsa.modulus, rsa.exponent, message, signature) {
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
