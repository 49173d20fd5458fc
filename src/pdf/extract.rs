//! Finding the signatures of a PDF, checking their /ByteRange against the file's revisions, and
//! classifying what changed after each one.

use super::diff::{self, Modifications};
use super::{decode_text, deref, dict_get, is_sig_field, load_for_verification, PdfEncryption, PdfError, SignedRanges};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeSet, HashMap};

/// At most this many signatures are examined: official documents carry two or three; the bound
/// caps the difference analysis's full walks of the object graph (one per signed revision that
/// follows a forbidden change) at 64.
const MAX_SIGNATURES: usize = 64;
/// Bound on form fields walked: real forms have tens to hundreds of fields.
const MAX_FIELDS: usize = 10_000;
/// Bound on field-tree depth: real forms nest a few levels.
const MAX_DEPTH: usize = 32;

/// One signature found in a PDF.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PdfSignature {
    /// The signature field's fully qualified name.
    pub field_name: String,
    /// The revision (1-based, counting `%%EOF` markers after `startxref`) whose end the byte
    /// range reaches; 0 when it reaches none.
    pub revision: usize,
    /// Number of revisions in the file.
    pub revision_count: usize,
    /// The /ByteRange as written (only meaningful when `byte_range_problems` is empty).
    pub byte_range: [u64; 4],
    /// The CMS SignedData from /Contents as received (DER or BER), with the zero padding after
    /// the element removed ([`crate::asn1::without_padding`]).
    pub contents: Vec<u8>,
    /// /Filter of the signature dictionary.
    pub filter: Option<String>,
    /// /SubFilter (e.g. `ETSI.CAdES.detached`, `adbe.pkcs7.detached`).
    pub sub_filter: Option<String>,
    /// /M, the claimed signing time, as written (e.g. `D:20261130063027+07'00'`).
    pub claimed_time: Option<String>,
    /// The signature signs the whole file (nothing but whitespace after its revision).
    pub covers_whole_document: bool,
    /// What is wrong with the byte range; empty when it is sound.
    pub byte_range_problems: Vec<ByteRangeProblem>,
    /// What changed in the file after the revision this signature signs.
    pub modifications: Modifications,
    /// Each revision after the signed one: what it updated (allowed) and changed (forbidden).
    pub later_revisions: Vec<PdfRevision>,
    /// The modification permissions this signature sets (certification level, field locks).
    pub permissions: PdfPermissions,
    /// Updates after the signature that its permissions forbid.
    pub permission_violations: Vec<PermissionViolation>,
    /// Whether (and how) the PDF is encrypted: for [`PdfEncryption::Opaque`] the field name is
    /// the signature's position (`#1`, …) and /M is unknown, their strings being encrypted.
    pub encryption: PdfEncryption,
}
impl PdfSignature {
    /// The signed bytes of `pdf` (the same bytes this signature was extracted from).
    pub fn signed_ranges<'a>(&self, pdf: &'a [u8]) -> Result<SignedRanges<'a>, PdfError> {
        let [a, b, c, d] = self.byte_range;
        let get = |s: u64, l: u64| -> Option<&'a [u8]> {
            let s = usize::try_from(s).ok()?;
            let e = s.checked_add(usize::try_from(l).ok()?)?;
            pdf.get(s..e)
        };
        match (get(a, b), get(c, d)) {
            (Some(x), Some(y)) => Ok(SignedRanges { parts: [x, y] }),
            _ => Err(PdfError::Structure("the byte range lies outside the file".into())),
        }
    }
}

pub use crate::findings::ByteRangeProblem;
use crate::findings::{PdfAnalysisProblem, PdfChange, PdfPermissions, PdfRevision, PermissionViolation};

/// Lists the signatures of `pdf`: every signature field with a value, in field order.
///
/// Checks done here: /ByteRange shape and bounds, the gap being exactly this signature's
/// /Contents, the signed part ending at a revision end, and the classification of later changes.
/// Not done here: anything about the CMS (digest, signature, certificates) — the verification core.
pub fn signatures(pdf: &[u8]) -> Result<Vec<PdfSignature>, PdfError> {
    signatures_and_dss(pdf).map(|(s, _)| s)
}

/// [`signatures`] and the document's /DSS ([`super::document_security_store`]), from one parse.
pub(crate) fn signatures_and_dss(pdf: &[u8]) -> Result<(Vec<PdfSignature>, Option<super::Dss>), PdfError> {
    let (doc, encryption) = load_for_verification(pdf)?;
    // The difference analysis below reads every revision from the file as written, whether
    // encrypted or not (it ignores /Encrypt): strings and streams of an encrypted file are
    // compared as their encrypted bytes, so a change shows, while streams it must read (object
    // streams, XMP) cannot be, which makes it stop or flag rather than accept.
    let dss = super::dss::read(&doc);
    let root = match doc.trailer.get(b"Root") {
        Ok(o) => deref(&doc, o),
        Err(_) => return Err(PdfError::Structure("the trailer has no /Root".into())),
    };
    let Object::Dictionary(catalog) = root else {
        return Err(PdfError::Structure("the catalog is not a dictionary".into()));
    };
    let fields = signature_fields(&doc, catalog)?;
    let revision_ends = revision_ends(pdf);
    let mut out = Vec::new();
    let mut inputs = Vec::new();
    let mut shared: Vec<Vec<PdfChange>> = Vec::new();
    for (index, f) in fields.into_iter().take(MAX_SIGNATURES).enumerate() {
        let sig = f.value;
        // An encrypted file's field names are encrypted strings: the signature is named by its
        // position instead.
        let name = if encryption == PdfEncryption::Opaque { format!("#{}", index + 1) } else { f.name.clone() };
        let mut problems = Vec::new();
        let contents_raw = match sig.get(b"Contents") {
            Ok(Object::String(s, _)) => s.clone(),
            _ => {
                problems.push(ByteRangeProblem::NoContents);
                Vec::new()
            }
        };
        let br: Option<[u64; 4]> = match dict_get(&doc, sig, b"ByteRange") {
            Some(Object::Array(a)) if a.len() == 4 => {
                let v: Vec<u64> = a.iter().filter_map(|o| match deref(&doc, o) {
                    Object::Integer(i) => u64::try_from(*i).ok(),
                    _ => None,
                }).collect();
                <[u64; 4]>::try_from(v).ok()
            }
            _ => None,
        };
        let byte_range = match br {
            Some(b) => b,
            None => {
                problems.push(ByteRangeProblem::NotFourIntegers);
                [0; 4]
            }
        };
        let len = pdf.len() as u64;
        let [a, b, c, d] = byte_range;
        let mut signed_end = 0usize;
        if br.is_some() {
            if a != 0 {
                problems.push(ByteRangeProblem::NotFromStart);
            }
            let end = c.checked_add(d);
            if a.checked_add(b).is_none_or(|ab| ab > c) || end.is_none_or(|e| e > len) {
                problems.push(ByteRangeProblem::OutOfBounds);
            } else {
                signed_end = end.unwrap_or(0) as usize;
                let gap = pdf.get(b as usize..c as usize).unwrap_or_default();
                if !gap_is_contents(gap, &contents_raw) {
                    problems.push(ByteRangeProblem::GapIsNotContents);
                }
            }
        }
        let revision = revision_ends.iter().position(|&(e1, e2)| signed_end == e1 || signed_end == e2).map_or(0, |i| i + 1);
        if revision == 0 && problems.is_empty() {
            problems.push(ByteRangeProblem::NotAtRevisionEnd);
        }
        let covers_whole_document = problems.is_empty() && pdf.get(signed_end..).is_some_and(|rest| rest.iter().all(|b| b.is_ascii_whitespace() || *b == 0));
        inputs.push(diff::Signed { signed_end, value: f.value_id.map(|id| id.0), field: f.field_id.map(|id| id.0) });
        let name_of = |k: &[u8]| match dict_get(&doc, sig, k) {
            Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
            _ => None,
        };
        let claimed_time = match dict_get(&doc, sig, b"M") {
            Some(Object::String(s, _)) if encryption != PdfEncryption::Opaque => Some(decode_text(s)),
            _ => None,
        };
        let modifications = match (covers_whole_document, signed_end) {
            (true, _) => Modifications::None,
            (false, 0) => Modifications::Unknown(PdfAnalysisProblem::NotARevision),
            // Filled in by the difference analysis below.
            (false, _) => Modifications::None,
        };
        out.push(PdfSignature {
            field_name: name,
            revision,
            revision_count: revision_ends.len(),
            byte_range,
            contents: crate::asn1::without_padding(&contents_raw).to_vec(),
            filter: name_of(b"Filter"),
            sub_filter: name_of(b"SubFilter"),
            claimed_time,
            covers_whole_document,
            byte_range_problems: problems,
            modifications,
            later_revisions: Vec::new(),
            permissions: PdfPermissions::default(),
            permission_violations: Vec::new(),
            encryption,
        });
        // One signature dictionary reached through several fields is one signature, and the
        // sharing is a change of its own (a reader shows it "signed" in each field).
        let mut pre = Vec::new();
        if !f.shared_with.is_empty() {
            if let Some(last) = out.last_mut() {
                let mut fields = vec![last.field_name.clone()];
                fields.extend(f.shared_with);
                last.covers_whole_document = false;
                pre.push(PdfChange::SignatureShared { fields });
            }
        }
        shared.push(pre);
    }
    // The difference analysis, once for all signatures (its steps are shared). It reads the
    // file itself: lopdf's document is freed first (a lopdf object takes 120 bytes, and a
    // hostile file's million-element arrays would otherwise be held twice).
    drop(doc);
    let outcomes = diff::analyse(pdf, &inputs);
    // Bytes after the last revision are no revision at all: readers may interpret them (e.g.
    // by rebuilding the xref), so they are a change of their own.
    let last_end = revision_ends.last().map_or(0, |e| e.1);
    for ((s, o), pre) in out.iter_mut().zip(outcomes).zip(shared) {
        s.permissions = o.permissions;
        s.later_revisions = o.later;
        s.permission_violations = o.violations;
        if !pre.is_empty() {
            let mut changes = pre;
            if let Modifications::Other { changes: more } = o.modifications {
                changes.extend(more);
            }
            s.modifications = Modifications::Other { changes };
            continue;
        }
        if s.covers_whole_document || matches!(s.modifications, Modifications::Unknown(_)) {
            continue;
        }
        let signed_end = usize::try_from(s.byte_range[2].saturating_add(s.byte_range[3])).unwrap_or(usize::MAX);
        let junk = pdf.get(last_end.max(signed_end)..).map_or(0, |rest| rest.iter().filter(|b| !(b.is_ascii_whitespace() || **b == 0)).count());
        s.modifications = match o.modifications {
            Modifications::None | Modifications::SignaturesAndFormFilling if junk > 0 => Modifications::Other {
                changes: vec![PdfChange::TrailingBytes { bytes: junk }],
            },
            m => m,
        };
    }
    Ok((out, dss))
}

/// Ends of revisions: for each `%%EOF` that follows `startxref <offset>` (offset not 0: a
/// linearized file's first-page trailer says `startxref 0` and ends no revision), the offset
/// just after the marker and the offset after its end-of-line, if any.
fn revision_ends(pdf: &[u8]) -> Vec<(usize, usize)> {
    diff::markers(pdf).into_iter().filter(|m| m.startxref != 0).map(|m| (m.end, m.end_eol)).collect()
}

#[cfg(test)]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The gap must be `<hex>` whose value is this signature's /Contents.
fn gap_is_contents(gap: &[u8], contents: &[u8]) -> bool {
    let (Some(b'<'), Some(b'>')) = (gap.first(), gap.last()) else { return false };
    let inner: Vec<u8> = gap[1..gap.len() - 1].iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if !inner.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let mut inner = inner;
    if inner.len() % 2 == 1 {
        inner.push(b'0');
    }
    hex::decode(&inner).is_ok_and(|v| v == contents)
}

/// Walks the AcroForm's field tree in document order, calling `visit` with each field's fully
/// qualified name and dictionary. Bounded by [`MAX_FIELDS`] and [`MAX_DEPTH`]; a field reached
/// twice by reference (a cycle or a shared kid) is visited once.
pub(crate) fn walk_fields<'a>(doc: &'a Document, catalog: &'a Dictionary, mut visit: impl FnMut(&str, Option<ObjectId>, &'a Dictionary)) -> Result<(), PdfError> {
    let Some(Object::Dictionary(form)) = dict_get(doc, catalog, b"AcroForm") else { return Ok(()) };
    let Some(Object::Array(fields)) = dict_get(doc, form, b"Fields") else { return Ok(()) };
    let mut stack: Vec<(&Object, String, usize)> = fields.iter().rev().map(|f| (f, String::new(), 0)).collect();
    let mut seen = 0;
    let mut visited: BTreeSet<ObjectId> = BTreeSet::new();
    while let Some((f, prefix, depth)) = stack.pop() {
        seen += 1;
        if seen > MAX_FIELDS || depth > MAX_DEPTH {
            return Err(PdfError::TooComplex("too many or too deeply nested form fields".into()));
        }
        let id = match f {
            Object::Reference(id) => Some(*id),
            _ => None,
        };
        if let Some(id) = id {
            if !visited.insert(id) {
                continue; // a field reached twice (cycle or shared kid)
            }
        }
        let Object::Dictionary(d) = deref(doc, f) else { continue };
        let name = match d.get(b"T") {
            Ok(Object::String(s, _)) => {
                let part = decode_text(s);
                if prefix.is_empty() { part } else { format!("{prefix}.{part}") }
            }
            _ => prefix.clone(),
        };
        visit(&name, id, d);
        if let Some(Object::Array(kids)) = dict_get(doc, d, b"Kids") {
            for k in kids.iter().rev() {
                stack.push((k, name.clone(), depth + 1));
            }
        }
    }
    Ok(())
}

/// A signature field with a value.
struct SigField<'a> {
    name: String,
    field_id: Option<ObjectId>,
    value: &'a Dictionary,
    value_id: Option<ObjectId>,
    /// Other fields whose value is the same signature dictionary (one signature is one
    /// dictionary: it is listed once, under its first field, and the sharing is a change).
    shared_with: Vec<String>,
}

/// Signature fields with a value, in field order; a dictionary that is the value of several
/// fields is listed once.
fn signature_fields<'a>(doc: &'a Document, catalog: &'a Dictionary) -> Result<Vec<SigField<'a>>, PdfError> {
    let mut out: Vec<SigField<'a>> = Vec::new();
    let mut by_value: HashMap<ObjectId, usize> = HashMap::new();
    walk_fields(doc, catalog, |name, field_id, d| {
        if !is_sig_field(doc, d) {
            return;
        }
        let value_id = match d.get(b"V") {
            Ok(Object::Reference(id)) => Some(*id),
            _ => None,
        };
        if let Some(Object::Dictionary(v)) = dict_get(doc, d, b"V") {
            if let Some(first) = value_id.and_then(|id| by_value.get(&id)) {
                if let Some(f) = out.get_mut(*first) {
                    f.shared_with.push(name.to_string());
                }
                return;
            }
            if let Some(id) = value_id {
                by_value.insert(id, out.len());
            }
            out.push(SigField { name: name.to_string(), field_id, value: v, value_id, shared_with: Vec::new() });
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_ends_need_startxref() {
        let pdf = b"%PDF-1.7\nstream %%EOF endstream\nstartxref\n123\n%%EOF\nmore\nstartxref 9 %%EOF";
        let ends = revision_ends(pdf);
        assert_eq!(ends.len(), 2);
        let first = find(pdf, b"123\n%%EOF").unwrap() + 9;
        assert_eq!(ends[0], (first, first + 1));
        assert_eq!(ends[1], (pdf.len(), pdf.len()));
    }

    #[test]
    fn gap_must_be_exactly_the_contents() {
        assert!(gap_is_contents(b"<30 0200>", &[0x30, 0x02, 0x00]));
        assert!(!gap_is_contents(b"<3002>", &[0x30, 0x02, 0x00]));
        assert!(!gap_is_contents(b"(3002)", &[0x30, 0x02]));
        assert!(!gap_is_contents(b"<30zz>", &[0x30]));
    }
}
