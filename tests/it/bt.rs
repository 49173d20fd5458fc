//! Trusted time end to end (issue 9): `kyso sign --tsa` (CAdES-B-T) against `kyso tsa serve` on
//! loopback, proof of existence in `kyso verify` (revocation and expiry after the timestamp),
//! tampered and untrusted tokens reported, `--embed-revocation` for offline verification.
//! Oracles: `openssl cms -verify` (also with -crl_check_all on the embedded CRLs) and pyHanko
//! (ignored test).

use crate::cli::{kyso, run, summary};
use crate::pki::{openssl_cms_verify, refused_because, write, By, KeyKind, Leaf, Party, Pki};
use crate::tsa::{tsa_leaf, Server};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub(crate) fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `kyso sign` with the test signer and its chain, plus `extra` arguments; must succeed.
pub(crate) fn sign(pki: &Pki, signer: &Party, extra: &[&str], files: &[&str]) {
    let mut args = vec!["sign", "--cert", p(&signer.cert), "--key", p(&signer.key), "--chain", p(&pki.sub.cert)];
    args.extend_from_slice(extra);
    args.extend_from_slice(files);
    let o = run(pki.dir.path(), &args);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso {args:?}: {out}{err}");
}

/// `kyso verify --json`: exit code and the first signature's JSON.
pub(crate) fn verify(pki: &Pki, doc: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", doc, "--trust", p(&pki.root.cert), "--json", "--offline"];
    args.extend_from_slice(extra);
    // Cases about timestamps, not revocation: without CRLs, `--revocation warn` explicitly.
    if !extra.iter().any(|x| *x == "--crl" || *x == "--revocation") {
        args.extend(["--revocation", "warn"]);
    }
    let o = run(pki.dir.path(), &args);
    let (code, out, err) = summary(&o);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v["documents"][0]["signatures"][0].clone())
}

/// The one check named `name` (panics if there is not exactly one).
pub(crate) fn check<'a>(sig: &'a Value, name: &str) -> &'a Value {
    let found: Vec<&Value> = sig["checks"].as_array().unwrap().iter().filter(|c| c["name"] == name).collect();
    assert_eq!(found.len(), 1, "check {name} in {sig:#}");
    found[0]
}

fn tokens_issued(log: &[String]) -> usize {
    log.iter().filter(|l| l.starts_with("tsa: token serial=")).count()
}

/// Revocation takes whole seconds: make sure it is dated strictly after the timestamps.
pub(crate) fn after_a_second() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[test]
fn revoked_superseded_after_the_timestamp_passes_key_compromise_and_no_timestamp_do_not() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA Tỉnh Bắc Ninh");
    let unit = pki.leaf("Sở Tư pháp", Leaf::default());
    let other = pki.leaf("Sở Y tế", Leaf::default());
    for f in ["bt.txt", "batch.txt", "bb.txt", "kc.txt"] {
        write(d, f, format!("Công văn {f}").as_bytes());
    }
    let server = Server::start(&pki, &tsa, &[]);
    // A batch of two documents: one TSA request each.
    sign(&pki, &unit, &["--tsa", &server.url, "--tsa-trust", p(&pki.root.cert)], &["bt.txt", "batch.txt"]);
    sign(&pki, &unit, &[], &["bb.txt"]);
    sign(&pki, &other, &["--tsa", &server.url, "--tsa-trust", p(&pki.root.cert)], &["kc.txt"]);
    let (code, log) = server.terminate();
    assert_eq!(code, Some(0));
    assert_eq!(tokens_issued(&log), 3, "{log:?}");

    // OpenSSL still accepts the B-T signature (the unsigned attribute breaks nothing).
    let (ok, msg) = openssl_cms_verify(d, &d.join("bt.txt.p7s"), &d.join("bt.txt"), &pki.root.cert, &[]);
    assert!(ok, "{msg}");

    after_a_second();
    pki.revoke(By::Sub, &unit, "superseded");
    pki.revoke(By::Sub, &other, "keyCompromise");
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    let crls = ["--crl", "sub.crl", "--crl", "root.crl"];

    // Timestamped, revoked (superseded) after it: TOTAL_PASSED with the timestamp as proof.
    for doc in ["bt.txt", "batch.txt"] {
        let (code, sig) = verify(&pki, doc, &crls);
        assert_eq!(code, 0, "{sig:#}");
        assert_eq!(sig["indication"], "TOTAL_PASSED");
        assert_eq!(sig["sub_indication"], Value::Null);
        let ts = &sig["timestamps"][0];
        assert_eq!(ts["status"], "valid", "{sig:#}");
        assert!(ts["tsa"].as_str().unwrap().contains("TSA Tỉnh Bắc Ninh"), "{ts}");
        let poe = sig["poe_time"].as_str().unwrap();
        assert_eq!(&ts["time"].as_str().unwrap()[..19], &poe[..19]);
        assert_eq!(sig["verdict_time"], sig["poe_time"], "the verdict used the proven time");
        assert_eq!(sig["poe_used"], true);
        assert_eq!(check(&sig, "signature_timestamp")["status"], "passed");
        let rev = check(&sig, "revocation");
        assert_eq!(rev["status"], "passed", "{rev}");
        let detail = rev["detail"].as_str().unwrap();
        assert!(detail.contains("was revoked at") && detail.contains("reason superseded") && detail.contains("after the proven existence time"), "{detail}");
    }
    // The same signer without a timestamp: revoked before the validation time → REVOKED.
    let (code, sig) = verify(&pki, "bb.txt", &crls);
    assert_eq!(code, 1, "{sig:#}");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("REVOKED")));
    assert_eq!(sig["timestamps"], Value::Array(vec![]));
    assert_eq!(sig["poe_time"], Value::Null);
    assert_eq!(sig["poe_used"], false);
    assert_eq!(check(&sig, "revocation")["status"], "failed");
    // keyCompromise after the timestamp: kyso's conservative rule keeps it REVOKED_NO_POE.
    let (code, sig) = verify(&pki, "kc.txt", &crls);
    assert_eq!(code, 3, "{sig:#}");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("REVOKED_NO_POE")));
    assert_eq!(sig["timestamps"][0]["status"], "valid");
    let rev = check(&sig, "revocation");
    assert_eq!(rev["status"], "failed");
    assert!(rev["detail"].as_str().unwrap().contains("the reason keyCompromise does not allow"), "{rev}");

    // Human output shows the timestamp and the time used, in both languages.
    let o = run(d, &["verify", "bt.txt", "--trust", p(&pki.root.cert), "--crl", "sub.crl", "--crl", "root.crl", "--lang", "en"]);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Timestamp: ") && out.contains("TSA Tỉnh Bắc Ninh") && out.contains("(valid, trusted TSA)"), "{out}");
    assert!(out.contains("Time used for the verdict: "), "{out}");
    let o = run(d, &["verify", "bt.txt", "--trust", p(&pki.root.cert), "--crl", "sub.crl", "--crl", "root.crl"]);
    let (_, out, _) = summary(&o);
    assert!(out.contains("Dấu thời gian: ") && out.contains("hợp lệ, TSA được tin cậy") && out.contains("Thời điểm dùng để kết luận: "), "{out}");
    // The revocation after the timestamp, in Vietnamese and Vietnam time.
    assert!(out.contains("Tình trạng thu hồi: bị thu hồi lúc ") && out.contains("lý do: được thay thế bằng chứng thư mới (superseded); sau thời điểm của dấu thời gian: chữ ký đã có trước khi thu hồi"), "{out}");
    assert!(out.contains("Cảnh báo: chứng thư số bị thu hồi lúc ") && out.contains("HỢP LỆ (TOTAL_PASSED) — có 1 cảnh báo"), "{out}");
    assert!(!out.contains("(tiếng Anh)") && !out.contains("Z:") && !out.contains("Z "), "{out}");
    let o = run(d, &["verify", "kc.txt", "--trust", p(&pki.root.cert), "--crl", "sub.crl", "--crl", "root.crl"]);
    let (code, out, _) = summary(&o);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Tình trạng thu hồi: ĐÃ BỊ THU HỒI — bị thu hồi lúc ") && out.contains("lý do: lộ khóa bí mật (keyCompromise); thu hồi sau thời điểm của dấu thời gian, nhưng lý do này không cho phép"), "{out}");
}

#[test]
fn expired_certificate_with_a_timestamp_from_its_validity_passes() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA");
    let unit = pki.leaf("Phòng Hành chính", Leaf { days: 1, ..Leaf::default() });
    write(d, "bt.txt", b"To trinh");
    write(d, "bb.txt", b"To trinh");
    let server = Server::start(&pki, &tsa, &[]);
    sign(&pki, &unit, &["--tsa", &server.url, "--tsa-trust", p(&pki.root.cert)], &["bt.txt"]);
    sign(&pki, &unit, &[], &["bb.txt"]);
    assert_eq!(server.terminate().0, Some(0));
    // Within the validity the timestamp is shown but not needed: the verdict uses the validation time.
    let (code, sig) = verify(&pki, "bt.txt", &["--revocation", "off"]);
    assert_eq!(code, 0, "{sig:#}");
    assert_eq!((sig["poe_used"].as_bool(), sig["timestamps"][0]["status"].as_str()), (Some(false), Some("valid")));
    assert!(sig["poe_time"].is_string() && sig["verdict_time"].is_string());
    let o = run(d, &["verify", "bt.txt", "--trust", p(&pki.root.cert), "--revocation", "off", "--lang", "en"]);
    let (_, out, _) = summary(&o);
    assert!(out.contains("Timestamp: ") && !out.contains("Time used for the verdict"), "{out}");
    let at = (time::OffsetDateTime::now_utc() + time::Duration::days(3)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let args = ["--at", at.as_str(), "--revocation", "off"];
    let (code, sig) = verify(&pki, "bt.txt", &args);
    assert_eq!(code, 0, "{sig:#}");
    assert_eq!(sig["indication"], "TOTAL_PASSED");
    assert_eq!(sig["verdict_time"], sig["poe_time"]);
    assert_eq!(sig["poe_used"], true);
    assert_eq!(check(&sig, "validity")["status"], "passed");
    assert_eq!(sig["timestamps"][0]["status"], "valid");
    // Without the timestamp: expired at the validation time, nothing proves the signature older.
    let (code, sig) = verify(&pki, "bb.txt", &args);
    assert_eq!(code, 3, "{sig:#}");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("OUT_OF_BOUNDS_NO_POE")));
    assert_eq!(sig["poe_time"], Value::Null);
    assert_eq!(sig["verdict_time"].as_str().unwrap()[..10], at[..10]);
}

/// The position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("token in the signature file")
}

#[test]
fn tampered_or_untrusted_tokens_are_reported_and_not_used_as_proof() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA");
    // A TSA under another root, not given to `kyso verify`.
    let foreign = Pki::new(KeyKind::P256);
    let foreign_tsa = tsa_leaf(&foreign, "TSA lạ");
    let unit = pki.leaf("Văn phòng UBND", Leaf::default());
    write(d, "bt.txt", b"Quyet dinh");
    write(d, "fr.txt", b"Quyet dinh");
    let server = Server::start(&pki, &tsa, &[]);
    sign(&pki, &unit, &["--tsa", &server.url], &["bt.txt"]);
    assert_eq!(server.terminate().0, Some(0));
    let server = Server::start(&foreign, &foreign_tsa, &[]);
    sign(&pki, &unit, &["--tsa", &server.url, "--tsa-trust", p(&foreign.root.cert)], &["fr.txt"]);
    assert_eq!(server.terminate().0, Some(0));

    // Flip the last byte of the token (its ECDSA signature value's last byte).
    let p7s = std::fs::read(d.join("bt.txt.p7s")).unwrap();
    let token = kyso::tsp::signature_timestamp_tokens(&p7s).unwrap().remove(0).tokens.remove(0);
    let at = find(&p7s, &token) + token.len() - 1;
    let mut bad = p7s.clone();
    bad[at] ^= 0x01;
    std::fs::write(d.join("bt.txt.p7s"), &bad).unwrap();

    after_a_second();
    pki.revoke(By::Sub, &unit, "superseded");
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    let crls = ["--crl", "sub.crl", "--crl", "root.crl"];

    let (code, sig) = verify(&pki, "bt.txt", &crls);
    assert_eq!(code, 1, "{sig:#}");
    assert_eq!(sig["sub_indication"], "REVOKED", "the tampered token proves nothing");
    let ts = check(&sig, "signature_timestamp");
    assert_eq!(ts["status"], "warning");
    assert!(ts["detail"].as_str().unwrap().contains("not used as proof of existence: the signature value does not verify with the signer certificate's key"), "{ts}");
    assert_eq!(sig["timestamps"][0]["status"], "invalid");
    assert_eq!(sig["poe_time"], Value::Null);
    assert!(sig["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("signature timestamp not used as proof")), "{sig:#}");

    let (code, sig) = verify(&pki, "fr.txt", &crls);
    assert_eq!(code, 1, "{sig:#}");
    assert_eq!(sig["sub_indication"], "REVOKED");
    let t = &sig["timestamps"][0];
    assert_eq!(t["status"], "untrusted", "{sig:#}");
    assert!(t["tsa"].as_str().unwrap().contains("TSA lạ") && t["time"].is_string(), "{t}");
    let ts = check(&sig, "signature_timestamp");
    assert_eq!(ts["status"], "warning");
    assert!(ts["detail"].as_str().unwrap().contains("the TSA certificate is not trusted"), "{ts}");

    // The untrusted TSA is shown to a human reader too.
    let o = run(d, &["verify", "fr.txt", "--trust", p(&pki.root.cert), "--crl", "sub.crl", "--crl", "root.crl", "--lang", "en"]);
    let (_, out, _) = summary(&o);
    assert!(out.contains("(TSA NOT trusted, not used as proof)"), "{out}");
    let o = run(d, &["verify", "fr.txt", "--trust", p(&pki.root.cert), "--crl", "sub.crl", "--crl", "root.crl"]);
    let (_, out, _) = summary(&o);
    assert!(out.contains("— TSA lạ (TSA KHÔNG được tin cậy, không dùng làm bằng chứng)"), "{out}");
    assert!(out.contains("Cảnh báo: dấu thời gian không được dùng làm bằng chứng tồn tại: chứng thư số của TSA không được tin cậy"), "{out}");
    assert!(!out.contains("(tiếng Anh)"), "{out}");
}

#[test]
fn embedded_crls_let_the_recipient_check_revocation_offline() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Sở Nội vụ", Leaf::default());
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    write(d, "ev.txt", b"Bao cao");
    write(d, "plain.txt", b"Bao cao");
    sign(&pki, &unit, &["--embed-revocation", "--crl", "sub.crl", "--crl", "root.crl"], &["ev.txt"]);
    sign(&pki, &unit, &[], &["plain.txt"]);

    // Only --trust: the revocation check uses the embedded CRLs.
    let (code, sig) = verify(&pki, "ev.txt", &["--revocation", "require"]);
    assert_eq!(code, 0, "{sig:#}");
    let rev = check(&sig, "revocation");
    assert_eq!(rev["status"], "passed", "{rev}");
    assert!(rev["detail"].as_str().unwrap().contains("Sở Nội vụ: not revoked"), "{rev}");
    let (code, sig) = verify(&pki, "plain.txt", &["--revocation", "require"]);
    assert_eq!(code, 3, "{sig:#}");
    assert_eq!(sig["sub_indication"], "TRY_LATER");

    // OpenSSL finds the CRLs in the SignedData and checks the whole chain with them.
    let (ok, msg) = openssl_cms_verify(d, &d.join("ev.txt.p7s"), &d.join("ev.txt"), &pki.root.cert, &["-crl_check_all"]);
    assert!(ok, "{msg}");
    // Without embedded CRLs OpenSSL refuses, because it has no CRL (not for another reason).
    let (ok, msg) = openssl_cms_verify(d, &d.join("plain.txt.p7s"), &d.join("plain.txt"), &pki.root.cert, &["-crl_check_all"]);
    refused_because(ok, &msg, "unable to get certificate CRL").unwrap();
    // The check fails on a signature with the CRLs (OpenSSL accepts it), and on one refused for
    // another reason (its document modified).
    let (ok, msg) = openssl_cms_verify(d, &d.join("ev.txt.p7s"), &d.join("ev.txt"), &pki.root.cert, &["-crl_check_all"]);
    assert!(refused_because(ok, &msg, "unable to get certificate CRL").unwrap_err().starts_with("it succeeded"), "{msg}");
    write(d, "ev-modified.txt", b"Bao cao (sua)");
    let (ok, msg) = openssl_cms_verify(d, &d.join("ev.txt.p7s"), &d.join("ev-modified.txt"), &pki.root.cert, &["-crl_check_all"]);
    assert!(refused_because(ok, &msg, "unable to get certificate CRL").unwrap_err().starts_with("it failed, but not because of"), "{msg}");

    // Usage errors: --crl without --embed-revocation, and the reverse.
    let o = run(d, &["sign", "--cert", p(&unit.cert), "--key", p(&unit.key), "--crl", "sub.crl", "--force", "ev.txt"]);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--embed-revocation"), "{err}");
}

/// The pyhanko executable: $PYHANKO, else `pyhanko` on PATH (as tests/it/pdf.rs finds it); the
/// test fails when it is missing.
pub(crate) fn pyhanko() -> Command {
    let exe = std::env::var("PYHANKO").unwrap_or_else(|_| "pyhanko".into());
    let probe = Command::new(&exe).arg("--version").output();
    assert!(probe.is_ok_and(|o| o.status.success()), "pyHanko is required: pip install pyhanko pyhanko-cli (or set PYHANKO)");
    Command::new(exe)
}

/// pyHanko validates the B-T .p7s written by `kyso sign --tsa` and its signature timestamp.
#[test]
#[ignore = "needs pyhanko on PATH (pip install pyhanko pyhanko-cli); run by .ci/run with --ignored"]
fn pyhanko_validates_kyso_sign_tsa_b_t_signature() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA pyHanko");
    let unit = pki.leaf("Unit", Leaf::default());
    write(d, "doc.txt", "Tờ trình".as_bytes());
    let server = Server::start(&pki, &tsa, &[]);
    sign(&pki, &unit, &["--tsa", &server.url, "--tsa-trust", p(&pki.root.cert)], &["doc.txt"]);
    assert_eq!(server.terminate().0, Some(0));
    let out = pyhanko()
        .args(["sign", "validate", "--detached", "doc.txt.p7s", "--trust", p(&pki.root.cert), "--trust-replace", "--no-revocation-check", "doc.txt"])
        .current_dir(d)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>"), "{text}");
}

/// kyso() is used by the help check below: `kyso sign --help` documents the new options.
#[test]
fn sign_help_names_the_trusted_time_options() {
    let o = kyso().args(["sign", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    for opt in ["--tsa <URL>", "--tsa-trust <FILE>", "--tsa-timeout <SECS>", "--embed-revocation", "--crl <FILE>"] {
        assert!(text.contains(opt), "{opt} missing from:\n{text}");
    }
}

/// A TSA that cannot be reached fails each document of the batch (exit 1, the reason named) and
/// writes no signature: `--tsa` never silently falls back to B-B.
#[test]
fn unreachable_tsa_fails_each_document_and_writes_nothing() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Unit", Leaf::default());
    write(d, "a.txt", b"a");
    write(d, "b.txt", b"b");
    // A port that was free a moment ago: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let o = run(d, &["sign", "--cert", p(&unit.cert), "--key", p(&unit.key), "--tsa", &url, "--tsa-timeout", "5", "a.txt", "b.txt"]);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.matches("cannot reach the TSA").count(), 2, "{err}");
    assert!(err.contains("signed 0 of 2 files, 2 failed"), "{err}");
    assert!(!d.join("a.txt.p7s").exists() && !d.join("b.txt.p7s").exists());
}

/// `kyso sign --pades --tsa`: PAdES-B-T. The signature timestamp is inside the CMS in /Contents;
/// `kyso verify` checks it (status valid, TSA named) and the signature passes.
fn pades_b_t(pki: &Pki, server_url: &str) -> std::path::PathBuf {
    let d = pki.dir.path();
    let unit = pki.leaf("Văn phòng UBND", Leaf::default());
    let sample = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    std::fs::copy(sample, d.join("cong-van.pdf")).unwrap();
    sign(pki, &unit, &["--pades", "--tsa", server_url, "--tsa-trust", p(&pki.root.cert), "--out", "cong-van-bt.pdf"], &["cong-van.pdf"]);
    d.join("cong-van-bt.pdf")
}

#[test]
fn pades_with_tsa_embeds_a_checked_signature_timestamp() {
    let pki = Pki::new(KeyKind::P256);
    let tsa = tsa_leaf(&pki, "TSA PAdES");
    let server = Server::start(&pki, &tsa, &[]);
    let pdf = pades_b_t(&pki, &server.url);
    let (status, log) = server.terminate();
    assert_eq!(status, Some(0));
    assert!(tokens_issued(&log) >= 1, "{log:?}");
    let (code, sig) = verify(&pki, p(&pdf), &[]);
    assert_eq!(code, 0, "{sig:#}");
    assert_eq!(sig["indication"], "TOTAL_PASSED", "{sig:#}");
    assert_eq!(sig["timestamps"][0]["status"], "valid", "{sig:#}");
    assert!(sig["timestamps"][0]["tsa"].as_str().unwrap_or("").contains("TSA PAdES"), "{sig:#}");
    assert_eq!(check(&sig, "signature_timestamp")["status"], "passed", "{sig:#}");
    assert_eq!(sig["field_name"].as_str().map(|s| !s.is_empty()), Some(true), "{sig:#}");
}

/// pyHanko validates the PAdES-B-T signature and sees its timestamp.
#[test]
#[ignore = "needs pyhanko on PATH (pip install pyhanko pyhanko-cli); run by .ci/run with --ignored"]
fn pyhanko_validates_kyso_pades_b_t() {
    let pki = Pki::new(KeyKind::P256);
    let tsa = tsa_leaf(&pki, "TSA PAdES pyHanko");
    let server = Server::start(&pki, &tsa, &[]);
    let pdf = pades_b_t(&pki, &server.url);
    assert_eq!(server.terminate().0, Some(0));
    let out = pyhanko()
        .args(["sign", "validate", "--pretty-print", "--trust", p(&pki.root.cert), "--trust-replace", "--no-revocation-check", "--other-certs", p(&pki.sub.cert), p(&pdf)])
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    for line in [
        "The timestamp token is cryptographically sound.",
        "The TSA certificate is trusted.",
        "The signer's certificate is trusted.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(text.contains(line), "pyHanko did not say {line:?}:\n{text}");
    }
}

/// The TSA certificate's own revocation is checked with the same CRLs: a TSA whose key was
/// compromised (revoked keyCompromise, even after the token) proves nothing, so the signer's
/// later revocation is not excused; a TSA certificate merely superseded later still proves; an
/// unknown TSA status is a warning.
#[test]
fn tsa_certificate_revocation_is_checked_before_its_token_is_used_as_proof() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let leaked = tsa_leaf(&pki, "TSA lộ khóa");
    let replaced = tsa_leaf(&pki, "TSA thay thế");
    let a = pki.leaf("Sở Tài chính", Leaf::default());
    let b = pki.leaf("Sở Xây dựng", Leaf::default());
    write(d, "a.txt", "Tờ trình A".as_bytes());
    write(d, "b.txt", "Tờ trình B".as_bytes());
    for (tsa, signer, doc) in [(&leaked, &a, "a.txt"), (&replaced, &b, "b.txt")] {
        let server = Server::start(&pki, tsa, &[]);
        sign(&pki, signer, &["--tsa", &server.url, "--tsa-trust", p(&pki.root.cert)], &[doc]);
        assert_eq!(server.terminate().0, Some(0));
    }
    after_a_second();
    pki.revoke(By::Sub, &leaked, "keyCompromise");
    pki.revoke(By::Sub, &replaced, "superseded");
    pki.revoke(By::Sub, &a, "superseded");
    pki.revoke(By::Sub, &b, "superseded");
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    let crls = ["--crl", "sub.crl", "--crl", "root.crl"];

    // The compromised TSA's token is no proof: the signer's revocation stands.
    let (code, sig) = verify(&pki, "a.txt", &crls);
    assert_eq!(code, 1, "{sig:#}");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("REVOKED")), "{sig:#}");
    assert_eq!(sig["timestamps"][0]["status"], "revoked", "{sig:#}");
    assert_eq!(sig["poe_used"], false);
    let ts = check(&sig, "signature_timestamp");
    assert_eq!(ts["status"], "warning");
    let detail = ts["detail"].as_str().unwrap();
    assert!(detail.contains("the TSA certificate was revoked at") && detail.contains("keyCompromise") && detail.contains("backdated"), "{detail}");

    // The superseded TSA's token still proves existence: the signer's later revocation is excused.
    let (code, sig) = verify(&pki, "b.txt", &crls);
    assert_eq!(code, 0, "{sig:#}");
    assert_eq!(sig["timestamps"][0]["status"], "valid", "{sig:#}");
    assert_eq!(sig["poe_used"], true);
    let detail = check(&sig, "signature_timestamp")["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("the TSA certificate was revoked later") && detail.contains("superseded"), "{detail}");

    // Without the issuing CA's CRL the TSA's status is unknown: said in a warning.
    let (_, sig) = verify(&pki, "b.txt", &["--crl", "root.crl"]);
    let warnings: Vec<&str> = sig["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|w| w.starts_with("the TSA certificate's revocation could not be checked: no usable CRL or OCSP response for")), "{warnings:?}");
}
