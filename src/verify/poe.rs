//! Proof of existence from signature timestamps (CAdES-B-T; DESIGN.md §4 rule 4, ETSI EN 319
//! 102-1 §5.6 "validation process for signatures with time"): a SignerInfo's
//! id-aa-signatureTimeStampToken, verified with [`crate::tsp::verify_signature_timestamp`]
//! against the verifier's trust anchors at the validation time, proves that the signature value
//! existed at its genTime. When the path fails at the validation time only because a
//! certificate was revoked or had expired, the path is validated again at that proven time:
//!
//! - expiry after the proven time no longer fails the signature;
//! - a revocation dated after the proven time no longer fails it **if the CRLReason allows it**:
//!   affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn —
//!   reasons that say nothing against signatures made before the revocation. kyso is deliberately
//!   more conservative than ETSI EN 319 102-1 (which accepts any reason once the proof predates
//!   the revocation date) for keyCompromise, cACompromise, aACompromise, unspecified and a
//!   missing reason: a compromise may predate the revocation date (kyso does not read the
//!   invalidityDate extension), and whoever stole the key could also have obtained the
//!   timestamp, so such a signature stays REVOKED_NO_POE (INDETERMINATE), with the reason named;
//! - a revocation at or before the proven time stays REVOKED.
//!
//! A valid document timestamp of a PDF that covers the signature's revision (PAdES-B-LTA) is a
//! proof of existence too, at its genTime (`ExternalPoe`, check `document_timestamp_poe`); the
//! earliest proof is used.
//!
//! A token that does not verify, does not cover this signature value, or comes from a TSA that
//! does not chain to a trust anchor is reported (check `signature_timestamp` with status
//! `warning`, an entry in `timestamps` and a warning) and not used as proof; it does not by
//! itself fail a signature that is valid without it (ETSI: a signature timestamp that fails is
//! ignored for proof of existence). The TSA certificate's own revocation is checked with the
//! same CRLs as the signer's path, at the token's time: a TSA certificate revoked before the
//! token, or later for a compromise-type reason, makes the token no proof (status `revoked`);
//! an unknown status is a warning.

use super::{crl, path, FileContext, Verifier};
use crate::asn1 as der;
use crate::findings::{
    Check, CheckName, CheckStatus, CrlReason, Element, Finding, FormatKind, FormatProblem, PoeJudgement, SubIndication,
    TimestampRejection, TsaRevocation, UnknownStatus,
};
use crate::report::{SignatureReport, TimestampReport, TimestampStatus};
use crate::tsp::{self, TokenCheck, TspError};
use rustls_pki_types::CertificateDer;

/// Budget on signature timestamps verified per SignerInfo: a B-T signature has one, a renewed
/// one two or three; each costs a token verification and a path validation.
const MAX_TIMESTAMPS: usize = 4;

/// Budget on certificates of the signature file offered to the token verifier to build the
/// TSA's path (its own limit is 32, including the token's certificates).
const MAX_EXTRA_CERTS: usize = 16;

/// DER of id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14) as an OID TLV.
fn ts_oid() -> Vec<u8> {
    crate::cms::signer::oid_tlv(&crate::alg::oid::ATTR_SIGNATURE_TIMESTAMP)
}

/// CRLReason codes (RFC 5280 §5.3.1) for which a revocation after the proven existence time
/// does not fail the signature (see the module documentation for the choice).
pub(super) fn reason_allows_poe(reason: Option<u8>) -> bool {
    matches!(reason, Some(3 | 4 | 5 | 6 | 9))
}

/// The signature timestamp tokens (DER) in a SignerInfo's unsignedAttrs.
fn tokens(raw_signer_info: &[u8]) -> Result<Vec<Vec<u8>>, FormatProblem> {
    let bad = |kind| FormatProblem::new(Element::UnsignedAttributes, kind);
    let kind = |e| crate::cms::signed_data::der_kind(e);
    let si = der::read_all(raw_signer_info).map_err(|e| FormatProblem::new(Element::SignerInfo, kind(e)))?;
    let fields = der::children(si.body, 16, "too many SignerInfo fields").map_err(|e| FormatProblem::new(Element::SignerInfo, kind(e)))?;
    let Some(unsigned) = fields.iter().find(|f| f.tag == 0xa1) else { return Ok(Vec::new()) };
    let oid = ts_oid();
    let mut out = Vec::new();
    for attr in der::children(unsigned.body, crate::cms::MAX_ATTRIBUTES, "too many unsigned attributes")
        .map_err(|_| bad(FormatKind::TooMany { limit: crate::cms::MAX_ATTRIBUTES }))?
    {
        let parts = der::children(attr.body, 2, "malformed unsigned attribute").map_err(|e| bad(kind(e)))?;
        if parts.first().map(|o| o.raw) != Some(oid.as_slice()) {
            continue;
        }
        let Some(values) = parts.get(1) else { return Err(bad(FormatKind::Missing)) };
        for v in der::children(values.body, MAX_TIMESTAMPS, "too many signature timestamps")
            .map_err(|_| bad(FormatKind::TooMany { limit: MAX_TIMESTAMPS }))?
        {
            out.push(v.raw.to_vec());
        }
    }
    if out.len() > MAX_TIMESTAMPS {
        return Err(bad(FormatKind::TooMany { limit: MAX_TIMESTAMPS }));
    }
    Ok(out)
}

/// The revocation status of a TSA certificate at its token's time.
enum TsaStatus {
    /// Revocation checking is off.
    NotChecked,
    /// A usable CRL does not list it.
    Good,
    /// No usable CRL (for which certificates, and why).
    Unknown(Vec<UnknownStatus>),
    /// Revoked after the token's time for a reason that says nothing against earlier tokens.
    RevokedLater { date: i64, reason: Option<u8> },
    /// Revoked at or before the token's time, or later for a compromise-type reason (the key
    /// may have been used to backdate tokens): the token proves nothing.
    Revoked(TimestampRejection),
}

impl Verifier {
    /// The TSA certificate's own revocation (ETSI EN 319 102-1 §5.4: a timestamp is validated
    /// like a signature), with the same CRLs as the signer's path (given, embedded, /DSS), its
    /// path validated at the token's time `t`.
    fn tsa_revocation(&self, token: &[u8], tsa_cert: &[u8], intermediates: &[CertificateDer<'static>], crls: &[crl::Crl], t: i64) -> TsaStatus {
        if self.opts.revocation == super::RevocationMode::Off {
            return TsaStatus::NotChecked;
        }
        // The TSA's path may need the token's own certificates (a TSA of another CA).
        let mut with_token: Vec<CertificateDer<'static>> = intermediates.to_vec();
        with_token.extend(tsp::evidence_certificates(token).unwrap_or_default().into_iter().take(MAX_EXTRA_CERTS).map(CertificateDer::from));
        let params = path::PathParams {
            anchors: &self.anchors,
            intermediates: &with_token,
            crls,
            time: t,
            policy: self.opts.policy,
            revocation: super::RevocationMode::Warn,
            purpose: &super::Purpose::Any,
            policies: &path::PolicyInputs::default(),
            ocsp: &self.ocsp,
            source: self.source(),
        };
        let out = path::validate(tsa_cert, &params);
        if let Some((date, reason)) = out.revoked_at {
            let r = reason.map(CrlReason::from_code);
            return if date <= t {
                TsaStatus::Revoked(TimestampRejection::TsaRevokedBefore { date: path::at(date), reason: r })
            } else if reason_allows_poe(reason) {
                TsaStatus::RevokedLater { date, reason }
            } else {
                TsaStatus::Revoked(TimestampRejection::TsaRevokedCompromise { date: path::at(date), reason: r })
            };
        }
        match out.revocation {
            crate::report::RevocationStatus::Good => TsaStatus::Good,
            _ => TsaStatus::Unknown(out.unknown_revocation()),
        }
    }

    /// Step 4 of a SignerInfo's verification: its signature timestamps and the document
    /// timestamps that cover it. Records them in `r` and returns the path outcome and the time the
    /// certificate checks use: `outcome` and the validation time, or the outcome of a validation
    /// at the proven existence time.
    pub(super) fn proof_of_existence(
        &self,
        r: &mut SignatureReport,
        raw_signer_info: &[u8],
        signature: &[u8],
        ctx: &FileContext<'_>,
        cert_der: &[u8],
        outcome: path::PathOutcome,
    ) -> (path::PathOutcome, i64) {
        let now = self.opts.time.unix_timestamp();
        r.verdict_time = Some(path::at(now));
        let found = match tokens(raw_signer_info) {
            Ok(t) => t,
            Err(why) => {
                let finding = Finding::TimestampAttributeUnreadable(why);
                r.checks.push(Check::new(CheckName::SignatureTimestamp, CheckStatus::Warning, finding.clone()));
                r.warnings.push(finding.clone());
                r.timestamps.push(TimestampReport { status: TimestampStatus::Invalid, time: None, tsa: None, serial: None, detail: finding });
                return (outcome, now);
            }
        };
        if found.is_empty() && ctx.external_poe.is_none() {
            return (outcome, now);
        }
        let anchors: Vec<Vec<u8>> = self.anchors.iter().map(|a| a.der.clone()).collect();
        let extra: Vec<Vec<u8>> = ctx.candidates.iter().take(MAX_EXTRA_CERTS).map(|c| c.der.to_vec()).collect();
        let mut poe: Option<time::OffsetDateTime> = None;
        for token in &found {
            let check = TokenCheck::new(&anchors, self.opts.time).extra_certificates(&extra).policy(self.opts.policy);
            match tsp::verify_signature_timestamp(token, signature, &check) {
                Ok(info) => {
                    let t = info.gen_time.unix_timestamp();
                    let tsa_revocation = match self.tsa_revocation(token, &info.tsa_certificate, ctx.intermediates, ctx.crls, t) {
                        TsaStatus::NotChecked => TsaRevocation::NotChecked,
                        TsaStatus::Good => TsaRevocation::Good,
                        TsaStatus::Unknown(certificates) => {
                            r.warnings.push(Finding::TsaRevocationUnknown { certificates });
                            TsaRevocation::Unknown
                        }
                        TsaStatus::RevokedLater { date, reason } => {
                            TsaRevocation::RevokedLater { date: path::at(date), reason: reason.map(CrlReason::from_code) }
                        }
                        TsaStatus::Revoked(why) => {
                            let finding = Finding::TimestampNotUsed(why);
                            r.checks.push(Check::new(CheckName::SignatureTimestamp, CheckStatus::Warning, finding.clone()));
                            r.warnings.push(finding.clone());
                            r.timestamps.push(TimestampReport {
                                status: TimestampStatus::Revoked,
                                time: Some(info.gen_time),
                                tsa: Some(info.tsa_subject),
                                serial: Some(info.serial),
                                detail: finding,
                            });
                            continue;
                        }
                    };
                    poe = Some(poe.map_or(info.gen_time, |p| p.min(info.gen_time)));
                    let finding = Finding::SignatureTimestampValid {
                        time: info.gen_time,
                        tsa: info.tsa_subject.clone(),
                        serial: info.serial.clone(),
                        chain: info.chain.clone(),
                        tsa_revocation,
                    };
                    r.checks.push(Check::new(CheckName::SignatureTimestamp, CheckStatus::Passed, finding.clone()));
                    r.timestamps.push(TimestampReport {
                        status: TimestampStatus::Valid,
                        time: Some(info.gen_time),
                        tsa: Some(info.tsa_subject),
                        serial: Some(info.serial),
                        detail: finding,
                    });
                }
                Err(e) => {
                    // An untrusted TSA: the token itself verifies; say what it claims.
                    let (inner, claimed) = match e {
                        TspError::Invalid(f) => (f.finding, f.claimed),
                        _ => (Finding::Malformed(FormatProblem::new(Element::TimestampToken, FormatKind::InvalidValue)), None),
                    };
                    let untrusted = matches!(inner, Finding::TsaUntrusted(_));
                    let finding = Finding::TimestampNotUsed(TimestampRejection::Token(Box::new(inner)));
                    r.checks.push(Check::new(CheckName::SignatureTimestamp, CheckStatus::Warning, finding.clone()));
                    r.warnings.push(finding.clone());
                    r.timestamps.push(TimestampReport {
                        status: if untrusted { TimestampStatus::Untrusted } else { TimestampStatus::Invalid },
                        time: claimed.as_ref().map(|i| i.gen_time),
                        tsa: claimed.as_ref().map(|i| i.tsa_subject.clone()),
                        serial: claimed.as_ref().map(|i| i.serial.clone()),
                        detail: finding,
                    });
                }
            }
        }
        if let Some(ext) = ctx.external_poe {
            r.checks.push(Check::new(
                CheckName::DocumentTimestampPoe,
                CheckStatus::Passed,
                Finding::CoveredByDocumentTimestamp { field: ext.field.clone(), tsa: ext.tsa.clone(), time: ext.time },
            ));
            poe = Some(poe.map_or(ext.time, |p| p.min(ext.time)));
        }
        let Some(poe_at) = poe else { return (outcome, now) };
        r.poe_time = Some(poe_at);
        let poe = poe_at.unix_timestamp();
        let time_bound = |f: &SubIndication| matches!(f, SubIndication::Revoked | SubIndication::RevokedNoPoe | SubIndication::OutOfBoundsNoPoe);
        if poe >= now || !outcome.failures.iter().any(time_bound) {
            return (outcome, now);
        }
        // Validate the path again at the proven time (not cached: the cache is per run time).
        let params = path::PathParams {
            anchors: &self.anchors,
            intermediates: ctx.intermediates,
            crls: ctx.crls,
            time: poe,
            policy: self.opts.policy,
            revocation: self.opts.revocation,
            purpose: &super::Purpose::DocumentSigning,
            policies: &self.policy_inputs,
            ocsp: ctx.ocsp,
            source: self.source(),
        };
        let mut past = path::validate(cert_der, &params);
        if outcome.revoked_at.is_some() && past.revoked_at.is_none() {
            // The revocation seen at the validation time must be seen at the proven time too
            // (same CRLs); if not, keep the verdict of the validation time.
            return (outcome, now);
        }
        if let Some((date, reason)) = past.revoked_at {
            if date > poe {
                let accepted = reason_allows_poe(reason);
                if accepted {
                    past.failures.retain(|f| *f != SubIndication::RevokedNoPoe);
                    r.warnings.push(Finding::RevokedAfterPoeAccepted {
                        date: path::at(date),
                        reason: reason.map(CrlReason::from_code),
                        poe: poe_at,
                    });
                }
                past.judge_revocation(PoeJudgement { time: poe_at, accepted });
            }
        }
        r.verdict_time = Some(poe_at);
        r.poe_used = true;
        (past, poe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_that_allow_the_exception() {
        for ok in [3, 4, 5, 6, 9] {
            assert!(reason_allows_poe(Some(ok)), "{ok}");
        }
        for no in [0, 1, 2, 8, 10, 11] {
            assert!(!reason_allows_poe(Some(no)), "{no}");
        }
        assert!(!reason_allows_poe(None));
    }

    #[test]
    fn unsigned_attributes_are_read_with_budgets() {
        // SignerInfo without unsignedAttrs → no tokens; garbage → an error, never a panic.
        assert_eq!(tokens(&[0x30, 0x03, 0x02, 0x01, 0x01]), Ok(Vec::new()));
        assert!(tokens(&[0x30, 0x05, 0xa1, 0x03, 0x30, 0x01]).is_err());
        assert!(tokens(b"\x30").is_err());
    }
}
