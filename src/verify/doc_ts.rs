//! Document timestamps in PDFs (/SubFilter ETSI.RFC3161, ISO 32000-2 §12.8.5; what PAdES-B-LTA
//! adds, e.g. `pyhanko sign timestamp`): the /Contents is an RFC 3161 TimeStampToken whose
//! message imprint is the hash of the signed byte ranges.
//!
//! Checks: the token verifies (signature, signed attributes, ESS signing certificate, the TSA
//! certificate's critical lone id-kp-timeStamping EKU) with its imprint equal to the digest of
//! the byte ranges; the TSA's path to a `--trust` anchor at the validation time; the imprint
//! algorithm allowed by the policy (SHA-1 only under `legacy`); the TSA certificate's revocation
//! with the CRLs given and those of the document's /DSS. Indications: TOTAL_PASSED; a digest
//! mismatch HASH_FAILURE and a bad signature SIG_CRYPTO_FAILURE (TOTAL_FAILED); a malformed
//! token FORMAT_FAILURE; an untrusted TSA INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND; a revoked TSA
//! certificate TOTAL_FAILED/REVOKED (INDETERMINATE/REVOKED_NO_POE if after the token's time);
//! revocation unknown a warning, or INDETERMINATE/TRY_LATER under `--revocation require`.
//!
//! A valid document timestamp is a proof of existence for the signatures of the revisions it
//! covers (see `pdf.rs`, `poe.rs`). Not done: validation at its time with revocation data that
//! has expired since (full PAdES-LTA archival validation).

use super::{crl, path, Evidence, Verifier};
use crate::findings::{Check, CheckName, CheckStatus, Finding, Indication, SubIndication};
use crate::pdf::SignedRanges;
use crate::report::{SignatureReport, TimestampReport, TimestampStatus};
use crate::tsp::{self, Imprint, TokenCheck, TspError};
use rustls_pki_types::CertificateDer;

/// Budget on the /DSS certificates offered to the token verifier to build the TSA's path (its
/// own limit is 32 including the token's certificates).
const MAX_EXTRA_CERTS: usize = 16;

impl Verifier {
    /// Verifies the document timestamp `token` over `ranges`, with `evidence` from the /DSS.
    pub(super) fn verify_document_timestamp(&self, token: &[u8], ranges: &SignedRanges<'_>, evidence: &Evidence<'_>) -> SignatureReport {
        let mut r = SignatureReport::new(Indication::TotalPassed, None);
        let fail = |mut r: SignatureReport, sub: SubIndication, check: CheckName, finding: Finding| {
            r.indication = sub.indication();
            r.sub_indication = Some(sub);
            r.checks.push(Check::new(check, CheckStatus::Failed, finding));
            r
        };
        // The imprint algorithm comes from the token itself (allowed by the policy); the digest
        // from the document.
        let alg = match tsp::imprint_algorithm(token, self.opts.policy) {
            Ok(a) => a,
            Err(TspError::Invalid(f)) => {
                let check = if f.sub_indication == SubIndication::CryptoConstraintsFailure { CheckName::AlgorithmPolicy } else { CheckName::Format };
                return fail(r, f.sub_indication, check, f.finding);
            }
            Err(_) => return fail(r, SubIndication::FormatFailure, CheckName::Format, token_unreadable()),
        };
        r.digest_algorithm = Some(alg);
        let imprint = Imprint { algorithm: alg, digest: ranges.digest(alg) };
        let anchors: Vec<Vec<u8>> = self.anchors.iter().map(|a| a.der.clone()).collect();
        let mut extra: Vec<Vec<u8>> = evidence.certificates.iter().take(MAX_EXTRA_CERTS).cloned().collect();
        extra.extend(self.intermediates.iter().take(MAX_EXTRA_CERTS.saturating_sub(extra.len())).map(|c| c.as_ref().to_vec()));
        let now = self.opts.time.unix_timestamp();
        let check = TokenCheck::new(&anchors, self.opts.time).extra_certificates(&extra).policy(self.opts.policy);
        let info = match tsp::verify_token_with(token, &imprint, &check) {
            Ok(info) => info,
            Err(e) => {
                let (finding, sub, claimed) = match e {
                    TspError::Invalid(f) => (f.finding, f.sub_indication, f.claimed),
                    _ => (token_unreadable(), SubIndication::FormatFailure, None),
                };
                let detail = Finding::DocumentTimestampInvalid(Box::new(finding));
                let mut r = fail(r, sub, CheckName::DocumentTimestamp, detail.clone());
                r.timestamps.push(TimestampReport {
                    status: if sub == SubIndication::NoCertificateChainFound { TimestampStatus::Untrusted } else { TimestampStatus::Invalid },
                    time: tsp::decode_tst_info(token).ok().map(|t| t.gen_time.to_offset_date_time()),
                    tsa: claimed.as_ref().map(|c| c.tsa_subject.clone()),
                    serial: claimed.as_ref().map(|c| c.serial.clone()),
                    detail,
                });
                return r;
            }
        };
        if let Some(facts) = crate::cms::certs::CertEntry::new(&info.tsa_certificate).facts.as_ref() {
            r.signer = Some(super::signer_of(facts));
            r.certificate = Some(super::validity_of(facts));
        }
        r.signing_time = Some(info.gen_time);
        r.chain = info.chain.clone();
        let finding = Finding::DocumentTimestampValid {
            time: info.gen_time,
            tsa: info.tsa_subject.clone(),
            serial: info.serial.clone(),
            algorithm: alg,
            chain: info.chain.clone(),
        };
        r.checks.push(Check::new(CheckName::DocumentTimestamp, CheckStatus::Passed, finding.clone()));
        r.timestamps.push(TimestampReport {
            status: TimestampStatus::Valid,
            time: Some(info.gen_time),
            tsa: Some(info.tsa_subject.clone()),
            serial: Some(info.serial.clone()),
            detail: finding,
        });
        let t = info.gen_time.unix_timestamp();
        r.poe_time = Some(info.gen_time);
        r.verdict_time = Some(path::at(now));

        // The TSA certificate's revocation, with the given CRLs and those of the /DSS.
        if self.opts.revocation == super::RevocationMode::Off {
            r.checks.push(Check::new(CheckName::Revocation, CheckStatus::Skipped, Finding::RevocationOff));
            r.warnings.push(Finding::RevocationOff);
            return r;
        }
        let mut crls: Vec<crl::Crl> = self.crls.clone();
        for c in evidence.crls {
            match crl::parse(c) {
                Ok(p) => crls.push(p),
                Err(problem) => r.warnings.push(Finding::CrlIgnored { source: evidence.source, problem }),
            }
        }
        // The TSA's path: the token's own certificates, --chain and the /DSS.
        let mut intermediates: Vec<CertificateDer<'static>> = self.intermediates.clone();
        intermediates.extend(tsp::evidence_certificates(token).unwrap_or_default().into_iter().take(MAX_EXTRA_CERTS).map(CertificateDer::from));
        intermediates.extend(evidence.certificates.iter().map(|c| CertificateDer::from(c.clone())));
        let params = path::PathParams {
            anchors: &self.anchors,
            intermediates: &intermediates,
            crls: &crls,
            time: now,
            policy: self.opts.policy,
            revocation: self.opts.revocation,
            purpose: &super::Purpose::Any,
            policies: &path::PolicyInputs::default(),
            ocsp: &self.ocsp,
            source: self.source(),
        };
        let out = path::validate(&info.tsa_certificate, &params);
        r.checks.extend(out.checks.into_iter().filter(|c| c.name == CheckName::Revocation));
        r.warnings.extend(out.warnings.into_iter().filter(|w| matches!(w, Finding::RevocationNotChecked { .. } | Finding::RevocationOff)));
        r.revocation = Some(out.revocation);
        let sub = match out.revoked_at {
            Some((date, _)) if date <= t => Some(SubIndication::Revoked),
            Some(_) => Some(SubIndication::RevokedNoPoe),
            None => out.failures.into_iter().find(|f| *f == SubIndication::TryLater),
        };
        if let Some(sub) = sub {
            r.indication = sub.indication();
            r.sub_indication = Some(sub);
        }
        r
    }
}

/// A token that is not an RFC 3161 token at all.
fn token_unreadable() -> Finding {
    use crate::findings::{Element, FormatKind, FormatProblem};
    Finding::Malformed(FormatProblem::new(Element::TimestampToken, FormatKind::NotRecognised))
}
