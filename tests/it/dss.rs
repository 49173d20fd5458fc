//! PAdES-B-LT (issue 9): `kyso sign --pades --tsa … --embed-revocation --crl …` writes the
//! signer's and the TSA's certificates and the CRLs into the PDF's document security store
//! (/DSS), and `kyso verify` uses them, so that a recipient with nothing but the root can check
//! revocation offline. Oracles: `openssl crl`/`openssl x509` read what the /DSS holds; pyHanko's
//! AdES validation (ignored test, run by .ci/run) judges the B-LT PDF VALID with revocation
//! checking on and no network, and the same PDF without /DSS not.

use crate::bt::{after_a_second, check, p, pyhanko};
use crate::cli::{run, summary};
use crate::pki::{openssl, By, KeyKind, Leaf, Party, Pki};
use crate::tsa::{tsa_leaf, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sample(d: &Path, name: &str) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    let dst = d.join(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

/// `kyso sign --pades` that must succeed; returns its stderr.
fn sign_pdf(pki: &Pki, who: &Party, extra: &[&str]) -> String {
    let mut args = vec!["sign", "--pades", "--cert", p(&who.cert), "--key", p(&who.key), "--chain", p(&pki.sub.cert)];
    args.extend_from_slice(extra);
    let o = run(pki.dir.path(), &args);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso {args:?}: {out}{err}");
    err
}

/// `kyso verify --json` of one document: exit code and the document's JSON.
fn verify_doc(pki: &Pki, doc: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", doc, "--trust", p(&pki.root.cert), "--json"];
    args.extend_from_slice(extra);
    let o = run(pki.dir.path(), &args);
    let (code, out, err) = summary(&o);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v["documents"][0].clone())
}

/// The signature of `doc` whose signer subject contains `who`.
fn signature_of<'a>(doc: &'a Value, who: &str) -> &'a Value {
    let sigs = doc["signatures"].as_array().unwrap();
    let found: Vec<&Value> = sigs.iter().filter(|s| s["signer"]["subject"].as_str().unwrap_or("").contains(who)).collect();
    assert_eq!(found.len(), 1, "one signature by {who} in {doc:#}");
    found[0]
}

/// DER of a PEM CRL, converted by OpenSSL.
fn crl_der(d: &Path, pem: &str) -> Vec<u8> {
    let out = format!("{pem}.der");
    let o = openssl(d, &["crl", "-in", pem, "-outform", "DER", "-out", &out]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(d.join(out)).unwrap()
}

/// The subject of a DER certificate, as OpenSSL prints it.
fn subject_of(d: &Path, der: &[u8]) -> String {
    let f = d.join("dss-cert.der");
    std::fs::write(&f, der).unwrap();
    let o = openssl(d, &["x509", "-inform", "DER", "-in", p(&f), "-noout", "-subject", "-nameopt", "utf8"]);
    assert!(o.status.success(), "openssl cannot read a /DSS certificate: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn pades_b_lt_dss_lets_the_recipient_verify_offline_and_never_hides_a_later_revocation() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let tsa = tsa_leaf(&pki, "TSA Tỉnh Bắc Ninh");
    let person = pki.leaf("Nguyễn Văn An", Leaf::default());
    let agency = pki.leaf("Sở Tư pháp", Leaf::default());
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    sample(d, "cong-van.pdf");
    let server = Server::start(&pki, &tsa, &[]);
    let tsa_args = ["--tsa", server.url.as_str(), "--tsa-trust", p(&pki.root.cert)];
    let evidence = ["--embed-revocation", "--crl", "sub.crl", "--crl", "root.crl"];
    let lt = [&tsa_args[..], &evidence[..]].concat();

    // The person signs (B-LT), then the agency (B-LT again: the /DSS only grows).
    let err = sign_pdf(&pki, &person, &[&lt[..], &["--out", "lt.pdf", "cong-van.pdf"]].concat());
    assert!(err.contains("/DSS: 3 certificate(s), 2 CRL(s), 0 OCSP response(s) added"), "{err}");
    let err = sign_pdf(&pki, &agency, &[&lt[..], &["--in-place", "lt.pdf"]].concat());
    assert!(err.contains("/DSS: 1 certificate(s), 0 CRL(s), 0 OCSP response(s) added"), "{err}");
    // The same person, B-T only: no /DSS.
    let err = sign_pdf(&pki, &person, &[&tsa_args[..], &["--out", "bt.pdf", "cong-van.pdf"]].concat());
    assert!(!err.contains("/DSS"), "{err}");
    assert_eq!(server.terminate().0, Some(0));

    // What the /DSS holds, read back with the library and checked with OpenSSL: the CRLs
    // exactly as OpenSSL converts them, and certificates that OpenSSL parses: the two signers,
    // the issuing CA, the TSA.
    let pdf = std::fs::read(d.join("lt.pdf")).unwrap();
    let dss = kyso::pdf::document_security_store(&pdf).unwrap().expect("a /DSS");
    assert_eq!(dss.crls, vec![crl_der(d, "sub.crl"), crl_der(d, "root.crl")]);
    assert!(dss.problems.is_empty(), "{:?}", dss.problems);
    let subjects: Vec<String> = dss.certificates.iter().map(|c| subject_of(d, c)).collect();
    for cn in ["Nguyễn Văn An", "Sở Tư pháp", "TSA Tỉnh Bắc Ninh", "Test Issuing CA"] {
        assert!(subjects.iter().any(|s| s.contains(cn)), "{cn} not among the /DSS certificates {subjects:#?}");
    }
    assert!(kyso::pdf::document_security_store(&std::fs::read(d.join("bt.pdf")).unwrap()).unwrap().is_none());

    // Offline, with nothing but the root and revocation required: both signatures pass, with
    // the /DSS named as the evidence used.
    let (code, doc) = verify_doc(&pki, "lt.pdf", &["--revocation", "require"]);
    assert_eq!(code, 0, "{doc:#}");
    for who in ["Nguyễn Văn An", "Sở Tư pháp"] {
        let sig = signature_of(&doc, who);
        assert_eq!(sig["indication"], "TOTAL_PASSED", "{sig:#}");
        assert_eq!(sig["modifications"], "signatures_and_form_filling", "{sig:#}");
        let dss_check = check(sig, "pdf_dss");
        assert_eq!(dss_check["status"], "passed", "{dss_check}");
        assert!(dss_check["detail"].as_str().unwrap().contains("4 certificate(s) and 2 CRL(s)"), "{dss_check}");
        let rev = check(sig, "revocation");
        assert_eq!(rev["status"], "passed", "{rev}");
        assert!(rev["detail"].as_str().unwrap().contains(&format!("{who}: not revoked")), "{rev}");
        assert_eq!(sig["timestamps"][0]["status"], "valid", "{sig:#}");
    }
    // The human report names the evidence, in both languages.
    for (lang, text) in [("vi", "Dữ liệu kiểm tra gắn trong PDF: kho dữ liệu kiểm tra của tài liệu (/DSS) có 4 chứng thư số và 2 CRL"), ("en", "Validation data in the PDF: the document security store (/DSS) holds 4 certificate(s) and 2 CRL(s)")] {
        let (code, out, err) = summary(&run(d, &["verify", "lt.pdf", "--trust", p(&pki.root.cert), "--revocation", "require", "--lang", lang]));
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(out.matches(text).count(), 2, "{lang}: {out}");
    }
    // The B-T PDF without /DSS: revocation cannot be checked offline.
    let (code, doc) = verify_doc(&pki, "bt.pdf", &["--revocation", "require"]);
    assert_eq!(code, 3, "{doc:#}");
    let sig = signature_of(&doc, "Nguyễn Văn An");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("TRY_LATER")));
    assert!(sig["checks"].as_array().unwrap().iter().all(|c| c["name"] != "pdf_dss"), "{sig:#}");

    // Later the agency's key is compromised: the /DSS still holds the old CRL (not revoked),
    // the recipient's fresh CRL says revoked. The fresh CRL wins: an old CRL in the document
    // never hides a revocation.
    after_a_second();
    pki.revoke(By::Sub, &agency, "keyCompromise");
    pki.crl(By::Sub, "sub-new.crl", 30);
    let (code, doc) = verify_doc(&pki, "lt.pdf", &["--crl", "sub-new.crl"]);
    assert_eq!(code, 3, "{doc:#}");
    let sig = signature_of(&doc, "Sở Tư pháp");
    assert_eq!((sig["indication"].as_str(), sig["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("REVOKED_NO_POE")), "{sig:#}");
    assert_eq!(check(sig, "revocation")["status"], "failed");
    assert_eq!(signature_of(&doc, "Nguyễn Văn An")["indication"], "TOTAL_PASSED");
}

#[test]
fn unusable_dss_entries_are_reported_as_warnings_not_used() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Sở Nội vụ", Leaf::default());
    pki.crl(By::Sub, "sub.crl", 30);
    pki.crl(By::Root, "root.crl", 30);
    sample(d, "cong-van.pdf");
    sign_pdf(&pki, &unit, &["--embed-revocation", "--crl", "sub.crl", "--crl", "root.crl", "--out", "lt.pdf", "cong-van.pdf"]);
    // A "CRL" in the store that is really a certificate (one DER SEQUENCE, not a CertificateList).
    let pdf = std::fs::read(d.join("lt.pdf")).unwrap();
    let cert = kyso::objects::certificates(&std::fs::read(&unit.cert).unwrap()).unwrap().remove(0);
    let up = kyso::pdf::add_dss(&pdf, &[], &[cert]).unwrap();
    assert_eq!(up.crls_added, 1);
    std::fs::write(d.join("odd.pdf"), &up.bytes).unwrap();
    let (code, doc) = verify_doc(&pki, "odd.pdf", &["--revocation", "require"]);
    assert_eq!(code, 0, "{doc:#}");
    let sig = &doc["signatures"][0];
    assert_eq!(sig["indication"], "TOTAL_PASSED", "{sig:#}");
    assert!(check(sig, "pdf_dss")["detail"].as_str().unwrap().contains("3 CRL(s)"), "{sig:#}");
    let warnings: Vec<&str> = sig["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|w| w.starts_with("a CRL of the document's /DSS was ignored")), "{warnings:?}");
}

/// Since issue 17, `--embed-revocation` without `--crl` fetches what the certificates name (OCSP
/// responder, CRL distribution points); this test PKI names none: the signature is written and
/// each certificate without evidence is named on stderr.
#[test]
fn embed_revocation_without_crls_names_what_it_could_not_fetch() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Unit", Leaf::default());
    sample(d, "cong-van.pdf");
    let o = run(d, &["sign", "--pades", "--cert", p(&unit.cert), "--key", p(&unit.key), "--chain", p(&pki.sub.cert), "--embed-revocation", "--out", "x.pdf", "cong-van.pdf"]);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("no revocation evidence embedded for") && err.contains("Unit"), "{err}");
    assert!(err.contains("0 CRL(s), 0 OCSP response(s) added"), "{err}");
    std::fs::remove_file(d.join("x.pdf")).unwrap();
    // A file that is not a CRL is refused before anything is signed.
    std::fs::write(d.join("not.crl"), b"hello").unwrap();
    let o = run(d, &["sign", "--pades", "--cert", p(&unit.cert), "--key", p(&unit.key), "--embed-revocation", "--crl", "not.crl", "--out", "x.pdf", "cong-van.pdf"]);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("not.crl"), "{err}");
    assert!(!d.join("x.pdf").exists());
}

/// pyHanko's AdES validation, with revocation checking on and the example's CRL URLs
/// unreachable, judges kyso's B-LT PDF VALID: it found the revocation data in the /DSS. The same
/// document as B-T (no /DSS) is not VALID, which shows that the /DSS is what made the difference.
#[test]
#[ignore = "needs pyhanko on PATH (pip install pyhanko pyhanko-cli); run by .ci/run with --ignored"]
fn pyhanko_ades_validates_kyso_pades_b_lt_offline() {
    // The example province made now (tests/it/example.rs): it signs at the current time.
    let ex = crate::example::fresh().to_path_buf();
    let e = |rel: &str| ex.join(rel).to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sample(d, "cong-van.pdf");
    let pass = e("passphrase.txt");
    let server = Server::start_with(&ex.join("tsa/tsa.pem"), &ex.join("tsa/tsa.key"), &ex.join("chain.pem"), &["--pass-file", &pass]);
    let unit = |who: &str, ext: &str| e(&format!("units/so-y-te/{who}.{ext}"));
    let common = |who: &str| {
        vec![
            "sign".to_string(), "--pades".into(), "--cert".into(), unit(who, "pem"), "--key".into(), unit(who, "key"),
            "--chain".into(), e("chain.pem"), "--pass-file".into(), pass.clone(), "--tsa".into(), server.url.clone(),
            "--tsa-trust".into(), e("root.pem"),
        ]
    };
    let evidence = ["--embed-revocation", "--crl", &e("ca/crl.pem"), "--crl", &e("root/crl.pem")].map(String::from);
    let runs = [
        [common("person"), evidence.to_vec(), vec!["--out".into(), "lt.pdf".into(), "cong-van.pdf".into()]].concat(),
        [common("agency"), evidence.to_vec(), vec!["--in-place".into(), "lt.pdf".into()]].concat(),
        [common("person"), vec!["--out".into(), "bt.pdf".into(), "cong-van.pdf".into()]].concat(),
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = summary(&run(d, &args));
        assert_eq!(code, 0, "kyso {args:?}: {out}{err}");
    }
    assert_eq!(server.terminate().0, Some(0));
    let validate = |pdf: &str| pyhanko().args(["sign", "adesverify", "--pretty-print", "--trust", &e("root.pem"), "--trust-replace", pdf]).current_dir(d).output().unwrap();
    let o = validate("lt.pdf");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{text}");
    assert_eq!(text.matches("The signature is judged VALID.").count(), 2, "{text}");
    assert_eq!(text.matches("The signer's certificate is trusted.").count(), 2, "{text}");
    assert_eq!(text.matches("The TSA certificate is trusted.").count(), 2, "{text}");
    // Without a /DSS pyHanko cannot check revocation offline: it refuses for that reason (exit 1,
    // no crash, the signer untrusted while the signature is sound).
    let o = validate("bt.pdf");
    crate::pdf::pyhanko_refuses(&o, &["The signer's certificate is untrusted.", "The signature is cryptographically sound.", "The signature is judged INVALID."])
        .unwrap_or_else(|e| panic!("{e}"));
}
