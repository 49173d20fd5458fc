//! Signing cost: `kyso` CMS signatures (CAdES-B-B, ECDSA P-256) of 1 KiB, 1 MiB and 64 MiB
//! documents, next to the raw ring ECDSA P-256 signature of the same bytes and their SHA-256,
//! measured in the same run so the CMS overhead reads as a ratio.
//!
//! `cargo bench --bench sign`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kyso::sign::DocumentSigner;
use kyso::{KeyAlgorithm, PrivateKey};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose};
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use std::hint::black_box;
use time::macros::datetime;

/// A root, an issuing CA and a unit certificate, as in a real province (the signature embeds the
/// unit and issuing CA certificates).
fn signer() -> (DocumentSigner, Vec<u8>) {
    let ca_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut root = CertificateParams::new(vec![]).unwrap();
    root.distinguished_name.push(DnType::CommonName, "Sở Thông tin và Truyền thông tỉnh Bắc Ninh — Root CA");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root_issuer = Issuer::from_params(&root, &ca_key);
    let sub_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut sub = CertificateParams::new(vec![]).unwrap();
    sub.distinguished_name.push(DnType::CommonName, "Issuing CA Bắc Ninh");
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
    let pkcs8 = key.pkcs8_der().to_vec();
    (DocumentSigner::new(key, &unit_der, &[sub_der]).unwrap(), pkcs8)
}

/// A key that "signs" with a constant 72-byte value: benchmarks everything kyso does around the
/// ECDSA operation (digest, attributes, encoding) without it.
struct NoCrypto {
    spki: Vec<u8>,
}

impl kyso::Signer for NoCrypto {
    fn signature_algorithm(&self) -> kyso::SignatureAlgorithm {
        kyso::SignatureAlgorithm::EcdsaP256Sha256
    }
    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, kyso::KeyError> {
        Ok(vec![0x30; 72])
    }
}

fn bench(c: &mut Criterion) {
    let (signer, pkcs8) = signer();
    let no_crypto = DocumentSigner::new(
        NoCrypto { spki: kyso::Signer::public_key_spki(&PrivateKey::from_pkcs8_der(&pkcs8).unwrap()).to_vec() },
        signer.certificate(),
        &signer.embedded_certificates()[1..],
    )
    .unwrap();
    let rng = ring::rand::SystemRandom::new();
    let raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng).unwrap();
    let at = datetime!(2026-11-30 08:00 +07:00);
    // Inputs built once for the whole run.
    let sizes: [(&str, usize); 3] = [("1KiB", 1 << 10), ("1MiB", 1 << 20), ("64MiB", 64 << 20)];
    let largest: Vec<u8> = (0..sizes[2].1).map(|i| (i % 251) as u8).collect();
    for (name, size) in sizes {
        let doc = &largest[..size];
        let mut g = c.benchmark_group(format!("sign/{name}"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 64 << 20 {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::new("kyso_cms_sign", name), |b| b.iter(|| signer.sign_bytes(black_box(doc), at).unwrap()));
        g.bench_function(BenchmarkId::new("kyso_cms_without_ecdsa", name), |b| {
            b.iter(|| no_crypto.sign_bytes(black_box(doc), at).unwrap())
        });
        g.bench_function(BenchmarkId::new("ring_ecdsa_p256_sign", name), |b| b.iter(|| raw.sign(&rng, black_box(doc)).unwrap()));
        g.bench_function(BenchmarkId::new("ring_sha256", name), |b| {
            b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(doc)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
