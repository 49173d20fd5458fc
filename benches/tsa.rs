//! Timestamp authority hot paths: answering a request (parse, TSTInfo, CMS, one ECDSA P-256
//! signature), verifying a token with its path to a root, and the HTTP server's throughput with
//! 8 concurrent clients on loopback (what tests/it/tsa.rs used to time inside `cargo test`: the
//! test now checks the same traffic for correctness, bounded in count, and this bench measures
//! it). The PKI is made once with rcgen.
//!
//! `cargo bench --bench tsa`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

/// Requests per client per batch, and concurrent clients (as the load test in tests/it/tsa.rs).
const PER_CLIENT: usize = 100;
const CLIENTS: usize = 8;

/// `TsaServer` (8 workers) on 127.0.0.1, 8 client threads each sending PER_CLIENT requests with
/// `HttpClient` (one connection per request, as kyso's client does); one iteration = one batch.
fn bench_server(c: &mut Criterion) {
    use kyso::tsp::server::{ServerOptions, TsaServer};
    use kyso::tsp::TsaClient as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = fixture();
    let server = TsaServer::bind("127.0.0.1:0", f.tsa, Arc::new(time::OffsetDateTime::now_utc), ServerOptions::default()).unwrap();
    let url = format!("http://{}/", server.local_addr().unwrap());
    let stop = AtomicBool::new(false);
    std::thread::scope(|sc| {
        let serving = sc.spawn(|| server.run(&stop, &|_| {}));
        let mut g = c.benchmark_group("tsa serve (HTTP over loopback)");
        g.throughput(Throughput::Elements((CLIENTS * PER_CLIENT) as u64));
        g.sample_size(10);
        g.bench_function(format!("{CLIENTS} clients x {PER_CLIENT} requests"), |b| {
            b.iter(|| {
                std::thread::scope(|cs| {
                    for _ in 0..CLIENTS {
                        cs.spawn(|| {
                            let client = tsp::HttpClient::new(&url, Duration::from_secs(60)).unwrap();
                            for _ in 0..PER_CLIENT {
                                let reply = client.exchange(&f.request).unwrap();
                                tsp::parse_response(&reply).unwrap();
                            }
                        });
                    }
                });
            })
        });
        g.finish();
        stop.store(true, Ordering::SeqCst);
        let stats = serving.join().unwrap();
        assert_eq!(stats.rejected + stats.refused, 0, "{stats:?}");
    });
}

criterion_group!(benches, bench, bench_server);
criterion_main!(benches);
