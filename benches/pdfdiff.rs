//! The PDF difference analysis in linear time (issue 16): `kyso::pdf::signatures` (signature
//! listing plus the analysis) and `Verifier::verify_pdf` (the verdict) on
//!
//! - `quadratic`: the 1 MB-class input issue 16 timed at ~50 s of CPU before the rewrite (a
//!   signed page with 100,000 references in /Annots and a second signature appended to it);
//! - `worst_case`: about 20 MB — arrays of 1,000,000 elements (a page's /Annots, an integer
//!   array) and 64 signatures, each after a revision that makes a forbidden change, so that the
//!   roles are recomputed in full for each of the 64 signed revisions (the most work one file
//!   can ask of the analysis: see src/pdf/diff/mod.rs).
//!
//! Both are built once (benches/common/hostile_pdf.rs) and cached in `target/bench-data/`. Before
//! measuring, each is verified once and must get its verdict within [`BOUND`] of CPU time, or
//! the bench fails.
//!
//! `cargo bench --bench pdfdiff`. Measured: see benches/RESULTS.md (issue 16 section).

#[path = "common/clock.rs"]
mod clock;
#[path = "common/example.rs"]
mod example;
#[path = "common/hostile_pdf.rs"]
mod hostile_pdf;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kyso::sign::DocumentSigner;
use kyso::verify::{Options, RevocationMode, Verifier};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

/// The most CPU time one verdict may take (release build, one core of the project machine).
const BOUND: Duration = Duration::from_secs(10);

fn cached(name: &str, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join(name);
    if let Ok(b) = std::fs::read(&path) {
        return b;
    }
    let b = make();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&path, &b).unwrap();
    b
}

/// The process's CPU time (user + system), from /proc/self/stat (clock ticks of 10 ms).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the command name: field 14 (utime) and 15 (stime) of proc(5) are indices 11 and 12.
    Duration::from_millis((tick(11) + tick(12)) * 10)
}

fn bench(c: &mut Criterion<clock::Clock>) {
    let pki = example::pki();
    let signer = DocumentSigner::new(pki.key, &pki.cert, &pki.chain).unwrap();
    let when = time::macros::datetime!(2026-12-01 09:00:00 +07:00);
    let mut make_cms = |r: &kyso::pdf::SignedRanges<'_>| signer.sign_digest(&r.digest(signer.digest_algorithm()), when).unwrap();
    let inputs = [
        ("quadratic", cached("pdfdiff-quadratic.pdf", || hostile_pdf::quadratic(&mut make_cms))),
        ("worst_case", cached("pdfdiff-worst-case.pdf", || hostile_pdf::worst_case(1_000_000, 64, false, &mut make_cms))),
    ];
    let at = time::macros::datetime!(2027-01-15 12:00 UTC);
    let verifier = Verifier::new(&pki.anchors, &pki.chain, &pki.crls, Options::at(at).revocation(RevocationMode::Off)).unwrap();
    for (name, pdf) in &inputs {
        let start = cpu();
        let report = verifier.verify_pdf(name, pdf);
        let spent = cpu().saturating_sub(start);
        // Every signature before the last follows a forbidden change: none may pass; each is
        // judged changed, or (when the work budget ran out) not analysable. The last covers the
        // whole file.
        let sigs = kyso::pdf::signatures(pdf).unwrap();
        let codes: Vec<&str> = sigs.iter().map(|s| s.modifications.code()).collect();
        let expected_last = if *name == "quadratic" { ["signatures_and_form_filling", "none"].as_slice() } else { ["none"].as_slice() };
        assert!(codes.ends_with(expected_last), "{name}: {codes:?}");
        if *name == "worst_case" {
            assert!(codes[..codes.len() - 1].iter().all(|c| *c == "other" || *c == "unknown"), "{name}: {codes:?}");
            assert!(report.signatures[..report.signatures.len() - 1].iter().all(|r| r.indication != kyso::Indication::TotalPassed));
        }
        let other = codes.iter().filter(|c| **c == "other").count();
        eprintln!(
            "{name}: {} bytes, {} signatures ({other} judged changed, {} too complex), verdict {:?} in {spent:?} of CPU",
            pdf.len(),
            report.signatures.len(),
            codes.iter().filter(|c| **c == "unknown").count(),
            report.indication
        );
        assert!(spent <= BOUND, "{name}: the verdict took {spent:?} of CPU, more than {BOUND:?}");
    }
    let mut g = c.benchmark_group("pdfdiff");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, pdf) in &inputs {
        g.throughput(Throughput::Bytes(pdf.len() as u64));
        g.bench_function(format!("signatures/{name}"), |b| b.iter(|| black_box(kyso::pdf::signatures(black_box(pdf)).unwrap().len())));
        g.bench_function(format!("verify_pdf/{name}"), |b| b.iter(|| black_box(verifier.verify_pdf(name, black_box(pdf)).indication)));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(clock::Clock::from_env());
    targets = bench
}
criterion_main!(benches);
