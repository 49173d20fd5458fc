//! PAdES signing and signature extraction on a 1-page and a 100-page PDF.
//!
//! The PDFs are built once per run with lopdf (text pages, classic xref table). The CMS closure
//! hashes the signed ranges and makes one real ECDSA P-256 signature, then returns a 3 KB blob of
//! the size of a B-B CMS with two certificates: the numbers are the PDF layer plus hashing and one
//! signature, not the CMS encoding (benchmarked with the signing code).
//!
//! Measured 2026-11-30 on the project machine (2 shared cores), `cargo bench --bench pdf`:
//! | | 1 page | 100 pages (50 text lines each) |
//! |---|---|---|
//! | sign, invisible | 0.44 ms | 2.6 ms |
//! | sign, signature image (PNG 590×236 RGBA → image + SMask) | 8.9 ms | 10.0 ms |
//! | extract two signatures (+ classify changes after the first) | 5.9 ms | 14.2 ms |
//! Extraction is dominated by lopdf parsing the 32K-hex-digit /Contents strings (~1.5 ms each).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kyso::pdf::{self, Appearance, MmRect, PadesOptions};
use kyso::{DigestAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use lopdf::{dictionary, Document, Object, Stream};

fn make_pdf(pages: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Times-Roman"});
    let mut kids = Vec::new();
    for p in 0..pages {
        let mut text = String::from("BT /F1 11 Tf 72 770 Td 14 TL\n");
        for l in 0..50 {
            text.push_str(&format!("(Page {} line {}: official dispatch text for the benchmark.) '\n", p + 1, l + 1));
        }
        text.push_str("ET\n");
        let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()).with_compression(true));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! {"Font" => dictionary! {"F1" => font_id}},
        });
        kids.push(Object::Reference(page));
    }
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! {"Type" => "Pages", "Count" => pages as i64, "Kids" => kids}));
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("in-memory save");
    out
}

fn bench(c: &mut Criterion) {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs-example/pdf/signature.png")).expect("sample PNG");
    let time = time::macros::datetime!(2026-11-30 06:30:27 +07:00);
    let cms = |r: &pdf::SignedRanges<'_>| -> Result<Vec<u8>, kyso::KeyError> {
        let d = r.digest(DigestAlgorithm::Sha256);
        let mut v = key.sign(&d)?;
        v.resize(3000, 0x5A);
        Ok(v)
    };
    let mut g = c.benchmark_group("pades_sign");
    for pages in [1usize, 100] {
        let input = make_pdf(pages);
        g.throughput(Throughput::Bytes(input.len() as u64));
        let none = PadesOptions::new(time, Appearance::None);
        g.bench_with_input(BenchmarkId::new("invisible", pages), &input, |b, input| b.iter(|| pdf::sign(input, &none, cms).expect("sign")));
        let mut image = PadesOptions::new(time, Appearance::Signature { png: png.clone() });
        image.rect = Some(MmRect { x: 115.0, y: 205.0, w: 65.0, h: 25.0 });
        g.bench_with_input(BenchmarkId::new("signature_image", pages), &input, |b, input| b.iter(|| pdf::sign(input, &image, cms).expect("sign")));
        let signed = pdf::sign(&input, &none, cms).expect("sign").bytes;
        let twice = pdf::sign(&signed, &none, cms).expect("sign").bytes;
        g.bench_with_input(BenchmarkId::new("extract_two_signatures", pages), &twice, |b, pdf_bytes| {
            b.iter(|| pdf::signatures(pdf_bytes).expect("extract"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
