//! Token verification: what a timestamp proves, and against what. The token's SignerInfo goes
//! through the same CMS signer check as a document signature ([`crate::cms::signer`]): sid,
//! signed attributes, ESS signing-certificate(-v2), algorithm table and policy, signature over
//! the signed attributes as received.

use super::asn1::TstInfo;
use super::{Imprint, TspError, MAX_TOKEN_BYTES};
use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::cms::certs::CertEntry;
use crate::cms::signer::{self, Candidate, Content, SignerInput};
use crate::cms::signed_data;
use crate::findings::{
    CertInPath, Element, Finding, FormatKind, FormatProblem, ImprintPart, Name, PathProblem, SubIndication, TsaCertificateProblem,
};
use der::asn1::ObjectIdentifier;
use der::Decode;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use x509_parser::prelude::FromDer;

/// Budget on certificates considered from a token plus the caller's extras: a TSA chain is a
/// handful; 32 bounds the sid matching and the path search over them.
const MAX_CERTS: usize = 32;

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimestampInfo {
    /// The token's time (genTime), with its fraction of a second if any.
    pub gen_time: OffsetDateTime,
    /// The stated accuracy, if any.
    pub accuracy: Option<Duration>,
    /// Serial number (hex, as encoded).
    pub serial: String,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// The TSA certificate's subject.
    pub tsa_subject: Name,
    /// The TSA certificate (DER).
    pub tsa_certificate: Vec<u8>,
    /// The validated path, TSA first, trust anchor last; empty when the chain was not checked.
    pub chain: Vec<Name>,
    /// Whether the TSA certificate's path to a trust anchor was validated.
    pub chain_checked: bool,
    /// The imprint's digest algorithm.
    pub imprint_algorithm: DigestAlgorithm,
    /// The nonce, if the token has one (big-endian, as encoded).
    pub nonce: Option<Vec<u8>>,
}

/// Why a token does not verify: the finding of the check that failed, its ETSI sub-indication,
/// and — when only the TSA's trust failed — what the token claims.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenFailure {
    /// What failed.
    pub finding: Finding,
    /// The ETSI EN 319 102-1 sub-indication of that failure.
    pub sub_indication: SubIndication,
    /// What the token states, when it verifies but its TSA does not chain to a trust anchor.
    pub claimed: Option<Box<TimestampInfo>>,
}

/// Options of [`verify_token_with`].
#[derive(Debug, Clone, Copy)]
pub struct TokenCheck<'a> {
    /// Trust anchors (DER certificates) for the TSA. `None` skips path validation — only for a
    /// caller that says so to its user (e.g. `kyso timestamp` without `--tsa-trust`).
    pub anchors: Option<&'a [Vec<u8>]>,
    /// Extra certificates (DER) to find the TSA certificate and its issuers when the token does
    /// not carry them.
    pub extra_certificates: &'a [Vec<u8>],
    /// The time at which the TSA certificate's path is validated.
    pub time: OffsetDateTime,
    /// The nonce the token must carry (big-endian unsigned), if one was sent.
    pub nonce: Option<&'a [u8]>,
    /// The algorithm policy for the token's signature (as for document signatures).
    pub policy: Policy,
}

impl<'a> TokenCheck<'a> {
    /// Path validation to `anchors` at `time`, strict policy, no extra certificates, no nonce.
    pub fn new(anchors: &'a [Vec<u8>], time: OffsetDateTime) -> TokenCheck<'a> {
        TokenCheck { anchors: Some(anchors), extra_certificates: &[], time, nonce: None, policy: Policy::Strict }
    }

    /// No path validation: the token's own consistency only (say so to the user).
    pub fn without_trust(time: OffsetDateTime) -> TokenCheck<'a> {
        TokenCheck { anchors: None, extra_certificates: &[], time, nonce: None, policy: Policy::Strict }
    }

    /// With extra certificates.
    pub fn extra_certificates(mut self, certs: &'a [Vec<u8>]) -> TokenCheck<'a> {
        self.extra_certificates = certs;
        self
    }

    /// With a nonce the token must carry.
    pub fn nonce(mut self, nonce: &'a [u8]) -> TokenCheck<'a> {
        self.nonce = Some(nonce);
        self
    }

    /// With another algorithm policy.
    pub fn policy(mut self, policy: Policy) -> TokenCheck<'a> {
        self.policy = policy;
        self
    }
}

fn fail(finding: Finding, sub_indication: SubIndication) -> TspError {
    TspError::Invalid(Box::new(TokenFailure { finding, sub_indication, claimed: None }))
}

fn malformed(element: Element, kind: FormatKind) -> TspError {
    fail(Finding::Malformed(FormatProblem::new(element, kind)), SubIndication::FormatFailure)
}

/// Verifies an RFC 3161 token (DER, or BER normalised to DER) over `expected`, with the TSA's
/// path validated to one of `anchors` (DER certificates) at `time`. Returns what the token states.
pub fn verify_token(token: &[u8], expected: &Imprint, anchors: &[Vec<u8>], time: OffsetDateTime) -> Result<TimestampInfo, TspError> {
    verify_token_with(token, expected, &TokenCheck::new(anchors, time))
}

/// [`verify_token`] with options: a nonce to match, extra certificates, the algorithm policy, or
/// (explicitly) no path validation.
///
/// Checked: size; BER normalised to DER; SignedData with eContentType id-ct-TSTInfo and exactly
/// one SignerInfo; TSTInfo version 1; the message imprint (algorithm OID, absent or NULL
/// parameters, hash) equals `expected`; the nonce when asked; the SignerInfo by the shared CMS
/// signer check with the signing-certificate attribute required (content-type = id-ct-TSTInfo,
/// message-digest = the digest of the TSTInfo, the signature over the signed attributes as
/// received, the algorithm policy); the TSA certificate has the extended key usage
/// id-kp-timeStamping alone and critical, a key usage (if present) allowing digitalSignature or
/// nonRepudiation, and is not a CA; genTime lies within the TSA certificate's validity; the TSA
/// certificate chains to an anchor at `time` (CA certificates with an EKU must allow
/// id-kp-timeStamping).
///
/// NOT checked: the revocation status of the TSA certificate or its issuers (the caller does
/// that, see `crate::verify`); the policy OID (returned, the caller decides); the accuracy
/// (returned); the TSTInfo `tsa` name against the certificate; TSTInfo extensions (ignored);
/// whether genTime is plausible against any clock.
pub fn verify_token_with(token: &[u8], expected: &Imprint, check: &TokenCheck<'_>) -> Result<TimestampInfo, TspError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(fail(Finding::TokenTooLarge { limit: MAX_TOKEN_BYTES }, SubIndication::FormatFailure));
    }
    if let Some(a) = check.anchors {
        if a.is_empty() {
            return Err(fail(Finding::NoTsaTrustAnchor, SubIndication::NoCertificateChainFound));
        }
    }
    let der = crate::asn1::normalise(token).map_err(|e| malformed(Element::TimestampToken, signed_data::der_kind(e)))?.der;
    let parts = signed_data::parse(&der).map_err(|p| fail(Finding::Malformed(p), SubIndication::FormatFailure))?;
    if parts.econtent_type != signer::oid_tlv(&oid::CT_TST_INFO).as_slice() {
        return Err(malformed(Element::TimestampToken, FormatKind::WrongContentType));
    }
    let econtent = parts.econtent.ok_or_else(|| malformed(Element::EContent, FormatKind::Missing))?;
    let tst = decode_tst(econtent)?;
    check_imprint(&tst, expected)?;
    if let Some(n) = check.nonce {
        if tst.nonce.as_ref() != Some(&super::positive_int(n)?) {
            return Err(fail(Finding::NonceMismatch, SubIndication::FormatFailure));
        }
    }
    let [si] = parts.signers.as_slice() else {
        return Err(fail(Finding::TokenSignerCount { count: parts.signers.len() }, SubIndication::FormatFailure));
    };

    // Certificates: the token's, then the caller's.
    let mut certs: Vec<&[u8]> = parts.certificates.clone();
    certs.extend(check.extra_certificates.iter().map(Vec::as_slice));
    if certs.len() > MAX_CERTS {
        return Err(malformed(Element::Certificates, FormatKind::TooMany { limit: MAX_CERTS }));
    }
    let candidates: Vec<Candidate<'_>> = certs.iter().map(|c| Candidate { der: c, entry: Arc::new(CertEntry::new(c)) }).collect();

    // The SignerInfo: the same check as a document signature's.
    let cms = signer::check_signer(&SignerInput {
        signer_info: si,
        listed_digests: &parts.digest_algorithms,
        econtent_type: parts.econtent_type,
        candidates: &candidates,
        content: Content::Bytes(econtent),
        policy: check.policy,
        require_ess: true,
    });
    if let Some(finding) = cms.first_failure() {
        let sub = rank(&cms.failures).unwrap_or(SubIndication::FormatFailure);
        return Err(fail(finding.clone(), sub));
    }
    let Some(signer_idx) = cms.signer else {
        return Err(fail(Finding::SignerCertificateNotFound, SubIndication::NoSigningCertificateFound));
    };
    let signer_der = certs.get(signer_idx).copied().unwrap_or_default();

    // The TSA certificate.
    if let Err(p) = check_tsa_certificate(signer_der) {
        return Err(fail(Finding::NotATsaCertificate(p), SubIndication::ChainConstraintsFailure));
    }
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(signer_der)
        .map_err(|_| malformed(Element::Certificate, FormatKind::InvalidValue))?;
    let gen_time = tst.gen_time.to_offset_date_time();
    let nb = x.validity().not_before.timestamp();
    let na = x.validity().not_after.timestamp();
    let gt = gen_time.unix_timestamp();
    if gt < nb || gt > na {
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        return Err(fail(
            Finding::GenTimeOutsideValidity { gen_time, not_before: at(nb), not_after: at(na) },
            SubIndication::OutOfBoundsNoPoe,
        ));
    }
    let mut info = TimestampInfo {
        gen_time,
        accuracy: tst.accuracy.map(|a| a.as_duration()),
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy,
        tsa_subject: Name::from_x509(x.subject()),
        tsa_certificate: signer_der.to_vec(),
        chain_checked: false,
        chain: Vec::new(),
        imprint_algorithm: expected.algorithm,
        nonce: tst.nonce.as_ref().map(|n| n.as_bytes().to_vec()),
    };
    if let Some(anchors) = check.anchors {
        match validate_path(signer_der, &certs, signer_idx, anchors, check.time, check.policy) {
            Ok(chain) => {
                info.chain = chain;
                info.chain_checked = true;
            }
            Err(p) => {
                return Err(TspError::Invalid(Box::new(TokenFailure {
                    finding: Finding::TsaUntrusted(p),
                    sub_indication: SubIndication::NoCertificateChainFound,
                    claimed: Some(Box::new(info)),
                })));
            }
        }
    }
    Ok(info)
}

/// The most significant failure: TOTAL_FAILED ones before INDETERMINATE ones, then in order.
fn rank(failures: &[SubIndication]) -> Option<SubIndication> {
    failures.iter().find(|s| s.indication() == crate::findings::Indication::TotalFailed).or_else(|| failures.first()).copied()
}

fn decode_tst(econtent: &[u8]) -> Result<TstInfo, TspError> {
    let tst = TstInfo::from_der(econtent).map_err(|_| malformed(Element::TstInfo, FormatKind::InvalidValue))?;
    if tst.version != 1 {
        return Err(malformed(Element::TstInfo, FormatKind::UnknownVersion));
    }
    Ok(tst)
}

/// The TSTInfo of a token (DER or BER), decoded but not verified.
pub(crate) fn decode_tst_info(token: &[u8]) -> Result<TstInfo, TspError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(fail(Finding::TokenTooLarge { limit: MAX_TOKEN_BYTES }, SubIndication::FormatFailure));
    }
    let der = crate::asn1::normalise(token).map_err(|e| malformed(Element::TimestampToken, signed_data::der_kind(e)))?.der;
    let parts = signed_data::parse(&der).map_err(|p| fail(Finding::Malformed(p), SubIndication::FormatFailure))?;
    if parts.econtent_type != signer::oid_tlv(&oid::CT_TST_INFO).as_slice() {
        return Err(malformed(Element::TimestampToken, FormatKind::WrongContentType));
    }
    decode_tst(parts.econtent.ok_or_else(|| malformed(Element::EContent, FormatKind::Missing))?)
}

pub(crate) fn check_imprint(tst: &TstInfo, expected: &Imprint) -> Result<(), TspError> {
    let mi = &tst.message_imprint;
    let part = if mi.hash_algorithm.oid != expected.algorithm.oid() {
        Some(ImprintPart::Algorithm)
    } else if mi.hash_algorithm.parameters.as_ref().is_some_and(|p| !p.is_null()) {
        Some(ImprintPart::Parameters)
    } else if mi.hashed_message.as_bytes() != expected.digest.as_slice() {
        Some(ImprintPart::Hash)
    } else {
        None
    };
    match part {
        Some(part) => Err(fail(Finding::ImprintMismatch { part }, SubIndication::HashFailure)),
        None => Ok(()),
    }
}

/// RFC 3161 §2.3: EKU present, critical, id-kp-timeStamping alone; key usage (if present)
/// digitalSignature or nonRepudiation; not a CA.
pub(crate) fn check_tsa_certificate(cert_der: &[u8]) -> Result<(), TsaCertificateProblem> {
    use TsaCertificateProblem as P;
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(cert_der).map_err(|_| P::UnreadableEku)?;
    let eku = x.extended_key_usage().map_err(|_| P::UnreadableEku)?.ok_or(P::NoEku)?;
    if !eku.critical {
        return Err(P::EkuNotCritical);
    }
    let v = eku.value;
    if !v.time_stamping {
        return Err(P::NoTimeStamping);
    }
    if v.any || v.server_auth || v.client_auth || v.code_signing || v.email_protection || v.ocsp_signing || !v.other.is_empty() {
        return Err(P::OtherPurposes);
    }
    if let Ok(Some(ku)) = x.key_usage() {
        if !ku.value.digital_signature() && !ku.value.non_repudiation() {
            return Err(P::KeyUsage);
        }
    }
    if x.is_ca() {
        return Err(P::IsCa);
    }
    Ok(())
}

fn validate_path(
    signer_der: &[u8],
    certs: &[&[u8]],
    signer_idx: usize,
    anchors: &[Vec<u8>],
    time: OffsetDateTime,
    policy: Policy,
) -> Result<Vec<Name>, PathProblem> {
    use crate::path::{build_and_validate, Anchor, Cert, EkuRule, Settings};
    // An unusable anchor is no anchor (the verifier checks its own anchors when it is built).
    let trust: Vec<Anchor> = anchors.iter().filter_map(|a| Anchor::from_der(a).ok()).collect();
    let intermediates: Vec<Cert> =
        certs.iter().enumerate().filter(|(i, _)| *i != signer_idx).filter_map(|(_, c)| Cert::from_der(c).ok()).collect();
    let subject = Name::subject_of(signer_der);
    let ee = Cert::from_der(signer_der).map_err(|_| PathProblem::Malformed { cert: CertInPath { position: 0, subject } })?;
    let mut settings = Settings::at(time.unix_timestamp());
    // The TSA's path under the same algorithm policy as the signature it dates (legacy: SHA-1).
    settings.alg_policy = policy;
    // CA certificates with an EKU must allow id-kp-timeStamping; the TSA certificate's own EKU
    // is required by check_tsa_certificate (critical, id-kp-timeStamping alone).
    settings.eku = EkuRule::AnyOf(vec![crate::alg::oid::KP_TIME_STAMPING]);
    let path = build_and_validate(&ee, &intermediates, &trust, &settings).map_err(|e| crate::path::path_problem(&e, time.unix_timestamp()))?;
    let mut subjects: Vec<Name> = path.certs.iter().map(|c| c.subject().report()).collect();
    subjects.push(path.anchor.cert().subject().report());
    Ok(subjects)
}
