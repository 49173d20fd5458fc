//! Certificate path validation: rustls-webpki builds and checks the path (signatures, validity,
//! basicConstraints and path length, name constraints, critical extensions, EKU chaining) at the
//! given time with the policy's algorithms; kyso adds what webpki leaves out — the signer's key
//! usage and EKU purpose, the key strength of the leaf, SHA-1 warnings, and revocation from
//! CRLs that are each verified before use (see [`super::crl`]).
//!
//! Not checked: certificate policies (RFC 5280 §6.1 policy processing), OCSP, CRL distribution
//! point fetching (kyso never goes online), freshest-CRL/delta CRLs.

use super::crl::{self, Crl};
use crate::asn1 as der;
use super::{Purpose, RevocationMode};
use crate::alg::{oid, Policy};
use crate::findings::{Check, CheckName, CheckStatus, CrlProblem, CrlReason, Finding, KeyDescription, KeyProblem, Name, PathProblem, PoeJudgement, SubIndication, UnknownStatus};
use crate::report::RevocationStatus;
use ::time::OffsetDateTime;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, Error as WError, ExtendedKeyUsageValidator, KeyPurposeIdIter};
use x509_parser::prelude::*;

/// Limit on the number of intermediates in a path. RFC 5280 sets none; webpki caps sub-CAs at 6
/// (`MAX_SUB_CA_COUNT`); a provincial hierarchy has one or two. The limit bounds path-building
/// work on attacker-supplied certificate sets.
pub const MAX_CHAIN_DEPTH: usize = 6;

/// A trust anchor with the certificate it came from.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    pub ta: TrustAnchor<'static>,
    pub der: Vec<u8>,
}

/// What the path validation found.
#[derive(Debug, Clone)]
pub(crate) struct PathOutcome {
    /// Failures in the order found (the caller ranks them).
    pub failures: Vec<SubIndication>,
    /// Subjects, leaf first, anchor last (only the leaf when no path was found).
    pub chain: Vec<Name>,
    pub checks: Vec<Check>,
    pub warnings: Vec<Finding>,
    pub revocation: RevocationStatus,
    /// The first revocation found in the path: (revocationDate, CRLReason code), for the
    /// proof-of-existence rule (super::poe).
    pub revoked_at: Option<(i64, Option<u8>)>,
}

/// Inputs of one path validation.
pub(crate) struct PathParams<'a> {
    pub anchors: &'a [Anchor],
    pub intermediates: &'a [CertificateDer<'static>],
    pub crls: &'a [Crl],
    pub time: i64,
    pub policy: Policy,
    pub revocation: RevocationMode,
    pub purpose: &'a Purpose,
}

/// RFC 5280 anyExtendedKeyUsage.
const ANY_EKU: &[usize] = &[2, 5, 29, 37, 0];

fn arcs(o: &const_oid::ObjectIdentifier) -> Vec<usize> {
    o.arcs().map(|a| a as usize).collect()
}

/// EKU rule applied by webpki to every certificate of the path: a certificate without EKU passes;
/// one with EKU must list one of `allowed` (or anyExtendedKeyUsage). `allowed: None` accepts all.
struct EkuRule {
    allowed: Option<Vec<Vec<usize>>>,
}

impl ExtendedKeyUsageValidator for EkuRule {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), WError> {
        let Some(allowed) = &self.allowed else { return Ok(()) };
        let mut any = false;
        for k in iter {
            let d = k?.to_decoded_oid();
            any = true;
            if d == ANY_EKU || allowed.contains(&d) {
                return Ok(());
            }
        }
        #[allow(deprecated)]
        if any {
            Err(WError::RequiredEkuNotFound)
        } else {
            Ok(())
        }
    }
}

fn wrap_seq(body: &[u8]) -> Vec<u8> {
    let mut v = vec![0x30];
    crate::asn1::push_len(&mut v, body.len());
    v.extend_from_slice(body);
    v
}

/// EKU OIDs (contents bytes) of a certificate, None when it has no EKU extension.
pub(crate) fn eku_oids(cert: &X509Certificate<'_>) -> Option<Vec<Vec<u8>>> {
    let ext = cert.extensions().iter().find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_EXTENDED_KEY_USAGE)?;
    let seq = der::read_all(ext.value).ok()?;
    let items = der::children(seq.body, 64, "too many EKUs").ok()?;
    Some(items.iter().filter(|t| t.tag == 0x06).map(|t| t.body.to_vec()).collect())
}

pub use crate::findings::KeyUsageBit;

fn check(name: CheckName, status: CheckStatus, finding: Finding) -> Check {
    Check::new(name, status, finding)
}

/// The leaf's purpose checks (DESIGN.md §4 rule 3 for document signing).
fn leaf_purpose(leaf: &X509Certificate<'_>, purpose: &Purpose, policy: Policy, checks: &mut Vec<Check>, warnings: &mut Vec<Finding>) -> Option<SubIndication> {
    let fail = |checks: &mut Vec<Check>, f: Finding| {
        checks.push(check(CheckName::SignerKeyUsage, CheckStatus::Failed, f));
        Some(SubIndication::ChainConstraintsFailure)
    };
    let ku = match leaf.key_usage() {
        Ok(k) => k.map(|k| *k.value),
        Err(_) => return fail(checks, Finding::KeyUsageMalformed),
    };
    let ekus = eku_oids(leaf);
    let is_ca = matches!(leaf.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    // RFC 5280 §4.2.1.3 and §4.2.1.10: keyCertSign and nameConstraints belong to CA certificates.
    if !is_ca && ku.as_ref().is_some_and(|k| k.key_cert_sign()) {
        return fail(checks, Finding::KeyCertSignInEndEntity);
    }
    if !is_ca && leaf.extensions().iter().any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS) {
        return fail(checks, Finding::NameConstraintsInEndEntity);
    }
    match purpose {
        Purpose::Any => {
            checks.push(check(CheckName::SignerKeyUsage, CheckStatus::Skipped, Finding::PurposeAny));
            None
        }
        Purpose::DocumentSigning => {
            if is_ca {
                return fail(checks, Finding::SignerIsCa);
            }
            match &ku {
                None => return fail(checks, Finding::NoKeyUsage),
                Some(k) if !k.digital_signature() && !k.non_repudiation() => {
                    return fail(checks, Finding::KeyUsageInsufficient { bits: KeyUsageBit::set_in(k) });
                }
                Some(k) if !k.digital_signature() && policy == Policy::Legacy => {
                    warnings.push(Finding::LegacyNonRepudiationOnly);
                }
                _ => {}
            }
            if let Some(ekus) = &ekus {
                let ok = ekus.iter().any(|o| {
                    o.as_slice() == oid::KP_DOCUMENT_SIGNING.as_bytes() || o.as_slice() == oid::KP_EMAIL_PROTECTION.as_bytes()
                });
                if !ok {
                    return fail(checks, Finding::EkuNotDocumentSigning);
                }
            }
            let bits = ku.as_ref().map(KeyUsageBit::set_in).unwrap_or_default();
            checks.push(check(CheckName::SignerKeyUsage, CheckStatus::Passed, Finding::SignerKeyUsageOk { bits, eku: ekus.is_some() }));
            None
        }
        Purpose::Custom { required_eku, key_usage, .. } => {
            if let Some(req) = required_eku {
                let has = ekus.as_ref().is_some_and(|e| e.iter().any(|o| o.as_slice() == req.as_bytes()));
                if !has {
                    return fail(checks, Finding::LeafLacksEku { eku: *req });
                }
            }
            for bit in key_usage {
                if !ku.as_ref().is_some_and(|k| bit.is_set(k)) {
                    return fail(checks, Finding::LeafLacksKeyUsage { bit: *bit });
                }
            }
            checks.push(check(CheckName::SignerKeyUsage, CheckStatus::Passed, Finding::RequiredUsagePresent));
            None
        }
    }
}

/// Strength of the leaf's own key (webpki checks the keys that sign certificates, not the leaf's).
fn leaf_key_strength(leaf: &X509Certificate<'_>) -> Result<KeyDescription, KeyProblem> {
    let spki = leaf.public_key();
    let alg = &spki.algorithm.algorithm;
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits < 2048 {
                Err(KeyProblem::RsaTooSmall { bits, minimum: 2048 })
            } else {
                Ok(KeyDescription::Rsa { bits })
            }
        }
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
            let name = curve.map(|c| c.to_id_string()).unwrap_or_default();
            if name == oid::P256.to_string() {
                Ok(KeyDescription::EcdsaP256)
            } else if name == oid::P384.to_string() {
                Ok(KeyDescription::EcdsaP384)
            } else {
                Err(KeyProblem::CurveNotAllowed { curve: name })
            }
        }
        _ if alg.to_id_string() == oid::ED25519.to_string() => Ok(KeyDescription::Ed25519),
        _ => Err(KeyProblem::AlgorithmNotAllowed { algorithm: alg.to_id_string() }),
    }
}

fn map_webpki(e: &WError) -> SubIndication {
    #[allow(deprecated)]
    match e {
        // An issuer with the right name whose signature does not verify is not an issuer.
        WError::UnknownIssuer | WError::InvalidSignatureForPublicKey => SubIndication::NoCertificateChainFound,
        WError::CertExpired { .. } => SubIndication::OutOfBoundsNoPoe,
        WError::CertNotValidYet { .. } => SubIndication::NotYetValid,
        WError::CertRevoked => SubIndication::Revoked,
        WError::CaUsedAsEndEntity
        | WError::EndEntityUsedAsCa
        | WError::PathLenConstraintViolated
        | WError::RequiredEkuNotFound
        | WError::RequiredEkuNotFoundContext(_)
        | WError::EmptyEkuExtension
        | WError::NameConstraintViolation
        | WError::UnsupportedCriticalExtension
        | WError::MaximumPathDepthExceeded
        | WError::InvalidCertValidity
        | WError::UnsupportedCertVersion => SubIndication::ChainConstraintsFailure,
        WError::UnsupportedSignatureAlgorithm
        | WError::UnsupportedSignatureAlgorithmContext(_)
        | WError::UnsupportedSignatureAlgorithmForPublicKey
        | WError::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => SubIndication::CryptoConstraintsFailure,
        _ => SubIndication::CertificateChainGeneralFailure,
    }
}

/// A Unix time as a time value (the epoch when out of range).
pub(crate) fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// webpki's error as a typed path problem.
pub(crate) fn path_problem(e: &WError) -> PathProblem {
    let secs = |d: &rustls_pki_types::UnixTime| at(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    #[allow(deprecated)]
    match e {
        WError::UnknownIssuer => PathProblem::UnknownIssuer,
        WError::InvalidSignatureForPublicKey => PathProblem::BadSignature,
        WError::CertExpired { time, not_after } => PathProblem::Expired { not_after: secs(not_after), time: secs(time) },
        WError::CertNotValidYet { time, not_before } => PathProblem::NotYetValid { not_before: secs(not_before), time: secs(time) },
        WError::CaUsedAsEndEntity => PathProblem::CaUsedAsEndEntity,
        WError::EndEntityUsedAsCa => PathProblem::EndEntityUsedAsCa,
        WError::PathLenConstraintViolated => PathProblem::PathLengthExceeded,
        WError::MaximumPathDepthExceeded => PathProblem::TooDeep,
        WError::RequiredEkuNotFound | WError::RequiredEkuNotFoundContext(_) | WError::EmptyEkuExtension => PathProblem::EkuNotAllowed,
        WError::NameConstraintViolation => PathProblem::NameConstraintViolation,
        WError::UnsupportedCriticalExtension => PathProblem::UnsupportedCriticalExtension,
        WError::InvalidCertValidity => PathProblem::InvalidValidity,
        WError::UnsupportedCertVersion => PathProblem::UnsupportedVersion,
        WError::UnsupportedSignatureAlgorithm
        | WError::UnsupportedSignatureAlgorithmContext(_)
        | WError::UnsupportedSignatureAlgorithmForPublicKey
        | WError::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => PathProblem::AlgorithmNotAllowed,
        other => PathProblem::Other { code: format!("{other:?}").chars().take_while(|c| c.is_alphanumeric()).collect() },
    }
}


/// Validates the path of `leaf_der`.
pub(crate) fn validate(leaf_der: &[u8], p: &PathParams<'_>) -> PathOutcome {
    let mut out = PathOutcome {
        failures: Vec::new(),
        chain: Vec::new(),
        checks: Vec::new(),
        warnings: Vec::new(),
        revocation: RevocationStatus::Unknown,
        revoked_at: None,
    };
    let leaf = match X509Certificate::from_der(leaf_der) {
        Ok(([], c)) => c,
        _ => {
            out.checks.push(check(CheckName::CertificatePath, CheckStatus::Failed, Finding::CertificateUnparseable));
            out.failures.push(SubIndication::FormatFailure);
            return out;
        }
    };
    out.chain.push(Name::from_x509(leaf.subject()));

    // Leaf purpose (key usage, EKU, not a CA) and key strength.
    if let Some(f) = leaf_purpose(&leaf, p.purpose, p.policy, &mut out.checks, &mut out.warnings) {
        out.failures.push(f);
    }
    match leaf_key_strength(&leaf) {
        Ok(desc) => out.checks.push(check(CheckName::AlgorithmPolicy, CheckStatus::Passed, Finding::CertificateKey(desc))),
        Err(why) => {
            out.checks.push(check(CheckName::AlgorithmPolicy, CheckStatus::Failed, Finding::CertificateKeyRejected(why)));
            out.failures.push(SubIndication::CryptoConstraintsFailure);
        }
    }

    // Path building and checking with webpki.
    let eku = match p.purpose {
        Purpose::DocumentSigning => EkuRule { allowed: Some(vec![arcs(&oid::KP_DOCUMENT_SIGNING), arcs(&oid::KP_EMAIL_PROTECTION)]) },
        Purpose::Any => EkuRule { allowed: None },
        Purpose::Custom { required_eku: Some(o), .. } => EkuRule { allowed: Some(vec![arcs(o)]) },
        Purpose::Custom { required_eku: None, .. } => EkuRule { allowed: None },
    };
    let max_depth = match p.purpose {
        Purpose::Custom { max_chain_depth: Some(d), .. } => (*d).min(MAX_CHAIN_DEPTH),
        _ => MAX_CHAIN_DEPTH,
    };
    let leaf_cd = CertificateDer::from(leaf_der);
    let ee = match EndEntityCert::try_from(&leaf_cd) {
        Ok(e) => e,
        Err(e) => {
            out.checks.push(check(CheckName::CertificatePath, CheckStatus::Failed, Finding::CertificateNotAcceptable(path_problem(&e))));
            out.failures.push(map_webpki(&e));
            return out;
        }
    };
    let tas: Vec<TrustAnchor<'static>> = p.anchors.iter().map(|a| a.ta.clone()).collect();
    // EKU chaining when no particular EKU is required: a CA whose EKU extension lists purposes
    // constrains its subordinates to them, so the leaf must share at least one.
    let chain_ekus = match p.purpose {
        Purpose::Custom { required_eku: None, .. } => eku_oids(&leaf),
        _ => None,
    };
    let any_eku = const_oid::ObjectIdentifier::new_unwrap("2.5.29.37.0");
    // Checked on each candidate path, so that webpki goes on to other paths when one fails.
    let path_check = |path: &webpki::VerifiedPath<'_>| -> Result<(), WError> {
        // RFC 5280 §6.1.4 (l): self-issued intermediates do not count toward the depth.
        let counted = path.intermediate_certificates().filter(|c| c.issuer() != c.subject()).count();
        if counted > max_depth {
            return Err(WError::MaximumPathDepthExceeded);
        }
        if let Some(leaf_ekus) = &chain_ekus {
            for c in path.intermediate_certificates() {
                let der = c.der();
                let Ok((_, ca)) = X509Certificate::from_der(der.as_ref()) else { continue };
                if let Some(ca_ekus) = eku_oids(&ca) {
                    if !ca_ekus.iter().any(|o| o.as_slice() == any_eku.as_bytes() || leaf_ekus.contains(o)) {
                        #[allow(deprecated)]
                        return Err(WError::RequiredEkuNotFound);
                    }
                }
            }
        }
        Ok(())
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(p.time.max(0) as u64));
    let algs = crate::cms::algs::allowed(p.policy);
    let path = match ee.verify_for_usage(algs, &tas, p.intermediates, time, eku, None, Some(&path_check)) {
        Ok(path) => path,
        Err(e) => {
            out.checks.push(check(CheckName::CertificatePath, CheckStatus::Failed, Finding::PathFailed(path_problem(&e))));
            out.failures.push(map_webpki(&e));
            out.revocation = RevocationStatus::Unknown;
            return out;
        }
    };

    // The path as DER, leaf first, then the anchor.
    let mut certs: Vec<Vec<u8>> = vec![leaf_der.to_vec()];
    for c in path.intermediate_certificates() {
        certs.push(c.der().as_ref().to_vec());
    }
    let anchor = p
        .anchors
        .iter()
        .find(|a| a.ta.subject.as_ref() == path.anchor().subject.as_ref() && a.ta.subject_public_key_info.as_ref() == path.anchor().subject_public_key_info.as_ref());
    let anchor_name = wrap_seq(path.anchor().subject.as_ref());
    let anchor_spki = wrap_seq(path.anchor().subject_public_key_info.as_ref());
    let anchor_crl_sign: Option<bool> = anchor.and_then(|a| {
        X509Certificate::from_der(&a.der).ok().and_then(|(_, c)| c.key_usage().ok().flatten().map(|k| k.value.crl_sign()))
    });
    for c in &certs[1..] {
        out.chain.push(Name::subject_of(c));
    }
    let anchor_text = Name::from_der(&anchor_name);
    // The trust anchor's own validity period: a provincial root past its notAfter is not a basis
    // for trust (webpki takes anchors as name + key only).
    if let Some(Ok((_, a))) = anchor.map(|a| X509Certificate::from_der(&a.der)) {
        let (nb, na) = (a.validity().not_before.timestamp(), a.validity().not_after.timestamp());
        if p.time > na || p.time < nb {
            out.checks.push(check(
                CheckName::CertificatePath,
                CheckStatus::Failed,
                Finding::TrustAnchorOutsideValidity { anchor: anchor_text.clone(), not_before: at(nb), not_after: at(na) },
            ));
            out.failures.push(if p.time > na { SubIndication::OutOfBoundsNoPoe } else { SubIndication::NotYetValid });
        }
    }
    out.chain.push(anchor_text.clone());
    out.checks.push(check(CheckName::CertificatePath, CheckStatus::Passed, Finding::PathFound { length: certs.len() + 1, anchor: anchor_text }));

    // SHA-1 in the path (only reachable under the legacy policy: strict's list has no SHA-1).
    for c in &certs {
        if let Ok((_, x)) = X509Certificate::from_der(c) {
            let a = x.signature_algorithm.algorithm.to_id_string();
            if a == "1.2.840.113549.1.1.5" || a == "1.2.840.10045.4.1" {
                out.warnings.push(Finding::LegacySha1Certificate { subject: Name::from_x509(x.subject()) });
            }
        }
    }

    // Revocation of every certificate except the anchor.
    if p.revocation == RevocationMode::Off {
        out.revocation = RevocationStatus::NotChecked;
        out.checks.push(check(CheckName::Revocation, CheckStatus::Skipped, Finding::RevocationOff));
        out.warnings.push(Finding::RevocationOff);
        return out;
    }
    let mut unknown: Vec<UnknownStatus> = Vec::new();
    let mut revoked: Option<(Name, crl::Revoked)> = None;
    let mut checked: Vec<Name> = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        let Ok((_, x)) = X509Certificate::from_der(c) else { continue };
        let (issuer_name, issuer_spki, issuer_crl_sign) = match certs.get(i + 1) {
            Some(next) => match X509Certificate::from_der(next) {
                Ok((_, n)) => (
                    n.subject().as_raw().to_vec(),
                    n.public_key().raw.to_vec(),
                    n.key_usage().ok().flatten().map(|k| k.value.crl_sign()),
                ),
                Err(_) => continue,
            },
            None => (anchor_name.clone(), anchor_spki.clone(), anchor_crl_sign),
        };
        let is_ca = i > 0;
        let mut good = false;
        let mut reasons: Vec<CrlProblem> = Vec::new();
        for crl in p.crls {
            if crl.issuer != issuer_name {
                continue;
            }
            match crl::check(crl, p.policy, x.raw_serial(), is_ca, &issuer_name, &issuer_spki, issuer_crl_sign, p.time) {
                Ok(crl::Status::Revoked(r)) => {
                    if revoked.is_none() {
                        revoked = Some((Name::from_x509(x.subject()), r));
                    }
                }
                Ok(crl::Status::Good) => good = true,
                Ok(crl::Status::Stale) => reasons.push(CrlProblem::Stale {
                    issuer: crl.issuer_name.clone(),
                    next_update: at(crl.next_update.unwrap_or(crl.this_update)),
                }),
                Err(why) => reasons.push(why),
            }
        }
        if !good {
            unknown.push(UnknownStatus { subject: Name::from_x509(x.subject()), problems: reasons });
        } else {
            checked.push(Name::from_x509(x.subject()));
        }
    }
    if let Some((who, r)) = revoked {
        out.revocation = RevocationStatus::Revoked;
        out.revoked_at = Some((r.date, r.reason));
        let finding = Finding::Revoked { subject: who, date: at(r.date), reason: r.reason.map(CrlReason::from_code), poe: None };
        out.checks.push(check(CheckName::Revocation, CheckStatus::Failed, finding));
        out.failures.push(if r.date <= p.time { SubIndication::Revoked } else { SubIndication::RevokedNoPoe });
        return out;
    }
    if unknown.is_empty() {
        out.revocation = RevocationStatus::Good;
        out.checks.push(check(CheckName::Revocation, CheckStatus::Passed, Finding::NotRevoked { subjects: checked }));
        return out;
    }
    out.revocation = RevocationStatus::Unknown;
    match p.revocation {
        RevocationMode::Require => {
            out.checks.push(check(CheckName::Revocation, CheckStatus::Failed, Finding::RevocationUnknown { certificates: unknown }));
            out.failures.push(SubIndication::TryLater);
        }
        _ => {
            out.warnings.push(Finding::RevocationNotChecked { certificates: unknown.clone() });
            out.checks.push(check(CheckName::Revocation, CheckStatus::Warning, Finding::RevocationUnknown { certificates: unknown }));
        }
    }
    out
}

impl PathOutcome {
    /// The certificates whose revocation status is unknown (from the revocation check).
    pub(crate) fn unknown_revocation(&self) -> Vec<UnknownStatus> {
        self.checks
            .iter()
            .find_map(|c| match &c.finding {
                Finding::RevocationUnknown { certificates } => Some(certificates.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Marks the revocation check with what a proof of existence at `poe` makes of it.
    pub(crate) fn judge_revocation(&mut self, poe: PoeJudgement) {
        for c in self.checks.iter_mut().filter(|c| c.name == CheckName::Revocation && c.status == CheckStatus::Failed) {
            if let Finding::Revoked { poe: slot, .. } = &mut c.finding {
                *slot = Some(poe);
            }
            if poe.accepted {
                c.status = CheckStatus::Passed;
            }
        }
    }
}
