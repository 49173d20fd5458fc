//! CAdES-B-T: a signature timestamp (id-aa-signatureTimeStampToken, RFC 3161 appendix A,
//! ETSI EN 319 122-1 §5.3) added as an unsigned attribute over each SignerInfo's signature value.
//!
//! The upgrade works on the bytes: every part of the SignedData other than the SignerInfos set is
//! copied as received (certificates, CRLs, encapsulated content, and in each SignerInfo everything
//! up to the signature value), so no signature breaks. The changed SignerInfos get a DER
//! unsignedAttrs SET, the SignerInfos SET is re-sorted (DER), and the enclosing lengths are
//! rewritten (definite). BER input (indefinite lengths, `openssl cms -sign -stream`) is accepted:
//! its outer layers become definite-length, the inner values stay as they were.

use super::verify::{self, TimestampInfo, TokenCheck};
use super::{fetch_token, malformed, Imprint, TspError, TsaClient};
use crate::asn1;
use crate::alg::{oid, DigestAlgorithm};
use der::Encode;

/// Budget on SignerInfos timestamped in one file: each costs a network round trip; a document
/// carries two or three signatures (person, agency), so 64 is generous.
const MAX_SIGNERS: usize = 64;

/// The result of [`add_signature_timestamp`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimestampedSignature {
    /// The new signature file (DER).
    pub p7s: Vec<u8>,
    /// One entry per SignerInfo timestamped now, in the order of the input file.
    pub timestamps: Vec<TimestampInfo>,
    /// SignerInfos left alone because they already had a signature timestamp.
    pub already_timestamped: usize,
}

/// The imprint a signature timestamp covers: the digest of the SignerInfo's signature value
/// (the OCTET STRING's contents), ETSI EN 319 122-1 §5.3.
pub fn signature_imprint(algorithm: DigestAlgorithm, signature_value: &[u8]) -> Imprint {
    Imprint::of(algorithm, signature_value)
}

/// For a signer (`kyso sign --tsa`): fetches a signature timestamp over `signature_value` (SHA-256
/// imprint, fresh nonce, certReq) from `client` and checks it under `check` (the nonce of this
/// request is checked; `check.nonce` is ignored) before returning it. The token's DER is the value
/// of the unsigned attribute id-aa-signatureTimeStampToken (`alg::oid::ATTR_SIGNATURE_TIMESTAMP`).
pub fn timestamp_signature(client: &dyn TsaClient, signature_value: &[u8], check: &TokenCheck<'_>) -> Result<(Vec<u8>, TimestampInfo), TspError> {
    let imprint = signature_imprint(DigestAlgorithm::Sha256, signature_value);
    let token = fetch_token(client, &imprint)?;
    let info = verify::verify_token_with(&token, &imprint, &TokenCheck { nonce: None, ..*check })?;
    Ok((token, info))
}

/// Adds a signature timestamp (SHA-256 imprint of the signature value) to every SignerInfo of the
/// DER/BER CMS SignedData `p7s` that has none yet. Each token is fetched from `client` with a
/// fresh nonce and checked with [`verify::verify_token_with`] under `check` (its `nonce` field is
/// ignored: the nonce of each request is checked instead) before it is embedded.
///
/// Fails with [`TspError::AlreadyTimestamped`] when every SignerInfo already has one.
pub fn add_signature_timestamp(p7s: &[u8], client: &dyn TsaClient, check: &TokenCheck<'_>) -> Result<TimestampedSignature, TspError> {
    let m = |e: asn1::Error| malformed("signature file", e);
    let ci = asn1::read_ber_all(asn1::without_padding(p7s)).map_err(m)?;
    if ci.tag != 0x30 {
        return Err(malformed("signature file", "not a CMS ContentInfo"));
    }
    let ci_children = ci.children().map_err(m)?;
    let (ct, explicit) = match ci_children.as_slice() {
        [ct, ex] if ct.tag == 0x06 && ex.tag == 0xa0 => (*ct, *ex),
        _ => return Err(malformed("signature file", "not a CMS ContentInfo")),
    };
    let signed_data_oid = oid::CT_SIGNED_DATA.to_der().map_err(|e| malformed("signature file", e))?;
    if ct.raw != signed_data_oid.as_slice() {
        return Err(malformed("signature file", "the content is not SignedData"));
    }
    let sd = match explicit.children().map_err(m)?.as_slice() {
        [sd] if sd.tag == 0x30 => *sd,
        _ => return Err(malformed("signature file", "bad SignedData wrapper")),
    };
    let sd_children = sd.children().map_err(m)?;
    let (sis, head) = sd_children.split_last().ok_or_else(|| malformed("signature file", "empty SignedData"))?;
    if sis.tag != 0x31 || head.len() < 3 {
        return Err(malformed("signature file", "SignedData without SignerInfos"));
    }
    let signer_infos = sis.children().map_err(m)?;
    if signer_infos.is_empty() {
        return Err(malformed("signature file", "no SignerInfo"));
    }
    if signer_infos.len() > MAX_SIGNERS {
        return Err(TspError::TooLarge { what: "SignerInfo count", size: signer_infos.len(), limit: MAX_SIGNERS });
    }
    let ts_oid = oid::ATTR_SIGNATURE_TIMESTAMP.to_der().map_err(|e| malformed("signature file", e))?;

    let mut new_infos = Vec::with_capacity(signer_infos.len());
    let mut timestamps = Vec::new();
    let mut already = 0;
    for si in &signer_infos {
        if si.tag != 0x30 {
            return Err(malformed("signature file", "a SignerInfo is not a SEQUENCE"));
        }
        let fields = si.children().map_err(m)?;
        // version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1]?
        let sig_idx = fields
            .iter()
            .enumerate()
            .skip(3)
            .find(|(_, f)| f.tag == 0x04)
            .map(|(i, _)| i)
            .ok_or_else(|| malformed("signature file", "a SignerInfo has no signature value"))?;
        let signature = fields.get(sig_idx).map(|f| f.body).unwrap_or(&[]);
        let unsigned = match fields.get(sig_idx + 1..).unwrap_or(&[]) {
            [] => Vec::new(),
            [u] if u.tag == 0xa1 => u.children().map_err(m)?,
            _ => return Err(malformed("signature file", "unexpected fields after a signature value")),
        };
        let has_ts = unsigned.iter().any(|a| {
            a.children().ok().and_then(|c| c.first().map(|o| o.raw == ts_oid.as_slice())).unwrap_or(false)
        });
        if has_ts {
            already += 1;
            new_infos.push(si.raw.to_vec());
            continue;
        }
        let (token, info) = timestamp_signature(client, signature, check)?;
        timestamps.push(info);

        let attr = asn1::tlv(0x30, &[&ts_oid, &asn1::tlv(0x31, &[&token])]);
        let mut attrs: Vec<&[u8]> = unsigned.iter().map(|a| a.raw).collect();
        attrs.push(&attr);
        // [1] IMPLICIT SET OF Attribute, DER order.
        let unsigned_set = asn1::set_of(0xa1, &mut attrs);
        let mut parts: Vec<&[u8]> = fields.get(..=sig_idx).unwrap_or(&[]).iter().map(|f| f.raw).collect();
        parts.push(&unsigned_set);
        new_infos.push(asn1::tlv(0x30, &parts));
    }
    if timestamps.is_empty() {
        return Err(TspError::AlreadyTimestamped);
    }
    let mut infos: Vec<&[u8]> = new_infos.iter().map(Vec::as_slice).collect();
    let signer_infos = asn1::set_of(0x31, &mut infos);
    let mut sd_parts: Vec<&[u8]> = head.iter().map(|f| f.raw).collect();
    sd_parts.push(&signer_infos);
    let sd_der = asn1::tlv(0x30, &sd_parts);
    let out = asn1::tlv(0x30, &[ct.raw, &asn1::tlv(0xa0, &[&sd_der])]);
    Ok(TimestampedSignature { p7s: out, timestamps, already_timestamped: already })
}

/// Verifies a signature timestamp token found in a SignerInfo's unsignedAttrs against that
/// SignerInfo's signature value, using the imprint algorithm the token states (SHA-256/384/512),
/// then everything [`verify::verify_token_with`] checks under `check`.
pub fn verify_signature_timestamp(token_der: &[u8], signature_value: &[u8], check: &TokenCheck<'_>) -> Result<TimestampInfo, TspError> {
    let alg = imprint_algorithm(token_der, check.policy)?;
    verify::verify_token_with(token_der, &signature_imprint(alg, signature_value), check)
}

/// The digest algorithm a token's imprint uses, if the algorithm policy allows it (SHA-1 only
/// under the legacy policy, as for signatures).
pub(crate) fn imprint_algorithm(token_der: &[u8], policy: crate::alg::Policy) -> Result<DigestAlgorithm, TspError> {
    use crate::findings::{Finding, SubIndication};
    let tst = verify::decode_tst_info(token_der)?;
    let oid = tst.message_imprint.hash_algorithm.oid;
    let refuse = |finding| TspError::Invalid(Box::new(super::TokenFailure { finding, sub_indication: SubIndication::CryptoConstraintsFailure, claimed: None }));
    match DigestAlgorithm::from_oid(&oid) {
        None => Err(refuse(Finding::ImprintAlgorithmUnsupported { oid })),
        Some(DigestAlgorithm::Sha1) if policy == crate::alg::Policy::Strict => Err(refuse(Finding::ImprintSha1Refused)),
        Some(a) => Ok(a),
    }
}

/// One SignerInfo's signature value and the signature timestamp tokens found in its
/// unsignedAttrs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignerTimestamps {
    /// The SignerInfo's signature value (the OCTET STRING's contents).
    pub signature_value: Vec<u8>,
    /// The DER tokens of its id-aa-signatureTimeStampToken attributes, in file order.
    pub tokens: Vec<Vec<u8>>,
}

/// The signature timestamp tokens of each SignerInfo of a DER/BER SignedData, in file order.
/// Structure only: nothing is verified (see [`verify_signature_timestamp`]).
pub fn signature_timestamp_tokens(p7s: &[u8]) -> Result<Vec<SignerTimestamps>, TspError> {
    let m = |e: asn1::Error| malformed("signature file", e);
    let ci = asn1::read_ber_all(asn1::without_padding(p7s)).map_err(m)?;
    let explicit = ci.children().map_err(m)?.get(1).copied().ok_or_else(|| malformed("signature file", "no content"))?;
    let sd = explicit.children().map_err(m)?.first().copied().ok_or_else(|| malformed("signature file", "no SignedData"))?;
    let sis = sd.children().map_err(m)?.last().copied().ok_or_else(|| malformed("signature file", "no SignerInfos"))?;
    let ts_oid = oid::ATTR_SIGNATURE_TIMESTAMP.to_der().map_err(|e| malformed("signature file", e))?;
    let mut out = Vec::new();
    for si in sis.children().map_err(m)? {
        let fields = si.children().map_err(m)?;
        let sig_idx = fields.iter().enumerate().skip(3).find(|(_, f)| f.tag == 0x04).map(|(i, _)| i);
        let Some(sig_idx) = sig_idx else { return Err(malformed("signature file", "a SignerInfo has no signature value")) };
        let sig = fields.get(sig_idx).map(|f| f.body.to_vec()).unwrap_or_default();
        let mut tokens = Vec::new();
        if let Some(u) = fields.get(sig_idx + 1).filter(|u| u.tag == 0xa1) {
            for a in u.children().map_err(m)? {
                let c = a.children().map_err(m)?;
                if c.first().map(|o| o.raw) == Some(ts_oid.as_slice()) {
                    if let Some(set) = c.get(1) {
                        for t in set.children().map_err(m)? {
                            tokens.push(t.raw.to_vec());
                        }
                    }
                }
            }
        }
        out.push(SignerTimestamps { signature_value: sig, tokens });
    }
    Ok(out)
}
