//! Serialising PDF objects and appending an incremental update (new objects, a cross-reference
//! section of the same kind as the file's last one, a trailer with /Prev).

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use std::io::Write as _;

/// Writes `obj` in PDF syntax into `out`.
pub(crate) fn write_object(out: &mut Vec<u8>, obj: &Object) {
    match obj {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Object::Real(r) => write_real(out, f64::from(*r)),
        Object::Name(n) => write_name(out, n),
        Object::String(s, StringFormat::Hexadecimal) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(s).as_bytes());
            out.push(b'>');
        }
        Object::String(s, StringFormat::Literal) => write_literal_string(out, s),
        Object::Array(a) => {
            out.push(b'[');
            for (i, o) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, o);
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(out, d),
        Object::Stream(s) => {
            let mut dict = s.dict.clone();
            dict.set("Length", Object::Integer(s.content.len() as i64));
            write_dict(out, &dict);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&s.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((n, g)) => {
            let _ = write!(out, "{n} {g} R");
        }
    }
}

/// A real number with at most 4 decimals and no exponent (PDF has no exponent syntax).
pub(crate) fn write_real(out: &mut Vec<u8>, r: f64) {
    let r = if r.is_finite() { r } else { 0.0 };
    let s = format!("{r:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" || s.is_empty() { "0" } else { s };
    out.extend_from_slice(s.as_bytes());
}

/// Formats a real number the way [`write_real`] does (for content streams).
pub(crate) fn real(r: f64) -> String {
    let mut v = Vec::new();
    write_real(&mut v, r);
    String::from_utf8_lossy(&v).into_owned()
}

fn write_dict(out: &mut Vec<u8>, d: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(out, k);
        out.push(b' ');
        write_object(out, v);
    }
    out.extend_from_slice(b">>");
}

fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        let regular = b.is_ascii_graphic() && !b"()<>[]{}/%#".contains(&b);
        if regular {
            out.push(b);
        } else {
            let _ = write!(out, "#{b:02X}");
        }
    }
}

fn write_literal_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

/// A PDF text string: PDFDocEncoding-compatible ASCII as is, anything else UTF-16BE with a BOM.
pub(crate) fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut v = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(v, StringFormat::Hexadecimal)
    }
}

/// Which cross-reference form the update uses (the same as the file's last section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XrefKind {
    Table,
    Stream,
}

/// The first object number an incremental update of `doc` may use: above /Size, the parser's
/// highest object and the highest number in the cross-reference data.
pub(crate) fn next_object_number(doc: &lopdf::Document) -> Result<u32, super::PdfError> {
    let size = doc.trailer.get(b"Size").ok().and_then(super::num).unwrap_or(0.0);
    let max_in_xref = doc.reference_table.entries.keys().next_back().copied().unwrap_or(0);
    let first_free = (size.max(0.0).min(f64::from(u32::MAX / 2)) as u32).max(doc.max_id + 1).max(max_in_xref + 1);
    if first_free > 8_000_000 {
        // The PDF limit on indirect objects (Annex C of ISO 32000-1) is 8,388,607.
        return Err(super::PdfError::TooComplex("too many objects".into()));
    }
    Ok(first_free)
}

/// The trailer of an incremental update of `doc` (whose bytes are `pdf`): the same /Root and
/// /Info, and an /ID whose first element is kept and whose second is new (ISO 32000-1 §14.4).
/// /Size and /Prev are set by [`Update::finish`].
pub(crate) fn update_trailer(doc: &lopdf::Document, pdf: &[u8], root_id: ObjectId) -> Dictionary {
    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root_id));
    if let Ok(info @ Object::Reference(_)) = doc.trailer.get(b"Info") {
        trailer.set("Info", info.clone());
    }
    let id0 = match doc.trailer.get(b"ID") {
        Ok(Object::Array(a)) => a.first().cloned(),
        _ => None,
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, pdf);
    let new_id = Object::String(digest.as_ref().get(..16).unwrap_or_default().to_vec(), StringFormat::Hexadecimal);
    let id0 = id0.unwrap_or_else(|| new_id.clone());
    trailer.set("ID", Object::Array(vec![id0, new_id]));
    trailer
}

/// An incremental update being written after the original bytes.
pub(crate) struct Update {
    /// The whole output: original bytes, then the update.
    pub buf: Vec<u8>,
    offsets: Vec<(u32, u16, usize)>,
}

impl Update {
    pub fn new(original: &[u8]) -> Update {
        let mut buf = Vec::with_capacity(original.len() + 64 * 1024);
        buf.extend_from_slice(original);
        if !matches!(original.last(), Some(b'\n') | Some(b'\r')) {
            buf.push(b'\n');
        }
        Update { buf, offsets: Vec::new() }
    }

    /// Starts object `id`: records its offset and writes the `N G obj` header.
    pub fn begin(&mut self, id: ObjectId) {
        self.offsets.push((id.0, id.1, self.buf.len()));
        let _ = writeln!(self.buf, "{} {} obj", id.0, id.1);
    }

    /// Ends the current object.
    pub fn end(&mut self) {
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    /// Writes a whole object.
    pub fn object(&mut self, id: ObjectId, obj: &Object) {
        self.begin(id);
        write_object(&mut self.buf, obj);
        self.end();
    }

    /// Writes the cross-reference section and trailer. `trailer` carries /Root, /Info, /ID;
    /// /Size and /Prev are set here. `next_id` is the first unused object number (the xref
    /// stream, when one is written, takes it).
    pub fn finish(mut self, kind: XrefKind, mut trailer: Dictionary, next_id: u32, prev: usize) -> Vec<u8> {
        let xref_offset = self.buf.len();
        let size = match kind {
            XrefKind::Table => next_id,
            XrefKind::Stream => next_id + 1,
        };
        trailer.set("Size", Object::Integer(i64::from(size)));
        trailer.set("Prev", Object::Integer(prev as i64));
        let mut entries = std::mem::take(&mut self.offsets);
        if kind == XrefKind::Stream {
            entries.push((next_id, 0, xref_offset));
        }
        entries.sort_unstable();
        // Consecutive runs of object numbers become subsections.
        let mut runs: Vec<(u32, Vec<(u16, usize)>)> = Vec::new();
        for (n, gen, off) in entries {
            match runs.last_mut() {
                Some((start, offs)) if *start + offs.len() as u32 == n => offs.push((gen, off)),
                _ => runs.push((n, vec![(gen, off)])),
            }
        }
        match kind {
            XrefKind::Table => {
                self.buf.extend_from_slice(b"xref\n");
                for (start, offs) in &runs {
                    let _ = writeln!(self.buf, "{} {}", start, offs.len());
                    for (gen, off) in offs {
                        let _ = writeln!(self.buf, "{off:010} {gen:05} n\r");
                    }
                }
                self.buf.extend_from_slice(b"trailer\n");
                write_dict(&mut self.buf, &trailer);
                self.buf.push(b'\n');
            }
            XrefKind::Stream => {
                // Widths: type 1 byte, offset 8 bytes (files up to 2^64), generation 2 bytes.
                let mut data = Vec::new();
                let mut index = Vec::new();
                for (start, offs) in &runs {
                    index.push(Object::Integer(i64::from(*start)));
                    index.push(Object::Integer(offs.len() as i64));
                    for (gen, off) in offs {
                        data.push(1u8);
                        data.extend_from_slice(&(*off as u64).to_be_bytes());
                        data.extend_from_slice(&gen.to_be_bytes());
                    }
                }
                trailer.set("Type", Object::Name(b"XRef".to_vec()));
                trailer.set("W", Object::Array(vec![Object::Integer(1), Object::Integer(8), Object::Integer(2)]));
                trailer.set("Index", Object::Array(index));
                let stream = Object::Stream(lopdf::Stream::new(trailer, data));
                self.object((next_id, 0), &stream);
            }
        }
        let _ = writeln!(self.buf, "startxref\n{xref_offset}\n%%EOF");
        self.buf
    }
}

/// The catalog entry `key` (/AcroForm, /DSS) as a dictionary object of its own, to be rewritten
/// in the update: (its object number, its dictionary, whether the catalog must be rewritten to
/// point at it). An entry that is already a reference to a dictionary keeps its object; an
/// inline dictionary moves to a new object (`alloc`); anything else starts empty.
pub(crate) fn catalog_entry_object(
    doc: &Document,
    catalog: &Dictionary,
    key: &[u8],
    alloc: &mut impl FnMut() -> ObjectId,
) -> (ObjectId, Dictionary, bool) {
    match catalog.get(key) {
        Ok(Object::Reference(id)) => match doc.objects.get(id) {
            Some(Object::Dictionary(d)) => (*id, d.clone(), false),
            _ => (alloc(), Dictionary::new(), true),
        },
        Ok(Object::Dictionary(d)) => (alloc(), d.clone(), true),
        _ => (alloc(), Dictionary::new(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_strings_and_reals_are_escaped() {
        let mut v = Vec::new();
        write_object(&mut v, &Object::Name(b"A B#".to_vec()));
        assert_eq!(v, b"/A#20B#23");
        v.clear();
        write_object(&mut v, &Object::String(b"a(b)\\".to_vec(), StringFormat::Literal));
        assert_eq!(v, b"(a\\(b\\)\\\\)");
        assert_eq!(real(1.5), "1.5");
        assert_eq!(real(-0.00001), "0");
        assert_eq!(real(2.0), "2");
        assert_eq!(real(f64::NAN), "0");
    }

    #[test]
    fn xref_table_subsections_and_generations() {
        let mut up = Update::new(b"%PDF-1.7\n%%EOF");
        up.object((7, 0), &Object::Null);
        up.object((3, 2), &Object::Integer(1));
        up.object((8, 0), &Object::Null);
        let out = up.finish(XrefKind::Table, Dictionary::new(), 9, 5);
        let text = String::from_utf8_lossy(&out);
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(text.contains(&format!("xref\n3 1\n{:010} 00002 n\r\n7 2\n{:010} 00000 n\r\n{:010} 00000 n\r\ntrailer\n<</Size 9/Prev 5>>", at("3 2 obj"), at("7 0 obj"), at("8 0 obj"))), "{text}");
        assert!(text.ends_with(&format!("startxref\n{}\n%%EOF\n", at("xref\n"))));
    }

    #[test]
    fn text_string_uses_utf16_for_vietnamese() {
        assert_eq!(text_string("Ký"), Object::String(vec![0xFE, 0xFF, 0, b'K', 0, 0xFD], StringFormat::Hexadecimal));
        assert_eq!(text_string("Ky"), Object::String(b"Ky".to_vec(), StringFormat::Literal));
    }
}
