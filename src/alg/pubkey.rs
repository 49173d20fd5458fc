//! Public keys and the signature verifications ring cannot do (issue 15), shared by the CMS
//! signer check and certificate/CRL signatures (through [`super::verify`]):
//!
//! - RSA PKCS#1 v1.5 over a **digest** (RFC 8017 §8.2.2 with EMSA-PKCS1-v1_5 decoded rather
//!   than re-encoded, so that a DigestInfo with absent or NULL parameters is accepted as RFC 4055
//!   §5 asks and a wrong digest is told apart from a wrong signature), for any key size the policy
//!   allows (ring refuses keys under 2048 bits; the legacy policy accepts 1024) and for SHA-3;
//! - ECDSA over a digest (RustCrypto `p256`, `p384`, `p521`, `bp256`, `bp384`: ring verifies
//!   messages only, and has neither P-521, brainpool nor SHA-1/SHA-3 pairings);
//! - Ed448 (RustCrypto `ed448-goldilocks`).
//!
//! Why a digest: a document is streamed and only its digests are kept (`Content::Digests`), and a
//! SignerInfo without signed attributes signs the document itself (RFC 5652 §5.4). RSA and ECDSA
//! sign a digest, so nothing else is needed; pure EdDSA signs the message itself and cannot be
//! verified from a digest (such a signature is reported as unsupported, see `super::signer`).
//!
//! The RSA public operation uses num-bigint (RSASSA-PSS's parameters are read by [`super::pss`]): the inputs are public, so
//! constant time is not needed. What the **policy** allows (key sizes, curves, SHA-1) is judged
//! by [`judge`] and by the callers, not here: this module does the mathematics.
//! (The signer check keeps the document's digests only: `Content::Digests` in the CMS layer.)

use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::asn1 as der;
use super::{KeyDescription, KeyProblem};
use x509_parser::num_bigint::BigUint;

/// Largest RSA modulus verified (bits): bounds the work of one public operation (a 16384-bit
/// modpow with e = 65537 is ~17 squarings of that size, well under a millisecond). ring's limit
/// is 8192; real keys stop at 4096.
pub(crate) const MAX_RSA_BITS: usize = 16384;

/// Smallest RSA modulus whose signature is computed at all (bits). Keys below the policy's
/// minimum are refused by the policy anyway; below 512 the arithmetic is meaningless.
pub(crate) const MIN_RSA_BITS: usize = 512;

/// An elliptic curve kyso verifies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
    BrainpoolP256,
    BrainpoolP384,
}

/// A public key read from a SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PublicKey<'a> {
    /// RSA (rsaEncryption or id-RSASSA-PSS keys): modulus and exponent contents, modulus bits.
    Rsa { n: &'a [u8], e: &'a [u8], bits: usize },
    /// ECDSA: the curve and the SEC1 point.
    Ec { curve: Curve, point: &'a [u8] },
    /// Ed25519: the 32-byte key.
    Ed25519(&'a [u8]),
    /// Ed448: the 57-byte key.
    Ed448(&'a [u8]),
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The SubjectPublicKeyInfo or key does not decode.
    Malformed,
    /// A key type or curve kyso does not implement.
    Unsupported(KeyProblem),
}

const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

/// Reads a SubjectPublicKeyInfo (full TLV).
pub(crate) fn parse(spki: &[u8]) -> Result<PublicKey<'_>, KeyError> {
    let top = der::read_all(spki).map_err(|_| KeyError::Malformed)?;
    if top.tag != 0x30 {
        return Err(KeyError::Malformed);
    }
    let (alg, rest) = der::expect(top.body, 0x30, "algorithm").map_err(|_| KeyError::Malformed)?;
    let bits = der::read_all(rest).map_err(|_| KeyError::Malformed)?;
    let key = match (bits.tag, bits.body.split_first()) {
        (0x03, Some((0, key))) => key,
        _ => return Err(KeyError::Malformed),
    };
    let (o, params) = der::expect(alg.body, 0x06, "algorithm OID").map_err(|_| KeyError::Malformed)?;
    let oid_is = |x: &const_oid::ObjectIdentifier| o.body == x.as_bytes();
    if o.body == RSA_ENCRYPTION || o.body == RSASSA_PSS {
        let seq = der::read_all(key).map_err(|_| KeyError::Malformed)?;
        let (n, r) = der::expect(seq.body, 0x02, "modulus").map_err(|_| KeyError::Malformed)?;
        let e = der::read_all(r).map_err(|_| KeyError::Malformed)?;
        if seq.tag != 0x30 || e.tag != 0x02 || n.body.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(KeyError::Malformed);
        }
        let n = strip_zeros(n.body);
        let bits = (n.len() * 8).saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
        return Ok(PublicKey::Rsa { n, e: strip_zeros(e.body), bits });
    }
    if oid_is(&oid::EC_PUBLIC_KEY) {
        // namedCurve only (RFC 5480 §2.1.1: implicitCurve and specifiedCurve MUST NOT be used).
        let curve = der::read_all(params).map_err(|_| KeyError::Malformed)?;
        let c = if curve.tag != 0x06 {
            None
        } else {
            [
                (oid::P256, Curve::P256),
                (oid::P384, Curve::P384),
                (oid::P521, Curve::P521),
                (oid::BRAINPOOL_P256R1, Curve::BrainpoolP256),
                (oid::BRAINPOOL_P384R1, Curve::BrainpoolP384),
            ]
            .into_iter()
            .find(|(x, _)| curve.body == x.as_bytes())
            .map(|(_, c)| c)
        };
        return match c {
            Some(curve) => Ok(PublicKey::Ec { curve, point: key }),
            None => Err(KeyError::Unsupported(KeyProblem::CurveNotAllowed { curve: oid_text(curve.body) })),
        };
    }
    if oid_is(&oid::ED25519) && params.is_empty() && key.len() == 32 {
        return Ok(PublicKey::Ed25519(key));
    }
    if oid_is(&oid::ED448) && params.is_empty() && key.len() == 57 {
        return Ok(PublicKey::Ed448(key));
    }
    if oid_is(&oid::ED25519) || oid_is(&oid::ED448) {
        return Err(KeyError::Malformed);
    }
    Err(KeyError::Unsupported(KeyProblem::AlgorithmNotAllowed { algorithm: oid_text(o.body) }))
}

/// An OID's contents as dotted text (hex when it does not decode).
pub(crate) fn oid_text(body: &[u8]) -> String {
    const_oid::ObjectIdentifier::from_bytes(body).map(|o| o.to_string()).unwrap_or_else(|_| hex::encode(body))
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(i..).unwrap_or_default()
}

impl PublicKey<'_> {
    /// The key as the report describes it.
    pub(crate) fn describe(&self) -> KeyDescription {
        match self {
            PublicKey::Rsa { bits, .. } => KeyDescription::Rsa { bits: *bits },
            PublicKey::Ec { curve: Curve::P256, .. } => KeyDescription::EcdsaP256,
            PublicKey::Ec { curve: Curve::P384, .. } => KeyDescription::EcdsaP384,
            PublicKey::Ec { curve: Curve::P521, .. } => KeyDescription::EcdsaP521,
            PublicKey::Ec { curve: Curve::BrainpoolP256, .. } => KeyDescription::EcdsaBrainpoolP256,
            PublicKey::Ec { curve: Curve::BrainpoolP384, .. } => KeyDescription::EcdsaBrainpoolP384,
            PublicKey::Ed25519(_) => KeyDescription::Ed25519,
            PublicKey::Ed448(_) => KeyDescription::Ed448,
        }
    }
}

/// The smallest RSA key each policy allows (DESIGN.md §4 rule 5).
pub(crate) fn rsa_minimum(policy: Policy) -> usize {
    match policy {
        Policy::Strict => 2048,
        Policy::Legacy => 1024,
    }
}

/// What the algorithm policy makes of a key: allowed (and whether only the legacy policy allows
/// it: RSA of 1024–2047 bits), or refused and why.
pub(crate) fn judge(policy: Policy, key: &PublicKey<'_>) -> Result<(KeyDescription, bool), KeyProblem> {
    match key {
        PublicKey::Rsa { bits, .. } if *bits > MAX_RSA_BITS => Err(KeyProblem::RsaTooLarge { bits: *bits, maximum: MAX_RSA_BITS }),
        PublicKey::Rsa { bits, .. } if *bits < rsa_minimum(policy) => Err(KeyProblem::RsaTooSmall { bits: *bits, minimum: rsa_minimum(policy) }),
        PublicKey::Rsa { bits, .. } => Ok((key.describe(), *bits < rsa_minimum(Policy::Strict))),
        _ => Ok((key.describe(), false)),
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The key does not decode (or is outside the sizes computed at all).
    BadKey,
    /// The signature is wrong (maths, or an encoding that cannot be a signature).
    Invalid,
    /// RSA PKCS#1 v1.5: the signature is the key holder's, but over another digest (the signed
    /// content was changed). The digest it signs.
    DigestMismatch(Vec<u8>),
}

/// The RSA public operation: `signature^e mod n` as `k` bytes (k = the modulus's length), after
/// the checks of RFC 8017 §5.2.2 (`s < n`) and §8.2.2 (length `k`).
fn rsa_public(n: &[u8], e: &[u8], signature: &[u8]) -> Result<Vec<u8>, Failure> {
    let n = BigUint::from_bytes_be(n);
    let e = BigUint::from_bytes_be(e);
    let bits = n.bits() as usize;
    // The exponent small and odd (as ring requires: at most 33 bits).
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) || e.bits() > 33 || e.bits() < 2 || !e.bit(0) {
        return Err(Failure::BadKey);
    }
    let k = bits.div_ceil(8);
    if signature.len() != k {
        return Err(Failure::Invalid);
    }
    let s = BigUint::from_bytes_be(signature);
    if s >= n {
        return Err(Failure::Invalid);
    }
    let m = s.modpow(&e, &n).to_bytes_be();
    let mut em = vec![0u8; k.saturating_sub(m.len())];
    em.extend_from_slice(&m);
    Ok(em)
}

/// RSA PKCS#1 v1.5 (RSASSA-PKCS1-v1_5-VERIFY, RFC 8017 §8.2.2) over `digest` made with `hash`.
/// The encoded message is decoded: `00 01 FF…FF 00 DigestInfo` with at least 8 bytes of FF
/// (§9.2 note 1), the DigestInfo one DER element naming `hash` with absent or NULL parameters.
pub(crate) fn rsa_pkcs1_prehashed(n: &[u8], e: &[u8], hash: DigestAlgorithm, digest: &[u8], signature: &[u8]) -> Result<(), Failure> {
    let em = rsa_public(n, e, signature)?;
    let rest = em.strip_prefix(&[0x00, 0x01]).ok_or(Failure::Invalid)?;
    let ps = rest.iter().take_while(|&&b| b == 0xff).count();
    let t = rest.get(ps..).and_then(|r| r.strip_prefix(&[0x00])).ok_or(Failure::Invalid)?;
    if ps < 8 {
        return Err(Failure::Invalid);
    }
    let info = der::read_all(t).map_err(|_| Failure::Invalid)?;
    let (alg, r) = der::expect(info.body, 0x30, "digestAlgorithm").map_err(|_| Failure::Invalid)?;
    let value = der::read_all(r).map_err(|_| Failure::Invalid)?;
    let (o, params) = der::expect(alg.body, 0x06, "digest OID").map_err(|_| Failure::Invalid)?;
    if info.tag != 0x30 || value.tag != 0x04 || !(params.is_empty() || params == [0x05, 0x00]) {
        return Err(Failure::Invalid);
    }
    if o.body != hash.oid().as_bytes() || value.body.len() != hash.output_len() {
        // A well-formed encoding of another algorithm's digest: not this signature scheme.
        return Err(Failure::Invalid);
    }
    if value.body != digest {
        return Err(Failure::DigestMismatch(value.body.to_vec()));
    }
    Ok(())
}

/// RSASSA-PSS (RFC 8017 §8.1.2, EMSA-PSS-VERIFY §9.1.2) over `m_hash` (the message's digest with
/// `hash`), MGF1 with the same digest, salt of `salt_len` bytes.
pub(crate) fn rsa_pss_prehashed(n: &[u8], e: &[u8], hash: DigestAlgorithm, salt_len: usize, m_hash: &[u8], signature: &[u8]) -> Result<(), Failure> {
    let mod_bits = BigUint::from_bytes_be(n).bits() as usize;
    let full = rsa_public(n, e, signature)?;
    let em_bits = mod_bits.saturating_sub(1);
    let em_len = em_bits.div_ceil(8);
    // `full` has k bytes; EM is its last emLen bytes, the others must be zero.
    let cut = full.len().saturating_sub(em_len);
    if full.get(..cut).is_none_or(|z| z.iter().any(|&b| b != 0)) {
        return Err(Failure::Invalid);
    }
    let em = full.get(cut..).ok_or(Failure::Invalid)?;
    let h_len = hash.output_len();
    if m_hash.len() != h_len || em_len < h_len + salt_len + 2 || em.last() != Some(&0xbc) {
        return Err(Failure::Invalid);
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = rest.get(..h_len).ok_or(Failure::Invalid)?;
    let zero_bits = 8 * em_len - em_bits;
    let top_mask: u8 = if zero_bits == 0 { 0 } else { 0xffu8 << (8 - zero_bits) };
    if masked_db.first().is_some_and(|b| b & top_mask != 0) {
        return Err(Failure::Invalid);
    }
    let mut db: Vec<u8> = masked_db.iter().zip(mgf1(hash, h, db_len)).map(|(a, b)| a ^ b).collect();
    if let Some(b) = db.first_mut() {
        *b &= !top_mask;
    }
    let ps_len = em_len - h_len - salt_len - 2;
    if db.get(..ps_len).is_none_or(|z| z.iter().any(|&b| b != 0)) || db.get(ps_len) != Some(&0x01) {
        return Err(Failure::Invalid);
    }
    let salt = db.get(ps_len + 1..).ok_or(Failure::Invalid)?;
    let mut ctx = crate::alg::Hasher::new(hash);
    ctx.update(&[0u8; 8]);
    ctx.update(m_hash);
    ctx.update(salt);
    if ctx.finish() == h {
        Ok(())
    } else {
        Err(Failure::Invalid)
    }
}

/// MGF1 (RFC 8017 §B.2.1) with `hash`.
fn mgf1(hash: DigestAlgorithm, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut ctx = crate::alg::Hasher::new(hash);
        ctx.update(seed);
        ctx.update(&counter.to_be_bytes());
        out.extend_from_slice(&ctx.finish());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// An ECDSA-Sig-Value (RFC 5480 §2.2.3: SEQUENCE { r INTEGER, s INTEGER }, DER) as r‖s, each
/// left-padded to `len` bytes; `None` when it is not that or a value is negative or too long.
fn ecdsa_sig_value(sig: &[u8], len: usize) -> Option<Vec<u8>> {
    let seq = der::read_all(sig).ok()?;
    if seq.tag != 0x30 {
        return None;
    }
    let (r, rest) = der::expect(seq.body, 0x02, "r").ok()?;
    let s = der::read_all(rest).ok()?;
    if s.tag != 0x02 {
        return None;
    }
    let mut out = Vec::with_capacity(2 * len);
    for v in [r.body, s.body] {
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            return None;
        }
        let v = strip_zeros(v);
        if v.len() > len {
            return None;
        }
        out.extend(std::iter::repeat_n(0u8, len - v.len()));
        out.extend_from_slice(v);
    }
    Some(out)
}

macro_rules! ecdsa_prehash {
    ($curve:ty, $len:expr, $point:expr, $digest:expr, $sig:expr) => {{
        use ecdsa::signature::hazmat::PrehashVerifier as _;
        let key = ecdsa::VerifyingKey::<$curve>::from_sec1_bytes($point).map_err(|_| Failure::BadKey)?;
        let rs = ecdsa_sig_value($sig, $len).ok_or(Failure::Invalid)?;
        let sig = ecdsa::Signature::<$curve>::from_slice(&rs).map_err(|_| Failure::Invalid)?;
        key.verify_prehash($digest, &sig).map_err(|_| Failure::Invalid)
    }};
}

/// ECDSA (SEC 1 §4.1.4, X9.62) over `digest` with the key `point` on `curve`; `signature` is the
/// DER ECDSA-Sig-Value. The digest is truncated to the curve order's length as SEC 1 says (a
/// SHA-512 digest on P-256) or used whole when shorter (SHA-1).
pub(crate) fn ecdsa_prehashed(curve: Curve, point: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), Failure> {
    match curve {
        Curve::P256 => ecdsa_prehash!(p256::NistP256, 32, point, digest, signature),
        Curve::P384 => ecdsa_prehash!(p384::NistP384, 48, point, digest, signature),
        Curve::P521 => ecdsa_prehash!(p521::NistP521, 66, point, digest, signature),
        Curve::BrainpoolP256 => ecdsa_prehash!(bp256::r1::BrainpoolP256r1, 32, point, digest, signature),
        Curve::BrainpoolP384 => ecdsa_prehash!(bp384::r1::BrainpoolP384r1, 48, point, digest, signature),
    }
}

/// Ed448 (RFC 8032 §5.2.7, pure, empty context) over `message`.
pub(crate) fn ed448(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Failure> {
    let bytes: &[u8; 57] = key.try_into().map_err(|_| Failure::BadKey)?;
    let key = ed448_goldilocks::VerifyingKey::from_bytes(bytes).map_err(|_| Failure::BadKey)?;
    let sig = ed448_goldilocks::Signature::from_slice(signature).map_err(|_| Failure::Invalid)?;
    key.verify_raw(&sig, message).map_err(|_| Failure::Invalid)
}

/// Ed25519 (RFC 8032 §5.1.7) over `message`, with ring.
pub(crate) fn ed25519(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Failure> {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key).verify(message, signature).map_err(|_| Failure::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        for spki in [&b""[..], b"\x30\x00", b"\x30\x03\x30\x01\x00", b"\x30\x05\x30\x00\x03\x01\x00"] {
            assert!(parse(spki).is_err());
        }
        let n = [0xffu8; 256];
        assert_eq!(rsa_pkcs1_prehashed(&n, &[1, 0, 1], DigestAlgorithm::Sha256, &[0; 32], &[0u8; 255]), Err(Failure::Invalid));
        assert_eq!(rsa_pkcs1_prehashed(&n, &[1, 0, 1], DigestAlgorithm::Sha256, &[0; 32], &[1u8; 256]), Err(Failure::Invalid));
        assert_eq!(rsa_pkcs1_prehashed(&[0xff; 8], &[1, 0, 1], DigestAlgorithm::Sha256, &[0; 32], &[1u8; 8]), Err(Failure::BadKey));
        assert_eq!(rsa_pss_prehashed(&n, &[1, 0, 1], DigestAlgorithm::Sha256, 10_000, &[0; 32], &[1u8; 256]), Err(Failure::Invalid));
        for c in [Curve::P256, Curve::P384, Curve::P521, Curve::BrainpoolP256, Curve::BrainpoolP384] {
            assert_eq!(ecdsa_prehashed(c, &[4; 65], &[0; 32], b"\x30\x06\x02\x01\x01\x02\x01\x01").unwrap_err(), Failure::BadKey);
        }
        assert_eq!(ecdsa_sig_value(b"\x30\x06\x02\x01\x81\x02\x01\x01", 32), None, "negative r");
        assert_eq!(ed448(&[0u8; 56], b"m", &[0u8; 114]), Err(Failure::BadKey));
    }
}
