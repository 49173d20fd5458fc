//! OCSP responder load: `kyso ca serve`'s server (in process) and OpenSSL's `ocsp -index`
//! responder, measured in the same run on loopback with the same client: requests/s and p50/p99
//! latency at 1, 8 and 64 concurrent clients. A benchmark that prints numbers, not a test.
//!
//! Each client is a thread that sends OCSP requests (POST, one CertID, a fresh 16-byte nonce so
//! that every answer is signed afresh by both servers) back to back over one connection, kept
//! alive when the server allows it (kyso: HTTP/1.1 keep-alive; OpenSSL's responder answers
//! HTTP/1.0 and closes, so its clients reconnect for each request — that is how OpenSSL serves
//! them). Bounded: each cell runs `KYSO_LOAD_SECS` seconds (default 3) or 200,000 requests.
//! Rows "no nonce" show kyso's cached answers (RFC 5019 clients send no nonce).
//!
//! Run: `cargo bench --bench ocsp_load` (needs `openssl` on PATH for the peer rows).

use kyso::ca::ocsp::Publisher;
use kyso::ca::serve::{CaServer, ServeOptions};
use kyso::ca::{Ca, InitParams, IssueRequest, Profile, SubjectInfo};
use kyso::keys::Kdf;
use kyso::{KeyAlgorithm, PrivateKey, Signer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_REQUESTS: usize = 200_000;

struct Setup {
    _dir: tempfile::TempDir,
    ca_dir: std::path::PathBuf,
    ca_cert: Vec<u8>,
    unit_serial: Vec<u8>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let ca_dir = dir.path().join("ca");
    let mut ca = Ca::init(&ca_dir, &InitParams::new("CA Đo tải"), None, b"bench", Kdf::default(), now).unwrap();
    let key = ca.open_key(Some(b"bench")).unwrap();
    let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let req = IssueRequest { profile: Profile::Agency, subject: SubjectInfo { cn: "Đơn vị".into(), ..Default::default() }, years: Some(1) };
    let issued = ca.issue(&key, &req, unit.public_key_spki(), now).unwrap();
    let serial = hex::decode(if issued.serial.len() % 2 == 1 { format!("0{}", issued.serial) } else { issued.serial.clone() }).unwrap();
    // The CA key unencrypted, for OpenSSL's responder.
    std::fs::write(dir.path().join("ca-plain.key"), key.to_unencrypted_pem().unwrap().as_bytes()).unwrap();
    let cert_pem = pem::encode(&pem::Pem::new("CERTIFICATE", ca.certificate().to_vec()));
    std::fs::write(dir.path().join("ca-cert.pem"), cert_pem).unwrap();
    let ca_cert = ca.certificate().to_vec();
    Setup { _dir: dir, ca_dir, ca_cert, unit_serial: serial }
}

fn request(s: &Setup, nonce: bool, n: u64) -> Vec<u8> {
    let issuer = kyso::ocsp::IssuerKey::from_cert(&s.ca_cert).unwrap();
    let id = kyso::ocsp::CertId::new(kyso::ocsp::CertIdHash::Sha1, &issuer, &s.unit_serial);
    let mut nv = [0u8; 16];
    nv[..8].copy_from_slice(&n.to_be_bytes());
    nv[8..].copy_from_slice(&(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes());
    kyso::ocsp::request_der(&[id], if nonce { Some(&nv) } else { None })
}

/// One client's requests: latencies (µs) of successful answers.
fn client(port: u16, reqs: &[Vec<u8>], until: Instant, quota: usize) -> Vec<u32> {
    let mut lat = Vec::new();
    let mut conn: Option<TcpStream> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut i = 0usize;
    while Instant::now() < until && lat.len() < quota {
        let body = &reqs[i % reqs.len()];
        i += 1;
        let t0 = Instant::now();
        let mut s = match conn.take() {
            Some(s) => s,
            None => match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                    s
                }
                Err(_) => continue,
            },
        };
        // Keep-alive asked explicitly: a server that supports it (either HTTP version) keeps the
        // connection; one that closes it costs its clients a new connection per request.
        let head = format!(
            "POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        );
        let mut msg = head.into_bytes();
        msg.extend_from_slice(body);
        if s.write_all(&msg).is_err() {
            continue;
        }
        // Read the answer: headers, then Content-Length bytes.
        let mut got = Vec::new();
        let (mut header_end, mut length, mut keep) = (None, None, true);
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            got.extend_from_slice(&buf[..n]);
            if header_end.is_none() {
                if let Some(e) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    header_end = Some(e + 4);
                    let head = String::from_utf8_lossy(&got[..e]).to_ascii_lowercase();
                    keep = !head.contains("connection: close") && (head.starts_with("http/1.1") || head.contains("connection: keep-alive"));
                    length = head.lines().find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok()));
                }
            }
            if let (Some(e), Some(l)) = (header_end, length) {
                if got.len() >= e + l {
                    break;
                }
            }
        }
        let ok = matches!((header_end, length), (Some(e), Some(l)) if got.len() >= e + l && got.starts_with(b"HTTP/1.") && got[e..].starts_with(&[0x30]));
        if ok {
            lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
            if keep {
                conn = Some(s);
            }
        }
    }
    lat
}

struct Cell {
    rps: f64,
    p50: f64,
    p99: f64,
    n: usize,
}

fn run(port: u16, clients: usize, reqs: Arc<Vec<Vec<u8>>>, secs: f64) -> Cell {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let quota = MAX_REQUESTS / clients;
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let reqs = Arc::clone(&reqs);
            std::thread::spawn(move || {
                let mine: Vec<Vec<u8>> = reqs.iter().skip(c).step_by(clients.max(1)).cloned().collect();
                client(port, if mine.is_empty() { &reqs } else { &mine }, until, quota)
            })
        })
        .collect();
    let mut all: Vec<u32> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| all.get(((all.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0) as f64 / 1000.0;
    Cell { rps: all.len() as f64 / elapsed, p50: pct(0.50), p99: pct(0.99), n: all.len() }
}

fn openssl_responder(dir: &Path, s: &Setup, multi: Option<u32>) -> (std::process::Child, u16) {
    let serial = hex::encode_upper(&s.unit_serial);
    std::fs::write(dir.join("index.txt"), format!("V\t351231000000Z\t\t{serial}\tunknown\t/CN=unit\n")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new("openssl");
    cmd.args(["ocsp", "-index", "index.txt", "-port", &port.to_string(), "-rsigner", "ca-cert.pem", "-rkey", "ca-plain.key", "-CA", "ca-cert.pem", "-ndays", "1"]);
    if let Some(m) = multi {
        cmd.args(["-multi", &m.to_string()]);
    }
    let mut child = cmd.current_dir(dir).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("openssl on PATH");
    // Ready when it says it waits for connections (a probe connection would block this
    // one-connection-at-a-time responder). With -multi the workers say nothing: a fixed wait.
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            if l.contains("waiting for OCSP client connections") {
                let _ = tx.send(());
            }
        }
    });
    let wait = if multi.is_some() { Duration::from_millis(1500) } else { Duration::from_secs(10) };
    let _ = rx.recv_timeout(wait);
    std::thread::sleep(Duration::from_millis(100));
    (child, port)
}

/// Stops OpenSSL's responder: its -multi workers first (by their process ids: they outlive a
/// stopped parent), then the parent (SIGTERM), then wait.
fn stop_child(child: &mut std::process::Child) {
    let kids = Command::new("pgrep").args(["-P", &child.id().to_string()]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    for pid in kids.split_whitespace() {
        let _ = Command::new("kill").args(["-TERM", pid]).status();
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    let secs: f64 = std::env::var("KYSO_LOAD_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3.0);
    let s = setup();
    let with_nonce: Arc<Vec<Vec<u8>>> = Arc::new((0..4096).map(|n| request(&s, true, n)).collect());
    let without: Arc<Vec<Vec<u8>>> = Arc::new(vec![request(&s, false, 0)]);

    // kyso: the server of `kyso ca serve`, in process, CA-signed answers.
    let ca = Ca::open(&s.ca_dir).unwrap();
    let key: Box<dyn Signer> = Box::new(ca.open_key(Some(b"bench")).unwrap());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let publisher = Arc::new(Publisher::new(ca, key, None, 3600, now).unwrap());
    let server = Arc::new(CaServer::bind("127.0.0.1:0", vec![publisher], Arc::new(time::OffsetDateTime::now_utc), ServeOptions::default()).unwrap());
    let kport = server.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let srv = {
        let (server, stop) = (Arc::clone(&server), Arc::clone(&stop));
        std::thread::spawn(move || server.run(&stop, &|_| {}))
    };
    let dir = s._dir.path().to_path_buf();
    println!("OCSP load, loopback, {secs} s per cell, {} cores; requests/s, latency p50/p99 in ms", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("{:<34} {:>8} {:>12} {:>9} {:>9} {:>9}", "server", "clients", "requests/s", "p50 ms", "p99 ms", "answers");
    let mut at64 = (0.0, 0.0);
    for clients in [1usize, 8, 64] {
        let (mut child, oport) = openssl_responder(&dir, &s, None);
        let o = run(oport, clients, Arc::clone(&with_nonce), secs);
        stop_child(&mut child);
        let k = run(kport, clients, Arc::clone(&with_nonce), secs);
        let kc = run(kport, clients, Arc::clone(&without), secs);
        let (mut child, mport) = openssl_responder(&dir, &s, Some(2));
        let m = run(mport, clients, Arc::clone(&with_nonce), secs);
        stop_child(&mut child);
        for (name, c) in [
            ("openssl ocsp -index (nonce)", &o),
            ("openssl ocsp -index -multi 2 (nonce)", &m),
            ("kyso ca serve (nonce)", &k),
            ("kyso ca serve (no nonce, cached)", &kc),
        ] {
            println!("{name:<34} {clients:>8} {:>12.0} {:>9.2} {:>9.2} {:>9}", c.rps, c.p50, c.p99, c.n);
        }
        if clients == 64 {
            at64 = (k.rps, o.rps);
        }
    }
    println!("kyso / OpenSSL at 64 clients (nonce, every answer signed): {:.1}x", at64.0 / at64.1.max(1.0));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = srv.join();
}
