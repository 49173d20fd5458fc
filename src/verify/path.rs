//! Certificate path validation: kyso's RFC 5280 engine ([`crate::path`], §6.1: building over
//! every candidate issuer, signatures with the policy's algorithms, validity, name chaining,
//! basicConstraints, pathLen, keyCertSign, name constraints, certificate policies) and
//! [`crate::revocation`] (§6.3 CRLs, fail closed); kyso adds what the engine leaves to the
//! flows — the signer's key usage and EKU purpose, the key strength of the leaf, SHA-1
//! warnings — and turns the typed outcome into the report's checks.
//!
//! Revocation data the caller lacks is fetched through the verifier's revocation source (the
//! CLI's HTTP fetcher; the library itself does no I/O): OCSP from authorityInfoAccess, then CRL
//! distribution points, only for certificates of a validated path, each fetch reported.

use super::crl::Crl;
use super::{Purpose, RevocationMode};
use crate::alg::{oid, Policy};
use crate::asn1 as der;
use crate::findings::{
    Check, CheckName, CheckStatus, CrlProblem, CrlReason, CrlSignerProblem, Fetch, FetchKind, FetchOutcome, Finding, KeyDescription,
    KeyProblem, Name, PoeJudgement, SubIndication, UnknownStatus,
};
use crate::path::{self as engine, PathError, PolicySet};
use crate::report::RevocationStatus;
use crate::revocation::source::{RevocationSource, MAX_FETCHES_PER_PATH, MAX_URLS_PER_CERTIFICATE};
use crate::revocation::{self, CertStatus, OcspResponse};
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
    /// OCSP responses given or embedded.
    pub ocsp: &'a [OcspResponse],
    /// Where to fetch missing revocation data (None: nothing is fetched).
    pub source: Option<&'a dyn RevocationSource>,
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
fn leaf_purpose(leaf: &X509Certificate<'_>, purpose: &Purpose, checks: &mut Vec<Check>) -> Option<SubIndication> {
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
                // nonRepudiation (contentCommitment) alone is enough under both policies: ETSI EN
                // 319 412-2 profiles qualified signing certificates that way (DESIGN.md §4 rule 3).
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

/// Strength of the leaf's own key under the policy (the engine checks the keys that sign
/// certificates): the description, and whether only the legacy policy allows it.
fn leaf_key_strength(leaf: &X509Certificate<'_>, policy: Policy) -> Result<(KeyDescription, bool), KeyProblem> {
    use crate::alg::pubkey;
    match pubkey::parse(leaf.public_key().raw) {
        Ok(key) => pubkey::judge(policy, &key),
        Err(pubkey::KeyError::Unsupported(p)) => Err(p),
        Err(pubkey::KeyError::Malformed) => {
            Err(KeyProblem::AlgorithmNotAllowed { algorithm: leaf.public_key().algorithm.algorithm.to_id_string() })
        }
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
    if let Some(f) = leaf_purpose(&leaf, p.purpose, &mut out.checks) {
        out.failures.push(f);
    }
    match leaf_key_strength(&leaf, p.policy) {
        Ok((desc, false)) => out.checks.push(check(CheckName::AlgorithmPolicy, CheckStatus::Passed, Finding::CertificateKey(desc))),
        Ok((desc, true)) => {
            // Only the legacy policy allows it (RSA of 1024–2047 bits): a warning on the signature.
            if let KeyDescription::Rsa { bits } = desc {
                out.warnings.push(Finding::LegacyRsaKey { bits, strict_minimum: crate::alg::pubkey::rsa_minimum(Policy::Strict) });
            }
            out.checks.push(check(CheckName::AlgorithmPolicy, CheckStatus::Warning, Finding::CertificateKey(desc)));
        }
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
    let anchors: Vec<engine::Anchor> = p.anchors.iter().map(|a| a.engine.clone()).collect();
    // Candidates that do not parse cannot be issuers; they are left out. Each distinct
    // certificate is read once: a signature file usually carries the signer's certificate and the
    // chain given with --chain again, and reading a certificate is most of the work of a path
    // validation besides the signatures. Copies of the leaf and of anchors are the certificates
    // already read.
    let mut candidates: Vec<engine::Cert> = Vec::with_capacity(p.intermediates.len());
    for c in p.intermediates {
        let der = c.as_ref();
        if candidates.iter().any(|k| k.der() == der) {
            continue;
        }
        let known = if der == leaf_der { Some(leaf_cert.clone()) } else { anchors.iter().find(|a| a.cert().der() == der).map(|a| a.cert().clone()) };
        if let Some(k) = known.or_else(|| engine::Cert::from_der(der).ok()) {
            candidates.push(k);
        }
    }
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
        if matches!(c.signature_algorithm(), Some(a) if a == oid::SHA1_WITH_RSA || a == oid::ECDSA_SHA1) {
            out.warnings.push(Finding::LegacySha1Certificate { subject: c.subject().report() });
        }
    }

    // Revocation of every certificate except the anchor (RFC 5280 §6.3).
    if p.revocation == RevocationMode::Off {
        out.revocation = RevocationStatus::NotChecked;
        out.checks.push(check(CheckName::Revocation, CheckStatus::Skipped, Finding::RevocationOff));
        out.warnings.push(Finding::RevocationOff);
        return out;
    }
    let (outcomes, fetches) = revocation_with_fetching(&path, p, &candidates, &settings);
    let mut unknown: Vec<UnknownStatus> = Vec::new();
    let mut checked: Vec<Name> = Vec::new();
    // Where each status came from, and every fetch (named in the report).
    let mut data: Vec<Check> = Vec::new();
    for (k, (c, o)) in path.certs.iter().zip(outcomes.iter()).enumerate() {
        let who = c.subject().report();
        if let Some(src) = &o.source {
            data.push(check(CheckName::RevocationData, CheckStatus::Passed, Finding::StatusFrom { subject: who.clone(), source: src.clone() }));
        }
        for f in fetches.get(k).into_iter().flatten() {
            let status = if matches!(f.outcome, FetchOutcome::Received { .. }) { CheckStatus::Passed } else { CheckStatus::Warning };
            data.push(check(CheckName::RevocationData, status, Finding::RevocationFetched { subject: who.clone(), fetch: f.clone() }));
        }
    }
    for (k, (c, o)) in path.certs.iter().zip(outcomes.iter()).enumerate() {
        let who = c.subject().report();
        match &o.status {
            CertStatus::Revoked { date, reason, .. } => {
                let code = reason.map(|r| r.code());
                out.revocation = RevocationStatus::Revoked;
                out.revoked_at = Some((date.unix_timestamp(), code));
                let finding = Finding::Revoked { subject: who, date: *date, reason: code.map(CrlReason::from_code), poe: None };
                out.checks.push(check(CheckName::Revocation, CheckStatus::Failed, finding));
                out.checks.extend(data);
                out.failures.push(if date.unix_timestamp() <= p.time { SubIndication::Revoked } else { SubIndication::RevokedNoPoe });
                return out;
            }
            CertStatus::Good => checked.push(who),
            CertStatus::Unknown(problems) => {
                let problems = problems.iter().filter(|q| **q != revocation::CrlProblem::NoCrl).map(|q| crl_problem(q, p.time)).collect();
                let mut u = UnknownStatus::new(who, problems);
                u.ocsp = o.ocsp_problems.clone();
                u.fetches = fetches.get(k).cloned().unwrap_or_default();
                u.issuer = Some(c.issuer().report());
                let (ocsp_urls, crl_urls) = crate::ocsp::certificate_urls(c.der());
                u.ocsp_urls = ocsp_urls;
                u.crl_urls = crl_urls;
                unknown.push(u);
            }
        }
    }
    if unknown.is_empty() {
        out.revocation = RevocationStatus::Good;
        out.checks.push(check(CheckName::Revocation, CheckStatus::Passed, Finding::NotRevoked { subjects: checked }));
        out.checks.extend(data);
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
    out.checks.extend(data);
    out
}

/// The revocation outcome of each certificate of `path` from the CRLs and OCSP responses at
/// hand, then — for those still unknown, when the caller gave a source — from what the
/// certificate's OCSP responders (authorityInfoAccess) and CRL distribution points answer
/// (http only, at most [`MAX_FETCHES_PER_PATH`] fetches). Returns the outcomes and, per
/// certificate, the fetches made.
fn revocation_with_fetching(
    path: &engine::ValidPath,
    p: &PathParams<'_>,
    candidates: &[engine::Cert],
    settings: &engine::Settings,
) -> (Vec<revocation::Outcome>, Vec<Vec<Fetch>>) {
    let mut crls: Vec<Crl> = p.crls.to_vec();
    let mut ocsps: Vec<OcspResponse> = p.ocsp.to_vec();
    let run = |crls: &[Crl], ocsps: &[OcspResponse]| {
        revocation::check_path_with(path, revocation::Inputs { crls, certificates: candidates, settings }, ocsps)
    };
    let mut outcomes = run(&crls, &ocsps);
    let mut fetches: Vec<Vec<Fetch>> = vec![Vec::new(); path.certs.len()];
    let Some(source) = p.source else { return (outcomes, fetches) };
    let mut budget = MAX_FETCHES_PER_PATH;
    let unknown = |o: &[revocation::Outcome], k: usize| o.get(k).is_some_and(|x| matches!(x.status, CertStatus::Unknown(_)));
    for k in 0..path.certs.len() {
        if !unknown(&outcomes, k) {
            continue;
        }
        let Some(cert) = path.certs.get(k) else { continue };
        let issuer_der = path.certs.get(k + 1).map(|c| c.der()).unwrap_or_else(|| path.anchor.cert().der());
        let (ocsp_urls, crl_urls) = crate::ocsp::certificate_urls(cert.der());
        for url in ocsp_urls.iter().take(MAX_URLS_PER_CERTIFICATE) {
            if budget == 0 || !unknown(&outcomes, k) {
                break;
            }
            budget -= 1;
            let Ok(issuer) = crate::ocsp::IssuerKey::from_cert(issuer_der) else { break };
            // SHA-1 CertIDs: what RFC 5019 responders (and OpenSSL's client) use; the hash only
            // names the certificate — the answer's signature is what is trusted.
            let id = crate::ocsp::CertId::new(crate::ocsp::CertIdHash::Sha1, &issuer, cert.serial());
            let mut nonce = [0u8; 16];
            if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).is_err() {
                break;
            }
            let request = crate::ocsp::request_der(&[id], Some(&nonce));
            let outcome = match source.ocsp(url, &request) {
                Ok(f) => {
                    // A cached answer was made for an earlier request: its nonce is not this one's.
                    let r = OcspResponse::from_der(&f.bytes);
                    ocsps.push(if f.cached { r } else { r.with_request_nonce(&nonce) });
                    FetchOutcome::Received { bytes: f.bytes.len(), cached: f.cached }
                }
                Err(e) => FetchOutcome::Failed(e),
            };
            if let Some(v) = fetches.get_mut(k) {
                v.push(Fetch { url: url.clone(), kind: FetchKind::Ocsp, outcome });
            }
            outcomes = run(&crls, &ocsps);
        }
        for url in crl_urls.iter().take(MAX_URLS_PER_CERTIFICATE) {
            if budget == 0 || !unknown(&outcomes, k) {
                break;
            }
            budget -= 1;
            let outcome = match source.crl(url) {
                Ok(f) => {
                    let ders = crate::objects::crls(&f.bytes).unwrap_or_else(|_| vec![f.bytes.clone()]);
                    for d in ders.iter().take(4) {
                        if let Ok(c) = super::crl::parse(d) {
                            crls.push(c);
                        }
                    }
                    FetchOutcome::Received { bytes: f.bytes.len(), cached: f.cached }
                }
                Err(e) => FetchOutcome::Failed(e),
            };
            if let Some(v) = fetches.get_mut(k) {
                v.push(Fetch { url: url.clone(), kind: FetchKind::Crl, outcome });
            }
            outcomes = run(&crls, &ocsps);
        }
    }
    (outcomes, fetches)
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
