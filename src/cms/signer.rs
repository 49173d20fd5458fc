//! The one SignerInfo check (RFC 5652 §5.3–§5.6; ESS signing-certificate, RFC 2634 / RFC 5035;
//! DESIGN.md §4 rule 2), used alike by document signatures (`crate::verify`), signature
//! timestamp tokens and PDF document timestamps (`crate::tsp`) — pyHanko's `generic_cms`
//! arrangement.
//!
//! In order: the SignerInfo parses and its digest algorithm is listed in the SignedData; its
//! signed attributes, if any, are none repeated or multi-valued; the signer certificate is found
//! among the candidates by the sid (issuer compared by RFC 5280 §7.1; when several fit, the ESS
//! attribute picks); content-type equals the SignedData's eContentType (any type); the
//! content's digest equals message-digest; the signature verifies over the signed attributes
//! **as received** (re-tagged `[0]` → SET OF) or, when they are not in DER order and that fails,
//! over their DER form (RFC 5652 §5.4; a warning says which); the algorithm policy allows the
//! digest and scheme (SHA-1 only under legacy); signing-certificate(-v2), when present (and
//! required for timestamp tokens), names the signer certificate: hash, and issuerSerial compared
//! as names (RFC 5280 §7.1) and serial number; signing-time, when present, decodes.
//!
//! A SignerInfo **without signed attributes** (PKCS#7, e.g. `adbe.pkcs7.detached`) is verified
//! over the content's digest and reported with a warning (not CAdES: no signed signing time, no
//! signed certificate binding); it needs id-data content; where the caller requires the ESS
//! attribute (timestamp tokens) it is INDETERMINATE, never FAILED for that reason.
//!
//! What is **not** checked here: the certificate path, its purpose and revocation, proofs of
//! existence, and anything about the content beyond its digest — the callers do that.

use super::certs::CertEntry;
use super::signed_data;
use crate::alg::verify as algs;
use crate::asn1 as der;
use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::findings::{
    Check, CheckName, CheckStatus, EssProblem, EssVersion, Finding, SignatureScheme, SignedAttributesForm, SubIndication,
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
/// id-shake256-len takes its output length in bits as parameter (RFC 8702 §2): 512 is the
/// SHAKE256 of Ed448 signatures (RFC 8419 §2.3).
pub(crate) fn digest_of(alg_body: &[u8]) -> Option<DigestAlgorithm> {
    let (oid, params) = der::read(alg_body).ok()?;
    if oid.tag != 0x06 {
        return None;
    }
    if oid.body == oid::SHAKE256_LEN.as_bytes() {
        return (params == [0x02, 0x02, 0x02, 0x00]).then_some(DigestAlgorithm::Shake256);
    }
    if !(params.is_empty() || params == [0x05, 0x00]) {
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
    // Signed attributes, when present (RFC 5652 §5.3 makes them optional for id-data content:
    // without them the SignerInfo is PKCS#7, and the signature covers the content itself).
    let attrs = match &si.signed_attrs {
        None => Vec::new(),
        Some(t) => match signed_data::attributes(t) {
            Ok(a) => a,
            Err(p) => {
                r.fail(CheckName::Format, SubIndication::FormatFailure, Finding::Malformed(p));
                return r;
            }
        },
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

    let sig_alg = digest.and_then(|d| algs::resolve_cms(si.sig_alg, d));
    r.scheme = sig_alg.map(algs::CmsSigAlg::scheme);
    match &si.signed_attrs {
        Some(attrs_tlv) => {
            with_attributes(&mut r, input, attrs_tlv, ct, md, digest, sig_alg, &facts.spki_raw, si.signature);
        }
        None => without_attributes(&mut r, input, digest, sig_alg, &facts.spki_raw, si.signature),
    }
    // The algorithm policy (DESIGN.md §4 rule 5): SHA-1 (RSA or ECDSA) only under legacy. Key
    // sizes and curves are judged with the signer certificate's path (`crate::verify`).
    if let Some(alg) = sig_alg {
        let scheme = alg.scheme();
        let sha1 = digest == Some(DigestAlgorithm::Sha1) || alg.digest() == DigestAlgorithm::Sha1;
        match (sha1, input.policy) {
            // RFC 8419 §3: Ed25519 goes with SHA-512, Ed448 with SHAKE256 (the message-digest).
            _ if alg.is_eddsa() && digest.is_some_and(|d| d != alg.digest()) => r.fail(
                CheckName::AlgorithmPolicy,
                SubIndication::CryptoConstraintsFailure,
                Finding::DigestNotAllowedWithScheme { digest: digest.unwrap_or(DigestAlgorithm::Sha256), scheme },
            ),
            (false, _) => r.pass(CheckName::AlgorithmPolicy, Finding::AlgorithmAllowed { scheme }),
            (true, Policy::Strict) => r.fail(CheckName::AlgorithmPolicy, SubIndication::CryptoConstraintsFailure, Finding::Sha1NotAllowed),
            (true, Policy::Legacy) => {
                r.checks.push(Check::new(CheckName::AlgorithmPolicy, CheckStatus::Warning, Finding::Sha1AcceptedLegacy));
                r.warnings.push(Finding::LegacySha1Signature);
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
            // A PKCS#7 signature has its own warning, which says this too.
            if si.signed_attrs.is_some() {
                r.warnings.push(Finding::SigningCertificateUnbound);
            }
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

/// Steps 3–5 for a SignerInfo with signed attributes: content-type equals the eContentType
/// (RFC 5652 §11.1); message-digest equals the content's digest; the signature verifies over the
/// signed attributes as received (re-tagged `[0]` → SET OF) or, when those are not in DER order
/// and that fails, over their DER form (RFC 5652 §5.4) — a warning says which form was signed.
#[allow(clippy::too_many_arguments)]
fn with_attributes(
    r: &mut SignerCheck<'_>,
    input: &SignerInput<'_>,
    attrs_tlv: &der::Tlv<'_>,
    ct: Option<der::Tlv<'_>>,
    md: Option<der::Tlv<'_>>,
    digest: Option<DigestAlgorithm>,
    sig_alg: Option<algs::CmsSigAlg>,
    spki: &[u8],
    signature: &[u8],
) {
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

    // 5. The signature over the signed attributes as received, then over their DER form.
    let Some(alg) = sig_alg else {
        r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::SignatureAlgorithmUnsupported);
        return;
    };
    let scheme = alg.scheme();
    let mut received = attrs_tlv.raw.to_vec();
    if let Some(tag) = received.first_mut() {
        *tag = 0x31; // [0] IMPLICIT → SET OF (RFC 5652 §5.4)
    }
    // The DER form: the same attributes, sorted (X.690 §11.6); equal to the received bytes
    // when they were sent in DER order.
    let mut elements: Vec<&[u8]> = der::children(attrs_tlv.body, crate::cms::MAX_ATTRIBUTES, "too many signed attributes")
        .map(|c| c.iter().map(|t| t.raw).collect())
        .unwrap_or_default();
    let sorted = der::set_of(0x31, &mut elements);
    let is_der = sorted == received;
    let outcome = match algs::verify_cms(alg, spki, algs::Signed::Message(&received), signature) {
        Err(algs::SigError::Invalid | algs::SigError::DigestMismatch(_)) if !is_der => match algs::verify_cms(alg, spki, algs::Signed::Message(&sorted), signature) {
            Ok(()) => Ok(Some(SignedAttributesForm::DerSorted)),
            Err(_) => Err(algs::SigError::Invalid),
        },
        Ok(()) if !is_der => Ok(Some(SignedAttributesForm::AsReceived)),
        Ok(()) => Ok(None),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(form) => {
            r.pass(CheckName::Signature, Finding::SignatureVerifies { scheme });
            if let Some(signed_form) = form {
                r.warnings.push(Finding::SignedAttributesNotDer { signed_form });
            }
        }
        Err(e) => signature_failed(r, e, scheme),
    }
}

/// Steps 3–5 for a SignerInfo without signed attributes (PKCS#7): the content must be id-data
/// (RFC 5652 §5.3); the signature covers the content's digest (RSA and ECDSA sign a digest, so
/// the streamed document's digest is enough; pure EdDSA signs the content itself and cannot be
/// checked from a digest). RSA PKCS#1 v1.5 tells a changed document (HASH_FAILURE) from a wrong
/// signature.
fn without_attributes(
    r: &mut SignerCheck<'_>,
    input: &SignerInput<'_>,
    digest: Option<DigestAlgorithm>,
    sig_alg: Option<algs::CmsSigAlg>,
    spki: &[u8],
    signature: &[u8],
) {
    match oid_of(input.econtent_type) {
        Some(o) if o == oid::CT_DATA => r.pass(CheckName::ContentType, Finding::ContentTypeMatches { content_type: o }),
        Some(econtent_type) => {
            r.fail(CheckName::ContentType, SubIndication::FormatFailure, Finding::EContentTypeNotData { econtent_type });
            return;
        }
        None => {
            let p = crate::findings::FormatProblem::new(crate::findings::Element::EncapContentInfo, crate::findings::FormatKind::InvalidValue);
            r.fail(CheckName::ContentType, SubIndication::FormatFailure, Finding::Malformed(p));
            return;
        }
    }
    r.warnings.push(Finding::Pkcs7WithoutSignedAttributes);
    let Some(alg) = sig_alg else {
        let f = if digest.is_none() { Finding::DigestAlgorithmUnknown } else { Finding::SignatureAlgorithmUnsupported };
        r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, f);
        return;
    };
    let scheme = alg.scheme();
    if alg.is_eddsa() {
        r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::EdDsaOverContentUnsupported { scheme });
        return;
    }
    let d = alg.digest();
    let Some(actual) = input.content.digest(d) else {
        r.fail(CheckName::MessageDigest, SubIndication::FormatFailure, Finding::DocumentDigestUnavailable);
        return;
    };
    match algs::verify_cms(alg, spki, algs::Signed::Digest(&actual), signature) {
        Ok(()) => {
            r.pass(CheckName::MessageDigest, Finding::DigestMatches { algorithm: d });
            r.pass(CheckName::Signature, Finding::SignatureVerifies { scheme });
        }
        Err(algs::SigError::DigestMismatch(signed)) => {
            r.fail(CheckName::MessageDigest, SubIndication::HashFailure, Finding::DigestMismatch { algorithm: d, computed: actual, signed });
            r.pass(CheckName::Signature, Finding::SignatureVerifies { scheme });
        }
        Err(e) => signature_failed(r, e, scheme),
    }
}

/// The Signature check's failure.
fn signature_failed(r: &mut SignerCheck<'_>, e: algs::SigError, scheme: SignatureScheme) {
    match e {
        algs::SigError::Unsupported => {
            r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::SchemeUnsupportedWithKey { scheme })
        }
        algs::SigError::NeedsMessage => {
            r.fail(CheckName::Signature, SubIndication::CryptoConstraintsFailure, Finding::EdDsaOverContentUnsupported { scheme })
        }
        algs::SigError::Invalid | algs::SigError::BadKey | algs::SigError::DigestMismatch(_) => {
            r.fail(CheckName::Signature, SubIndication::SigCryptoFailure, Finding::SignatureInvalid)
        }
    }
}

/// The digests a SignerInfo needs of the content: its digestAlgorithm (message-digest), and,
/// without signed attributes, the digest of its signature algorithm (what the signature covers).
pub(crate) fn needed_digests(signer_info: &[u8]) -> Vec<DigestAlgorithm> {
    let Ok(si) = signed_data::parse_signer(signer_info) else { return Vec::new() };
    let Some(d) = digest_of(si.digest_alg) else { return Vec::new() };
    let mut v = vec![d];
    if si.signed_attrs.is_none() {
        if let Some(a) = algs::resolve_cms(si.sig_alg, d) {
            if a.digest() != d {
                v.push(a.digest());
            }
        }
    }
    v
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
    // issuerSerial names the issuer as GeneralNames: one directoryName equal to the certificate's
    // issuer by RFC 5280 §7.1 (not byte for byte: a signer may spell it with another string
    // type), and the same serial number.
    let matches = match (&issuer_serial, cand.entry.facts.as_ref()) {
        (None, _) => true,
        (Some(is), Some(facts)) => {
            is.serial_number.as_bytes() == facts.serial_raw.as_slice()
                && is.issuer.iter().any(|n| match n {
                    x509_cert::ext::pkix::name::GeneralName::DirectoryName(d) => {
                        ::der::Encode::to_der(d).is_ok_and(|bytes| facts.issuer_raw == bytes || facts.issuer_is(&bytes))
                    }
                    _ => false,
                })
        }
        (Some(_), None) => false,
    };
    if !matches {
        return Err(EssProblem::IssuerSerialMismatch);
    }
    Ok(())
}
