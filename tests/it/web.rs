//! Issue 20: `kyso web`, the recipients' verification page and JSON API.
//!
//! - The API against `kyso verify --json` of the same files (both with the same pinned `--at`):
//!   a two-signature `.p7s` pair, a signed PDF, a tampered document, a revoked signer and a
//!   non-signed file give the same JSON, uploaded by curl (an independent multipart writer).
//! - The page (no JavaScript: the plain form post): the verdict and the card fields, the
//!   printable record, English; a certificate whose CN is `<img src=x onerror=alert(1)>` shown
//!   escaped; security headers; only the documented paths answer.
//! - Hostile input: 413 before the body is read, a slow-loris client dropped (408) while others
//!   are served, malformed multipart bodies → 400/415 naming the fault, the server goes on.
//! - Browser tests (#[ignore]d, run by .ci/run): tests/web_browser.py drives Chromium over
//!   WebDriver (selenium).

use crate::cli::{kyso, summary};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The validation time of these tests, pinned so that the page and `kyso verify` judge at the
/// same instant: an hour from now (whole seconds), after every signature the tests make, inside
/// the validity of the example province made now.
fn at_time() -> time::OffsetDateTime {
    static AT: std::sync::OnceLock<time::OffsetDateTime> = std::sync::OnceLock::new();
    *AT.get_or_init(|| {
        let t = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        t.replace_nanosecond(0).unwrap()
    })
}

fn at() -> String {
    at_time().format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// `at()` as the page shows it (Vietnam time).
fn at_shown() -> String {
    let t = at_time().to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap());
    t.format(time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]:[second] (+07:00)")).unwrap()
}

/// A file of the example province made now (tests/it/example.rs: `kyso sign` refuses expired
/// certificates, and the checked-in ones expire).
fn example(rel: &str) -> String {
    crate::example::fresh().join(rel).to_str().unwrap().to_string()
}

fn ok(dir: &Path, args: &[&str]) {
    let o = kyso().args(args).current_dir(dir).output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso {args:?}: {out}{err}");
}

/// Signs `doc` (in `dir`) as `who` (a certs-example path without extension), adding a signer
/// with `add`.
fn sign(dir: &Path, who: &str, doc: &str, add: bool) {
    let (cert, key) = (example(&format!("{who}.pem")), example(&format!("{who}.key")));
    let mut args = vec!["sign", "--cert", &cert, "--key", &key, "--chain", "CHAIN", "--pass-file", "PASS"];
    let (chain, pass) = (example("chain.pem"), example("passphrase.txt"));
    args[6] = &chain;
    args[8] = &pass;
    if add {
        args.push("--add");
    }
    args.push(doc);
    ok(dir, &args);
}

/// The recipients' files of these tests, made once per test in a temporary folder.
pub(crate) struct Fixtures {
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) const PERSON: &str = "units/van-phong-ubnd/person";
const AGENCY: &str = "units/so-y-te/agency";

impl Fixtures {
    /// - `to-trinh.txt` + `.p7s`: two signatures (a person, then another unit's seal);
    /// - `cong-van-ky.pdf`: a PAdES signature;
    /// - `sua.txt` + `.p7s`: signed, then changed;
    /// - `giay-moi.txt` + `.p7s`: signed by the revoked certificate;
    /// - `bao-cao.txt`: no signature.
    pub(crate) fn new() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, src) in [("to-trinh.txt", "docs/cong-van.txt"), ("sua.txt", "docs/cong-van.txt"), ("giay-moi.txt", "docs/giay-moi.txt"), ("bao-cao.txt", "docs/bao-cao.txt")] {
            std::fs::copy(example(src), d.join(name)).unwrap();
        }
        sign(d, PERSON, "to-trinh.txt", false);
        sign(d, AGENCY, "to-trinh.txt", true);
        sign(d, PERSON, "sua.txt", false);
        std::fs::write(d.join("sua.txt"), "Nội dung đã bị sửa sau khi ký\n").unwrap();
        sign(d, "revoked/person", "giay-moi.txt", false);
        let (cert, key, pass, chain, pdf) = (example(&format!("{PERSON}.pem")), example(&format!("{PERSON}.key")), example("passphrase.txt"), example("chain.pem"), example("pdf/cong-van.pdf"));
        ok(d, &["sign", "--pades", "--cert", &cert, "--key", &key, "--chain", &chain, "--pass-file", &pass, "--appearance", "none", "--out", "cong-van-ky.pdf", &pdf]);
        Fixtures { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

/// A running `kyso web`.
pub(crate) struct Web {
    child: Child,
    pub(crate) port: u16,
}

impl Web {
    /// `kyso web --trust root.pem --crl crl.pem --offline --at AT --listen 127.0.0.1:0` + `extra`.
    pub(crate) fn start(extra: &[&str]) -> Web {
        Web::start_with(&["--trust", &example("root.pem"), "--crl", &example("crl.pem"), "--offline", "--at", &at()], extra)
    }

    pub(crate) fn start_with(trust: &[&str], extra: &[&str]) -> Web {
        let mut child = kyso()
            .args(["web", "--listen", "127.0.0.1:0"])
            .args(trust)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut port = None;
        let mut early = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("kyso web: listening on http://127.0.0.1:") {
                port = rest.trim_end_matches('/').parse().ok();
                break;
            }
            early.push(line);
        }
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        let port = port.unwrap_or_else(|| panic!("kyso web did not start: {early:?}"));
        Web { child, port }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl -F files=@… for each file (the independent multipart writer), plus `fields`.
fn curl_post(url: &str, dir: &Path, files: &[&str], fields: &[&str]) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-o", "-", "-w", "\n%{http_code}", url]).current_dir(dir);
    for f in files {
        c.args(["-F", &format!("files=@{f}")]);
    }
    for f in fields {
        c.args(["-F", f]);
    }
    let o = c.output().expect("curl");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// A multipart body: (content type, body).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "kysoTestBoundary7MA4YWxk";
    let mut b = Vec::new();
    for (name, file, data) in parts {
        b.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
            None => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// A raw HTTP exchange: the whole answer (status line … body).
fn raw(port: u16, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(request);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn post_raw(port: u16, path: &str, content_type: &str, body: &[u8]) -> (u16, String, String) {
    let mut r = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    split(&raw(port, &r))
}

fn get(port: u16, path: &str) -> (u16, String, String) {
    split(&raw(port, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()))
}

/// (status, headers, body).
fn split(a: &[u8]) -> (u16, String, String) {
    let text = String::from_utf8_lossy(a).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, head.to_string(), body.to_string())
}

/// `kyso verify --json` of `files` (in `dir`) with the server's trust inputs.
fn cli_json(dir: &Path, files: &[&str]) -> Value {
    let (root, crl) = (example("root.pem"), example("crl.pem"));
    let at = at();
    let mut args = vec!["verify", "--trust", &root, "--crl", &crl, "--offline", "--at", &at, "--json"];
    args.extend(files);
    let o = kyso().args(&args).current_dir(dir).output().unwrap();
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("kyso verify {files:?}: {e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn indications(v: &Value) -> Vec<(String, String)> {
    v["documents"][0]["signatures"]
        .as_array()
        .map(|a| a.iter().map(|s| (s["indication"].as_str().unwrap_or("").to_string(), s["sub_indication"].as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default()
}

#[test]
fn the_api_answers_what_kyso_verify_json_answers_for_each_case() {
    let f = Fixtures::new();
    let web = Web::start(&[]);
    let d = f.dir.path();
    let api = web.url("/api/verify");
    let cases: &[(&[&str], &[&str], &str, &str)] = &[
        // (uploaded, CLI arguments, document indication, sub-indication)
        (&["to-trinh.txt", "to-trinh.txt.p7s"], &["to-trinh.txt"], "TOTAL_PASSED", ""),
        (&["cong-van-ky.pdf"], &["cong-van-ky.pdf"], "TOTAL_PASSED", ""),
        (&["sua.txt", "sua.txt.p7s"], &["sua.txt"], "TOTAL_FAILED", "HASH_FAILURE"),
        (&["giay-moi.txt", "giay-moi.txt.p7s"], &["giay-moi.txt"], "TOTAL_FAILED", "REVOKED"),
    ];
    for (upload, cli, ind, sub) in cases {
        let (code, body) = curl_post(&api, d, upload, &[]);
        assert_eq!(code, 200, "{upload:?}: {body}");
        let got: Value = serde_json::from_str(&body).unwrap();
        let want = cli_json(d, cli);
        assert_eq!(got["documents"][0]["indication"], *ind, "{upload:?}: {body}");
        assert_eq!(got["documents"][0]["sub_indication"].as_str().unwrap_or(""), *sub, "{upload:?}: {body}");
        assert_eq!(got, want, "{upload:?}: the API and kyso verify --json differ");
    }
    // Two signatures, both valid, in the file's order.
    let (_, body) = curl_post(&api, d, &["to-trinh.txt.p7s", "to-trinh.txt"], &[]);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(indications(&v), vec![("TOTAL_PASSED".into(), "".into()), ("TOTAL_PASSED".into(), "".into())]);
    assert_eq!(v["documents"].as_array().unwrap().len(), 1, "the .p7s is paired, not a document of its own");
    // Several documents at once, paired by name; a file with no signature fails naming the
    // missing .p7s; a .p7s without its document fails naming the document.
    let (code, body) = curl_post(&api, d, &["to-trinh.txt", "to-trinh.txt.p7s", "bao-cao.txt", "sua.txt.p7s"], &[]);
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let docs = v["documents"].as_array().unwrap();
    let names: Vec<&str> = docs.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(names, ["to-trinh.txt", "bao-cao.txt", "sua.txt"]);
    assert_eq!(docs[0]["indication"], "TOTAL_PASSED");
    assert_eq!((docs[1]["indication"].as_str(), docs[1]["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("FORMAT_FAILURE")));
    assert!(docs[1]["detail"].as_str().unwrap().contains("bao-cao.txt.p7s"), "{}", docs[1]);
    assert!(docs[2]["detail"].as_str().unwrap().contains("sua.txt was not uploaded"), "{}", docs[2]);
    assert_eq!(v["indication"], "TOTAL_FAILED");
    // A PDF without any signature.
    let (code, body) = curl_post(&api, Path::new(&example("pdf")), &["cong-van.pdf"], &[]);
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["documents"][0]["indication"], "TOTAL_FAILED", "{body}");
    assert_eq!(v["documents"][0]["sub_indication"], "FORMAT_FAILURE", "{body}");
}

/// The text of an HTML page without its tags (entities left as they are).
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_form_post_shows_the_verdict_and_the_card_fields_in_vietnamese_and_english() {
    let f = Fixtures::new();
    let web = Web::start(&[]);
    let (ct, body) = form(&[("files", Some("to-trinh.txt"), &f.bytes("to-trinh.txt")), ("files", Some("to-trinh.txt.p7s"), &f.bytes("to-trinh.txt.p7s")), ("lang", None, b"vi")]);
    let (code, head, html) = post_raw(web.port, "/verify", &ct, &body);
    assert_eq!(code, 200, "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"), "{head}");
    let text = text_of(&html);
    for want in [
        "Kết quả kiểm tra: HỢP LỆ (TOTAL_PASSED)",
        "Chữ ký 1/2 : HỢP LỆ (TOTAL_PASSED)",
        "Chữ ký 2/2 : HỢP LỆ (TOTAL_PASSED)",
        "Người ký",
        "Đơn vị",
        "Tổ chức cấp chứng thư số (CA) CA Tỉnh Bắc Ninh",
        &format!("Thời điểm kiểm tra {}", at_shown()),
        "Thời điểm ký",
        "Tính toàn vẹn",
        "Tình trạng thu hồi",
        "Chuỗi chứng thư",
        "Biên bản kiểm tra chữ ký số",
        "Chứng thư số gốc tin cậy được dùng",
        "SHA-256",
    ] {
        assert!(text.contains(want), "{want:?} missing from the page: {text}");
    }
    // The document's SHA-256 is on the page, as in the JSON.
    let sha = hex_sha256(&f.bytes("to-trinh.txt"));
    assert!(text.contains(&sha), "{text}");
    // The same facts as `kyso verify` prints: each field line of the CLI's report is on the page.
    let (root, crl) = (example("root.pem"), example("crl.pem"));
    let o = kyso().args(["verify", "--trust", &root, "--crl", &crl, "--offline", "--at", &at(), "to-trinh.txt"]).current_dir(f.dir.path()).output().unwrap();
    let cli = String::from_utf8_lossy(&o.stdout).into_owned();
    for line in cli.lines().map(str::trim).filter(|l| l.contains(": ") && !l.starts_with("Tài liệu") && !l.starts_with("Chữ ký ")) {
        let (label, value) = line.split_once(": ").unwrap();
        assert!(text.contains(&format!("{label} {value}")), "the CLI line {line:?} is not on the page:\n{text}");
    }
    // English.
    let (ct, body) = form(&[("files", Some("sua.txt"), &f.bytes("sua.txt")), ("files", Some("sua.txt.p7s"), &f.bytes("sua.txt.p7s")), ("lang", None, b"en")]);
    let (code, _, html) = post_raw(web.port, "/verify", &ct, &body);
    assert_eq!(code, 200);
    let text = text_of(&html);
    assert!(html.contains("<html lang=\"en\">"));
    for want in ["Result: INVALID (TOTAL_FAILED)", "HASH_FAILURE", "Integrity", "Signer", "Signature verification record"] {
        assert!(text.contains(want), "{want:?} missing: {text}");
    }
    // The JSON download is the API's report.
    let b64 = html.split("href=\"data:application/json;base64,").nth(1).and_then(|r| r.split('"').next()).expect("a JSON link");
    let json: Value = serde_json::from_slice(&b64_decode(b64)).unwrap();
    assert_eq!(json["documents"][0]["sub_indication"], "HASH_FAILURE");
}

fn hex_sha256(b: &[u8]) -> String {
    let o = Command::new("openssl").args(["dgst", "-sha256", "-r"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
        c.stdin.take().unwrap().write_all(b)?;
        c.wait_with_output()
    });
    String::from_utf8_lossy(&o.unwrap().stdout).split_whitespace().next().unwrap_or("").to_string()
}

fn b64_decode(s: &str) -> Vec<u8> {
    let mut c = Command::new("openssl").args(["base64", "-d", "-A"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    c.wait_with_output().unwrap().stdout
}

/// A copy of the example issuing CA with a certificate whose names are markup, a document it
/// signed, and the CRL re-issued: (folder, CRL path).
pub(crate) fn xss_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let status = Command::new("cp").args(["-r", &example("ca"), &d.join("ca").to_string_lossy()]).status().unwrap();
    assert!(status.success());
    let pass = example("passphrase.txt");
    std::fs::write(d.join("unit-pass.txt"), "the unit's own passphrase\n").unwrap();
    ok(d, &["ca", "issue", "--dir", "ca", "--cn", "<img src=x onerror=alert(1)>", "--org", "<script>alert(2)</script>", "--key-out", "x.key", "--key-pass-file", "unit-pass.txt", "--cert-out", "x.pem", "--pass-file", &pass]);
    ok(d, &["ca", "crl", "--dir", "ca", "--pass-file", &pass]);
    std::fs::copy(example("docs/cong-van.txt"), d.join("thu.txt")).unwrap();
    ok(d, &["sign", "--cert", "x.pem", "--key", "x.key", "--chain", "ca/chain.pem", "--pass-file", "unit-pass.txt", "thu.txt"]);
    dir
}

#[test]
fn names_from_certificates_are_escaped_and_the_headers_are_strict() {
    let x = xss_fixture();
    let d = x.path();
    let crl = d.join("ca/crl.pem").to_string_lossy().into_owned();
    let web = Web::start_with(&["--trust", &example("root.pem"), "--crl", &crl, "--crl", &example("root/crl.pem"), "--offline"], &[]);
    let (ct, body) = form(&[("files", Some("thu.txt"), &std::fs::read(d.join("thu.txt")).unwrap()), ("files", Some("thu.txt.p7s"), &std::fs::read(d.join("thu.txt.p7s")).unwrap())]);
    let (code, head, html) = post_raw(web.port, "/verify", &ct, &body);
    assert_eq!(code, 200);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<img") && !html.contains("<script>"), "markup from a certificate reached the page: {html}");
    assert!(text_of(&html).contains("HỢP LỆ (TOTAL_PASSED)"));
    // Headers: CSP without inline script, frame-ancestors 'none', nosniff.
    for h in ["Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'", "frame-ancestors 'none'", "X-Content-Type-Options: nosniff", "Cache-Control: no-store"] {
        assert!(head.contains(h), "{h:?} missing: {head}");
    }
    assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("onclick"), "inline script or style: {html}");
    // The page loads only what this server serves.
    let (code, head, page) = get(web.port, "/");
    assert_eq!(code, 200, "{head}");
    assert!(page.contains("src=\"/kyso.js\"") && page.contains("href=\"/kyso.css\""));
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"), "{page}");
    assert!(page.contains("action=\"/verify\"") && page.contains("enctype=\"multipart/form-data\"") && page.contains("<label for=\"files\">"));
    let (code, head, js) = get(web.port, "/kyso.js");
    assert_eq!(code, 200);
    assert!(head.contains("text/javascript") && js.contains("FormData"));
    assert_eq!(get(web.port, "/kyso.css").0, 200);
    // Only the documented paths answer: no listing, no file from disk.
    for path in ["/static/", "/../../etc/passwd", "/kyso.css/..", "/index.html", "/api/", "/api/verify/x", "/%2e%2e/Cargo.toml"] {
        assert_eq!(get(web.port, path).0, 404, "{path}");
    }
    let (code, head, _) = get(web.port, "/api/verify");
    assert_eq!(code, 405);
    assert!(head.contains("Allow: POST"), "{head}");
    assert_eq!(post_raw(web.port, "/", "text/plain", b"x").0, 405);
}

#[test]
fn hostile_uploads_get_4xx_naming_the_fault_and_the_server_goes_on() {
    let f = Fixtures::new();
    let mut web = Web::start(&["--max-upload", "64KiB", "--header-timeout", "1", "--max-files", "3"]);
    let port = web.port;
    // Over the limit: 413 before the body is read (only the headers are sent).
    let big = format!("POST /api/verify HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n", 65 * 1024);
    let (code, _, body) = split(&raw(port, big.as_bytes()));
    assert_eq!(code, 413, "{body}");
    // The same through curl, with the whole file sent.
    let blob = f.path("big.bin");
    std::fs::write(&blob, vec![b'x'; 200 * 1024]).unwrap();
    assert_eq!(curl_post(&web.url("/api/verify"), f.dir.path(), &["big.bin"], &[]).0, 413);
    // Malformed multipart bodies: 400 (415 for another content type), with the fault named.
    let good = form(&[("files", Some("a.txt"), b"x")]).1;
    let ct = "multipart/form-data; boundary=kysoTestBoundary7MA4YWxk";
    let cases: Vec<(String, Vec<u8>, u16, &str)> = vec![
        ("application/json".into(), b"{}".to_vec(), 415, "not multipart/form-data"),
        ("multipart/form-data".into(), good.clone(), 400, "boundary is missing"),
        (ct.into(), good[..good.len() - 10].to_vec(), 400, "ends before the closing delimiter"),
        (ct.into(), [b"junk\r\n".as_slice(), &good].concat(), 400, "does not start with the multipart delimiter"),
        (ct.into(), b"--kysoTestBoundary7MA4YWxk\r\nContent-Type: text/plain\r\n\r\nx\r\n--kysoTestBoundary7MA4YWxk--".to_vec(), 400, "no Content-Disposition"),
        (ct.into(), format!("--kysoTestBoundary7MA4YWxk\r\nX: {}\r\n\r\nx\r\n--kysoTestBoundary7MA4YWxk--", "y".repeat(6000)).into_bytes(), 400, "headers of part 0 are larger"),
        (ct.into(), form(&[("lang", None, b"vi")]).1, 400, "no file was uploaded"),
        (ct.into(), form(&[("files", Some("a"), b"1"), ("files", Some("a"), b"2")]).1, 400, "two files are named"),
        (ct.into(), form(&[("files", Some("a"), b"1"), ("files", Some("b"), b"2"), ("files", Some("c"), b"3"), ("files", Some("d"), b"4")]).1, 400, "more than 3 files"),
        (ct.into(), b"--kysoTestBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"files\"; filename=\"..\"\r\n\r\nx\r\n--kysoTestBoundary7MA4YWxk--".to_vec(), 400, "unacceptable name"),
    ];
    for (ct, body, want, why) in &cases {
        let (code, _, answer) = post_raw(port, "/api/verify", ct, body);
        assert_eq!(code, *want, "{why}: {answer}");
        let v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{why}: {e}: {answer}"));
        assert!(v["error"].as_str().unwrap_or("").contains(why), "{why}: {answer}");
        // The page path answers the same fault as a page.
        let (code, head, html) = post_raw(port, "/verify", ct, body);
        assert_eq!(code, *want, "{why}");
        assert!(head.contains("text/html") && html.contains("role=\"alert\""), "{why}: {html}");
    }
    // Not HTTP, header flood, chunked: the HTTP layer's 400/431/411.
    assert_eq!(split(&raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")).0, 400);
    assert_eq!(split(&raw(port, format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(2000)).as_bytes())).0, 431);
    assert_eq!(split(&raw(port, b"POST /api/verify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).0, 411);
    // A slow-loris client (one header byte every 100 ms, never done) is answered 408 and
    // dropped after --header-timeout (1 s) — the server ends the exchange, not the client (a
    // 60 s watchdog, never reached, stops the client otherwise) — while another client is
    // served meanwhile.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    slow.write_all(b"POST /api/verify HTTP/1.1\r\nX-Slow: ").unwrap();
    let trickle = std::thread::spawn(move || {
        let mut sent = 0;
        let mut dropped = false;
        slow.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let mut answer = Vec::new();
        while started.elapsed() < Duration::from_secs(60) {
            let mut b = [0u8; 512];
            match slow.read(&mut b) {
                Ok(0) => {
                    dropped = true;
                    break;
                }
                Ok(n) => answer.extend_from_slice(&b[..n]),
                Err(_) => {}
            }
            if slow.write_all(b"a").is_err() {
                dropped = true;
                break;
            }
            sent += 1;
        }
        (answer, dropped, sent)
    });
    let (code, body) = curl_post(&web.url("/api/verify"), f.dir.path(), &["to-trinh.txt", "to-trinh.txt.p7s"], &[]);
    assert_eq!(code, 200, "{body}");
    let (answer, dropped, sent) = trickle.join().unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
    assert!(dropped, "the server never closed the slow client's connection ({sent} bytes sent)");
    assert!(web.alive());
    // Idle connections do not stop the page; one address is held to its cap (32 by default:
    // the 33rd connection gets 503 at once), and the page answers again once they close. (A
    // server with the default 5 s header timeout: the idle ones must outlive the checks.)
    let mut web = Web::start(&[]);
    let port = web.port;
    assert_eq!(get(port, "/").0, 200);
    std::thread::sleep(Duration::from_millis(500));
    let idle: Vec<TcpStream> = (0..32).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (code, _, why) = get(port, "/");
    assert_eq!(code, 503, "{why}");
    assert!(why.contains("connections open from this address"), "{why}");
    drop(idle);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(get(port, "/").0, 200);
    assert!(web.alive());
}

#[test]
fn uploads_beyond_the_verification_slots_get_503_with_retry_after() {
    // One verification slot and twelve PDF uploads at once: the ones that find the slot taken
    // are refused at once with 503 and Retry-After (no queue), the others verified.
    let f = Fixtures::new();
    let web = Web::start(&["--max-verifications", "1"]);
    let pdf = f.bytes("cong-van-ky.pdf");
    let (ct, body) = form(&[("files", Some("cong-van-ky.pdf"), &pdf)]);
    let port = web.port;
    let answers: Vec<(u16, String, String)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..12).map(|_| s.spawn(|| post_raw(port, "/api/verify", &ct, &body))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let busy: Vec<&(u16, String, String)> = answers.iter().filter(|a| a.0 == 503).collect();
    assert_eq!(ok + busy.len(), 12, "only 200 and 503: {:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
    assert!(ok >= 1);
    for b in &busy {
        assert!(b.1.contains("Retry-After: 2"), "{}", b.1);
        assert!(b.2.contains("verification slot"), "{}", b.2);
    }
    // Whether any was refused depends on timing; with 12 at once on one slot, some are.
    assert!(!busy.is_empty(), "12 concurrent verifications on one slot were all served");
}

#[test]
fn web_refuses_meaningless_and_bad_flags_before_starting() {
    let (root, crl) = (example("root.pem"), example("crl.pem"));
    for (args, want) in [
        (vec!["web", "--trust", &root, "--json"], "--json has no meaning"),
        (vec!["web", "--trust", &root, "--max-upload", "5XB"], "unknown unit"),
        (vec!["web", "--trust", &crl], "the trust anchor file"),
        (vec!["web", "--trust", &root, "--at", "yesterday"], "RFC 3339"),
        (vec!["web"], "--trust"),
    ] {
        let o = kyso().args(&args).output().unwrap();
        let (code, out, err) = summary(&o);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn bodies_written_by_urllib3_parse_and_verify_through_the_library() {
    // fuzz/seeds/multipart: bodies written by urllib3 (fuzz/make-seeds.sh), the fuzz fixtures'
    // document with its two-signer .p7s, the language field "en".
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = std::fs::read(root.join("fuzz/seeds/multipart/pair-double.bin")).unwrap();
    let nl = seed.iter().position(|&b| b == b'\n').unwrap();
    let (ct, body) = (std::str::from_utf8(&seed[..nl]).unwrap(), &seed[nl + 1..]);
    let anchor = std::fs::read(root.join("fuzz/fixtures/anchor.der")).unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp(1_798_761_600).unwrap();
    let v = kyso::Verifier::new(&[anchor], &[], &[], kyso::verify::Options::at(at)).unwrap();
    let (report, lang) = kyso::web::verify_multipart(&v, ct, body, &kyso::web::WebOptions::default()).unwrap();
    assert_eq!(lang, Some(kyso::Lang::En));
    assert_eq!(report.documents.len(), 1);
    assert_eq!(report.documents[0].path, "document.txt");
    assert_eq!(report.documents[0].signatures.len(), 2);
    let cli_doc = std::fs::read(root.join("fuzz/fixtures/document.txt")).unwrap();
    let direct = v.verify_detached("document.txt", &cli_doc[..], &std::fs::read(root.join("fuzz/fixtures/double.p7s")).unwrap());
    assert_eq!(report.documents[0], direct, "the upload path and verify_detached differ");
}

/// The Python of the CI venv (selenium installed there by .ci/run), or `python3`.
fn python() -> String {
    std::env::var("KYSO_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Headless Chromium over WebDriver (tests/web_browser.py, selenium): the five cases with and
/// without JavaScript, the card fields, the language switch, the printable view (and its PDF),
/// the JSON download, keyboard focus order, no CSP violation, and the markup-named certificate
/// shown as text with no dialog. Screenshots go to target/web-screenshots/ (the README's
/// come from there). Needs chromium, chromium-driver and selenium: a missing one fails.
#[test]
#[ignore = "needs chromium, chromium-driver and selenium (.ci/run installs them)"]
fn browser_chromium_over_webdriver_shows_every_case_with_and_without_javascript() {
    let f = Fixtures::new();
    let web = Web::start(&[]);
    let x = xss_fixture();
    let crl = x.path().join("ca/crl.pem").to_string_lossy().into_owned();
    let xss = Web::start_with(&["--trust", &example("root.pem"), "--crl", &crl, "--crl", &example("root/crl.pem"), "--offline"], &[]);
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web-screenshots");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web_browser.py");
    let o = Command::new(python())
        .arg(&script)
        .args([web.url(""), f.dir.path().to_string_lossy().into_owned(), xss.url(""), x.path().to_string_lossy().into_owned(), shots.to_string_lossy().into_owned()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (set KYSO_PYTHON to a Python with selenium): {e}", python()));
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "browser tests failed:\n{out}\n{err}");
    assert!(out.contains("checks passed"), "{out}{err}");
    for png in ["valid-vi.png", "valid-en.png", "record.png", "tampered-vi.png", "pdf-vi.png", "revoked-vi.png", "unsigned-vi.png", "tampered-en-nojs.png", "xss.png"] {
        let bytes = std::fs::read(shots.join(png)).unwrap_or_else(|e| panic!("{png}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{png} is not a screenshot");
    }
    eprintln!("{out}");
}

/// A tiny xorshift generator (fixed seed: every run makes the same mutants).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutant of `body`: a bit flipped, a byte inserted or deleted, a truncation, or an edit
/// where the multipart syntax lives (a CRLF, a `--`, a quote, a colon, a semicolon).
fn mutate(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    let syntax: Vec<usize> = b.iter().enumerate().filter(|(_, c)| b"\r\n-\";:=".contains(c)).map(|(i, _)| i).collect();
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        let at = if rng.below(2) == 0 && !syntax.is_empty() { syntax[rng.below(syntax.len())].min(b.len() - 1) } else { rng.below(b.len()) };
        match rng.below(5) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b.insert(at, [b'\r', b'\n', b'-', b'"', b';', 0, 0xff][rng.below(7)]),
            2 => {
                b.remove(at);
            }
            3 => b.truncate(at),
            _ => {
                let len = rng.below(64).min(b.len() - at);
                let chunk = b[at..at + len].to_vec();
                b.splice(at..at, chunk);
            }
        }
    }
    b
}

#[test]
fn mutated_multipart_bodies_are_typed_errors_in_process_and_4xx_or_200_over_http() {
    use kyso::web::{multipart, verify_multipart, UploadError, WebOptions};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let anchor = std::fs::read(root.join("fuzz/fixtures/anchor.der")).unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp(1_798_761_600).unwrap();
    let v = kyso::Verifier::new(&[anchor], &[], &[], kyso::verify::Options::at(at)).unwrap();
    let mut seeds = Vec::new();
    for e in std::fs::read_dir(root.join("fuzz/seeds/multipart")).unwrap() {
        let s = std::fs::read(e.unwrap().path()).unwrap();
        let nl = s.iter().position(|&b| b == b'\n').unwrap();
        seeds.push((String::from_utf8(s[..nl].to_vec()).unwrap(), s[nl + 1..].to_vec()));
    }
    seeds.sort();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut refused) = (0, 0);
    let mut http_cases = Vec::new();
    for i in 0..6000 {
        let (ct, body) = &seeds[i % seeds.len()];
        let m = mutate(&mut rng, body);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verify_multipart(&v, ct, &m, &WebOptions::default())));
        match r {
            Ok(Ok((report, _))) => {
                ok += 1;
                serde_json::to_string(&report).unwrap();
            }
            Ok(Err(UploadError::Multipart(e))) => {
                refused += 1;
                // The same fault from the parser alone.
                assert_eq!(multipart::parse(ct, &m, &multipart::Limits::default()).err(), Some(e), "mutant {i}");
            }
            Ok(Err(_)) => refused += 1,
            Err(_) => panic!("panic on mutant {i} of {ct}: {:?}", String::from_utf8_lossy(&m)),
        }
        if i % 20 == 0 {
            http_cases.push((ct.clone(), m));
        }
    }
    assert!(ok > 100 && refused > 1000, "mutants: {ok} verified, {refused} refused");
    // Over HTTP: 200 or 4xx, never 5xx, and the server is alive at the end.
    let mut web = Web::start(&[]);
    let mut codes = std::collections::BTreeMap::new();
    for (ct, body) in &http_cases {
        let (code, _, answer) = post_raw(web.port, "/api/verify", ct, body);
        assert!(code == 200 || (400..500).contains(&code), "HTTP {code}: {answer}");
        *codes.entry(code).or_insert(0) += 1;
    }
    assert!(web.alive());
    eprintln!("mutants: {ok} verified, {refused} refused in process; over HTTP {codes:?}");
}
