//! CRLs (RFC 5280 §5): parsed once, then checked before use for each certificate of a path —
//! issuer name, signature with the issuer's key, the issuer's cRLSign bit, scope, freshness.
//!
//! Not supported (such a CRL is "not usable", never silently trusted): delta CRLs, indirect
//! CRLs, CRLs partitioned by reason (onlySomeReasons), attribute-certificate CRLs, unknown
//! critical CRL or entry extensions.

use crate::asn1 as der;
use crate::cms::algs;
use crate::alg::Policy;
use crate::findings::{CrlProblem, Element, FormatKind, FormatProblem, Name};
use std::collections::HashMap;
use x509_parser::prelude::*;

/// Limit on entries in one CRL. A provincial CA revokes a few thousand certificates over its
/// life; large national CAs publish CRLs with a few hundred thousand. One million bounds the
/// memory and time an attacker-supplied CRL can cost (each entry ~100 bytes → ≤ 100 MB input,
/// itself capped by the input size limit).
pub const MAX_CRL_ENTRIES: usize = 1_000_000;

/// A revoked entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revoked {
    /// revocationDate, Unix seconds.
    pub date: i64,
    /// CRLReason code, when present.
    pub reason: Option<u8>,
}

/// A parsed CRL.
#[derive(Debug, Clone)]
pub(crate) struct Crl {
    /// Issuer Name as received (full TLV).
    pub issuer: Vec<u8>,
    /// Issuer, for the report.
    pub issuer_name: Name,
    /// tbsCertList as received.
    pub tbs: Vec<u8>,
    /// signatureAlgorithm contents.
    pub sig_alg: Vec<u8>,
    /// signatureValue bits.
    pub signature: Vec<u8>,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// Revoked serials (INTEGER contents) → entry.
    pub revoked: HashMap<Vec<u8>, Revoked>,
    /// onlyContainsUserCerts / onlyContainsCACerts from the issuingDistributionPoint.
    pub only_user: bool,
    /// See `only_user`.
    pub only_ca: bool,
    /// Why the CRL can never be used, if so.
    pub unusable: Option<CrlProblem>,
}

/// Parses one DER CRL.
pub(crate) fn parse(bytes: &[u8]) -> Result<Crl, CrlProblem> {
    let bad = |kind| CrlProblem::Malformed(FormatProblem::new(Element::Crl, kind));
    let der_bad = |e| bad(crate::cms::signed_data::der_kind(e));
    // Raw parts for signature verification over the bytes as received.
    let top = der::read_all(bytes).map_err(der_bad)?;
    let (tbs, rest) = der::expect(top.body, 0x30, "tbsCertList").map_err(der_bad)?;
    let (alg, rest) = der::expect(rest, 0x30, "signatureAlgorithm").map_err(der_bad)?;
    let sig = der::read_all(rest).map_err(der_bad)?;
    if sig.tag != 0x03 || sig.body.first() != Some(&0) {
        return Err(bad(FormatKind::InvalidValue));
    }
    let (_, crl) = parse_x509_crl(bytes).map_err(|_| bad(FormatKind::InvalidValue))?;
    if crl.tbs_cert_list.revoked_certificates.len() > MAX_CRL_ENTRIES {
        return Err(CrlProblem::TooManyEntries { limit: MAX_CRL_ENTRIES });
    }
    let mut unusable = None;
    let (mut only_user, mut only_ca) = (false, false);
    let mut has_number = false;
    for ext in crl.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::IssuingDistributionPoint(idp) => {
                only_user = idp.only_contains_user_certs;
                only_ca = idp.only_contains_ca_certs;
                if idp.indirect_crl {
                    unusable = Some(CrlProblem::Indirect);
                } else if idp.only_some_reasons.is_some() {
                    unusable = Some(CrlProblem::OnlySomeReasons);
                } else if idp.only_contains_attribute_certs {
                    unusable = Some(CrlProblem::AttributeCertificates);
                }
            }
            _ if ext.oid.to_id_string() == "2.5.29.27" => unusable = Some(CrlProblem::Delta),
            ParsedExtension::CRLNumber(_) => {
                has_number = true;
                if ext.critical {
                    unusable = Some(CrlProblem::CrlNumberCritical);
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(_) => {}
            _ if ext.critical => unusable = Some(CrlProblem::UnknownCriticalExtension { oid: ext.oid.to_id_string() }),
            _ => {}
        }
    }
    if !has_number && unusable.is_none() {
        // RFC 5280 §5.2.3: conforming CRL issuers MUST include the CRL number.
        unusable = Some(CrlProblem::NoCrlNumber);
    }
    let mut revoked = HashMap::with_capacity(crl.tbs_cert_list.revoked_certificates.len());
    for r in crl.iter_revoked_certificates() {
        let mut reason = None;
        for ext in r.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::ReasonCode(c) => reason = Some(c.0),
                ParsedExtension::InvalidityDate(_) => {}
                _ if ext.critical => {
                    unusable = Some(CrlProblem::UnknownCriticalEntryExtension { oid: ext.oid.to_id_string() });
                }
                _ => {}
            }
        }
        revoked.insert(r.raw_serial().to_vec(), Revoked { date: r.revocation_date.timestamp(), reason });
    }
    Ok(Crl {
        issuer: crl.tbs_cert_list.issuer.as_raw().to_vec(),
        issuer_name: Name::from_x509(&crl.tbs_cert_list.issuer),
        tbs: tbs.raw.to_vec(),
        sig_alg: alg.body.to_vec(),
        signature: sig.body[1..].to_vec(),
        this_update: crl.tbs_cert_list.this_update.timestamp(),
        next_update: crl.tbs_cert_list.next_update.map(|t| t.timestamp()),
        revoked,
        only_user,
        only_ca,
        unusable,
    })
}

/// What a usable CRL says about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Listed.
    Revoked(Revoked),
    /// Not listed in a CRL that is fresh at the validation time.
    Good,
    /// Not listed, but the CRL's nextUpdate is before the validation time.
    Stale,
}

/// Checks `crl` for the certificate with `serial`, issued by `issuer_name` (full Name TLV) with
/// key `issuer_spki` (full SubjectPublicKeyInfo TLV) and key usage `issuer_crl_sign`
/// (None = no keyUsage extension). `is_ca` is the certificate's role. Returns `Err(reason)` when
/// this CRL cannot be used for that certificate.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    crl: &Crl,
    policy: Policy,
    serial: &[u8],
    is_ca: bool,
    issuer_name: &[u8],
    issuer_spki: &[u8],
    issuer_crl_sign: Option<bool>,
    time: i64,
) -> Result<Status, CrlProblem> {
    if crl.issuer != issuer_name {
        return Err(CrlProblem::WrongIssuer { issuer: crl.issuer_name.clone() });
    }
    if let Some(why) = &crl.unusable {
        return Err(why.clone());
    }
    if (crl.only_user && is_ca) || (crl.only_ca && !is_ca) {
        return Err(CrlProblem::OutOfScope);
    }
    algs::verify_by_id(policy, issuer_spki, &crl.sig_alg, &crl.tbs, &crl.signature).map_err(|e| match e {
        algs::SigError::Invalid => CrlProblem::BadSignature { issuer: crl.issuer_name.clone() },
        algs::SigError::Unsupported => CrlProblem::AlgorithmNotAllowed,
        algs::SigError::BadKey => CrlProblem::IssuerKeyUnreadable,
    })?;
    if issuer_crl_sign == Some(false) {
        return Err(CrlProblem::IssuerLacksCrlSign);
    }
    if let Some(next) = crl.next_update {
        if next < crl.this_update {
            return Err(CrlProblem::NextUpdateBeforeThisUpdate);
        }
    }
    if let Some(r) = crl.revoked.get(serial) {
        // removeFromCRL (8) only appears in delta CRLs, which are refused above.
        return Ok(Status::Revoked(*r));
    }
    match crl.next_update {
        Some(next) if next < time => Ok(Status::Stale),
        _ => Ok(Status::Good),
    }
}
