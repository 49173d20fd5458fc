//! `kyso web` load (issue 20): uploads of a ~100 KiB signed PDF to `POST /api/verify` over
//! loopback at 1, 8 and 32 concurrent clients — verifications/s and p50/p99 latency — against
//! `kyso verify` of the same file in a process loop (the baseline a script would use), and the
//! server's peak RSS (VmHWM) after the runs. A benchmark that prints numbers, not a test.
//!
//! The server is this build's `kyso web` binary (a child process, so its RSS is its own), with
//! the example province's root and CRLs, `--offline`, and `--max-verifications 64` so that the
//! measurement is of verification, not of 503s (each refusal would be counted and printed).
//! Each client is a thread with one kept-alive connection, posting back to back. Bounded: each
//! cell runs `KYSO_LOAD_SECS` seconds (default 5) or 20,000 requests.
//!
//! Run: `cargo bench --bench web_load` (a release build; `openssl`-free).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MAX_REQUESTS: usize = 20_000;

fn example(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example").join(rel).to_string_lossy().into_owned()
}

fn kyso() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyso"));
    c.env_remove("KYSO_PASSPHRASE");
    c
}

/// A signed PDF of about 100 KiB: the sample dispatch with a visible seal (PNG) and a PAdES
/// signature of the Văn phòng UBND agency certificate (its seal image).
fn signed_pdf(dir: &Path) -> PathBuf {
    let out = dir.join("cong-van-ky.pdf");
    let o = kyso()
        .args(["sign", "--pades", "--cert", &example("units/van-phong-ubnd/agency.pem"), "--key", &example("units/van-phong-ubnd/agency.key")])
        .args(["--chain", &example("chain.pem"), "--pass-file", &example("passphrase.txt"), "--appearance", "seal", "--page", "1", "--rect", "110,200"])
        .args(["--image", &example("pdf/seal.png"), "--out", out.to_str().unwrap(), &example("pdf/cong-van.pdf")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn start_web() -> (Child, u16) {
    let mut child = kyso()
        .args(["web", "--listen", "127.0.0.1:0", "--trust", &example("root.pem"), "--crl", &example("crl.pem"), "--offline"])
        .args(["--max-verifications", "64"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut port = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("kyso web: listening on http://127.0.0.1:") {
            port = rest.trim_end_matches('/').parse().unwrap();
            break;
        }
    }
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    assert!(port > 0, "kyso web did not start");
    (child, port)
}

/// The request: the PDF as the one part named `files`, keep-alive.
fn request(pdf: &[u8]) -> Vec<u8> {
    let b = "kysoLoadBoundary";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"cong-van-ky.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let mut r = format!("POST /api/verify HTTP/1.1\r\nHost: bench\r\nContent-Type: multipart/form-data; boundary={b}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(&body);
    r
}

/// Reads one answer (status, body) from a kept-alive connection.
fn read_answer(s: &mut BufReader<TcpStream>) -> Option<(u16, Vec<u8>)> {
    let mut line = String::new();
    s.read_line(&mut line).ok()?;
    let code: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        s.read_line(&mut h).ok()?;
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((code, body))
}

struct Cell {
    rate: f64,
    p50: f64,
    p99: f64,
    done: usize,
    refused: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn run(port: u16, clients: usize, req: &[u8], secs: f64) -> Cell {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let quota = MAX_REQUESTS / clients;
    let started = Instant::now();
    let results: Vec<(Vec<f64>, usize)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut refused = 0;
                    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    stream.set_nodelay(true).unwrap();
                    let mut w = stream.try_clone().unwrap();
                    let mut r = BufReader::new(stream);
                    while Instant::now() < until && lat.len() < quota {
                        let t = Instant::now();
                        w.write_all(req).unwrap();
                        let (code, body) = read_answer(&mut r).expect("an answer");
                        match code {
                            200 => {
                                assert!(body.windows(14).any(|x| x == b"\"TOTAL_PASSED\""), "{}", String::from_utf8_lossy(&body));
                                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                            _ => refused += 1,
                        }
                    }
                    (lat, refused)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut all: Vec<f64> = results.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Cell { rate: all.len() as f64 / elapsed, p50: percentile(&all, 0.5), p99: percentile(&all, 0.99), done: all.len(), refused: results.iter().map(|r| r.1).sum() }
}

/// `kyso verify FILE.pdf … --json` in a process loop: one process per verification.
fn baseline(pdf: &Path, secs: f64) -> Cell {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut lat = Vec::new();
    while Instant::now() < until && lat.len() < MAX_REQUESTS {
        let t = Instant::now();
        let o = kyso()
            .args(["verify", pdf.to_str().unwrap(), "--trust", &example("root.pem"), "--crl", &example("crl.pem"), "--offline", "--json"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Cell { rate: lat.len() as f64 / elapsed, p50: percentile(&lat, 0.5), p99: percentile(&lat, 0.99), done: lat.len(), refused: 0 }
}

fn vm(pid: u32, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(|l| l.trim_start_matches(key).trim().to_string()))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let secs: f64 = std::env::var("KYSO_LOAD_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(5.0);
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = signed_pdf(dir.path());
    let pdf = std::fs::read(&pdf_path).unwrap();
    let req = request(&pdf);
    let (mut child, port) = start_web();
    println!("kyso web load: a {} KiB signed PDF, {secs} s per cell, loopback", pdf.len() / 1024);
    println!("{:<36}{:>8}{:>16}{:>10}{:>10}{:>10}{:>9}", "", "clients", "verifications/s", "p50 ms", "p99 ms", "answers", "refused");
    let b = baseline(&pdf_path, secs);
    println!("{:<36}{:>8}{:>16.1}{:>10.1}{:>10.1}{:>10}{:>9}", "kyso verify (process loop)", 1, b.rate, b.p50, b.p99, b.done, "-");
    for clients in [1, 8, 32] {
        let c = run(port, clients, &req, secs);
        println!("{:<36}{:>8}{:>16.1}{:>10.1}{:>10.1}{:>10}{:>9}", "kyso web POST /api/verify", clients, c.rate, c.p50, c.p99, c.done, c.refused);
    }
    println!("kyso web peak RSS (VmHWM): {}; now (VmRSS): {}", vm(child.id(), "VmHWM:"), vm(child.id(), "VmRSS:"));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}
