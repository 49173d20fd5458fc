//! CRLs (RFC 5280 §5) read once: issuer, times, CRL number, delta indicator, issuing
//! distribution point, entries with their reason and (in indirect CRLs) certificate issuer.

use super::RevocationReason;
use crate::path::cert::{DistPoint, DpNameRaw};
use crate::path::name::GenName;
use crate::path::Name;
use crate::asn1 as der;
use const_oid::ObjectIdentifier;
use std::collections::HashMap;
use std::sync::Arc;
use x509_parser::num_bigint::BigUint;
use x509_parser::prelude::*;

/// Limit on entries in one CRL. A provincial CA revokes a few thousand certificates over its
/// life; large national CAs publish CRLs with a few hundred thousand. One million bounds the
/// memory and time an attacker-supplied CRL can cost.
pub const MAX_CRL_ENTRIES: usize = 1_000_000;

/// Why a CRL cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// Not a DER CertificateList.
    #[error("CRL is not DER: {0}")]
    Malformed(String),
    /// More entries than [`MAX_CRL_ENTRIES`].
    #[error("CRL has more than {MAX_CRL_ENTRIES} entries")]
    TooManyEntries,
}

/// The issuingDistributionPoint extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Idp {
    pub name: Option<DpNameRaw>,
    pub only_user: bool,
    pub only_ca: bool,
    pub only_some: Option<u16>,
    pub indirect: bool,
    pub only_attribute: bool,
    /// The extension's value as received (delta and complete CRLs must have the same scope).
    pub raw: Vec<u8>,
}

/// One revoked certificate.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub date: i64,
    pub reason: Option<RevocationReason>,
    /// The certificate issuer (indirect CRLs); None = the CRL issuer.
    pub issuer: Option<Name>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub der: Vec<u8>,
    pub tbs: std::ops::Range<usize>,
    pub sig_alg: Vec<u8>,
    pub signature: Vec<u8>,
    pub issuer: Name,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub number: Option<BigUint>,
    /// deltaCRLIndicator's BaseCRLNumber: this is a delta CRL.
    pub delta_base: Option<BigUint>,
    pub idp: Option<Idp>,
    /// Serial (contents octets) → entries (several when an indirect CRL lists several issuers).
    pub entries: HashMap<Vec<u8>, Vec<Entry>>,
    /// The first critical extension (CRL or entry) kyso does not understand.
    pub unknown_critical: Option<ObjectIdentifier>,
    #[allow(dead_code)]
    pub freshest: Option<Vec<DistPoint>>,
}

/// A parsed CRL (cheap to clone).
#[derive(Debug, Clone)]
pub struct Crl(pub(crate) Arc<Inner>);

fn oid_of(o: &x509_parser::der_parser::oid::Oid<'_>) -> ObjectIdentifier {
    ObjectIdentifier::from_bytes(o.as_bytes()).unwrap_or(ObjectIdentifier::new_unwrap("0.0"))
}

pub(super) fn reason_of(code: u8) -> RevocationReason {
    use RevocationReason::*;
    match code {
        1 => KeyCompromise,
        2 => CaCompromise,
        3 => AffiliationChanged,
        4 => Superseded,
        5 => CessationOfOperation,
        6 => CertificateHold,
        8 => RemoveFromCrl,
        9 => PrivilegeWithdrawn,
        10 => AaCompromise,
        _ => Unspecified,
    }
}

/// GeneralNames (a SEQUENCE OF GeneralName) → directory names only (a certificateIssuer).
fn general_names(value: &[u8]) -> Option<Vec<GenName>> {
    let seq = der::read_all(value).ok()?;
    if seq.tag != 0x30 {
        return None;
    }
    let mut out = Vec::new();
    for t in der::children(seq.body, 64, "too many names").ok()? {
        let (_, g) = GeneralName::from_der(t.raw).ok()?;
        out.push(GenName::from_x509(&g));
    }
    Some(out)
}

impl Crl {
    /// Reads a DER CRL.
    pub fn from_der(bytes: &[u8]) -> Result<Crl, CrlError> {
        let m = |e: &dyn std::fmt::Display| CrlError::Malformed(e.to_string());
        let top = der::read_all(bytes).map_err(|e| m(&e))?;
        let (tbs, rest) = der::expect(top.body, 0x30, "tbsCertList").map_err(|e| m(&e))?;
        let (alg, rest) = der::expect(rest, 0x30, "signatureAlgorithm").map_err(|e| m(&e))?;
        let sig = der::read_all(rest).map_err(|e| m(&e))?;
        if sig.tag != 0x03 || sig.body.first() != Some(&0) {
            return Err(CrlError::Malformed("signature is not a BIT STRING".into()));
        }
        let (rem, crl) = parse_x509_crl(bytes).map_err(|e| m(&e))?;
        if !rem.is_empty() {
            return Err(CrlError::Malformed("trailing data".into()));
        }
        if crl.tbs_cert_list.revoked_certificates.len() > MAX_CRL_ENTRIES {
            return Err(CrlError::TooManyEntries);
        }
        let tbs_start = tbs.raw.as_ptr() as usize - bytes.as_ptr() as usize;
        let issuer = Name::from_x509(&crl.tbs_cert_list.issuer);
        let mut inner = Inner {
            der: bytes.to_vec(),
            tbs: tbs_start..tbs_start + tbs.raw.len(),
            sig_alg: alg.body.to_vec(),
            signature: sig.body[1..].to_vec(),
            issuer,
            this_update: crl.tbs_cert_list.this_update.timestamp(),
            next_update: crl.tbs_cert_list.next_update.map(|t| t.timestamp()),
            number: None,
            delta_base: None,
            idp: None,
            entries: HashMap::new(),
            unknown_critical: None,
            freshest: None,
        };
        let mut seen: Vec<&[u8]> = Vec::new();
        for ext in crl.extensions() {
            let oid = oid_of(&ext.oid);
            if seen.contains(&ext.oid.as_bytes()) {
                return Err(CrlError::Malformed(format!("extension {oid} appears twice")));
            }
            seen.push(ext.oid.as_bytes());
            match ext.parsed_extension() {
                ParsedExtension::ParseError { .. } => return Err(CrlError::Malformed(format!("extension {oid} is malformed"))),
                ParsedExtension::CRLNumber(n) => {
                    inner.number = Some(n.clone());
                    // RFC 5280 §5.2.3: the CRL number MUST be non-critical.
                    if ext.critical {
                        inner.unknown_critical = inner.unknown_critical.or(Some(oid));
                    }
                }
                ParsedExtension::IssuingDistributionPoint(_) => {
                    let (name, only_user, only_ca, only_some, indirect, only_attribute) = crate::path::cert::parse_idp(ext.value)
                        .ok_or_else(|| CrlError::Malformed("issuingDistributionPoint is malformed".into()))?;
                    inner.idp = Some(Idp { name, only_user, only_ca, only_some, indirect, only_attribute, raw: ext.value.to_vec() })
                }
                ParsedExtension::AuthorityKeyIdentifier(_) => {}
                _ => match ext.oid.to_id_string().as_str() {
                    "2.5.29.27" => {
                        let t = der::read_all(ext.value).map_err(|e| m(&e))?;
                        if t.tag != 0x02 || t.body.first().is_some_and(|b| b & 0x80 != 0) {
                            return Err(CrlError::Malformed("deltaCRLIndicator is not a non-negative INTEGER".into()));
                        }
                        inner.delta_base = Some(BigUint::from_bytes_be(t.body));
                    }
                    "2.5.29.46" => {
                        inner.freshest = Some(
                            crate::path::cert::parse_dist_points(ext.value).ok_or_else(|| CrlError::Malformed("freshestCRL is malformed".into()))?,
                        );
                    }
                    // authorityInfoAccess, issuerAltName: informational.
                    "1.3.6.1.5.5.7.1.1" | "2.5.29.18" => {}
                    _ if ext.critical => inner.unknown_critical = inner.unknown_critical.or(Some(oid)),
                    _ => {}
                },
            }
        }
        let mut current_issuer: Option<Name> = None;
        for r in crl.iter_revoked_certificates() {
            let mut reason = None;
            for ext in r.extensions() {
                match ext.parsed_extension() {
                    ParsedExtension::ReasonCode(c) => reason = Some(reason_of(c.0)),
                    ParsedExtension::InvalidityDate(_) => {}
                    _ if ext.oid.to_id_string() == "2.5.29.29" => {
                        let names = general_names(ext.value).ok_or_else(|| CrlError::Malformed("certificateIssuer is malformed".into()))?;
                        current_issuer = names.into_iter().find_map(|g| match g {
                            GenName::Directory(n) => Some(n),
                            _ => None,
                        });
                    }
                    _ if ext.critical => inner.unknown_critical = inner.unknown_critical.or(Some(oid_of(&ext.oid))),
                    _ => {}
                }
            }
            inner.entries.entry(r.raw_serial().to_vec()).or_default().push(Entry {
                date: r.revocation_date.timestamp(),
                reason,
                issuer: current_issuer.clone(),
            });
        }
        Ok(Crl(Arc::new(inner)))
    }

    /// The CRL as received.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// The issuer.
    pub fn issuer(&self) -> &Name {
        &self.0.issuer
    }

    /// thisUpdate (Unix seconds).
    pub fn this_update(&self) -> i64 {
        self.0.this_update
    }

    /// nextUpdate (Unix seconds).
    pub fn next_update(&self) -> Option<i64> {
        self.0.next_update
    }

    /// A delta CRL (it has a deltaCRLIndicator).
    pub fn is_delta(&self) -> bool {
        self.0.delta_base.is_some()
    }

    pub(crate) fn tbs(&self) -> &[u8] {
        self.0.der.get(self.0.tbs.clone()).unwrap_or(&[])
    }

    /// The entry for a certificate with `serial` issued by `cert_issuer`.
    pub(crate) fn entry(&self, serial: &[u8], cert_issuer: &Name) -> Option<&Entry> {
        self.0.entries.get(serial)?.iter().find(|e| e.issuer.as_ref().unwrap_or(&self.0.issuer) == cert_issuer)
    }
}
