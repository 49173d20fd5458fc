//! Adding one PAdES signature to a PDF as an incremental update.

use super::font::{deflate, TextFont};
use super::image::Png;
use super::write::{catalog_entry_object, next_object_number, real, text_string, update_trailer, write_object, Update, XrefKind};
use super::{decode_text, deref, dict_get, is_sig_field, load, num, rect_of, Appearance, MmRect, PadesOptions, PdfError, SignedPdf, SignedRanges};
use crate::findings::{FieldLock, MdpLevel};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use std::collections::BTreeSet;
use std::io::Write as _;

const MM: f64 = 72.0 / 25.4;
/// Bound on form fields walked (names for uniqueness): real forms have tens to hundreds.
const MAX_FIELDS: usize = 10_000;
/// Bound on field-tree depth and page-tree parent hops: real documents use a handful of levels.
const MAX_DEPTH: usize = 32;
/// Width of each patched /ByteRange number (10 digits: files up to ~9.3 GB).
const BR_DIGITS: usize = 10;
/// Largest /Contents reservation accepted (bytes): a CMS with a timestamp and revocation data is
/// tens of KB; 4 MiB leaves room for large CRLs while bounding the retry.
const MAX_RESERVE: usize = 4 * 1024 * 1024;

/// Signs `pdf` with one PAdES signature: builds the incremental update, calls `make_cms` with
/// the signed byte ranges, and writes the returned CMS (DER) into /Contents. `make_cms` is called
/// a second time, with the same ranges shape, only if its first CMS did not fit the reservation.
///
/// Not done here: the CMS profile (no signing-time attribute, signing-certificate-v2) is the
/// closure's business.
pub fn sign<F, E>(pdf: &[u8], opts: &PadesOptions, mut make_cms: F) -> Result<SignedPdf, PdfError>
where
    F: FnMut(&SignedRanges<'_>) -> Result<Vec<u8>, E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let doc = load(pdf)?;
    if doc.xref_recovery.is_some() {
        return Err(PdfError::DamagedXref);
    }
    let plan = Plan::build(&doc, opts)?;
    let mut reserve = opts.contents_reserve.clamp(1024, MAX_RESERVE);
    for _attempt in 0..2 {
        let (mut out, contents_at, br_at) = plan.write(pdf, &doc, opts, reserve)?;
        let hex_len = reserve * 2;
        let c_start = contents_at;
        let c_end = contents_at + hex_len + 2;
        let len = out.len();
        let br = [0u64, c_start as u64, c_end as u64, (len - c_end) as u64];
        let br_text = format!("0 {} {} {}", br[1], br[2], br[3]);
        let slot = out.get_mut(br_at..br_at + br_placeholder_len()).ok_or_else(|| PdfError::Structure("internal: byte range slot".into()))?;
        if br_text.len() > slot.len() {
            return Err(PdfError::TooComplex("file too large for the byte range field".into()));
        }
        slot.fill(b' ');
        slot[..br_text.len()].copy_from_slice(br_text.as_bytes());
        let cms = {
            let (a, rest) = out.split_at(c_start);
            let b = rest.get(hex_len + 2..).unwrap_or_default();
            make_cms(&SignedRanges { parts: [a, b] }).map_err(|e| PdfError::Cms(e.into()))?
        };
        if cms.len() > reserve {
            if reserve >= MAX_RESERVE {
                return Err(PdfError::ContentsTooSmall { needed: cms.len(), reserved: reserve });
            }
            reserve = (cms.len() + cms.len() / 4 + 2048).min(MAX_RESERVE);
            if cms.len() > reserve {
                return Err(PdfError::ContentsTooSmall { needed: cms.len(), reserved: reserve });
            }
            continue;
        }
        let hex = hex::encode_upper(&cms);
        out[c_start + 1..c_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        return Ok(SignedPdf { bytes: out, field_name: plan.field_name.clone(), byte_range: br });
    }
    Err(PdfError::ContentsTooSmall { needed: reserve, reserved: reserve })
}

fn br_placeholder_len() -> usize {
    1 + 3 * (BR_DIGITS + 1)
}

/// Everything decided before writing.
struct Plan {
    kind: XrefKind,
    prev: usize,
    first_free: u32,
    root_id: ObjectId,
    page_id: ObjectId,
    field_name: String,
    /// Widget rectangle in default user space.
    rect: [f64; 4],
    appearance: Option<AppearancePlan>,
    /// A certification signature with this DocMDP level.
    certify: Option<MdpLevel>,
    /// The fields this signature locks.
    lock: Option<FieldLock>,
}

enum AppearancePlan {
    Image(Png),
    Stamp { lines: Vec<String>, font: Vec<u8> },
}

impl Plan {
    fn build(doc: &Document, opts: &PadesOptions) -> Result<Plan, PdfError> {
        let kind = match doc.reference_table.cross_reference_type {
            lopdf::xref::XrefType::CrossReferenceStream => XrefKind::Stream,
            lopdf::xref::XrefType::CrossReferenceTable => XrefKind::Table,
        };
        let root_id = match doc.trailer.get(b"Root") {
            Ok(Object::Reference(id)) => *id,
            _ => return Err(PdfError::Structure("the trailer has no /Root reference".into())),
        };
        let catalog = match doc.objects.get(&root_id) {
            Some(Object::Dictionary(d)) => d,
            _ => return Err(PdfError::Structure("the catalog is not a dictionary".into())),
        };
        let first_free = next_object_number(doc)?;
        let pages = doc.get_pages();
        let page_id = *pages.get(&opts.page).ok_or(PdfError::NoSuchPage { page: opts.page, count: pages.len() })?;
        let geometry = PageGeometry::of(doc, page_id)?;

        let existing = field_names(doc, catalog)?;
        let field_name = match &opts.field_name {
            Some(n) if existing.contains(n) => return Err(PdfError::FieldExists(n.clone())),
            Some(n) => n.clone(),
            None => {
                let stem = if opts.document_timestamp { "Timestamp" } else { "Signature" };
                (1..).map(|i| format!("{stem}{i}")).find(|n| !existing.contains(n)).unwrap_or_default()
            }
        };

        if opts.document_timestamp && !matches!(opts.appearance, Appearance::None) {
            return Err(PdfError::Unsupported("a visible appearance for a document timestamp (it is always invisible)".into()));
        }
        let (rect, appearance) = match &opts.appearance {
            Appearance::None => ([0.0; 4], None),
            Appearance::Signature { png } => {
                let img = Png::decode(png)?;
                let r = opts.rect.ok_or(PdfError::MissingRect("signature"))?;
                let rect = place_image(&geometry, &img, r, opts.image_dpi)?;
                (rect, Some(AppearancePlan::Image(img)))
            }
            Appearance::Seal { png } => {
                let img = Png::decode(png)?;
                let rect = match opts.rect {
                    Some(r) => place_image(&geometry, &img, r, opts.image_dpi)?,
                    None => {
                        let person = last_visible_signature(doc, page_id).ok_or(PdfError::NoSignatureToSeal(opts.page))?;
                        let (w, h) = real_size_pt(&img, opts.image_dpi);
                        // The seal covers the left third of the signature image: its right edge at one
                        // third of the signature's width, vertically centred on it.
                        let right = person[0] + (person[2] - person[0]) / 3.0;
                        let cy = (person[1] + person[3]) / 2.0;
                        [right - w, cy - h / 2.0, right, cy + h / 2.0]
                    }
                };
                (rect, Some(AppearancePlan::Image(img)))
            }
            Appearance::Stamp { doc_number } => {
                let font = opts.font.clone().ok_or(PdfError::NoFont)?;
                let lines = vec![doc_number.clone(), stamp_time(opts.signing_time)];
                let mut f = TextFont::parse(&font)?;
                let mut width: f64 = 0.0;
                for l in &lines {
                    width = width.max(f.encode(l, STAMP_PT)?.1);
                }
                let w = width + 2.0 * STAMP_PAD;
                let h = lines.len() as f64 * STAMP_LEAD + 2.0 * STAMP_PAD;
                let rect = match opts.rect {
                    Some(r) => geometry.to_pdf(r.x * MM, r.y * MM, w, h),
                    // Top right of the page: 10 mm from the right edge, 8 mm from the top.
                    None => geometry.to_pdf(geometry.width - 10.0 * MM - w, 8.0 * MM, w, h),
                };
                (rect, Some(AppearancePlan::Stamp { lines, font }))
            }
        };
        check_permissions(doc, catalog, opts, &field_name, appearance.is_some())?;
        if appearance.is_some() {
            if geometry.rotate != 0 {
                return Err(PdfError::RotatedPage(geometry.rotate));
            }
            geometry.check_inside(rect)?;
        }
        Ok(Plan { kind, prev: doc.xref_start, first_free, root_id, page_id, field_name, rect, appearance, certify: opts.certify, lock: opts.lock_fields.clone() })
    }

    /// Writes the update with `reserve` bytes for /Contents. Returns the output, the offset of
    /// the `<` of /Contents and the offset of the /ByteRange slot.
    fn write(&self, pdf: &[u8], doc: &Document, opts: &PadesOptions, reserve: usize) -> Result<(Vec<u8>, usize, usize), PdfError> {
        let mut next = self.first_free;
        let mut alloc = || {
            let id = (next, 0u16);
            next += 1;
            id
        };
        let sig_id = alloc();
        let field_id = alloc();
        let ap_id = alloc();
        let mut objects: Vec<(ObjectId, Object)> = Vec::new();

        // Appearance stream.
        let (w, h) = (self.rect[2] - self.rect[0], self.rect[3] - self.rect[1]);
        let mut resources = Dictionary::new();
        let mut content = Vec::new();
        match &self.appearance {
            None => {}
            Some(AppearancePlan::Image(img)) => {
                let img_id = alloc();
                let smask_id = alloc();
                let (main, smask) = img.objects(smask_id);
                objects.push((img_id, main));
                if let Some(s) = smask {
                    objects.push((smask_id, s));
                }
                let mut xo = Dictionary::new();
                xo.set("Im1", Object::Reference(img_id));
                resources.set("XObject", Object::Dictionary(xo));
                let _ = writeln!(content, "q {} 0 0 {} 0 0 cm /Im1 Do Q", real(w), real(h));
            }
            Some(AppearancePlan::Stamp { lines, font }) => {
                let mut f = TextFont::parse(font)?;
                let _ = writeln!(content, "BT /F1 {} Tf 0 g", real(STAMP_PT));
                for (i, l) in lines.iter().enumerate() {
                    let (cids, _) = f.encode(l, STAMP_PT)?;
                    // Baselines from the top: first line's ascent ≈ 0.9 em below the top padding.
                    let y = h - STAMP_PAD - 0.9 * STAMP_PT - i as f64 * STAMP_LEAD;
                    let _ = writeln!(content, "1 0 0 1 {} {} Tm <{}> Tj", real(STAMP_PAD), real(y), hex::encode_upper(cids));
                }
                content.extend_from_slice(b"ET\n");
                let font_objs = f.into_objects(&mut alloc)?;
                let type0 = font_objs.first().map(|(id, _)| *id).ok_or_else(|| PdfError::Font("no font object".into()))?;
                objects.extend(font_objs);
                let mut fonts = Dictionary::new();
                fonts.set("F1", Object::Reference(type0));
                resources.set("Font", Object::Dictionary(fonts));
            }
        }
        let mut form = Dictionary::new();
        form.set("Type", Object::Name(b"XObject".to_vec()));
        form.set("Subtype", Object::Name(b"Form".to_vec()));
        form.set("BBox", Object::Array(vec![Object::Real(0.0), Object::Real(0.0), Object::Real(w as f32), Object::Real(h as f32)]));
        form.set("Resources", Object::Dictionary(resources));
        let mut ap_stream = Stream::new(form, Vec::new());
        ap_stream.set_plain_content(deflate(&content));
        ap_stream.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        // An invisible widget (an empty /Rect) needs no appearance (ISO 32000-2 §12.7.5.5; PDF/A
        // exempts it too), and an appearance stream would make a document timestamp "form
        // filling" for validators that count appearance streams (pyHanko), which a
        // certification with P=1 forbids.
        if self.appearance.is_some() {
            objects.push((ap_id, Object::Stream(ap_stream)));
        }

        // The merged signature field and widget annotation.
        let mut field = Dictionary::new();
        field.set("Type", Object::Name(b"Annot".to_vec()));
        field.set("Subtype", Object::Name(b"Widget".to_vec()));
        field.set("FT", Object::Name(b"Sig".to_vec()));
        field.set("T", text_string(&self.field_name));
        field.set("V", Object::Reference(sig_id));
        field.set("F", Object::Integer(132)); // Print + Locked
        field.set("P", Object::Reference(self.page_id));
        field.set("Rect", Object::Array(self.rect.iter().map(|v| Object::Real(*v as f32)).collect()));
        if self.appearance.is_some() {
            let mut ap = Dictionary::new();
            ap.set("N", Object::Reference(ap_id));
            field.set("AP", Object::Dictionary(ap));
        }
        if let Some(lock) = &self.lock {
            // ISO 32000-1 §12.7.4.5 Table 233: the field's lock dictionary, mirrored by the
            // FieldMDP transform in the signature dictionary.
            let mut l = lock_dict(lock);
            l.set("Type", Object::Name(b"SigFieldLock".to_vec()));
            field.set("Lock", Object::Dictionary(l));
        }
        objects.push((field_id, Object::Dictionary(field)));

        // The page's /Annots.
        let page = match doc.objects.get(&self.page_id) {
            Some(Object::Dictionary(d)) => d,
            _ => return Err(PdfError::Structure("the page is not a dictionary".into())),
        };
        match append_ref(doc, page.get(b"Annots"), field_id) {
            Extended::InPlace(arr_id, arr) => objects.push((arr_id, Object::Array(arr))),
            Extended::Inline(arr) => {
                let mut p = page.clone();
                p.set("Annots", Object::Array(arr));
                objects.push((self.page_id, Object::Dictionary(p)));
            }
        }

        // /AcroForm /Fields (its own object; the catalog is rewritten only on the first signature).
        let catalog = match doc.objects.get(&self.root_id) {
            Some(Object::Dictionary(d)) => d,
            _ => return Err(PdfError::Structure("the catalog is not a dictionary".into())),
        };
        let (form_id, mut acroform, mut rewrite_catalog) = catalog_entry_object(doc, catalog, b"AcroForm", &mut alloc);
        match append_ref(doc, acroform.get(b"Fields"), field_id) {
            Extended::InPlace(arr_id, arr) => objects.push((arr_id, Object::Array(arr))),
            Extended::Inline(arr) => acroform.set("Fields", Object::Array(arr)),
        }
        acroform.set("SigFlags", Object::Integer(3)); // SignaturesExist + AppendOnly
        objects.push((form_id, Object::Dictionary(acroform)));
        let mut c = catalog.clone();
        if self.certify.is_some() {
            // ISO 32000-1 §12.8.4: the catalog's /Perms /DocMDP names the certification signature.
            let mut perms = match dict_get(doc, catalog, b"Perms") {
                Some(Object::Dictionary(d)) => d.clone(),
                _ => Dictionary::new(),
            };
            perms.set("DocMDP", Object::Reference(sig_id));
            c.set("Perms", Object::Dictionary(perms));
            rewrite_catalog = true;
        }
        if rewrite_catalog {
            c.set("AcroForm", Object::Reference(form_id));
            objects.push((self.root_id, Object::Dictionary(c)));
        }

        // Write: the signature dictionary first, by hand, to know where its slots are.
        let mut up = Update::new(pdf);
        up.begin(sig_id);
        if opts.document_timestamp {
            // ISO 32000-2 §12.8.5: the time is the token's; no /M, /Name, /Reason, /Location.
            up.buf.extend_from_slice(b"<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161");
        } else {
            up.buf.extend_from_slice(b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M");
            write_object(&mut up.buf, &Object::String(pdf_date(opts.signing_time).into_bytes(), StringFormat::Literal));
        }
        let claims = [("Name", &opts.signer_name), ("Reason", &opts.reason), ("Location", &opts.location)];
        for (key, value) in claims.iter().filter(|_| !opts.document_timestamp) {
            if let Some(v) = value {
                up.buf.push(b'/');
                up.buf.extend_from_slice(key.as_bytes());
                write_object(&mut up.buf, &text_string(v));
            }
        }
        // The permissions this signature sets (ISO 32000-1 §12.8.1 Table 253, signature
        // reference dictionaries), written as pyHanko and Acrobat write them.
        let mut references = Vec::new();
        if let Some(level) = self.certify {
            let mut tp = Dictionary::new();
            tp.set("Type", Object::Name(b"TransformParams".to_vec()));
            tp.set("P", Object::Integer(i64::from(level.p())));
            tp.set("V", Object::Name(b"1.2".to_vec()));
            let mut r = Dictionary::new();
            r.set("Type", Object::Name(b"SigRef".to_vec()));
            r.set("TransformMethod", Object::Name(b"DocMDP".to_vec()));
            r.set("TransformParams", Object::Dictionary(tp));
            references.push(Object::Dictionary(r));
        }
        if let Some(lock) = &self.lock {
            let mut tp = lock_dict(lock);
            tp.set("Type", Object::Name(b"TransformParams".to_vec()));
            tp.set("V", Object::Name(b"1.2".to_vec()));
            let mut r = Dictionary::new();
            r.set("Type", Object::Name(b"SigRef".to_vec()));
            r.set("TransformMethod", Object::Name(b"FieldMDP".to_vec()));
            r.set("Data", Object::Reference(self.root_id));
            r.set("TransformParams", Object::Dictionary(tp));
            references.push(Object::Dictionary(r));
        }
        if !references.is_empty() {
            up.buf.extend_from_slice(b"/Reference");
            write_object(&mut up.buf, &Object::Array(references));
        }
        up.buf.extend_from_slice(b"/ByteRange[");
        let br_at = up.buf.len();
        up.buf.extend(std::iter::repeat_n(b' ', br_placeholder_len()));
        up.buf.extend_from_slice(b"]/Contents");
        let contents_at = up.buf.len();
        up.buf.push(b'<');
        up.buf.extend(std::iter::repeat_n(b'0', reserve * 2));
        up.buf.extend_from_slice(b">>>");
        up.end();
        for (id, obj) in &objects {
            up.object(*id, obj);
        }
        let trailer = update_trailer(doc, pdf, self.root_id);
        let xref_id = next;
        let out = up.finish(self.kind, trailer, xref_id, self.prev);
        Ok((out, contents_at, br_at))
    }
}

const STAMP_PT: f64 = 10.0;
const STAMP_LEAD: f64 = 12.0;
const STAMP_PAD: f64 = 2.0;

/// An array with a reference appended, and where it must be written.
enum Extended {
    /// The array is its own object (`id`): rewrite that object, not its owner.
    InPlace(ObjectId, Vec<Object>),
    /// The array goes inline into the owner, which must be rewritten.
    Inline(Vec<Object>),
}

/// `entry` (a dictionary's /Annots or /Fields: an array, a reference to an array object, or
/// absent) with a reference to `item` appended. Only a reference that resolves to an array is
/// extended in place; anything else (absent, not an array, a dangling reference or one to another
/// kind of object) becomes a new inline array, so that an unrelated object is never overwritten.
fn append_ref(doc: &Document, entry: Result<&Object, lopdf::Error>, item: ObjectId) -> Extended {
    match entry {
        Ok(Object::Reference(id)) => match doc.objects.get(id) {
            Some(Object::Array(a)) => Extended::InPlace(*id, [a.as_slice(), &[Object::Reference(item)]].concat()),
            _ => Extended::Inline(vec![Object::Reference(item)]),
        },
        Ok(Object::Array(a)) => Extended::Inline([a.as_slice(), &[Object::Reference(item)]].concat()),
        _ => Extended::Inline(vec![Object::Reference(item)]),
    }
}

/// The stamp's signing time: ISO 8601 in Vietnam's time zone (Decree 30: date, h:m:s, +07:00).
fn stamp_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(crate::util::VIETNAM);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+07:00", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

/// `D:YYYYMMDDHHmmSS+07'00'` in the time's own offset.
fn pdf_date(t: time::OffsetDateTime) -> String {
    let off = t.offset();
    let (h, m, _) = off.as_hms();
    let sign = if off.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        sign,
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// The visible page area (CropBox, else MediaBox, with inheritance).
struct PageGeometry {
    bx: [f64; 4],
    width: f64,
    /// /Rotate in degrees, normalised to 0, 90, 180 or 270.
    rotate: i64,
}

impl PageGeometry {
    fn of(doc: &Document, page_id: ObjectId) -> Result<PageGeometry, PdfError> {
        let mut media = None;
        let mut crop = None;
        let mut rotate = None;
        let mut cur = Some(page_id);
        for _ in 0..MAX_DEPTH {
            let Some(id) = cur else { break };
            let Some(Object::Dictionary(d)) = doc.objects.get(&id) else { break };
            if media.is_none() {
                media = d.get(b"MediaBox").ok().and_then(|o| rect_of(doc, o));
            }
            if crop.is_none() {
                crop = d.get(b"CropBox").ok().and_then(|o| rect_of(doc, o));
            }
            if rotate.is_none() {
                rotate = d.get(b"Rotate").ok().and_then(|o| num(deref(doc, o)));
            }
            cur = match d.get(b"Parent") {
                Ok(Object::Reference(p)) => Some(*p),
                _ => None,
            };
        }
        // A page without a MediaBox is invalid; readers assume US Letter... use A4, the Vietnamese norm.
        let media = media.unwrap_or([0.0, 0.0, 595.276, 841.89]);
        let bx = match crop {
            Some(c) => [c[0].max(media[0]), c[1].max(media[1]), c[2].min(media[2]), c[3].min(media[3])],
            None => media,
        };
        if bx[2] - bx[0] < 1.0 || bx[3] - bx[1] < 1.0 {
            return Err(PdfError::Structure("the page has an empty MediaBox/CropBox".into()));
        }
        let rotate = (rotate.unwrap_or(0.0) as i64).rem_euclid(360);
        Ok(PageGeometry { bx, width: bx[2] - bx[0], rotate })
    }

    /// A rectangle given in points from the top-left → PDF coordinates.
    fn to_pdf(&self, x: f64, y: f64, w: f64, h: f64) -> [f64; 4] {
        let x0 = self.bx[0] + x;
        let y1 = self.bx[3] - y;
        [x0, y1 - h, x0 + w, y1]
    }

    fn check_inside(&self, r: [f64; 4]) -> Result<(), PdfError> {
        let eps = 0.5;
        if r[0] < self.bx[0] - eps || r[1] < self.bx[1] - eps || r[2] > self.bx[2] + eps || r[3] > self.bx[3] + eps {
            return Err(PdfError::BadRect(format!(
                "the appearance [{:.1} {:.1} {:.1} {:.1}] pt is not inside the page [{:.1} {:.1} {:.1} {:.1}]",
                r[0], r[1], r[2], r[3], self.bx[0], self.bx[1], self.bx[2], self.bx[3]
            )));
        }
        Ok(())
    }
}

fn real_size_pt(img: &Png, dpi: f64) -> (f64, f64) {
    match img.size_mm {
        Some((w, h)) => (w * MM, h * MM),
        None => {
            let dpi = if dpi.is_finite() && dpi > 1.0 { dpi } else { 300.0 };
            (f64::from(img.width) * 72.0 / dpi, f64::from(img.height) * 72.0 / dpi)
        }
    }
}

/// The image fitted (aspect kept, centred) into `r`; `w`/`h` zero → real size at (x, y).
fn place_image(g: &PageGeometry, img: &Png, r: MmRect, dpi: f64) -> Result<[f64; 4], PdfError> {
    let (iw, ih) = real_size_pt(img, dpi);
    if r.w <= 0.0 || r.h <= 0.0 {
        return Ok(g.to_pdf(r.x * MM, r.y * MM, iw, ih));
    }
    let (bw, bh) = (r.w * MM, r.h * MM);
    let scale = (bw / iw).min(bh / ih);
    let (w, h) = (iw * scale, ih * scale);
    Ok(g.to_pdf(r.x * MM + (bw - w) / 2.0, r.y * MM + (bh - h) / 2.0, w, h))
}

/// The rectangle of the last visible signature widget on the page (in /Annots order).
fn last_visible_signature(doc: &Document, page_id: ObjectId) -> Option<[f64; 4]> {
    let page = match doc.objects.get(&page_id) {
        Some(Object::Dictionary(d)) => d,
        _ => return None,
    };
    let annots = match dict_get(doc, page, b"Annots") {
        Some(Object::Array(a)) => a,
        _ => return None,
    };
    annots
        .iter()
        .take(MAX_FIELDS)
        .rev()
        .filter_map(|a| match deref(doc, a) {
            Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .filter(|d| is_sig_field(doc, d))
        .filter_map(|d| d.get(b"Rect").ok().and_then(|r| rect_of(doc, r)))
        .find(|r| r[2] - r[0] > 1.0 && r[3] - r[1] > 1.0)
}

/// Fully qualified names of the document's form fields.
fn field_names(doc: &Document, catalog: &Dictionary) -> Result<BTreeSet<String>, PdfError> {
    let mut names = BTreeSet::new();
    super::extract::walk_fields(doc, catalog, |name, _, _| {
        if !name.is_empty() {
            names.insert(name.to_string());
        }
    })?;
    Ok(names)
}

/// /Action and /Fields of a FieldMDP transform or lock dictionary.
fn lock_dict(lock: &FieldLock) -> Dictionary {
    let mut d = Dictionary::new();
    let (action, fields): (&[u8], &[String]) = match lock {
        FieldLock::All => (b"All", &[]),
        FieldLock::Include(f) => (b"Include", f),
        FieldLock::Exclude(f) => (b"Exclude", f),
    };
    d.set("Action", Object::Name(action.to_vec()));
    if !matches!(lock, FieldLock::All) {
        d.set("Fields", Object::Array(fields.iter().map(|f| text_string(f)).collect()));
    }
    d
}

/// The DocMDP level of a signature dictionary's /Reference, if it certifies.
fn docmdp_of(doc: &Document, sig: &Dictionary) -> Option<MdpLevel> {
    let Some(Object::Array(refs)) = dict_get(doc, sig, b"Reference") else { return None };
    refs.iter().take(16).find_map(|r| {
        let Object::Dictionary(r) = deref(doc, r) else { return None };
        if !matches!(dict_get(doc, r, b"TransformMethod"), Some(Object::Name(m)) if m == b"DocMDP") {
            return None;
        }
        let p = match dict_get(doc, r, b"TransformParams") {
            Some(Object::Dictionary(tp)) => dict_get(doc, tp, b"P").and_then(num),
            _ => None,
        };
        // ISO 32000-1 Table 254: /P defaults to 2; an unknown value is the strictest.
        Some(MdpLevel::from_p(p.unwrap_or(2.0) as i64).unwrap_or(MdpLevel::NoChanges))
    })
}

/// The fields a FieldMDP transform or a /Lock dictionary locks.
fn lock_of(doc: &Document, d: &Dictionary) -> Option<FieldLock> {
    let names = || -> Vec<String> {
        match dict_get(doc, d, b"Fields") {
            Some(Object::Array(a)) => a.iter().take(MAX_FIELDS).filter_map(|o| match deref(doc, o) {
                Object::String(s, _) => Some(decode_text(s)),
                _ => None,
            }).collect(),
            _ => Vec::new(),
        }
    };
    match dict_get(doc, d, b"Action") {
        Some(Object::Name(a)) if a == b"Include" => Some(FieldLock::Include(names())),
        Some(Object::Name(a)) if a == b"Exclude" => Some(FieldLock::Exclude(names())),
        Some(Object::Name(_)) => Some(FieldLock::All),
        _ => None,
    }
}

/// Refuses a signature the document's permissions forbid, as kyso's difference analysis (and
/// pyHanko's) would judge it afterwards: after a certification with P = 1 only a document
/// timestamp; after any certification no visible signature field; no signature in a field an
/// earlier signature locks (an invisible document timestamp excepted). A certification
/// signature must be the document's first signature (ISO 32000-1 §12.8.2.2).
fn check_permissions(doc: &Document, catalog: &Dictionary, opts: &PadesOptions, field: &str, visible: bool) -> Result<(), PdfError> {
    if let Some(Object::Dictionary(perms)) = dict_get(doc, catalog, b"Perms") {
        if let Some(Object::Dictionary(sig)) = dict_get(doc, perms, b"DocMDP") {
            match docmdp_of(doc, sig) {
                Some(MdpLevel::NoChanges) if !opts.document_timestamp => return Err(PdfError::ChangesForbidden),
                Some(_) if visible => return Err(PdfError::VisibleSignatureForbidden),
                _ => {}
            }
        }
    }
    let mut signed = Vec::new();
    super::extract::walk_fields(doc, catalog, |name, _, d| {
        if is_sig_field(doc, d) {
            if let Some(Object::Dictionary(v)) = dict_get(doc, d, b"V") {
                signed.push((name.to_string(), d, v));
            }
        }
    })?;
    if opts.certify.is_some() {
        if opts.document_timestamp {
            return Err(PdfError::Unsupported("a certifying document timestamp".into()));
        }
        if !signed.is_empty() {
            return Err(PdfError::CertificationNotFirst);
        }
    }
    let counts = visible || !opts.document_timestamp;
    for (name, fd, v) in signed {
        let from_sig = match dict_get(doc, v, b"Reference") {
            Some(Object::Array(refs)) => refs.iter().take(16).find_map(|r| match deref(doc, r) {
                Object::Dictionary(r) if matches!(dict_get(doc, r, b"TransformMethod"), Some(Object::Name(m)) if m == b"FieldMDP") => {
                    match dict_get(doc, r, b"TransformParams") {
                        Some(Object::Dictionary(tp)) => lock_of(doc, tp),
                        _ => None,
                    }
                }
                _ => None,
            }),
            _ => None,
        };
        let lock = from_sig.or_else(|| match dict_get(doc, fd, b"Lock") {
            Some(Object::Dictionary(l)) => lock_of(doc, l),
            _ => None,
        });
        if counts && lock.is_some_and(|l| l.locks(field)) {
            return Err(PdfError::LockedBy(name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_date_keeps_the_offset() {
        assert_eq!(pdf_date(time::macros::datetime!(2026-11-30 06:30:27 +07:00)), "D:20261130063027+07'00'");
        assert_eq!(pdf_date(time::macros::datetime!(2026-11-30 06:30:27 -03:30)), "D:20261130063027-03'30'");
    }

    #[test]
    fn stamp_time_is_shown_at_plus_seven() {
        assert_eq!(stamp_time(time::macros::datetime!(2026-11-29 23:30:27 UTC)), "2026-11-30T06:30:27+07:00");
        assert_eq!(stamp_time(time::macros::datetime!(2026-11-30 06:30:27 +07:00)), "2026-11-30T06:30:27+07:00");
    }

}
