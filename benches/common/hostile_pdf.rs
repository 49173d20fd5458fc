//! Hostile PDFs for the difference analysis's linear-time bound (issue 16), built with lopdf and
//! kyso's own signer (the CMS comes from the caller's closure). Shared by benches/pdfdiff.rs
//! (`#[path = "common/hostile_pdf.rs"]`) and tests/it/pdfdiff.rs.
//!
//! - [`quadratic`]: the input issue 16 timed at ~50 s of CPU before the rewrite: a signed page
//!   whose /Annots holds 100,000 references, and a second signature appended to it (the old
//!   classification compared the two arrays element by element, O(n·m)).
//! - [`worst_case`]: arrays of `elements` entries (a page's /Annots and an integer array the
//!   catalog refers to), then `signatures` signatures, each preceded by a revision that makes a
//!   change no rule allows (a font rewritten) — so that every signed revision follows a tainted
//!   one and the roles are computed in full again for each signature: the most work one file
//!   can ask of the analysis. With 1,000,000 elements and 64 signatures it is about 20 MB.

use kyso::pdf::{self, Appearance, PadesOptions, SignedRanges};
use lopdf::{dictionary, Document, Object, Stream};
use std::io::Write as _;

/// The signing time written in /M (the closure makes the CMS).
fn when() -> time::OffsetDateTime {
    time::macros::datetime!(2026-12-01 09:00:00 +07:00)
}

/// A two-page document: page 1 small; `annots` references on page `annots_page`'s /Annots (an
/// object of its own) to one FreeText annotation; `big` integers and `big` references in arrays
/// the catalog names.
fn base(annots: usize, annots_page: usize, big: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"});
    let text = doc.add_object(Stream::new(dictionary! {}, b"BT /F1 18 Tf 72 760 Td (HOP DONG) Tj ET".to_vec()));
    let note = doc.add_object(dictionary! {"Type" => "Annot", "Subtype" => "FreeText", "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()], "Contents" => Object::string_literal("x")});
    let list = doc.add_object(Object::Array(vec![Object::Reference(note); annots]));
    let mut kids = Vec::new();
    for p in 1..=2 {
        let mut page = dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => text,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! {"Font" => dictionary! {"F1" => font}},
        };
        if p == annots_page {
            page.set("Annots", list);
        }
        kids.push(Object::Reference(doc.add_object(page)));
    }
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Count" => 2, "Kids" => kids}));
    let ints = doc.add_object(Object::Array((0..big as i64).map(|i| Object::Integer(i % 1_000_000)).collect()));
    let refs = doc.add_object(Object::Array(vec![Object::Reference(note); big]));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id, "BigArray" => ints, "BigRefs" => refs});
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("lopdf writes");
    out
}

/// Signs `pdf` on page `page` (invisible), the CMS from `make_cms`.
fn sign(pdf: &[u8], page: u32, field: &str, make_cms: &mut dyn FnMut(&SignedRanges<'_>) -> Vec<u8>) -> Vec<u8> {
    let mut opts = PadesOptions::new(when(), Appearance::None);
    opts.page = page;
    opts.field_name = Some(field.to_string());
    opts.contents_reserve = 4096;
    pdf::sign(pdf, &opts, |r| -> Result<Vec<u8>, std::io::Error> { Ok(make_cms(r)) }).expect("kyso signs").bytes
}

/// Appends a revision that rewrites object `n` as `body` (classic xref table), the trailer's
/// /Root and /Size as in the last one.
fn rewrite(pdf: &[u8], n: u32, root: u32, body: &str) -> Vec<u8> {
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(512)..]).into_owned();
    let prev: usize = tail.rsplit("startxref").next().and_then(|t| t.split_whitespace().next()).and_then(|t| t.parse().ok()).expect("startxref");
    let size: u32 = tail.rsplit("/Size").next().and_then(|t| t.trim_start().split(|c: char| !c.is_ascii_digit()).next()).and_then(|t| t.parse().ok()).expect("/Size");
    let mut out = pdf.to_vec();
    out.push(b'\n');
    let at = out.len();
    let _ = write!(out, "{n} 0 obj\n{body}\nendobj\n");
    let xref = out.len();
    let _ = write!(out, "xref\n{n} 1\n{at:010} 00000 n \ntrailer\n<</Size {size}/Root {root} 0 R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n");
    out
}

/// The input issue 16 timed at ~50 s: 100,000 references in the signed page's /Annots, and a
/// second signature on that page (its widget appended to the array).
pub fn quadratic(make_cms: &mut dyn FnMut(&SignedRanges<'_>) -> Vec<u8>) -> Vec<u8> {
    let one = sign(&base(100_000, 1, 0), 1, "Signature1", make_cms);
    sign(&one, 1, "Signature2", make_cms)
}

/// `elements` references in page 2's /Annots and in a catalog array, `elements` integers in
/// another, then `signatures` signatures on page 1, each after a forbidden change to document
/// structure (the catalog rewritten with an /OpenAction), so that the roles are computed again
/// at every signed revision; `leaf` makes the forbidden change a font instead (a leaf: the
/// roles are carried).
pub fn worst_case(elements: usize, signatures: usize, leaf: bool, make_cms: &mut dyn FnMut(&SignedRanges<'_>) -> Vec<u8>) -> Vec<u8> {
    let mut pdf = base(elements, 2, elements);
    let doc = Document::load_mem(&pdf).expect("lopdf reads");
    let font = doc.objects.iter().find(|(_, o)| matches!(o, Object::Dictionary(d) if d.has(b"BaseFont"))).map(|(id, _)| id.0).expect("a font");
    let root = doc.trailer.get(b"Root").and_then(Object::as_reference).expect("root").0;
    for i in 0..signatures {
        if i > 0 {
            let face = if i % 2 == 0 { "Helvetica" } else { "Courier" };
            pdf = if leaf {
                rewrite(&pdf, font, root, &format!("<</Type/Font/Subtype/Type1/BaseFont/{face}>>"))
            } else {
                // The catalog as kyso's signer left it, plus an /OpenAction.
                let doc = Document::load_mem(&pdf).expect("lopdf reads");
                let mut catalog = doc.get_dictionary((root, 0)).expect("catalog").clone();
                catalog.set("OpenAction", Object::Array(vec![Object::Integer(i as i64)]));
                let mut body = Vec::new();
                write_dict(&mut body, &catalog);
                rewrite(&pdf, root, root, &String::from_utf8_lossy(&body))
            };
        }
        pdf = sign(&pdf, 1, &format!("Signature{}", i + 1), make_cms);
    }
    pdf
}

/// A dictionary in PDF syntax (names, numbers, references, arrays, dictionaries: what a catalog
/// written by kyso holds).
fn write_dict(out: &mut Vec<u8>, d: &lopdf::Dictionary) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        out.push(b'/');
        out.extend_from_slice(k);
        out.push(b' ');
        write_value(out, v);
    }
    out.extend_from_slice(b">>");
}

fn write_value(out: &mut Vec<u8>, o: &Object) {
    match o {
        Object::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Object::Real(r) => {
            let _ = write!(out, "{r}");
        }
        Object::Boolean(b) => {
            let _ = write!(out, "{b}");
        }
        Object::Name(n) => {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        Object::Reference((n, g)) => {
            let _ = write!(out, "{n} {g} R");
        }
        Object::Array(a) => {
            out.push(b'[');
            for x in a {
                write_value(out, x);
                out.push(b' ');
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(out, d),
        Object::String(s, _) => {
            out.push(b'<');
            for b in s {
                let _ = write!(out, "{b:02X}");
            }
            out.push(b'>');
        }
        _ => out.extend_from_slice(b"null"),
    }
}
