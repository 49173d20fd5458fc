//! Batch signing with a key on a PKCS#11 token against the same batch with a file key (issue 19):
//! 1,000 documents of 1 KiB, CAdES-B-B with ECDSA P-256, through `kyso::sign::batch` (the code
//! `kyso sign FILE...` runs), the token being SoftHSM2 in this process. Prints wall and CPU time per
//! run, the medians, signatures per second and the token/file ratio; also single-thread raw
//! signatures (`Signer::sign` alone) of both keys.
//!
//! `cargo bench --bench token` (needs SoftHSM2: `apt-get install softhsm2`). The documents and
//! signatures are written to /dev/shm when it exists, so that the disk's file creation and syncing
//! (which dominate a batch on this machine's disk, see README "Performance") do not hide the key's
//! cost. `KYSO_BENCH_RUNS` sets the runs per key (default 5).

use kyso::pkcs11::{Pkcs11Uri, Token, TokenKey};
use kyso::sign::batch::{Batch, Job, Mode};
use kyso::sign::DocumentSigner;
use kyso::{KeyAlgorithm, PrivateKey, Signer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use time::macros::datetime;

const DOCS: usize = 1000;
const MODULES: &[&str] = &["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib64/pkcs11/libsofthsm2.so"];

fn cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the valid pointer given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A unit certificate for `spki`, issued by a throwaway CA.
fn certificate(spki: &[u8]) -> Vec<u8> {
    let ca_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut ca = CertificateParams::new(vec![]).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "CA Tỉnh Bắc Ninh");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = Issuer::from_params(&ca, &ca_key);
    let mut unit = CertificateParams::new(vec![]).unwrap();
    unit.distinguished_name.push(DnType::CommonName, "Sở Y tế tỉnh Bắc Ninh");
    unit.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
    unit.not_before = datetime!(2026-01-01 0:00 UTC);
    unit.not_after = datetime!(2030-01-01 0:00 UTC);
    let key = rcgen::SubjectPublicKeyInfo::from_der(spki).unwrap();
    unit.signed_by(&key, &issuer).unwrap().der().to_vec()
}

/// A SoftHSM2 token in `dir` (SOFTHSM2_CONF is set for this process before the module loads) and
/// a P-256 key generated on it.
fn token_key(dir: &Path) -> TokenKey {
    let module = MODULES.iter().map(PathBuf::from).find(|p| p.is_file()).expect("SoftHSM2 is required: apt-get install softhsm2");
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(&conf, format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n", dir.join("tokens").display())).unwrap();
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let ok = std::process::Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"])
        .output()
        .expect("softhsm2-util is required")
        .status
        .success();
    assert!(ok, "softhsm2-util --init-token failed");
    let uri = Pkcs11Uri { token: Some("bench".into()), ..Pkcs11Uri::default() };
    let mut token = Token::open(&module, &uri, true).unwrap();
    token.login(Some(b"1234")).unwrap();
    token.generate_key("bench", KeyAlgorithm::EcdsaP256).unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Signs the batch `runs` times (outputs replaced each time); returns (wall, cpu) per run.
fn run_batches<K: Signer + Sync>(signer: &DocumentSigner<K>, docs: &[PathBuf], out: &Path, runs: usize) -> (Vec<Duration>, Vec<Duration>) {
    std::fs::create_dir_all(out).unwrap();
    let jobs: Vec<Job> = docs.iter().map(|d| Job { input: d.clone(), output: out.join(format!("{}.p7s", d.file_name().unwrap().to_string_lossy())) }).collect();
    let at = datetime!(2027-01-01 0:00 UTC);
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let batch = Batch::new(jobs.clone(), Mode::Replace);
        let (w, c) = (Instant::now(), cpu_time());
        let results = batch.sign(signer, at, |p7s| Ok::<_, std::convert::Infallible>(p7s), &mut ());
        let (wall, cpu) = (w.elapsed(), cpu_time() - c);
        assert!(results.iter().all(Result::is_ok), "a document failed");
        walls.push(wall);
        cpus.push(cpu);
    }
    (walls, cpus)
}

fn raw_signs(key: &dyn Signer, n: usize) -> Duration {
    let msg = [0x5au8; 100];
    let t = Instant::now();
    for _ in 0..n {
        key.sign(&msg).unwrap();
    }
    t.elapsed()
}

fn main() {
    // cargo bench passes --bench; nothing else is understood.
    let runs: usize = std::env::var("KYSO_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let base = if Path::new("/dev/shm").is_dir() { tempfile::tempdir_in("/dev/shm").unwrap() } else { tempfile::tempdir().unwrap() };
    let hsm = tempfile::tempdir().unwrap();
    let token = token_key(hsm.path());
    let file = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();

    let raw_n = 2000;
    let (raw_token, raw_file) = (raw_signs(&token, raw_n), raw_signs(&file, raw_n));
    println!("raw ECDSA P-256 signatures, one thread, {raw_n} each:");
    println!("  SoftHSM2 token key: {:>8.1} µs each ({:.0}/s)", raw_token.as_secs_f64() * 1e6 / raw_n as f64, raw_n as f64 / raw_token.as_secs_f64());
    println!("  file key (ring):    {:>8.1} µs each ({:.0}/s)", raw_file.as_secs_f64() * 1e6 / raw_n as f64, raw_n as f64 / raw_file.as_secs_f64());

    let docs: Vec<PathBuf> = (0..DOCS)
        .map(|i| {
            let p = base.path().join(format!("cv-{i:04}.txt"));
            let mut body = format!("Công văn số {i}/UBND-VP\n").into_bytes();
            body.resize(1024, b'.');
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect();
    let token_cert = certificate(token.public_key_spki());
    let file_cert = certificate(file.public_key_spki());
    let token_signer = DocumentSigner::new(token, &token_cert, &[]).unwrap();
    let file_signer = DocumentSigner::new(file, &file_cert, &[]).unwrap();
    // one warm-up batch each, then the measured runs, alternating
    run_batches(&token_signer, &docs, &base.path().join("out-token"), 1);
    run_batches(&file_signer, &docs, &base.path().join("out-file"), 1);
    let (mut tw, mut tc, mut fw, mut fc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (w, c) = run_batches(&token_signer, &docs, &base.path().join("out-token"), 1);
        tw.extend(w);
        tc.extend(c);
        let (w, c) = run_batches(&file_signer, &docs, &base.path().join("out-file"), 1);
        fw.extend(w);
        fc.extend(c);
    }
    println!("batch of {DOCS} × 1 KiB documents, CAdES-B-B P-256, {} threads, {runs} runs each (on {}):", rayon::current_num_threads(), base.path().display());
    for (name, w, c) in [("token key", &tw, &tc), ("file key ", &fw, &fc)] {
        let ws: Vec<String> = w.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1e3)).collect();
        println!(
            "  {name}: wall ms [{}], median {:.0} ms = {:.0} documents/s; CPU median {:.0} ms",
            ws.join(", "),
            median(w.clone()).as_secs_f64() * 1e3,
            DOCS as f64 / median(w.clone()).as_secs_f64(),
            median(c.clone()).as_secs_f64() * 1e3
        );
    }
    let ratio_wall = median(tw).as_secs_f64() / median(fw).as_secs_f64();
    let ratio_cpu = median(tc).as_secs_f64() / median(fc).as_secs_f64();
    println!("token / file: {ratio_wall:.2}× wall time, {ratio_cpu:.2}× CPU time");
}
