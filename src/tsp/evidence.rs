//! Offline evidence (`kyso sign --embed-revocation`): CRLs added to a SignedData's `crls` field
//! (RFC 5652 §5.1, `RevocationInfoChoices`) so that a recipient can check revocation without
//! being given the CRLs. Like the CAdES-B-T upgrade, this works on the bytes: the SignerInfos and
//! everything else are copied as received, so no signature breaks (the `crls` field is not
//! covered by any signature).

use super::{malformed, TspError};
use crate::asn1;

/// Budget on CRLs in one SignedData: one per CA of the signer's path is what a verifier needs;
/// 32 is the verifier's own limit (`verify::MAX_CRLS`), so more would be ignored there anyway.
pub const MAX_EMBEDDED_CRLS: usize = 32;

/// Adds `crls` (DER CertificateLists) to the `crls` field of the DER/BER CMS SignedData `p7s`,
/// after the CRLs it already holds; a CRL already present (same bytes) is not added twice. The
/// result is DER at the outer layers (definite lengths), the inner values as received.
pub fn embed_crls(p7s: &[u8], crls: &[Vec<u8>]) -> Result<Vec<u8>, TspError> {
    embed_revocation(p7s, crls, &[])
}

/// Adds `crls` (DER CertificateLists) and `ocsps` (DER OCSPResponses, each as a
/// RevocationInfoChoice `other` with format id-ri-ocsp-response, RFC 5940 §4.1) to the `crls`
/// field of the DER/BER CMS SignedData `p7s`, after what it already holds; an item already
/// present is not added twice. Like [`embed_crls`], everything else is copied as received.
pub fn embed_revocation(p7s: &[u8], crls: &[Vec<u8>], ocsps: &[Vec<u8>]) -> Result<Vec<u8>, TspError> {
    let m = |e: asn1::Error| malformed("signature file", e);
    let ci = asn1::read_ber_all(asn1::without_padding(p7s)).map_err(m)?;
    if ci.tag != 0x30 {
        return Err(malformed("signature file", "not a CMS ContentInfo"));
    }
    let (ct, explicit) = match ci.children().map_err(m)?.as_slice() {
        [ct, ex] if ct.tag == 0x06 && ex.tag == 0xa0 => (*ct, *ex),
        _ => return Err(malformed("signature file", "not a CMS ContentInfo")),
    };
    let sd = match explicit.children().map_err(m)?.as_slice() {
        [sd] if sd.tag == 0x30 => *sd,
        _ => return Err(malformed("signature file", "bad SignedData wrapper")),
    };
    let fields = sd.children().map_err(m)?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    let (sis, head) = fields.split_last().ok_or_else(|| malformed("signature file", "empty SignedData"))?;
    if sis.tag != 0x31 || head.len() < 3 {
        return Err(malformed("signature file", "SignedData without SignerInfos"));
    }
    let mut present: Vec<&[u8]> = Vec::new();
    let mut before: Vec<&[u8]> = Vec::new();
    for f in head {
        if f.tag == 0xa1 {
            present.extend(f.children().map_err(m)?.iter().map(|c| c.raw));
        } else {
            before.push(f.raw);
        }
    }
    for c in crls {
        let t = asn1::read_ber_all(c).map_err(|e| malformed("CRL", e))?;
        if t.tag != 0x30 {
            return Err(malformed("CRL", "not a DER CertificateList"));
        }
        if !present.contains(&c.as_slice()) {
            present.push(c);
        }
    }
    let others: Vec<Vec<u8>> = ocsps
        .iter()
        .map(|r| {
            let t = asn1::read_all(r).map_err(|e| malformed("OCSP response", e))?;
            if t.tag != 0x30 {
                return Err(malformed("OCSP response", "not a DER OCSPResponse"));
            }
            // [1] IMPLICIT OtherRevocationInfoFormat { otherRevInfoFormat, otherRevInfo }
            Ok(asn1::tlv(0xa1, &[&asn1::tlv(0x06, &[crate::ocsp::OID_RI_OCSP_RESPONSE.as_bytes()]), r]))
        })
        .collect::<Result<_, TspError>>()?;
    for o in &others {
        if !present.contains(&o.as_slice()) {
            present.push(o);
        }
    }
    if present.len() > MAX_EMBEDDED_CRLS {
        return Err(TspError::TooLarge { what: "CRL count", size: present.len(), limit: MAX_EMBEDDED_CRLS });
    }
    // [1] IMPLICIT SET OF RevocationInfoChoice, DER order.
    let set = if present.is_empty() { Vec::new() } else { asn1::set_of(0xa1, &mut present) };
    let mut sd_parts = before;
    sd_parts.push(&set);
    sd_parts.push(sis.raw);
    let sd_der = asn1::tlv(0x30, &sd_parts);
    Ok(asn1::tlv(0x30, &[ct.raw, &asn1::tlv(0xa0, &[&sd_der])]))
}

/// The certificates a verifier needs to check a signature offline, for a PDF's /DSS: those of
/// the SignedData `p7s` (signer and chain) and those of each signature timestamp token (the
/// TSA's), DER, each once, in file order. Structure only: nothing is verified.
pub fn evidence_certificates(p7s: &[u8]) -> Result<Vec<Vec<u8>>, TspError> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut add = |certs: Vec<&[u8]>| {
        for c in certs {
            if !out.iter().any(|o| o.as_slice() == c) {
                out.push(c.to_vec());
            }
        }
    };
    add(signed_data_certificates(p7s)?);
    for signer in super::signature_timestamp_tokens(p7s)? {
        for token in &signer.tokens {
            add(signed_data_certificates(token)?);
        }
    }
    Ok(out)
}

/// The X.509 certificates (SEQUENCE choices) of a ContentInfo's SignedData `certificates` field.
fn signed_data_certificates(ci_der: &[u8]) -> Result<Vec<&[u8]>, TspError> {
    let m = |e: asn1::Error| malformed("signature file", e);
    let ci = asn1::read_ber_all(asn1::without_padding(ci_der)).map_err(m)?;
    if ci.tag != 0x30 {
        return Err(malformed("signature file", "not a CMS ContentInfo"));
    }
    let explicit = ci.children().map_err(m)?.get(1).copied().filter(|e| e.tag == 0xa0).ok_or_else(|| malformed("signature file", "no content"))?;
    let sd = explicit.children().map_err(m)?.first().copied().filter(|s| s.tag == 0x30).ok_or_else(|| malformed("signature file", "no SignedData"))?;
    let mut certs = Vec::new();
    for f in sd.children().map_err(m)? {
        if f.tag == 0xa0 {
            certs.extend(f.children().map_err(m)?.into_iter().filter(|c| c.tag == 0x30).map(|c| c.raw));
        }
    }
    Ok(certs)
}
