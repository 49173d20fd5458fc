//! RFC 6960 OCSP responses as a revocation source for a validated path (§3.2 of the RFC:
//! what a client must check before accepting a response):
//!
//! 1. the CertID names the certificate: its serial and its issuer's name and key hashes
//!    (recomputed with the CertID's hash algorithm);
//! 2. the signer is authorised (§4.2.2.2): the issuer itself, or a delegated responder — a
//!    certificate the issuer signed (its signature verified with the issuer's key) with
//!    id-kp-OCSPSigning in its extendedKeyUsage, valid when it signed (producedAt), and either
//!    marked id-pkix-ocsp-nocheck or with its own status good by the CRLs at hand;
//! 3. the signature verifies, with the algorithm policy's algorithms;
//! 4. freshness: nextUpdate is not before the validation time (without a nextUpdate, the answer
//!    counts for [`MAX_AGE_WITHOUT_NEXT_UPDATE`] after its thisUpdate); a newer answer than the
//!    validation time is fine (a status later than the time it is about says at least as much,
//!    as a newer CRL does);
//! 5. the nonce, when kyso sent one, is echoed (a different nonce is refused; a missing one is
//!    accepted — many responders pre-sign — and freshness bounds a replay);
//! 6. no critical extension kyso does not understand (response or single response).
//!
//! Not done: responders trusted by local configuration (RFC 6960 §4.2.2.2 case 1), signed
//! requests, the archive-cutoff and CRL-reference extensions (ignored when not critical).

use super::{CertStatus, RevocationReason};
use crate::findings::{Name, OcspErrorStatus, OcspProblem};
use crate::ocsp::{self as msg, BasicResponse, IssuerKey, ResponderId, Response, SingleStatus};
use crate::path::cert::Cert;
use crate::path::sig::{self, SigError};
use crate::path::{datetime, Settings};
use std::sync::Arc;

/// How long an answer without nextUpdate counts after its thisUpdate (RFC 6960 §4.2.2.1 leaves
/// it to the client): a day, the longest a provincial CA's responder caches an answer.
pub const MAX_AGE_WITHOUT_NEXT_UPDATE: i64 = 86_400;

/// Limit on OCSP responses examined per certificate, and on signature checks over all of
/// them for a path: a path needs one response per certificate; 32 bounds an attacker's
/// response soup (each check costs one ECDSA or RSA verification).
pub const MAX_OCSP_SIGNATURE_CHECKS: usize = 32;

/// id-kp-OCSPSigning, contents octets.
const KP_OCSP_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];

/// An OCSP response given for validation (embedded, from a /DSS, or fetched), parsed once.
#[derive(Debug, Clone)]
pub struct OcspResponse {
    pub(crate) basic: Result<Arc<BasicResponse>, OcspProblem>,
    /// The nonce kyso sent when it fetched this response.
    pub(crate) nonce: Option<Vec<u8>>,
    der: Arc<Vec<u8>>,
}

impl OcspResponse {
    /// Reads a DER OCSPResponse. A response that cannot be read or carries an error status is
    /// kept (with its problem) so that the report can say why it was not used.
    pub fn from_der(bytes: &[u8]) -> OcspResponse {
        let basic = match Response::from_der(bytes) {
            Ok(Response::Basic(b)) => Ok(Arc::from(b)),
            Ok(Response::Error(s)) => Err(OcspProblem::ErrorStatus(error_status(s))),
            Err(_) => Err(OcspProblem::Malformed),
        };
        OcspResponse { basic, nonce: None, der: Arc::new(bytes.to_vec()) }
    }

    /// The same response, fetched with `nonce` in the request (its echo is then checked).
    pub fn with_request_nonce(mut self, nonce: &[u8]) -> OcspResponse {
        self.nonce = Some(nonce.to_vec());
        self
    }

    /// The response as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether it has a successful, readable BasicOCSPResponse.
    pub fn is_usable(&self) -> bool {
        self.basic.is_ok()
    }

    /// Whether one of its answers is about a certificate of `issuer` with `serial`.
    pub fn is_about(&self, issuer_der: &[u8], serial: &[u8]) -> bool {
        let Ok(b) = &self.basic else { return false };
        let Ok(issuer) = IssuerKey::from_cert(issuer_der) else { return false };
        b.responses.iter().any(|s| same_serial(&s.cert_id.serial, serial) && s.cert_id.issued_by(&issuer))
    }
}

fn error_status(s: msg::ResponseStatus) -> OcspErrorStatus {
    match s {
        msg::ResponseStatus::MalformedRequest => OcspErrorStatus::MalformedRequest,
        msg::ResponseStatus::InternalError => OcspErrorStatus::InternalError,
        msg::ResponseStatus::TryLater => OcspErrorStatus::TryLater,
        msg::ResponseStatus::SigRequired => OcspErrorStatus::SigRequired,
        msg::ResponseStatus::Unauthorized => OcspErrorStatus::Unauthorized,
        other => OcspErrorStatus::Other(other.code()),
    }
}

fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |x: &[u8]| -> Vec<u8> {
        let i = x.iter().position(|&v| v != 0).unwrap_or(x.len().saturating_sub(1));
        x.get(i..).unwrap_or(x).to_vec()
    };
    strip(a) == strip(b)
}

/// What an OCSP response settled for one certificate.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    pub status: CertStatus,
    pub responder: Name,
    pub produced_at: time::OffsetDateTime,
}

/// The responder a signer certificate is, for the report.
fn responder_name(c: &Cert) -> Name {
    c.subject().report()
}

fn name_of_id(id: &ResponderId, issuer: &Cert, certs: &[Cert]) -> Name {
    let hit = match id {
        ResponderId::ByKey(h) => certs.iter().chain(std::iter::once(issuer)).find(|c| key_sha1(c).as_deref() == Some(h.as_slice())),
        ResponderId::ByName(n) => certs.iter().chain(std::iter::once(issuer)).find(|c| subject_der(c).as_deref() == Some(n.as_slice())),
    };
    match (hit, id) {
        (Some(c), _) => responder_name(c),
        (None, ResponderId::ByName(n)) => Name::from_der(n),
        (None, ResponderId::ByKey(h)) => Name { dn: format!("(responder key {})", hex::encode(h)), ..Default::default() },
    }
}

fn key_sha1(c: &Cert) -> Option<Vec<u8>> {
    IssuerKey::from_parts(&[], c.spki()).ok().map(|k| k.key_sha1())
}

fn subject_der(c: &Cert) -> Option<Vec<u8>> {
    IssuerKey::from_cert(c.der()).ok().map(|k| k.name_der)
}

fn matches_id(id: &ResponderId, c: &Cert) -> bool {
    match id {
        ResponderId::ByKey(h) => key_sha1(c).as_deref() == Some(h.as_slice()),
        ResponderId::ByName(n) => {
            subject_der(c).as_deref() == Some(n.as_slice())
                || x509_parser::prelude::FromDer::from_der(n.as_slice())
                    .ok()
                    .map(|(_, x): (&[u8], x509_parser::x509::X509Name<'_>)| crate::path::Name::from_x509(&x))
                    .is_some_and(|name| &name == c.subject())
        }
    }
}

/// Checks the OCSP responses about `cert` (issued by `issuer`) at the validation time of
/// `settings`. `responder_good` says whether a delegated responder without nocheck has a good
/// status (by CRLs). Ok: the first response that settles the status; Err: why none did.
pub(crate) fn settle(
    cert: &Cert,
    issuer: &Cert,
    responses: &[OcspResponse],
    settings: &Settings,
    budget: &mut usize,
    responder_good: &mut dyn FnMut(&Cert) -> bool,
) -> Result<Settled, Vec<OcspProblem>> {
    let mut problems: Vec<OcspProblem> = Vec::new();
    let note = |p: OcspProblem, problems: &mut Vec<OcspProblem>| {
        if !problems.contains(&p) {
            problems.push(p);
        }
    };
    let Ok(issuer_key) = IssuerKey::from_cert(issuer.der()) else { return Err(vec![OcspProblem::Malformed]) };
    let time = settings.time;
    for r in responses {
        let b = match &r.basic {
            Ok(b) => b,
            Err(p) => {
                // An error answer or garbage counts only when it came for this certificate: a
                // fetched one (it carries the nonce kyso sent).
                if r.nonce.is_some() {
                    note(p.clone(), &mut problems);
                }
                continue;
            }
        };
        let Some(single) = b.responses.iter().find(|s| same_serial(&s.cert_id.serial, cert.serial()) && s.cert_id.issued_by(&issuer_key)) else {
            if r.nonce.is_some() {
                note(OcspProblem::NotAboutCertificate, &mut problems);
            }
            continue;
        };
        // The signer: the issuer itself, or a delegated responder among the response's
        // certificates.
        let resp_certs: Vec<Cert> = b.certs.iter().filter_map(|d| Cert::from_der(d).ok()).collect();
        let who = name_of_id(&b.responder, issuer, &resp_certs);
        if let Some(oid) = b.unknown_critical.first().or_else(|| single.unknown_critical.first()) {
            note(OcspProblem::UnknownCriticalExtension { oid: oid.to_string() }, &mut problems);
            continue;
        }
        let signer: Option<&Cert> = if matches_id(&b.responder, issuer) {
            Some(issuer)
        } else {
            resp_certs.iter().find(|c| matches_id(&b.responder, c))
        };
        let Some(signer) = signer else {
            note(OcspProblem::ResponderNotAuthorised, &mut problems);
            continue;
        };
        let delegated = !std::ptr::eq(signer, issuer) && signer.der() != issuer.der();
        if delegated {
            // §4.2.2.2: issued by the CA, id-kp-OCSPSigning, valid when it signed.
            if *budget == 0 {
                note(OcspProblem::Budget, &mut problems);
                break;
            }
            *budget -= 1;
            let issued = signer.issuer() == issuer.subject()
                && sig::verify(settings.alg_policy, issuer.spki(), &signer.0.sig_alg, signer.tbs(), &signer.0.signature).is_ok();
            let eku = signer.0.eku.as_ref().is_some_and(|e| e.iter().any(|o| o == KP_OCSP_SIGNING));
            if !issued || !eku {
                note(OcspProblem::ResponderNotAuthorised, &mut problems);
                continue;
            }
            if b.produced_at < signer.not_before() || b.produced_at > signer.not_after() {
                note(OcspProblem::ResponderNotValid { responder: who.clone(), produced_at: datetime(b.produced_at) }, &mut problems);
                continue;
            }
            if !has_nocheck(signer) && !responder_good(signer) {
                note(OcspProblem::ResponderUnchecked { responder: who.clone() }, &mut problems);
                continue;
            }
        }
        if *budget == 0 {
            note(OcspProblem::Budget, &mut problems);
            break;
        }
        *budget -= 1;
        match sig::verify(settings.alg_policy, signer.spki(), &b.sig_alg, b.tbs_bytes(), &b.signature) {
            Ok(()) => {}
            Err(SigError::Invalid | SigError::BadKey) => {
                note(OcspProblem::BadSignature { responder: who.clone() }, &mut problems);
                continue;
            }
            Err(SigError::Unsupported | SigError::WeakKey(_)) => {
                note(OcspProblem::AlgorithmNotAllowed { responder: who.clone() }, &mut problems);
                continue;
            }
        }
        if let (Some(sent), Some(got)) = (&r.nonce, &b.nonce) {
            if sent != got {
                note(OcspProblem::NonceMismatch, &mut problems);
                continue;
            }
        }
        let until = single.next_update.unwrap_or(single.this_update.saturating_add(MAX_AGE_WITHOUT_NEXT_UPDATE));
        if until < time {
            note(OcspProblem::Stale { responder: who.clone(), next_update: datetime(until) }, &mut problems);
            continue;
        }
        let status = match single.status {
            SingleStatus::Good => CertStatus::Good,
            SingleStatus::Revoked { time: at, reason } => CertStatus::Revoked {
                date: datetime(at),
                reason: reason.map(super::crl::reason_of),
                crl_issuer: issuer.subject().report(),
            },
            _ => {
                note(OcspProblem::UnknownToResponder { responder: who.clone() }, &mut problems);
                continue;
            }
        };
        // removeFromCRL in an OCSP answer means the hold was lifted: good.
        if let CertStatus::Revoked { reason: Some(RevocationReason::RemoveFromCrl), .. } = status {
            return Ok(Settled { status: CertStatus::Good, responder: who, produced_at: datetime(b.produced_at) });
        }
        return Ok(Settled { status, responder: who, produced_at: datetime(b.produced_at) });
    }
    Err(problems)
}

/// id-pkix-ocsp-nocheck present (any criticality).
fn has_nocheck(c: &Cert) -> bool {
    use x509_parser::prelude::*;
    let Ok((_, x)) = X509Certificate::from_der(c.der()) else { return false };
    x.extensions().iter().any(|e| e.oid.as_bytes() == msg::OID_OCSP_NOCHECK.as_bytes())
}
