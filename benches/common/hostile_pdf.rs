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

/// A one- or two-page document: page 1 small; `annots` references on page `annots_page`'s
/// /Annots (an object of its own) to one FreeText annotation; `big` integers in an array the
/// catalog names.
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
    let big = doc.add_object(Object::Array((0..big as i64).map(|i| Object::Integer(i % 1_000_000)).collect()));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id, "BigArray" => big});
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

/// `elements` references in page 2's /Annots and `elements` integers in a catalog array, then
/// `signatures` signatures on page 1, each after a forbidden change (the font rewritten).
pub fn worst_case(elements: usize, signatures: usize, make_cms: &mut dyn FnMut(&SignedRanges<'_>) -> Vec<u8>) -> Vec<u8> {
    let mut pdf = base(elements, 2, elements);
    let doc = Document::load_mem(&pdf).expect("lopdf reads");
    let font = doc.objects.iter().find(|(_, o)| matches!(o, Object::Dictionary(d) if d.has(b"BaseFont"))).map(|(id, _)| id.0).expect("a font");
    let root = doc.trailer.get(b"Root").and_then(Object::as_reference).expect("root").0;
    for i in 0..signatures {
        if i > 0 {
            let face = if i % 2 == 0 { "Helvetica" } else { "Courier" };
            pdf = rewrite(&pdf, font, root, &format!("<</Type/Font/Subtype/Type1/BaseFont/{face}>>"));
        }
        pdf = sign(&pdf, 1, &format!("Signature{}", i + 1), make_cms);
    }
    pdf
}
