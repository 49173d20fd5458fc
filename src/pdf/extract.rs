//! Finding the signatures of a PDF, checking their /ByteRange against the file's revisions, and
//! classifying what changed after each one.

use super::{decode_text, deref, dict_get, is_sig_field, load, load_for_verification, PdfEncryption, PdfError, SignedRanges};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many signatures are examined: official documents carry two or three; each one
/// costs a parse of the revision it signs, so the bound caps the work at 64 parses.
const MAX_SIGNATURES: usize = 64;
/// Bound on form fields walked: real forms have tens to hundreds of fields.
const MAX_FIELDS: usize = 10_000;
/// Bound on field-tree depth: real forms nest a few levels.
const MAX_DEPTH: usize = 32;
/// At most this many change descriptions are kept per signature (the first ones tell the story).
const MAX_REPORTED_CHANGES: usize = 20;

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
use crate::findings::{ObjectChange, PdfAnalysisProblem, PdfChange, PdfObject};

/// What changed after a signature's revision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Modifications {
    /// Nothing: the signature covers the whole file.
    None,
    /// Only later signatures (fields, widgets, appearances, signature dictionaries, validation
    /// data) and form filling.
    SignaturesAndFormFilling,
    /// Anything else: the document a reader sees may differ from what was signed.
    Other {
        /// What changed.
        changes: Vec<PdfChange>,
    },
    /// The later file could not be compared.
    Unknown(PdfAnalysisProblem),
}

impl Modifications {
    /// A stable machine-readable name: `none`, `signatures_and_form_filling`, `other`, `unknown`.
    pub fn code(&self) -> &'static str {
        match self {
            Modifications::None => "none",
            Modifications::SignaturesAndFormFilling => "signatures_and_form_filling",
            Modifications::Other { .. } => "other",
            Modifications::Unknown(_) => "unknown",
        }
    }

    /// True when the document a reader sees is the one signed (no change, or only later
    /// signatures and form filling).
    pub fn is_acceptable(&self) -> bool {
        matches!(self, Modifications::None | Modifications::SignaturesAndFormFilling)
    }
}

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
    // An encrypted file that cannot be decrypted is read through a copy without its /Encrypt
    // entry (same offsets): earlier revisions are read the same way.
    let opaque_view = match encryption {
        PdfEncryption::Opaque => super::without_encrypt_entry(pdf),
        _ => None,
    };
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
    let mut prefix_docs: BTreeMap<usize, Result<Document, String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (index, (name, sig)) in fields.into_iter().take(MAX_SIGNATURES).enumerate() {
        let name = if encryption == PdfEncryption::Opaque { format!("#{}", index + 1) } else { name };
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
        let modifications = if covers_whole_document {
            Modifications::None
        } else if signed_end == 0 || signed_end > pdf.len() {
            Modifications::Unknown(PdfAnalysisProblem::NotARevision)
        } else {
            let prev = prefix_docs.entry(signed_end).or_insert_with(|| {
                let prefix = opaque_view.as_deref().unwrap_or(pdf).get(..signed_end).unwrap_or_default();
                match encryption {
                    PdfEncryption::EmptyUserPassword => load_for_verification(prefix).map(|(d, _)| d),
                    _ => load(prefix),
                }
                .map_err(|e| e.to_string())
            });
            let m = match prev {
                Ok(prev) => classify(prev, &doc),
                Err(e) => Modifications::Unknown(PdfAnalysisProblem::SignedRevisionUnreadable { message: e.to_string() }),
            };
            // Bytes after the last revision are no revision at all: readers may interpret them
            // (e.g. by rebuilding the xref), so they are a change of their own.
            let last_end = revision_ends.last().map_or(0, |e| e.1).max(signed_end);
            let junk = pdf.get(last_end..).map_or(0, |rest| rest.iter().filter(|b| !(b.is_ascii_whitespace() || **b == 0)).count());
            match m {
                Modifications::None | Modifications::SignaturesAndFormFilling if junk > 0 => Modifications::Other {
                    changes: vec![PdfChange::TrailingBytes { bytes: junk }],
                },
                m => m,
            }
        };
        let name_of = |k: &[u8]| match dict_get(&doc, sig, k) {
            Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
            _ => None,
        };
        let claimed_time = match dict_get(&doc, sig, b"M") {
            Some(Object::String(s, _)) if encryption != PdfEncryption::Opaque => Some(decode_text(s)),
            _ => None,
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
            encryption,
        });
    }
    Ok((out, dss))
}

/// Ends of revisions: for each `%%EOF` that follows a `startxref <offset>`, the offset just after
/// the marker and the offset after its end-of-line, if any.
fn revision_ends(pdf: &[u8]) -> Vec<(usize, usize)> {
    let mut ends = Vec::new();
    let mut i = 0;
    while let Some(p) = find(&pdf[i..], b"%%EOF") {
        let at = i + p;
        i = at + 5;
        // Look back over whitespace, the offset digits, whitespace, then "startxref".
        let before = &pdf[..at];
        let t = before.trim_ascii_end();
        let digits = t.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            continue;
        }
        let t = t[..t.len() - digits].trim_ascii_end();
        if !t.ends_with(b"startxref") {
            continue;
        }
        let mut e2 = i;
        if pdf.get(e2) == Some(&b'\r') {
            e2 += 1;
        }
        if pdf.get(e2) == Some(&b'\n') {
            e2 += 1;
        }
        ends.push((i, e2));
    }
    ends
}

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
pub(crate) fn walk_fields<'a>(doc: &'a Document, catalog: &'a Dictionary, mut visit: impl FnMut(&str, &'a Dictionary)) -> Result<(), PdfError> {
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
        if let Object::Reference(id) = f {
            if !visited.insert(*id) {
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
        visit(&name, d);
        if let Some(Object::Array(kids)) = dict_get(doc, d, b"Kids") {
            for k in kids.iter().rev() {
                stack.push((k, name.clone(), depth + 1));
            }
        }
    }
    Ok(())
}

/// Signature fields with a value: (fully qualified name, signature dictionary).
fn signature_fields<'a>(doc: &'a Document, catalog: &'a Dictionary) -> Result<Vec<(String, &'a Dictionary)>, PdfError> {
    let mut out = Vec::new();
    walk_fields(doc, catalog, |name, d| {
        if is_sig_field(doc, d) {
            if let Some(Object::Dictionary(v)) = dict_get(doc, d, b"V") {
                out.push((name.to_string(), v));
            }
        }
    })?;
    Ok(out)
}

fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

fn type_of(o: &Object) -> Option<&[u8]> {
    let d = match o {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        _ => return None,
    };
    match d.get(b"Type") {
        Ok(Object::Name(n)) => Some(n),
        _ => None,
    }
}

fn dict_of(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Keys whose values differ between two dictionaries (added, removed or changed).
fn diff_keys(a: &Dictionary, b: &Dictionary) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    for (k, v) in a.iter() {
        if b.get(k).ok() != Some(v) {
            keys.insert(k.clone());
        }
    }
    for (k, _) in b.iter() {
        if !a.has(k) {
            keys.insert(k.clone());
        }
    }
    keys
}

fn names(keys: &BTreeSet<Vec<u8>>) -> Vec<String> {
    keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
}

fn changed(object: PdfObject, change: ObjectChange) -> PdfChange {
    PdfChange::ObjectChanged { object, change }
}

/// A dictionary that is a form field or a widget annotation.
fn is_field_or_widget(d: &Dictionary) -> bool {
    d.has(b"FT") || d.has(b"Kids") || d.has(b"T") || matches!(d.get(b"Subtype"), Ok(Object::Name(n)) if n == b"Widget")
}

/// `new` keeps every element of `old` and adds only references to fields or widgets.
fn array_extension_ok(old: &[Object], new: &[Object], f: &Document) -> bool {
    if new.len() < old.len() || !old.iter().all(|o| new.contains(o)) {
        return false;
    }
    new.iter().filter(|n| !old.contains(n)).all(|n| matches!(deref(f, n), Object::Dictionary(d) if is_field_or_widget(d)))
}

/// Compares the signed revision `r` with the final document `f`.
fn classify(r: &Document, f: &Document) -> Modifications {
    let mut changes = Vec::new();
    let mut any = false;
    let f_root = match f.trailer.get(b"Root") {
        Ok(Object::Reference(id)) => Some(*id),
        _ => None,
    };
    let f_info = match f.trailer.get(b"Info") {
        Ok(Object::Reference(id)) => Some(*id),
        _ => None,
    };
    let catalog_f = f_root.and_then(|id| f.objects.get(&id)).and_then(dict_of);
    let catalog_r = match r.trailer.get(b"Root") {
        Ok(o) => dict_of(deref(r, o)),
        Err(_) => None,
    };
    let acroform_id = catalog_f.and_then(|c| match c.get(b"AcroForm") {
        Ok(Object::Reference(id)) => Some(*id),
        _ => None,
    });
    let dss_id = catalog_f.and_then(|c| match c.get(b"DSS") {
        Ok(Object::Reference(id)) => Some(*id),
        _ => None,
    });
    // Appearance streams of fields in the final document may be rewritten by form filling.
    let mut ap_ids = BTreeSet::new();
    for o in f.objects.values() {
        if let Some(d) = dict_of(o).filter(|d| is_field_or_widget(d)) {
            if let Some(Object::Dictionary(ap)) = dict_get(f, d, b"AP") {
                for (_, v) in ap.iter() {
                    if let Object::Reference(id) = v {
                        ap_ids.insert(*id);
                    }
                }
            }
        }
    }
    // The AcroForm, wherever it lives, may only gain fields and signature flags.
    let form_r = catalog_r.and_then(|c| dict_get(r, c, b"AcroForm")).and_then(dict_of);
    let form_f = catalog_f.and_then(|c| dict_get(f, c, b"AcroForm")).and_then(dict_of);
    if let (Some(fr), Some(ff)) = (form_r, form_f) {
        let allowed: [&[u8]; 5] = [b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
        let diff = diff_keys(fr, ff);
        let bad: BTreeSet<Vec<u8>> = diff.iter().filter(|k| !allowed.contains(&k.as_slice())).cloned().collect();
        if !bad.is_empty() {
            changes.push(PdfChange::AcroFormChanged { keys: names(&bad) });
        }
    } else if form_r.is_some() && form_f.is_none() {
        changes.push(PdfChange::AcroFormRemoved);
    }

    let skip = |o: &Object| matches!(type_of(o), Some(b"XRef") | Some(b"ObjStm"));
    for (id, fo) in &f.objects {
        if skip(fo) {
            continue;
        }
        let label = |o: &Object| PdfObject { number: id.0, generation: id.1, kind: type_of(o).map(|t| String::from_utf8_lossy(t).into_owned()) };
        let Some(ro) = r.objects.get(id) else {
            any = true;
            if matches!(type_of(fo), Some(b"Page") | Some(b"Pages") | Some(b"Catalog")) {
                changes.push(PdfChange::ObjectAdded(label(fo)));
            }
            continue;
        };
        if same(ro, fo) {
            continue;
        }
        any = true;
        let problem: Option<PdfChange> = match (ro, fo) {
            (Object::Array(a), Object::Array(b)) => (!array_extension_ok(a, b, f)).then(|| changed(label(fo), ObjectChange::Array)),
            _ => match (dict_of(ro), dict_of(fo)) {
                (Some(rd), Some(fd)) => {
                    let diff = diff_keys(rd, fd);
                    let content_changed = matches!((ro, fo), (Object::Stream(x), Object::Stream(y)) if x.content != y.content);
                    let allowed: &[&[u8]] = if Some(*id) == f_root {
                        // /Version: a later update may declare a newer PDF version (e.g. 2.0 for
                        // document timestamps); it changes no content.
                        &[b"AcroForm", b"DSS", b"Extensions", b"Version"]
                    } else if Some(*id) == acroform_id {
                        &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"]
                    } else if Some(*id) == dss_id {
                        &[b"Certs", b"CRLs", b"OCSPs", b"VRI"]
                    } else if Some(*id) == f_info {
                        &[b"ModDate", b"Producer"]
                    } else if type_of(fo) == Some(b"Page") {
                        &[b"Annots"]
                    } else if is_field_or_widget(fd) {
                        // An existing signature's value may not be replaced.
                        let resigned = is_sig_field(f, fd) && rd.has(b"V") && rd.get(b"V").ok() != fd.get(b"V").ok();
                        if resigned { &[] } else { &[b"V", b"AP", b"AS"] }
                    } else if ap_ids.contains(id) {
                        &[b"BBox", b"Resources", b"Matrix", b"Length", b"Filter", b"DecodeParms"]
                    } else {
                        &[]
                    };
                    let bad: BTreeSet<Vec<u8>> = diff.iter().filter(|k| !allowed.contains(&k.as_slice())).cloned().collect();
                    let mut problem = (!bad.is_empty()).then(|| changed(label(fo), ObjectChange::Keys(names(&bad))));
                    if problem.is_none() && content_changed && !ap_ids.contains(id) {
                        problem = Some(changed(label(fo), ObjectChange::StreamContent));
                    }
                    if problem.is_none() && diff.contains(b"Annots".as_slice()) {
                        let arr = |doc: &Document, d: &Dictionary| match dict_get(doc, d, b"Annots") {
                            Some(Object::Array(a)) => a.clone(),
                            _ => Vec::new(),
                        };
                        if !array_extension_ok(&arr(r, rd), &arr(f, fd), f) {
                            problem = Some(changed(label(fo), ObjectChange::Annots));
                        }
                    }
                    if problem.is_none() && diff.contains(b"Fields".as_slice()) {
                        let arr = |doc: &Document, d: &Dictionary| match dict_get(doc, d, b"Fields") {
                            Some(Object::Array(a)) => a.clone(),
                            _ => Vec::new(),
                        };
                        if !array_extension_ok(&arr(r, rd), &arr(f, fd), f) {
                            problem = Some(changed(label(fo), ObjectChange::Fields));
                        }
                    }
                    problem
                }
                _ => Some(changed(label(fo), ObjectChange::Replaced)),
            },
        };
        if let Some(p) = problem {
            changes.push(p);
        }
    }
    for (id, ro) in &r.objects {
        if !skip(ro) && !f.objects.contains_key(id) {
            any = true;
            changes.push(PdfChange::ObjectDeleted(PdfObject { number: id.0, generation: id.1, kind: type_of(ro).map(|t| String::from_utf8_lossy(t).into_owned()) }));
        }
    }
    if !changes.is_empty() {
        changes.truncate(MAX_REPORTED_CHANGES);
        Modifications::Other { changes }
    } else if any {
        Modifications::SignaturesAndFormFilling
    } else {
        Modifications::None
    }
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
