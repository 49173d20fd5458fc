//! The one SignerInfo check (RFC 5652 §5.3–§5.6; ESS signing-certificate, RFC 2634 / RFC 5035;
//! DESIGN.md §4 rule 2), used alike by document signatures (`crate::verify`), signature
//! timestamp tokens and PDF document timestamps (`crate::tsp`) — pyHanko's `generic_cms`
//! arrangement.
//!
//! In order: the SignerInfo parses and its digest algorithm is listed in the SignedData; it has
//! signed attributes, none repeated or multi-valued; the signer certificate is found among the
//! candidates by the sid (when several fit, the ESS attribute picks); content-type equals the
//! SignedData's eContentType; the content's digest equals message-digest; the signature
//! verifies over the signed attributes **as received** (re-tagged `[0]` → SET OF); the
//! algorithm policy allows the digest and scheme; signing-certificate(-v2), when present (and
//! required for timestamp tokens), names the signer certificate: hash, and issuerSerial compared
//! with the certificate's issuer and serial; signing-time, when present, decodes.
//!
//! What is **not** checked here: the certificate path, its purpose and revocation, proofs of
//! existence, and anything about the content beyond its digest — the callers do that.

use super::certs::CertEntry;
use super::{algs, signed_data};
use crate::asn1 as der;
use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::findings::{
    Check, CheckName, CheckStatus, EssProblem, EssVersion, Finding, SignatureScheme, SubIndication,
};
use std::collections::HashMap;
use std::sync::Arc;

/// A certificate the sid may name: its DER bytes and its parsed facts.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    /// The certificate as received.
    pub der: &'a [u8],
    /// Its facts (digests, sid keys, name, key).
    pub entry: Arc<CertEntry>,
}

/// What was signed, for the message-digest check.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content<'a> {
    /// Digests of the content computed while streaming it, by algorithm.
    Digests(&'a HashMap<DigestAlgorithm, Vec<u8>>),
    /// The content itself (e.g. a timestamp token's TSTInfo), hashed here.
    Bytes(&'a [u8]),
}

impl Content<'_> {
    fn digest(&self, alg: DigestAlgorithm) -> Option<Vec<u8>> {
        match self {
            Content::Digests(m) => m.get(&alg).cloned(),
            Content::Bytes(b) => Some(alg.digest(b)),
        }
    }
}

/// The inputs of one SignerInfo check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignerInput<'a> {
    /// The SignerInfo as received (DER).
    pub signer_info: &'a [u8],
    /// SignedData.digestAlgorithms (OID TLVs).
    pub listed_digests: &'a [&'a [u8]],
    /// SignedData.encapContentInfo.eContentType (OID TLV).
    pub econtent_type: &'a [u8],
    /// Certificates the sid may name.
    pub candidates: &'a [Candidate<'a>],
    /// The signed content.
    pub content: Content<'a>,
    /// The algorithm policy.
    pub policy: Policy,
    /// Whether a signing-certificate(-v2) attribute is required (timestamp tokens: RFC 3161
    /// §2.4.1 and RFC 5816) rather than recommended (a warning for document signatures).
    pub require_ess: bool,
}

/// What the check found.
#[derive(Debug, Clone)]
pub(crate) struct SignerCheck<'a> {
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Failures, in the order found (the caller ranks them).
    pub failures: Vec<SubIndication>,
    /// Warnings.
    pub warnings: Vec<Finding>,
    /// The signer certificate's position among the candidates, when found.
    pub signer: Option<usize>,
    /// The SignerInfo's digest algorithm, when known.
    pub digest: Option<DigestAlgorithm>,
    /// The signature scheme, when resolved.
    pub scheme: Option<SignatureScheme>,
    /// The signing-time attribute (Unix seconds), when present and readable.
    pub signing_time: Option<i64>,
    /// The signature value (empty when the SignerInfo does not parse).
    pub signature: &'a [u8],
}

impl SignerCheck<'_> {
    fn fail(&mut self, name: CheckName, sub: SubIndication, finding: Finding) {
        self.checks.push(Check::new(name, CheckStatus::Failed, finding));
        self.failures.push(sub);
    }

    fn pass(&mut self, name: CheckName, finding: Finding) {
        self.checks.push(Check::new(name, CheckStatus::Passed, finding));
    }

    /// The first failed check's finding (what a timestamp reports as the reason it failed).
    pub(crate) fn first_failure(&self) -> Option<&Finding> {
        self.checks.iter().find(|c| c.status == CheckStatus::Failed).map(|c| &c.finding)
    }
}

/// An OID as a DER TLV.
pub(crate) fn oid_tlv(o: &const_oid::ObjectIdentifier) -> Vec<u8> {
    let mut v = vec![0x06, o.as_bytes().len() as u8];
    v.extend_from_slice(o.as_bytes());
    v
}

/// The digest algorithm of an AlgorithmIdentifier's contents (parameters absent or NULL).
pub(crate) fn digest_of(alg_body: &[u8]) -> Option<DigestAlgorithm> {
    let (oid, params) = der::read(alg_body).ok()?;
    if !(params.is_empty() || params == [0x05, 0x00]) || oid.tag != 0x06 {
        return None;
    }
    let o = const_oid::ObjectIdentifier::from_bytes(oid.body).ok()?;
    DigestAlgorithm::from_oid(&o)
}

/// The OID of an OID TLV, when it decodes.
fn oid_of(tlv: &[u8]) -> Option<const_oid::ObjectIdentifier> {
    let t = der::read_all(tlv).ok()?;
    if t.tag != 0x06 {
        return None;
    }
    const_oid::ObjectIdentifier::from_bytes(t.body).ok()
}

/// Checks one SignerInfo (see the module documentation).
pub(crate) fn check_signer<'a>(input: &SignerInput<'a>) -> SignerCheck<'a> {
    let mut r = SignerCheck {
        checks: Vec::new(),
        failures: Vec::new(),
        warnings: Vec::new(),
        signer: None,
        digest: None,
        scheme: None,
        signing_time: None,
        signature: &[],
    };

    // 1. Structure.
    let si = match signed_data::parse_signer(input.signer_info) {
        Ok(s) => s,
        Err(p) => {
            r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::Malformed(p));
            return r;
        }
    };
    r.signature = si.signature;
    let digest = digest_of(si.digest_alg);
    r.digest = digest;
    // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms (OpenSSL insists).
    let listed = der::read(si.digest_alg).map(|(oid, _)| input.listed_digests.contains(&oid.raw)).unwrap_or(false);
    if !listed {
        r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::DigestAlgorithmNotListed);
        return r;
    }
    let Some(attrs_tlv) = si.signed_attrs else {
        r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::NoSignedAttributes);
        return r;
    };
    let attrs = match signed_data::attributes(&attrs_tlv) {
        Ok(a) => a,
        Err(p) => {
            r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::Malformed(p));
            return r;
        }
    };
    let single = |o: &const_oid::ObjectIdentifier| -> Result<Option<der::Tlv<'_>>, ()> {
        let tlv = oid_tlv(o);
        let mut found = attrs.iter().filter(|a| a.oid == tlv.as_slice());
        let Some(a) = found.next() else { return Ok(None) };
        if found.next().is_some() {
            return Err(());
        }
        match a.values.as_slice() {
            [v] => Ok(Some(*v)),
            _ => Err(()),
        }
    };
    let (Ok(ct), Ok(md), Ok(st), Ok(scv2), Ok(scv1)) = (
        single(&oid::ATTR_CONTENT_TYPE),
        single(&oid::ATTR_MESSAGE_DIGEST),
        single(&oid::ATTR_SIGNING_TIME),
        single(&oid::ATTR_SIGNING_CERTIFICATE_V2),
        single(&oid::ATTR_SIGNING_CERTIFICATE),
    ) else {
        r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::AttributeRepeated);
        return r;
    };
    r.pass(CheckName::Format, Finding::SignerInfoParses);

    // 2. The signer certificate by its sid. Several certificates may fit the sid (same key →
    // same subjectKeyIdentifier): the signing-certificate attribute, when present, identifies
    // the right one (ETSI EN 319 102-1 §5.2.3); otherwise the first fit is taken.
    let fits: Vec<usize> = input
        .candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.entry.facts.as_ref().is_some_and(|f| f.matches_sid(&si.sid)))
        .map(|(i, _)| i)
        .collect();
    let pick = if fits.len() < 2 {
        fits.first().copied()
    } else {
        let chosen = fits.iter().copied().find(|&i| {
            let c = &input.candidates[i];
            match (scv2, scv1) {
                (Some(v), _) => ess_matches(v.raw, c, EssVersion::V2, input.policy).is_ok(),
                (None, Some(v)) => ess_matches(v.raw, c, EssVersion::V1, input.policy).is_ok(),
                (None, None) => false,
            }
        });
        chosen.or(fits.first().copied())
    };
    let Some((idx, cand, facts)) = pick.and_then(|i| {
        let c = input.candidates.get(i)?;
        Some((i, c, c.entry.facts.as_ref()?))
    }) else {
        r.fail(CheckName::SignerCertificate, SubIndication::NoSigningCertificateFound, Finding::SignerCertificateNotFound);
        return r;
    };
    r.signer = Some(idx);
    r.pass(CheckName::SignerCertificate, Finding::SignerCertificateFound { subject: facts.subject.clone() });

    // 3. content-type = the eContentType (RFC 5652 §11.1).
    let expected = oid_of(input.econtent_type);
    match (ct, expected) {
        (Some(v), Some(e)) if v.raw == input.econtent_type => r.pass(CheckName::ContentType, Finding::ContentTypeMatches { content_type: e }),
        (Some(v), Some(e)) => r.fail(
            CheckName::ContentType,
            SubIndication::FormatFailure,
            Finding::ContentTypeMismatch { expected: e, found: oid_of(v.raw) },
        ),
        (Some(_), None) => r.fail(CheckName::ContentType, SubIndication::FormatFailure, Finding::Malformed(
            crate::findings::FormatProblem::new(crate::findings::Element::EncapContentInfo, crate::findings::FormatKind::InvalidValue),
        )),
        (None, _) => r.fail(CheckName::ContentType, SubIndication::FormatFailure, Finding::ContentTypeMissing),
    }

    // 4. message-digest against the content's digest.
    match (md, digest) {
        (None, _) => r.fail(CheckName::MessageDigest, SubIndication::FormatFailure, Finding::MessageDigestMissing),
        (Some(v), _) if v.tag != 0x04 => r.fail(CheckName::MessageDigest, SubIndication::FormatFailure, Finding::MessageDigestNotOctetString),
        (Some(_), None) => r.fail(CheckName::MessageDigest, SubIndication::CryptoConstraintsFailure, Finding::DigestAlgorithmUnknown),
        (Some(v), Some(d)) => match input.content.digest(d) {
            Some(actual) if actual.as_slice() == v.body => r.pass(CheckName::MessageDigest, Finding::DigestMatches { algorithm: d }),
            Some(actual) => r.fail(
                CheckName::MessageDigest,
                SubIndication::HashFailure,
                Finding::DigestMismatch { algorithm: d, computed: actual, signed: v.body.to_vec() },
            ),
            None => r.fail(CheckName::MessageDigest, SubIndication::FormatFailure, Finding::DocumentDigestUnavailable),
        },
    }

    // 5. The signature over the signed attributes as received, re-tagged [0] → SET OF.
    let sig_alg = digest.and_then(|d| algs::resolve_cms(si.sig_alg, d));
    r.scheme = sig_alg.map(algs::CmsSigAlg::scheme);
    match sig_alg {
        None => r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::SignatureAlgorithmUnsupported),
        Some(alg) => {
            let scheme = alg.scheme();
            let mut msg = attrs_tlv.raw.to_vec();
            if let Some(tag) = msg.first_mut() {
                *tag = 0x31; // [0] IMPLICIT → SET OF (RFC 5652 §5.4)
            }
            match algs::verify_cms(alg, &facts.spki_raw, &msg, si.signature) {
                Ok(()) => r.pass(CheckName::Signature, Finding::SignatureVerifies { scheme }),
                Err(algs::SigError::Invalid) | Err(algs::SigError::BadKey) => {
                    r.fail(CheckName::Signature, SubIndication::SigCryptoFailure, Finding::SignatureInvalid)
                }
                Err(algs::SigError::Unsupported) => {
                    r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::SchemeUnsupportedWithKey { scheme })
                }
            }
            // The algorithm policy (DESIGN.md §4 rule 5).
            let sha1 = digest == Some(DigestAlgorithm::Sha1) || alg.digest() == DigestAlgorithm::Sha1;
            match (sha1, input.policy) {
                (false, _) => r.pass(CheckName::AlgorithmPolicy, Finding::AlgorithmAllowed { scheme }),
                (true, Policy::Strict) => r.fail(CheckName::AlgorithmPolicy, SubIndication::CryptoConstraintsFailure, Finding::Sha1NotAllowed),
                (true, Policy::Legacy) => {
                    r.checks.push(Check::new(CheckName::AlgorithmPolicy, CheckStatus::Warning, Finding::Sha1AcceptedLegacy));
                    r.warnings.push(Finding::LegacySha1Signature);
                }
            }
        }
    }

    // 6. signing-certificate-v2 and v1 (each when present) against the signer certificate.
    if scv2.is_none() && scv1.is_none() {
        if input.require_ess {
            r.fail(
                CheckName::SigningCertificate,
                SubIndication::NoSigningCertificateFound,
                Finding::SigningCertificateProblem { version: EssVersion::V2, problem: EssProblem::Missing },
            );
        } else {
            r.checks.push(Check::new(CheckName::SigningCertificate, CheckStatus::Warning, Finding::NoSigningCertificateAttribute));
            r.warnings.push(Finding::SigningCertificateUnbound);
        }
    }
    for (attr, version) in [(scv2, EssVersion::V2), (scv1, EssVersion::V1)] {
        let Some(v) = attr else { continue };
        match ess_matches(v.raw, cand, version, input.policy) {
            Ok(()) => r.pass(CheckName::SigningCertificate, Finding::SigningCertificateMatches { version }),
            Err(problem) => r.fail(
                CheckName::SigningCertificate,
                SubIndication::NoSigningCertificateFound,
                Finding::SigningCertificateProblem { version, problem },
            ),
        }
    }

    // 7. signing-time (a claim of the signer; the caller shows and judges it).
    if let Some(v) = st {
        match signing_time(v.raw) {
            Some(t) => r.signing_time = Some(t),
            None => r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::SigningTimeMalformed),
        }
    }
    r
}

/// Decodes the signing-time attribute value (UTCTime or GeneralizedTime) to Unix seconds.
fn signing_time(raw: &[u8]) -> Option<i64> {
    use ::der::Decode;
    let t = x509_cert::time::Time::from_der(raw).ok()?;
    i64::try_from(t.to_unix_duration().as_secs()).ok()
}

/// Checks an ESS signing-certificate (v1, SHA-1) or signing-certificate-v2 value (decoded with
/// [`super::ess`]) against the candidate: the first ESSCertID's hash must be the certificate's,
/// and its issuerSerial, when present, must name the certificate's issuer and serial number.
/// A v2 identifier with SHA-1 (which v2 exists to avoid) is refused under the strict policy.
fn ess_matches(value: &[u8], cand: &Candidate<'_>, version: EssVersion, policy: Policy) -> Result<(), EssProblem> {
    use super::ess::{IssuerSerial, SigningCertificate, SigningCertificateV2};
    use ::der::Decode;
    let (hash_alg, hash, issuer_serial): (_, Vec<u8>, Option<IssuerSerial>) = match version {
        EssVersion::V2 => {
            let sc = SigningCertificateV2::from_der(value).map_err(|_| EssProblem::Malformed)?;
            let first = sc.certs.into_iter().next().ok_or(EssProblem::Empty)?;
            let alg = first.digest_algorithm().ok_or(EssProblem::UnknownHash)?;
            if alg == DigestAlgorithm::Sha1 && policy == Policy::Strict {
                return Err(EssProblem::UnknownHash);
            }
            (alg, first.cert_hash.as_bytes().to_vec(), first.issuer_serial)
        }
        EssVersion::V1 => {
            let sc = SigningCertificate::from_der(value).map_err(|_| EssProblem::Malformed)?;
            let first = sc.certs.into_iter().next().ok_or(EssProblem::Empty)?;
            (DigestAlgorithm::Sha1, first.cert_hash.as_bytes().to_vec(), first.issuer_serial)
        }
    };
    if cand.entry.digest(hash_alg, cand.der).as_ref() != hash.as_slice() {
        return Err(EssProblem::HashMismatch { algorithm: hash_alg });
    }
    let matches = match (&issuer_serial, cand.entry.facts.as_ref().and_then(|f| f.x509_cert.as_ref())) {
        (None, _) => true,
        (Some(is), Some(cert)) => is.matches(cert),
        (Some(_), None) => false,
    };
    if !matches {
        return Err(EssProblem::IssuerSerialMismatch);
    }
    Ok(())
}
