//! Byte-level assembly and splitting of detached SignedData, used by the signer.
//!
//! Signing many documents with one certificate repeats the same bytes (certificates, algorithm
//! identifiers, attribute templates) every time; building the DER by concatenating precomputed
//! encodings costs far less than building `cms` structures and encoding them. Adding a signer to
//! an existing signature must keep the other signers' bytes exactly as received (their
//! signatures cover them), so [`RawSignedData`] splits a DER SignedData into verbatim pieces
//! instead of decoding and re-encoding it. Headers, lengths and SET OF order come from
//! [`crate::asn1::write`]; elements are read with [`crate::asn1::read`].

use crate::asn1::{self, der_set_order, header_len, push_header, set_of, tlv, Tlv};
use crate::asn1::{TAG_CTX0, TAG_CTX1, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, TAG_SET};
use der::Encode;

/// Maximum number of certificates read from an existing signature. A path is at most ~5
/// certificates; two or three signers from different CAs stay far below 64.
pub const MAX_CERTIFICATES: usize = 64;
/// Maximum number of SignerInfos read from an existing signature: a document carries the
/// competent person's and the agency's signatures, sometimes a few more; 32 is generous.
pub const MAX_SIGNERS: usize = 32;
/// Maximum number of digest algorithms listed in an existing signature (there are only a
/// handful of digest algorithms).
pub const MAX_DIGEST_ALGORITHMS: usize = 16;

/// An Attribute (RFC 5652 §5.3) with one value: `SEQUENCE { OID, SET { value } }`.
pub fn attribute_der(attr_type: &der::asn1::ObjectIdentifier, value_der: &[u8]) -> der::Result<Vec<u8>> {
    let oid = attr_type.to_der()?;
    let set = tlv(TAG_SET, &[value_der]);
    Ok(tlv(TAG_SEQUENCE, &[&oid, &set]))
}

/// The `SignedData` version for the given SignerInfo versions (RFC 5652 §5.1) when the
/// content type is id-data and there are no attribute or other-format certificates or CRLs:
/// 3 if any SignerInfo is version 3, else 1.
pub fn signed_data_version(signer_versions: impl IntoIterator<Item = u8>) -> u8 {
    if signer_versions.into_iter().any(|v| v == 3) {
        3
    } else {
        1
    }
}

/// The pieces of a detached SignedData, to be joined by [`signed_data`].
pub struct SignedDataParts<'a> {
    /// CMSVersion.
    pub version: u8,
    /// DigestAlgorithmIdentifier TLVs.
    pub digest_algorithms: Vec<&'a [u8]>,
    /// The EncapsulatedContentInfo TLV.
    pub encap_content_info: &'a [u8],
    /// Certificate TLVs (CertificateChoices).
    pub certificates: Vec<&'a [u8]>,
    /// The `[1] crls` TLV as received, if any.
    pub crls: Option<&'a [u8]>,
    /// SignerInfo TLVs.
    pub signer_infos: Vec<&'a [u8]>,
}

/// `EncapsulatedContentInfo` of a detached id-data signature: `SEQUENCE { id-data }`.
pub const DETACHED_DATA_ECI: [u8; 13] = [0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
/// `OBJECT IDENTIFIER id-signedData`.
pub const ID_SIGNED_DATA_TLV: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// The SignedData contents before `signerInfos`: version, digestAlgorithms,
/// encapContentInfo (e.g. [`DETACHED_DATA_ECI`]), `[0] certificates` (if any) and `[1] crls`
/// (if any).
pub fn signed_data_prefix(
    version: u8,
    digest_algorithms: &mut [&[u8]],
    encap_content_info: &[u8],
    certificates: &mut [&[u8]],
    crls: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = vec![TAG_INTEGER, 0x01, version];
    out.extend_from_slice(&set_of(TAG_SET, digest_algorithms));
    out.extend_from_slice(encap_content_info);
    if !certificates.is_empty() {
        out.extend_from_slice(&set_of(TAG_CTX0, certificates));
    }
    if let Some(c) = crls {
        out.extend_from_slice(c);
    }
    out
}

/// `ContentInfo { id-signedData, [0] SignedData { prefix, SET OF signerInfos } }` where
/// `prefix` comes from [`signed_data_prefix`]. The SignerInfos are sorted here.
pub fn content_info(prefix: &[u8], signer_infos: &mut [&[u8]]) -> Vec<u8> {
    signer_infos.sort_by(|a, b| der_set_order(a, b));
    let si_len: usize = signer_infos.iter().map(|s| s.len()).sum();
    let sd_len = prefix.len() + header_len(si_len) + si_len;
    let explicit_len = header_len(sd_len) + sd_len;
    let ci_len = ID_SIGNED_DATA_TLV.len() + header_len(explicit_len) + explicit_len;
    let mut out = Vec::with_capacity(header_len(ci_len) + ci_len);
    push_header(&mut out, TAG_SEQUENCE, ci_len);
    out.extend_from_slice(&ID_SIGNED_DATA_TLV);
    push_header(&mut out, TAG_CTX0, explicit_len);
    push_header(&mut out, TAG_SEQUENCE, sd_len);
    out.extend_from_slice(prefix);
    push_header(&mut out, TAG_SET, si_len);
    for s in signer_infos.iter() {
        out.extend_from_slice(s);
    }
    out
}

/// Joins [`SignedDataParts`] into a DER ContentInfo.
pub fn signed_data(mut parts: SignedDataParts<'_>) -> Vec<u8> {
    let prefix = signed_data_prefix(
        parts.version,
        &mut parts.digest_algorithms,
        parts.encap_content_info,
        &mut parts.certificates,
        parts.crls,
    );
    content_info(&prefix, &mut parts.signer_infos)
}

/// Why an existing signature could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RawError {
    /// Not DER: indefinite or non-minimal lengths (BER), which must be normalised first.
    #[error("the signature is BER-encoded (indefinite or non-minimal lengths), not DER")]
    Ber,
    /// A wrong tag, trailing bytes or another structural problem.
    #[error("malformed CMS signature: {0}")]
    Malformed(&'static str),
    /// Not readable as DER elements (truncated, bad length…).
    #[error("malformed CMS signature: {0}")]
    Encoding(asn1::Error),
    /// Not a SignedData ContentInfo.
    #[error("not a CMS SignedData (content type {0})")]
    NotSignedData(String),
    /// The content type is not id-data.
    #[error("the signed content type is {0}, not id-data")]
    ContentType(String),
    /// More elements than the budget allows.
    #[error("too many {what} in the signature (limit {limit})")]
    TooMany {
        /// Which elements.
        what: &'static str,
        /// The budget.
        limit: usize,
    },
}

/// Reads one DER element from the front of `input`; returns it and the rest. Indefinite and
/// non-minimal lengths are [`RawError::Ber`].
fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), RawError> {
    asn1::read(input).map_err(|e| match e {
        asn1::Error::IndefiniteLength | asn1::Error::NonMinimalLength => RawError::Ber,
        e => RawError::Encoding(e),
    })
}

/// Reads one TLV with the expected tag.
fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(Tlv<'a>, &'a [u8]), RawError> {
    let (t, rest) = read_tlv(input)?;
    if t.tag != tag {
        return Err(RawError::Malformed(what));
    }
    Ok((t, rest))
}

/// Every TLV inside `contents`, at most `limit` of them.
fn elements<'a>(mut contents: &'a [u8], what: &'static str, limit: usize) -> Result<Vec<Tlv<'a>>, RawError> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        if out.len() == limit {
            return Err(RawError::TooMany { what, limit });
        }
        let (t, rest) = read_tlv(contents)?;
        out.push(t);
        contents = rest;
    }
    Ok(out)
}

/// The issuer Name and serialNumber INTEGER of a DER certificate, as encoded in it (complete
/// TLVs). Used to build `issuerAndSerialNumber` and ESS `IssuerSerial` from the certificate's own
/// bytes rather than a re-encoding.
pub fn issuer_and_serial(cert: &[u8]) -> Result<(&[u8], &[u8]), RawError> {
    let (c, _) = expect(cert, TAG_SEQUENCE, "certificate is not a SEQUENCE")?;
    let (tbs, _) = expect(c.body, TAG_SEQUENCE, "tbsCertificate is not a SEQUENCE")?;
    let (mut t, mut rest) = read_tlv(tbs.body)?;
    if t.tag == TAG_CTX0 {
        (t, rest) = read_tlv(rest)?;
    }
    if t.tag != TAG_INTEGER {
        return Err(RawError::Malformed("certificate serialNumber is not an INTEGER"));
    }
    let serial = t.raw;
    let (_signature, rest) = expect(rest, TAG_SEQUENCE, "certificate signature algorithm is not a SEQUENCE")?;
    let (issuer, _) = expect(rest, TAG_SEQUENCE, "certificate issuer is not a SEQUENCE")?;
    Ok((issuer.raw, serial))
}

/// A DER detached SignedData split into verbatim pieces.
#[derive(Debug, Clone)]
pub struct RawSignedData<'a> {
    /// CMSVersion.
    pub version: u8,
    /// DigestAlgorithmIdentifier TLVs.
    pub digest_algorithms: Vec<Tlv<'a>>,
    /// The EncapsulatedContentInfo TLV.
    pub encap_content_info: Tlv<'a>,
    /// The encapsulated content's octets, when the signature is not detached.
    pub econtent: Option<&'a [u8]>,
    /// CertificateChoices TLVs.
    pub certificates: Vec<Tlv<'a>>,
    /// The `[1] crls` TLV, if present.
    pub crls: Option<Tlv<'a>>,
    /// SignerInfo TLVs.
    pub signer_infos: Vec<Tlv<'a>>,
}

impl<'a> RawSignedData<'a> {
    /// Splits a DER `ContentInfo` holding an id-data SignedData (detached, or with the content
    /// encapsulated). Trailing bytes and other content types are refused.
    pub fn parse(der: &'a [u8]) -> Result<RawSignedData<'a>, RawError> {
        let (ci, rest) = expect(der, TAG_SEQUENCE, "ContentInfo is not a SEQUENCE")?;
        if !rest.is_empty() {
            return Err(RawError::Malformed("trailing bytes after the ContentInfo"));
        }
        let (ct, rest) = expect(ci.body, TAG_OID, "ContentInfo content type is not an OID")?;
        if ct.raw != ID_SIGNED_DATA_TLV {
            return Err(RawError::NotSignedData(oid_string(&ct)));
        }
        let (explicit, rest) = expect(rest, TAG_CTX0, "ContentInfo content is not [0]")?;
        if !rest.is_empty() {
            return Err(RawError::Malformed("trailing bytes in the ContentInfo"));
        }
        let (sd, rest) = expect(explicit.body, TAG_SEQUENCE, "SignedData is not a SEQUENCE")?;
        if !rest.is_empty() {
            return Err(RawError::Malformed("trailing bytes after the SignedData"));
        }
        let (ver, rest) = expect(sd.body, TAG_INTEGER, "SignedData version is not an INTEGER")?;
        let version = match ver.body {
            [v @ (1 | 3 | 4 | 5)] => *v,
            _ => return Err(RawError::Malformed("unsupported SignedData version")),
        };
        let (das, rest) = expect(rest, TAG_SET, "digestAlgorithms is not a SET")?;
        let digest_algorithms = elements(das.body, "digest algorithms", MAX_DIGEST_ALGORITHMS)?;
        let (eci, mut rest) = expect(rest, TAG_SEQUENCE, "encapContentInfo is not a SEQUENCE")?;
        let (ect, eci_rest) = expect(eci.body, TAG_OID, "eContentType is not an OID")?;
        if *ect.raw != DETACHED_DATA_ECI[2..] {
            return Err(RawError::ContentType(oid_string(&ect)));
        }
        let econtent = if eci_rest.is_empty() {
            None
        } else {
            let (explicit, after) = expect(eci_rest, TAG_CTX0, "eContent is not [0]")?;
            let (octets, inner_after) = expect(explicit.body, TAG_OCTET_STRING, "eContent is not an OCTET STRING")?;
            if !after.is_empty() || !inner_after.is_empty() {
                return Err(RawError::Malformed("trailing bytes in encapContentInfo"));
            }
            Some(octets.body)
        };
        let mut certificates = Vec::new();
        let mut crls = None;
        let (mut t, mut after) = read_tlv(rest)?;
        if t.tag == TAG_CTX0 {
            certificates = elements(t.body, "certificates", MAX_CERTIFICATES)?;
            rest = after;
            (t, after) = read_tlv(rest)?;
        }
        if t.tag == TAG_CTX1 {
            crls = Some(t);
            rest = after;
            (t, after) = read_tlv(rest)?;
        }
        let _ = rest;
        if t.tag != TAG_SET {
            return Err(RawError::Malformed("signerInfos is not a SET"));
        }
        if !after.is_empty() {
            return Err(RawError::Malformed("trailing bytes after signerInfos"));
        }
        let signer_infos = elements(t.body, "signers", MAX_SIGNERS)?;
        Ok(RawSignedData { version, digest_algorithms, encap_content_info: eci, econtent, certificates, crls, signer_infos })
    }
}

fn oid_string(t: &Tlv<'_>) -> String {
    t.decode::<der::asn1::ObjectIdentifier>().map(|o| o.to_string()).unwrap_or_else(|_| "(malformed)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_and_garbage_are_errors_not_panics() {
        assert_eq!(read_tlv(&[0x30, 0x80, 0, 0]).unwrap_err(), RawError::Ber);
        assert_eq!(read_tlv(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]).unwrap_err(), RawError::Ber);
        assert_eq!(read_tlv(&[0x30, 0x82, 0x00, 0x85]).unwrap_err(), RawError::Ber);
        assert_eq!(read_tlv(&[0x30, 0x05, 0]).unwrap_err(), RawError::Encoding(asn1::Error::Truncated));
        assert_eq!(read_tlv(&[]).unwrap_err(), RawError::Encoding(asn1::Error::Truncated));
        assert!(matches!(RawSignedData::parse(&[0x30, 0x00]).unwrap_err(), RawError::Encoding(_)));
        for cut in 0..40 {
            let v: Vec<u8> = (0..cut).map(|i| (i * 37 % 251) as u8).collect();
            let _ = RawSignedData::parse(&v);
        }
    }
}
