//! Timestamp authority hot paths: answering a request (parse, TSTInfo, CMS, one ECDSA P-256
//! signature) and verifying a token with its path to a root. The PKI is made once with rcgen.

use criterion::{criterion_group, criterion_main, Criterion};
use kyso::tsp::{self, Imprint, Tsa};
use kyso::{DigestAlgorithm, KeyAlgorithm, PrivateKey};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

struct Fixture {
    tsa: Tsa,
    root: Vec<u8>,
    request: Vec<u8>,
    imprint: Imprint,
    time: SystemTime,
}

fn fixture() -> Fixture {
    let root_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let root_kp = root_key.rcgen_key_pair().unwrap();
    let mut rp = rcgen::CertificateParams::new(vec![]).unwrap();
    rp.distinguished_name.push(rcgen::DnType::CommonName, "Bench Root");
    rp.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    rp.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let root = rcgen::CertifiedIssuer::self_signed(rp, root_kp).unwrap();

    let tsa_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let tsa_kp = tsa_key.rcgen_key_pair().unwrap();
    let mut tp = rcgen::CertificateParams::new(vec![]).unwrap();
    tp.distinguished_name.push(rcgen::DnType::CommonName, "Bench TSA");
    tp.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    // EKU id-kp-timeStamping, critical (rcgen writes EKU non-critical, so a custom extension).
    let mut eku = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08]);
    eku.set_criticality(true);
    tp.custom_extensions = vec![eku];
    let tsa_cert = tp.signed_by(&tsa_kp, &root).unwrap();
    let tsa = Tsa::new(tsa_cert.der(), &[], Arc::new(tsa_key), tsp::DEFAULT_POLICY).unwrap();
    let imprint = Imprint::of(DigestAlgorithm::Sha256, b"document");
    let request = tsp::request(&imprint, Some(&[1, 2, 3, 4, 5, 6, 7, 8]), true, None).unwrap();
    Fixture { tsa, root: root.der().to_vec(), request, imprint, time: SystemTime::now() + Duration::from_secs(60) }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let mut serial = 0u64;
    c.bench_function("tsa respond (P-256 token with certificate)", |b| {
        b.iter(|| {
            serial += 1;
            f.tsa.respond(&f.request, time::OffsetDateTime::from(f.time), &serial.to_be_bytes())
        })
    });
    let token = tsp::parse_response(&f.tsa.respond(&f.request, time::OffsetDateTime::from(f.time), &[1]).der).unwrap();
    let anchors = [f.root.clone()];
    c.bench_function("verify_token (signature, ESS, EKU, path to root)", |b| {
        b.iter(|| tsp::verify_token(&token, &f.imprint, &anchors, time::OffsetDateTime::from(f.time)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
