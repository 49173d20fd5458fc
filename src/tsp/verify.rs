//! Token verification: what a timestamp proves, and against what.

use super::asn1::TstInfo;
use crate::cms::ess::{SigningCertificate, SigningCertificateV2};
use super::{malformed, positive_int, tlv, Imprint, TspError, MAX_TOKEN_BYTES};
use crate::alg::{oid, DigestAlgorithm, RSA_PSS_SHA256_ALG_ID};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use x509_cert::Certificate;
use x509_parser::prelude::FromDer;

/// Budget on certificates considered from a token plus the caller's extras: a TSA chain is a
/// handful; 32 bounds the path search over them.
const MAX_CERTS: usize = 32;


/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimestampInfo {
    /// The token's time (genTime).
    pub gen_time: SystemTime,
    /// genTime as RFC 3339 text in UTC (with its fraction of a second, if any).
    pub gen_time_text: String,
    /// The stated accuracy, if any.
    pub accuracy: Option<Duration>,
    /// Serial number (hex, as encoded).
    pub serial: String,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// The TSA certificate's subject (RFC 4514-like text).
    pub tsa_subject: String,
    /// The TSA certificate (DER).
    pub tsa_certificate: Vec<u8>,
    /// Subjects of the validated path, TSA first, trust anchor last; empty when the chain was not
    /// checked.
    pub chain: Vec<String>,
    /// Whether the TSA certificate's path to a trust anchor was validated.
    pub chain_checked: bool,
    /// The imprint's digest algorithm.
    pub imprint_algorithm: DigestAlgorithm,
    /// The nonce, if the token has one (big-endian, as encoded).
    pub nonce: Option<Vec<u8>>,
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
    pub time: SystemTime,
    /// The nonce the token must carry (big-endian unsigned), if one was sent.
    pub nonce: Option<&'a [u8]>,
}

/// Verifies an RFC 3161 token (DER ContentInfo) over `expected`, with the TSA's path validated
/// to one of `anchors` (DER certificates) at `time`. Returns what the token states.
///
/// Checked: DER structure and size; SignedData with eContentType id-ct-TSTInfo and exactly one
/// SignerInfo; TSTInfo version 1; the message imprint (algorithm OID and hash) equals
/// `expected`; signed attributes content-type = id-ct-TSTInfo and message-digest = the digest of
/// the TSTInfo; the signature over the signed attributes **as received**; the ESS
/// signing-certificate-v2 (or v1) attribute names the signer certificate (hash, and
/// issuer/serial when present); the TSA certificate has the extended key usage
/// id-kp-timeStamping alone and critical, a key usage (if present) allowing digitalSignature or
/// nonRepudiation, and is not a CA; genTime lies within the TSA certificate's validity; the
/// TSA certificate chains to an anchor at `time` (RFC 5280 §6.1, [`crate::path`]: signatures,
/// validity, basicConstraints, name constraints, policies; CA certificates with an EKU must allow
/// id-kp-timeStamping), signatures SHA-256 or better.
///
/// NOT checked: the revocation status of the TSA certificate or its issuers (no CRLs are
/// consulted — the caller does that if it needs it); the policy OID (returned, the caller
/// decides); the accuracy (returned); the TSTInfo `tsa` name against the certificate; TSTInfo
/// extensions (ignored); the nonce (use [`verify_token_with`]); whether genTime is plausible
/// against any clock; algorithms weaker than the strict policy (SHA-1 tokens are refused).
pub fn verify_token(token_der: &[u8], expected: &Imprint, anchors: &[Vec<u8>], time: SystemTime) -> Result<TimestampInfo, TspError> {
    verify_token_with(token_der, expected, &TokenCheck { anchors: Some(anchors), extra_certificates: &[], time, nonce: None })
}

/// [`verify_token`] with options: a nonce to match, extra certificates, or (explicitly) no path
/// validation.
pub fn verify_token_with(token_der: &[u8], expected: &Imprint, check: &TokenCheck<'_>) -> Result<TimestampInfo, TspError> {
    if token_der.len() > MAX_TOKEN_BYTES {
        return Err(TspError::TooLarge { what: "timestamp token", size: token_der.len(), limit: MAX_TOKEN_BYTES });
    }
    if let Some(a) = check.anchors {
        if a.is_empty() {
            return Err(TspError::NoTrustAnchors);
        }
    }
    let (sd, tst, econtent) = decode(token_der)?;
    check_imprint(&tst, expected)?;
    if let Some(n) = check.nonce {
        if tst.nonce.as_ref() != Some(&positive_int(n)?) {
            return Err(TspError::NonceMismatch);
        }
    }
    let mut signer_infos = sd.signer_infos.0.iter();
    let si = match (signer_infos.next(), signer_infos.next()) {
        (Some(si), None) => si,
        _ => return Err(malformed("timestamp token", "a token has exactly one SignerInfo (RFC 3161 §2.4.2)")),
    };

    // Certificates: the token's, then the caller's.
    let mut certs: Vec<Vec<u8>> = Vec::new();
    if let Some(set) = &sd.certificates {
        for c in set.0.iter() {
            if let cms::cert::CertificateChoices::Certificate(c) = c {
                certs.push(c.to_der().map_err(|e| malformed("certificate", e))?);
            }
        }
    }
    certs.extend(check.extra_certificates.iter().cloned());
    if certs.len() > MAX_CERTS {
        return Err(TspError::TooLarge { what: "certificate list", size: certs.len(), limit: MAX_CERTS });
    }
    let signer_idx = find_signer(&si.sid, &certs)?.ok_or(TspError::SignerCertificateNotFound)?;
    let signer_der = certs.get(signer_idx).ok_or(TspError::SignerCertificateNotFound)?.clone();

    // Signed attributes.
    let digest = DigestAlgorithm::from_oid(&si.digest_alg.oid)
        .filter(|d| *d != DigestAlgorithm::Sha1)
        .ok_or_else(|| TspError::UnsupportedAlgorithm(format!("token digest {}", si.digest_alg.oid)))?;
    let attrs = si.signed_attrs.as_ref().ok_or(TspError::SignedAttributes("the token has no signed attributes"))?;
    let single = |o: ObjectIdentifier| -> Result<Option<der::asn1::Any>, TspError> {
        let mut it = attrs.iter().filter(|a| a.oid == o);
        match (it.next(), it.next()) {
            (None, _) => Ok(None),
            (Some(a), None) if a.values.len() == 1 => Ok(a.values.iter().next().cloned()),
            _ => Err(TspError::SignedAttributes("an attribute appears twice or with several values")),
        }
    };
    let ct = single(oid::ATTR_CONTENT_TYPE)?.ok_or(TspError::SignedAttributes("content-type is missing"))?;
    if ct.decode_as::<ObjectIdentifier>().ok() != Some(oid::CT_TST_INFO) {
        return Err(TspError::SignedAttributes("content-type is not id-ct-TSTInfo"));
    }
    let md = single(oid::ATTR_MESSAGE_DIGEST)?.ok_or(TspError::SignedAttributes("message-digest is missing"))?;
    let md = md.decode_as::<der::asn1::OctetString>().map_err(|_| TspError::SignedAttributes("message-digest is not an OCTET STRING"))?;
    if md.as_bytes() != digest.digest(econtent.as_slice()) {
        return Err(TspError::SignedAttributes("message-digest does not match the TSTInfo"));
    }
    check_ess(&single(oid::ATTR_SIGNING_CERTIFICATE_V2)?, &single(oid::ATTR_SIGNING_CERTIFICATE)?, &signer_der)?;

    // Signature over the signed attributes as received.
    let signed_bytes = raw_signed_attrs(token_der)?;
    let signer_cert = Certificate::from_der(&signer_der).map_err(|e| malformed("TSA certificate", e))?;
    let spki = signer_cert.tbs_certificate().subject_public_key_info();
    verify_signature(spki, &si.signature_algorithm, digest, &signed_bytes, si.signature.as_bytes())?;

    // The TSA certificate.
    check_tsa_certificate(&signer_der)?;
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(&signer_der).map_err(|e| malformed("TSA certificate", e))?;
    let gen_time = tst.gen_time.to_system_time();
    let nb = x.validity().not_before.timestamp();
    let na = x.validity().not_after.timestamp();
    let gt = i64::try_from(gen_time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)).unwrap_or(i64::MAX);
    if gt < nb || gt > na {
        return Err(TspError::GenTimeOutsideValidity {
            gen_time: tst.gen_time.to_rfc3339(),
            not_before: x.validity().not_before.to_string(),
            not_after: x.validity().not_after.to_string(),
        });
    }
    let tsa_subject = x.subject().to_string();

    let mut chain = Vec::new();
    if let Some(anchors) = check.anchors {
        chain = validate_path(&signer_der, &certs, signer_idx, anchors, check.time)?;
    }
    Ok(TimestampInfo {
        gen_time,
        gen_time_text: tst.gen_time.to_rfc3339(),
        accuracy: tst.accuracy.map(|a| a.as_duration()),
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy,
        tsa_subject,
        tsa_certificate: signer_der,
        chain_checked: check.anchors.is_some(),
        chain,
        imprint_algorithm: expected.algorithm,
        nonce: tst.nonce.as_ref().map(|n| n.as_bytes().to_vec()),
    })
}

/// Decodes a token: its SignedData, TSTInfo and the TSTInfo's DER bytes (the eContent).
fn decode(token_der: &[u8]) -> Result<(SignedData, TstInfo, Vec<u8>), TspError> {
    let ci = ContentInfo::from_der(token_der).map_err(|e| malformed("timestamp token", e))?;
    if ci.content_type != oid::CT_SIGNED_DATA {
        return Err(malformed("timestamp token", format!("content type {} is not signedData", ci.content_type)));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e| malformed("timestamp token", e))?;
    if sd.encap_content_info.econtent_type != oid::CT_TST_INFO {
        return Err(malformed("timestamp token", format!("eContentType {} is not id-ct-TSTInfo", sd.encap_content_info.econtent_type)));
    }
    let econtent = sd.encap_content_info.econtent.as_ref().ok_or_else(|| malformed("timestamp token", "no TSTInfo"))?;
    let octets = econtent.decode_as::<der::asn1::OctetString>().map_err(|e| malformed("timestamp token", e))?;
    let tst = TstInfo::from_der(octets.as_bytes()).map_err(|e| malformed("TSTInfo", e))?;
    if tst.version != 1 {
        return Err(malformed("TSTInfo", format!("version {}", tst.version)));
    }
    Ok((sd, tst, octets.as_bytes().to_vec()))
}

/// The TSTInfo of a token, decoded but not verified.
pub(crate) fn decode_tst_info(token_der: &[u8]) -> Result<TstInfo, TspError> {
    if token_der.len() > MAX_TOKEN_BYTES {
        return Err(TspError::TooLarge { what: "timestamp token", size: token_der.len(), limit: MAX_TOKEN_BYTES });
    }
    decode(token_der).map(|(_, t, _)| t)
}

pub(crate) fn check_imprint(tst: &TstInfo, expected: &Imprint) -> Result<(), TspError> {
    let mi = &tst.message_imprint;
    if mi.hash_algorithm.oid != expected.algorithm.oid() {
        return Err(TspError::ImprintMismatch { detail: format!("algorithm {} instead of {}", mi.hash_algorithm.oid, expected.algorithm) });
    }
    if mi.hash_algorithm.parameters.as_ref().is_some_and(|p| !p.is_null()) {
        return Err(TspError::ImprintMismatch { detail: "unexpected hash algorithm parameters".into() });
    }
    if mi.hashed_message.as_bytes() != expected.digest.as_slice() {
        return Err(TspError::ImprintMismatch { detail: "the hash differs".into() });
    }
    Ok(())
}

/// The signed attributes of the token's (single) SignerInfo as received, re-tagged as SET.
fn raw_signed_attrs(token_der: &[u8]) -> Result<Vec<u8>, TspError> {
    let m = |e: tlv::TlvError| malformed("timestamp token", e);
    let ci = tlv::parse_exact(token_der).map_err(m)?;
    let explicit = ci.children().map_err(m)?.get(1).copied().ok_or_else(|| malformed("timestamp token", "no content"))?;
    let sd = explicit.children().map_err(m)?.first().copied().ok_or_else(|| malformed("timestamp token", "no SignedData"))?;
    let sis = sd.children().map_err(m)?.last().copied().ok_or_else(|| malformed("timestamp token", "no SignerInfos"))?;
    let si = sis.children().map_err(m)?.first().copied().ok_or_else(|| malformed("timestamp token", "no SignerInfo"))?;
    let attrs = si.children().map_err(m)?.into_iter().find(|t| t.tag == 0xa0).ok_or(TspError::SignedAttributes("the token has no signed attributes"))?;
    let mut v = attrs.full.to_vec();
    if let Some(first) = v.first_mut() {
        *first = 0x31;
    }
    Ok(v)
}

fn find_signer(sid: &SignerIdentifier, certs: &[Vec<u8>]) -> Result<Option<usize>, TspError> {
    for (i, der) in certs.iter().enumerate() {
        let Ok(c) = Certificate::from_der(der) else { continue };
        let tbs = c.tbs_certificate();
        let hit = match sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => isn.issuer == *tbs.issuer() && isn.serial_number == *tbs.serial_number(),
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                matches!(tbs.get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>(), Ok(Some((_, s))) if s == *ski)
            }
        };
        if hit {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn check_ess(v2: &Option<der::asn1::Any>, v1: &Option<der::asn1::Any>, signer_der: &[u8]) -> Result<(), TspError> {
    if let Some(v) = v2 {
        let sc = SigningCertificateV2::from_der(&v.to_der().map_err(|e| malformed("attribute", e))?)
            .map_err(|_| TspError::EssCertificate("is malformed"))?;
        let first = sc.certs.first().ok_or(TspError::EssCertificate("lists no certificate"))?;
        // v2 exists to move away from SHA-1: a v2 identifier with SHA-1 is refused.
        if first.digest_algorithm().is_none_or(|d| d == DigestAlgorithm::Sha1) {
            return Err(TspError::EssCertificate("uses an unsupported hash"));
        }
        if !first.matches(signer_der) {
            return Err(TspError::EssCertificate("names another certificate than the signer's"));
        }
        return Ok(());
    }
    if let Some(v) = v1 {
        let sc = SigningCertificate::from_der(&v.to_der().map_err(|e| malformed("attribute", e))?)
            .map_err(|_| TspError::EssCertificate("is malformed"))?;
        let first = sc.certs.first().ok_or(TspError::EssCertificate("lists no certificate"))?;
        if !first.matches(signer_der) {
            return Err(TspError::EssCertificate("names another certificate than the signer's"));
        }
        return Ok(());
    }
    Err(TspError::EssCertificate("is missing"))
}

/// RFC 3161 §2.3: EKU present, critical, id-kp-timeStamping alone; key usage (if present)
/// digitalSignature or nonRepudiation; not a CA.
pub(crate) fn check_tsa_certificate(cert_der: &[u8]) -> Result<(), TspError> {
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(cert_der).map_err(|e| malformed("TSA certificate", e))?;
    let eku = x
        .extended_key_usage()
        .map_err(|e| TspError::NotATsaCertificate(format!("unreadable extended key usage: {e}")))?
        .ok_or_else(|| TspError::NotATsaCertificate("no extended key usage (id-kp-timeStamping is required)".into()))?;
    if !eku.critical {
        return Err(TspError::NotATsaCertificate("the extended key usage is not critical".into()));
    }
    let v = eku.value;
    if !v.time_stamping {
        return Err(TspError::NotATsaCertificate("the extended key usage lacks id-kp-timeStamping".into()));
    }
    if v.any || v.server_auth || v.client_auth || v.code_signing || v.email_protection || v.ocsp_signing || !v.other.is_empty() {
        return Err(TspError::NotATsaCertificate("the extended key usage has purposes besides id-kp-timeStamping".into()));
    }
    if let Ok(Some(ku)) = x.key_usage() {
        if !ku.value.digital_signature() && !ku.value.non_repudiation() {
            return Err(TspError::NotATsaCertificate("the key usage allows neither digitalSignature nor nonRepudiation".into()));
        }
    }
    if x.is_ca() {
        return Err(TspError::NotATsaCertificate("it is a CA certificate".into()));
    }
    Ok(())
}

fn validate_path(signer_der: &[u8], certs: &[Vec<u8>], signer_idx: usize, anchors: &[Vec<u8>], time: SystemTime) -> Result<Vec<String>, TspError> {
    use crate::path::{build_and_validate, Anchor, Cert, EkuRule, Settings};
    let trust = anchors.iter().map(|a| Anchor::from_der(a)).collect::<Result<Vec<_>, _>>().map_err(|e| TspError::Config(format!("unusable trust anchor: {e}")))?;
    let intermediates: Vec<Cert> =
        certs.iter().enumerate().filter(|(i, _)| *i != signer_idx).filter_map(|(_, c)| Cert::from_der(c).ok()).collect();
    let ee = Cert::from_der(signer_der).map_err(|e| TspError::UntrustedTsa(e.to_string()))?;
    let secs = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let mut settings = Settings::at(i64::try_from(secs.as_secs()).unwrap_or(i64::MAX));
    // CA certificates with an EKU must allow id-kp-timeStamping; the TSA certificate's own EKU
    // is required by check_tsa_certificate (critical, id-kp-timeStamping alone).
    settings.eku = EkuRule::AnyOf(vec![crate::alg::oid::KP_TIME_STAMPING]);
    let path = build_and_validate(&ee, &intermediates, &trust, &settings).map_err(|e| TspError::UntrustedTsa(untrusted_reason(&e)))?;
    let mut subjects: Vec<String> = path.certs.iter().map(|c| c.subject().text().to_string()).collect();
    subjects.push(path.anchor.cert().subject().text().to_string());
    Ok(subjects)
}

/// The reason word of an untrusted TSA path (the names the report renders; issue 13 replaces them
/// with typed findings).
fn untrusted_reason(e: &crate::path::PathError) -> String {
    use crate::path::PathError as E;
    match e {
        E::NoIssuer { .. } => "UnknownIssuer".into(),
        E::BadSignature { .. } => "InvalidSignatureForPublicKey".into(),
        E::Expired { .. } | E::AnchorValidity { .. } => format!("CertExpired: {e}"),
        E::NotYetValid { .. } => format!("CertNotValidYet: {e}"),
        E::Eku { .. } => format!("RequiredEkuNotFound: {e}"),
        other => other.to_string(),
    }
}

/// Verifies a CMS signature `sig` over `msg` with the key `spki`, for the SignerInfo's
/// `sig_alg` and digest. SHA-1 is refused.
pub(crate) fn verify_signature(
    spki: &spki::SubjectPublicKeyInfoOwned,
    sig_alg: &AlgorithmIdentifierOwned,
    digest: DigestAlgorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), TspError> {
    use ring::signature as s;
    let key = spki.subject_public_key.raw_bytes();
    let unsupported = || TspError::UnsupportedAlgorithm(format!("signature {} with {} key", sig_alg.oid, spki.algorithm.oid));
    let alg: &dyn s::VerificationAlgorithm = if spki.algorithm.oid == oid::EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok()).ok_or_else(unsupported)?;
        let d = match sig_alg.oid {
            o if o == oid::ECDSA_SHA256 => DigestAlgorithm::Sha256,
            o if o == oid::ECDSA_SHA384 => DigestAlgorithm::Sha384,
            o if o == oid::EC_PUBLIC_KEY => digest,
            _ => return Err(unsupported()),
        };
        match (curve, d) {
            (c, DigestAlgorithm::Sha256) if c == oid::P256 => &s::ECDSA_P256_SHA256_ASN1,
            (c, DigestAlgorithm::Sha384) if c == oid::P256 => &s::ECDSA_P256_SHA384_ASN1,
            (c, DigestAlgorithm::Sha256) if c == oid::P384 => &s::ECDSA_P384_SHA256_ASN1,
            (c, DigestAlgorithm::Sha384) if c == oid::P384 => &s::ECDSA_P384_SHA384_ASN1,
            _ => return Err(unsupported()),
        }
    } else if spki.algorithm.oid == oid::RSA_ENCRYPTION {
        let d = match sig_alg.oid {
            o if o == oid::SHA256_WITH_RSA => DigestAlgorithm::Sha256,
            o if o == oid::SHA384_WITH_RSA => DigestAlgorithm::Sha384,
            o if o == oid::SHA512_WITH_RSA => DigestAlgorithm::Sha512,
            o if o == oid::RSA_ENCRYPTION => digest, // OpenSSL writes rsaEncryption in SignerInfos
            o if o == oid::RSASSA_PSS => {
                if sig_alg.to_der().ok().as_deref() != Some(&RSA_PSS_SHA256_ALG_ID[..]) {
                    return Err(unsupported());
                }
                return s::UnparsedPublicKey::new(&s::RSA_PSS_2048_8192_SHA256, key).verify(msg, sig).map_err(|_| TspError::SignatureInvalid);
            }
            _ => return Err(unsupported()),
        };
        match d {
            DigestAlgorithm::Sha256 => &s::RSA_PKCS1_2048_8192_SHA256,
            DigestAlgorithm::Sha384 => &s::RSA_PKCS1_2048_8192_SHA384,
            DigestAlgorithm::Sha512 => &s::RSA_PKCS1_2048_8192_SHA512,
            DigestAlgorithm::Sha1 => return Err(unsupported()),
        }
    } else if spki.algorithm.oid == oid::ED25519 && sig_alg.oid == oid::ED25519 {
        &s::ED25519
    } else {
        return Err(unsupported());
    };
    s::UnparsedPublicKey::new(alg, key).verify(msg, sig).map_err(|_| TspError::SignatureInvalid)
}
