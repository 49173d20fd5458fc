//! Certificate path validation: kyso's RFC 5280 engine ([`crate::path`], §6.1: building over
//! every candidate issuer, signatures with the policy's algorithms, validity, name chaining,
//! basicConstraints, pathLen, keyCertSign, name constraints, certificate policies) and
//! [`crate::revocation`] (§6.3 CRLs, fail closed); kyso adds what the engine leaves to the
//! flows — the signer's key usage and EKU purpose, the key strength of the leaf, SHA-1
//! warnings — and turns the typed outcome into the report's checks.
//!
//! Not checked: OCSP, CRL distribution point fetching (kyso never goes online).

use super::crl::Crl;
use super::der;
use super::{Purpose, RevocationMode};
use crate::alg::{oid, Policy};
use crate::path::{self as engine, PathError, PolicySet};
use crate::report::{Check, CheckStatus, RevocationStatus, SubIndication};
use crate::revocation::{self, CertStatus, CrlProblem};
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
    pub chain: Vec<String>,
    pub checks: Vec<Check>,
    pub warnings: Vec<String>,
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

/// Key usage bits (RFC 5280 §4.2.1.3) a caller can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsageBit {
    /// digitalSignature (0)
    DigitalSignature,
    /// nonRepudiation / contentCommitment (1)
    NonRepudiation,
    /// keyEncipherment (2)
    KeyEncipherment,
    /// dataEncipherment (3)
    DataEncipherment,
    /// keyAgreement (4)
    KeyAgreement,
    /// keyCertSign (5)
    KeyCertSign,
    /// cRLSign (6)
    CrlSign,
}

impl KeyUsageBit {
    fn is_set(self, ku: &KeyUsage) -> bool {
        match self {
            KeyUsageBit::DigitalSignature => ku.digital_signature(),
            KeyUsageBit::NonRepudiation => ku.non_repudiation(),
            KeyUsageBit::KeyEncipherment => ku.key_encipherment(),
            KeyUsageBit::DataEncipherment => ku.data_encipherment(),
            KeyUsageBit::KeyAgreement => ku.key_agreement(),
            KeyUsageBit::KeyCertSign => ku.key_cert_sign(),
            KeyUsageBit::CrlSign => ku.crl_sign(),
        }
    }
}

/// The leaf's purpose checks (DESIGN.md §4 rule 3 for document signing).
fn leaf_purpose(leaf: &X509Certificate<'_>, purpose: &Purpose, policy: Policy, checks: &mut Vec<Check>, warnings: &mut Vec<String>) -> Option<SubIndication> {
    let ku = match leaf.key_usage() {
        Ok(k) => k.map(|k| *k.value),
        Err(e) => {
            checks.push(Check::new("signer_key_usage", CheckStatus::Failed, format!("malformed keyUsage: {e}")));
            return Some(SubIndication::ChainConstraintsFailure);
        }
    };
    let ekus = eku_oids(leaf);
    let is_ca = matches!(leaf.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    // RFC 5280 §4.2.1.3 and §4.2.1.10: keyCertSign and nameConstraints belong to CA certificates.
    if !is_ca && ku.as_ref().is_some_and(|k| k.key_cert_sign()) {
        checks.push(Check::new("signer_key_usage", CheckStatus::Failed, "keyCertSign in a certificate that is not a CA (RFC 5280 §4.2.1.3)"));
        return Some(SubIndication::ChainConstraintsFailure);
    }
    if !is_ca && leaf.extensions().iter().any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS) {
        checks.push(Check::new("signer_key_usage", CheckStatus::Failed, "nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10)"));
        return Some(SubIndication::ChainConstraintsFailure);
    }
    match purpose {
        Purpose::Any => {
            checks.push(Check::new("signer_key_usage", CheckStatus::Skipped, "purpose any: no key usage or EKU imposed"));
            None
        }
        Purpose::DocumentSigning => {
            if is_ca {
                checks.push(Check::new("signer_key_usage", CheckStatus::Failed, "the signer certificate is a CA certificate (basicConstraints cA=TRUE)"));
                return Some(SubIndication::ChainConstraintsFailure);
            }
            match &ku {
                None => {
                    checks.push(Check::new("signer_key_usage", CheckStatus::Failed, "the signer certificate has no keyUsage extension (digitalSignature or nonRepudiation needed)"));
                    return Some(SubIndication::ChainConstraintsFailure);
                }
                Some(k) if !k.digital_signature() && !k.non_repudiation() => {
                    checks.push(Check::new("signer_key_usage", CheckStatus::Failed, format!("keyUsage {k} has neither digitalSignature nor nonRepudiation")));
                    return Some(SubIndication::ChainConstraintsFailure);
                }
                Some(k) if !k.digital_signature() && policy == Policy::Legacy => {
                    warnings.push("legacy policy: the signer certificate has nonRepudiation only (no digitalSignature)".into());
                }
                _ => {}
            }
            if let Some(ekus) = &ekus {
                let ok = ekus.iter().any(|o| {
                    o.as_slice() == oid::KP_DOCUMENT_SIGNING.as_bytes() || o.as_slice() == oid::KP_EMAIL_PROTECTION.as_bytes()
                });
                if !ok {
                    checks.push(Check::new("signer_key_usage", CheckStatus::Failed, "the extendedKeyUsage allows neither documentSigning nor emailProtection"));
                    return Some(SubIndication::ChainConstraintsFailure);
                }
            }
            let ku_text = ku.map(|k| k.to_string()).unwrap_or_default();
            checks.push(Check::new("signer_key_usage", CheckStatus::Passed, format!("end-entity certificate, keyUsage {ku_text}{}", if ekus.is_some() { ", EKU allows document signing" } else { "" })));
            None
        }
        Purpose::Custom { required_eku, key_usage, .. } => {
            if let Some(req) = required_eku {
                let has = ekus.as_ref().is_some_and(|e| e.iter().any(|o| o.as_slice() == req.as_bytes()));
                if !has {
                    checks.push(Check::new("signer_key_usage", CheckStatus::Failed, format!("the leaf lacks the required EKU {req}")));
                    return Some(SubIndication::ChainConstraintsFailure);
                }
            }
            for bit in key_usage {
                if !ku.as_ref().is_some_and(|k| bit.is_set(k)) {
                    checks.push(Check::new("signer_key_usage", CheckStatus::Failed, format!("the leaf lacks key usage {bit:?}")));
                    return Some(SubIndication::ChainConstraintsFailure);
                }
            }
            checks.push(Check::new("signer_key_usage", CheckStatus::Passed, "the required key usage and EKU are present"));
            None
        }
    }
}

/// Strength of the leaf's own key (webpki checks the keys that sign certificates, not the leaf's).
fn leaf_key_strength(leaf: &X509Certificate<'_>) -> Result<String, String> {
    let spki = leaf.public_key();
    let alg = &spki.algorithm.algorithm;
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits < 2048 {
                Err(format!("RSA key of {bits} bits (at least 2048 required)"))
            } else {
                Ok(format!("RSA {bits} bits"))
            }
        }
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
            let name = curve.map(|c| c.to_id_string()).unwrap_or_default();
            if name == oid::P256.to_string() {
                Ok("ECDSA P-256".into())
            } else if name == oid::P384.to_string() {
                Ok("ECDSA P-384".into())
            } else {
                Err(format!("elliptic curve {name} not allowed (P-256 or P-384 required)"))
            }
        }
        _ if alg.to_id_string() == oid::ED25519.to_string() => Ok("Ed25519".into()),
        _ => Err(format!("public key algorithm {alg} not allowed")),
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

/// The report text of a path failure (English, until the typed findings of issue 13 render it).
fn describe(e: &PathError, time: i64) -> String {
    match e {
        PathError::Expired { not_after, .. } => {
            format!("a certificate of the path expired at {} (validation time {})", fmt_unix(not_after.unix_timestamp()), fmt_unix(time))
        }
        PathError::NotYetValid { not_before, .. } => {
            format!("a certificate of the path is valid only from {} (validation time {})", fmt_unix(not_before.unix_timestamp()), fmt_unix(time))
        }
        PathError::AnchorValidity { anchor, not_before, not_after } => format!(
            "the trust anchor {anchor} is valid only from {} to {}",
            fmt_unix(not_before.unix_timestamp()),
            fmt_unix(not_after.unix_timestamp())
        ),
        // The wording the report renderer translates (issue 13 turns these into typed findings).
        PathError::NoIssuer { .. } => "no path to a trust anchor (unknown issuer, or a signature in the path does not verify)".into(),
        PathError::BadSignature { .. } => "no path to a trust anchor: a certificate's signature does not verify with its issuer's key".into(),
        other => format!("path validation failed: {other}"),
    }
}

/// The report text of a revocation problem.
fn describe_problem(p: &CrlProblem) -> String {
    match p {
        CrlProblem::NoCrl => "no CRL of its issuer".into(),
        CrlProblem::ReasonsNotCovered { missing } => format!("the CRLs given do not cover every revocation reason (missing reason flags {missing:#x})"),
        CrlProblem::Stale { issuer, next_update } => format!("the CRL of {issuer} is stale (nextUpdate {})", fmt_unix(next_update.unix_timestamp())),
        CrlProblem::UnknownCriticalExtension { issuer, oid } => format!("the CRL of {issuer} has an unknown critical extension {oid}"),
        CrlProblem::AttributeCertificates => "the CRL covers attribute certificates only".into(),
        CrlProblem::NoCrlNumber { issuer } => format!("the CRL of {issuer} has no CRL number (RFC 5280 §5.2.3)"),
        CrlProblem::NoValidSigner { issuer, why } => match why {
            Some(revocation::SignerProblem::BadSignature) => format!("the CRL of {issuer} has a wrong signature"),
            Some(revocation::SignerProblem::NoCrlSign) => "the CRL issuer's key usage lacks cRLSign".to_string(),
            Some(revocation::SignerProblem::Algorithm) => "the CRL's signature algorithm is not allowed by the policy".to_string(),
            Some(w) => format!("no usable key of {issuer} signed its CRL ({w:?})"),
            None => format!("no certificate of {issuer} to verify its CRL with"),
        },
        CrlProblem::DeltaUnusable { issuer } => format!("a delta CRL of {issuer} applies but cannot be used"),
        CrlProblem::Budget => "the CRL-checking budget ran out".into(),
    }
}

/// RFC 3339 text of a Unix time.
pub(crate) fn fmt_unix(t: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&::time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
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
            out.checks.push(Check::new("certificate_path", CheckStatus::Failed, "the certificate does not parse"));
            out.failures.push(SubIndication::FormatFailure);
            return out;
        }
    };
    out.chain.push(leaf.subject().to_string());

    // Leaf purpose (key usage, EKU, not a CA) and key strength.
    if let Some(f) = leaf_purpose(&leaf, p.purpose, p.policy, &mut out.checks, &mut out.warnings) {
        out.failures.push(f);
    }
    match leaf_key_strength(&leaf) {
        Ok(desc) => out.checks.push(Check::new("algorithm_policy", CheckStatus::Passed, format!("certificate key: {desc}"))),
        Err(why) => {
            out.checks.push(Check::new("algorithm_policy", CheckStatus::Failed, format!("certificate key: {why}")));
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
        Err(e) => {
            out.checks.push(Check::new("certificate_path", CheckStatus::Failed, format!("the certificate is not acceptable: {e}")));
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
            out.checks.push(Check::new("certificate_path", CheckStatus::Failed, describe(&e, p.time)));
            out.failures.push(sub_indication(&e, p.time));
            out.revocation = RevocationStatus::Unknown;
            return out;
        }
    };
    for c in &path.certs[1..] {
        out.chain.push(c.subject().text().to_string());
    }
    let anchor_text = path.anchor.cert().subject().text().to_string();
    out.chain.push(anchor_text.clone());
    out.checks.push(Check::new(
        "certificate_path",
        CheckStatus::Passed,
        format!("path of {} certificate(s) to the trust anchor {anchor_text}", path.certs.len() + 1),
    ));
    out.policies = Some(path.policies.clone());
    let policy_text = match &path.policies {
        PolicySet::Any => "any policy".to_string(),
        PolicySet::Oids(v) if v.is_empty() => "none (no explicit policy required)".to_string(),
        PolicySet::Oids(v) => v.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", "),
    };
    // Named when the caller asked for policies (--policy-oid, --require-explicit-policy).
    if *p.policies != PolicyInputs::default() {
        out.checks.push(Check::new("certificate_policies", CheckStatus::Passed, format!("valid policies: {policy_text}")));
    }

    // SHA-1 in the path (only reachable under the legacy policy: strict's list has no SHA-1).
    for c in &path.certs {
        if let Ok((_, x)) = X509Certificate::from_der(c.der()) {
            let a = x.signature_algorithm.algorithm.to_id_string();
            if a == "1.2.840.113549.1.1.5" || a == "1.2.840.10045.4.1" {
                out.warnings.push(format!("legacy policy: the certificate {} is signed with SHA-1", x.subject()));
            }
        }
    }

    // Revocation of every certificate except the anchor (RFC 5280 §6.3).
    if p.revocation == RevocationMode::Off {
        out.revocation = RevocationStatus::NotChecked;
        out.checks.push(Check::new("revocation", CheckStatus::Skipped, "revocation checking is off"));
        out.warnings.push("revocation checking is off".into());
        return out;
    }
    let statuses = revocation::check_path(&path, revocation::Inputs { crls: p.crls, certificates: &candidates, settings: &settings });
    let mut unknown: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for (c, st) in path.certs.iter().zip(statuses.iter()) {
        let who = c.subject().text();
        match st {
            CertStatus::Revoked { date, reason, .. } => {
                let date = date.unix_timestamp();
                let code = reason.map(|r| r.code());
                out.revocation = RevocationStatus::Revoked;
                out.revoked_at = Some((date, code));
                let reason = code.map(|c| format!(", reason code {c}")).unwrap_or_default();
                out.checks.push(Check::new("revocation", CheckStatus::Failed, format!("{who} was revoked at {}{reason}", fmt_unix(date))));
                out.failures.push(if date <= p.time { SubIndication::Revoked } else { SubIndication::RevokedNoPoe });
                return out;
            }
            CertStatus::Good => notes.push(format!("{who}: not revoked")),
            CertStatus::Unknown(problems) if problems.as_slice() == [CrlProblem::NoCrl] => unknown.push(format!("no usable CRL for {who}")),
            CertStatus::Unknown(problems) => {
                let why: Vec<String> = problems.iter().filter(|p| **p != CrlProblem::NoCrl).map(describe_problem).collect();
                unknown.push(format!("no usable CRL for {who} ({})", why.join("; ")));
            }
        }
    }
    if unknown.is_empty() {
        out.revocation = RevocationStatus::Good;
        out.checks.push(Check::new("revocation", CheckStatus::Passed, notes.join("; ")));
        return out;
    }
    out.revocation = RevocationStatus::Unknown;
    let detail = unknown.join("; ");
    match p.revocation {
        RevocationMode::Require => {
            out.checks.push(Check::new("revocation", CheckStatus::Failed, detail));
            out.failures.push(SubIndication::TryLater);
        }
        _ => {
            out.warnings.push(format!("revocation not checked: {detail}"));
            out.checks.push(Check::new("revocation", CheckStatus::Warning, detail));
        }
    }
    out
}
