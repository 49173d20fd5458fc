//! Walking a CMS SignedData (RFC 5652 §5) over the received DER bytes, keeping every SignerInfo
//! and its signed attributes exactly as received.
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE {
//!   version CMSVersion, digestAlgorithms SET OF DigestAlgorithmIdentifier,
//!   encapContentInfo EncapsulatedContentInfo,
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE {
//!   version CMSVersion, sid SignerIdentifier, digestAlgorithm DigestAlgorithmIdentifier,
//!   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
//!   signatureAlgorithm SignatureAlgorithmIdentifier, signature SignatureValue,
//!   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
//! SignerIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber,
//!   subjectKeyIdentifier [0] SubjectKeyIdentifier }
//! ```

use crate::asn1::{self as der, Error as DerError, Tlv};
use super::{MAX_ATTRIBUTES, MAX_CERTIFICATES, MAX_CRLS, MAX_SIGNERS};
use crate::findings::{Element, FormatKind, FormatProblem};

/// id-signedData, encoded.
const OID_SIGNED_DATA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// The parts of a SignedData the verifier uses.
#[derive(Debug)]
pub(crate) struct SignedDataParts<'a> {
    pub certificates: Vec<&'a [u8]>,
    pub crls: Vec<&'a [u8]>,
    /// OCSPResponses of RevocationInfoChoices `other` with format id-ri-ocsp-response (RFC 5940).
    pub ocsps: Vec<&'a [u8]>,
    pub signers: Vec<&'a [u8]>,
    /// The OIDs (TLVs) listed in digestAlgorithms.
    pub digest_algorithms: Vec<&'a [u8]>,
    /// eContentType as received (OID TLV).
    pub econtent_type: &'a [u8],
    /// eContent, when present (an attached signature, e.g. `openssl cms -sign -stream`).
    pub econtent: Option<&'a [u8]>,
}

/// The kind of a DER/BER layer error.
pub(crate) fn der_kind(err: DerError) -> FormatKind {
    match err {
        DerError::Truncated => FormatKind::Truncated,
        DerError::TrailingData => FormatKind::TrailingData,
        DerError::Empty => FormatKind::Empty,
        DerError::IndefiniteLength | DerError::IndefinitePrimitive => FormatKind::IndefiniteLength,
        DerError::NonMinimalLength => FormatKind::NonMinimalLength,
        DerError::BadLength => FormatKind::LengthOverflow,
        DerError::HighTagNumber => FormatKind::HighTagNumber,
        DerError::TooComplex => FormatKind::TooDeep,
        DerError::TooMany { limit, .. } => FormatKind::TooMany { limit },
        DerError::UnexpectedTag { .. } | DerError::NotConstructed => FormatKind::UnexpectedTag,
        _ => FormatKind::NotRecognised,
    }
}

/// A structural problem in `element`.
fn p(element: Element, kind: FormatKind) -> FormatProblem {
    FormatProblem::new(element, kind)
}

fn e(element: Element) -> impl Fn(DerError) -> FormatProblem {
    move |err| FormatProblem::new(element, der_kind(err))
}


/// Walks a DER ContentInfo holding a SignedData.
pub(crate) fn parse(bytes: &[u8]) -> Result<SignedDataParts<'_>, FormatProblem> {
    let ci = der::read_all(bytes).map_err(e(Element::ContentInfo))?;
    if ci.tag != 0x30 {
        return Err(p(Element::ContentInfo, FormatKind::NotRecognised));
    }
    let (ct, rest) = der::expect(ci.body, 0x06, "contentType").map_err(e(Element::ContentInfo))?;
    if ct.raw != OID_SIGNED_DATA {
        return Err(p(Element::ContentInfo, FormatKind::WrongContentType));
    }
    let content = der::read_all(rest).map_err(e(Element::ContentInfo))?;
    if content.tag != 0xa0 {
        return Err(p(Element::ContentInfo, FormatKind::UnexpectedTag));
    }
    let sd = der::read_all(content.body).map_err(e(Element::SignedData))?;
    if sd.tag != 0x30 {
        return Err(p(Element::SignedData, FormatKind::UnexpectedTag));
    }
    let (version, rest) = der::expect(sd.body, 0x02, "version").map_err(e(Element::SignedData))?;
    match der::small_uint(&version) {
        Some(1 | 3 | 4 | 5) => {}
        _ => return Err(p(Element::SignedData, FormatKind::UnknownVersion)),
    }
    let (digest_algs, rest) = der::expect(rest, 0x31, "digestAlgorithms").map_err(e(Element::DigestAlgorithms))?;
    let mut digest_algorithms = Vec::new();
    for a in der::children(digest_algs.body, MAX_SIGNERS, "too many digest algorithms").map_err(e(Element::DigestAlgorithms))? {
        let (oid, _) = der::expect(a.body, 0x06, "digest algorithm OID").map_err(e(Element::DigestAlgorithms))?;
        digest_algorithms.push(oid.raw);
    }
    let (eci, mut rest) = der::expect(rest, 0x30, "encapContentInfo").map_err(e(Element::EncapContentInfo))?;
    let (econtent_type, eci_rest) = der::expect(eci.body, 0x06, "eContentType").map_err(e(Element::EncapContentInfo))?;
    let mut econtent = None;
    if !eci_rest.is_empty() {
        let ec = der::read_all(eci_rest).map_err(e(Element::EContent))?;
        if ec.tag != 0xa0 {
            return Err(p(Element::EContent, FormatKind::UnexpectedTag));
        }
        let octets = der::read_all(ec.body).map_err(e(Element::EContent))?;
        if octets.tag != 0x04 {
            return Err(p(Element::EContent, FormatKind::UnexpectedTag));
        }
        econtent = Some(octets.body);
    }
    let mut certificates = Vec::new();
    let mut crls = Vec::new();
    let mut ocsps = Vec::new();
    let (mut next, mut after) = der::read(rest).map_err(e(Element::SignedData))?;
    if next.tag == 0xa0 {
        for c in der::children(next.body, MAX_CERTIFICATES, "too many certificates").map_err(e(Element::Certificates))? {
            // Other CertificateChoices (attribute certificates, other formats) are skipped.
            if c.tag == 0x30 {
                certificates.push(c.raw);
            }
        }
        rest = after;
        (next, after) = der::read(rest).map_err(e(Element::SignedData))?;
    }
    if next.tag == 0xa1 {
        for c in der::children(next.body, MAX_CRLS, "too many CRLs").map_err(e(Element::Crls))? {
            // RevocationInfoChoice: CertificateList, or [1] OtherRevocationInfoFormat: an OCSP
            // response (id-ri-ocsp-response) is kept, other formats are skipped.
            if c.tag == 0x30 {
                crls.push(c.raw);
            } else if c.tag == 0xa1 {
                if let Ok((fmt, info)) = der::expect(c.body, 0x06, "otherRevInfoFormat") {
                    if fmt.body == crate::ocsp::OID_RI_OCSP_RESPONSE.as_bytes() {
                        if let Ok(r) = der::read_all(info) {
                            ocsps.push(r.raw);
                        }
                    }
                }
            }
        }
        rest = after;
        (next, after) = der::read(rest).map_err(e(Element::SignedData))?;
    }
    let _ = rest;
    if next.tag != 0x31 {
        return Err(p(Element::SignerInfos, FormatKind::Missing));
    }
    if !after.is_empty() {
        return Err(p(Element::SignedData, FormatKind::TrailingData));
    }
    let signers = der::children(next.body, MAX_SIGNERS, "too many SignerInfos")
        .map_err(e(Element::SignerInfos))?
        .into_iter()
        .map(|t| t.raw)
        .collect();
    Ok(SignedDataParts { certificates, crls, ocsps, signers, digest_algorithms, econtent_type: econtent_type.raw, econtent })
}

/// How a SignerInfo names its certificate.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sid<'a> {
    /// Issuer Name (full TLV) and serial number (INTEGER contents).
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// subjectKeyIdentifier value.
    Ski(&'a [u8]),
}

/// A SignerInfo's parts as received.
#[derive(Debug)]
pub(crate) struct SignerParts<'a> {
    pub sid: Sid<'a>,
    /// digestAlgorithm contents.
    pub digest_alg: &'a [u8],
    /// signedAttrs as received (\[0\] IMPLICIT tag), if present.
    pub signed_attrs: Option<Tlv<'a>>,
    /// signatureAlgorithm contents.
    pub sig_alg: &'a [u8],
    pub signature: &'a [u8],
}

/// Walks one SignerInfo.
pub(crate) fn parse_signer(raw: &[u8]) -> Result<SignerParts<'_>, FormatProblem> {
    let si = der::read_all(raw).map_err(e(Element::SignerInfo))?;
    if si.tag != 0x30 {
        return Err(p(Element::SignerInfo, FormatKind::UnexpectedTag));
    }
    let (version, rest) = der::expect(si.body, 0x02, "version").map_err(e(Element::SignerInfo))?;
    let version = der::small_uint(&version);
    let (sid_tlv, rest) = der::read(rest).map_err(e(Element::Sid))?;
    let sid = match (sid_tlv.tag, version) {
        (0x30, Some(1)) => {
            let (issuer, r) = der::expect(sid_tlv.body, 0x30, "issuer").map_err(e(Element::Sid))?;
            let serial = der::read_all(r).map_err(e(Element::Sid))?;
            if serial.tag != 0x02 {
                return Err(p(Element::Sid, FormatKind::UnexpectedTag));
            }
            Sid::IssuerSerial { issuer: issuer.raw, serial: serial.body }
        }
        (0x80, Some(3)) => Sid::Ski(sid_tlv.body),
        (_, Some(1 | 3)) => return Err(p(Element::Sid, FormatKind::UnknownVersion)),
        _ => return Err(p(Element::SignerInfo, FormatKind::UnknownVersion)),
    };
    let (digest_alg, rest) = der::expect(rest, 0x30, "digestAlgorithm").map_err(e(Element::DigestAlgorithm))?;
    let (next, mut rest) = der::read(rest).map_err(e(Element::SignerInfo))?;
    let (signed_attrs, sig_alg) = if next.tag == 0xa0 {
        let (alg, r) = der::expect(rest, 0x30, "signatureAlgorithm").map_err(e(Element::SignatureAlgorithm))?;
        rest = r;
        (Some(next), alg)
    } else if next.tag == 0x30 {
        (None, next)
    } else {
        return Err(p(Element::SignatureAlgorithm, FormatKind::Missing));
    };
    let (sig, rest) = der::expect(rest, 0x04, "signature").map_err(e(Element::Signature))?;
    if !rest.is_empty() {
        let unsigned = der::read_all(rest).map_err(e(Element::UnsignedAttributes))?;
        if unsigned.tag != 0xa1 {
            return Err(p(Element::SignerInfo, FormatKind::TrailingData));
        }
    }
    Ok(SignerParts { sid, digest_alg: digest_alg.body, signed_attrs, sig_alg: sig_alg.body, signature: sig.body })
}

/// One signed attribute: its type (OID TLV) and values (element TLVs).
#[derive(Debug)]
pub(crate) struct Attr<'a> {
    pub oid: &'a [u8],
    pub values: Vec<Tlv<'a>>,
}

/// The attributes of a signedAttrs element.
pub(crate) fn attributes<'a>(signed_attrs: &Tlv<'a>) -> Result<Vec<Attr<'a>>, FormatProblem> {
    let mut out = Vec::new();
    for a in der::children(signed_attrs.body, MAX_ATTRIBUTES, "too many signed attributes").map_err(e(Element::SignedAttributes))? {
        if a.tag != 0x30 {
            return Err(p(Element::SignedAttributes, FormatKind::UnexpectedTag));
        }
        let (oid, r) = der::expect(a.body, 0x06, "attrType").map_err(e(Element::SignedAttributes))?;
        let set = der::read_all(r).map_err(e(Element::SignedAttributes))?;
        if set.tag != 0x31 {
            return Err(p(Element::SignedAttributes, FormatKind::UnexpectedTag));
        }
        let values = der::children(set.body, MAX_ATTRIBUTES, "too many attribute values").map_err(e(Element::SignedAttributes))?;
        out.push(Attr { oid: oid.raw, values });
    }
    Ok(out)
}
