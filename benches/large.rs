//! Throughput on a 1 GiB file: `kyso` signing (`DocumentSigner::sign_file`) and verification
//! (`Verifier::verify_batch`, the path `kyso verify` takes) next to SHA-256 of the same bytes,
//! measured in the same run:
//!
//! - `sha256_file`: read the file through a 1 MiB buffer and hash it (the limit for a file);
//! - `sha256_memory`: hash 1 GiB already in memory (64 MiB hashed 16 times: the primitive alone).
//!
//! The file (pseudo-random bytes, so that nothing compresses or is sparse) is written once to
//! `target/bench-data/1GiB.bin` and reused by later runs; after the first pass it is served from
//! the page cache, so the numbers are CPU-bound, not disk-bound. Peak memory is measured by
//! `benches/compare.sh` with `/usr/bin/time -v` on the CLI, not here.
//!
//! `cargo bench --bench large`

#[path = "common/clock.rs"]
mod clock;
#[path = "common/example.rs"]
mod example;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use kyso::sign::DocumentSigner;
use kyso::verify::{Job, Options, RevocationMode, Verifier};
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::macros::datetime;

const SIZE: u64 = 1 << 30;

/// Pseudo-random bytes (xorshift64*), deterministic.
fn fill(buf: &mut [u8], state: &mut u64) {
    for chunk in buf.chunks_mut(8) {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let v = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// The cached 1 GiB input, written on first use.
fn big_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join("1GiB.bin");
    if std::fs::metadata(&path).map(|m| m.len() == SIZE).unwrap_or(false) {
        return path;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("1GiB.bin.tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let mut buf = vec![0u8; 1 << 20];
    let mut state = 0x6b79_736f_u64;
    for _ in 0..(SIZE >> 20) {
        fill(&mut buf, &mut state);
        f.write_all(&buf).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn sha256_file(path: &Path) -> ring::digest::Digest {
    let mut f = std::fs::File::open(path).unwrap();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    ctx.finish()
}

fn bench(c: &mut Criterion<clock::Clock>) {
    let path = big_file();
    let example::Pki { anchors, chain, crls, cert, key } = example::pki();
    let signer = DocumentSigner::new(key, &cert, &chain).unwrap();
    let at = datetime!(2026-12-01 08:00 +07:00);

    let sig_path = path.with_extension("bin.p7s");
    std::fs::write(&sig_path, signer.sign_file(&path, at).unwrap()).unwrap();
    let opts = Options::at(datetime!(2027-06-01 0:00 UTC)).revocation(RevocationMode::Require);
    let verifier = Verifier::new(&anchors, &chain, &crls, opts).unwrap();
    let jobs = [Job { document: path.clone(), signature: sig_path.clone() }];
    let r = verifier.verify_batch(&jobs);
    assert_eq!(r.exit_code(), 0, "{r:?}");

    let mut memory = vec![0u8; 64 << 20];
    fill(&mut memory, &mut 42);

    let mut g = c.benchmark_group("large/1GiB");
    g.throughput(Throughput::Bytes(SIZE));
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function(BenchmarkId::new("sha256_memory", "1GiB"), |b| {
        b.iter(|| {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            for _ in 0..(SIZE / memory.len() as u64) {
                ctx.update(black_box(&memory));
            }
            ctx.finish()
        })
    });
    g.bench_function(BenchmarkId::new("sha256_file", "1GiB"), |b| b.iter(|| sha256_file(black_box(&path))));
    g.bench_function(BenchmarkId::new("kyso_sign_file", "1GiB"), |b| b.iter(|| signer.sign_file(black_box(&path), at).unwrap()));
    g.bench_function(BenchmarkId::new("kyso_verify_file", "1GiB"), |b| b.iter(|| verifier.verify_batch(black_box(&jobs))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(clock::Clock::from_env());
    targets = bench
}
criterion_main!(benches);
