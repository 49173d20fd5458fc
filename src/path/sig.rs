//! Signatures on certificates and CRLs (an AlgorithmIdentifier naming the whole algorithm),
//! verified under kyso's algorithm policy (DESIGN §4 rule 5): RSA PKCS#1 v1.5 and RSASSA-PSS
//! with SHA-2 or SHA-3 and keys of 2048–16384 bits; ECDSA on P-256, P-384, P-521,
//! brainpoolP256r1 and brainpoolP384r1 with SHA-2 or SHA-3; Ed25519 and Ed448; `legacy` adds
//! SHA-1 (RSA and ECDSA) and RSA keys of 1024–2047 bits. The mathematics is the CMS layer's
//! (`crate::alg::verify::verify_cms`: ring where it can, RustCrypto and kyso's RSA otherwise).
//! DSA is not implemented: `WeakKey` (a public key algorithm the policy does not allow).

use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::asn1 as der;
use crate::alg::pubkey::{self, KeyError};
use crate::alg::verify::{self as algs, CmsSigAlg, Signed};
use crate::alg::KeyProblem;

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigError {
    /// The public key cannot be read.
    BadKey,
    /// The algorithm, or its pairing with the key, is not allowed or not implemented.
    Unsupported,
    /// The key is not allowed (size, curve): the description.
    WeakKey(String),
    /// The signature is wrong.
    Invalid,
}

pub(crate) fn oid_text(body: &[u8]) -> String {
    const_oid::ObjectIdentifier::from_bytes(body).map(|o| o.to_string()).unwrap_or_else(|_| hex::encode(body))
}

/// The signature algorithm's OID as text (for reports).
pub(crate) fn alg_text(sig_alg: &[u8]) -> String {
    match der::read(sig_alg) {
        Ok((o, _)) if o.tag == 0x06 => oid_text(o.body),
        _ => "(unreadable)".into(),
    }
}

/// The policy's refusal of a key, as the path report words it.
fn key_text(p: &KeyProblem) -> String {
    match p {
        KeyProblem::RsaTooSmall { bits, .. } | KeyProblem::RsaTooLarge { bits, .. } => format!("RSA {bits} bits"),
        KeyProblem::CurveNotAllowed { curve } => format!("elliptic curve {curve}"),
        KeyProblem::AlgorithmNotAllowed { algorithm } => format!("public key algorithm {algorithm}"),
    }
}

/// A certificate or CRL signatureAlgorithm (AlgorithmIdentifier contents): the combined OIDs
/// only (not rsaEncryption or id-ecPublicKey), ECDSA and EdDSA without parameters (RFC 5758
/// §3.2, RFC 8410 §3), RSA PKCS#1 with NULL or absent ones.
fn resolve(sig_alg: &[u8]) -> Option<CmsSigAlg> {
    let (o, params) = der::read(sig_alg).ok()?;
    if o.tag != 0x06 || o.body == oid::RSA_ENCRYPTION.as_bytes() || o.body == oid::EC_PUBLIC_KEY.as_bytes() {
        return None;
    }
    let alg = algs::resolve_cms(sig_alg, DigestAlgorithm::Sha256)?;
    if matches!(alg, CmsSigAlg::Ecdsa(_)) && !params.is_empty() {
        return None;
    }
    Some(alg)
}

/// Verifies `signature` over `message` made with `sig_alg` (AlgorithmIdentifier contents) by the
/// key `spki` (full TLV), using only the algorithms of `policy`.
pub(crate) fn verify(policy: Policy, spki: &[u8], sig_alg: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SigError> {
    let key = pubkey::parse(spki).map_err(|e| match e {
        KeyError::Malformed => SigError::BadKey,
        KeyError::Unsupported(p) => SigError::WeakKey(key_text(&p)),
    })?;
    pubkey::judge(policy, &key).map_err(|p| SigError::WeakKey(key_text(&p)))?;
    let alg = resolve(sig_alg).ok_or(SigError::Unsupported)?;
    if alg.digest() == DigestAlgorithm::Sha1 && policy != Policy::Legacy {
        return Err(SigError::Unsupported);
    }
    algs::verify_cms(alg, spki, Signed::Message(message), signature).map_err(|e| match e {
        algs::SigError::BadKey => SigError::BadKey,
        algs::SigError::Unsupported | algs::SigError::NeedsMessage => SigError::Unsupported,
        algs::SigError::Invalid | algs::SigError::DigestMismatch(_) => SigError::Invalid,
    })
}
