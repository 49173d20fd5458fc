//! Verification cost of a 1 KiB document signed with CAdES-B-B (ECDSA P-256) by a unit of the
//! example province (certs-example/: root → issuing CA → Sở Y tế), with its chain and both CRLs,
//! next to the primitives measured in the same run:
//!
//! - `kyso_verify_uncached`: a fresh [`Verifier`] per signature (path building, two certificate
//!   signatures, two CRL signatures, revocation lookup), the CRLs already parsed;
//! - `kyso_verify_uncached_with_setup`: the same plus [`Verifier::new`] (parsing the anchor and
//!   the CRLs): what one `kyso verify` process does besides I/O;
//! - `kyso_verify_cached`: one Verifier for a batch, the path result of the signer certificate
//!   cached (what every document after the first costs in `kyso verify *.pdf`);
//! - `ring_ecdsa_p256_verify`: one raw ECDSA P-256 signature verification (with its SHA-256 of
//!   the 1 KiB message), the floor of the cached case;
//! - `ring_sha256`: SHA-256 of the 1 KiB document.
//!
//! `verify/1KiB-crl-10k` repeats the uncached and cached cases with a 10,000-entry CRL.
//!
//! And the signing side of the same document with the same key, for the sign target (the
//! signing engineer's benches/sign.rs measures it with a throwaway PKI):
//! `kyso_cms_sign` vs `ring_ecdsa_p256_sign`.
//!
//! `cargo bench --bench verify`

#[path = "common/clock.rs"]
mod clock;
#[path = "common/example.rs"]
mod example;

use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use kyso::sign::DocumentSigner;
use kyso::verify::{Options, RevocationMode, Verifier};
use ring::signature::{EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING};
use std::hint::black_box;
use std::io::Cursor;
use time::macros::datetime;

/// The example PKI: anchors, chain, CRLs (DER), the unit's signer and its PKCS#8 key.
struct Pki {
    anchors: Vec<Vec<u8>>,
    chain: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    signer: DocumentSigner,
    pkcs8: Vec<u8>,
    leaf_spki_key: Vec<u8>,
}

fn pki() -> Pki {
    let example::Pki { anchors, chain, crls, cert, key } = example::pki();
    let pkcs8 = key.pkcs8_der().to_vec();
    let leaf_spki_key = public_key_bits(&cert);
    let signer = DocumentSigner::new(key, &cert, &chain).unwrap();
    Pki { anchors, chain, crls, signer, pkcs8, leaf_spki_key }
}

/// The root's CRL (certs-example/root/crl.pem) and an issuing-CA CRL listing 10,000 serials
/// (none of them the signer's), signed with certs-example/ca/ca.key.
fn big_crls() -> Vec<Vec<u8>> {
    use rcgen::{CertificateRevocationListParams, Issuer, KeyIdMethod, RevokedCertParams, SerialNumber};
    let ca_key = example::key("ca/ca.key");
    let ca_der = kyso::objects::certificates(&example::file("ca/ca.pem")).unwrap().remove(0);
    let issuer = Issuer::from_ca_cert_der(&ca_der.into(), ca_key.rcgen_key_pair().unwrap()).unwrap();
    let revoked_certs = (0..10_000u32)
        .map(|i| RevokedCertParams {
            serial_number: SerialNumber::from_slice(&[&[0x7f, 0xee][..], &i.to_be_bytes()].concat()),
            revocation_time: datetime!(2026-11-30 0:00 UTC),
            reason_code: None,
            invalidity_date: None,
        })
        .collect();
    let params = CertificateRevocationListParams {
        this_update: datetime!(2026-11-30 0:00 UTC),
        next_update: datetime!(2031-11-30 0:00 UTC),
        crl_number: SerialNumber::from(2u64),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let big = params.signed_by(&issuer).unwrap().der().to_vec();
    let mut crls = kyso::objects::crls(&example::file("root/crl.pem")).unwrap();
    crls.push(big);
    crls
}

/// The subjectPublicKey bits of a DER certificate (what ring's verify takes).
fn public_key_bits(cert: &[u8]) -> Vec<u8> {
    use der::Decode;
    let c = x509_cert::Certificate::from_der(cert).unwrap();
    c.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec()
}

fn bench(c: &mut Criterion<clock::Clock>) {
    let pki = pki();
    let at_sign = datetime!(2026-12-01 08:00 +07:00);
    let opts = Options::at(datetime!(2027-06-01 0:00 UTC)).revocation(RevocationMode::Require);
    let doc: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let p7s = pki.signer.sign_bytes(&doc, at_sign).unwrap();
    let verifier = || Verifier::new(&pki.anchors, &pki.chain, &pki.crls, opts).unwrap();

    // The measured work must be a full TOTAL_PASSED verification with the revocation check done.
    let v = verifier();
    let r = v.verify_detached("doc", Cursor::new(&doc), &p7s);
    assert_eq!(r.indication.as_str(), "TOTAL_PASSED", "{r:?}");
    assert!(r.signatures.iter().all(|s| s.revocation == Some(kyso::report::RevocationStatus::Good)), "{r:?}");
    assert_eq!(v.cached_paths(), 1);

    let rng = ring::rand::SystemRandom::new();
    let raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pki.pkcs8, &rng).unwrap();
    let raw_sig = raw.sign(&rng, &doc).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, pki.leaf_spki_key.clone());
    public.verify(&doc, raw_sig.as_ref()).unwrap();

    let mut g = c.benchmark_group("verify/1KiB");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("kyso_verify_uncached", "1KiB"), |b| {
        // The verifier is returned so that dropping it is not timed.
        b.iter_batched(verifier, |v| { let r = v.verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)); (v, r) }, BatchSize::SmallInput)
    });
    g.bench_function(BenchmarkId::new("kyso_verify_uncached_with_setup", "1KiB"), |b| {
        b.iter(|| verifier().verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)))
    });
    g.bench_function(BenchmarkId::new("kyso_verify_cached", "1KiB"), |b| {
        b.iter(|| v.verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)))
    });
    g.bench_function(BenchmarkId::new("ring_ecdsa_p256_verify", "1KiB"), |b| {
        b.iter(|| public.verify(black_box(&doc), black_box(raw_sig.as_ref())).unwrap())
    });
    g.bench_function(BenchmarkId::new("ring_sha256", "1KiB"), |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(&doc)))
    });
    g.finish();

    // The same with a provincial-size CRL: the issuing CA's CRL with 10,000 entries (made here
    // with the example CA's key), so that per-document costs proportional to the CRL show.
    let big = big_crls();
    let big_verifier = || Verifier::new(&pki.anchors, &pki.chain, &big, opts).unwrap();
    let bv = big_verifier();
    let r = bv.verify_detached("doc", Cursor::new(&doc), &p7s);
    assert_eq!(r.indication.as_str(), "TOTAL_PASSED", "{r:?}");
    let mut g = c.benchmark_group("verify/1KiB-crl-10k");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("kyso_verify_uncached", "1KiB"), |b| {
        b.iter_batched(big_verifier, |v| { let r = v.verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)); (v, r) }, BatchSize::LargeInput)
    });
    g.bench_function(BenchmarkId::new("kyso_verify_cached", "1KiB"), |b| {
        b.iter(|| bv.verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)))
    });
    g.finish();

    let mut g = c.benchmark_group("sign/1KiB-example-pki");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("kyso_cms_sign", "1KiB"), |b| b.iter(|| pki.signer.sign_bytes(black_box(&doc), at_sign).unwrap()));
    g.bench_function(BenchmarkId::new("ring_ecdsa_p256_sign", "1KiB"), |b| b.iter(|| raw.sign(&rng, black_box(&doc)).unwrap()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(clock::Clock::from_env());
    targets = bench
}

/// `KYSO_PROFILE=<case> [KYSO_PROFILE_N=2000] target/release/deps/verify-*`: runs one case N
/// times without criterion, for `valgrind --tool=callgrind --collect-atstart=no
/// --toggle-collect='*profile_loop*'`, whose instruction counts (Ir) are repeatable on a
/// shared machine where time is not. Cases: `cached` (kyso_verify_cached), `uncached`
/// (kyso_verify_uncached: a fresh Verifier per verification, made before the counted loop),
/// `ecdsa` (ring_ecdsa_p256_verify), `sign` (kyso_cms_sign), `ecdsa_sign` (ring_ecdsa_p256_sign).
fn profile(case: &str) {
    let n: usize = std::env::var("KYSO_PROFILE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let pki = pki();
    let at_sign = datetime!(2026-12-01 08:00 +07:00);
    let opts = Options::at(datetime!(2027-06-01 0:00 UTC)).revocation(RevocationMode::Require);
    let doc: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    let p7s = pki.signer.sign_bytes(&doc, at_sign).unwrap();
    let v = Verifier::new(&pki.anchors, &pki.chain, &pki.crls, opts).unwrap();
    let r = v.verify_detached("doc", Cursor::new(&doc), &p7s);
    assert_eq!(r.indication.as_str(), "TOTAL_PASSED", "{r:?}");
    let rng = ring::rand::SystemRandom::new();
    let raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pki.pkcs8, &rng).unwrap();
    let raw_sig = raw.sign(&rng, &doc).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, pki.leaf_spki_key.clone());
    // For `uncached`: one fresh Verifier per iteration, made (and later dropped) outside the loop.
    let fresh: Vec<Verifier> = if case == "uncached" { (0..n).map(|_| Verifier::new(&pki.anchors, &pki.chain, &pki.crls, opts).unwrap()).collect() } else { Vec::new() };
    let next = std::cell::Cell::new(0usize);
    let work: Box<dyn Fn()> = match case {
        "cached" => Box::new(|| {
            black_box(v.verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)));
        }),
        "uncached" => Box::new(|| {
            let i = next.get();
            next.set(i + 1);
            black_box(fresh[i].verify_detached("doc", Cursor::new(black_box(&doc)), black_box(&p7s)));
        }),
        "ecdsa" => Box::new(|| public.verify(black_box(&doc), black_box(raw_sig.as_ref())).unwrap()),
        "sign" => Box::new(|| {
            black_box(pki.signer.sign_bytes(black_box(&doc), at_sign).unwrap());
        }),
        "ecdsa_sign" => Box::new(|| {
            black_box(raw.sign(&rng, black_box(&doc)).unwrap());
        }),
        other => panic!("unknown KYSO_PROFILE case {other}"),
    };
    let t = std::time::Instant::now();
    profile_loop(n, &*work);
    eprintln!("{case}: {n} iterations, {:?} wall each", t.elapsed() / n as u32);
}

#[inline(never)]
fn profile_loop(n: usize, work: &dyn Fn()) {
    for _ in 0..n {
        work();
    }
}

fn main() {
    if let Ok(case) = std::env::var("KYSO_PROFILE") {
        profile(&case);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
