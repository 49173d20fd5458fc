//! Issue 17: revocation for a recipient who has nothing but the document and the root.
//!
//! - `kyso ca serve` checked by OpenSSL: `openssl ocsp` gets good, revoked (time, reason) and
//!   unknown answers and accepts their signatures (CA-signed and delegated responder); curl
//!   fetches the CRL and the CA certificate with their content types; a revocation is in the
//!   next OCSP answer and the next CRL fetched.
//! - kyso's client checked against OpenSSL's responder (`openssl ocsp -index … -port`).
//! - The recipient: revoked via OCSP and via a CRL fetch; server down → TRY_LATER naming the
//!   URL; `--offline` → the same without any connection (a listener counts them).
//! - Hostile input to the server: truncated, oversized, unknown issuers, garbage, slow clients.

use crate::cli::{kyso, run, summary};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASS: &str = "mật khẩu thử nghiệm";
/// The units' own passphrase (their keys never share the CA's).
const UNIT_PASS: &str = crate::ca::UNIT_PASS;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// How a test province publishes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publish {
    /// CRL, CA certificate and OCSP URLs in the certificates; the CA key signs OCSP answers.
    Ocsp,
    /// The same, with a delegated responder certificate (ca/ocsp.pem, ca/ocsp.key).
    Delegated,
    /// Only CRL distribution points (no OCSP URL).
    CrlOnly,
}

/// A root and an issuing CA made by kyso, whose certificates point at 127.0.0.1:`port`, and two
/// unit certificates (u1, u2).
pub(crate) struct Province {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) port: u16,
    server: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

fn k(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let pass = crate::ca::pass_for(args); // its PASS is the CA's here too
    let o = kyso().args(args).env("KYSO_PASSPHRASE", pass).env("KYSO_KEY_PASSPHRASE", UNIT_PASS).current_dir(dir).output().unwrap();
    summary(&o)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = k(dir, args);
    assert_eq!(code, 0, "kyso {args:?}: {out}{err}");
    out
}

impl Province {
    pub(crate) fn new(publish: Publish) -> Province {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let d = dir.path();
        let base = format!("http://127.0.0.1:{port}");
        for (name, cn, parent) in [("root", "Root CA Thử nghiệm", None), ("ca", "CA Thử nghiệm", Some("root"))] {
            let crl = format!("{base}/{name}/crl");
            let cert = format!("{base}/{name}/ca.crt");
            let ocsp = format!("{base}/ocsp");
            let mut args = vec!["ca", "init", "--dir", name, "--name", cn, "--crl-url", &crl, "--ca-issuers-url", &cert];
            if publish != Publish::CrlOnly {
                args.extend(["--ocsp-url", &ocsp]);
            }
            if let Some(p) = parent {
                args.extend(["--parent", p]);
            }
            ok(d, &args);
        }
        for u in ["u1", "u2"] {
            let (key, cert) = (format!("{u}.key"), format!("{u}.pem"));
            ok(d, &["ca", "issue", "--dir", "ca", "--profile", "agency", "--cn", &format!("Đơn vị {u}"), "--key-out", &key, "--cert-out", &cert]);
        }
        if publish == Publish::Delegated {
            ok(d, &["ca", "issue", "--dir", "ca", "--profile", "ocsp", "--cn", "OCSP CA Thử nghiệm", "--key-out", "ca/ocsp.key", "--cert-out", "ca/ocsp.pem"]);
        }
        Province { dir, port, server: None, log: Arc::new(Mutex::new(Vec::new())) }
    }

    pub(crate) fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Starts `kyso ca serve --dir root --dir ca` on the province's port.
    pub(crate) fn serve(&mut self, extra: &[&str]) {
        let listen = format!("127.0.0.1:{}", self.port);
        let mut child = kyso()
            .args(["ca", "serve", "--dir", "root", "--dir", "ca", "--listen", &listen, "--verbose"])
            .args(extra)
            .env("KYSO_PASSPHRASE", PASS)
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut early = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let started = line.starts_with("kyso ca serve: listening on");
            early.push(line);
            if started {
                break;
            }
        }
        assert!(early.iter().any(|l| l.starts_with("kyso ca serve: listening on")), "the server did not start: {early:?}");
        self.log = Arc::new(Mutex::new(early));
        let sink = Arc::clone(&self.log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        self.server = Some(child);
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub(crate) fn server_alive(&mut self) -> bool {
        self.server.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn serial(&self, cert: &str) -> String {
        let o = Command::new("openssl").args(["x509", "-noout", "-serial", "-in", cert]).current_dir(self.dir.path()).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().trim_start_matches("serial=").to_string()
    }

    pub(crate) fn revoke(&self, cert: &str, reason: &str) {
        let serial = self.serial(cert);
        ok(self.dir.path(), &["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", reason]);
    }

    /// Signs `doc` (written with some text) with unit `u`: doc.p7s beside it.
    pub(crate) fn sign(&self, u: &str, doc: &str) {
        std::fs::write(self.path(doc), format!("Công văn của {u}\n")).unwrap();
        let (cert, key) = (format!("{u}.pem"), format!("{u}.key"));
        ok(self.dir.path(), &["sign", "--cert", &cert, "--key", &key, "--chain", "ca/chain.pem", doc]);
    }
}

impl Drop for Province {
    fn drop(&mut self) {
        self.stop();
    }
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// `openssl ocsp` asking the province's server about `cert` (or `-serial`).
fn openssl_ask(p: &Province, target: &[&str]) -> String {
    let url = p.url("/ocsp");
    let mut args = vec!["ocsp", "-issuer", "ca/ca.pem", "-url", &url, "-CAfile", "root/ca.pem", "-resp_text"];
    args.extend_from_slice(target);
    let (_, out) = openssl(p.dir.path(), &args);
    out
}

#[test]
fn openssl_gets_good_revoked_and_unknown_from_kyso_serve_and_accepts_the_signatures() {
    for publish in [Publish::Ocsp, Publish::Delegated] {
        let mut p = Province::new(publish);
        p.serve(&[]);
        let out = openssl_ask(&p, &["-cert", "u1.pem"]);
        assert!(out.contains("Response verify OK") && out.contains("u1.pem: good"), "{out}");
        // Who signed: the CA itself, or the delegated responder (its certificate in the answer).
        let signer = if publish == Publish::Delegated { "OCSP CA Th" } else { "CA Th" };
        assert!(out.contains(&format!("Responder Id: ")) && out.contains(signer), "{out}");
        // A revocation made while the server runs is in the very next answer.
        p.revoke("u2.pem", "key-compromise");
        let out = openssl_ask(&p, &["-cert", "u2.pem"]);
        assert!(out.contains("Response verify OK") && out.contains("u2.pem: revoked"), "{out}");
        assert!(out.contains("Reason: keyCompromise") && out.contains("Revocation Time:"), "{out}");
        // A serial this CA never issued: unknown (signed all the same).
        let out = openssl_ask(&p, &["-serial", "0x1234"]);
        assert!(out.contains("Response verify OK") && out.contains("0x1234: unknown"), "{out}");
        // The issuing CA's own status, asked of the root (same server, same path).
        let url = p.url("/ocsp");
        let (_, out) = openssl(p.dir.path(), &["ocsp", "-issuer", "root/ca.pem", "-cert", "ca/ca.pem", "-url", &url, "-CAfile", "root/ca.pem"]);
        assert!(out.contains("Response verify OK") && out.contains("ca/ca.pem: good"), "{out}");
        // A nonce is echoed (OpenSSL checks it: "WARNING: no nonce in response" otherwise).
        assert!(!out.contains("no nonce"), "{out}");
        // GET (RFC 6960 Appendix A.1): the base64 request in the path; OpenSSL reads the answer.
        let (okq, out) = openssl(p.dir.path(), &["ocsp", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-no_nonce", "-reqout", "req.der"]);
        assert!(okq, "{out}");
        let b64 = base64(&std::fs::read(p.path("req.der")).unwrap());
        let get_path = p.path("get.der");
        let get = curl(&[&format!("{}/{}", p.url("/ocsp"), b64.replace('/', "%2F")), "-o", get_path.to_str().unwrap(), "-D", "-"]);
        assert!(get.contains("200") && get.to_ascii_lowercase().contains("content-type: application/ocsp-response"), "{get}");
        assert!(get.contains("Cache-Control: max-age=") && get.contains("Expires: "), "{get}");
        let (_, out) = openssl(p.dir.path(), &["ocsp", "-respin", "get.der", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-CAfile", "root/ca.pem"]);
        assert!(out.contains("Response verify OK") && out.contains("u1.pem: good"), "{out}");
        // The same nonce-less request again is served from the cache; after a revocation the
        // cached "good" is gone from the very next answer.
        let again = curl(&[&format!("{}/{}", p.url("/ocsp"), b64.replace('/', "%2F")), "-o", get_path.to_str().unwrap(), "-D", "-"]);
        assert!(again.contains("200"), "{again}");
        p.revoke("u1.pem", "superseded");
        let get = curl(&[&format!("{}/{}", p.url("/ocsp"), b64.replace('/', "%2F")), "-o", get_path.to_str().unwrap(), "-D", "-"]);
        assert!(get.contains("200"), "{get}");
        let (_, out) = openssl(p.dir.path(), &["ocsp", "-respin", "get.der", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-CAfile", "root/ca.pem"]);
        assert!(out.contains("Response verify OK") && out.contains("u1.pem: revoked") && out.contains("Reason: superseded"), "{out}");
        p.stop();
    }
}

fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn curl(args: &[&str]) -> String {
    let o = Command::new("curl").arg("-s").args(args).output().expect("curl");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn curl_fetches_the_crl_and_the_ca_certificate_and_a_revocation_is_in_the_next_crl() {
    let mut p = Province::new(Publish::Ocsp);
    p.serve(&[]);
    let d = p.dir.path().to_path_buf();
    let head = curl(&["-D", "-", "-o", d.join("ca.crl").to_str().unwrap(), &p.url("/ca/crl")]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Content-Type: application/pkix-crl"), "{head}");
    for h in ["Last-Modified: ", "Expires: ", "ETag: \"crl-", "Cache-Control: public, max-age="] {
        assert!(head.contains(h), "missing {h} in {head}");
    }
    let (okv, out) = openssl(&d, &["crl", "-inform", "DER", "-in", "ca.crl", "-CAfile", "ca/ca.pem", "-noout", "-text"]);
    assert!(okv && out.contains("verify OK") && out.contains("No Revoked Certificates"), "{out}");
    // If-None-Match with the same ETag: 304.
    let etag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().trim().to_string();
    let again = curl(&["-D", "-", "-o", "/dev/null", "-H", &format!("If-None-Match: {etag}"), &p.url("/ca/crl")]);
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    let head = curl(&["-D", "-", "-o", d.join("ca.crt").to_str().unwrap(), &p.url("/ca/ca.crt")]);
    assert!(head.contains("Content-Type: application/pkix-cert"), "{head}");
    let (okc, out) = openssl(&d, &["x509", "-inform", "DER", "-in", "ca.crt", "-noout", "-subject"]);
    assert!(okc && out.contains("CA Th"), "{out}");
    // The revocation is in the next CRL fetched.
    p.revoke("u1.pem", "superseded");
    curl(&["-o", d.join("ca2.crl").to_str().unwrap(), &p.url("/ca/crl")]);
    let (_, out) = openssl(&d, &["crl", "-inform", "DER", "-in", "ca2.crl", "-CAfile", "ca/ca.pem", "-noout", "-text"]);
    let serial = p.serial("u1.pem");
    assert!(out.contains("verify OK") && out.to_ascii_uppercase().contains(&serial.to_ascii_uppercase()) && out.contains("Superseded"), "{out}");
    // Unknown paths and methods: 404 / 405, the server goes on.
    assert!(curl(&["-D", "-", "-o", "/dev/null", &p.url("/nothing")]).starts_with("HTTP/1.1 404"));
    assert!(curl(&["-D", "-", "-o", "/dev/null", "-X", "DELETE", &p.url("/ca/crl")]).starts_with("HTTP/1.1 405"));
    assert!(p.server_alive());
}

/// `kyso verify --json` for a recipient holding only root/ca.pem.
fn recipient(p: &Province, doc: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["verify", doc, "--trust", "root/ca.pem", "--json", "--cache", "cache"];
    args.extend_from_slice(extra);
    let (code, out, err) = summary(&run(p.dir.path(), &args));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v["documents"][0]["signatures"][0].clone(), err)
}

fn indication(sig: &Value) -> (String, String) {
    (sig["indication"].as_str().unwrap_or("").to_string(), sig["sub_indication"].as_str().unwrap_or("").to_string())
}

fn details(sig: &Value, name: &str) -> Vec<String> {
    sig["checks"].as_array().unwrap().iter().filter(|c| c["name"] == name).map(|c| c["detail"].as_str().unwrap().to_string()).collect()
}

#[test]
fn recipient_with_only_the_root_sees_good_and_revoked_via_ocsp() {
    let mut p = Province::new(Publish::Delegated);
    p.serve(&[]);
    p.sign("u1", "a.txt");
    p.sign("u2", "b.txt");
    p.revoke("u2.pem", "key-compromise");
    let (code, sig, _) = recipient(&p, "a.txt", &[]);
    assert_eq!((code, indication(&sig)), (0, ("TOTAL_PASSED".into(), "".into())), "{sig:#}");
    let data = details(&sig, "revocation_data");
    assert!(data.iter().any(|d| d.contains("from the OCSP responder") && d.contains("OCSP CA Th")), "{data:?}");
    assert!(data.iter().any(|d| d.contains(&format!("OCSP response fetched from {}", p.url("/ocsp")))), "{data:?}");
    let (code, sig, _) = recipient(&p, "b.txt", &[]);
    assert_eq!((code, indication(&sig)), (1, ("TOTAL_FAILED".into(), "REVOKED".into())), "{sig:#}");
    let rev = details(&sig, "revocation");
    assert!(rev.iter().any(|d| d.contains("was revoked at") && d.contains("reason code 1")), "{rev:?}");
    // A second run answers from the cache (still within the answers' nextUpdate).
    let (_, sig, _) = recipient(&p, "a.txt", &[]);
    assert!(details(&sig, "revocation_data").iter().any(|d| d.contains("OCSP response from the local cache of")), "{sig:#}");
}

#[test]
fn recipient_with_only_the_root_sees_revoked_via_a_crl_fetch() {
    let mut p = Province::new(Publish::CrlOnly);
    p.serve(&[]);
    p.sign("u2", "b.txt");
    p.revoke("u2.pem", "affiliation-changed");
    let (code, sig, _) = recipient(&p, "b.txt", &[]);
    assert_eq!((code, indication(&sig)), (1, ("TOTAL_FAILED".into(), "REVOKED".into())), "{sig:#}");
    let data = details(&sig, "revocation_data");
    assert!(data.iter().any(|d| d.contains(&format!("CRL fetched from {}", p.url("/ca/crl")))), "{data:?}");
    assert!(data.iter().any(|d| d.contains("from the CRL of")), "{data:?}");
    let (code, _, _) = recipient(&p, "b.txt", &["--revocation", "warn"]);
    assert_eq!(code, 1, "a revoked certificate fails whatever the mode");
}

#[test]
fn server_down_is_try_later_naming_the_url_and_offline_makes_no_connection() {
    let p = Province::new(Publish::Ocsp);
    p.sign("u1", "a.txt");
    // Nobody listens: TRY_LATER, the report names each URL tried.
    let (code, sig, _) = recipient(&p, "a.txt", &[]);
    assert_eq!((code, indication(&sig)), (3, ("INDETERMINATE".into(), "TRY_LATER".into())), "{sig:#}");
    let rev = details(&sig, "revocation").join(" ");
    assert!(rev.contains(&format!("{}: cannot connect", p.url("/ocsp"))), "{rev}");
    assert!(rev.contains(&format!("{}: cannot connect", p.url("/ca/crl"))), "{rev}");
    assert!(rev.contains("to check it, give the CRL of C=VN, CN=CA Th") && rev.contains(&format!("published at {}", p.url("/ca/crl"))), "{rev}");
    // A listener that counts connections on the responder's port.
    let listener = TcpListener::bind(("127.0.0.1", p.port)).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let (c2, stop) = (Arc::clone(&count), Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let stop2 = Arc::clone(&stop);
    listener.set_nonblocking(true).unwrap();
    let t = std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((mut sck, _)) => {
                    c2.fetch_add(1, Ordering::SeqCst);
                    let _ = sck.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    let (code, sig, _) = recipient(&p, "a.txt", &["--offline"]);
    assert_eq!((code, indication(&sig)), (3, ("INDETERMINATE".into(), "TRY_LATER".into())), "{sig:#}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "--offline connected");
    let rev = details(&sig, "revocation").join(" ");
    assert!(rev.contains(&format!("{}: not fetched (working offline)", p.url("/ocsp"))), "{rev}");
    // The control: without --offline the same run does connect (and is told 503).
    let (code, sig, _) = recipient(&p, "a.txt", &["--lang", "en"]);
    assert_eq!(code, 3);
    assert!(count.load(Ordering::SeqCst) >= 1);
    assert!(details(&sig, "revocation").join(" ").contains("the server answered HTTP 503"), "{sig:#}");
    stop.store(true, Ordering::SeqCst);
    t.join().unwrap();
    // cert verify says the same.
    let (code, out, _) = summary(&run(p.dir.path(), &["cert", "verify", "u1.pem", "--trust", "root/ca.pem", "--chain", "ca/ca.pem", "--offline"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("TRY_LATER") && out.contains("đang làm việc ngoại tuyến"), "{out}");
}

/// Bound of the reads in this file that only catch a hang (a server that never answers): far
/// above the milliseconds an answer takes, so that a loaded machine never trips it (issue 23: no
/// wall-clock threshold in plain tests).
const WATCHDOG: Duration = Duration::from_secs(120);

/// A raw HTTP exchange with the server: what it answers (status line … body bytes).
fn raw(port: u16, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WATCHDOG)).unwrap();
    let _ = s.write_all(request);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn body(answer: &[u8]) -> &[u8] {
    let i = answer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4).unwrap_or(answer.len());
    &answer[i..]
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn hostile_requests_get_rfc_6960_errors_or_http_4xx_and_the_server_goes_on() {
    let mut p = Province::new(Publish::Ocsp);
    p.serve(&["--request-timeout", "1"]);
    let d = p.dir.path().to_path_buf();
    let (okq, out) = openssl(&d, &["ocsp", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-reqout", "req.der"]);
    assert!(okq, "{out}");
    let req = std::fs::read(d.join("req.der")).unwrap();
    // Truncated request: malformedRequest (OCSPResponse { responseStatus 1 }).
    let a = raw(p.port, &post("/ocsp", &req[..req.len() / 2]));
    assert!(a.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&a));
    assert_eq!(body(&a), [0x30, 0x03, 0x0a, 0x01, 0x01]);
    // Garbage body: malformedRequest.
    assert_eq!(body(&raw(p.port, &post("/ocsp", b"\x30\x82\xff\xffhello"))), [0x30, 0x03, 0x0a, 0x01, 0x01]);
    // A CertID of an issuer this server does not serve: unauthorized (6).
    let mut foreign = req.clone();
    // issuerNameHash: OCTET STRING of 20 (SHA-1, OpenSSL's default) or 32 bytes.
    let pos = foreign.windows(2).position(|w| w == [0x04, 0x14] || w == [0x04, 0x20]).expect("a CertID hash") + 2;
    foreign[pos] ^= 0xff;
    let a = raw(p.port, &post("/ocsp", &foreign));
    assert_eq!(body(&a), [0x30, 0x03, 0x0a, 0x01, 0x06], "{}", String::from_utf8_lossy(&a));
    // Oversized: HTTP 413 before reading the body.
    let big = format!("POST /ocsp HTTP/1.1\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\n\r\n", 10 * 1024 * 1024);
    assert!(raw(p.port, big.as_bytes()).starts_with(b"HTTP/1.1 413"));
    // Not HTTP at all: 400. Header flood: 431. Wrong content type: 415. No length: 411.
    assert!(raw(p.port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n").starts_with(b"HTTP/1.1 400"));
    let flood = format!("GET /ca/crl HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(2000));
    assert!(raw(p.port, flood.as_bytes()).starts_with(b"HTTP/1.1 431"));
    assert!(raw(p.port, b"POST /ocsp HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nab").starts_with(b"HTTP/1.1 415"));
    assert!(raw(p.port, b"POST /ocsp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").starts_with(b"HTTP/1.1 411"));
    // GET with bad base64: malformedRequest.
    assert_eq!(body(&raw(p.port, b"GET /ocsp/%%%%** HTTP/1.1\r\n\r\n")), [0x30, 0x03, 0x0a, 0x01, 0x01]);
    // A slow client (headers never finished) gets 408 after the request timeout, while
    // another client is served meanwhile. (The 408 is the server's own timer at work; the read
    // only has a hang watchdog, no speed threshold.)
    let mut slow = TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    slow.write_all(b"POST /ocsp HTTP/1.1\r\nContent-Le").unwrap();
    let a = raw(p.port, &post("/ocsp", &req));
    assert!(a.starts_with(b"HTTP/1.1 200") && body(&a).starts_with(&[0x30]) && body(&a).len() > 100);
    slow.set_read_timeout(Some(WATCHDOG)).unwrap();
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
    // Many connections that send nothing do not stop the server.
    let idle: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(("127.0.0.1", p.port)).unwrap()).collect();
    let (_, out) = openssl(&d, &["ocsp", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-url", &p.url("/ocsp"), "-CAfile", "root/ca.pem"]);
    assert!(out.contains("u1.pem: good"), "{out}");
    drop(idle);
    assert!(p.server_alive(), "{:?}", p.log());
}

/// An OpenSSL responder (`openssl ocsp -index … -port`) on the port the certificates name,
/// signing with the delegated responder's key.
struct OpensslResponder(Child);

impl Drop for OpensslResponder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn index_line(p: &Province, cert: &str, revoked: Option<&str>) -> String {
    let (_, end) = openssl(p.dir.path(), &["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in", cert]);
    let end = end.trim().trim_start_matches("notAfter=").to_string(); // 2031-12-07 02:31:23Z
    let digits: String = end.chars().filter(|c| c.is_ascii_digit()).collect();
    let expiry = format!("{}Z", &digits[2..14]);
    let (_, subj) = openssl(p.dir.path(), &["x509", "-noout", "-subject", "-nameopt", "compat", "-in", cert]);
    let subj = subj.trim().trim_start_matches("subject=").trim().to_string();
    let serial = p.serial(cert).to_ascii_uppercase();
    match revoked {
        None => format!("V\t{expiry}\t\t{serial}\tunknown\t/{}\n", subj.replace(", ", "/")),
        Some(r) => format!("R\t{expiry}\t{r}\t{serial}\tunknown\t/{}\n", subj.replace(", ", "/")),
    }
}

#[test]
fn kyso_validates_good_revoked_and_unknown_from_the_openssl_responder() {
    let p = Province::new(Publish::Delegated);
    let d = p.dir.path().to_path_buf();
    ok(&d, &["ca", "issue", "--dir", "ca", "--profile", "agency", "--cn", "Đơn vị u3", "--key-out", "u3.key", "--cert-out", "u3.pem"]);
    let revoked_at = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let r = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z,keyCompromise",
        revoked_at.year() % 100,
        u8::from(revoked_at.month()),
        revoked_at.day(),
        revoked_at.hour(),
        revoked_at.minute(),
        revoked_at.second()
    );
    // u3 is left out of the index: OpenSSL answers unknown.
    let index = format!("{}{}", index_line(&p, "u1.pem", None), index_line(&p, "u2.pem", Some(&r)));
    std::fs::write(d.join("index.txt"), index).unwrap();
    let (okk, out) = openssl(&d, &["pkcs8", "-in", "ca/ocsp.key", "-passin", &format!("pass:{PASS}"), "-out", "ocsp-plain.key"]);
    assert!(okk, "{out}");
    let mut child = Command::new("openssl")
        .args(["ocsp", "-index", "index.txt", "-port", &p.port.to_string(), "-rsigner", "ca/ocsp.pem", "-rkey", "ocsp-plain.key", "-CA", "ca/ca.pem", "-ndays", "1"])
        .current_dir(&d)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when it says so (a probe connection would block this one-connection-at-a-time
    // responder: it waits on the probe's request).
    let err = child.stderr.take().unwrap();
    let _responder = OpensslResponder(child);
    let mut lines = BufReader::new(err).lines();
    let ready = lines.by_ref().map_while(Result::ok).any(|l| l.contains("waiting for OCSP client connections"));
    assert!(ready, "the OpenSSL responder did not start");
    std::thread::spawn(move || lines.for_each(drop));
    // The issuing CA's own status comes from the root's CRL (OpenSSL answers for ca/ only).
    let cv = |cert: &str| {
        let (code, out, err) =
            summary(&run(&d, &["cert", "verify", cert, "--trust", "root/ca.pem", "--chain", "ca/ca.pem", "--crl", "root/crl.pem", "--json", "--cache", "cache"]));
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (code, v)
    };
    let detail = |v: &Value, name: &str| v["checks"].as_array().unwrap().iter().filter(|c| c["name"] == name).map(|c| c["detail"].as_str().unwrap().to_string()).collect::<Vec<_>>().join(" | ");
    let (code, v) = cv("u1.pem");
    assert_eq!((code, v["indication"].as_str()), (0, Some("TOTAL_PASSED")), "{v:#}");
    assert!(detail(&v, "revocation_data").contains("from the OCSP responder C=VN, CN=OCSP CA Th"), "{v:#}");
    let (code, v) = cv("u2.pem");
    assert_eq!((code, v["sub_indication"].as_str()), (1, Some("REVOKED")), "{v:#}");
    assert!(detail(&v, "revocation").contains("reason code 1"), "{v:#}");
    let (code, v) = cv("u3.pem");
    assert_eq!((code, v["sub_indication"].as_str()), (3, Some("TRY_LATER")), "{v:#}");
    assert!(detail(&v, "revocation").contains("does not know the certificate (status unknown)"), "{v:#}");
}

/// `kyso sign --embed-revocation` with the province's server up: the OCSP answers go into the
/// SignedData (RFC 5940 id-ri-ocsp-response); a recipient verifies offline, the server gone.
#[test]
fn embedded_ocsp_answers_let_a_recipient_verify_offline_cades_and_pades() {
    let mut p = Province::new(Publish::Delegated);
    p.serve(&[]);
    let d = p.dir.path().to_path_buf();
    std::fs::write(d.join("a.txt"), "Công văn có bằng chứng thu hồi\n").unwrap();
    let cache = d.join("sign-cache");
    let env_cache = |c: &mut Command| {
        c.env("XDG_CACHE_HOME", &cache);
    };
    let mut c = kyso();
    env_cache(&mut c);
    let o = c.args(["sign", "--cert", "u1.pem", "--key", "u1.key", "--chain", "ca/chain.pem", "--embed-revocation", "a.txt"]).env("KYSO_PASSPHRASE", UNIT_PASS).current_dir(&d).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // OpenSSL sees the two OCSP answers (leaf, issuing CA) as other revocation info.
    let (_, out) = openssl(&d, &["cms", "-cmsout", "-print", "-inform", "DER", "-in", "a.txt.p7s"]);
    assert_eq!(out.matches("otherRevInfoFormat: ").count(), 2, "{out}");
    assert_eq!(out.matches("(1.3.6.1.5.5.7.16.2)").count(), 2, "{out}");
    // The PDF: /DSS /OCSPs and a /VRI entry.
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    std::fs::copy(sample, d.join("cong-van.pdf")).unwrap();
    let mut c = kyso();
    env_cache(&mut c);
    let o = c
        .args(["sign", "--pades", "--cert", "u1.pem", "--key", "u1.key", "--chain", "ca/chain.pem", "--embed-revocation", "--out", "lt.pdf", "cong-van.pdf"])
        .env("KYSO_PASSPHRASE", UNIT_PASS)
        .current_dir(&d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("2 OCSP response(s) added"), "{err}");
    let pdf = std::fs::read(d.join("lt.pdf")).unwrap();
    assert!(pdf.windows(6).any(|w| w == b"/OCSPs") && pdf.windows(4).any(|w| w == b"/VRI"));
    p.stop();
    // Offline, with nothing but the root: valid, the status from the embedded answers.
    for doc in ["a.txt", "lt.pdf"] {
        let (code, sig, _) = recipient(&p, doc, &["--offline"]);
        assert_eq!((code, indication(&sig)), (0, ("TOTAL_PASSED".into(), "".into())), "{doc}: {sig:#}");
        let data = details(&sig, "revocation_data");
        assert!(data.iter().filter(|d| d.contains("from the OCSP responder")).count() == 2, "{doc}: {data:?}");
        assert!(!data.iter().any(|d| d.contains("fetched")), "{doc}: {data:?}");
    }
}

/// pyHanko and kyso's PAdES-B-LT file whose revocation evidence is OCSP: pyHanko reads the
/// /DSS and finds the two OCSP answers (signer and issuing CA, status good, parsed by
/// asn1crypto), and validates the signature with revocation checking enforced
/// (`--force-revinfo`) against `kyso ca serve`. (Offline — the server stopped — pyHanko 0.38's
/// `adesverify` reports "no revocation information could be found" for the issuing CA although
/// the /DSS holds its OCSP answer, while it accepts a /DSS holding CRLs (tests/it/dss.rs): not
/// understood yet, see the report of issue 17; the offline check of OCSP evidence is kyso's own,
/// in the test above.)
#[test]
#[ignore = "needs pyhanko on PATH (pip install pyhanko pyhanko-cli); run by .ci/run with --ignored"]
fn pyhanko_validates_a_pades_b_lt_file_with_ocsp_evidence() {
    let mut p = Province::new(Publish::Delegated);
    p.serve(&[]);
    let d = p.dir.path().to_path_buf();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    std::fs::copy(sample, d.join("cong-van.pdf")).unwrap();
    let o = kyso()
        .args(["sign", "--pades", "--cert", "u1.pem", "--key", "u1.key", "--chain", "ca/chain.pem", "--embed-revocation", "--out", "lt.pdf", "cong-van.pdf"])
        .env("KYSO_PASSPHRASE", UNIT_PASS)
        .env("XDG_CACHE_HOME", d.join("cache"))
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = crate::bt::pyhanko()
        .args(["sign", "validate", "--pretty-print", "--force-revinfo", "--trust", "root/ca.pem", "--trust-replace", "lt.pdf"])
        .current_dir(&d)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("The signature is judged VALID") && text.contains("The signer's certificate is trusted."), "{text}");
    assert!(!text.contains("INVALID") && !text.contains("untrusted"), "{text}");
    // pyHanko's own reading of the /DSS: two OCSP answers, about the signer and the issuing CA.
    let exe = std::env::var("PYHANKO").unwrap_or_else(|_| "pyhanko".into());
    let python = Path::new(&exe).parent().map(|b| b.join("python")).filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from("python3"));
    let script = "from pyhanko.pdf_utils.reader import PdfFileReader\nfrom pyhanko.sign.validation.dss import DocumentSecurityStore\nfrom asn1crypto import ocsp\ndss = DocumentSecurityStore.read_dss(PdfFileReader(open('lt.pdf', 'rb')))\nfor o in dss.ocsps:\n    o = o.get_object()\n    r = ocsp.OCSPResponse.load(o.data)\n    for s in r.basic_ocsp_response['tbs_response_data']['responses']:\n        print('%x %s' % (s['cert_id']['serial_number'].native, s['cert_status'].name))\n";
    let o = Command::new(python).args(["-c", script]).current_dir(&d).output().unwrap();
    let listed = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{listed}{}", String::from_utf8_lossy(&o.stderr));
    for cert in ["u1.pem", "ca/ca.pem"] {
        let serial = p.serial(cert).to_ascii_lowercase();
        let serial = serial.trim_start_matches('0');
        assert!(listed.lines().any(|l| l == format!("{serial} good")), "{cert} ({serial}) not in {listed}");
    }
    p.stop();
}
