//! Document timestamps in PDFs (/SubFilter ETSI.RFC3161, PAdES-B-LTA's building block):
//! `kyso timestamp --tsa URL FILE.pdf` adds one, `kyso verify` checks it (imprint over the byte
//! ranges, TSA trust, TSA revocation) and accepts those made by pyHanko. Oracles (ignored tests,
//! run by .ci/run): pyHanko's `validate_pdf_timestamp` on kyso's token (tests/oracles/
//! pyhanko_doc_timestamps.py), and `pyhanko sign timestamp` making one that kyso verifies.

use crate::bt::{after_a_second, check, p, pyhanko};
use crate::cli::{run, summary};
use crate::pki::{By, KeyKind, Leaf, Party, Pki};
use crate::tsa::{tsa_leaf, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn sample(d: &Path, name: &str) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    std::fs::copy(src, d.join(name)).unwrap();
}

/// `kyso verify --json`: exit code and the document's signatures.
pub(crate) fn verify(d: &Path, doc: &str, trust: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["verify", doc, "--trust", p(trust), "--json"];
    args.extend_from_slice(extra);
    // Cases about timestamps: without CRLs, `--revocation warn` (offline) explicitly.
    if !extra.iter().any(|x| *x == "--crl" || *x == "--revocation") {
        args.extend(["--revocation", "warn", "--offline"]);
    }
    let (code, out, err) = summary(&run(d, &args));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v["documents"][0]["signatures"].as_array().unwrap().clone())
}

/// The entry of the document timestamp (its /SubFilter) among a PDF's signatures.
pub(crate) fn doc_ts(sigs: &[Value]) -> &Value {
    let found: Vec<&Value> = sigs.iter().filter(|s| s["sub_filter"] == "ETSI.RFC3161").collect();
    assert_eq!(found.len(), 1, "one document timestamp in {sigs:#?}");
    found[0]
}

/// A signed PDF (B-B, `signed.pdf`) and the same with a kyso document timestamp (`ts.pdf`);
/// returns the signer.
pub(crate) fn signed_and_timestamped(pki: &Pki, tsa: &Party) -> Party {
    let d = pki.dir.path();
    let unit = pki.leaf("Sở Giáo dục", Leaf::default());
    sample(d, "cong-van.pdf");
    let (code, out, err) = summary(&run(
        d,
        &["sign", "--pades", "--cert", p(&unit.cert), "--key", p(&unit.key), "--chain", p(&pki.sub.cert), "--out", "signed.pdf", "cong-van.pdf"],
    ));
    assert_eq!(code, 0, "{out}{err}");
    let server = Server::start(pki, tsa, &[]);
    let (code, out, err) = summary(&run(d, &["timestamp", "--tsa", &server.url, "--tsa-trust", p(&pki.root.cert), "--out", "ts.pdf", "signed.pdf"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("document timestamp Timestamp1: ") && out.contains("TSA chain trusted") && out.contains("wrote ts.pdf"), "{out}");
    assert_eq!(server.terminate().0, Some(0));
    unit
}

#[test]
fn kyso_document_timestamp_verifies_and_failures_are_named() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA Văn bản");
    signed_and_timestamped(&pki, &tsa);
    let signed = std::fs::read(d.join("signed.pdf")).unwrap();
    let ts = std::fs::read(d.join("ts.pdf")).unwrap();
    assert!(ts.starts_with(&signed), "an incremental update");
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);

    // Both entries pass: the signature (now followed by a timestamp) and the timestamp.
    let (code, sigs) = verify(d, "ts.pdf", &pki.root.cert, &["--crl", "sub.crl", "--crl", "root.crl", "--revocation", "require"]);
    assert_eq!(code, 0, "{sigs:#?}");
    assert_eq!(sigs.len(), 2);
    let sig = sigs.iter().find(|s| s["sub_filter"] == "ETSI.CAdES.detached").unwrap();
    assert_eq!((sig["indication"].as_str(), sig["modifications"].as_str()), (Some("TOTAL_PASSED"), Some("signatures_and_form_filling")));
    let t = doc_ts(&sigs);
    assert_eq!(t["indication"], "TOTAL_PASSED", "{t:#}");
    assert_eq!(t["field_name"], "Timestamp1");
    assert_eq!(t["covers_whole_document"], true);
    assert!(t["signer"]["subject"].as_str().unwrap().contains("TSA Văn bản"), "{t:#}");
    assert_eq!(check(t, "document_timestamp")["status"], "passed");
    assert_eq!(check(t, "revocation")["status"], "passed");
    assert_eq!(t["timestamps"][0]["status"], "valid");
    assert_eq!(t["signing_time"], t["timestamps"][0]["time"]);

    // A byte of the first revision changed (inside the binary comment on line 2, so the file
    // still parses): the timestamp's imprint no longer matches.
    let mut bad = ts.clone();
    let at = bad.iter().position(|b| *b == b'\n').unwrap() + 2;
    bad[at] ^= 0x01;
    std::fs::write(d.join("bad.pdf"), &bad).unwrap();
    let (code, sigs) = verify(d, "bad.pdf", &pki.root.cert, &["--crl", "sub.crl", "--crl", "root.crl"]);
    assert_eq!(code, 1, "{sigs:#?}");
    let t = doc_ts(&sigs);
    assert_eq!((t["indication"].as_str(), t["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("HASH_FAILURE")), "{t:#}");
    assert!(check(t, "document_timestamp")["detail"].as_str().unwrap().contains("message imprint does not match"), "{t:#}");

    // Another province's root: the TSA is not trusted.
    let other = Pki::new(KeyKind::P256);
    let (code, sigs) = verify(d, "ts.pdf", &other.root.cert, &[]);
    assert_eq!(code, 3, "{sigs:#?}");
    let t = doc_ts(&sigs);
    assert_eq!((t["indication"].as_str(), t["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("NO_CERTIFICATE_CHAIN_FOUND")), "{t:#}");
    assert_eq!(t["timestamps"][0]["status"], "untrusted");

    // Revocation required and no CRL: TRY_LATER; the TSA's key later compromised: not passed.
    let (code, sigs) = verify(d, "ts.pdf", &pki.root.cert, &["--revocation", "require"]);
    assert_eq!(code, 3);
    assert_eq!(doc_ts(&sigs)["sub_indication"], "TRY_LATER");
    after_a_second();
    pki.revoke(By::Sub, &tsa, "keyCompromise");
    pki.crl(By::Sub, "sub2.crl", 30);
    let (code, sigs) = verify(d, "ts.pdf", &pki.root.cert, &["--crl", "sub2.crl", "--crl", "root.crl"]);
    assert_eq!(code, 3, "{sigs:#?}");
    let t = doc_ts(&sigs);
    assert_eq!((t["indication"].as_str(), t["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("REVOKED_NO_POE")), "{t:#}");
}

#[test]
fn timestamp_of_a_pdf_fails_cleanly_and_writes_nothing() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    sample(d, "cong-van.pdf");
    let before = std::fs::read(d.join("cong-van.pdf")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let (code, out, err) = summary(&run(d, &["timestamp", "--tsa", &url, "--timeout", "5", "cong-van.pdf"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("cannot reach the TSA") && err.contains("check the --tsa URL"), "{err}");
    assert_eq!(std::fs::read(d.join("cong-van.pdf")).unwrap(), before, "nothing written");
    let leftovers: Vec<_> = std::fs::read_dir(d).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).filter(|n| n.to_string_lossy().contains("kyso-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The Python beside $PYHANKO (the CI venv), else python3 on PATH.
fn python() -> Command {
    let exe = std::env::var("PYHANKO")
        .ok()
        .map(|p| Path::new(&p).with_file_name("python3"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"));
    Command::new(exe)
}

/// pyHanko validates kyso's document timestamp (trusted, intact, valid), and kyso verifies a
/// document timestamp made by `pyhanko sign timestamp` against kyso's TSA, with pyHanko's
/// /Version change in the catalog accepted as harmless.
#[test]
#[ignore = "needs pyhanko (pip install pyhanko pyhanko-cli); run by .ci/run with --ignored"]
fn pyhanko_and_kyso_agree_on_document_timestamps() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA pyHanko");
    signed_and_timestamped(&pki, &tsa);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/pyhanko_doc_timestamps.py");
    let o = python().arg(&script).arg(&pki.root.cert).arg(d.join("ts.pdf")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{text}");
    assert!(text.contains("Timestamp1 intact=True valid=True trusted=True"), "{text}");
    // Without a document timestamp the script fails, because it found none (exit 1, no result
    // line, no traceback): it is not vacuous.
    let o = python().arg(&script).arg(&pki.root.cert).arg(d.join("signed.pdf")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(!text.contains(" intact=") && !text.contains("Traceback"), "{text}");

    // The reverse: pyHanko asks kyso's TSA for a document timestamp; kyso verifies it.
    let server = Server::start(&pki, &tsa, &[]);
    let o = pyhanko()
        .args(["sign", "timestamp", "--timestamp-url", &server.url, "--trust", p(&pki.root.cert), "--trust-replace", "signed.pdf", "py-ts.pdf"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(server.terminate().0, Some(0));
    let (code, sigs) = verify(d, "py-ts.pdf", &pki.root.cert, &["--revocation", "off"]);
    assert_eq!(code, 0, "{sigs:#?}");
    let t = doc_ts(&sigs);
    assert_eq!(t["indication"], "TOTAL_PASSED", "{t:#}");
    assert!(t["signer"]["subject"].as_str().unwrap().contains("TSA pyHanko"));
    let sig = sigs.iter().find(|s| s["sub_filter"] == "ETSI.CAdES.detached").unwrap();
    assert_eq!((sig["indication"].as_str(), sig["modifications"].as_str()), (Some("TOTAL_PASSED"), Some("signatures_and_form_filling")), "{sig:#}");
}

/// A document timestamp proves that the signatures it covers existed at its time: a B-B
/// signature whose certificate is revoked (superseded) after the document timestamp still
/// passes, with the document timestamp named as the proof; without it the signature is REVOKED.
#[test]
fn document_timestamp_is_proof_of_existence_for_the_signatures_it_covers() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA Lưu trữ");
    let signer = signed_and_timestamped(&pki, &tsa);
    after_a_second();
    pki.revoke(By::Sub, &signer, "superseded");
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    let crls = ["--crl", "sub.crl", "--crl", "root.crl"];

    let (code, sigs) = verify(d, "ts.pdf", &pki.root.cert, &crls);
    assert_eq!(code, 0, "{sigs:#?}");
    let sig = sigs.iter().find(|s| s["sub_filter"] == "ETSI.CAdES.detached").unwrap();
    assert_eq!(sig["indication"], "TOTAL_PASSED", "{sig:#}");
    assert_eq!(sig["poe_used"], true);
    assert_eq!(sig["poe_time"], doc_ts(&sigs)["poe_time"]);
    let c = check(sig, "document_timestamp_poe");
    assert_eq!(c["status"], "passed");
    assert!(c["detail"].as_str().unwrap().contains("the document timestamp \"Timestamp1\" by") && c["detail"].as_str().unwrap().contains("TSA Lưu trữ"), "{c}");
    assert!(check(sig, "revocation")["detail"].as_str().unwrap().contains("after the proven existence time"), "{sig:#}");

    // The same signature without the document timestamp: revoked, no proof.
    let (code, sigs) = verify(d, "signed.pdf", &pki.root.cert, &crls);
    assert_eq!(code, 1, "{sigs:#?}");
    assert_eq!((sigs[0]["indication"].as_str(), sigs[0]["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("REVOKED")));
}

/// `kyso timestamp --embed-revocation --crl … FILE.pdf`: the /DSS (the signature's certificates
/// and the CRLs) is added first and the document timestamp covers it, so a recipient with only
/// the root can check revocation offline; for a `.p7s` the CRLs go into the SignedData.
#[test]
fn timestamp_with_embedded_revocation_adds_the_dss_under_the_document_timestamp() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA LTA");
    let unit = pki.leaf("Sở Nội vụ", Leaf::default());
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    sample(d, "cong-van.pdf");
    let (code, out, err) = summary(&run(
        d,
        &["sign", "--pades", "--cert", p(&unit.cert), "--key", p(&unit.key), "--chain", p(&pki.sub.cert), "--out", "signed.pdf", "cong-van.pdf"],
    ));
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(d.join("doc.txt"), "Báo cáo").unwrap();
    let (code, out, err) = summary(&run(d, &["sign", "--cert", p(&unit.cert), "--key", p(&unit.key), "--chain", p(&pki.sub.cert), "doc.txt"]));
    assert_eq!(code, 0, "{out}{err}");
    let server = Server::start(&pki, &tsa, &[]);
    let evidence = ["--embed-revocation", "--crl", "sub.crl", "--crl", "root.crl"];
    let mut args = vec!["timestamp", "--tsa", server.url.as_str(), "--tsa-trust", p(&pki.root.cert)];
    args.extend(evidence);
    let (code, out, err) = summary(&run(d, &[&args[..], &["--out", "lta.pdf", "signed.pdf"]].concat()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("/DSS: 2 certificate(s), 2 CRL(s), 0 OCSP response(s) added"), "{out}");
    let (code, out, err) = summary(&run(d, &[&args[..], &["doc.txt.p7s"]].concat()));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(server.terminate().0, Some(0));

    // Revision 1: the document; 2: the signature; 3: the /DSS; 4: the document timestamp.
    let (code, sigs) = verify(d, "lta.pdf", &pki.root.cert, &["--revocation", "require"]);
    assert_eq!(code, 0, "{sigs:#?}");
    let sig = sigs.iter().find(|s| s["sub_filter"] == "ETSI.CAdES.detached").unwrap();
    assert_eq!(sig["indication"], "TOTAL_PASSED", "{sig:#}");
    assert_eq!(check(sig, "pdf_dss")["status"], "passed");
    assert_eq!(check(sig, "revocation")["status"], "passed");
    let t = doc_ts(&sigs);
    assert_eq!((t["indication"].as_str(), t["revision"].as_u64(), t["revision_count"].as_u64()), (Some("TOTAL_PASSED"), Some(4), Some(4)), "{t:#}");
    let dss = kyso::pdf::document_security_store(&std::fs::read(d.join("lta.pdf")).unwrap()).unwrap().unwrap();
    assert_eq!(dss.crls.len(), 2);
    // The .p7s got the CRLs and a signature timestamp: verified offline too.
    let (code, sigs) = verify(d, "doc.txt", &pki.root.cert, &["--revocation", "require"]);
    assert_eq!(code, 0, "{sigs:#?}");
    assert_eq!(sigs[0]["timestamps"][0]["status"], "valid");
}
