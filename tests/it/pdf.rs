//! PAdES signatures in PDFs: kyso::pdf::sign output checked by OpenSSL (the CMS over the byte
//! ranges kyso extracts), and — in the #[ignore]d tests that need external tools — by pyHanko and
//! poppler's pdfsig (validity, trust, modification analysis) and by pdftoppm (what is drawn).
//!
//! The CMS inside the PDFs is made by `pades_cms` below, a minimal PAdES-B-B builder (content-type,
//! message-digest, signing-certificate-v2; no signing-time) for these tests only.

use crate::pki::{self, Leaf, Party, Pki};
use kyso::findings::{ObjectChange, PdfChange};
use kyso::pdf::{self, Appearance, ByteRangeProblem, MmRect, Modifications, PadesOptions, PdfError};
use kyso::{PrivateKey, Signer};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples().join(name)).unwrap()
}

/// The sample PDFs with a classic xref table and with xref + object streams.
pub(crate) const KINDS: [&str; 2] = ["cong-van.pdf", "cong-van-xref-stream.pdf"];
/// Where the person signs on the samples (see make_samples.py).
const SIG_RECT: MmRect = MmRect { x: 115.0, y: 205.0, w: 65.0, h: 25.0 };

fn when() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-30 06:30:27 +07:00)
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        v.push(0x80 | bytes.len() as u8);
        v.extend_from_slice(&bytes);
    }
    v.extend_from_slice(content);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn pem_to_der(path: &Path) -> Vec<u8> {
    let p = pem::parse(std::fs::read(path).unwrap()).unwrap();
    p.contents().to_vec()
}

/// A PAdES-B-B CMS SignedData (DER) over `data` by `signer`, with `chain` certificates embedded.
pub fn pades_cms(data: &[u8], signer: &Party, chain: &[&Path]) -> Vec<u8> {
    use der::{Decode, Encode};
    let key = PrivateKey::load(&std::fs::read(&signer.key).unwrap(), None).unwrap();
    let cert_der = pem_to_der(&signer.cert);
    let cert = x509_cert::Certificate::from_der(&cert_der).unwrap();
    let issuer = cert.tbs_certificate().issuer().to_der().unwrap();
    let serial = cert.tbs_certificate().serial_number().to_der().unwrap();
    let sha256 = kyso::DigestAlgorithm::Sha256;
    let oid = |o: &[u8]| tlv(0x06, o);
    let id_data = oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]);
    let attr = |o: &[u8], value: Vec<u8>| tlv(0x30, &cat(&[&oid(o), &tlv(0x31, &value)]));
    let mut attrs = [
        attr(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03], id_data.clone()),
        attr(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04], tlv(0x04, &sha256.digest(data))),
        // signing-certificate-v2 { certs { ESSCertIDv2 { certHash } } } (SHA-256 is the default)
        attr(
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F],
            tlv(0x30, &tlv(0x30, &tlv(0x30, &tlv(0x04, &sha256.digest(&cert_der))))),
        ),
    ];
    attrs.sort(); // DER SET OF order
    let attrs = attrs.concat();
    let signature = key.sign(&tlv(0x31, &attrs)).unwrap();
    let signer_info = tlv(
        0x30,
        &cat(&[
            &tlv(0x02, &[1]),
            &tlv(0x30, &cat(&[&issuer, &serial])),
            sha256.algorithm_identifier_der(),
            &tlv(0xA0, &attrs),
            key.signature_algorithm().algorithm_identifier_der(),
            &tlv(0x04, &signature),
        ]),
    );
    let mut certs = cert_der.clone();
    for c in chain {
        certs.extend_from_slice(&pem_to_der(c));
    }
    let signed_data = tlv(
        0x30,
        &cat(&[
            &tlv(0x02, &[1]),
            &tlv(0x31, sha256.algorithm_identifier_der()),
            &tlv(0x30, &id_data),
            &tlv(0xA0, &certs),
            &tlv(0x31, &signer_info),
        ]),
    );
    tlv(0x30, &cat(&[&oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]), &tlv(0xA0, &signed_data)]))
}

/// Signs `pdf` with `opts` as `signer` (chain: the sub-CA).
pub fn sign_as(pki: &Pki, signer: &Party, pdf: &[u8], opts: &PadesOptions) -> Vec<u8> {
    let chain = pki.chain();
    pdf::sign(pdf, opts, |r| -> Result<Vec<u8>, std::io::Error> { Ok(pades_cms(&r.to_vec(), signer, &[&chain])) }).unwrap().bytes
}

/// `openssl cms -verify` of every signature of `pdf` over the ranges kyso extracts, `root` the
/// only anchor; there must be `expected` of them. Returns the CMS files it wrote under `dir`
/// (one per signature, in order). Shared with pades.rs.
pub(crate) fn openssl_verifies_all(dir: &Path, root: &Path, pdf: &[u8], expected: usize) -> Vec<PathBuf> {
    let sigs = pdf::signatures(pdf).unwrap();
    assert_eq!(sigs.len(), expected);
    let mut written = Vec::new();
    for (i, s) in sigs.iter().enumerate() {
        assert!(s.byte_range_problems.is_empty(), "{:?}", s.byte_range_problems);
        let content = pki::write(dir, &format!("signed{i}.bin"), &s.signed_ranges(pdf).unwrap().to_vec());
        let cms = pki::write(dir, &format!("sig{i}.der"), &s.contents);
        let (ok, err) = pki::openssl_cms_verify(dir, &cms, &content, root, &[]);
        assert!(ok, "signature {} ({}) does not verify with openssl: {err}", i, s.field_name);
        written.push(cms);
    }
    written
}

fn assert_openssl_verifies_all(pki: &Pki, pdf: &[u8], expected: usize) {
    openssl_verifies_all(pki.dir.path(), &pki.root.cert, pdf, expected);
}

fn person(pki: &Pki) -> Party {
    pki.leaf("Nguyễn Văn Ấn", Leaf::default())
}

fn agency(pki: &Pki) -> Party {
    pki.leaf("Văn phòng UBND tỉnh Bắc Ninh", Leaf::default())
}

fn opts(appearance: Appearance) -> PadesOptions {
    PadesOptions::new(when(), appearance)
}

fn signature_opts() -> PadesOptions {
    let mut o = opts(Appearance::Signature { png: sample("signature.png") });
    o.rect = Some(SIG_RECT);
    o
}

fn seal_opts() -> PadesOptions {
    opts(Appearance::Seal { png: sample("seal.png") })
}

fn font() -> Vec<u8> {
    let p = pdf::default_font_path().expect("Liberation Serif 2.x must be installed (Debian: fonts-liberation2)");
    std::fs::read(p).unwrap()
}

fn stamp_opts() -> PadesOptions {
    let mut o = opts(Appearance::Stamp { doc_number: "Số: 123/UBND-VP".into() });
    o.font = Some(font());
    o
}

/// Person (signature image) then agency (seal over it): the Decree 30 pair.
fn person_and_agency(pki: &Pki, input: &[u8]) -> Vec<u8> {
    let one = sign_as(pki, &person(pki), input, &signature_opts());
    sign_as(pki, &agency(pki), &one, &seal_opts())
}

#[test]
fn single_invisible_signature_on_table_and_stream_xref_pdfs() {
    let pki = Pki::new(pki::KeyKind::P256);
    let signer = agency(&pki);
    for name in KINDS {
        let input = sample(name);
        let out = sign_as(&pki, &signer, &input, &opts(Appearance::None));
        assert!(out.starts_with(&input), "{name}: an incremental update keeps the original bytes");
        let update = &out[input.len()..];
        let is_stream = name.contains("stream");
        assert_eq!(update.windows(6).any(|w| w == b"/XRef/"), is_stream, "{name}: the update keeps the xref kind");
        assert_eq!(update.windows(6).any(|w| w == b"\nxref\n"), !is_stream, "{name}: the update keeps the xref kind");
        let sigs = pdf::signatures(&out).unwrap();
        assert_eq!(sigs.len(), 1);
        let s = &sigs[0];
        assert_eq!(s.field_name, "Signature1");
        assert_eq!((s.revision, s.revision_count), (2, 2), "{name}");
        assert!(s.covers_whole_document);
        assert_eq!(s.modifications, Modifications::None);
        assert_eq!(s.sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
        assert_eq!(s.filter.as_deref(), Some("Adobe.PPKLite"));
        assert_eq!(s.claimed_time.as_deref(), Some("D:20261130063027+07'00'"));
        assert_eq!(s.byte_range[0], 0);
        assert_eq!(s.byte_range[2] + s.byte_range[3], out.len() as u64);
        assert_openssl_verifies_all(&pki, &out, 1);
    }
}

#[test]
fn person_then_agency_keeps_the_first_signature_valid_and_seal_covers_its_left_third() {
    let pki = Pki::new(pki::KeyKind::P256);
    for name in KINDS {
        let out = person_and_agency(&pki, &sample(name));
        let sigs = pdf::signatures(&out).unwrap();
        assert_eq!(sigs.iter().map(|s| s.field_name.as_str()).collect::<Vec<_>>(), ["Signature1", "Signature2"]);
        assert_eq!((sigs[0].revision, sigs[1].revision), (2, 3));
        assert!(!sigs[0].covers_whole_document && sigs[1].covers_whole_document);
        assert_eq!(sigs[0].modifications, Modifications::SignaturesAndFormFilling, "{name}");
        assert_eq!(sigs[1].modifications, Modifications::None);
        assert_openssl_verifies_all(&pki, &out, 2);
        // Geometry: the seal at its real size (40 mm from pHYs), right edge at one third of the
        // signature image, vertically centred on it.
        let rects = widget_rects(&out);
        assert_eq!(rects.len(), 2);
        let (s, seal) = (rects[0], rects[1]);
        let mm = 72.0 / 25.4;
        assert!(((seal[2] - seal[0]) - 40.0 * mm).abs() < 0.5, "{seal:?}");
        assert!(((seal[3] - seal[1]) - 40.0 * mm).abs() < 0.5, "{seal:?}");
        assert!((seal[2] - (s[0] + (s[2] - s[0]) / 3.0)).abs() < 0.5, "{s:?} {seal:?}");
        assert!(((seal[1] + seal[3]) / 2.0 - (s[1] + s[3]) / 2.0).abs() < 0.5);
        // The signature image (50x20 mm) fitted into the 65x25 mm rectangle, centred.
        let page_h = 841.89;
        let (w, h) = (s[2] - s[0], s[3] - s[1]);
        assert!((w / h - 2.5).abs() < 0.02, "aspect kept: {w}x{h}");
        assert!(((s[0] + s[2]) / 2.0 - (SIG_RECT.x + SIG_RECT.w / 2.0) * mm).abs() < 0.5);
        assert!(((s[1] + s[3]) / 2.0 - (page_h - (SIG_RECT.y + SIG_RECT.h / 2.0) * mm)).abs() < 0.5);
    }
}

/// /Rect of each widget of page 1, in /Annots order.
fn widget_rects(pdf: &[u8]) -> Vec<[f64; 4]> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let mut out = Vec::new();
    for a in doc.get_page_annotations(page).unwrap() {
        if let Ok(lopdf::Object::Array(r)) = a.get(b"Rect") {
            let v: Vec<f64> = r.iter().map(|o| o.as_float().unwrap() as f64).collect();
            out.push([v[0], v[1], v[2], v[3]]);
        }
    }
    out
}

#[test]
fn seal_without_a_signature_to_overlap_or_signature_without_rect_is_refused() {
    let pki = Pki::new(pki::KeyKind::P256);
    let input = sample("cong-van.pdf");
    let cms = |_: &pdf::SignedRanges<'_>| -> Result<Vec<u8>, std::io::Error> { unreachable!("no CMS is made for refused input") };
    let e = pdf::sign(&input, &seal_opts(), cms).unwrap_err();
    assert!(matches!(e, PdfError::NoSignatureToSeal(1)), "{e}");
    let e = pdf::sign(&input, &opts(Appearance::Signature { png: sample("signature.png") }), cms).unwrap_err();
    assert!(matches!(e, PdfError::MissingRect("signature")), "{e}");
    let mut o = signature_opts();
    o.page = 2;
    let e = pdf::sign(&input, &o, cms).unwrap_err();
    assert!(matches!(e, PdfError::NoSuchPage { page: 2, count: 1 }), "{e}");
    let mut o = signature_opts();
    o.rect = Some(MmRect { x: 180.0, y: 280.0, w: 65.0, h: 25.0 });
    let e = pdf::sign(&input, &o, cms).unwrap_err();
    assert!(matches!(e, PdfError::BadRect(_)), "{e}");
    let e = pdf::sign(&input, &opts(Appearance::Signature { png: b"not a png".to_vec() }), cms).unwrap_err();
    assert!(matches!(e, PdfError::Image(_)), "{e}");
    let e = pdf::sign(&input, &opts(Appearance::Stamp { doc_number: "Số: 1".into() }), cms).unwrap_err();
    assert!(matches!(e, PdfError::NoFont), "{e}");
    assert!(e.to_string().contains("fonts-liberation2") && !e.to_string().contains("--"), "the library names no CLI flag: {e}");
    let mut o = opts(Appearance::None);
    o.field_name = Some("ten_doanh_nghiep".into());
    let e = pdf::sign(&sample("to-khai-form.pdf"), &o, cms).unwrap_err();
    assert!(matches!(&e, PdfError::FieldExists(n) if n == "ten_doanh_nghiep"), "{e}");
    drop(pki);
}

#[test]
fn encrypted_pdfs_are_refused_with_a_clear_message() {
    let input = sample("cong-van-encrypted.pdf");
    let cms = |_: &pdf::SignedRanges<'_>| -> Result<Vec<u8>, std::io::Error> { unreachable!() };
    let e = pdf::sign(&input, &opts(Appearance::None), cms).unwrap_err();
    assert!(matches!(e, PdfError::Encrypted), "{e}");
    assert!(e.to_string().contains("encrypted"));
    // Verification reads an encrypted PDF without decrypting it (issue 15): this one opens with
    // the empty user password and has no signature.
    assert!(matches!(pdf::signatures(&input).as_deref(), Ok([])));
}

#[test]
fn cms_errors_and_oversized_cms_are_reported() {
    let input = sample("cong-van.pdf");
    let e = pdf::sign(&input, &opts(Appearance::None), |_| Err(std::io::Error::other("token removed"))).unwrap_err();
    assert!(matches!(e, PdfError::Cms(_)) && e.to_string().contains("token removed"), "{e}");
    // A CMS larger than the reservation: the reservation grows once, and the result is sound.
    let mut o = opts(Appearance::None);
    o.contents_reserve = 1024;
    let mut calls = 0;
    let out = pdf::sign(&input, &o, |_| -> Result<Vec<u8>, std::io::Error> {
        calls += 1;
        let mut v = vec![0x30, 0x82, 0x0F, 0xFC];
        v.resize(0x1000, 7);
        Ok(v)
    })
    .unwrap();
    assert_eq!(calls, 2);
    let sigs = pdf::signatures(&out.bytes).unwrap();
    assert_eq!(sigs[0].contents.len(), 0x1000);
    assert!(sigs[0].byte_range_problems.is_empty());
    // One larger than the 4 MiB ceiling is refused.
    let e = pdf::sign(&input, &o, |_| -> Result<Vec<u8>, std::io::Error> { Ok(vec![0x30; 5 * 1024 * 1024]) }).unwrap_err();
    assert!(matches!(e, PdfError::ContentsTooSmall { needed, .. } if needed == 5 * 1024 * 1024), "{e}");
}

/// Appends a revision to `pdf` (with lopdf, an independent writer) that draws on page 1.
/// Shared with pades.rs.
pub(crate) fn append_content_change(pdf: &[u8]) -> Vec<u8> {
    let prev = lopdf::Document::load_mem(pdf).unwrap();
    let page = *prev.get_pages().get(&1).unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(pdf.to_vec(), prev);
    inc.opt_clone_object_to_new_document(page).unwrap();
    let content = lopdf::Stream::new(lopdf::Dictionary::new(), b"q 1 0 0 rg 100 100 200 50 re f Q".to_vec());
    let new_id = inc.new_document.add_object(content);
    let dict = inc.new_document.get_object_mut(page).unwrap().as_dict_mut().unwrap();
    let old = dict.get(b"Contents").unwrap().clone();
    let arr = match old {
        lopdf::Object::Array(mut a) => {
            a.push(lopdf::Object::Reference(new_id));
            a
        }
        o => vec![o, lopdf::Object::Reference(new_id)],
    };
    dict.set("Contents", lopdf::Object::Array(arr));
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    out
}

#[test]
fn content_appended_after_signing_is_other_changes() {
    let pki = Pki::new(pki::KeyKind::P256);
    for name in KINDS {
        let signed = sign_as(&pki, &agency(&pki), &sample(name), &signature_opts());
        let tampered = append_content_change(&signed);
        let sigs = pdf::signatures(&tampered).unwrap();
        assert_eq!(sigs.len(), 1);
        assert!(!sigs[0].covers_whole_document);
        assert_eq!(sigs[0].revision, 2);
        match &sigs[0].modifications {
            Modifications::Other { changes } => assert!(
                changes.iter().any(|c| matches!(c, PdfChange::ObjectChanged { object, change: ObjectChange::Keys(k) } if object.kind.as_deref() == Some("Page") && k.iter().any(|k| k == "Contents"))),
                "{changes:?}"
            ),
            m => panic!("{name}: expected other changes, got {m:?}"),
        }
        // The signature itself still verifies over what it signed.
        assert_openssl_verifies_all(&pki, &tampered, 1);
    }
}

#[test]
fn signing_a_form_keeps_fields_and_counts_as_signature_addition() {
    let pki = Pki::new(pki::KeyKind::P256);
    let input = sample("to-khai-form.pdf");
    let out = person_and_agency(&pki, &input);
    let doc = lopdf::Document::load_mem(&out).unwrap();
    let catalog = doc.catalog().unwrap();
    let form = doc.dereference(catalog.get(b"AcroForm").unwrap()).unwrap().1.as_dict().unwrap();
    let fields = doc.dereference(form.get(b"Fields").unwrap()).unwrap().1.as_array().unwrap();
    assert_eq!(fields.len(), 3, "the text field and two signature fields");
    assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 3);
    let annots = widget_rects(&out);
    assert_eq!(annots.len(), 4, "text field widget, link, signature, seal");
    let sigs = pdf::signatures(&out).unwrap();
    assert_eq!(sigs[0].modifications, Modifications::SignaturesAndFormFilling);
    assert_openssl_verifies_all(&pki, &out, 2);
}

#[test]
fn tampered_byte_ranges_are_reported() {
    let pki = Pki::new(pki::KeyKind::P256);
    let out = sign_as(&pki, &agency(&pki), &sample("cong-van.pdf"), &opts(Appearance::None));
    let s = &pdf::signatures(&out).unwrap()[0];
    let [_, b, c, d] = s.byte_range;
    let original = format!("0 {b} {c} {d}");
    let at = out.windows(original.len()).position(|w| w == original.as_bytes()).unwrap();
    let patch = |text: String| {
        let mut t = out.clone();
        let padded = format!("{text:<width$}", width = original.len());
        assert_eq!(padded.len(), original.len());
        t[at..at + padded.len()].copy_from_slice(padded.as_bytes());
        pdf::signatures(&t).unwrap().remove(0)
    };
    // The gap widened by one byte on each side: no longer exactly /Contents.
    let s = patch(format!("0 {} {} {}", b - 1, c + 1, d - 1));
    assert!(s.byte_range_problems.contains(&ByteRangeProblem::GapIsNotContents), "{:?}", s.byte_range_problems);
    // Not from the start.
    let s = patch(format!("1 {} {c} {d}", b - 1));
    assert!(s.byte_range_problems.contains(&ByteRangeProblem::NotFromStart));
    // Past the end of the file.
    let s = patch(format!("0 {b} {c} {}", d + 10));
    assert_eq!(s.byte_range_problems, vec![ByteRangeProblem::OutOfBounds]);
    assert!(s.signed_ranges(&out).is_err());
    // Stops short of the revision end: the last 20 bytes (xref/trailer) unsigned.
    let s = patch(format!("0 {b} {c} {}", d - 20));
    assert_eq!(s.byte_range_problems, vec![ByteRangeProblem::NotAtRevisionEnd]);
    assert!(!s.covers_whole_document);
}

/// Deterministic pseudo-random numbers (xorshift) for the mutation test.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn malformed_pdfs_never_panic() {
    let pki = Pki::new(pki::KeyKind::P256);
    let mut inputs = Vec::new();
    for name in KINDS {
        let signed = person_and_agency(&pki, &sample(name));
        // Truncations at many points, including inside the signature dictionaries.
        for i in 0..60 {
            inputs.push(signed[..signed.len() * i / 60].to_vec());
        }
        // Byte mutations, concentrated on the structure (the update at the end) and anywhere.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..150 {
            let mut m = signed.clone();
            for _ in 0..4 {
                let r = xorshift(&mut seed) as usize;
                let pos = if r % 2 == 0 { signed.len() - 1 - (r >> 8) % 4000 } else { (r >> 8) % signed.len() };
                m[pos] = b"0 9<>[]/()R \nobj"[(r >> 4) % 16];
            }
            inputs.push(m);
        }
    }
    inputs.push(b"%PDF-1.7\n1 0 obj <</Type/Catalog/AcroForm<</Fields[2 0 R]>>>> endobj\n2 0 obj <</FT/Sig/T(x)/V<</ByteRange[0 1 2]/Contents<00>>>>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF".to_vec());
    // Deep nesting (stack exhaustion is not catchable: the parser must bound it).
    let deep = format!("%PDF-1.7\n1 0 obj <</Type/Catalog/X {}{}>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF", "[".repeat(100_000), "]".repeat(100_000));
    inputs.push(deep.into_bytes());
    let deep_dict = format!("%PDF-1.7\n1 0 obj {}{} endobj\ntrailer <</Root 1 0 R>>\n%%EOF", "<</A ".repeat(50_000), ">>".repeat(50_000));
    inputs.push(deep_dict.into_bytes());
    let mut outcomes = [0usize; 3];
    for input in &inputs {
        let r = std::panic::catch_unwind(|| {
            let a = pdf::signatures(input);
            let b = pdf::sign(input, &opts(Appearance::None), |_| -> Result<Vec<u8>, std::io::Error> { Ok(vec![0x30, 0]) });
            (a.is_ok(), matches!(a, Err(PdfError::ParserPanicked)) || matches!(b, Err(PdfError::ParserPanicked)))
        });
        match r {
            Ok((true, _)) => outcomes[0] += 1,
            Ok((false, _)) => outcomes[1] += 1,
            Err(_) => outcomes[2] += 1,
        }
    }
    assert_eq!(outcomes[2], 0, "kyso panicked on {} malformed inputs", outcomes[2]);
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

// ---------------------------------------------------------------------------------------------
// External validators (#[ignore]: they need pyHanko, poppler-utils, libnss3-tools and
// fonts-liberation2; see the report for the .ci/run commands). Each FAILS if its tool is missing.

/// The pyhanko executable: $PYHANKO, else `pyhanko` on PATH.
pub(crate) fn pyhanko() -> Command {
    let exe = std::env::var("PYHANKO").unwrap_or_else(|_| "pyhanko".into());
    let probe = Command::new(&exe).arg("--version").output();
    assert!(probe.is_ok_and(|o| o.status.success()), "pyHanko is required: pip install pyhanko pyhanko-cli (or set PYHANKO)");
    Command::new(exe)
}

pub(crate) fn tool(name: &str, hint: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(probe.is_ok(), "{name} is required: {hint}");
    Command::new(name)
}

/// pyHanko's validation of every signature in `pdf`: `expected` signatures, each judged VALID,
/// cryptographically sound and with a trusted signer (`root` the only anchor, `chain` the
/// intermediates; revocation not checked). Returns pyHanko's text. Shared with pades.rs.
pub(crate) fn pyhanko_validate(root: &Path, chain: &Path, pdf: &Path, expected: usize) -> String {
    let out = pyhanko()
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(root)
        .args(["--trust-replace", "--no-revocation-check", "--other-certs"])
        .arg(chain)
        .arg(pdf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pyhanko sign validate failed on {}:\n{text}", pdf.display());
    assert_eq!(text.matches("The signature is judged VALID").count(), expected, "{text}");
    assert_eq!(text.matches("The signer's certificate is trusted.").count(), expected, "{text}");
    assert_eq!(text.matches("The signature is cryptographically sound.").count(), expected, "{text}");
    assert!(!text.contains("INVALID") && !text.contains("untrusted"), "{text}");
    text
}

/// pdfsig's verdict on every signature of `pdf`: `expected` valid signatures with trusted
/// certificates, `root` the only anchor in an NSS database made once under `dir`. pdfsig always
/// exits 0, so its text is what is checked. Shared with pades.rs.
pub(crate) fn pdfsig_validate(dir: &Path, root: &Path, pdf: &Path, expected: usize) -> String {
    let db = dir.join("nssdb");
    if !db.exists() {
        std::fs::create_dir_all(&db).unwrap();
        let certutil = |args: &[&str]| {
            let o = tool("certutil", "apt-get install libnss3-tools").args(args).output().unwrap();
            assert!(o.status.success(), "certutil {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        };
        let sql = format!("sql:{}", db.display());
        certutil(&["-N", "-d", &sql, "--empty-password"]);
        certutil(&["-A", "-d", &sql, "-n", "root", "-t", "CT,C,C", "-i", root.to_str().unwrap()]);
    }
    let out = tool("pdfsig", "apt-get install poppler-utils")
        .arg("-nssdir")
        .arg(format!("sql:{}", db.display()))
        .arg(pdf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.matches("Signature Validation: Signature is Valid.").count(), expected, "{text}");
    assert_eq!(text.matches("Certificate Validation: Certificate is Trusted.").count(), expected, "{text}");
    text
}

#[test]
#[ignore = "needs pyHanko, pdfsig (poppler-utils, libnss3-tools) and fonts-liberation2"]
fn external_validators_accept_single_person_agency_and_stamp_signatures() {
    let pki = Pki::new(pki::KeyKind::P256);
    let d = pki.dir.path();
    for name in KINDS {
        let input = sample(name);
        let cases: Vec<(&str, Vec<u8>, usize)> = vec![
            ("single", sign_as(&pki, &agency(&pki), &input, &signature_opts()), 1),
            ("person-agency", person_and_agency(&pki, &input), 2),
            ("stamp", sign_as(&pki, &agency(&pki), &input, &stamp_opts()), 1),
            ("invisible", sign_as(&pki, &agency(&pki), &input, &opts(Appearance::None)), 1),
            ("document-signer", {
                // The CMS as kyso::DocumentSigner makes it today (CAdES-B-B with signing-time).
                let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
                let (p, a) = (document_signer(&pki, &person(&pki)), document_signer(&pki, &agency(&pki)));
                let one = pdf::sign(&input, &signature_opts(), |r| p.sign_digest(&r.digest(p.digest_algorithm()), at)).unwrap().bytes;
                pdf::sign(&one, &seal_opts(), |r| a.sign_digest(&r.digest(a.digest_algorithm()), at)).unwrap().bytes
            }, 2),
        ];
        for (case, bytes, n) in cases {
            let path = pki::write(d, &format!("{case}-{name}"), &bytes);
            let py = pyhanko_validate(&pki.root.cert, &pki.chain(), &path, n);
            if n == 2 {
                // The person's signature is followed by the agency's: pyHanko's difference analysis
                // must accept it as a signature addition (not "unclear modifications").
                assert!(py.contains("All modifications relate to signing and form filling operations"), "{py}");
            }
            pdfsig_validate(pki.dir.path(), &pki.root.cert, &path, n);
        }
    }
}

#[test]
#[ignore = "needs pyHanko"]
fn pyhanko_detects_content_appended_after_a_kyso_signature() {
    let pki = Pki::new(pki::KeyKind::P256);
    let signed = sign_as(&pki, &agency(&pki), &sample("cong-van.pdf"), &signature_opts());
    let path = pki::write(pki.dir.path(), "tampered.pdf", &append_content_change(&signed));
    let out = pyhanko()
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(&pki.root.cert)
        .args(["--trust-replace", "--no-revocation-check", "--other-certs"])
        .arg(pki.chain())
        .arg(&path)
        .output()
        .unwrap();
    // pyHanko (an independent implementation) agrees with kyso's "other changes": it ran, judged
    // the signature INVALID, and said why.
    pyhanko_refuses(&out, &["The signature is judged INVALID.", "The signature is cryptographically sound.", APPENDED_CONTENT]).unwrap_or_else(|e| panic!("{e}"));
}

/// What pyHanko's `sign validate --pretty-print` says about content appended after a signature.
/// (pyHanko 0.38's wording; the signature itself stays "cryptographically sound".)
pub(crate) const APPENDED_CONTENT: &str = "Some modifications may be illegitimate, and they appear to be incompatible with the current document modification policy.";

/// pyHanko's refusal, read from a `pyhanko sign validate` run: Ok(its text) only when it ran to
/// its verdict — exit status 1 (its "Validation failed"; a usage error is 2), no Python
/// traceback — and its text says every one of `reasons`. A pyHanko that crashed, was
/// misinvoked or accepted the file does not confirm a refusal.
pub(crate) fn pyhanko_refuses(out: &std::process::Output, reasons: &[&str]) -> Result<String, String> {
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(1) {
        return Err(format!("pyHanko exited {:?}, not 1 (a refusal):\n{text}", out.status.code()));
    }
    if text.contains("Traceback (most recent call last)") {
        return Err(format!("pyHanko crashed:\n{text}"));
    }
    match reasons.iter().find(|r| !text.contains(*r)) {
        Some(missing) => Err(format!("pyHanko refused without saying {missing:?}:\n{text}")),
        None => Ok(text),
    }
}

/// The refusal check fails on a pyHanko crash stand-in (a traceback, exit 1, even one that
/// prints the expected words), on a usage error (exit 2), on an acceptance (exit 0), and on a
/// refusal for another reason.
#[test]
fn pyhanko_refusal_check_fails_on_a_crash_a_usage_error_or_an_acceptance() {
    let sh = |script: &str| Command::new("sh").args(["-c", script]).output().unwrap();
    let reasons = ["The signature is judged INVALID.", APPENDED_CONTENT];
    let verdict = format!("echo 'The signature is judged INVALID.'; echo '{APPENDED_CONTENT}'");
    assert!(pyhanko_refuses(&sh(&format!("{verdict}; exit 1")), &reasons).is_ok());
    let crash = sh(&format!(
        "{verdict}; echo 'Traceback (most recent call last):' >&2; echo '  File \"pyhanko/sign/validation/pdf_embedded.py\"' >&2; echo 'KeyError: /ByteRange' >&2; exit 1"
    ));
    assert!(pyhanko_refuses(&crash, &reasons).unwrap_err().starts_with("pyHanko crashed"));
    let usage = sh("echo 'Usage: pyhanko sign validate [OPTIONS] INFILE' >&2; echo \"Error: Invalid value for 'INFILE'\" >&2; exit 2");
    assert!(pyhanko_refuses(&usage, &reasons).unwrap_err().starts_with("pyHanko exited Some(2)"));
    let accepted = sh("echo 'The signature is judged VALID.'; exit 0");
    assert!(pyhanko_refuses(&accepted, &reasons).unwrap_err().starts_with("pyHanko exited Some(0)"));
    let other = sh("echo 'The signer'\\''s certificate is untrusted.'; echo 'The signature is judged INVALID.'; exit 1");
    assert!(pyhanko_refuses(&other, &reasons).unwrap_err().starts_with("pyHanko refused without saying"));
}

#[test]
#[ignore = "needs pyHanko"]
fn pyhanko_signed_pdfs_are_extracted_correctly() {
    let pki = Pki::new(pki::KeyKind::P256);
    let signer = agency(&pki);
    let d = pki.dir.path();
    for name in KINDS {
        let input = samples().join(name);
        let out_path = d.join(format!("pyhanko-{name}"));
        let o = pyhanko()
            .args(["sign", "addsig", "--field", "ChuKyPyHanko", "pemder", "--no-pass", "--key"])
            .arg(&signer.key)
            .arg("--cert")
            .arg(&signer.cert)
            .arg("--chain")
            .arg(pki.chain())
            .arg(&input)
            .arg(&out_path)
            .output()
            .unwrap();
        assert!(o.status.success(), "pyhanko addsig: {}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(&out_path).unwrap();
        let sigs = pdf::signatures(&bytes).unwrap();
        assert_eq!(sigs.len(), 1);
        assert_eq!(sigs[0].field_name, "ChuKyPyHanko");
        assert!(sigs[0].covers_whole_document);
        assert_eq!(sigs[0].modifications, Modifications::None);
        assert_eq!(sigs[0].revision, 2);
        assert_openssl_verifies_all(&pki, &bytes, 1);
        // kyso's verification core accepts pyHanko's signature.
        let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
        assert_eq!(kyso_verify_all(&pki, &bytes, at), vec![(kyso::Indication::TotalPassed, Modifications::None)]);
        // kyso then adds the agency signature after pyHanko's: pyHanko accepts both.
        let two = sign_as(&pki, &agency(&pki), &bytes, &stamp_opts());
        let sigs = pdf::signatures(&two).unwrap();
        assert_eq!(sigs[0].modifications, Modifications::SignaturesAndFormFilling);
        let p = pki::write(d, &format!("pyhanko-then-kyso-{name}"), &two);
        pyhanko_validate(&pki.root.cert, &pki.chain(), &p, 2);
    }
}

/// Renders page 1 of `pdf` at 72 dpi (1 px = 1 pt) and returns (width, height, RGB pixels).
fn render(dir: &Path, pdf: &[u8], stem: &str) -> (usize, usize, Vec<u8>) {
    let input = pki::write(dir, &format!("{stem}.pdf"), pdf);
    let o = tool("pdftoppm", "apt-get install poppler-utils")
        .args(["-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&input)
        .arg(dir.join(stem))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if let Ok(keep) = std::env::var("KYSO_TEST_KEEP_RENDERS") {
        // For a person to look at: KYSO_TEST_KEEP_RENDERS=/tmp/renders cargo test ... rendered
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(dir.join(format!("{stem}.png")), Path::new(&keep).join(format!("{stem}.png")));
        let _ = std::fs::copy(&input, Path::new(&keep).join(format!("{stem}.pdf")));
    }
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(dir.join(format!("{stem}.png"))).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// Pixels that differ inside and outside `rect` (PDF points, origin bottom-left), with a 2 px
/// anti-aliasing margin around the rectangle.
fn diff_in_out(a: &(usize, usize, Vec<u8>), b: &(usize, usize, Vec<u8>), rect: [f64; 4]) -> (usize, usize, Vec<(usize, usize)>) {
    assert_eq!((a.0, a.1), (b.0, b.1));
    let (w, h) = (a.0, a.1);
    let (mut inside, mut outside, mut where_out) = (0, 0, Vec::new());
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 3;
            if a.2[i..i + 3] == b.2[i..i + 3] {
                continue;
            }
            let (px, py) = (x as f64 + 0.5, h as f64 - (y as f64 + 0.5));
            let m = 2.0;
            if px >= rect[0] - m && px <= rect[2] + m && py >= rect[1] - m && py <= rect[3] + m {
                inside += 1;
            } else {
                outside += 1;
                if where_out.len() < 10 {
                    where_out.push((x, y));
                }
            }
        }
    }
    (inside, outside, where_out)
}

#[test]
#[ignore = "needs pdftoppm (poppler-utils) and fonts-liberation2"]
fn rendered_pages_show_each_appearance_where_asked_and_nothing_else_changes() {
    let pki = Pki::new(pki::KeyKind::P256);
    let d = pki.dir.path();
    for name in KINDS {
        let input = sample(name);
        let blank = render(d, &input, "blank");
        // Person's signature.
        let one = sign_as(&pki, &person(&pki), &input, &signature_opts());
        let r1 = render(d, &one, "one");
        let rect1 = widget_rects(&one)[0];
        let (inside, outside, at) = diff_in_out(&blank, &r1, rect1);
        assert!(inside > 500, "{name}: the signature image is drawn in its rectangle ({inside} px changed)");
        assert_eq!(outside, 0, "{name}: pixels changed outside the signature rectangle at {at:?}");
        // Blue ink: the changed pixels are mostly blue.
        let blue = count_pixels(&r1, rect1, |p| p[2] > 120 && p[0] < 100);
        assert!(blue > 150, "{name}: {blue} blue pixels");
        // Agency's seal over it.
        let two = sign_as(&pki, &agency(&pki), &one, &seal_opts());
        let r2 = render(d, &two, "two");
        let rect2 = widget_rects(&two)[1];
        let (inside, outside, at) = diff_in_out(&r1, &r2, rect2);
        assert!(inside > 500, "{name}: the seal is drawn ({inside} px changed)");
        assert_eq!(outside, 0, "{name}: pixels changed outside the seal at {at:?}");
        let red = count_pixels(&r2, rect2, |p| p[0] > 150 && p[1] < 100 && p[2] < 100);
        assert!(red > 150, "{name}: {red} red pixels");
        // Transparency: text of the page under the seal's transparent parts still shows (the
        // seal covers the left third of the signature, whose blue ink stays visible there).
        let blue_left = count_pixels(&r2, [rect1[0], rect1[1], rect2[2], rect1[3]], |p| p[2] > 120 && p[0] < 100);
        assert!(blue_left > 20, "{name}: signature ink visible through the seal's transparent background ({blue_left})");
        // Stamp at the top right of page 1.
        let stamped = sign_as(&pki, &agency(&pki), &input, &stamp_opts());
        let r3 = render(d, &stamped, "stamp");
        let rect3 = widget_rects(&stamped)[0];
        let (inside, outside, at) = diff_in_out(&blank, &r3, rect3);
        assert!(inside > 100, "{name}: the stamp text is drawn ({inside} px)");
        assert_eq!(outside, 0, "{name}: pixels changed outside the stamp at {at:?}");
        let page_w = blank.0 as f64;
        // at the right, in the page's upper quarter: the first band free of page text (issue
        // 18 finding 7 moved it off the header; tests/it/newcomer.rs checks it overlaps no word)
        let page_h = blank.1 as f64;
        assert!(rect3[2] > page_w - 40.0 && rect3[1] > page_h * 0.75, "{name}: stamp at the upper right: {rect3:?}");
        // The stamp's text is real text: pdftotext finds it (ToUnicode works, Vietnamese intact).
        let p = pki::write(d, "stamp-text.pdf", &stamped);
        let o = tool("pdftotext", "apt-get install poppler-utils").arg(&p).arg("-").output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Số: 123/UBND-VP") && text.contains("2026-11-30T06:30:27+07:00"), "{text}");
    }
}

fn count_pixels(img: &(usize, usize, Vec<u8>), rect: [f64; 4], pred: impl Fn(&[u8]) -> bool) -> usize {
    let (w, h) = (img.0, img.1);
    let mut n = 0;
    for y in 0..h {
        for x in 0..w {
            let (px, py) = (x as f64 + 0.5, h as f64 - (y as f64 + 0.5));
            if px >= rect[0] && px <= rect[2] && py >= rect[1] && py <= rect[3] && pred(&img.2[(y * w + x) * 3..(y * w + x) * 3 + 3]) {
                n += 1;
            }
        }
    }
    n
}

/// A one-page PDF made with lopdf (an independent writer), customised by `f(doc, page, catalog)`.
fn lopdf_pdf(f: impl FnOnce(&mut lopdf::Document, lopdf::ObjectId, lopdf::ObjectId)) -> Vec<u8> {
    use lopdf::{dictionary, Object};
    let mut doc = lopdf::Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(lopdf::Stream::new(dictionary! {}, b"BT /F1 12 Tf 72 700 Td (Cong van) Tj ET".to_vec()));
    let font = doc.add_object(dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Times-Roman"});
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! {"Font" => dictionary! {"F1" => font}},
    });
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Count" => 1, "Kids" => vec![page.into()]}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    f(&mut doc, page, catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn indirect_annots_and_fields_arrays_are_extended_in_place() {
    use lopdf::{dictionary, Object};
    let pki = Pki::new(pki::KeyKind::P256);
    let input = lopdf_pdf(|doc, page, catalog| {
        let link = doc.add_object(dictionary! {"Type" => "Annot", "Subtype" => "Link", "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()]});
        let annots = doc.add_object(Object::Array(vec![link.into()]));
        doc.get_dictionary_mut(page).unwrap().set("Annots", annots);
        let fields = doc.add_object(Object::Array(vec![]));
        let form = doc.add_object(dictionary! {"Fields" => fields});
        doc.get_dictionary_mut(catalog).unwrap().set("AcroForm", form);
    });
    let (page_id, catalog_id) = {
        let d = lopdf::Document::load_mem(&input).unwrap();
        (*d.get_pages().get(&1).unwrap(), d.trailer.get(b"Root").unwrap().as_reference().unwrap())
    };
    let one = sign_as(&pki, &person(&pki), &input, &signature_opts());
    let two = sign_as(&pki, &agency(&pki), &one, &seal_opts());
    // Neither the page nor the catalog was rewritten: only the arrays (and the AcroForm's flags).
    let update = String::from_utf8_lossy(&two[input.len()..]).into_owned();
    assert!(!update.contains(&format!("\n{} {} obj", page_id.0, page_id.1)), "page rewritten");
    assert!(!update.contains(&format!("\n{} {} obj", catalog_id.0, catalog_id.1)), "catalog rewritten");
    assert_eq!(widget_rects(&two).len(), 3);
    let sigs = pdf::signatures(&two).unwrap();
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[0].modifications, Modifications::SignaturesAndFormFilling);
    assert_openssl_verifies_all(&pki, &two, 2);
}

/// /Annots and /Fields that are references to something other than an array (malformed, seen
/// in the wild) get a new inline array; the object they pointed to is never overwritten.
#[test]
fn annots_and_fields_referring_to_a_non_array_leave_that_object_alone() {
    use lopdf::{dictionary, Object};
    let pki = Pki::new(pki::KeyKind::P256);
    let mut shared = (0, 0);
    let input = lopdf_pdf(|doc, page, catalog| {
        shared = doc.add_object(dictionary! {"Kyso" => "shared"});
        doc.get_dictionary_mut(page).unwrap().set("Annots", shared);
        let form = doc.add_object(dictionary! {"Fields" => shared});
        doc.get_dictionary_mut(catalog).unwrap().set("AcroForm", form);
    });
    let one = sign_as(&pki, &person(&pki), &input, &signature_opts());
    let update = String::from_utf8_lossy(&one[input.len()..]).into_owned();
    assert!(!update.contains(&format!("\n{} {} obj", shared.0, shared.1)), "the shared object was overwritten:\n{update}");
    let doc = lopdf::Document::load_mem(&one).unwrap();
    assert_eq!(doc.get_dictionary(shared).unwrap().get(b"Kyso").unwrap().as_name().unwrap(), b"shared");
    let page = doc.get_dictionary(*doc.get_pages().get(&1).unwrap()).unwrap();
    assert!(matches!(page.get(b"Annots"), Ok(Object::Array(a)) if a.len() == 1), "{page:?}");
    assert_eq!(widget_rects(&one).len(), 1);
    let sigs = pdf::signatures(&one).unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].field_name, "Signature1");
    assert_openssl_verifies_all(&pki, &one, 1);
    // A second signature extends the arrays made inline; the first counts it as form filling.
    let two = sign_as(&pki, &agency(&pki), &one, &seal_opts());
    assert_eq!(widget_rects(&two).len(), 2);
    let sigs = pdf::signatures(&two).unwrap();
    assert_eq!(sigs[0].modifications, Modifications::SignaturesAndFormFilling);
    assert_openssl_verifies_all(&pki, &two, 2);
}

#[test]
fn certified_no_changes_documents_are_refused_and_rotated_pages_only_sign_invisibly() {
    use lopdf::{dictionary, Object};
    let cms = |_: &pdf::SignedRanges<'_>| -> Result<Vec<u8>, std::io::Error> { Ok(vec![0x30, 0x00]) };
    let certified = lopdf_pdf(|doc, _, catalog| {
        let sig = doc.add_object(dictionary! {
            "Type" => "Sig",
            "Reference" => vec![Object::Dictionary(dictionary! {"TransformMethod" => "DocMDP", "TransformParams" => dictionary! {"P" => 1}})],
        });
        doc.get_dictionary_mut(catalog).unwrap().set("Perms", dictionary! {"DocMDP" => sig});
    });
    let e = pdf::sign(&certified, &opts(Appearance::None), cms).unwrap_err();
    assert!(matches!(e, PdfError::ChangesForbidden), "{e}");
    let rotated = lopdf_pdf(|doc, page, _| doc.get_dictionary_mut(page).unwrap().set("Rotate", 90));
    let e = pdf::sign(&rotated, &signature_opts(), cms).unwrap_err();
    assert!(matches!(&e, PdfError::RotatedPage(90)), "{e}");
    assert!(e.to_string().contains("/Rotate 90"), "{e}");
    let out = pdf::sign(&rotated, &opts(Appearance::None), cms).unwrap();
    assert_eq!(pdf::signatures(&out.bytes).unwrap().len(), 1);
}

#[test]
fn a_signature_field_whose_value_is_replaced_later_is_reported_broken() {
    // Shadow attack shape: a later revision points an existing signature field at another
    // signature dictionary. The original signature must not be reported as merely "signed again".
    let pki = Pki::new(pki::KeyKind::P256);
    let one = sign_as(&pki, &agency(&pki), &sample("cong-van.pdf"), &opts(Appearance::None));
    let prev = lopdf::Document::load_mem(&one).unwrap();
    let field_id = prev
        .objects
        .iter()
        .find(|(_, o)| matches!(o, lopdf::Object::Dictionary(d) if d.get(b"FT").is_ok()))
        .map(|(id, _)| *id)
        .unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(one.clone(), prev);
    inc.opt_clone_object_to_new_document(field_id).unwrap();
    let fake = inc.new_document.add_object(lopdf::dictionary! {"Type" => "Sig", "Contents" => lopdf::Object::String(vec![0x30, 0], lopdf::StringFormat::Hexadecimal)});
    inc.new_document.get_dictionary_mut(field_id).unwrap().set("V", fake);
    let mut out = Vec::new();
    inc.save_to(&mut out).unwrap();
    let sigs = pdf::signatures(&out).unwrap();
    assert_eq!(sigs.len(), 1);
    // The field now points at a dictionary without a byte range.
    assert!(matches!(&sigs[0].byte_range_problems[..], [ByteRangeProblem::NotFourIntegers, ..]), "{:?}", sigs[0].byte_range_problems);
    assert!(!sigs[0].covers_whole_document);
}

#[test]
fn junk_after_the_last_revision_is_a_change_and_vietnamese_field_names_round_trip() {
    let pki = Pki::new(pki::KeyKind::P256);
    let mut o = opts(Appearance::None);
    o.field_name = Some("Chữ ký Văn phòng".into());
    o.reason = Some("Phát hành văn bản".into());
    let signed = sign_as(&pki, &agency(&pki), &sample("cong-van-xref-stream.pdf"), &o);
    let sigs = pdf::signatures(&signed).unwrap();
    assert_eq!(sigs[0].field_name, "Chữ ký Văn phòng");
    // Trailing whitespace is not a change.
    let mut ws = signed.clone();
    ws.extend_from_slice(b"\r\n\n");
    let s = pdf::signatures(&ws).unwrap().remove(0);
    assert!(s.covers_whole_document);
    assert_eq!(s.modifications, Modifications::None);
    // Trailing data is.
    let mut junk = signed.clone();
    junk.extend_from_slice(b"\n% appended text, no revision\n");
    let s = pdf::signatures(&junk).unwrap().remove(0);
    assert!(!s.covers_whole_document);
    match &s.modifications {
        Modifications::Other { changes } => assert!(matches!(changes[0], PdfChange::TrailingBytes { .. }), "{changes:?}"),
        m => panic!("{m:?}"),
    }
    assert_eq!(s.modifications.code(), "other");
    assert!(!s.modifications.is_acceptable());
}

// ---------------------------------------------------------------------------------------------
// With the rest of kyso: the CMS from kyso::DocumentSigner, the check by kyso::verify. (What the
// `kyso sign --pades` / `kyso verify FILE.pdf` wiring does, at the library level.)

fn document_signer(pki: &Pki, party: &Party) -> kyso::DocumentSigner {
    let key = PrivateKey::load(&std::fs::read(&party.key).unwrap(), None).unwrap();
    kyso::DocumentSigner::new(key, &pem_to_der(&party.cert), &[pem_to_der(&pki.chain())]).unwrap()
}

/// kyso's verification core on every signature of `pdf` (revocation off: no CRLs here).
pub(crate) fn kyso_verify_all(pki: &Pki, pdf_bytes: &[u8], at: time::OffsetDateTime) -> Vec<(kyso::Indication, Modifications)> {
    use kyso::verify::{Options, Verifier};
    let opts = Options::at(at).revocation(kyso::RevocationMode::Off);
    let verifier = Verifier::new(&[pem_to_der(&pki.root.cert)], &[], &[], opts).unwrap();
    pdf::signatures(pdf_bytes)
        .unwrap()
        .into_iter()
        .map(|s| {
            let ranges = s.signed_ranges(pdf_bytes).unwrap();
            let report = verifier.verify_detached(&s.field_name, ranges.reader(), &s.contents);
            (report.indication, s.modifications)
        })
        .collect()
}

#[test]
fn document_signer_cms_in_pdf_verifies_with_openssl_and_kyso_verify() {
    let pki = Pki::new(pki::KeyKind::P256);
    let (p, a) = (document_signer(&pki, &person(&pki)), document_signer(&pki, &agency(&pki)));
    // The test certificates start now: sign and verify a minute later.
    let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
    for name in KINDS {
        let sign = |signer: &kyso::DocumentSigner, pdf_bytes: &[u8], o: &PadesOptions| {
            pdf::sign(pdf_bytes, o, |r| signer.sign_digest(&r.digest(signer.digest_algorithm()), at)).unwrap().bytes
        };
        let one = sign(&p, &sample(name), &signature_opts());
        let two = sign(&a, &one, &seal_opts());
        assert_openssl_verifies_all(&pki, &two, 2);
        let results = kyso_verify_all(&pki, &two, at);
        assert_eq!(
            results,
            vec![(kyso::Indication::TotalPassed, Modifications::SignaturesAndFormFilling), (kyso::Indication::TotalPassed, Modifications::None)]
        );
        // After a content change the signatures are still cryptographically intact; the PDF
        // layer reports the change (the CLI must then not say TOTAL_PASSED for the document).
        let tampered = append_content_change(&two);
        let results = kyso_verify_all(&pki, &tampered, at);
        assert!(results.iter().all(|(i, m)| *i == kyso::Indication::TotalPassed && m.code() == "other"), "{results:?}");

        // pdf::verify_pdf combines both: TOTAL_PASSED for the intact file, and for the tampered
        // one INDETERMINATE/SIG_CONSTRAINTS_FAILURE on every signature (the signed bytes are
        // intact; the document shown is not the one signed), with the change named.
        use kyso::verify::{Options, Verifier};
        let verifier = Verifier::new(&[pem_to_der(&pki.root.cert)], &[], &[], Options::at(at).revocation(kyso::RevocationMode::Off)).unwrap();
        let (report, facts) = verifier.verify_pdf_parts(name, &two);
        assert_eq!(report.indication, kyso::Indication::TotalPassed, "{report:?}");
        assert_eq!(report.signatures.len(), 2);
        assert_eq!(facts.iter().map(|f| (f.revision, f.covers_whole_document)).collect::<Vec<_>>(), [(2, false), (3, true)]);
        let check = |r: &kyso::report::SignatureReport, n: &str| r.checks.iter().find(|c| c.name.as_str() == n).map(|c| (c.status, c.finding.to_string())).unwrap();
        assert_eq!(check(&report.signatures[0], "pdf_modifications").0, kyso::report::CheckStatus::Passed);
        assert!(check(&report.signatures[0], "pdf_signature_field").1.contains("\"Signature1\", revision 2 of 3"));
        let (report, _) = verifier.verify_pdf_parts(name, &tampered);
        assert_eq!((report.indication, report.sub_indication), (kyso::Indication::Indeterminate, Some(kyso::SubIndication::SigConstraintsFailure)));
        for s in &report.signatures {
            let (status, detail) = check(s, "pdf_modifications");
            assert_eq!(status, kyso::report::CheckStatus::Failed);
            assert!(detail.contains("(/Page), page 1 changed: /Contents"), "{detail}");
        }
        let (report, facts) = verifier.verify_pdf_parts(name, &sample(name));
        assert_eq!((report.indication, report.sub_indication), (kyso::Indication::TotalFailed, Some(kyso::SubIndication::FormatFailure)));
        assert_eq!(report.detail, Some(kyso::findings::Finding::PdfNoSignature));
        assert!(facts.is_empty());
    }
}
