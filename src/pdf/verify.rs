//! Verifying a PDF's signatures in place. The work is done by [`Verifier::verify_pdf`]
//! (`src/verify/pdf.rs`): each signature's CMS is checked by the verification core over its byte
//! ranges, and the PDF checks (`pdf_signature_field`, `pdf_sub_filter`, `pdf_byte_range`,
//! `pdf_modifications`) and facts (field name, revision, coverage) are added to its report.

use super::PdfSignature;
use crate::report::DocumentReport;
use crate::verify::Verifier;

/// Verifies every signature of `pdf` (labelled `label` in the report): see
/// [`Verifier::verify_pdf`]. Also returns the signatures found (field name, revision, byte
/// range, modifications), in field order; empty when the PDF has none or cannot be read.
///
/// Changes after a signature other than later signatures and form filling make that signature
/// INDETERMINATE/SIG_CONSTRAINTS_FAILURE (its signed bytes are intact; the document shown is not
/// the one signed); a malformed byte range or an unsupported /SubFilter is FORMAT_FAILURE.
pub fn verify_pdf(verifier: &Verifier, label: &str, pdf: &[u8]) -> (DocumentReport, Vec<PdfSignature>) {
    verifier.verify_pdf_parts(label, pdf)
}
