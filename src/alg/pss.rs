//! RSASSA-PSS verification with any salt length (RFC 8017 §8.1.2 and §9.1.2).
//!
//! ring verifies PSS only with the salt as long as the digest; OpenSSL 3 signs CMS with
//! `-keyopt rsa_padding_mode:pss` using the maximum salt length by default (222 bytes for
//! RSA-2048 with SHA-256). kyso must accept what OpenSSL produces, so this module does the public
//! RSA operation (num-bigint, public data only: no constant-time requirement) and the EMSA-PSS
//! check itself, with MGF1 over the same digest.

use crate::asn1 as der;
use crate::alg::DigestAlgorithm;
use x509_parser::num_bigint::BigUint;

/// PSS parameters (RFC 4055 §3.1) that kyso supports: SHA-2 hash, MGF1 with the same hash,
/// trailerField 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PssParams {
    pub hash: DigestAlgorithm,
    pub salt_len: usize,
}

fn digest_of_alg_id(tlv_body: &[u8]) -> Option<DigestAlgorithm> {
    let (oid, params) = der::read(tlv_body).ok()?;
    if oid.tag != 0x06 || !(params.is_empty() || params == [0x05, 0x00]) {
        return None;
    }
    let o = const_oid::ObjectIdentifier::from_bytes(oid.body).ok()?;
    DigestAlgorithm::from_oid(&o)
}

/// Parses RSASSA-PSS-params (the contents of the AlgorithmIdentifier after the OID).
pub(crate) fn parse_params(params: &[u8]) -> Option<PssParams> {
    let seq = der::read_all(params).ok()?;
    if seq.tag != 0x30 {
        return None;
    }
    let mut hash = DigestAlgorithm::Sha1;
    let mut mgf_hash = DigestAlgorithm::Sha1;
    let mut salt_len = 20usize;
    let mut trailer = 1u32;
    for f in der::children(seq.body, 4, "too many PSS parameters").ok()? {
        let inner = der::read_all(f.body).ok()?;
        match f.tag {
            0xa0 if inner.tag == 0x30 => hash = digest_of_alg_id(inner.body)?,
            0xa1 if inner.tag == 0x30 => {
                // MGF1 (1.2.840.113549.1.1.8) with a digest AlgorithmIdentifier
                let (oid, rest) = der::read(inner.body).ok()?;
                if oid.raw != [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08] {
                    return None;
                }
                let alg = der::read_all(rest).ok()?;
                if alg.tag != 0x30 {
                    return None;
                }
                mgf_hash = digest_of_alg_id(alg.body)?;
            }
            0xa2 => salt_len = der::small_uint(&inner)? as usize,
            0xa3 => trailer = der::small_uint(&inner)?,
            _ => return None,
        }
    }
    if trailer != 1 || mgf_hash != hash || hash == DigestAlgorithm::Sha1 {
        return None;
    }
    Some(PssParams { hash, salt_len })
}

fn mgf1(hash: DigestAlgorithm, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut ctx = ring::digest::Context::new(hash.ring());
        ctx.update(seed);
        ctx.update(&counter.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Verifies an RSASSA-PSS signature over `message` with the RSA key (`modulus`, `exponent`, big
/// endian). Returns false on any inconsistency.
pub(crate) fn verify(p: PssParams, modulus: &[u8], exponent: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let n = BigUint::from_bytes_be(modulus);
    let e = BigUint::from_bytes_be(exponent);
    let mod_bits = n.bits() as usize;
    // Key size bounds as in ring (2048–8192 bits); the exponent must be small and odd.
    if !(2048..=8192).contains(&mod_bits) || e.bits() > 33 || e.bits() < 2 || !e.bit(0) {
        return false;
    }
    let k = mod_bits.div_ceil(8);
    if signature.len() != k {
        return false;
    }
    let s = BigUint::from_bytes_be(signature);
    if s >= n {
        return false;
    }
    let m = s.modpow(&e, &n);
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let m_bytes = m.to_bytes_be();
    if m_bytes.len() > em_len {
        return false;
    }
    let mut em = vec![0u8; em_len - m_bytes.len()];
    em.extend_from_slice(&m_bytes);

    let h_len = p.hash.output_len();
    let m_hash = p.hash.digest(message);
    if em_len < h_len + p.salt_len + 2 || em.last() != Some(&0xbc) {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..h_len];
    let zero_bits = 8 * em_len - em_bits;
    let top_mask: u8 = if zero_bits == 0 { 0 } else { 0xffu8 << (8 - zero_bits) };
    if masked_db.first().is_some_and(|b| b & top_mask != 0) {
        return false;
    }
    let mut db: Vec<u8> = masked_db.iter().zip(mgf1(p.hash, h, db_len)).map(|(a, b)| a ^ b).collect();
    if let Some(b) = db.first_mut() {
        *b &= !top_mask;
    }
    let ps_len = em_len - h_len - p.salt_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return false;
    }
    let salt = &db[ps_len + 1..];
    let mut ctx = ring::digest::Context::new(p.hash.ring());
    ctx.update(&[0u8; 8]);
    ctx.update(&m_hash);
    ctx.update(salt);
    ctx.finish().as_ref() == h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_of_openssl_default_pss() {
        // SEQUENCE { [0] sha256, [1] mgf1(sha256), [2] 222 }
        let p = [
            0x30, 0x35, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
            0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d,
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x04, 0x02, 0x02, 0x00,
            0xde,
        ];
        assert_eq!(parse_params(&p), Some(PssParams { hash: DigestAlgorithm::Sha256, salt_len: 222 }));
        assert_eq!(parse_params(&[0x30, 0x00]), None, "SHA-1 defaults are not supported");
        assert_eq!(parse_params(&[0x30]), None);
    }

    #[test]
    fn rejects_garbage_without_panic() {
        let p = PssParams { hash: DigestAlgorithm::Sha256, salt_len: 32 };
        let n = [0xffu8; 256];
        assert!(!verify(p, &n, &[1, 0, 1], b"m", &[0u8; 256]));
        assert!(!verify(p, &n, &[1, 0, 1], b"m", &[0u8; 255]));
        assert!(!verify(p, &[0x01], &[1, 0, 1], b"m", &[0u8; 1]));
        assert!(!verify(p, &n, &[2], b"m", &[1u8; 256]));
        let huge_salt = PssParams { hash: DigestAlgorithm::Sha256, salt_len: 10_000 };
        assert!(!verify(huge_salt, &n, &[1, 0, 1], b"m", &[1u8; 256]));
    }
}
