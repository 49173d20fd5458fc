//! Text in appearances: a TrueType font embedded as a subset Type0 font (Identity-H), with
//! widths and a ToUnicode CMap so that the text can be copied and searched.

use super::PdfError;
use lopdf::{Dictionary, Object, Stream, StringFormat};
use std::collections::BTreeMap;

/// Font files larger than this are refused: real TrueType fonts with full Vietnamese coverage are
/// 0.3–1 MB; 64 MiB is far above any text font and bounds the parse and subsetting work.
const MAX_FONT_BYTES: usize = 64 * 1024 * 1024;

/// A font ready to lay out text; glyphs used are collected for the subset.
pub(crate) struct TextFont<'a> {
    face: ttf_parser::Face<'a>,
    data: &'a [u8],
    remapper: subsetter::GlyphRemapper,
    /// new glyph id → (advance in 1/1000 em, text)
    used: BTreeMap<u16, (f64, String)>,
    units_per_em: f64,
}

impl<'a> TextFont<'a> {
    pub fn parse(data: &'a [u8]) -> Result<TextFont<'a>, PdfError> {
        if data.len() > MAX_FONT_BYTES {
            return Err(PdfError::Font(format!("the font file is larger than {MAX_FONT_BYTES} bytes")));
        }
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| PdfError::Font(format!("cannot read the font: {e}")))?;
        if face.tables().glyf.is_none() {
            return Err(PdfError::Font("only TrueType fonts (with a glyf table) can be embedded; use a .ttf font such as Liberation Serif".into()));
        }
        let units_per_em = f64::from(face.units_per_em().max(1));
        Ok(TextFont { face, data, remapper: subsetter::GlyphRemapper::new(), used: BTreeMap::new(), units_per_em })
    }

    /// Encodes `text` as 2-byte CIDs (new glyph ids) and returns it with its width at `size` pt.
    /// Every character must have a glyph: a missing one is an error naming it.
    pub fn encode(&mut self, text: &str, size: f64) -> Result<(Vec<u8>, f64), PdfError> {
        let mut out = Vec::with_capacity(text.len() * 2);
        let mut width = 0.0;
        for ch in text.chars() {
            let gid = self.face.glyph_index(ch).ok_or(PdfError::FontMissingGlyph(ch))?;
            let new = self.remapper.remap(gid.0);
            let adv = f64::from(self.face.glyph_hor_advance(gid).unwrap_or(0)) * 1000.0 / self.units_per_em;
            self.used.entry(new).or_insert_with(|| (adv, ch.to_string()));
            out.extend_from_slice(&new.to_be_bytes());
            width += adv * size / 1000.0;
        }
        Ok((out, width))
    }

    /// The Type0 font dictionary and the objects it refers to, as (relative index, object):
    /// index 0 is the Type0 font; the others get ids allocated by `alloc`.
    pub fn into_objects(self, mut alloc: impl FnMut() -> lopdf::ObjectId) -> Result<Vec<(lopdf::ObjectId, Object)>, PdfError> {
        let sub = subsetter::subset(self.data, 0, &self.remapper).map_err(|e| PdfError::Font(format!("cannot subset the font: {e:?}")))?;
        let type0_id = alloc();
        let cid_id = alloc();
        let desc_id = alloc();
        let file_id = alloc();
        let tounicode_id = alloc();
        let ps_name = self
            .face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "KysoFont".into());
        let ps_name: String = ps_name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(60).collect();
        // Subset tag: six upper-case letters derived from the glyph set (PDF 32000 §9.6.4).
        let digest = ring::digest::digest(&ring::digest::SHA256, &sub);
        let tag: String = digest.as_ref().iter().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        let base_font = format!("{tag}+{ps_name}");
        let scale = 1000.0 / self.units_per_em;
        let bbox = self.face.global_bounding_box();
        let num = |v: f64| Object::Integer(v.round() as i64);

        let mut file = Stream::new(Dictionary::new(), Vec::new());
        file.dict.set("Length1", Object::Integer(sub.len() as i64));
        file.set_plain_content(deflate(&sub));
        file.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));

        let mut desc = Dictionary::new();
        desc.set("Type", Object::Name(b"FontDescriptor".to_vec()));
        desc.set("FontName", Object::Name(base_font.clone().into_bytes()));
        desc.set("Flags", Object::Integer(32));
        desc.set(
            "FontBBox",
            Object::Array(vec![num(f64::from(bbox.x_min) * scale), num(f64::from(bbox.y_min) * scale), num(f64::from(bbox.x_max) * scale), num(f64::from(bbox.y_max) * scale)]),
        );
        desc.set("ItalicAngle", num(f64::from(self.face.italic_angle())));
        desc.set("Ascent", num(f64::from(self.face.ascender()) * scale));
        desc.set("Descent", num(f64::from(self.face.descender()) * scale));
        desc.set("CapHeight", num(f64::from(self.face.capital_height().unwrap_or(self.face.ascender())) * scale));
        desc.set("StemV", Object::Integer(80));
        desc.set("FontFile2", Object::Reference(file_id));

        // W: one run per consecutive glyph ids.
        let mut w = Vec::new();
        let mut run: Option<(u16, Vec<Object>)> = None;
        for (gid, (adv, _)) in &self.used {
            match &mut run {
                Some((start, ws)) if *start as usize + ws.len() == *gid as usize => ws.push(num(*adv)),
                _ => {
                    if let Some((start, ws)) = run.take() {
                        w.push(Object::Integer(i64::from(start)));
                        w.push(Object::Array(ws));
                    }
                    run = Some((*gid, vec![num(*adv)]));
                }
            }
        }
        if let Some((start, ws)) = run {
            w.push(Object::Integer(i64::from(start)));
            w.push(Object::Array(ws));
        }

        let mut sysinfo = Dictionary::new();
        sysinfo.set("Registry", Object::String(b"Adobe".to_vec(), StringFormat::Literal));
        sysinfo.set("Ordering", Object::String(b"Identity".to_vec(), StringFormat::Literal));
        sysinfo.set("Supplement", Object::Integer(0));
        let mut cid = Dictionary::new();
        cid.set("Type", Object::Name(b"Font".to_vec()));
        cid.set("Subtype", Object::Name(b"CIDFontType2".to_vec()));
        cid.set("BaseFont", Object::Name(base_font.clone().into_bytes()));
        cid.set("CIDSystemInfo", Object::Dictionary(sysinfo));
        cid.set("FontDescriptor", Object::Reference(desc_id));
        cid.set("DW", Object::Integer(1000));
        cid.set("W", Object::Array(w));
        cid.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));

        let mut type0 = Dictionary::new();
        type0.set("Type", Object::Name(b"Font".to_vec()));
        type0.set("Subtype", Object::Name(b"Type0".to_vec()));
        type0.set("BaseFont", Object::Name(base_font.into_bytes()));
        type0.set("Encoding", Object::Name(b"Identity-H".to_vec()));
        type0.set("DescendantFonts", Object::Array(vec![Object::Reference(cid_id)]));
        type0.set("ToUnicode", Object::Reference(tounicode_id));

        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.used.iter().collect();
        for chunk in entries.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (gid, (_, text)) in chunk {
                let utf16: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                cmap.push_str(&format!("<{gid:04X}> <{utf16}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        let mut tounicode = Stream::new(Dictionary::new(), Vec::new());
        tounicode.set_plain_content(deflate(cmap.as_bytes()));
        tounicode.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));

        Ok(vec![
            (type0_id, Object::Dictionary(type0)),
            (cid_id, Object::Dictionary(cid)),
            (desc_id, Object::Dictionary(desc)),
            (file_id, Object::Stream(file)),
            (tounicode_id, Object::Stream(tounicode)),
        ])
    }
}

/// zlib (FlateDecode) compression.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_level(data, flate2::Compression::default())
}

/// zlib compression at a chosen level (images use the fast level: 3x faster, ~10% larger).
pub(crate) fn deflate_level(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 2 + 64), level);
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}
