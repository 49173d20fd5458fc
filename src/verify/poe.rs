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

use super::{crl, der, path, Verifier};
use crate::report::{Check, CheckStatus, SignatureReport, SubIndication, TimestampReport};
use crate::tsp::{self, TokenCheck, TspError};
use rustls_pki_types::CertificateDer;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Budget on signature timestamps verified per SignerInfo: a B-T signature has one, a renewed
/// one two or three; each costs a token verification and a path validation.
const MAX_TIMESTAMPS: usize = 4;

/// Budget on certificates of the signature file offered to the token verifier to build the
/// TSA's path (its own limit is 32, including the token's certificates).
const MAX_EXTRA_CERTS: usize = 16;

/// DER of id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14) as an OID TLV.
fn ts_oid() -> Vec<u8> {
    super::oid_tlv(&crate::alg::oid::ATTR_SIGNATURE_TIMESTAMP)
}

/// CRLReason codes (RFC 5280 §5.3.1) for which a revocation after the proven existence time
/// does not fail the signature (see the module documentation for the choice).
fn reason_allows_poe(reason: Option<u8>) -> bool {
    matches!(reason, Some(3 | 4 | 5 | 6 | 9))
}

fn reason_name(reason: Option<u8>) -> &'static str {
    match reason {
        None => "no reason code",
        Some(0) => "unspecified",
        Some(1) => "keyCompromise",
        Some(2) => "cACompromise",
        Some(3) => "affiliationChanged",
        Some(4) => "superseded",
        Some(5) => "cessationOfOperation",
        Some(6) => "certificateHold",
        Some(8) => "removeFromCRL",
        Some(9) => "privilegeWithdrawn",
        Some(10) => "aACompromise",
        Some(_) => "unknown reason code",
    }
}

/// The signature timestamp tokens (DER) in a SignerInfo's unsignedAttrs.
fn tokens(raw_signer_info: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let si = der::read_all(raw_signer_info).map_err(|e| e.0.to_string())?;
    let fields = der::children(si.body, 16, "too many SignerInfo fields").map_err(|e| e.0.to_string())?;
    let Some(unsigned) = fields.iter().find(|f| f.tag == 0xa1) else { return Ok(Vec::new()) };
    let oid = ts_oid();
    let mut out = Vec::new();
    for attr in der::children(unsigned.body, super::MAX_ATTRIBUTES, "too many unsigned attributes").map_err(|e| e.0.to_string())? {
        let parts = der::children(attr.body, 2, "malformed unsigned attribute").map_err(|e| e.0.to_string())?;
        if parts.first().map(|o| o.raw) != Some(oid.as_slice()) {
            continue;
        }
        let Some(values) = parts.get(1) else { return Err("a signature timestamp attribute has no value".into()) };
        for v in der::children(values.body, MAX_TIMESTAMPS, "too many signature timestamps").map_err(|e| e.0.to_string())? {
            out.push(v.raw.to_vec());
        }
    }
    if out.len() > MAX_TIMESTAMPS {
        return Err(format!("more than {MAX_TIMESTAMPS} signature timestamps"));
    }
    Ok(out)
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The revocation status of a TSA certificate at its token's time.
enum TsaStatus {
    /// Revocation checking is off.
    NotChecked,
    /// A usable CRL does not list it.
    Good,
    /// No usable CRL (the reason).
    Unknown(String),
    /// Revoked after the token's time for a reason that says nothing against earlier tokens
    /// (the note says when and why).
    RevokedLater(String),
    /// Revoked at or before the token's time, or later for a compromise-type reason (the key
    /// may have been used to backdate tokens): the token proves nothing.
    Revoked(String),
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
        };
        let out = path::validate(tsa_cert, &params);
        if let Some((date, reason)) = out.revoked_at {
            let name = reason_name(reason);
            let when = path::fmt_unix(date);
            return if date <= t {
                TsaStatus::Revoked(format!("the TSA certificate was revoked at {when} ({name}), before the timestamp"))
            } else if reason_allows_poe(reason) {
                TsaStatus::RevokedLater(format!("the TSA certificate was revoked later, at {when} ({name}), which does not affect earlier timestamps"))
            } else {
                TsaStatus::Revoked(format!("the TSA certificate was revoked at {when} ({name}): its key may have made backdated timestamps"))
            };
        }
        match out.revocation {
            crate::report::RevocationStatus::Good => TsaStatus::Good,
            _ => {
                let why = out.checks.iter().find(|c| c.name == "revocation").map(|c| c.detail.clone()).unwrap_or_else(|| "no usable CRL".into());
                TsaStatus::Unknown(why)
            }
        }
    }

    /// Step 9 of a SignerInfo's verification: its signature timestamps. Records them in `r`
    /// and returns the path outcome and the time the certificate checks use: `outcome` and the
    /// validation time, or the outcome of a validation at the proven existence time.
    #[allow(clippy::too_many_arguments)] // the per-signer context, passed as is
    pub(super) fn proof_of_existence(
        &self,
        r: &mut SignatureReport,
        raw_signer_info: &[u8],
        signature: &[u8],
        pool: &[Vec<u8>],
        cert_der: &[u8],
        intermediates: &[CertificateDer<'static>],
        crls: &[crl::Crl],
        outcome: path::PathOutcome,
        external: Option<&super::ExternalPoe>,
    ) -> (path::PathOutcome, i64) {
        let now = self.opts.time.unix_timestamp();
        r.verdict_time = Some(path::fmt_unix(now));
        let found = match tokens(raw_signer_info) {
            Ok(t) => t,
            Err(why) => {
                let detail = format!("the signature timestamp attribute cannot be read: {why}");
                r.checks.push(Check::new("signature_timestamp", CheckStatus::Warning, detail.clone()));
                r.warnings.push(detail.clone());
                r.timestamps.push(TimestampReport { status: "invalid", time: None, tsa: None, serial: None, detail });
                return (outcome, now);
            }
        };
        if found.is_empty() && external.is_none() {
            return (outcome, now);
        }
        let anchors: Vec<Vec<u8>> = self.anchors.iter().map(|a| a.der.clone()).collect();
        let extra = pool.get(..pool.len().min(MAX_EXTRA_CERTS)).unwrap_or(&[]);
        let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(now).unwrap_or(0));
        let mut poe: Option<i64> = None;
        for token in &found {
            let check = TokenCheck { anchors: Some(&anchors), extra_certificates: extra, time: at, nonce: None };
            match tsp::verify_signature_timestamp(token, signature, &check) {
                Ok(info) => {
                    let t = unix(info.gen_time);
                    let tsa_status = self.tsa_revocation(token, &info.tsa_certificate, intermediates, crls, t);
                    let mut detail = format!(
                        "signature timestamp {} by {} (serial {}) verifies over this signature; TSA chain: {}",
                        info.gen_time_text,
                        info.tsa_subject,
                        info.serial,
                        info.chain.join(" → ")
                    );
                    match &tsa_status {
                        TsaStatus::NotChecked => {}
                        TsaStatus::Good => detail.push_str("; the TSA certificate is not revoked"),
                        TsaStatus::Unknown(why) => {
                            detail.push_str("; the TSA certificate's revocation status is unknown");
                            r.warnings.push(format!("the TSA certificate's revocation could not be checked: {why}"));
                        }
                        TsaStatus::RevokedLater(note) => detail.push_str(&format!("; {note}")),
                        TsaStatus::Revoked(why) => {
                            let detail = format!("signature timestamp not used as proof of existence: {why}");
                            r.checks.push(Check::new("signature_timestamp", CheckStatus::Warning, detail.clone()));
                            r.warnings.push(detail.clone());
                            r.timestamps.push(TimestampReport {
                                status: "revoked",
                                time: Some(info.gen_time_text),
                                tsa: Some(info.tsa_subject),
                                serial: Some(info.serial),
                                detail,
                            });
                            continue;
                        }
                    }
                    poe = Some(poe.map_or(t, |p| p.min(t)));
                    r.checks.push(Check::new("signature_timestamp", CheckStatus::Passed, detail.clone()));
                    r.timestamps.push(TimestampReport {
                        status: "valid",
                        time: Some(info.gen_time_text),
                        tsa: Some(info.tsa_subject),
                        serial: Some(info.serial),
                        detail,
                    });
                }
                Err(e) => {
                    // An untrusted TSA: the token itself verifies; say what it claims.
                    let untrusted = matches!(e, TspError::UntrustedTsa(_));
                    let claimed = if untrusted {
                        tsp::verify_signature_timestamp(token, signature, &TokenCheck { anchors: None, ..check }).ok()
                    } else {
                        None
                    };
                    let detail = format!("signature timestamp not used as proof of existence: {e}");
                    r.checks.push(Check::new("signature_timestamp", CheckStatus::Warning, detail.clone()));
                    r.warnings.push(detail.clone());
                    r.timestamps.push(TimestampReport {
                        status: if untrusted { "untrusted" } else { "invalid" },
                        time: claimed.as_ref().map(|i| i.gen_time_text.clone()),
                        tsa: claimed.as_ref().map(|i| i.tsa_subject.clone()),
                        serial: claimed.as_ref().map(|i| i.serial.clone()),
                        detail,
                    });
                }
            }
        }
        if let Some(ext) = external {
            r.checks.push(Check::new(
                "document_timestamp_poe",
                CheckStatus::Passed,
                format!("the signature is covered by {}: it existed at {}", ext.what, path::fmt_unix(ext.time)),
            ));
            poe = Some(poe.map_or(ext.time, |p| p.min(ext.time)));
        }
        let Some(poe) = poe else { return (outcome, now) };
        r.poe_time = Some(path::fmt_unix(poe));
        let time_bound = |f: &SubIndication| {
            matches!(f, SubIndication::Revoked | SubIndication::RevokedNoPoe | SubIndication::OutOfBoundsNoPoe)
        };
        if poe >= now || !outcome.failures.iter().any(time_bound) {
            return (outcome, now);
        }
        // Validate the path again at the proven time (not cached: the cache is per run time).
        let params = path::PathParams {
            anchors: &self.anchors,
            intermediates,
            crls,
            time: poe,
            policy: self.opts.policy,
            revocation: self.opts.revocation,
            purpose: &super::Purpose::DocumentSigning,
            policies: &self.policy_inputs,
        };
        let mut past = path::validate(cert_der, &params);
        if outcome.revoked_at.is_some() && past.revoked_at.is_none() {
            // The revocation seen at the validation time must be seen at the proven time too
            // (same CRLs); if not, keep the verdict of the validation time.
            return (outcome, now);
        }
        if let Some((date, reason)) = past.revoked_at {
            if date > poe {
                let name = reason_name(reason);
                if reason_allows_poe(reason) {
                    past.failures.retain(|f| *f != SubIndication::RevokedNoPoe);
                    for c in past.checks.iter_mut().filter(|c| c.name == "revocation" && c.status == CheckStatus::Failed) {
                        c.status = CheckStatus::Passed;
                        c.detail = format!(
                            "{} — after the proven existence time {} (reason {name}): the signature existed before the revocation",
                            c.detail,
                            path::fmt_unix(poe)
                        );
                    }
                    r.warnings.push(format!(
                        "the certificate was revoked at {} ({name}), after the signature timestamp {}: accepted with the timestamp as proof of existence",
                        path::fmt_unix(date),
                        path::fmt_unix(poe)
                    ));
                } else {
                    for c in past.checks.iter_mut().filter(|c| c.name == "revocation" && c.status == CheckStatus::Failed) {
                        c.detail = format!(
                            "{} — after the signature timestamp {}, but the reason {name} does not allow the proof-of-existence exception (the compromise may predate the revocation)",
                            c.detail,
                            path::fmt_unix(poe)
                        );
                    }
                }
            }
        }
        r.verdict_time = Some(path::fmt_unix(poe));
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
