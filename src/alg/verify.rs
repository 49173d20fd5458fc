//! Signature algorithms as CMS names them (a SignerInfo's signatureAlgorithm with its
//! digestAlgorithm) and their verification over a SubjectPublicKeyInfo: used by the CMS signer
//! check and, for certificates and CRLs, by `crate::path`'s `sig` module (which adds the
//! policy's lists for them).
//!
//! Verification takes either the message (the DER signed attributes) or, for a SignerInfo
//! without signed attributes, the digest of the content ([`Signed`]). ring does the common case
//! (a message, RSA 2048–8192 bits with SHA-1/SHA-2, ECDSA P-256/P-384 with SHA-256/384,
//! Ed25519); [`super::pubkey`] does the rest — digests, RSA keys outside ring's sizes, SHA-3,
//! ECDSA on P-521 and brainpool or with SHA-1/SHA-512, Ed448. The policy (which of these are
//! allowed) is judged by the callers.

use super::pubkey::{self, Curve, Failure, PublicKey};
use super::{oid, DigestAlgorithm, SignatureScheme};
use crate::asn1 as der;
use ring::signature as rs;

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigError {
    /// The public key cannot be read.
    BadKey,
    /// The algorithm (or its combination with the key) is not implemented.
    Unsupported,
    /// The signature is wrong.
    Invalid,
    /// RSA PKCS#1 v1.5 over a digest: the signature is the key's, over another digest (this one).
    DigestMismatch(Vec<u8>),
    /// Pure EdDSA over content of which only the digest is known.
    NeedsMessage,
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
    Ed448,
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
            CmsSigAlg::Ed448 => SignatureScheme::Ed448,
        }
    }

    /// The digest inside the signature algorithm (what is signed when there are no signed
    /// attributes; for EdDSA, the digest RFC 8419 pairs it with).
    pub(crate) fn digest(self) -> DigestAlgorithm {
        self.scheme().digest()
    }

    /// Pure EdDSA: signs the message itself, not a digest of it.
    pub(crate) fn is_eddsa(self) -> bool {
        matches!(self, CmsSigAlg::Ed25519 | CmsSigAlg::Ed448)
    }
}

/// An OID's contents under the NIST CSOR sigAlgs arc 2.16.840.1.101.3.4.3.n.
fn nist_sig_alg(n: u8) -> [u8; 9] {
    [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, n]
}

/// Resolves a CMS signatureAlgorithm (AlgorithmIdentifier contents) together with the
/// SignerInfo's digestAlgorithm. CMS signers write either the combined OID
/// (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `id-ecdsa-with-sha3-256`…) or the key OID
/// (`rsaEncryption`, RFC 3370 §3.2; `id-ecPublicKey`) with the digest given separately.
/// Parameters: absent or NULL where the algorithm has none (RFC 5758 §3.2 says absent for ECDSA;
/// signers that write NULL exist and OpenSSL and pyHanko accept them).
pub(crate) fn resolve_cms(sig_alg_body: &[u8], digest: DigestAlgorithm) -> Option<CmsSigAlg> {
    use DigestAlgorithm::*;
    let (o, params) = der::read(sig_alg_body).ok()?;
    if o.tag != 0x06 {
        return None;
    }
    let body = o.body;
    let null_or_absent = params.is_empty() || params == [0x05, 0x00];
    let rsa = |n: u8| -> [u8; 9] { [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n] };
    let ecdsa = |n: u8| -> [u8; 8] { [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n] };
    let is = |x: &const_oid::ObjectIdentifier| body == x.as_bytes();
    if is(&oid::RSA_ENCRYPTION) && null_or_absent {
        return Some(CmsSigAlg::RsaPkcs1(digest));
    }
    if !null_or_absent && !is(&oid::RSASSA_PSS) {
        return None;
    }
    for (n, d) in [(5u8, Sha1), (11, Sha256), (12, Sha384), (13, Sha512)] {
        if body == rsa(n) {
            return Some(CmsSigAlg::RsaPkcs1(d));
        }
    }
    for (n, d) in [(14u8, Sha3_256), (15, Sha3_384), (16, Sha3_512)] {
        if body == nist_sig_alg(n) {
            return Some(CmsSigAlg::RsaPkcs1(d));
        }
    }
    for (n, d) in [(2u8, Sha256), (3, Sha384), (4, Sha512)] {
        if body == ecdsa(n) {
            return Some(CmsSigAlg::Ecdsa(d));
        }
    }
    for (n, d) in [(10u8, Sha3_256), (11, Sha3_384), (12, Sha3_512)] {
        if body == nist_sig_alg(n) {
            return Some(CmsSigAlg::Ecdsa(d));
        }
    }
    if is(&oid::ECDSA_SHA1) {
        return Some(CmsSigAlg::Ecdsa(Sha1));
    }
    if is(&oid::EC_PUBLIC_KEY) {
        return Some(CmsSigAlg::Ecdsa(digest));
    }
    if is(&oid::ED25519) && params.is_empty() {
        return Some(CmsSigAlg::Ed25519);
    }
    if is(&oid::ED448) && params.is_empty() {
        return Some(CmsSigAlg::Ed448);
    }
    if is(&oid::RSASSA_PSS) {
        let p = super::pss::parse_params(params)?;
        return Some(if p.salt_len == p.hash.output_len() { CmsSigAlg::RsaPss(p.hash) } else { CmsSigAlg::RsaPssSalt(p) });
    }
    None
}

/// What a signature covers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signed<'a> {
    /// The message itself (the DER signed attributes).
    Message(&'a [u8]),
    /// The digest, with the signature algorithm's digest, of content that is not at hand.
    Digest(&'a [u8]),
}

fn from(f: Failure) -> SigError {
    match f {
        Failure::BadKey => SigError::BadKey,
        Failure::Invalid => SigError::Invalid,
        Failure::DigestMismatch(d) => SigError::DigestMismatch(d),
    }
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo (what ring takes).
fn key_bits(spki: &[u8]) -> Option<&[u8]> {
    let spki = der::read_all(spki).ok()?;
    let (_, rest) = der::expect(spki.body, 0x30, "algorithm").ok()?;
    let bits = der::read_all(rest).ok()?;
    match (bits.tag, bits.body.split_first()) {
        (0x03, Some((0, k))) => Some(k),
        _ => None,
    }
}

/// ring's implementation of a (scheme, key) pair over a message, when it has one.
fn ring_alg(alg: CmsSigAlg, key: &PublicKey<'_>) -> Option<&'static dyn rs::VerificationAlgorithm> {
    use DigestAlgorithm::*;
    Some(match (alg, key) {
        (CmsSigAlg::RsaPkcs1(d), PublicKey::Rsa { bits, .. }) if (2048..=8192).contains(bits) => match d {
            Sha1 => &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
            Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
            Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
            _ => return None,
        },
        (CmsSigAlg::RsaPss(d), PublicKey::Rsa { bits, .. }) if (2048..=8192).contains(bits) => match d {
            Sha256 => &rs::RSA_PSS_2048_8192_SHA256,
            Sha384 => &rs::RSA_PSS_2048_8192_SHA384,
            Sha512 => &rs::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        },
        (CmsSigAlg::Ecdsa(Sha256), PublicKey::Ec { curve: Curve::P256, .. }) => &rs::ECDSA_P256_SHA256_ASN1,
        (CmsSigAlg::Ecdsa(Sha384), PublicKey::Ec { curve: Curve::P256, .. }) => &rs::ECDSA_P256_SHA384_ASN1,
        (CmsSigAlg::Ecdsa(Sha256), PublicKey::Ec { curve: Curve::P384, .. }) => &rs::ECDSA_P384_SHA256_ASN1,
        (CmsSigAlg::Ecdsa(Sha384), PublicKey::Ec { curve: Curve::P384, .. }) => &rs::ECDSA_P384_SHA384_ASN1,
        (CmsSigAlg::Ed25519, PublicKey::Ed25519(_)) => &rs::ED25519,
        _ => return None,
    })
}

/// Verifies a CMS signature with the key in `spki` (the mathematics only: SHA-1, key sizes and
/// curves are the policy's business, reported separately).
pub(crate) fn verify_cms(alg: CmsSigAlg, spki: &[u8], signed: Signed<'_>, signature: &[u8]) -> Result<(), SigError> {
    let key = pubkey::parse(spki).map_err(|e| match e {
        pubkey::KeyError::Malformed => SigError::BadKey,
        pubkey::KeyError::Unsupported(_) => SigError::Unsupported,
    })?;
    if let (Signed::Message(m), Some(r)) = (signed, ring_alg(alg, &key)) {
        let bits = key_bits(spki).ok_or(SigError::BadKey)?;
        return rs::UnparsedPublicKey::new(r, bits).verify(m, signature).map_err(|_| SigError::Invalid);
    }
    let d = alg.digest();
    let owned;
    let digest: &[u8] = match signed {
        Signed::Digest(x) => x,
        Signed::Message(m) => {
            owned = d.digest(m);
            &owned
        }
    };
    let message = match signed {
        Signed::Message(m) => Some(m),
        Signed::Digest(_) => None,
    };
    match (alg, key) {
        (CmsSigAlg::RsaPkcs1(h), PublicKey::Rsa { n, e, .. }) if h != DigestAlgorithm::Shake256 => {
            pubkey::rsa_pkcs1_prehashed(n, e, h, digest, signature).map_err(from)
        }
        (CmsSigAlg::RsaPss(h), PublicKey::Rsa { n, e, .. }) => pubkey::rsa_pss_prehashed(n, e, h, h.output_len(), digest, signature).map_err(from),
        (CmsSigAlg::RsaPssSalt(p), PublicKey::Rsa { n, e, .. }) => pubkey::rsa_pss_prehashed(n, e, p.hash, p.salt_len, digest, signature).map_err(from),
        (CmsSigAlg::Ecdsa(h), PublicKey::Ec { curve, point }) if h != DigestAlgorithm::Shake256 => {
            pubkey::ecdsa_prehashed(curve, point, digest, signature).map_err(from)
        }
        (CmsSigAlg::Ed25519, PublicKey::Ed25519(k)) => pubkey::ed25519(k, message.ok_or(SigError::NeedsMessage)?, signature).map_err(from),
        (CmsSigAlg::Ed448, PublicKey::Ed448(k)) => pubkey::ed448(k, message.ok_or(SigError::NeedsMessage)?, signature).map_err(from),
        _ => Err(SigError::Unsupported),
    }
}
