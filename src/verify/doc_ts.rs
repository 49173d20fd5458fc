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
use crate::pdf::SignedRanges;
use crate::report::{Check, CheckStatus, Indication, SignatureReport, SubIndication, TimestampReport};
use crate::tsp::{self, Imprint, TokenCheck, TspError};
use crate::{DigestAlgorithm, Policy};
use rustls_pki_types::CertificateDer;
use std::time::{Duration, UNIX_EPOCH};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Budget on the /DSS certificates offered to the token verifier to build the TSA's path (its
/// own limit is 32 including the token's certificates).
const MAX_EXTRA_CERTS: usize = 16;

impl Verifier {
    /// Verifies the document timestamp `token` over `ranges`, with `evidence` from the /DSS.
    pub(super) fn verify_document_timestamp(&self, token: &[u8], ranges: &SignedRanges<'_>, evidence: &Evidence<'_>) -> SignatureReport {
        let mut r = SignatureReport::new(Indication::TotalPassed, None);
        let fail = |mut r: SignatureReport, sub: SubIndication, check: &'static str, detail: String| {
            r.indication = sub.indication();
            r.sub_indication = Some(sub);
            r.checks.push(Check::new(check, CheckStatus::Failed, detail));
            r
        };
        // The imprint algorithm comes from the token itself; the digest from the document.
        let tst = match tsp::decode_tst_info(token) {
            Ok(t) => t,
            Err(e) => return fail(r, SubIndication::FormatFailure, "format", format!("the document timestamp is not an RFC 3161 token: {e}")),
        };
        let Some(alg) = DigestAlgorithm::from_oid(&tst.message_imprint.hash_algorithm.oid) else {
            let detail = format!("the imprint's hash algorithm {} is not supported", tst.message_imprint.hash_algorithm.oid);
            return fail(r, SubIndication::CryptoConstraintsFailure, "algorithm_policy", detail);
        };
        r.digest_algorithm = Some(alg.name().to_string());
        if alg == DigestAlgorithm::Sha1 && self.opts.policy != Policy::Legacy {
            return fail(r, SubIndication::CryptoConstraintsFailure, "algorithm_policy", "the imprint uses SHA-1, refused by the strict policy".into());
        }
        let imprint = Imprint { algorithm: alg, digest: ranges.digest(alg) };
        let anchors: Vec<Vec<u8>> = self.anchors.iter().map(|a| a.der.clone()).collect();
        let mut extra: Vec<Vec<u8>> = evidence.certificates.iter().take(MAX_EXTRA_CERTS).cloned().collect();
        extra.extend(self.intermediates.iter().take(MAX_EXTRA_CERTS.saturating_sub(extra.len())).map(|c| c.as_ref().to_vec()));
        let now = self.opts.time.unix_timestamp();
        let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(now).unwrap_or(0));
        let check = TokenCheck { anchors: Some(&anchors), extra_certificates: &extra, time: at, nonce: None };
        let info = match tsp::verify_token_with(token, &imprint, &check) {
            Ok(info) => info,
            Err(e) => {
                let sub = match &e {
                    TspError::ImprintMismatch { .. } => SubIndication::HashFailure,
                    TspError::SignatureInvalid => SubIndication::SigCryptoFailure,
                    TspError::UntrustedTsa(_) | TspError::NoTrustAnchors => SubIndication::NoCertificateChainFound,
                    TspError::SignerCertificateNotFound | TspError::EssCertificate(_) => SubIndication::NoSigningCertificateFound,
                    TspError::NotATsaCertificate(_) => SubIndication::ChainConstraintsFailure,
                    TspError::GenTimeOutsideValidity { .. } => SubIndication::OutOfBoundsNoPoe,
                    TspError::UnsupportedAlgorithm(_) => SubIndication::CryptoConstraintsFailure,
                    _ => SubIndication::FormatFailure,
                };
                let mut r = fail(r, sub, "document_timestamp", format!("the document timestamp does not verify: {e}"));
                r.timestamps.push(TimestampReport {
                    status: if sub == SubIndication::NoCertificateChainFound { "untrusted" } else { "invalid" },
                    time: Some(tst.gen_time.to_rfc3339()),
                    tsa: None,
                    serial: None,
                    detail: e.to_string(),
                });
                return r;
            }
        };
        if let Ok((_, cert)) = X509Certificate::from_der(&info.tsa_certificate) {
            r.signer = Some(super::certcache::signer_of(&cert));
            r.certificate = Some(super::certcache::validity_of(&cert));
        }
        r.signing_time = Some(info.gen_time_text.clone());
        r.chain = info.chain.clone();
        let detail = format!(
            "document timestamp {} by {} (serial {}) over the signed byte ranges ({}); TSA chain: {}",
            info.gen_time_text,
            info.tsa_subject,
            info.serial,
            alg.name(),
            info.chain.join(" → ")
        );
        r.checks.push(Check::new("document_timestamp", CheckStatus::Passed, detail.clone()));
        r.timestamps.push(TimestampReport {
            status: "valid",
            time: Some(info.gen_time_text.clone()),
            tsa: Some(info.tsa_subject.clone()),
            serial: Some(info.serial.clone()),
            detail,
        });
        let t = info.gen_time.duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0);
        r.poe_time = Some(path::fmt_unix(t));
        r.verdict_time = Some(path::fmt_unix(now));

        // The TSA certificate's revocation, with the given CRLs and those of the /DSS.
        if self.opts.revocation == super::RevocationMode::Off {
            r.checks.push(Check::new("revocation", CheckStatus::Skipped, "revocation checking is off"));
            r.warnings.push("revocation checking is off".into());
            return r;
        }
        let mut crls: Vec<crl::Crl> = self.crls.clone();
        for c in evidence.crls {
            match crl::parse(c) {
                Ok(p) => crls.push(p),
                Err(why) => r.warnings.push(format!("a CRL of {} was ignored: {why}", evidence.source)),
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
        };
        let out = path::validate(&info.tsa_certificate, &params);
        r.checks.extend(out.checks.into_iter().filter(|c| c.name == "revocation"));
        r.warnings.extend(out.warnings.into_iter().filter(|w| w.starts_with("revocation")));
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
