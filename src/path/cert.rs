//! A certificate read once into what path validation and revocation need (owned, cheap to
//! clone), from the bytes as received: the signature is checked over the received tbsCertificate.

use super::name::{GenName, Name};
use super::{MAX_NAMES_PER_EXTENSION, MAX_POLICIES_PER_CERT};
use crate::asn1 as der;
use const_oid::ObjectIdentifier;
use std::sync::Arc;
use x509_parser::prelude::*;

/// Why a certificate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not a DER X.509 certificate.
    #[error("not a DER X.509 certificate ({0})")]
    Malformed(String),
    /// An extension does not parse.
    #[error("extension {0} is malformed")]
    MalformedExtension(ObjectIdentifier),
    /// An extension appears twice (RFC 5280 §4.2).
    #[error("extension {0} appears twice")]
    DuplicateExtension(ObjectIdentifier),
    /// Too many entries in an extension.
    #[error("extension {0} has too many entries")]
    TooManyEntries(ObjectIdentifier),
}

/// One DistributionPoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistPoint {
    pub name: Option<DpNameRaw>,
    /// ReasonFlags bits (bit i = reason i); None = all reasons.
    pub reasons: Option<u16>,
    pub crl_issuer: Option<Vec<GenName>>,
}

/// A distribution point name as written: a relative name still needs its CRL issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DpNameRaw {
    Full(Vec<GenName>),
    /// The RDN's DER-free form: kept as a one-RDN Name to append.
    Relative(Name),
}

impl DpNameRaw {
    /// The full names, resolving a relative name against the CRL issuer `issuer`.
    pub(crate) fn resolve(&self, issuer: &Name) -> Vec<GenName> {
        match self {
            DpNameRaw::Full(v) => v.clone(),
            DpNameRaw::Relative(rdn) => vec![GenName::Directory(issuer.append(rdn))],
        }
    }
}

/// The contents of GeneralNames (GeneralName TLVs one after the other).
fn general_names(mut body: &[u8]) -> Option<Vec<GenName>> {
    let mut v = Vec::new();
    while !body.is_empty() {
        if v.len() >= MAX_NAMES_PER_EXTENSION {
            return None;
        }
        let (t, rest) = der::read(body).ok()?;
        let (_, g) = GeneralName::from_der(t.raw).ok()?;
        v.push(GenName::from_x509(&g));
        body = rest;
    }
    Some(v)
}

/// A DistributionPointName TLV (`[0]` fullName or `[1]` nameRelativeToCRLIssuer, both IMPLICIT).
/// x509-parser 0.18 reads a nameRelativeToCRLIssuer as absent (it expects a SET inside the
/// implicit tag), which would put every certificate in scope: kyso reads the field itself.
fn dp_name(t: &der::Tlv<'_>) -> Option<DpNameRaw> {
    match t.tag {
        0xa0 => Some(DpNameRaw::Full(general_names(t.body)?)),
        0xa1 => {
            // RDN contents → a one-RDN Name: SEQUENCE { SET { contents } }.
            let mut set = vec![0x31];
            crate::asn1::push_len(&mut set, t.body.len());
            set.extend_from_slice(t.body);
            let mut seq = vec![0x30];
            crate::asn1::push_len(&mut seq, set.len());
            seq.extend_from_slice(&set);
            let (rest, n) = X509Name::from_der(&seq).ok()?;
            if !rest.is_empty() {
                return None;
            }
            Some(DpNameRaw::Relative(Name::from_x509(&n)))
        }
        _ => None,
    }
}

/// ReasonFlags BIT STRING contents → bits (bit i = reason i).
fn reason_flags(body: &[u8]) -> Option<u16> {
    let (unused, bytes) = body.split_first()?;
    if *unused > 7 || bytes.len() > 2 {
        return None;
    }
    let mut flags = 0u16;
    for (j, b) in bytes.iter().enumerate() {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                flags |= 1 << (j * 8 + bit);
            }
        }
    }
    Some(flags)
}

/// cRLDistributionPoints / freshestCRL value.
pub(crate) fn parse_dist_points(value: &[u8]) -> Option<Vec<DistPoint>> {
    let seq = der::read_all(value).ok()?;
    if seq.tag != 0x30 {
        return None;
    }
    let mut out = Vec::new();
    for dp in der::children(seq.body, MAX_NAMES_PER_EXTENSION, "too many distribution points").ok()? {
        if dp.tag != 0x30 {
            return None;
        }
        let mut p = DistPoint { name: None, reasons: None, crl_issuer: None };
        for f in der::children(dp.body, 3, "distribution point").ok()? {
            match f.tag {
                0xa0 => p.name = Some(dp_name(&der::read_all(f.body).ok()?)?),
                0x81 => p.reasons = Some(reason_flags(f.body)?),
                0xa2 => p.crl_issuer = Some(general_names(f.body)?),
                _ => return None,
            }
        }
        out.push(p);
    }
    Some(out)
}

/// The fields of an issuingDistributionPoint.
pub(crate) type IdpFields = (Option<DpNameRaw>, bool, bool, Option<u16>, bool, bool);

/// issuingDistributionPoint value: (name, onlyUser, onlyCA, onlySomeReasons, indirect,
/// onlyAttribute).
pub(crate) fn parse_idp(value: &[u8]) -> Option<IdpFields> {
    let seq = der::read_all(value).ok()?;
    if seq.tag != 0x30 {
        return None;
    }
    let mut r: IdpFields = (None, false, false, None, false, false);
    let boolean = |b: &[u8]| match b {
        [0xff] => Some(true),
        [0x00] => Some(false),
        _ => None,
    };
    for f in der::children(seq.body, 6, "issuing distribution point").ok()? {
        match f.tag {
            0xa0 => r.0 = Some(dp_name(&der::read_all(f.body).ok()?)?),
            0x81 => r.1 = boolean(f.body)?,
            0x82 => r.2 = boolean(f.body)?,
            0x83 => r.3 = Some(reason_flags(f.body)?),
            0x84 => r.4 = boolean(f.body)?,
            0x85 => r.5 = boolean(f.body)?,
            _ => return None,
        }
    }
    Some(r)
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub der: Vec<u8>,
    pub tbs: std::ops::Range<usize>,
    pub sig_alg: Vec<u8>,
    pub signature: Vec<u8>,
    pub version: u32,
    pub serial: Vec<u8>,
    pub issuer: Name,
    pub subject: Name,
    pub spki: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    /// (cA, pathLenConstraint)
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// KeyUsage bits, bit 0 = digitalSignature … bit 8 = decipherOnly.
    pub key_usage: Option<u16>,
    pub eku: Option<Vec<Vec<u8>>>,
    pub ski: Option<Vec<u8>>,
    pub aki: Option<Vec<u8>>,
    /// Policy OIDs (contents bytes).
    pub policies: Option<Vec<Vec<u8>>>,
    /// (issuerDomainPolicy, subjectDomainPolicy)
    pub mappings: Option<Vec<(Vec<u8>, Vec<u8>)>>,
    /// (requireExplicitPolicy, inhibitPolicyMapping)
    pub policy_constraints: Option<(Option<u32>, Option<u32>)>,
    pub inhibit_any: Option<u32>,
    /// (permitted, excluded); permitted None = no permitted subtrees field.
    pub name_constraints: Option<(Option<Vec<GenName>>, Vec<GenName>)>,
    pub san: Option<Vec<GenName>>,
    pub crl_dp: Option<Vec<DistPoint>>,
    pub freshest: Option<Vec<DistPoint>>,
    pub unknown_critical: Vec<ObjectIdentifier>,
}

/// A parsed certificate (cheap to clone).
#[derive(Debug, Clone)]
pub struct Cert(pub(crate) Arc<Inner>);

/// Extensions whose meaning kyso processes (a critical one of these is understood).
const UNDERSTOOD: &[&str] = &[
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.15", // keyUsage
    "2.5.29.17", // subjectAltName
    "2.5.29.18", // issuerAltName
    "2.5.29.19", // basicConstraints
    "2.5.29.30", // nameConstraints
    "2.5.29.31", // cRLDistributionPoints
    "2.5.29.32", // certificatePolicies
    "2.5.29.33", // policyMappings
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.36", // policyConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.46", // freshestCRL
    "2.5.29.54", // inhibitAnyPolicy
];

fn oid_of(o: &x509_parser::der_parser::oid::Oid<'_>) -> ObjectIdentifier {
    ObjectIdentifier::from_bytes(o.as_bytes()).unwrap_or(ObjectIdentifier::new_unwrap("0.0"))
}

impl Cert {
    /// Reads a DER certificate (no trailing data).
    pub fn from_der(der_bytes: &[u8]) -> Result<Cert, CertError> {
        let malformed = |e: &dyn std::fmt::Display| CertError::Malformed(e.to_string());
        let top = der::read_all(der_bytes).map_err(|e| malformed(&e))?;
        if top.tag != 0x30 {
            return Err(CertError::Malformed("not a SEQUENCE".into()));
        }
        let (tbs, rest) = der::expect(top.body, 0x30, "tbsCertificate").map_err(|e| malformed(&e))?;
        let (alg, rest) = der::expect(rest, 0x30, "signatureAlgorithm").map_err(|e| malformed(&e))?;
        let sig = der::read_all(rest).map_err(|e| malformed(&e))?;
        if sig.tag != 0x03 || sig.body.first() != Some(&0) {
            return Err(CertError::Malformed("signature is not a BIT STRING".into()));
        }
        let (rem, x) = X509Certificate::from_der(der_bytes).map_err(|e| malformed(&e))?;
        if !rem.is_empty() {
            return Err(CertError::Malformed("trailing data".into()));
        }
        let tbs_start = tbs.raw.as_ptr() as usize - der_bytes.as_ptr() as usize;
        let v = x.validity();
        let mut inner = Inner {
            der: der_bytes.to_vec(),
            tbs: tbs_start..tbs_start + tbs.raw.len(),
            sig_alg: alg.body.to_vec(),
            signature: sig.body[1..].to_vec(),
            version: x.version().0,
            serial: x.raw_serial().to_vec(),
            issuer: Name::from_x509(x.issuer()),
            subject: Name::from_x509(x.subject()),
            spki: x.public_key().raw.to_vec(),
            not_before: v.not_before.timestamp(),
            not_after: v.not_after.timestamp(),
            basic_constraints: None,
            key_usage: None,
            eku: None,
            ski: None,
            aki: None,
            policies: None,
            mappings: None,
            policy_constraints: None,
            inhibit_any: None,
            name_constraints: None,
            san: None,
            crl_dp: None,
            freshest: None,
            unknown_critical: Vec::new(),
        };
        let mut seen: Vec<&[u8]> = Vec::new();
        for ext in x.extensions() {
            let oid = oid_of(&ext.oid);
            if seen.contains(&ext.oid.as_bytes()) {
                return Err(CertError::DuplicateExtension(oid));
            }
            seen.push(ext.oid.as_bytes());
            let bad = || CertError::MalformedExtension(oid);
            let too_many = |n: usize, max: usize| if n > max { Err(CertError::TooManyEntries(oid)) } else { Ok(()) };
            match ext.parsed_extension() {
                ParsedExtension::ParseError { .. } => return Err(bad()),
                ParsedExtension::BasicConstraints(bc) => inner.basic_constraints = Some((bc.ca, bc.path_len_constraint)),
                ParsedExtension::KeyUsage(ku) => inner.key_usage = Some(ku.flags),
                ParsedExtension::ExtendedKeyUsage(_) => {
                    let seq = der::read_all(ext.value).map_err(|_| bad())?;
                    let items = der::children(seq.body, MAX_POLICIES_PER_CERT, "too many EKUs").map_err(|_| CertError::TooManyEntries(oid))?;
                    // RFC 5280 §4.2.1.12: SEQUENCE SIZE (1..MAX) OF KeyPurposeId.
                    if items.is_empty() || items.iter().any(|t| t.tag != 0x06) {
                        return Err(bad());
                    }
                    inner.eku = Some(items.iter().map(|t| t.body.to_vec()).collect());
                }
                ParsedExtension::SubjectKeyIdentifier(k) => inner.ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => inner.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                ParsedExtension::CertificatePolicies(p) => {
                    too_many(p.len(), MAX_POLICIES_PER_CERT)?;
                    let mut oids: Vec<Vec<u8>> = Vec::new();
                    for pi in p.iter() {
                        let o = pi.policy_id.as_bytes().to_vec();
                        // RFC 5280 §4.2.1.4: a policy OID MUST NOT appear more than once.
                        if oids.contains(&o) {
                            return Err(bad());
                        }
                        oids.push(o);
                    }
                    inner.policies = Some(oids);
                }
                ParsedExtension::PolicyMappings(m) => {
                    too_many(m.mappings.len(), MAX_POLICIES_PER_CERT)?;
                    inner.mappings = Some(
                        m.mappings
                            .iter()
                            .map(|pm| (pm.issuer_domain_policy.as_bytes().to_vec(), pm.subject_domain_policy.as_bytes().to_vec()))
                            .collect(),
                    );
                }
                ParsedExtension::PolicyConstraints(pc) => {
                    // RFC 5280 §4.2.1.11: an empty sequence MUST NOT be issued.
                    if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                        return Err(bad());
                    }
                    inner.policy_constraints = Some((pc.require_explicit_policy, pc.inhibit_policy_mapping));
                }
                ParsedExtension::InhibitAnyPolicy(i) => inner.inhibit_any = Some(i.skip_certs),
                ParsedExtension::NameConstraints(nc) => {
                    let p = nc.permitted_subtrees.as_ref().map(|v| v.iter().map(|s| GenName::from_x509(&s.base)).collect::<Vec<_>>());
                    let e: Vec<GenName> = nc.excluded_subtrees.iter().flatten().map(|s| GenName::from_x509(&s.base)).collect();
                    too_many(p.as_ref().map_or(0, Vec::len) + e.len(), MAX_NAMES_PER_EXTENSION)?;
                    // RFC 5280 §4.2.1.10: the extension MUST NOT be empty.
                    if p.as_ref().is_none_or(Vec::is_empty) && e.is_empty() {
                        return Err(bad());
                    }
                    if !p.iter().flatten().chain(e.iter()).all(super::name::base_is_valid) {
                        return Err(bad());
                    }
                    inner.name_constraints = Some((p, e));
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    too_many(san.general_names.len(), MAX_NAMES_PER_EXTENSION)?;
                    inner.san = Some(san.general_names.iter().map(GenName::from_x509).collect());
                }
                ParsedExtension::CRLDistributionPoints(_) => inner.crl_dp = Some(parse_dist_points(ext.value).ok_or_else(bad)?),
                ParsedExtension::UnsupportedExtension { .. } if ext.oid.to_id_string() == "2.5.29.46" => {
                    inner.freshest = Some(parse_dist_points(ext.value).ok_or_else(bad)?);
                }
                _ => {}
            }
            if ext.critical && !UNDERSTOOD.contains(&ext.oid.to_id_string().as_str()) {
                inner.unknown_critical.push(oid);
            }
        }
        Ok(Cert(Arc::new(inner)))
    }

    /// The certificate as received.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        &self.0.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.0.issuer
    }

    /// The serial number's contents octets.
    pub fn serial(&self) -> &[u8] {
        &self.0.serial
    }

    /// SubjectPublicKeyInfo as received (full TLV).
    pub fn spki(&self) -> &[u8] {
        &self.0.spki
    }

    /// notBefore, Unix seconds (negative before 1970).
    pub fn not_before(&self) -> i64 {
        self.0.not_before
    }

    /// notAfter, Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.0.not_after
    }

    /// basicConstraints cA = TRUE.
    pub fn is_ca(&self) -> bool {
        matches!(self.0.basic_constraints, Some((true, _)))
    }

    /// Subject and issuer are the same name (RFC 5280 §6.1: self-issued).
    pub fn is_self_issued(&self) -> bool {
        self.0.subject == self.0.issuer
    }

    /// keyUsage bits (bit 0 = digitalSignature), None when the extension is absent.
    pub fn key_usage(&self) -> Option<u16> {
        self.0.key_usage
    }

    /// The signatureAlgorithm OID.
    pub fn signature_algorithm(&self) -> Option<ObjectIdentifier> {
        let (t, _) = der::read(&self.0.sig_alg).ok()?;
        if t.tag != 0x06 {
            return None;
        }
        ObjectIdentifier::from_bytes(t.body).ok()
    }

    pub(crate) fn tbs(&self) -> &[u8] {
        self.0.der.get(self.0.tbs.clone()).unwrap_or(&[])
    }

    /// keyUsage allows `bit` (or there is no keyUsage extension).
    pub(crate) fn ku_allows(&self, bit: u16) -> bool {
        self.0.key_usage.is_none_or(|k| k & (1 << bit) != 0)
    }
}

/// keyUsage bit numbers (RFC 5280 §4.2.1.3).
pub(crate) const KU_KEY_CERT_SIGN: u16 = 5;
/// cRLSign
pub(crate) const KU_CRL_SIGN: u16 = 6;
