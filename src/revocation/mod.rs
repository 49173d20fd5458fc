//! RFC 5280 §6.3 CRL validation over a path that [`crate::path`] validated.
//!
//! For each certificate of the path (not the anchor), every distribution point of its
//! cRLDistributionPoints (or, without that extension, one point naming its issuer) is matched
//! against every complete CRL given: scope (the CRL issuer — directly, or through cRLIssuer with
//! an indirect CRL and its certificateIssuer entries —, the issuingDistributionPoint's name,
//! onlyContainsUserCerts/CACerts/AttributeCerts, onlySomeReasons), currency (nextUpdate at the
//! validation time), the CRL issuer's key (the certificate's own issuer, or another certificate
//! of the CRL issuer — a separate CRL-signing key, a rollover key, an indirect CRL issuer —
//! whose own path is validated to the same trust anchor and whose own revocation is checked),
//! cRLSign, the signature; a delta CRL for the complete CRL (same issuer and scope, its
//! BaseCRLNumber at most the complete CRL's number, newer) is applied when present, and an
//! applicable delta that cannot be used makes the status unknown. Reasons are accumulated over
//! CRLs until every reason is covered.
//!
//! Fails closed: anything not understood (an unknown critical CRL or entry extension, an
//! attribute-certificate CRL, a CRL that is out of date, a signer that cannot be validated)
//! leaves the status [`CertStatus::Unknown`] with the reasons, never good.
//!
//! OCSP (RFC 6960) is a second source: [`check_path_with`] tries the OCSP responses at hand
//! first (see `ocsp.rs` for what is checked), then the CRLs. Fetching is the caller's: the
//! library does no I/O; a caller that may go online gives the verifier a
//! [`source::RevocationSource`].
//!
//! Not done: the freshestCRL pointer (delta CRLs are used when given), revocation of the trust
//! anchor, OCSP responders trusted by local configuration.

mod crl;
mod ocsp;
pub mod source;

pub use crl::{Crl, CrlError, MAX_CRL_ENTRIES};
pub use ocsp::{OcspResponse, MAX_AGE_WITHOUT_NEXT_UPDATE, MAX_OCSP_SIGNATURE_CHECKS};

use crate::path::cert::{Cert, DistPoint, KU_CRL_SIGN};
use crate::path::name::GenName;
use crate::path::sig::{self, SigError};
use crate::path::{build_and_validate, datetime, Anchor, PathError, Settings, ValidPath};

/// Limit on CRL signature verifications for one path (each distinct CRL and signer key is
/// verified once). A path of three certificates with one CRL each and a delta needs six; 64
/// covers separate CRL-signing keys and indirect CRLs while bounding an attacker's CRL soup.
pub const MAX_CRL_SIGNATURE_CHECKS: usize = 64;

/// Limit on nesting when the CRL issuer's own certificate needs its own revocation check
/// (a CRL-signing certificate whose CRL is signed by the root: depth 1). Two levels cover
/// indirect CRL issuers under a sub-CA; more would only serve loops.
pub const MAX_CRL_ISSUER_DEPTH: usize = 2;

/// All ReasonFlags (keyCompromise … aACompromise, bits 1–8).
const ALL_REASONS: u16 = 0x1fe;

/// CRLReason (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// unspecified (0), or no reason code
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6)
    CertificateHold,
    /// removeFromCRL (8)
    RemoveFromCrl,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl RevocationReason {
    /// The CRLReason code.
    pub fn code(self) -> u8 {
        use RevocationReason::*;
        match self {
            Unspecified => 0,
            KeyCompromise => 1,
            CaCompromise => 2,
            AffiliationChanged => 3,
            Superseded => 4,
            CessationOfOperation => 5,
            CertificateHold => 6,
            RemoveFromCrl => 8,
            PrivilegeWithdrawn => 9,
            AaCompromise => 10,
        }
    }
}

/// Why a CRL did not settle a certificate's status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlProblem {
    /// No CRL of the certificate's issuer (or of its distribution points' CRL issuers) given.
    NoCrl,
    /// CRLs were given but none covers the remaining reasons.
    ReasonsNotCovered {
        /// ReasonFlags bits not covered.
        missing: u16,
    },
    /// The CRL's nextUpdate is before the validation time.
    Stale {
        /// The CRL issuer.
        issuer: crate::findings::Name,
        /// nextUpdate.
        next_update: time::OffsetDateTime,
    },
    /// The CRL (or an entry) has a critical extension kyso does not understand, or one that
    /// must not be critical (the CRL number).
    UnknownCriticalExtension {
        /// The CRL issuer.
        issuer: crate::findings::Name,
        /// The extension.
        oid: const_oid::ObjectIdentifier,
    },
    /// The CRL covers attribute certificates only.
    AttributeCertificates,
    /// The CRL has no CRL number (RFC 5280 §5.2.3: conforming CRL issuers MUST include it).
    NoCrlNumber {
        /// The CRL issuer.
        issuer: crate::findings::Name,
    },
    /// No certificate of the CRL issuer with a valid path to the same anchor and cRLSign
    /// verifies the CRL's signature.
    NoValidSigner {
        /// The CRL issuer.
        issuer: crate::findings::Name,
        /// The most specific reason about the candidates, when there were any.
        why: Option<SignerProblem>,
    },
    /// A delta CRL applies to the complete CRL but cannot be used.
    DeltaUnusable {
        /// The CRL issuer.
        issuer: crate::findings::Name,
    },
    /// The CRL-checking budget ran out.
    Budget,
}

/// Why a candidate CRL signer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerProblem {
    /// The signature does not verify with its key.
    BadSignature,
    /// The signature algorithm or key is not allowed.
    Algorithm,
    /// Its keyUsage lacks cRLSign.
    NoCrlSign,
    /// Its own path does not validate.
    Path(Box<PathError>),
    /// It is revoked or its status is unknown.
    NotGood,
}

/// The revocation status of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertStatus {
    /// Not revoked, every reason covered by current CRLs.
    Good,
    /// Revoked (or on hold).
    Revoked {
        /// revocationDate.
        date: time::OffsetDateTime,
        /// The reason code, when given.
        reason: Option<RevocationReason>,
        /// The CRL issuer that says so.
        crl_issuer: crate::findings::Name,
    },
    /// Not determined (fail closed).
    Unknown(Vec<CrlProblem>),
}

/// What to check revocation with.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// CRLs (complete and delta).
    pub crls: &'a [Crl],
    /// Certificates that may issue CRLs or sit on their issuers' paths.
    pub certificates: &'a [Cert],
    /// Validation time and algorithm policy (the policy inputs are not used for CRL issuers).
    pub settings: &'a Settings,
}

struct Ctx<'a> {
    inputs: Inputs<'a>,
    signature_checks: usize,
    /// Certificates whose status is being determined (loop guard), by DER.
    active: Vec<Vec<u8>>,
}

/// The status of each certificate of `path`, leaf first (the anchor is not checked).
pub fn check_path(path: &ValidPath, inputs: Inputs<'_>) -> Vec<CertStatus> {
    let mut ctx = Ctx { inputs, signature_checks: 0, active: Vec::new() };
    let mut out = Vec::with_capacity(path.certs.len());
    for (k, cert) in path.certs.iter().enumerate() {
        let issuer: Signer<'_> = match path.certs.get(k + 1) {
            Some(c) => Signer::Cert(c),
            None => Signer::Anchor(&path.anchor),
        };
        out.push(status(&mut ctx, cert, issuer, &path.anchor, path, 0));
    }
    out
}

#[derive(Clone, Copy)]
enum Signer<'a> {
    Cert(&'a Cert),
    Anchor(&'a Anchor),
}

impl Signer<'_> {
    fn cert(&self) -> &Cert {
        match self {
            Signer::Cert(c) => c,
            Signer::Anchor(a) => a.cert(),
        }
    }
}

fn status(ctx: &mut Ctx<'_>, cert: &Cert, issuer: Signer<'_>, anchor: &Anchor, path: &ValidPath, depth: usize) -> CertStatus {
    let synthetic = [DistPoint { name: None, reasons: None, crl_issuer: None }];
    let dps: &[DistPoint] = cert.0.crl_dp.as_deref().unwrap_or(&synthetic);
    let mut mask = 0u16;
    let mut problems: Vec<CrlProblem> = Vec::new();
    let mut any_candidate = false;
    ctx.active.push(cert.der().to_vec());
    let crls = ctx.inputs.crls;
    'outer: for dp in dps {
        for crl in crls.iter().filter(|c| !c.is_delta()) {
            if mask == ALL_REASONS {
                break 'outer;
            }
            let Some(interim) = scope(crl, cert, dp) else { continue };
            any_candidate = true;
            // (d) something new to learn from this CRL.
            if interim & !mask == 0 {
                continue;
            }
            match use_crl(ctx, crl, cert, issuer, anchor, path, depth) {
                Ok(Some(revoked)) => {
                    ctx.active.pop();
                    return revoked;
                }
                Ok(None) => mask |= interim,
                Err(p) => {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
    }
    ctx.active.pop();
    if mask == ALL_REASONS {
        return CertStatus::Good;
    }
    if !any_candidate {
        problems.insert(0, CrlProblem::NoCrl);
    } else if problems.is_empty() {
        problems.push(CrlProblem::ReasonsNotCovered { missing: ALL_REASONS & !mask });
    }
    CertStatus::Unknown(problems)
}

/// §6.3.3 (b) and (c): is `crl` in scope for `cert` through `dp`? Returns the interim reasons.
fn scope(crl: &Crl, cert: &Cert, dp: &DistPoint) -> Option<u16> {
    let c = &crl.0;
    let dirs = |names: &[GenName]| -> Vec<crate::path::Name> {
        names
            .iter()
            .filter_map(|g| match g {
                GenName::Directory(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    };
    // (b)(1) the CRL issuer.
    match &dp.crl_issuer {
        Some(names) => {
            if !dirs(names).iter().any(|n| n == crl.issuer()) {
                return None;
            }
            if crl.issuer() != cert.issuer() && !c.idp.as_ref().is_some_and(|i| i.indirect) {
                return None;
            }
        }
        None => {
            if crl.issuer() != cert.issuer() {
                return None;
            }
        }
    }
    // (b)(2) the issuing distribution point.
    if let Some(idp) = &c.idp {
        if let Some(idp_name) = &idp.name {
            let idp_names = idp_name.resolve(crl.issuer());
            let matched = match (&dp.name, &dp.crl_issuer) {
                (Some(dpn), _) => {
                    let base = dp.crl_issuer.as_deref().and_then(|v| dirs(v).into_iter().next()).unwrap_or_else(|| cert.issuer().clone());
                    let dp_names = dpn.resolve(&base);
                    dp_names.iter().any(|a| idp_names.contains(a))
                }
                (None, Some(issuers)) => issuers.iter().any(|a| idp_names.contains(a)),
                (None, None) => false,
            };
            if !matched {
                return None;
            }
        }
        if (idp.only_user && cert.is_ca()) || (idp.only_ca && !cert.is_ca()) {
            return None;
        }
    }
    // (c) reasons.
    let dp_reasons = dp.reasons.unwrap_or(ALL_REASONS) & ALL_REASONS;
    let idp_reasons = c.idp.as_ref().and_then(|i| i.only_some).unwrap_or(ALL_REASONS) & ALL_REASONS;
    Some(dp_reasons & idp_reasons)
}

/// Uses a complete CRL in scope: currency, signer, signature, delta, lookup. Ok(Some(status))
/// when the certificate is revoked, Ok(None) when it is not listed.
fn use_crl(ctx: &mut Ctx<'_>, crl: &Crl, cert: &Cert, issuer: Signer<'_>, anchor: &Anchor, path: &ValidPath, depth: usize) -> Result<Option<CertStatus>, CrlProblem> {
    let c = &crl.0;
    let time = ctx.inputs.settings.time;
    let issuer_text = || crl.issuer().report();
    if let Some(oid) = c.unknown_critical {
        return Err(CrlProblem::UnknownCriticalExtension { issuer: issuer_text(), oid });
    }
    if c.idp.as_ref().is_some_and(|i| i.only_attribute) {
        return Err(CrlProblem::AttributeCertificates);
    }
    if c.number.is_none() {
        return Err(CrlProblem::NoCrlNumber { issuer: issuer_text() });
    }
    if let Some(next) = c.next_update {
        if next < time {
            return Err(CrlProblem::Stale { issuer: issuer_text(), next_update: datetime(next) });
        }
    }
    let signer_spki = find_signer(ctx, crl, issuer, anchor, path, depth)?;
    // (h), (i) a delta CRL for this complete CRL.
    let number = c.number.clone();
    let mut delta_used: Option<Crl> = None;
    let mut delta_applicable = false;
    let crls = ctx.inputs.crls;
    for d in crls.iter().filter(|d| d.is_delta()) {
        let di = &d.0;
        let (Some(base), Some(dnum), Some(num)) = (&di.delta_base, &di.number, &number) else { continue };
        if d.issuer() != crl.issuer() || di.idp.as_ref().map(|i| &i.raw) != c.idp.as_ref().map(|i| &i.raw) || base > num || dnum <= num {
            continue;
        }
        delta_applicable = true;
        let fresh = di.next_update.is_none_or(|n| n >= time) && di.unknown_critical.is_none();
        if !fresh || verify(ctx, &signer_spki, d).is_err() {
            continue;
        }
        if delta_used.as_ref().is_none_or(|u| u.0.number.as_ref() < Some(dnum)) {
            delta_used = Some(d.clone());
        }
    }
    if delta_applicable && delta_used.is_none() {
        return Err(CrlProblem::DeltaUnusable { issuer: issuer_text() });
    }
    let revoked = |e: &crl::Entry| CertStatus::Revoked { date: datetime(e.date), reason: e.reason, crl_issuer: issuer_text() };
    if let Some(d) = &delta_used {
        if let Some(e) = d.entry(cert.serial(), cert.issuer()) {
            if e.reason == Some(RevocationReason::RemoveFromCrl) {
                return Ok(None);
            }
            return Ok(Some(revoked(e)));
        }
    }
    match crl.entry(cert.serial(), cert.issuer()) {
        Some(e) if e.reason == Some(RevocationReason::RemoveFromCrl) => Ok(None),
        Some(e) => Ok(Some(revoked(e))),
        None => Ok(None),
    }
}

fn verify(ctx: &mut Ctx<'_>, spki: &[u8], crl: &Crl) -> Result<(), SignerProblem> {
    if ctx.signature_checks >= MAX_CRL_SIGNATURE_CHECKS {
        return Err(SignerProblem::Algorithm);
    }
    ctx.signature_checks += 1;
    sig::verify(ctx.inputs.settings.alg_policy, spki, &crl.0.sig_alg, crl.tbs(), &crl.0.signature).map_err(|e| match e {
        SigError::Invalid | SigError::BadKey => SignerProblem::BadSignature,
        SigError::Unsupported | SigError::WeakKey(_) => SignerProblem::Algorithm,
    })
}

/// §6.3.3 (f), (g): the key that signed `crl`. The certificate's own issuer is tried first (it is
/// on the validated path); then the anchor and every certificate named like the CRL issuer,
/// whose path to the same anchor is validated and whose own status must be good.
fn find_signer(ctx: &mut Ctx<'_>, crl: &Crl, issuer: Signer<'_>, anchor: &Anchor, path: &ValidPath, depth: usize) -> Result<Vec<u8>, CrlProblem> {
    let mut best: Option<SignerProblem> = None;
    let note = |p: SignerProblem, best: &mut Option<SignerProblem>| {
        let rank = |p: &SignerProblem| match p {
            SignerProblem::BadSignature => 0,
            SignerProblem::Algorithm => 1,
            _ => 2,
        };
        if best.as_ref().is_none_or(|b| rank(&p) > rank(b)) {
            *best = Some(p);
        }
    };
    let budget_out = |ctx: &Ctx<'_>| ctx.signature_checks >= MAX_CRL_SIGNATURE_CHECKS;
    // The certificate's issuer (on the path) and the anchor: already validated.
    let mut validated: Vec<&Cert> = vec![issuer.cert(), anchor.cert()];
    validated.extend(path.certs.iter());
    for c in validated {
        if c.subject() != crl.issuer() {
            continue;
        }
        match verify(ctx, c.spki(), crl) {
            Err(p) => note(p, &mut best),
            Ok(()) if !c.ku_allows(KU_CRL_SIGN) => note(SignerProblem::NoCrlSign, &mut best),
            Ok(()) => return Ok(c.spki().to_vec()),
        }
        if budget_out(ctx) {
            return Err(CrlProblem::Budget);
        }
    }
    if depth >= MAX_CRL_ISSUER_DEPTH {
        return Err(CrlProblem::NoValidSigner { issuer: crl.issuer().report(), why: best });
    }
    // Other certificates of the CRL issuer: a separate CRL-signing key, a rollover key, an
    // indirect CRL issuer.
    let pool = ctx.inputs.certificates;
    for cand in pool.iter().filter(|c| c.subject() == crl.issuer()) {
        if ctx.active.iter().any(|a| a.as_slice() == cand.der()) || path.certs.iter().any(|p| p.der() == cand.der()) {
            continue;
        }
        match verify(ctx, cand.spki(), crl) {
            Err(p) => {
                note(p, &mut best);
                if budget_out(ctx) {
                    return Err(CrlProblem::Budget);
                }
                continue;
            }
            Ok(()) if !cand.ku_allows(KU_CRL_SIGN) => {
                note(SignerProblem::NoCrlSign, &mut best);
                continue;
            }
            Ok(()) => {}
        }
        let mut s = ctx.inputs.settings.clone();
        s.initial_policy_set = None;
        s.initial_explicit_policy = false;
        s.initial_policy_mapping_inhibit = false;
        s.initial_any_policy_inhibit = false;
        s.eku = crate::path::EkuRule::None;
        let signer_path = match build_and_validate(cand, pool, std::slice::from_ref(anchor), &s) {
            Ok(p) => p,
            Err(e) => {
                note(SignerProblem::Path(Box::new(e)), &mut best);
                continue;
            }
        };
        // Its own status, and that of its intermediates not on the target's path.
        let mut good = true;
        for (k, sc) in signer_path.certs.iter().enumerate() {
            if path.certs.iter().any(|p| p.der() == sc.der()) || ctx.active.iter().any(|a| a.as_slice() == sc.der()) {
                continue;
            }
            let iss = match signer_path.certs.get(k + 1) {
                Some(c) => Signer::Cert(c),
                None => Signer::Anchor(anchor),
            };
            if status(ctx, sc, iss, anchor, &signer_path, depth + 1) != CertStatus::Good {
                good = false;
                break;
            }
        }
        if !good {
            note(SignerProblem::NotGood, &mut best);
            continue;
        }
        return Ok(cand.spki().to_vec());
    }
    Err(CrlProblem::NoValidSigner { issuer: crl.issuer().report(), why: best })
}

/// A certificate's revocation status with where it came from and why other sources failed
/// ([`check_path_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The status (CRLs' problems inside [`CertStatus::Unknown`]).
    pub status: CertStatus,
    /// What settled it (None when unknown).
    pub source: Option<crate::findings::StatusSource>,
    /// Why the OCSP responses about it could not be used.
    pub ocsp_problems: Vec<crate::findings::OcspProblem>,
}

/// [`check_path`] with OCSP responses as a second source (RFC 6960, see `ocsp.rs` for what is
/// checked): for each certificate, a usable OCSP response settles its status first; otherwise
/// the CRLs do (RFC 5280 §6.3). A delegated OCSP responder without id-pkix-ocsp-nocheck needs
/// a good status by the CRLs. Fails closed like [`check_path`].
pub fn check_path_with(path: &ValidPath, inputs: Inputs<'_>, responses: &[OcspResponse]) -> Vec<Outcome> {
    let mut ctx = Ctx { inputs, signature_checks: 0, active: Vec::new() };
    let mut budget = MAX_OCSP_SIGNATURE_CHECKS;
    let mut out = Vec::with_capacity(path.certs.len());
    for (k, cert) in path.certs.iter().enumerate() {
        let issuer: Signer<'_> = match path.certs.get(k + 1) {
            Some(c) => Signer::Cert(c),
            None => Signer::Anchor(&path.anchor),
        };
        let mut ocsp_problems = Vec::new();
        if !responses.is_empty() {
            let issuer_cert = issuer.cert().clone();
            let mut responder_good = |r: &Cert| {
                // The responder's own status by the CRLs of its issuer (the CA).
                status(&mut ctx, r, issuer, &path.anchor, path, 1) == CertStatus::Good
            };
            match ocsp::settle(cert, &issuer_cert, responses, inputs.settings, &mut budget, &mut responder_good) {
                Ok(s) => {
                    out.push(Outcome {
                        status: s.status,
                        source: Some(crate::findings::StatusSource::Ocsp { responder: s.responder, produced_at: s.produced_at }),
                        ocsp_problems: Vec::new(),
                    });
                    continue;
                }
                Err(p) => ocsp_problems = p,
            }
        }
        let st = status(&mut ctx, cert, issuer, &path.anchor, path, 0);
        let source = match &st {
            CertStatus::Good => Some(crate::findings::StatusSource::Crl { issuer: cert.issuer().report() }),
            CertStatus::Revoked { crl_issuer, .. } => Some(crate::findings::StatusSource::Crl { issuer: crl_issuer.clone() }),
            _ => None,
        };
        out.push(Outcome { status: st, source, ocsp_problems });
    }
    out
}
