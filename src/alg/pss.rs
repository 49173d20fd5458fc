//! RSASSA-PSS verification with any salt length (RFC 8017 §8.1.2 and §9.1.2).
//!
//! ring verifies PSS only with the salt as long as the digest; OpenSSL 3 signs CMS with
//! `-keyopt rsa_padding_mode:pss` using the maximum salt length by default (222 bytes for
//! RSA-2048 with SHA-256). kyso must accept what OpenSSL produces: this module reads the
//! parameters, and [`super::pubkey`] does the public RSA operation (num-bigint, public data only:
//! no constant-time requirement) and the EMSA-PSS check, with MGF1 over the same digest.

use crate::asn1 as der;
use crate::alg::DigestAlgorithm;

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
    // SHAKE is not a PSS hash here (RFC 8702 gives RSASSA-PSS with SHAKE its own OIDs).
    if trailer != 1 || mgf_hash != hash || hash == DigestAlgorithm::Sha1 || hash == DigestAlgorithm::Shake256 {
        return None;
    }
    Some(PssParams { hash, salt_len })
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
}
