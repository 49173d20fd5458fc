//! PDF signatures (PAdES) verified in place: every signature field of the PDF is checked with the
//! same core as a detached `.p7s` ([`Verifier::verify_detached`]), the signed bytes being the
//! /ByteRange ranges, plus the PDF checks of [`crate::pdf::signatures`]: the byte range covers a
//! whole revision and excludes exactly the /Contents string, and what changed after the
//! signature.
//!
//! **Changes after signing.** A signature whose later revisions hold anything other than further
//! signatures and form filling is not TOTAL_PASSED: **INDETERMINATE / SIG_CONSTRAINTS_FAILURE**,
//! check `pdf_modifications` failed. Why this sub-indication: the signed bytes are intact
//! and the cryptography verifies, so HASH_FAILURE or SIG_CRYPTO_FAILURE (TOTAL_FAILED) would
//! claim something false about the signature; what fails is a validation constraint kyso
//! applies to PDFs (ETSI EN 319 102-1 §5.2.8 "signature acceptance validation": the document a
//! reader sees must be the one signed, as in EN 319 142-1's incremental-update rules), and
//! ETSI names a failed constraint of the signature's context SIG_CONSTRAINTS_FAILURE. The
//! signed revision itself is still verifiable: the detail says which objects changed. Bytes
//! after the signed revision that change no object, or that follow the file's last revision
//! (junk appended), are treated the same way, for every signature: the file is not the one
//! signed, and nothing explains the extra bytes (the JSON `modifications` says `other`). A byte range that is
//! malformed, does not start at 0, or whose gap is not exactly the /Contents string is a
//! FORMAT_FAILURE (TOTAL_FAILED): the signature does not say unambiguously what it signs.
//!
//! **Permissions.** A certification signature (DocMDP /P 1–3) or a signature that locks form
//! fields (FieldMDP, /Lock) is also judged by check `pdf_permissions`: an update after it that
//! its permissions forbid (P = 1: anything but document timestamps and validation data; after
//! any certification: a new visible signature field; a locked field changed) makes it
//! INDETERMINATE / SIG_CONSTRAINTS_FAILURE for the same reason as above. Check `pdf_revisions`
//! lists what each revision after the signature did.

use super::{path, Evidence, ExternalPoe, Verifier, MAX_CERTIFICATES, MAX_CRLS};
use crate::findings::{
    ByteRangeProblem, Check, CheckName, CheckStatus, EvidenceSource, Finding, Indication, PdfProblem, SubIndication,
};
use crate::pdf::{Dss, Modifications, PdfError, PdfSignature};
use crate::report::{DocumentReport, PdfFacts, SignatureReport};

/// SubFilters whose /Contents is a detached CMS SignedData over the byte ranges.
const DETACHED_CMS: [&str; 2] = ["ETSI.CAdES.detached", "adbe.pkcs7.detached"];
/// The SubFilter of a document timestamp: /Contents is an RFC 3161 token over the byte ranges.
const DOC_TIMESTAMP: &str = "ETSI.RFC3161";
/// The SubFilter whose /Contents is a SignedData encapsulating the SHA-1 digest of the byte
/// ranges (ISO 32000-1 §12.8.3.3.1; deprecated by ISO 32000-2, still in old documents).
const PKCS7_SHA1: &str = "adbe.pkcs7.sha1";

impl Verifier {
    /// Verifies every signature of the PDF `pdf` in place. `label` is the document's name in the
    /// report. A PDF without signatures, or that cannot be read, is a FORMAT_FAILURE.
    ///
    /// Per signature: the CMS by [`Verifier::verify_detached`] over the signed byte ranges, and
    /// the checks `pdf_signature_field` (field, revision, coverage), `pdf_sub_filter`,
    /// `pdf_byte_range` and `pdf_modifications` (see the module docs for the indications); the
    /// report's `pdf` facts carry `field_name`, `revision`, `covers_whole_document`. A document
    /// security store (/DSS, PAdES-B-LT) is evidence for every signature: its certificates are
    /// path-building candidates and its CRLs are verified and used like CRLs embedded in the CMS
    /// (check `pdf_dss`; unusable entries are warnings). Its OCSP responses are not used. A
    /// document timestamp (/SubFilter ETSI.RFC3161) is verified as a token over its byte ranges
    /// (see `doc_ts`), reported like a signature whose signer is the TSA. Changes after each
    /// signature are judged by [`crate::pdf::signatures`]' difference analysis, with the
    /// signature's DocMDP and FieldMDP permissions (checks `pdf_modifications`,
    /// `pdf_revisions`, `pdf_permissions`). Not checked: signatures outside the AcroForm, seed
    /// values (/SV).
    pub fn verify_pdf(&self, label: &str, pdf: &[u8]) -> DocumentReport {
        self.verify_pdf_parts(label, pdf).0
    }

    /// [`Verifier::verify_pdf`], also returning the signatures found (field name, revision,
    /// byte range, what changed after each), in field order; empty when the PDF has none or
    /// cannot be read.
    pub fn verify_pdf_parts(&self, label: &str, pdf: &[u8]) -> (DocumentReport, Vec<PdfSignature>) {
        let sha256 = Some(hex::encode(crate::DigestAlgorithm::Sha256.digest(pdf)));
        let (sigs, dss) = match crate::pdf::signatures_and_dss(pdf) {
            Ok(s) => s,
            // An encrypted PDF whose structure cannot be read without its key: the signed data
            // cannot be found — INDETERMINATE, not a failure of any signature.
            Err(PdfError::Encrypted) => {
                let f = Finding::PdfUnreadable(PdfProblem::Encrypted);
                return (DocumentReport::failed(label.to_string(), sha256, SubIndication::SignedDataNotFound, f), Vec::new());
            }
            Err(e) => return (DocumentReport::failed(label.to_string(), sha256, SubIndication::FormatFailure, Finding::PdfUnreadable(pdf_problem(e))), Vec::new()),
        };
        if sigs.is_empty() {
            return (DocumentReport::failed(label.to_string(), sha256, SubIndication::FormatFailure, Finding::PdfNoSignature), sigs);
        }
        let mut doc = DocumentReport {
            path: label.to_string(),
            sha256,
            indication: Indication::TotalPassed,
            sub_indication: None,
            detail: None,
            signatures: self.verify_pdf_entries(label, pdf, &sigs, dss.as_ref()),
        };
        doc.summarise();
        (doc, sigs)
    }

    /// Every entry: document timestamps first (a valid one is a proof of existence for the
    /// signatures of the revisions it covers), then the signatures; reported in field order.
    fn verify_pdf_entries(&self, label: &str, pdf: &[u8], sigs: &[PdfSignature], dss: Option<&Dss>) -> Vec<SignatureReport> {
        let is_ts = |s: &PdfSignature| s.sub_filter.as_deref() == Some(DOC_TIMESTAMP);
        let mut out: Vec<Option<SignatureReport>> = sigs.iter().map(|_| None).collect();
        let mut proofs: Vec<(usize, ExternalPoe)> = Vec::new();
        for (i, s) in sigs.iter().enumerate().filter(|(_, s)| is_ts(s)) {
            let r = self.verify_pdf_signature(label, pdf, s, dss, None);
            if let (Indication::TotalPassed, Some(t)) = (r.indication, r.poe_time) {
                let tsa = r.signer.as_ref().map(|sg| sg.subject.clone());
                proofs.push((signed_end(s), ExternalPoe { time: t, field: s.field_name.clone(), tsa }));
            }
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(r);
            }
        }
        for (i, s) in sigs.iter().enumerate() {
            if is_ts(s) {
                continue;
            }
            // The earliest valid document timestamp whose signed bytes include this signature's.
            let poe = proofs.iter().filter(|(end, _)| *end >= signed_end(s)).map(|(_, p)| p).min_by_key(|p| p.time);
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(self.verify_pdf_signature(label, pdf, s, dss, poe));
            }
        }
        out.into_iter().flatten().collect()
    }

    fn verify_pdf_signature(&self, label: &str, pdf: &[u8], s: &PdfSignature, dss: Option<&Dss>, poe: Option<&ExternalPoe>) -> SignatureReport {
        // Bytes after the signed revision that change no object still make the file differ from
        // what was signed: reported as `other`, never as `none`. (Junk after the last revision
        // is already `Other` from `pdf::signatures`, for every signature.)
        let unexplained_bytes = !s.covers_whole_document && s.modifications == Modifications::None;
        let facts = PdfFacts {
            field_name: s.field_name.clone(),
            revision: s.revision,
            revision_count: s.revision_count,
            covers_whole_document: s.covers_whole_document,
            modifications: if unexplained_bytes { "other" } else { s.modifications.code() },
            sub_filter: s.sub_filter.clone(),
        };
        let sub_filter = s.sub_filter.as_deref().unwrap_or("(none)");
        if !DETACHED_CMS.contains(&sub_filter) && sub_filter != DOC_TIMESTAMP && sub_filter != PKCS7_SHA1 {
            return format_failure(facts, CheckName::PdfSubFilter, Finding::PdfSubFilterUnsupported { sub_filter: sub_filter.to_string() });
        }
        // Problems that leave it unclear what was signed come first: no CMS check is meaningful.
        if let Some(p) = s.byte_range_problems.iter().find(|p| !matches!(p, ByteRangeProblem::NotAtRevisionEnd)) {
            return format_failure(facts, CheckName::PdfByteRange, Finding::PdfByteRange(p.clone()));
        }
        let ranges = match s.signed_ranges(pdf) {
            Ok(r) => r,
            Err(_) => return format_failure(facts, CheckName::PdfByteRange, Finding::PdfByteRange(ByteRangeProblem::OutOfBounds)),
        };
        // The /DSS (PAdES-B-LT): its certificates and CRLs are evidence for every signature,
        // within the verifier's budgets for a signature's own certificates and CRLs.
        let (dss_certs, dss_crls, dss_ocsps) = match dss {
            Some(d) => (
                &d.certificates[..d.certificates.len().min(MAX_CERTIFICATES)],
                &d.crls[..d.crls.len().min(MAX_CRLS)],
                &d.ocsps[..d.ocsps.len().min(MAX_CRLS)],
            ),
            None => (&[][..], &[][..], &[][..]),
        };
        let evidence = Evidence { source: EvidenceSource::Dss, certificates: dss_certs, crls: dss_crls, ocsps: dss_ocsps, poe };
        let field = Finding::PdfSignatureField {
            field: s.field_name.clone(),
            revision: s.revision,
            count: s.revision_count,
            whole: s.covers_whole_document,
        };
        // /Contents is a placeholder of fixed size: the CMS, then (normally) zeros. Some tools
        // leave other bytes after the CMS (DSS's DSS-2155.pdf: 242 of them before the zeros).
        // They are outside the signed bytes and outside the signature; the first element is the
        // signature, as DSS, pyHanko and OpenSSL read it, and the rest is reported.
        let (contents, stray) = contents_element(&s.contents);
        let mut r = if sub_filter == DOC_TIMESTAMP {
            self.verify_document_timestamp(contents, &ranges, &evidence)
        } else if sub_filter == PKCS7_SHA1 {
            match self.verify_pkcs7_sha1(label, contents, &ranges, &evidence) {
                Ok(r) => r,
                Err(why) => return format_failure(facts, CheckName::Format, why),
            }
        } else {
            let inner = self.verify_detached_with(label, ranges.reader(), contents, &evidence);
            match <[SignatureReport; 1]>::try_from(inner.signatures) {
                Ok([one]) => one,
                Err(v) if v.is_empty() => {
                    let why = inner.detail.unwrap_or(Finding::NoSignerInfo);
                    return format_failure(facts, CheckName::Format, why);
                }
                Err(v) => {
                    // ETSI EN 319 142-1 §6.3: exactly one SignerInfo in a PAdES signature.
                    return format_failure(facts, CheckName::Format, Finding::PdfSignerInfoCount { count: v.len() });
                }
            }
        };
        r.checks.push(Check::new(CheckName::PdfSignatureField, CheckStatus::Passed, field));
        r.checks.push(Check::new(CheckName::PdfSubFilter, CheckStatus::Passed, Finding::PdfSubFilter { sub_filter: sub_filter.to_string() }));
        if let Some(d) = dss {
            dss_check(&mut r, d, dss_certs.len(), dss_crls.len());
        }
        // The byte range: the signed bytes end at the end of a revision.
        match s.byte_range_problems.first() {
            None => r.checks.push(Check::new(
                CheckName::PdfByteRange,
                CheckStatus::Passed,
                Finding::PdfByteRangeOk {
                    range: s.byte_range,
                    revision: s.revision,
                    count: s.revision_count,
                },
            )),
            Some(p) => {
                r.checks.push(Check::new(CheckName::PdfByteRange, CheckStatus::Failed, Finding::PdfByteRange(p.clone())));
                demote(&mut r, SubIndication::SigConstraintsFailure);
            }
        }
        // What changed after the signed revision (see the module docs for the indication).
        let (status, detail) = match (&s.modifications, s.covers_whole_document) {
            (Modifications::None, true) => (CheckStatus::Passed, Finding::PdfCoversWholeFile),
            (Modifications::Other { changes }, _) => (CheckStatus::Failed, Finding::PdfChanged { changes: changes.clone() }),
            (Modifications::Unknown(p), _) => (CheckStatus::Failed, Finding::PdfChangesUnknown(p.clone())),
            (Modifications::None, _) => {
                (CheckStatus::Failed, Finding::PdfUnexplainedBytes { bytes: pdf.len().saturating_sub(signed_end(s)) })
            }
            _ => (CheckStatus::Passed, Finding::PdfOnlySignaturesAndForms),
        };
        r.checks.push(Check::new(CheckName::PdfModifications, status, detail));
        if status == CheckStatus::Failed {
            demote(&mut r, SubIndication::SigConstraintsFailure);
        }
        // What each later revision did, for a reader (the verdict is the check above).
        if !s.later_revisions.is_empty() {
            let status = if s.later_revisions.iter().any(|v| !v.changes.is_empty()) { CheckStatus::Failed } else { CheckStatus::Passed };
            r.checks.push(Check::new(CheckName::PdfRevisions, status, Finding::PdfLaterRevisions { revisions: s.later_revisions.clone() }));
        }
        // DocMDP and FieldMDP: the permissions this signature sets, kept or broken.
        if !s.permission_violations.is_empty() {
            r.checks.push(Check::new(
                CheckName::PdfPermissions,
                CheckStatus::Failed,
                Finding::PdfPermissionsViolated { violations: s.permission_violations.clone() },
            ));
            demote(&mut r, SubIndication::SigConstraintsFailure);
        } else if !s.permissions.is_empty() {
            r.checks.push(Check::new(CheckName::PdfPermissions, CheckStatus::Passed, Finding::PdfPermissions(s.permissions.clone())));
        }
        claimed_time_from_m(&mut r, s);
        if stray > 0 {
            r.warnings.push(Finding::PdfContentsTrailingBytes { bytes: stray });
        }
        if s.encryption != crate::pdf::PdfEncryption::None {
            r.warnings.push(Finding::PdfEncrypted(s.encryption));
        }
        r.pdf = Some(facts);
        r
    }
}

impl Verifier {
    /// `/SubFilter adbe.pkcs7.sha1`: the SignedData encapsulates (as id-data eContent) the SHA-1
    /// digest of the byte ranges and signs that. The signer check runs with the encapsulated
    /// digest as the content; the digest must equal SHA-1 of the signed bytes (else
    /// HASH_FAILURE). SHA-1 is what this SubFilter signs: refused by the strict policy
    /// (CRYPTO_CONSTRAINTS_FAILURE), a warning under legacy — whatever the CMS's own digest.
    fn verify_pkcs7_sha1(
        &self,
        label: &str,
        contents: &[u8],
        ranges: &crate::pdf::SignedRanges<'_>,
        evidence: &Evidence<'_>,
    ) -> Result<SignatureReport, Finding> {
        use crate::alg::{DigestAlgorithm, Policy};
        let der = super::decode_p7s(contents).map_err(Finding::Malformed)?;
        let parts = crate::cms::signed_data::parse(&der).map_err(Finding::Malformed)?;
        let Some(econtent) = parts.econtent else {
            let p = crate::findings::FormatProblem::new(crate::findings::Element::EContent, crate::findings::FormatKind::Missing);
            return Err(Finding::Malformed(p));
        };
        let inner = self.verify_detached_with(label, econtent, contents, evidence);
        let mut r = match <[SignatureReport; 1]>::try_from(inner.signatures) {
            Ok([one]) => one,
            Err(v) if v.is_empty() => return Err(inner.detail.unwrap_or(Finding::NoSignerInfo)),
            Err(v) => return Err(Finding::PdfSignerInfoCount { count: v.len() }),
        };
        // The embedded content is the digest, not a copy of the document: no "attached" warning.
        r.warnings.retain(|w| *w != Finding::AttachedContentEqual);
        let computed = ranges.digest(DigestAlgorithm::Sha1);
        if computed.as_slice() != econtent {
            let f = Finding::DigestMismatch { algorithm: DigestAlgorithm::Sha1, computed, signed: econtent.to_vec() };
            r.checks.push(Check::new(CheckName::MessageDigest, CheckStatus::Failed, f));
            demote(&mut r, SubIndication::HashFailure);
        } else {
            r.checks.push(Check::new(CheckName::MessageDigest, CheckStatus::Passed, Finding::DigestMatches { algorithm: DigestAlgorithm::Sha1 }));
        }
        let already = |f: &Finding| r.checks.iter().any(|c| c.finding == *f);
        match self.opts.policy {
            Policy::Strict if !already(&Finding::Sha1NotAllowed) => {
                r.checks.push(Check::new(CheckName::AlgorithmPolicy, CheckStatus::Failed, Finding::Sha1NotAllowed));
                demote(&mut r, SubIndication::CryptoConstraintsFailure);
            }
            Policy::Legacy if !r.warnings.contains(&Finding::LegacySha1Signature) => r.warnings.push(Finding::LegacySha1Signature),
            _ => {}
        }
        Ok(r)
    }
}

/// The `pdf_dss` check: what the document security store holds and what of it was used.
fn dss_check(r: &mut SignatureReport, d: &Dss, certs_used: usize, crls_used: usize) {
    let finding = Finding::PdfDss { certificates: d.certificates.len(), crls: d.crls.len(), ocsps: d.ocsps.len() };
    let mut warnings: Vec<Finding> = d.problems.iter().cloned().map(Finding::DssPartIgnored).collect();
    if certs_used < d.certificates.len() || crls_used < d.crls.len() {
        warnings.push(Finding::DssBudget { certificates: certs_used, crls: crls_used });
    }
    let status = if warnings.is_empty() { CheckStatus::Passed } else { CheckStatus::Warning };
    r.checks.push(Check::new(CheckName::PdfDss, status, finding));
    r.warnings.extend(warnings);
}

/// A PDF reading error as a finding (the parser's message kept for the English rendering).
fn pdf_problem(e: PdfError) -> PdfProblem {
    match e {
        PdfError::Parse(message) => PdfProblem::Parse { message },
        PdfError::ParserPanicked => PdfProblem::ParserFailed,
        PdfError::Encrypted => PdfProblem::Encrypted,
        PdfError::DamagedXref => PdfProblem::DamagedXref,
        PdfError::Structure(message) => PdfProblem::Structure { message },
        other => PdfProblem::Structure { message: other.to_string() },
    }
}

fn signed_end(s: &PdfSignature) -> usize {
    usize::try_from(s.byte_range[2].saturating_add(s.byte_range[3])).unwrap_or(usize::MAX)
}

/// Adds a failure found after the CMS checks: a TOTAL_FAILED result stays; otherwise the
/// earlier failure (if any) keeps ranking first, as in the core's `rank`.
fn demote(r: &mut SignatureReport, sub: SubIndication) {
    if r.indication == Indication::TotalPassed || (sub.indication() == Indication::TotalFailed && r.indication != Indication::TotalFailed) {
        r.indication = sub.indication();
        r.sub_indication = Some(sub);
    }
}

fn format_failure(facts: PdfFacts, check: CheckName, detail: Finding) -> SignatureReport {
    SignatureReport {
        checks: vec![Check::new(check, CheckStatus::Failed, detail)],
        pdf: Some(facts),
        ..SignatureReport::new(Indication::TotalFailed, Some(SubIndication::FormatFailure))
    }
}

/// PAdES puts the signing time in /M, not in a signing-time attribute (EN 319 142-1 §5.3): the
/// core's warning about the missing attribute is replaced by the /M claim.
fn claimed_time_from_m(r: &mut SignatureReport, s: &PdfSignature) {
    if r.signing_time.is_some() {
        return;
    }
    let Some(t) = s.claimed_time.as_deref().and_then(parse_pdf_date) else { return };
    r.warnings.retain(|w| *w != Finding::NoSigningTime);
    r.signing_time = Some(path::at(t));
    if let Some(c) = &r.certificate {
        let covered = c.not_before.unix_timestamp() <= t && t <= c.not_after.unix_timestamp();
        r.covered_signing_time = Some(covered);
        if !covered {
            r.warnings.push(Finding::SigningTimeOutsideValidity);
        }
    }
}

/// A PDF date `D:YYYYMMDDHHmmSS` with an optional `Z`, or `+HH'mm'` / `-HH'mm'` offset
/// (ISO 32000-1 §7.9.4), as Unix seconds. Missing trailing parts default as the standard says.
fn parse_pdf_date(s: &str) -> Option<i64> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 || digits.len() > 14 || digits.len() % 2 != 0 {
        return None;
    }
    let part = |i: usize, default: u32| -> Option<u32> {
        match digits.get(i..i + 2) {
            Some(p) => p.parse().ok(),
            None => Some(default),
        }
    };
    let year: i32 = digits.get(..4)?.parse().ok()?;
    let month = ::time::Month::try_from(u8::try_from(part(4, 1)?).ok()?).ok()?;
    let date = ::time::Date::from_calendar_date(year, month, u8::try_from(part(6, 1)?).ok()?).ok()?;
    let t = ::time::Time::from_hms(u8::try_from(part(8, 0)?).ok()?, u8::try_from(part(10, 0)?).ok()?, u8::try_from(part(12, 0)?).ok()?).ok()?;
    let rest = s.get(digits.len()..)?;
    let offset = match rest.chars().next() {
        None | Some('Z') => 0,
        Some(c @ ('+' | '-')) => {
            let o: String = rest.get(1..)?.chars().filter(char::is_ascii_digit).collect();
            let h: i32 = o.get(..2)?.parse().ok()?;
            let m: i32 = o.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if c == '-' { -secs } else { secs }
        }
        Some(_) => return None,
    };
    Some(::time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp() - i64::from(offset))
}

/// The first BER element of a signature's /Contents and how many bytes after it are not zero
/// padding (up to the last non-zero byte). When /Contents does not start with a readable element,
/// all of it, for the CMS decoder to judge and report.
fn contents_element(contents: &[u8]) -> (&[u8], usize) {
    match crate::asn1::read_ber(contents) {
        Ok((t, rest)) => match rest.iter().rposition(|&b| b != 0) {
            Some(last) => (t.raw, last + 1),
            None => (contents, 0),
        },
        Err(_) => (contents, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_parse_with_offsets() {
        let hanoi = time::macros::datetime!(2026-11-30 06:30:27 +07:00).unix_timestamp();
        assert_eq!(parse_pdf_date("D:20261130063027+07'00'"), Some(hanoi));
        assert_eq!(parse_pdf_date("D:20261129233027Z"), Some(hanoi));
        assert_eq!(parse_pdf_date("D:20261129233027"), Some(hanoi));
        assert_eq!(parse_pdf_date("D:20261129"), Some(time::macros::datetime!(2026-11-29 0:00 UTC).unix_timestamp()));
        assert_eq!(parse_pdf_date("D:20261130063027-03'30'"), Some(time::macros::datetime!(2026-11-30 06:30:27 -03:30).unix_timestamp()));
        for bad in ["", "D:", "D:202", "D:20261332000000Z", "D:20261130063027+25'00'", "D:20261130063027X", "D:2026113006302"] {
            assert_eq!(parse_pdf_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_later_failure_does_not_hide_an_earlier_one() {
        let mut r = format_failure(
            PdfFacts { field_name: "S".into(), revision: 1, revision_count: 1, covers_whole_document: true, modifications: "none", sub_filter: None },
            CheckName::Format,
            Finding::NoSignerInfo,
        );
        demote(&mut r, SubIndication::SigConstraintsFailure);
        assert_eq!((r.indication, r.sub_indication), (Indication::TotalFailed, Some(SubIndication::FormatFailure)));
        r.indication = Indication::TotalPassed;
        r.sub_indication = None;
        demote(&mut r, SubIndication::SigConstraintsFailure);
        assert_eq!((r.indication, r.sub_indication), (Indication::Indeterminate, Some(SubIndication::SigConstraintsFailure)));
        r.indication = Indication::Indeterminate;
        r.sub_indication = Some(SubIndication::TryLater);
        demote(&mut r, SubIndication::SigConstraintsFailure);
        assert_eq!(r.sub_indication, Some(SubIndication::TryLater));
    }
}
