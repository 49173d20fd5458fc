//! Verifying a PDF's signatures in place: each signature's CMS is checked by the verification
//! core over its byte ranges, and the PDF checks are added to its report.

use super::{signatures, ByteRangeProblem, Modifications, PdfSignature};
use crate::report::{Check, CheckStatus, DocumentReport, Indication, SignatureReport, SubIndication};
use crate::verify::Verifier;

/// SubFilters whose CMS is a detached signature over the byte ranges (what the core checks).
const DETACHED: [&str; 2] = ["ETSI.CAdES.detached", "adbe.pkcs7.detached"];

/// Verifies every signature of `pdf` (labelled `label` in the report).
///
/// Per signature: the CMS by [`Verifier::verify_detached`] over the signed byte ranges, plus three
/// checks: `pdf_byte_range` (shape, gap = /Contents, ends at a revision end; FORMAT_FAILURE),
/// `pdf_sub_filter` (a detached CMS; FORMAT_FAILURE otherwise) and `pdf_modifications` (what
/// changed after the signature: none or only later signatures and form filling pass; other
/// changes are TOTAL_FAILED/HASH_FAILURE — the document shown is not the one signed; changes that
/// cannot be analysed are FORMAT_FAILURE). A PDF without signatures is a FORMAT_FAILURE.
///
/// Returns the report (one `SignatureReport` per SignerInfo, in field order) and the PDF facts
/// of each signature (field name, revision, coverage), in the same order when every CMS holds
/// one SignerInfo. Not checked: DocMDP/FieldMDP permissions, /Lock dictionaries, timestamps
/// (document timestamps are not listed), signatures outside the AcroForm.
pub fn verify_pdf(verifier: &Verifier, label: &str, pdf: &[u8]) -> (DocumentReport, Vec<PdfSignature>) {
    let sha256 = Some(hex::encode(ring::digest::digest(&ring::digest::SHA256, pdf)));
    let sigs = match signatures(pdf) {
        Ok(s) if s.is_empty() => {
            return (DocumentReport::failed(label.into(), sha256, SubIndication::FormatFailure, "the PDF has no signature".into()), Vec::new())
        }
        Ok(s) => s,
        Err(e) => return (DocumentReport::failed(label.into(), sha256, SubIndication::FormatFailure, e.to_string()), Vec::new()),
    };
    let mut doc = DocumentReport::failed(label.into(), sha256, SubIndication::FormatFailure, String::new());
    doc.detail = None;
    for s in &sigs {
        let mut reports = match s.signed_ranges(pdf) {
            Ok(ranges) if s.byte_range_problems.is_empty() => verifier.verify_detached(label, ranges.reader(), &s.contents).signatures,
            _ => Vec::new(),
        };
        if reports.is_empty() {
            reports.push(empty_report());
        }
        for r in &mut reports {
            add_pdf_checks(r, s);
        }
        doc.signatures.extend(reports);
    }
    doc.summarise();
    (doc, sigs)
}

fn empty_report() -> SignatureReport {
    SignatureReport {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::FormatFailure),
        signer: None,
        signing_time: None,
        digest_algorithm: None,
        signature_algorithm: None,
        certificate: None,
        chain: Vec::new(),
        checks: Vec::new(),
        warnings: Vec::new(),
        revocation: None,
        covered_signing_time: None,
    }
}

/// Lowers `r` to `sub` if that is worse than what it has.
fn worsen(r: &mut SignatureReport, sub: SubIndication) {
    if sub.indication() > r.indication {
        r.indication = sub.indication();
        r.sub_indication = Some(sub);
    }
}

fn add_pdf_checks(r: &mut SignatureReport, s: &PdfSignature) {
    let field = format!(
        "field {:?}, revision {} of {}, {}",
        s.field_name,
        s.revision,
        s.revision_count,
        if s.covers_whole_document { "covers the whole document" } else { "does not cover the whole document" }
    );
    r.checks.push(Check::new("pdf_signature_field", CheckStatus::Passed, field));
    if s.byte_range_problems.is_empty() {
        r.checks.push(Check::new("pdf_byte_range", CheckStatus::Passed, "the byte range covers the signed revision except /Contents"));
    } else {
        let d = s.byte_range_problems.iter().map(ByteRangeProblem::to_string).collect::<Vec<_>>().join("; ");
        r.checks.push(Check::new("pdf_byte_range", CheckStatus::Failed, d));
        worsen(r, SubIndication::FormatFailure);
    }
    match s.sub_filter.as_deref() {
        Some(f) if DETACHED.contains(&f) => r.checks.push(Check::new("pdf_sub_filter", CheckStatus::Passed, f.to_string())),
        other => {
            r.checks.push(Check::new("pdf_sub_filter", CheckStatus::Failed, format!("unsupported /SubFilter {}", other.unwrap_or("(none)"))));
            worsen(r, SubIndication::FormatFailure);
        }
    }
    let status = match &s.modifications {
        Modifications::None | Modifications::SignaturesAndFormFilling => CheckStatus::Passed,
        Modifications::Other { .. } => {
            worsen(r, SubIndication::HashFailure);
            CheckStatus::Failed
        }
        Modifications::Unknown(_) => {
            worsen(r, SubIndication::FormatFailure);
            CheckStatus::Failed
        }
    };
    r.checks.push(Check::new("pdf_modifications", status, s.modifications.to_string()));
}
