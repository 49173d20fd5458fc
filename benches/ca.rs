//! CA hot paths: issuing one certificate (signature + one SQLite transaction with the audit
//! entry) and publishing a CRL that lists 1,000 revoked certificates. Inputs are built once.

use criterion::{criterion_group, criterion_main, Criterion};
use kyso::ca::{Ca, InitParams, IssueRequest, Profile, Reason, SubjectInfo};
use kyso::{Kdf, KeyAlgorithm, PrivateKey, Signer};

fn bench(c: &mut Criterion) {
    let now = time::OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ca = Ca::init(&dir.path().join("ca"), &InitParams::new("CA Tỉnh Bắc Ninh"), None, b"bench", Kdf::Pbkdf2Sha256 { iterations: 1000 }, now)
        .expect("init");
    let key = ca.open_key(Some(b"bench")).expect("key");
    let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("unit key");
    let req = IssueRequest {
        profile: Profile::Agency,
        subject: SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), uid: Some("MNS:1000002".into()), ..Default::default() },
        years: None,
    };
    c.bench_function("ca issue (sign + registry transaction)", |b| {
        b.iter(|| ca.issue(&key, &req, unit.public_key_spki(), now).expect("issue"))
    });
    // A second CA with 1,000 revoked certificates, then CRL publication.
    let mut ca = Ca::init(&dir.path().join("ca2"), &InitParams::new("CA 2"), None, b"bench", Kdf::Pbkdf2Sha256 { iterations: 1000 }, now)
        .expect("init");
    let key = ca.open_key(Some(b"bench")).expect("key");
    let serials: Vec<String> = (0..1000).map(|_| ca.issue(&key, &req, unit.public_key_spki(), now).expect("issue").serial).collect();
    for s in &serials {
        ca.revoke(&key, s, Reason::Superseded, now).expect("revoke");
    }
    let mut g = c.benchmark_group("crl");
    g.sample_size(20);
    g.bench_function(format!("publish CRL listing {} revoked", serials.len()), |b| {
        b.iter(|| ca.publish_crl(&key, Some(7), now).expect("crl"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
