//! Certificate path validation: kyso's RFC 5280 engine ([`crate::path`], §6.1: building over
//! every candidate issuer, signatures with the policy's algorithms, validity, name chaining,
//! basicConstraints, pathLen, keyCertSign, name constraints, certificate policies) and
//! [`crate::revocation`] (§6.3 CRLs, fail closed); kyso adds what the engine leaves to the
//! flows — the signer's key usage and EKU purpose, the key strength of the leaf, SHA-1
//! warnings — and turns the typed outcome into the report's checks.
//!
//! Not checked: OCSP, CRL distribution point fetching (kyso never goes online).

use super::crl::Crl;
use super::{Purpose, RevocationMode};
use crate::alg::{oid, Policy};
use crate::asn1 as der;
use crate::findings::{
    Check, CheckName, CheckStatus, CrlProblem, CrlReason, CrlSignerProblem, Finding, KeyDescription, KeyProblem, Name,
    PoeJudgement, SubIndication, UnknownStatus,
};
use crate::path::{self as engine, PathError, PolicySet};
use crate::report::RevocationStatus;
use crate::revocation::{self, CertStatus};
use ::time::OffsetDateTime;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::*;

/// Limit on the number of intermediates in a path. RFC 5280 sets none; webpki caps sub-CAs at 6
/// (`MAX_SUB_CA_COUNT`); a provincial hierarchy has one or two. The limit bounds path-building
/// work on attacker-supplied certificate sets.
pub const MAX_CHAIN_DEPTH: usize = 6;

/// A trust anchor.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    pub engine: engine::Anchor,
    /// The certificate as given.
    pub der: Vec<u8>,
}

/// RFC 5280 §6.1.1 policy inputs chosen by the caller (`--policy-oid`, `--require-explicit-policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PolicyInputs {
    /// user-initial-policy-set; empty = any-policy.
    pub policies: Vec<const_oid::ObjectIdentifier>,
    /// initial-explicit-policy.
    pub require_explicit: bool,
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
    /// The policies the path is valid for, when a path validated.
    pub policies: Option<PolicySet>,
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
    pub policies: &'a PolicyInputs,
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

/// Strength of the leaf's own key (the engine checks the keys that sign certificates).
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

/// The ETSI sub-indication of a path failure.
pub(crate) fn sub_indication(e: &PathError, time: i64) -> SubIndication {
    match e {
        // An issuer with the right name whose signature does not verify is not an issuer.
        PathError::NoIssuer { .. } | PathError::BadSignature { .. } => SubIndication::NoCertificateChainFound,
        PathError::Expired { .. } => SubIndication::OutOfBoundsNoPoe,
        PathError::NotYetValid { .. } => SubIndication::NotYetValid,
        PathError::AnchorValidity { not_before, .. } if time < not_before.unix_timestamp() => SubIndication::NotYetValid,
        PathError::AnchorValidity { .. } => SubIndication::OutOfBoundsNoPoe,
        PathError::UnsupportedAlgorithm { .. } | PathError::WeakKey { .. } => SubIndication::CryptoConstraintsFailure,
        PathError::Malformed { .. } => SubIndication::FormatFailure,
        PathError::Budget(_) => SubIndication::CertificateChainGeneralFailure,
        _ => SubIndication::ChainConstraintsFailure,
    }
}

/// A Unix time as a time value (the epoch when out of range).
pub(crate) fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) use crate::path::path_problem;

/// The revocation engine's problem as a typed finding.
fn crl_problem(p: &revocation::CrlProblem, time: i64) -> CrlProblem {
    use revocation::CrlProblem as P;
    match p {
        P::NoCrl => CrlProblem::NoCrl,
        P::ReasonsNotCovered { missing } => CrlProblem::ReasonsNotCovered {
            missing: (1..16u8).filter(|b| missing & (1u16 << b) != 0).map(CrlReason::from_code).collect(),
        },
        P::Stale { issuer, next_update } => CrlProblem::Stale { issuer: issuer.clone(), next_update: *next_update },
        P::UnknownCriticalExtension { issuer, oid } => CrlProblem::UnknownCriticalExtension { issuer: issuer.clone(), oid: oid.to_string() },
        P::AttributeCertificates => CrlProblem::AttributeCertificates,
        P::NoCrlNumber { issuer } => CrlProblem::NoCrlNumber { issuer: issuer.clone() },
        P::NoValidSigner { issuer, why } => CrlProblem::NoValidSigner {
            issuer: issuer.clone(),
            why: why.as_ref().map(|w| match w {
                revocation::SignerProblem::BadSignature => CrlSignerProblem::BadSignature,
                revocation::SignerProblem::Algorithm => CrlSignerProblem::Algorithm,
                revocation::SignerProblem::NoCrlSign => CrlSignerProblem::NoCrlSign,
                revocation::SignerProblem::Path(e) => CrlSignerProblem::Path(Box::new(path_problem(e, time))),
                _ => CrlSignerProblem::NotGood,
            }),
        },
        P::DeltaUnusable { issuer } => CrlProblem::DeltaUnusable { issuer: issuer.clone() },
        _ => CrlProblem::Budget,
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
        policies: None,
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

    // Path building and §6.1 validation with kyso's engine.
    let eku = match p.purpose {
        Purpose::DocumentSigning => engine::EkuRule::AnyOf(vec![oid::KP_DOCUMENT_SIGNING, oid::KP_EMAIL_PROTECTION]),
        Purpose::Any => engine::EkuRule::None,
        Purpose::Custom { required_eku: Some(o), .. } => engine::EkuRule::AnyOf(vec![*o]),
        Purpose::Custom { required_eku: None, .. } => engine::EkuRule::LeafPurposes,
    };
    let max_depth = match p.purpose {
        Purpose::Custom { max_chain_depth: Some(d), .. } => (*d).min(MAX_CHAIN_DEPTH),
        _ => MAX_CHAIN_DEPTH,
    };
    let leaf_cert = match engine::Cert::from_der(leaf_der) {
        Ok(c) => c,
        Err(_) => {
            out.checks.push(check(CheckName::CertificatePath, CheckStatus::Failed, Finding::CertificateUnparseable));
            out.failures.push(SubIndication::FormatFailure);
            return out;
        }
    };
    // Candidates that do not parse cannot be issuers; they are left out.
    let candidates: Vec<engine::Cert> = p.intermediates.iter().filter_map(|c| engine::Cert::from_der(c.as_ref()).ok()).collect();
    let anchors: Vec<engine::Anchor> = p.anchors.iter().map(|a| a.engine.clone()).collect();
    let mut settings = engine::Settings::at(p.time);
    settings.alg_policy = p.policy;
    settings.eku = eku;
    settings.max_intermediates = max_depth;
    settings.initial_policy_set = if p.policies.policies.is_empty() { None } else { Some(p.policies.policies.clone()) };
    settings.initial_explicit_policy = p.policies.require_explicit;
    let path = match engine::build_and_validate(&leaf_cert, &candidates, &anchors, &settings) {
        Ok(path) => path,
        Err(e) => {
            out.checks.push(check(CheckName::CertificatePath, CheckStatus::Failed, Finding::PathFailed(path_problem(&e, p.time))));
            out.failures.push(sub_indication(&e, p.time));
            out.revocation = RevocationStatus::Unknown;
            return out;
        }
    };
    for c in &path.certs[1..] {
        out.chain.push(c.subject().report());
    }
    let anchor = path.anchor.cert().subject().report();
    out.chain.push(anchor.clone());
    out.checks.push(check(CheckName::CertificatePath, CheckStatus::Passed, Finding::PathFound { length: path.certs.len() + 1, anchor }));
    out.policies = Some(path.policies.clone());
    // Named when the caller asked for policies (--policy-oid, --require-explicit-policy).
    if *p.policies != PolicyInputs::default() {
        let policies = match &path.policies {
            PolicySet::Any => None,
            PolicySet::Oids(v) => Some(v.clone()),
        };
        out.checks.push(check(CheckName::CertificatePolicies, CheckStatus::Passed, Finding::ValidPolicies { policies }));
    }

    // SHA-1 in the path (only reachable under the legacy policy: strict's list has no SHA-1).
    for c in &path.certs {
        if let Ok((_, x)) = X509Certificate::from_der(c.der()) {
            let a = x.signature_algorithm.algorithm.to_id_string();
            if a == "1.2.840.113549.1.1.5" || a == "1.2.840.10045.4.1" {
                out.warnings.push(Finding::LegacySha1Certificate { subject: Name::from_x509(x.subject()) });
            }
        }
    }

    // Revocation of every certificate except the anchor (RFC 5280 §6.3).
    if p.revocation == RevocationMode::Off {
        out.revocation = RevocationStatus::NotChecked;
        out.checks.push(check(CheckName::Revocation, CheckStatus::Skipped, Finding::RevocationOff));
        out.warnings.push(Finding::RevocationOff);
        return out;
    }
    let statuses = revocation::check_path(&path, revocation::Inputs { crls: p.crls, certificates: &candidates, settings: &settings });
    let mut unknown: Vec<UnknownStatus> = Vec::new();
    let mut checked: Vec<Name> = Vec::new();
    for (c, st) in path.certs.iter().zip(statuses.iter()) {
        let who = c.subject().report();
        match st {
            CertStatus::Revoked { date, reason, .. } => {
                let code = reason.map(|r| r.code());
                out.revocation = RevocationStatus::Revoked;
                out.revoked_at = Some((date.unix_timestamp(), code));
                let finding = Finding::Revoked { subject: who, date: *date, reason: code.map(CrlReason::from_code), poe: None };
                out.checks.push(check(CheckName::Revocation, CheckStatus::Failed, finding));
                out.failures.push(if date.unix_timestamp() <= p.time { SubIndication::Revoked } else { SubIndication::RevokedNoPoe });
                return out;
            }
            CertStatus::Good => checked.push(who),
            CertStatus::Unknown(problems) => {
                let problems = problems.iter().filter(|q| **q != revocation::CrlProblem::NoCrl).map(|q| crl_problem(q, p.time)).collect();
                unknown.push(UnknownStatus { subject: who, problems });
            }
        }
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
