//! The CA registry on SQLite vs PostgreSQL (issue 22): issuances per second and OCSP answers per
//! second on this machine. A benchmark that prints numbers, not a test.
//!
//! - Issuances: library `Ca::issue` (one signature, one write transaction with its audit entry),
//!   `KYSO_REG_ISSUES` (default 300) per row, by 1 thread and by 4 threads each with its own
//!   `Ca` (its own connection), all into one registry.
//! - OCSP answers: `Publisher::answer` in process (no HTTP), one CertID, without a nonce (the
//!   cached answer: what is left is the registry's change check before every answer) and with a
//!   fresh nonce (signed afresh), 1 and 8 threads, `KYSO_REG_SECS` (default 2) seconds per cell.
//! SQLite: journal DELETE, synchronous FULL (its defaults, as kyso uses it), on the disk of the
//! temporary folder. PostgreSQL: a private cluster in a temporary folder on the same disk, with
//! fsync and synchronous_commit on, over TCP loopback.
//!
//! Run: `cargo bench --bench registry` (needs PostgreSQL's server binaries, as the tests do:
//! `KYSO_PG_BIN` or /usr/lib/postgresql/*/bin).

#[path = "../tests/it/pg.rs"]
#[allow(dead_code)]
mod pg;

use kyso::ca::ocsp::Publisher;
use kyso::ca::{Ca, InitParams, IssueRequest, PgTarget, Profile, SubjectInfo};
use kyso::keys::Kdf;
use kyso::{KeyAlgorithm, PrivateKey, Signer};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn new_ca(dir: &Path, db: Option<PgTarget>, now: time::OffsetDateTime) -> Ca {
    let mut params = InitParams::new("CA Đo tải");
    params.registry = db;
    Ca::init(dir, &params, None, b"bench", Kdf::Pbkdf2Sha256 { iterations: 1000 }, now).unwrap()
}

fn issue_rate(dir: &Path, threads: usize, total: usize, now: time::OffsetDateTime) -> f64 {
    let key = Arc::new(Ca::open(dir).unwrap().open_key(Some(b"bench")).unwrap());
    let unit = Arc::new(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap());
    let t0 = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|w| {
            let (dir, key, unit) = (dir.to_path_buf(), key.clone(), unit.clone());
            std::thread::spawn(move || {
                let mut ca = Ca::open(&dir).unwrap();
                for i in 0..total / threads {
                    let subject = SubjectInfo { cn: format!("Đơn vị {w}-{i}"), ..Default::default() };
                    let req = IssueRequest { profile: Profile::Agency, subject, years: Some(1) };
                    ca.issue(key.as_ref(), &req, unit.public_key_spki(), now).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    (total / threads * threads) as f64 / t0.elapsed().as_secs_f64()
}

fn ocsp_rate(dir: &Path, threads: usize, nonce: bool, secs: u64, now: time::OffsetDateTime) -> f64 {
    let ca = Ca::open(dir).unwrap();
    let key = ca.open_key(Some(b"bench")).unwrap();
    let ca_cert = ca.certificate().to_vec();
    let serial = {
        let mut c = Ca::open(dir).unwrap();
        let s = c.list(now).unwrap().remove(0).serial;
        hex::decode(if s.len() % 2 == 1 { format!("0{s}") } else { s }).unwrap()
    };
    let publisher = Arc::new(Publisher::new(ca, Box::new(key), None, 3600, now.unix_timestamp()).unwrap());
    let issuer = kyso::ocsp::IssuerKey::from_cert(&ca_cert).unwrap();
    let id = kyso::ocsp::CertId::new(kyso::ocsp::CertIdHash::Sha1, &issuer, &serial);
    let until = Instant::now() + Duration::from_secs(secs);
    let t0 = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|w| {
            let (p, id) = (publisher.clone(), id.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < until {
                    let mut nv = [0u8; 16];
                    nv[..8].copy_from_slice(&(w as u64).to_be_bytes());
                    nv[8..].copy_from_slice(&n.to_be_bytes());
                    let der = kyso::ocsp::request_der(std::slice::from_ref(&id), if nonce { Some(&nv) } else { None });
                    let req = kyso::ocsp::Request::from_der(&der).unwrap();
                    let a = p.answer(&req, now.unix_timestamp());
                    assert_eq!(a.status, kyso::ocsp::ResponseStatus::Successful);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let issues = env_num("KYSO_REG_ISSUES", 300) as usize;
    let secs = env_num("KYSO_REG_SECS", 2);
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let cluster = pg::PgCluster::start_durable();
    let url = cluster.create_db("bench");
    let target = PgTarget::parse(&url).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    println!("registry benchmark: {issues} issuances per row, {secs} s per OCSP cell");
    println!("| backend | issuances/s, 1 thread | issuances/s, 4 threads | OCSP/s cached, 1 | OCSP/s cached, 8 | OCSP/s nonce, 1 | OCSP/s nonce, 8 |");
    println!("|---|---|---|---|---|---|---|");
    for (name, db) in [("SQLite", None), ("PostgreSQL", Some(target.clone()))] {
        let dir = tmp.path().join(name);
        drop(new_ca(&dir, db, now));
        let i1 = issue_rate(&dir, 1, issues, now);
        let i4 = issue_rate(&dir, 4, issues, now);
        let c1 = ocsp_rate(&dir, 1, false, secs, now);
        let c8 = ocsp_rate(&dir, 8, false, secs, now);
        let n1 = ocsp_rate(&dir, 1, true, secs, now);
        let n8 = ocsp_rate(&dir, 8, true, secs, now);
        println!("| {name} | {i1:.0} | {i4:.0} | {c1:.0} | {c8:.0} | {n1:.0} | {n8:.0} |");
    }
}
