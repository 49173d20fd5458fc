//! Signed documents by e-mail (issue 21): `kyso mail sign` / `kyso mail verify` against
//! OpenSSL (`openssl smime` both ways), tampering in transit, the From check, hostile messages
//! (bounded time and memory), Python's `email` package (ignored: needs python3) and NIST
//! PKITS's signed messages (ignored: needs the data).

use crate::pki::{openssl, refused_because};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const FROM: &str = "Văn thư Sở Y tế <vanthu@soyte.bacninh.gov.vn>";

fn kyso(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kyso")).args(args).current_dir(dir).env("KYSO_PASSPHRASE", "kyso-demo-2026").output().unwrap()
}

fn ok(o: &Output) -> &Output {
    assert!(o.status.success(), "exit {:?}\nstdout: {}\nstderr: {}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    o
}

/// A scratch copy of certs-example (made now, tests/it/example.rs: the checked-in certificates
/// expire, and these tests sign at the current time) with an agency certificate for Sở Y tế that carries an
/// e-mail address (`kyso ca issue --email`), ECDSA (kyso's key) or RSA (openssl's key, via a CSR),
/// and a document signed by the head of the unit.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(rsa: bool) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        crate::example::copy_dir(crate::example::fresh(), &d.join("ex"));
        let mut issue = vec!["ca", "issue", "--dir", "ex/ca", "--profile", "agency", "--cn", "Sở Y tế tỉnh Bắc Ninh", "--org", "Sở Y tế tỉnh Bắc Ninh"];
        issue.extend(["--uid", "MNS:1000002", "--email", "vanthu@soyte.bacninh.gov.vn", "--cert-out", "vt.pem"]);
        if rsa {
            openssl(d, &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "vt.key"]);
            ok(&kyso(d, &["csr", "new", "--key", "vt.key", "--cn", "Sở Y tế tỉnh Bắc Ninh", "--out", "vt.csr"]));
            issue.extend(["--csr", "vt.csr"]);
        } else {
            issue.extend(["--key-out", "vt.key"]);
        }
        ok(&kyso(d, &issue));
        std::fs::copy(d.join("ex/docs/cong-van.txt"), d.join("cong-van.txt")).unwrap();
        ok(&kyso(d, &["sign", "--cert", "ex/units/so-y-te/person.pem", "--key", "ex/units/so-y-te/person.key", "--chain", "ex/chain.pem", "cong-van.txt"]));
        std::fs::write(d.join("thu.txt"), "Kính gửi Văn phòng UBND tỉnh,\nSở Y tế gửi kèm công văn.\n").unwrap();
        Setup { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `kyso mail sign` with `from`, the body and `docs`, into `out`.
    fn sign(&self, from: &str, docs: &[&str], out: &str) {
        let mut a = vec!["mail", "sign", "--cert", "vt.pem", "--key", "vt.key", "--chain", "ex/chain.pem", "--from", from];
        a.extend(["--to", "Văn phòng UBND tỉnh <vanphong@bacninh.gov.vn>", "--subject", "Công văn số 1234/VP-HCC về việc hành nghề"]);
        a.extend(["--body", "thu.txt", "--out", out]);
        a.extend(docs);
        ok(&kyso(self.path(), &a));
    }

    fn verify(&self, msg: &str, extra: &[&str]) -> Output {
        let mut a = vec!["mail", "verify", msg, "--trust", "ex/root.pem", "--crl", "ex/crl.pem", "--revocation", "require"];
        a.extend(extra);
        kyso(self.path(), &a)
    }

    fn verify_json(&self, msg: &str) -> (Option<i32>, Value) {
        let o = self.verify(msg, &["--json"]);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
        (o.status.code(), v)
    }

    fn openssl_smime_verify(&self, msg: &str) -> (bool, String) {
        let o = Command::new("openssl").args(["smime", "-verify", "-in", msg, "-CAfile", "ex/root.pem", "-out", "/dev/null"]).current_dir(self.path()).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// Every check code of the message's signatures with its status.
fn message_checks(v: &Value) -> Vec<(String, String)> {
    v["message"]["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["checks"].as_array().cloned().unwrap_or_default())
        .map(|c| (c["code"].as_str().unwrap_or_default().to_string(), c["status"].as_str().unwrap_or_default().to_string()))
        .collect()
}

fn warning_codes(v: &Value) -> Vec<String> {
    v["message"]["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["warning_codes"].as_array().cloned().unwrap_or_default())
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn openssl_accepts_kyso_messages_and_kyso_verifies_them_whole_ecdsa_and_rsa() {
    for rsa in [false, true] {
        let s = Setup::new(rsa);
        s.sign(FROM, &["cong-van.txt"], "m.eml");
        let (accepted, err) = s.openssl_smime_verify("m.eml");
        assert!(accepted, "rsa={rsa}: openssl smime -verify refused kyso's message: {err}");
        let raw = std::fs::read_to_string(s.path().join("m.eml")).unwrap();
        assert!(raw.contains("protocol=\"application/pkcs7-signature\"") && raw.contains("micalg=\"sha-256\""), "{raw}");
        assert!(raw.contains("Subject: =?utf-8?B?"), "the Vietnamese subject is an RFC 2047 encoded word: {raw}");
        assert!(raw.is_ascii(), "the message is 7-bit");

        let (code, v) = s.verify_json("m.eml");
        assert_eq!(code, Some(0), "rsa={rsa}: {v:#}");
        assert_eq!(v["indication"], "TOTAL_PASSED");
        assert_eq!(v["message"]["format"], "multipart_signed");
        assert_eq!(v["message"]["signer_addresses"], serde_json::json!(["vanthu@soyte.bacninh.gov.vn"]));
        let checks = message_checks(&v);
        for want in [("mail_from_matches", "passed"), ("mail_headers_protected", "passed"), ("digest_matches", "passed"), ("not_revoked", "passed")] {
            assert!(checks.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} missing: {checks:?}");
        }
        let scheme = v["message"]["signatures"][0]["signature_algorithm"].as_str().unwrap_or_default().to_string();
        assert!(scheme.contains(if rsa { "RSA" } else { "ECDSA" }), "{scheme}");
        // The document travels with its own signature, verified by the same core as `kyso verify`.
        let docs = v["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!((docs[0]["path"].as_str(), docs[0]["indication"].as_str()), (Some("cong-van.txt"), Some("TOTAL_PASSED")));
        let roles: Vec<(&str, &str)> = v["message"]["attachments"].as_array().unwrap().iter().map(|a| (a["name"].as_str().unwrap(), a["role"].as_str().unwrap())).collect();
        assert_eq!(roles, vec![("cong-van.txt", "document"), ("cong-van.txt.p7s", "document_signature")]);

        // --extract: the attachments byte for byte, still verifiable out of the mail.
        let o = s.verify(&"m.eml".to_string(), &["--extract", "received"]);
        assert_eq!(o.status.code(), Some(0));
        for f in ["cong-van.txt", "cong-van.txt.p7s"] {
            assert_eq!(std::fs::read(s.path().join("received").join(f)).unwrap(), std::fs::read(s.path().join(f)).unwrap(), "{f}");
        }
        let o = kyso(s.path(), &["verify", "received/cong-van.txt", "--trust", "ex/root.pem", "--crl", "ex/crl.pem", "--revocation", "require"]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
        // A second extraction does not overwrite without --force.
        assert_eq!(s.verify("m.eml", &["--extract", "received"]).status.code(), Some(1));
        assert_eq!(s.verify("m.eml", &["--extract", "received", "--force"]).status.code(), Some(0));
    }
}

/// Issue 17's rule holds for a message too: a VALID whose revocation was not checked is never
/// shown alone (the overall line of the human report, both languages).
#[test]
fn an_unchecked_revocation_is_said_beside_the_overall_valid() {
    let s = Setup::new(false);
    s.sign(FROM, &["cong-van.txt"], "m.eml");
    let overall = |extra: &[&str], lang: &str| -> String {
        let mut a = vec!["mail", "verify", "m.eml", "--trust", "ex/root.pem", "--lang", lang];
        a.extend(extra);
        let o = kyso(s.path(), &a);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let label = if lang == "vi" { "Kết quả chung: " } else { "Overall result: " };
        out.lines().find_map(|l| l.strip_prefix(label)).unwrap_or_else(|| panic!("no overall line: {out}")).to_string()
    };
    assert_eq!(overall(&["--revocation", "warn", "--offline"], "en"), "VALID (TOTAL_PASSED) — revocation NOT CHECKED");
    assert_eq!(overall(&["--revocation", "off"], "vi"), "HỢP LỆ (TOTAL_PASSED) — CHƯA KIỂM TRA tình trạng thu hồi");
    assert_eq!(overall(&["--crl", "ex/crl.pem"], "en"), "VALID (TOTAL_PASSED)");
}

#[test]
fn unsigned_documents_are_refused_by_mail_sign() {
    let s = Setup::new(false);
    std::fs::write(s.path().join("unsigned.txt"), "x").unwrap();
    let o = kyso(s.path(), &["mail", "sign", "--cert", "vt.pem", "--key", "vt.key", "--from", FROM, "--to", "a@b.vn", "--subject", "x", "--out", "u.eml", "unsigned.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("carries no signature"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!s.path().join("u.eml").exists());
}

/// Replaces the first occurrence of `from` by `to` in the message (a change in transit).
fn tamper(s: &Setup, msg: &str, out: &str, from: &str, to: &str) {
    let raw = std::fs::read_to_string(s.path().join(msg)).unwrap();
    assert!(raw.contains(from), "{from:?} not in the message");
    std::fs::write(s.path().join(out), raw.replacen(from, to, 1)).unwrap();
}

#[test]
fn changes_in_transit_fail_and_are_named() {
    let s = Setup::new(false);
    s.sign(FROM, &["cong-van.txt"], "m.eml");
    let raw = std::fs::read_to_string(s.path().join("m.eml")).unwrap();

    // A header field shown (outside the signed part) changed: named, with both values.
    let subject = raw.lines().find(|l| l.starts_with("Subject: ")).unwrap().to_string();
    tamper(&s, "m.eml", "subject.eml", &subject, "Subject: =?utf-8?B?R2nhuqV5IG3hu51p?=");
    let (code, v) = s.verify_json("subject.eml");
    assert_eq!(code, Some(1));
    assert_eq!(v["message"]["sub_indication"], "HASH_FAILURE");
    let failed: Vec<&Value> = v["message"]["signatures"][0]["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["code"], "mail_header_changed");
    assert!(failed[0]["detail"].as_str().unwrap().contains("header field Subject was changed after signing"), "{failed:?}");
    let vi = String::from_utf8(s.verify("subject.eml", &[]).stdout).unwrap();
    assert!(vi.contains("trường tiêu đề thư Subject bị thay đổi sau khi ký") && vi.contains("Giấy mời"), "{vi}");
    assert_eq!(v["documents"][0]["indication"], "TOTAL_PASSED", "the document itself is intact");

    // The From shown changed to another address: the header check names it.
    tamper(&s, "m.eml", "from.eml", "<vanthu@soyte.bacninh.gov.vn>", "<giamdoc@soyte.bacninh.gov.vn>");
    let (code, v) = s.verify_json("from.eml");
    assert_eq!(code, Some(1));
    let details: Vec<String> = v["message"]["signatures"][0]["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "failed").map(|c| c["detail"].as_str().unwrap().to_string()).collect();
    assert!(details.iter().any(|d| d.contains("header field From was changed")), "{details:?}");

    // The body text changed (one base64 character of the signed text part): the message's
    // digest fails; the document, intact, still passes on its own.
    let text_start = raw.find("Content-Transfer-Encoding: base64\r\n\r\n").unwrap() + 37;
    let mut bytes = raw.clone().into_bytes();
    bytes[text_start] = if bytes[text_start] == b'A' { b'B' } else { b'A' };
    std::fs::write(s.path().join("body.eml"), &bytes).unwrap();
    let (code, v) = s.verify_json("body.eml");
    assert_eq!(code, Some(1));
    assert_eq!(v["message"]["sub_indication"], "HASH_FAILURE");
    assert!(message_checks(&v).contains(&("digest_mismatch".into(), "failed".into())), "{:?}", message_checks(&v));
    assert_eq!(v["documents"][0]["indication"], "TOTAL_PASSED");

    // An attachment changed: the message fails, and the document is named by its own verdict.
    let doc_b64 = raw.find("filename=\"cong-van.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").unwrap() + 64;
    let mut bytes = raw.clone().into_bytes();
    bytes[doc_b64] = if bytes[doc_b64] == b'A' { b'B' } else { b'A' };
    std::fs::write(s.path().join("doc.eml"), &bytes).unwrap();
    let (code, v) = s.verify_json("doc.eml");
    assert_eq!(code, Some(1));
    assert_eq!(v["message"]["sub_indication"], "HASH_FAILURE");
    assert_eq!((v["documents"][0]["path"].as_str(), v["documents"][0]["sub_indication"].as_str()), (Some("cong-van.txt"), Some("HASH_FAILURE")));
    let en = String::from_utf8(s.verify("doc.eml", &["--lang", "en"]).stdout).unwrap();
    assert!(en.contains("Document: cong-van.txt\nResult: INVALID (TOTAL_FAILED)\nReason: HASH_FAILURE"), "{en}");

    // OpenSSL agrees that the body and attachment changes break the signature, and says why
    // (its digest over the signed part differs; not a chain or format problem).
    for m in ["body.eml", "doc.eml"] {
        let (accepted, err) = s.openssl_smime_verify(m);
        refused_because(accepted, &err, "digest failure").unwrap_or_else(|e| panic!("{m}: {e}"));
    }
}

#[test]
fn a_from_that_is_not_the_certificates_gives_a_warning_in_both_languages() {
    let s = Setup::new(false);
    s.sign("Giám đốc <giamdoc@soyte.bacninh.gov.vn>", &["cong-van.txt"], "other.eml");
    let (code, v) = s.verify_json("other.eml");
    assert_eq!(code, Some(0), "a warning, not a failure: {v:#}");
    assert!(warning_codes(&v).contains(&"mail_from_mismatch".to_string()), "{:?}", warning_codes(&v));
    assert!(message_checks(&v).contains(&("mail_from_mismatch".into(), "warning".into())));
    let vi = String::from_utf8(s.verify("other.eml", &[]).stdout).unwrap();
    assert!(vi.contains("Cảnh báo: địa chỉ người gửi (From: giamdoc@soyte.bacninh.gov.vn) không phải địa chỉ ghi trong chứng thư số của người ký (vanthu@soyte.bacninh.gov.vn)"), "{vi}");
    let en = String::from_utf8(s.verify("other.eml", &["--lang", "en"]).stdout).unwrap();
    assert!(en.contains("Warning: the sender's address (From: giamdoc@soyte.bacninh.gov.vn) is not an address of the signer certificate (vanthu@soyte.bacninh.gov.vn)"), "{en}");

    // The example agency certificate has no address at all: a warning of its own.
    let mut a = vec!["mail", "sign", "--cert", "ex/units/so-y-te/agency.pem", "--key", "ex/units/so-y-te/agency.key", "--chain", "ex/chain.pem", "--from", FROM];
    a.extend(["--to", "a@bacninh.gov.vn", "--subject", "x", "--out", "noaddr.eml", "cong-van.txt"]);
    let o = kyso(s.path(), &a);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no e-mail address"));
    let (code, v) = s.verify_json("noaddr.eml");
    assert_eq!(code, Some(0));
    assert!(warning_codes(&v).contains(&"mail_certificate_no_address".to_string()), "{:?}", warning_codes(&v));
}

#[test]
fn kyso_verifies_what_openssl_smime_signs_detached_and_opaque() {
    let s = Setup::new(false);
    let d = s.path();
    openssl(d, &["pkcs8", "-in", "vt.key", "-passin", "pass:kyso-demo-2026", "-out", "vt-plain.key"]);
    // A multipart/mixed content with the document and its .p7s, as another mail client writes it.
    let b64 = |p: &str| {
        let o = openssl(d, &["base64", "-in", p]);
        String::from_utf8(o.stdout).unwrap().replace('\n', "\r\n")
    };
    let content = format!(
        "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nXin chao\r\n\
         --XYZ\r\nContent-Type: application/octet-stream; name=\"cong-van.txt\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"cong-van.txt\"\r\n\r\n{}\
         --XYZ\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"cong-van.txt.p7s\"\r\n\r\n{}--XYZ--\r\n",
        b64("cong-van.txt"),
        b64("cong-van.txt.p7s")
    );
    std::fs::write(d.join("content.txt"), content).unwrap();
    let sign = |out: &str, extra: &[&str]| {
        let mut a = vec!["smime", "-sign", "-in", "content.txt", "-signer", "vt.pem", "-inkey", "vt-plain.key", "-certfile", "ex/chain.pem"];
        a.extend(["-from", "vanthu@soyte.bacninh.gov.vn", "-to", "vanphong@bacninh.gov.vn", "-subject", "Cong van", "-out", out]);
        a.extend(extra);
        openssl(d, &a);
    };
    sign("detached.eml", &[]);
    sign("opaque.eml", &["-nodetach"]);
    for (m, format) in [("detached.eml", "multipart_signed"), ("opaque.eml", "pkcs7_mime")] {
        let (code, v) = s.verify_json(m);
        assert_eq!(code, Some(0), "{m}: {v:#}");
        assert_eq!(v["message"]["format"], format);
        assert!(message_checks(&v).contains(&("mail_from_matches".into(), "passed".into())), "{m}");
        assert!(warning_codes(&v).contains(&"mail_headers_not_protected".to_string()), "{m}: {:?}", warning_codes(&v));
        assert!(!warning_codes(&v).contains(&"attached_content_equal".to_string()), "{m}");
        assert_eq!(v["documents"][0]["indication"], "TOTAL_PASSED", "{m}");
        assert_eq!(v["documents"][0]["signatures"].as_array().unwrap().len(), 1, "{m}");
    }
    // OpenSSL writes LF line ends: the signed part is verified in its canonical CRLF form.
    let raw = std::fs::read(d.join("detached.eml")).unwrap();
    assert!(raw.windows(2).any(|w| w[0] != b'\r' && w[1] == b'\n'));
    // Stored with CRLF throughout (as a mail client on Windows would), it verifies the same.
    let crlf = String::from_utf8(raw).unwrap().replace("\r\n", "\n").replace('\n', "\r\n");
    std::fs::write(d.join("detached-crlf.eml"), crlf).unwrap();
    assert_eq!(s.verify_json("detached-crlf.eml").0, Some(0));
    // An envelope is refused with its reason.
    openssl(d, &["cms", "-encrypt", "-aes256", "-in", "content.txt", "-out", "enveloped.eml", "vt.pem"]);
    let (code, v) = s.verify_json("enveloped.eml");
    assert_eq!(code, Some(1));
    assert_eq!(v["message"]["detail"], "the message is encrypted (enveloped-data); kyso verifies signatures and decrypts nothing");
}

/// CPU seconds `kyso mail verify` may spend on one hostile message (`crate::cli::cpu_budget`:
/// work done, not wall-clock time, so a loaded machine does not make the test flaky). A debug
/// build needs a few seconds at most for the largest case; work quadratic in these sizes would
/// need hours.
const HOSTILE_CPU_SECONDS: u32 = 30;

/// Runs `kyso mail verify` on `raw` under a 2 GiB address-space limit and a CPU-time budget,
/// returning the exit code and the JSON.
fn hostile(s: &Setup, name: &str, raw: &[u8]) -> (Option<i32>, Value) {
    std::fs::write(s.path().join(name), raw).unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &format!("ulimit -v 2097152 && exec \"{}\" mail verify {name} --trust ex/root.pem --revocation off --json", env!("CARGO_BIN_EXE_kyso"))]).current_dir(s.path());
    let o = crate::cli::cpu_budget(&mut cmd, HOSTILE_CPU_SECONDS).output().unwrap();
    crate::cli::assert_within_cpu_budget(&o, name);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{name}: {e} ({:?}): {}", o.status, String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

#[test]
fn hostile_messages_get_a_clear_error_in_bounded_time_and_memory() {
    let s = Setup::new(false);
    let head = "From: a@b.vn\r\nTo: c@d.vn\r\nSubject: x\r\nMIME-Version: 1.0\r\n";
    let signed = |body: &str| format!("{head}Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"S\"\r\n\r\n{body}");
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    // 1. Deep nesting: 20,000 multiparts inside each other.
    let mut deep = String::from("--S\r\n");
    for i in 0..20_000 {
        deep.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"));
    }
    deep.push_str("\r\nx\r\n");
    for i in (0..20_000).rev() {
        deep.push_str(&format!("--b{i}--\r\n"));
    }
    deep.push_str("--S\r\n\r\nsig\r\n--S--\r\n");
    cases.push(("deep.eml", signed(&deep).into_bytes(), "the message's multiparts are nested more than 8 deep (verifier budget)"));
    // 2. Thousands of parts.
    let many = format!("--S\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n{}--m--\r\n--S\r\n\r\nx\r\n--S--\r\n", "--m\r\n\r\nx\r\n".repeat(200_000));
    cases.push(("many.eml", signed(&many).into_bytes(), "the message has more than 256 MIME parts or delimiter lines (verifier budget)"));
    // 3. A huge base64 part (60 MB of base64, 45 MB decoded) as the signature.
    let huge = format!("--S\r\n\r\nx\r\n--S\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--S--\r\n", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n".repeat(770_000));
    cases.push(("huge.eml", signed(&huge).into_bytes(), "the signature part is not a base64-encoded CMS SignedData"));
    // 4. Too large altogether.
    cases.push(("too-large.eml", vec![b'a'; 64 * 1024 * 1024 + 1], ""));
    // 5. Broken boundaries: no close delimiter; a boundary only mid-line; none at all.
    cases.push(("unclosed.eml", signed("--S\r\n\r\nx\r\n--S\r\n\r\ny\r\n").into_bytes(), "the multipart/signed has no boundary or no closing delimiter line"));
    cases.push(("midline.eml", signed("x--S\r\n\r\nx\r\nx--S--\r\n").into_bytes(), "the multipart/signed has no boundary or no closing delimiter line"));
    let no_boundary = format!("{head}Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\n--S\r\n");
    cases.push(("noboundary.eml", no_boundary.into_bytes(), "the multipart/signed has no boundary or no closing delimiter line"));
    // 6. A flood of header lines.
    cases.push(("headers.eml", format!("{}{head}\r\nx", "X-A: a\r\n".repeat(500_000)).into_bytes(), "the message has more than 4096 header lines (verifier budget)"));
    // 7. Three parts, an unknown protocol, not signed at all.
    cases.push(("three.eml", signed("--S\r\n\r\nx\r\n--S\r\n\r\ny\r\n--S\r\n\r\nz\r\n--S--\r\n").into_bytes(), "the multipart/signed has 3 parts; it must have two (the signed content and its signature)"));
    let pgp = format!("{head}Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=S\r\n\r\n--S\r\n\r\nx\r\n--S\r\n\r\ny\r\n--S--\r\n");
    cases.push(("pgp.eml", pgp.into_bytes(), "the multipart/signed protocol is application/pgp-signature, not application/pkcs7-signature (S/MIME)"));
    cases.push(("plain.eml", format!("{head}\r\nHello").into_bytes(), "the message is not signed: its type is text/plain, neither multipart/signed nor application/pkcs7-mime signed-data"));
    for (name, raw, detail) in cases {
        if name == "too-large.eml" {
            // Refused before it is read whole.
            std::fs::write(s.path().join(name), &raw).unwrap();
            let o = s.verify(name, &[]);
            assert_eq!(o.status.code(), Some(2), "{name}");
            assert!(String::from_utf8_lossy(&o.stderr).contains("too large") || String::from_utf8_lossy(&o.stderr).contains("larger"), "{}", String::from_utf8_lossy(&o.stderr));
            continue;
        }
        let (code, v) = hostile(&s, name, &raw);
        assert_eq!(code, Some(1), "{name}: {v:#}");
        assert_eq!((v["indication"].as_str(), v["message"]["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("FORMAT_FAILURE")), "{name}");
        assert_eq!(v["message"]["detail"], detail, "{name}");
    }
}

/// Python's `email` package (the standard library's MIME reader, an implementation independent
/// of kyso's and of mail-parser) opens kyso's message and finds the same attachments, byte for
/// byte, as the originals and as `kyso mail verify` reports them.
#[test]
#[ignore = "needs python3 (the CI venv's); .ci/run runs it"]
fn python_email_shows_the_same_attachments() {
    let s = Setup::new(false);
    std::fs::copy(s.path().join("ex/pdf/cong-van.pdf"), s.path().join("Công văn số 1234.pdf")).unwrap();
    ok(&kyso(s.path(), &["sign", "--pades", "--cert", "ex/units/so-y-te/person.pem", "--key", "ex/units/so-y-te/person.key", "--chain", "ex/chain.pem", "--appearance", "none", "--in-place", "Công văn số 1234.pdf"]));
    s.sign(FROM, &["cong-van.txt", "Công văn số 1234.pdf"], "m.eml");
    let script = r#"
import email, email.policy, hashlib, json, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
signed = m.get_payload()[0]
out = {"subject": str(m['subject']), "protected_subject": str(signed['subject']), "from": str(m['from']),
       "body": signed.get_payload()[0].get_content(),
       "attachments": [[p.get_filename(), hashlib.sha256(p.get_payload(decode=True)).hexdigest()] for p in m.walk() if p.get_filename() and p.get_filename() != 'smime.p7s']}
print(json.dumps(out))
"#;
    let o = Command::new("python3").args(["-c", script, "m.eml"]).current_dir(s.path()).output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let py: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(py["subject"], "Công văn số 1234/VP-HCC về việc hành nghề");
    assert_eq!(py["protected_subject"], py["subject"]);
    assert_eq!(py["from"], FROM);
    // The text in its canonical form (RFC 8551 §3.1.1: CRLF line ends).
    assert_eq!(py["body"], "Kính gửi Văn phòng UBND tỉnh,\r\nSở Y tế gửi kèm công văn.\r\n");
    let sha = |p: &str| hex::encode(ring::digest::digest(&ring::digest::SHA256, &std::fs::read(s.path().join(p)).unwrap()));
    let want = serde_json::json!([
        ["cong-van.txt", sha("cong-van.txt")],
        ["cong-van.txt.p7s", sha("cong-van.txt.p7s")],
        ["Công văn số 1234.pdf", sha("Công văn số 1234.pdf")],
    ]);
    assert_eq!(py["attachments"], want);
    let (code, v) = s.verify_json("m.eml");
    assert_eq!(code, Some(0), "{v:#}");
    let kyso_view: Vec<Value> = v["message"]["attachments"].as_array().unwrap().iter().map(|a| serde_json::json!([a["name"], a["sha256"]])).collect();
    assert_eq!(Value::Array(kyso_view), want);
    assert_eq!(v["documents"][1]["path"], "Công văn số 1234.pdf");
    assert_eq!(v["documents"][1]["indication"], "TOTAL_PASSED");
}

/// NIST PKITS's signed messages, as `kyso mail verify` (the whole message: multipart/signed,
/// the chain and CRLs in its SignedData): the verdicts must agree with the path verdicts of
/// tests/it/pkits.rs; the divergences are the `mail` entries of tests/pkits-exceptions.tsv (the
/// same as `kyso verify`'s: DSA, and the cases whose message is signed by a CA certificate,
/// which DESIGN.md §4 rule 3 refuses as a signer).
#[test]
#[ignore = "needs the PKITS data (KYSO_PKITS; .ci/run fetches it)"]
fn pkits_messages_verify_as_mail() {
    use crate::pkits::{cli_policy_args, cli_expressible, judge, load_all, RunResult, TIME};
    use rayon::prelude::*;
    let dir = crate::pkits::data_dir();
    let anchor = dir.join("certs/TrustAnchorRootCertificate.crt");
    let cases = load_all();
    let results: Vec<(String, bool, Vec<RunResult>)> = cases
        .par_iter()
        .map(|case| {
            let eml = dir.join("smime").join(format!("Signed{}.eml", case.name));
            let mut runs = Vec::new();
            for r in case.runs.iter().filter(|r| cli_expressible(r)) {
                let o = Command::new(env!("CARGO_BIN_EXE_kyso"))
                    .args(["mail", "verify"])
                    .arg(&eml)
                    .arg("--trust")
                    .arg(&anchor)
                    .args(["--at", TIME, "--revocation", "require", "--json"])
                    .args(cli_policy_args(r))
                    .output()
                    .unwrap();
                let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
                let mut checks: Vec<&Value> = Vec::new();
                for s in v["message"]["signatures"].as_array().into_iter().flatten() {
                    checks.extend(s["checks"].as_array().into_iter().flatten().filter(|c| c["status"] == "failed"));
                }
                let why = if v.is_null() { format!("no JSON: {}", String::from_utf8_lossy(&o.stderr)) } else { checks.iter().map(|c| c["detail"].as_str().unwrap_or_default()).collect::<Vec<_>>().join(" | ") };
                let mut codes: Vec<String> = checks.iter().map(|c| c["code"].as_str().unwrap_or_default().to_string()).collect();
                codes.sort();
                // A PKITS message carries no attachment: the message's verdict is the verdict.
                assert!(v["documents"].as_array().is_some_and(|d| d.is_empty()), "{}: {v:#}", case.name);
                runs.push((r.clone(), o.status.code() == Some(0), why, codes));
            }
            (case.name.clone(), case.named, runs)
        })
        .collect();
    judge("mail", &results);
}
