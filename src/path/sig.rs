//! Signatures on certificates and CRLs (an AlgorithmIdentifier naming the whole algorithm),
//! verified with ring under kyso's algorithm policy (DESIGN §4 rule 5): RSA PKCS#1 v1.5 and
//! RSASSA-PSS with SHA-256/384/512 and 2048–8192-bit keys, ECDSA P-256/P-384 with SHA-256/384,
//! Ed25519; `legacy` adds RSA PKCS#1 v1.5 with SHA-1. DSA, ECDSA with SHA-1 or SHA-512, P-521
//! and brainpool curves are not implemented by ring: `Unsupported`.

use crate::alg::{DigestAlgorithm, Policy};
use crate::asn1 as der;
use crate::alg::pss;
use ring::signature as rs;

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

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Rsa { bits: usize },
    P256,
    P384,
    Ed25519,
}

/// Splits a SubjectPublicKeyInfo: (algorithm OID contents, algorithm parameters TLV, key bits).
fn split(spki: &[u8]) -> Result<(&[u8], &[u8], &[u8]), SigError> {
    let top = der::read_all(spki).map_err(|_| SigError::BadKey)?;
    let (alg, rest) = der::expect(top.body, 0x30, "algorithm").map_err(|_| SigError::BadKey)?;
    let bits = der::read_all(rest).map_err(|_| SigError::BadKey)?;
    if bits.tag != 0x03 || bits.body.first() != Some(&0) {
        return Err(SigError::BadKey);
    }
    let (oid, params) = der::expect(alg.body, 0x06, "oid").map_err(|_| SigError::BadKey)?;
    Ok((oid.body, params, &bits.body[1..]))
}

fn key_of(spki: &[u8]) -> Result<(Key, &[u8]), SigError> {
    let (oid, params, bits) = split(spki)?;
    if oid == RSA_ENCRYPTION || oid == RSASSA_PSS {
        let (n, _) = rsa_parts(bits)?;
        let n = strip_zeros(n);
        let bits_len = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        return Ok((Key::Rsa { bits: bits_len }, bits));
    }
    if oid == EC_PUBLIC_KEY {
        let curve = der::read_all(params).map_err(|_| SigError::BadKey)?;
        return match curve.body {
            b if b == P256 && curve.tag == 0x06 => Ok((Key::P256, bits)),
            b if b == P384 && curve.tag == 0x06 => Ok((Key::P384, bits)),
            _ => Err(SigError::WeakKey(format!("elliptic curve {}", oid_text(curve.body)))),
        };
    }
    if oid == ED25519 {
        return Ok((Key::Ed25519, bits));
    }
    Err(SigError::WeakKey(format!("public key algorithm {}", oid_text(oid))))
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// RSAPublicKey → (modulus, exponent) contents.
fn rsa_parts(key: &[u8]) -> Result<(&[u8], &[u8]), SigError> {
    let seq = der::read_all(key).map_err(|_| SigError::BadKey)?;
    let (n, rest) = der::expect(seq.body, 0x02, "modulus").map_err(|_| SigError::BadKey)?;
    let e = der::read_all(rest).map_err(|_| SigError::BadKey)?;
    if e.tag != 0x02 {
        return Err(SigError::BadKey);
    }
    Ok((n.body, e.body))
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

/// Verifies `signature` over `message` made with `sig_alg` (AlgorithmIdentifier contents) by the
/// key `spki` (full TLV), using only the algorithms of `policy`.
pub(crate) fn verify(policy: Policy, spki: &[u8], sig_alg: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SigError> {
    let (key, key_bits) = key_of(spki)?;
    let (oid, params) = der::read(sig_alg).map_err(|_| SigError::Unsupported)?;
    if oid.tag != 0x06 {
        return Err(SigError::Unsupported);
    }
    let null_or_absent = params.is_empty() || params == [0x05, 0x00];
    let rsa_pkcs1 = |n: u8| oid.body == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n];
    let ecdsa = |n: u8| oid.body == [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, n];
    if let Key::Rsa { bits } = key {
        if !(2048..=8192).contains(&bits) {
            return Err(SigError::WeakKey(format!("RSA {bits} bits")));
        }
    }
    let alg: &dyn rs::VerificationAlgorithm = match key {
        Key::Rsa { .. } if rsa_pkcs1(11) && null_or_absent => &rs::RSA_PKCS1_2048_8192_SHA256,
        Key::Rsa { .. } if rsa_pkcs1(12) && null_or_absent => &rs::RSA_PKCS1_2048_8192_SHA384,
        Key::Rsa { .. } if rsa_pkcs1(13) && null_or_absent => &rs::RSA_PKCS1_2048_8192_SHA512,
        Key::Rsa { .. } if rsa_pkcs1(5) && null_or_absent && policy == Policy::Legacy => {
            &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        Key::Rsa { .. } if oid.body == RSASSA_PSS => {
            let p = pss::parse_params(params).ok_or(SigError::Unsupported)?;
            match (p.hash, p.salt_len) {
                (DigestAlgorithm::Sha256, 32) => &rs::RSA_PSS_2048_8192_SHA256,
                (DigestAlgorithm::Sha384, 48) => &rs::RSA_PSS_2048_8192_SHA384,
                (DigestAlgorithm::Sha512, 64) => &rs::RSA_PSS_2048_8192_SHA512,
                (DigestAlgorithm::Sha1, _) => return Err(SigError::Unsupported),
                _ => {
                    let (n, e) = rsa_parts(key_bits)?;
                    return if pss::verify(p, n, e, message, signature) { Ok(()) } else { Err(SigError::Invalid) };
                }
            }
        }
        Key::P256 if ecdsa(2) && params.is_empty() => &rs::ECDSA_P256_SHA256_ASN1,
        Key::P256 if ecdsa(3) && params.is_empty() => &rs::ECDSA_P256_SHA384_ASN1,
        Key::P384 if ecdsa(2) && params.is_empty() => &rs::ECDSA_P384_SHA256_ASN1,
        Key::P384 if ecdsa(3) && params.is_empty() => &rs::ECDSA_P384_SHA384_ASN1,
        Key::Ed25519 if oid.body == ED25519 && params.is_empty() => &rs::ED25519,
        _ => return Err(SigError::Unsupported),
    };
    rs::UnparsedPublicKey::new(alg, key_bits).verify(message, signature).map_err(|_| SigError::Invalid)
}
