//! Verification cost: `kyso` verifying a CAdES-B-B signature (ECDSA P-256, unit + issuing CA
//! embedded, path to the root) of a 1 KiB and a 1 MiB document — cold (a new verifier, so the
//! path is validated) and warm (the path-validation result comes from the cache, as for the
//! second and later documents of a batch) — next to the floor: one raw ring ECDSA P-256
//! verification plus the document's SHA-256.
//!
//! `cargo bench --bench verify`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kyso::sign::DocumentSigner;
use kyso::verify::{Options, Verifier};
use kyso::{KeyAlgorithm, PrivateKey, Signer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose};
use std::hint::black_box;
use time::macros::datetime;

/// Root DER, a signer for a unit certificate issued by an issuing CA, and the unit key.
fn pki() -> (Vec<u8>, DocumentSigner, PrivateKey) {
    let ca_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut root = CertificateParams::new(vec![]).unwrap();
    root.distinguished_name.push(DnType::CommonName, "Root CA Tỉnh Bắc Ninh");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root_der = root.self_signed(&ca_key).unwrap().der().to_vec();
    let root_issuer = Issuer::from_params(&root, &ca_key);
    let sub_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut sub = CertificateParams::new(vec![]).unwrap();
    sub.distinguished_name.push(DnType::CommonName, "CA Tỉnh Bắc Ninh");
    sub.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    sub.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let sub_der = sub.signed_by(&sub_key, &root_issuer).unwrap().der().to_vec();
    let sub_issuer = Issuer::from_params(&sub, &sub_key);
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut unit = CertificateParams::new(vec![]).unwrap();
    unit.distinguished_name.push(DnType::CommonName, "Sở Y tế tỉnh Bắc Ninh");
    unit.distinguished_name.push(DnType::OrganizationName, "Sở Y tế tỉnh Bắc Ninh");
    unit.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
    unit.not_before = datetime!(2026-01-01 0:00 UTC);
    unit.not_after = datetime!(2030-01-01 0:00 UTC);
    let unit_der = unit.signed_by(&key.rcgen_key_pair().unwrap(), &sub_issuer).unwrap().der().to_vec();
    let key2 = PrivateKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
    (root_der, DocumentSigner::new(key, &unit_der, &[sub_der]).unwrap(), key2)
}

fn bench(c: &mut Criterion) {
    let (root, signer, key) = pki();
    let at = datetime!(2026-11-30 08:00 +07:00);
    let opts = Options::at(at);
    let spki = key.public_key_spki();
    let raw_sig = key.sign(b"x").unwrap();
    for (name, size) in [("1KiB", 1usize << 10), ("1MiB", 1 << 20)] {
        let doc: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let p7s = signer.sign_bytes(&doc, at).unwrap();
        let warm = Verifier::new(std::slice::from_ref(&root), &[], &[], opts).unwrap();
        assert_eq!(warm.verify_detached("d", &doc[..], &p7s).indication, kyso::report::Indication::TotalPassed);
        let mut g = c.benchmark_group(format!("verify/{name}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::new("kyso_verify_cold", name), |b| {
            b.iter(|| {
                let v = Verifier::new(std::slice::from_ref(&root), &[], &[], opts).unwrap();
                v.verify_detached("d", black_box(&doc[..]), black_box(&p7s))
            })
        });
        g.bench_function(BenchmarkId::new("kyso_verify_warm_cache", name), |b| {
            b.iter(|| warm.verify_detached("d", black_box(&doc[..]), black_box(&p7s)))
        });
        let (_, key_bits) = split_spki(&spki);
        g.bench_function(BenchmarkId::new("ring_ecdsa_p256_verify_plus_sha256", name), |b| {
            b.iter(|| {
                let d = ring::digest::digest(&ring::digest::SHA256, black_box(&doc));
                let pk = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key_bits);
                (d, pk.verify(b"x", &raw_sig).is_ok())
            })
        });
        g.finish();
    }
}

/// The subjectPublicKey bits of a P-256 SubjectPublicKeyInfo (fixed 26-byte prefix).
fn split_spki(spki: &[u8]) -> (&[u8], &[u8]) {
    spki.split_at(26)
}

criterion_group!(benches, bench);
criterion_main!(benches);
