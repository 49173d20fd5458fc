//! PAdES signatures in PDF documents: signing as an incremental update with the appearances of
//! Decree 30/2020 (Appendix I), and extracting the signatures of a PDF for verification.
//!
//! - [`sign()`] appends one PAdES-B-B signature (SubFilter `ETSI.CAdES.detached`) to a PDF as an
//!   incremental update, so that earlier signatures stay valid. The CMS itself is produced by the
//!   caller's closure over the signed byte ranges ([`SignedRanges`]): this module knows PDF, not CMS.
//!   [`PadesOptions::certify`] makes it a certification signature (DocMDP) and
//!   [`PadesOptions::lock_fields`] locks form fields (FieldMDP); signing refuses what the
//!   document's own permissions forbid.
//! - [`signatures`] lists the signature fields of a PDF with their byte ranges, the revision each
//!   signs, whether it covers the whole file, what each later revision did and whether that is
//!   allowed ([`Modifications`], [`PdfSignature::later_revisions`]), and the signature's
//!   permissions and their violations. It does **not** check the CMS (that is the verification
//!   core's job).
//!
//! What changed after a signature is judged by a difference analysis per revision (module
//! `diff`, after pyHanko's): the roles objects play in the signed revision (pages, content,
//! annotations, form fields, signatures, appearance streams, /DSS, metadata) decide which
//! changes later revisions may make; anything else is named and makes the signature
//! INDETERMINATE. Its work is linear in the file's size, with a budget.
//!
//! Parsing is done by `lopdf` (the final document) and, for every earlier version of each object,
//! by the analysis's own reader, which never repairs; lopdf's panics on hostile input are caught
//! as a last resort ([`PdfError::ParserPanicked`]), see `load`.
//!
//! ```no_run
//! # fn demo(pdf: &[u8]) -> Result<(), kyso::pdf::PdfError> {
//! use kyso::pdf::{sign, PadesOptions, Appearance};
//! let time = time::macros::datetime!(2026-11-30 06:30:27 +07:00);
//! let opts = PadesOptions::new(time, Appearance::None);
//! let signed = sign(pdf, &opts, |ranges| -> Result<Vec<u8>, std::io::Error> {
//!     let _digest = ranges.digest(kyso::DigestAlgorithm::Sha256);
//!     Ok(vec![0x30, 0x00]) // a real caller returns CMS SignedData DER here
//! })?;
//! # let _ = signed; Ok(()) }
//! ```

mod diff;
mod dss;
mod extract;
mod font;
mod image;
mod sign;
mod write;

pub use dss::{add_dss, add_dss_with, document_security_store, Dss, DssItems, DssUpdate, MAX_DSS_ENTRIES, MAX_DSS_STREAM_BYTES};
#[cfg(feature = "verify")]
pub(crate) use extract::signatures_and_dss;
pub use crate::findings::PdfEncryption;
pub use diff::Modifications;
pub use extract::{signatures, ByteRangeProblem, PdfSignature};
pub use sign::sign;

pub use crate::findings::{FieldLock, MdpLevel};
use crate::DigestAlgorithm;
use std::path::PathBuf;

/// Errors of PDF signing and signature extraction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The input is not a PDF that can be read.
    #[error("not a readable PDF: {0}")]
    Parse(String),
    /// The PDF parser panicked on this input (caught; the input is malformed).
    #[error("not a readable PDF: the PDF parser failed on malformed input")]
    ParserPanicked,
    /// The PDF is encrypted: kyso signs only unencrypted PDFs (verification reads encrypted ones
    /// without decrypting them, see [`PdfEncryption`]; this error then means their structure
    /// cannot be read at all).
    #[error("the PDF is encrypted; kyso signs only unencrypted PDFs (an encrypted PDF's existing signatures can still be verified)")]
    Encrypted,
    /// The cross-reference data is damaged; an incremental update would build on a broken file.
    #[error("the PDF's cross-reference table is damaged; repair the file first (e.g. `qpdf in.pdf out.pdf`)")]
    DamagedXref,
    /// The document structure is not what a PDF must have (catalog, pages, …).
    #[error("invalid PDF structure: {0}")]
    Structure(String),
    /// The requested page does not exist.
    #[error("page {page} does not exist: the document has {count} page(s)")]
    NoSuchPage {
        /// Requested page (1-based).
        page: u32,
        /// Number of pages in the document.
        count: usize,
    },
    /// A certification signature (DocMDP, P=1) forbids any change to the document.
    #[error("the document carries a certification signature that forbids any change (DocMDP P=1)")]
    ChangesForbidden,
    /// A certification signature (DocMDP P=2 or 3) allows no new visible signature field.
    #[error("the document carries a certification signature that allows new signatures only without a visible appearance")]
    VisibleSignatureForbidden,
    /// The signature in this field locks the field a new signature would use.
    #[error("the signature in field {0:?} locks form fields: a new signature would break it")]
    LockedBy(String),
    /// A certification signature must be the document's first signature.
    #[error("a certification signature must be the document's first signature, and this document is already signed")]
    CertificationNotFirst,
    /// The appearance needs a rectangle ([`PadesOptions::rect`]).
    #[error("the {0} appearance needs a position (a rectangle in millimetres from the page's top-left)")]
    MissingRect(&'static str),
    /// A seal without a rectangle is placed over the person's signature, and there is none.
    #[error("no visible signature on page {0} for the seal to overlap; give the seal a position")]
    NoSignatureToSeal(u32),
    /// The rectangle is not usable (negative, empty, off the page).
    #[error("invalid rectangle: {0}")]
    BadRect(String),
    /// The signature or seal image cannot be used.
    #[error("image: {0}")]
    Image(String),
    /// The font cannot be used.
    #[error("font: {0}")]
    Font(String),
    /// The font has no glyph for a character of the text.
    #[error("font: the font has no glyph for {0:?}; use a font with full Vietnamese coverage (Liberation Serif 2.x, DejaVu Serif)")]
    FontMissingGlyph(char),
    /// Text must be drawn and no font was given.
    #[error("no font available for the appearance text: install Liberation Serif 2.x (Debian: fonts-liberation2) or give a TrueType font")]
    NoFont,
    /// The field name is already used in the document.
    #[error("a form field named {0:?} already exists")]
    FieldExists(String),
    /// The CMS does not fit in the space reserved for /Contents even after one retry.
    #[error("the CMS signature ({needed} bytes) does not fit in the {reserved} bytes reserved in /Contents")]
    ContentsTooSmall {
        /// Size of the CMS.
        needed: usize,
        /// Space reserved.
        reserved: usize,
    },
    /// The caller's CMS producer failed.
    #[error("producing the CMS signature failed: {0}")]
    Cms(Box<dyn std::error::Error + Send + Sync>),
    /// A visible appearance on a rotated page (kyso does not draw rotated appearances yet).
    #[error("not supported: visible appearances on rotated pages (/Rotate {0}); sign without an appearance or on another page")]
    RotatedPage(i64),
    /// Something kyso does not do (yet), named.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A budget on attacker-controlled structure was exceeded.
    #[error("PDF too complex: {0}")]
    TooComplex(String),
}

/// A rectangle in millimetres measured from the top-left corner of the page (as the user sees it
/// on an unrotated page). `w` or `h` zero means "the image's real size" for images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmRect {
    /// Distance from the page's left edge.
    pub x: f64,
    /// Distance from the page's top edge.
    pub y: f64,
    /// Width (0: real size of the image).
    pub w: f64,
    /// Height (0: real size of the image).
    pub h: f64,
}

impl std::str::FromStr for MmRect {
    type Err = String;
    /// Parses `X,Y,W,H` or `X,Y` (millimetres).
    fn from_str(s: &str) -> Result<MmRect, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>().map_err(|_| format!("{p:?} is not a number")))
            .collect::<Result<_, _>>()?;
        let r = match v.as_slice() {
            [x, y] => MmRect { x: *x, y: *y, w: 0.0, h: 0.0 },
            [x, y, w, h] => MmRect { x: *x, y: *y, w: *w, h: *h },
            _ => return Err("expected X,Y,W,H or X,Y in millimetres".into()),
        };
        if [r.x, r.y, r.w, r.h].iter().any(|v| !v.is_finite() || *v < 0.0 || *v > 10_000.0) {
            return Err("values must be between 0 and 10000 mm".into());
        }
        Ok(r)
    }
}

/// What the signature looks like on the page (Decree 30/2020, Appendix I).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Appearance {
    /// No visible appearance (the widget has an empty rectangle).
    None,
    /// The competent person's signature image (PNG, transparency kept), fitted into the rectangle.
    Signature {
        /// PNG bytes.
        png: Vec<u8>,
    },
    /// The agency's seal image (PNG) at its real size; without a rectangle it covers about one
    /// third of the last visible signature on the page, on its left.
    Seal {
        /// PNG bytes.
        png: Vec<u8>,
    },
    /// No image: the document's number and symbol and the signing time (+07:00), 10 pt, at the
    /// top right of the page (for attachments in separate files).
    Stamp {
        /// The document's number and symbol, e.g. "Số: 123/UBND-VP".
        doc_number: String,
    },
}

/// Options of one PAdES signature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PadesOptions {
    /// The appearance.
    pub appearance: Appearance,
    /// Page (1-based) of the widget.
    pub page: u32,
    /// Position in millimetres from the page's top-left.
    pub rect: Option<MmRect>,
    /// Signing time, written in /M and in the stamp text (shown at +07:00).
    pub signing_time: time::OffsetDateTime,
    /// TrueType font bytes for text (the stamp); see [`default_font_path`].
    pub font: Option<Vec<u8>>,
    /// Field name; default `SignatureN` with the first unused N.
    pub field_name: Option<String>,
    /// /Reason of the signature dictionary.
    pub reason: Option<String>,
    /// /Location of the signature dictionary.
    pub location: Option<String>,
    /// /Name of the signature dictionary (the signer's name, informative).
    pub signer_name: Option<String>,
    /// Bytes reserved for the CMS in /Contents (enlarged once automatically if too small).
    pub contents_reserve: usize,
    /// Resolution assumed for PNGs without a pHYs chunk.
    pub image_dpi: f64,
    /// Write a document timestamp instead of a signature (/Type /DocTimeStamp, /SubFilter
    /// ETSI.RFC3161, no /M, invisible): the producer returns an RFC 3161 TimeStampToken whose
    /// imprint is the digest of the signed ranges. Default field name `TimestampN`.
    pub document_timestamp: bool,
    /// Make a certification signature (DocMDP, ISO 32000-1 §12.8.2.2) with this level: the
    /// document's first signature, saying what later revisions may do (P=1 nothing but document
    /// timestamps and validation data, P=2 form filling and signing, P=3 also annotations).
    pub certify: Option<MdpLevel>,
    /// Lock these form fields once signed (FieldMDP, ISO 32000-1 §12.8.2.4, with the field's
    /// /Lock): later revisions may not change them.
    pub lock_fields: Option<FieldLock>,
}

impl PadesOptions {
    /// Options with defaults: page 1, no rectangle, 16 KiB reserved for the CMS, 300 dpi.
    pub fn new(signing_time: time::OffsetDateTime, appearance: Appearance) -> PadesOptions {
        PadesOptions {
            appearance,
            page: 1,
            rect: None,
            signing_time,
            font: None,
            field_name: None,
            reason: None,
            location: None,
            signer_name: None,
            contents_reserve: 16 * 1024,
            image_dpi: 300.0,
            document_timestamp: false,
            certify: None,
            lock_fields: None,
        }
    }
}

/// The result of [`sign()`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedPdf {
    /// The whole signed PDF (original bytes + the incremental update).
    pub bytes: Vec<u8>,
    /// The signature field's name.
    pub field_name: String,
    /// The /ByteRange written.
    pub byte_range: [u64; 4],
}

/// The bytes a PDF signature signs: the file minus the /Contents hex string, in two parts.
#[derive(Debug, Clone, Copy)]
pub struct SignedRanges<'a> {
    parts: [&'a [u8]; 2],
}

impl<'a> SignedRanges<'a> {
    /// The two signed parts, in order.
    pub fn parts(&self) -> [&'a [u8]; 2] {
        self.parts
    }
    /// Total number of signed bytes.
    pub fn len(&self) -> usize {
        self.parts[0].len() + self.parts[1].len()
    }
    /// True when nothing is signed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A reader over the signed bytes.
    pub fn reader(&self) -> impl std::io::Read + 'a {
        std::io::Read::chain(self.parts[0], self.parts[1])
    }
    /// The signed bytes, copied into one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.parts[0]);
        v.extend_from_slice(self.parts[1]);
        v
    }
    /// The digest of the signed bytes.
    pub fn digest(&self, alg: DigestAlgorithm) -> Vec<u8> {
        let mut ctx = crate::alg::Hasher::new(alg);
        ctx.update(self.parts[0]);
        ctx.update(self.parts[1]);
        ctx.finish()
    }
}

/// Where the default appearance font (Liberation Serif 2.x) is installed, if it is. Liberation
/// 1.x (Debian `fonts-liberation`) is not used: it lacks many Vietnamese glyphs.
pub fn default_font_path() -> Option<PathBuf> {
    [
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/liberation-serif/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation-serif/LiberationSerif-Regular.ttf",
        "/usr/local/share/fonts/LiberationSerif-Regular.ttf",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Loads a PDF with lopdf.
///
/// Last resort: lopdf is a large parser that has panicked on crafted files in the past; a panic
/// on one hostile PDF must not abort a batch, so it is caught here and reported as
/// [`PdfError::ParserPanicked`] (the default panic hook still prints its message on stderr).
/// Stream decompression while loading is bounded by lopdf's 256 MiB per-stream default.
pub(crate) fn load(pdf: &[u8]) -> Result<lopdf::Document, PdfError> {
    if !pdf.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(PdfError::Parse("no %PDF- header in the first kilobyte".into()));
    }
    let res = std::panic::catch_unwind(|| lopdf::Document::load_mem_with_options(pdf, lopdf::LoadOptions::default()));
    let doc = match res {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => {
            if mentions_encrypt(pdf) {
                return Err(PdfError::Encrypted);
            }
            return Err(PdfError::Parse(e.to_string()));
        }
        Err(_) => return Err(PdfError::ParserPanicked),
    };
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() || doc.was_encrypted() || doc.is_encrypted() {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

/// Loads a PDF for verification, encrypted or not (see [`PdfEncryption`]). Signing still
/// refuses encrypted files ([`load`]).
pub(crate) fn load_for_verification(pdf: &[u8]) -> Result<(lopdf::Document, PdfEncryption), PdfError> {
    match load(pdf) {
        Err(PdfError::Encrypted) => {}
        other => return other.map(|d| (d, PdfEncryption::None)),
    }
    let res = std::panic::catch_unwind(|| lopdf::Document::load_mem_with_options(pdf, lopdf::LoadOptions::default()));
    if let Ok(Ok(doc)) = res {
        // lopdf decrypts with the empty user password when that opens the file; it then drops
        // /Encrypt from the trailer and keeps the state.
        if doc.encryption_state.is_some() && !doc.trailer.has(b"Encrypt") {
            return Ok((doc, PdfEncryption::EmptyUserPassword));
        }
    }
    let view = without_encrypt_entry(pdf).ok_or(PdfError::Encrypted)?;
    match load(&view) {
        Ok(doc) => Ok((doc, PdfEncryption::Opaque)),
        Err(_) => Err(PdfError::Encrypted),
    }
}

/// The file with every `/Encrypt N G R` entry (trailer, cross-reference stream dictionaries)
/// overwritten by spaces of the same length, so that a parser reads its structure as it is
/// written — strings and streams left encrypted — and every byte offset stays the same. `None`
/// when there is no such entry (e.g. a direct /Encrypt dictionary).
pub(crate) fn without_encrypt_entry(pdf: &[u8]) -> Option<Vec<u8>> {
    let mut out = pdf.to_vec();
    let mut found = false;
    let mut i = 0;
    while let Some(off) = pdf.get(i..).and_then(|h| h.windows(8).position(|w| w == b"/Encrypt")) {
        let start = i + off;
        let mut j = start + 8;
        let mut parts = 0;
        // `/Encrypt` whitespace number whitespace number whitespace `R`
        loop {
            while pdf.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            if parts == 2 {
                break;
            }
            let d0 = j;
            while pdf.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j == d0 {
                break;
            }
            parts += 1;
        }
        if parts == 2 && pdf.get(j) == Some(&b'R') {
            for b in out.get_mut(start..=j).into_iter().flatten() {
                *b = b' ';
            }
            found = true;
        }
        i = start + 8;
    }
    found.then_some(out)
}

fn mentions_encrypt(pdf: &[u8]) -> bool {
    pdf.windows(8).any(|w| w == b"/Encrypt")
}

/// Follows references (at most a few hops: a chain of references to references is not
/// meaningful PDF and could loop).
pub(crate) fn deref<'a>(doc: &'a lopdf::Document, mut o: &'a lopdf::Object) -> &'a lopdf::Object {
    for _ in 0..8 {
        match o {
            lopdf::Object::Reference(id) => match doc.objects.get(id) {
                Some(t) => o = t,
                None => return &lopdf::Object::Null,
            },
            _ => return o,
        }
    }
    &lopdf::Object::Null
}

/// A dictionary entry, dereferenced.
pub(crate) fn dict_get<'a>(doc: &'a lopdf::Document, d: &'a lopdf::Dictionary, key: &[u8]) -> Option<&'a lopdf::Object> {
    d.get(key).ok().map(|o| deref(doc, o)).filter(|o| !matches!(o, lopdf::Object::Null))
}

/// A number as f64.
pub(crate) fn num(o: &lopdf::Object) -> Option<f64> {
    match o {
        lopdf::Object::Integer(i) => Some(*i as f64),
        lopdf::Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// A rectangle [x0 y0 x1 y1], normalised.
pub(crate) fn rect_of(doc: &lopdf::Document, o: &lopdf::Object) -> Option<[f64; 4]> {
    match deref(doc, o) {
        lopdf::Object::Array(a) if a.len() == 4 => {
            let v: Vec<f64> = a.iter().filter_map(|o| num(deref(doc, o))).collect();
            match v.as_slice() {
                [a, b, c, d] => Some([a.min(*c), b.min(*d), a.max(*c), b.max(*d)]),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Parents followed up a field's /Parent chain for an inherited /FT: real forms nest a few
/// levels; 32 bounds a hostile loop.
const MAX_FIELD_DEPTH: usize = 32;

/// A field (or widget) whose field type, possibly inherited, is /Sig.
pub(crate) fn is_sig_field(doc: &lopdf::Document, d: &lopdf::Dictionary) -> bool {
    let mut cur = d;
    for _ in 0..MAX_FIELD_DEPTH {
        if let Ok(lopdf::Object::Name(n)) = cur.get(b"FT") {
            return n == b"Sig";
        }
        match dict_get(doc, cur, b"Parent") {
            Some(lopdf::Object::Dictionary(p)) => cur = p,
            _ => return false,
        }
    }
    false
}

/// A PDF text string: UTF-16BE with a BOM, else PDFDocEncoding (read as Latin-1, which agrees on
/// the printable ASCII range that field names use).
pub(crate) fn decode_text(s: &[u8]) -> String {
    if let Some(rest) = s.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = s.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        s.iter().map(|&b| char::from(b)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_text_reads_utf16_and_latin1() {
        assert_eq!(decode_text(&[0xFE, 0xFF, 0, b'K', 0, 0xFD]), "Ký");
        assert_eq!(decode_text(b"Signature1"), "Signature1");
    }


    #[test]
    fn rect_parses_two_or_four_numbers() {
        assert_eq!("10,20,30,40".parse::<MmRect>(), Ok(MmRect { x: 10.0, y: 20.0, w: 30.0, h: 40.0 }));
        assert_eq!("10, 20".parse::<MmRect>(), Ok(MmRect { x: 10.0, y: 20.0, w: 0.0, h: 0.0 }));
        assert_eq!("10,20,30".parse::<MmRect>(), Err("expected X,Y,W,H or X,Y in millimetres".to_string()));
        assert_eq!("a,1".parse::<MmRect>(), Err("\"a\" is not a number".to_string()));
        assert!("-1,1".parse::<MmRect>().is_err());
        assert!("NaN,1".parse::<MmRect>().is_err());
    }

    #[test]
    fn non_pdf_and_garbage_are_errors_not_panics() {
        assert!(matches!(load(b"hello"), Err(PdfError::Parse(_))));
        assert!(matches!(load(b"%PDF-1.7\n1 0 obj <<"), Err(PdfError::Parse(_)) | Err(PdfError::ParserPanicked)));
    }
}
