//! `kyso verify` and `kyso cert verify` against signatures made by an independent implementation
//! (the `openssl cms` CLI) over a test PKI made by `openssl` (tests/it/pki.rs), and against
//! attack cases built from them. Each case checks the indication, the sub-indication, the exit
//! code and the failing check.

use crate::cli::{run, summary};
use crate::pki::{openssl, openssl_cms_verify, refused_because, By, KeyKind, Leaf, Party, Pki};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DOC: &str = "CÔNG VĂN số 123/UBND-VP\nV/v triển khai chữ ký số\n";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Signs `doc` with `openssl cms -sign` (DER, detached, SHA-256 unless `extra` says otherwise).
fn cms_sign(pki: &Pki, signer: &Party, doc: &Path, out: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["cms", "-sign", "-binary", "-outform", "DER", "-signer", s(&signer.cert), "-inkey", s(&signer.key), "-in", s(doc), "-out", out];
    if !extra.contains(&"-md") {
        args.extend(["-md", "sha256"]);
    }
    args.extend_from_slice(extra);
    openssl(pki.dir.path(), &args);
    pki.path(out)
}

fn write_doc(pki: &Pki, name: &str, text: &str) -> PathBuf {
    crate::pki::write(pki.dir.path(), name, text.as_bytes())
}

/// Runs `kyso verify … --json`; returns the exit code and the parsed report.
fn verify_json(pki: &Pki, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["verify"];
    a.extend_from_slice(args);
    // These cases are about other checks than revocation: without CRLs they run under
    // `--revocation warn` (the default before wave 3), explicitly.
    if !args.iter().any(|x| *x == "--crl" || *x == "--revocation") {
        a.extend(["--revocation", "warn", "--offline"]);
    }
    a.push("--json");
    let (code, out, err) = summary(&run(pki.dir.path(), &a));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

/// The first signature's (indication, sub_indication) of the first document.
fn sig0(v: &Value) -> (String, String) {
    let sig = &v["documents"][0]["signatures"][0];
    (sig["indication"].as_str().unwrap_or("").to_string(), sig["sub_indication"].as_str().unwrap_or("").to_string())
}

/// The status and detail of the check `name` of the first signature.
fn check(v: &Value, name: &str) -> (String, String) {
    let checks = v["documents"][0]["signatures"][0]["checks"].as_array().cloned().unwrap_or_default();
    let c = checks.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no check {name} in {v:#}"));
    (c["status"].as_str().unwrap().to_string(), c["detail"].as_str().unwrap().to_string())
}

fn trust_args(pki: &Pki) -> Vec<String> {
    vec!["--trust".into(), s(&pki.root.cert).into()]
}

fn rfc3339_in_days(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn openssl_cades_ecdsa_with_chain_passes_and_json_has_the_design_fields() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Y tế tỉnh Bắc Ninh", Leaf::default());
    let doc = write_doc(&pki, "cv.txt", DOC);
    cms_sign(&pki, &unit, &doc, "cv.txt.p7s", &["-cades", "-certfile", s(&pki.sub.cert)]);
    // the oracle agrees
    let (ok, err) = openssl_cms_verify(pki.dir.path(), &pki.path("cv.txt.p7s"), &doc, &pki.root.cert, &[]);
    assert!(ok, "{err}");
    let mut a = vec!["cv.txt".to_string()];
    a.extend(trust_args(&pki));
    let (code, v) = verify_json(&pki, &args(&a));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["indication"], "TOTAL_PASSED");
    assert!(v["sub_indication"].is_null());
    let d = &v["documents"][0];
    assert_eq!(d["path"], "cv.txt");
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, DOC.as_bytes()));
    assert_eq!(d["sha256"], sha.as_str());
    let sig = &d["signatures"][0];
    for k in ["indication", "sub_indication", "signer", "signing_time", "digest_algorithm", "signature_algorithm", "certificate", "chain", "checks", "warnings"] {
        assert!(sig.get(k).is_some(), "missing {k}: {sig:#}");
    }
    for k in ["subject", "organization", "serial", "issuer"] {
        assert!(sig["signer"].get(k).is_some(), "missing signer.{k}");
    }
    assert!(sig["signer"]["subject"].as_str().unwrap().contains("Sở Y tế tỉnh Bắc Ninh"));
    assert_eq!(sig["signer"]["organization"], "Test Province");
    // the same serial form as `kyso ca list`: lower-case hex, no leading zeros
    let want = String::from_utf8(openssl(pki.dir.path(), &["x509", "-in", s(&unit.cert), "-noout", "-serial"]).stdout).unwrap();
    let want = want.trim().trim_start_matches("serial=").trim_start_matches('0').to_ascii_lowercase();
    assert_eq!(sig["signer"]["serial"], want.as_str());
    assert!(sig["signer"]["issuer"].as_str().unwrap().contains("Test Issuing CA"));
    assert_eq!(sig["digest_algorithm"], "SHA-256");
    assert!(sig["certificate"]["not_before"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sig["chain"].as_array().unwrap().len(), 3, "leaf, issuing CA, root");
    assert_eq!(check(&v, "signing_certificate").0, "passed");
    for c in sig["checks"].as_array().unwrap() {
        assert!(["passed", "failed", "warning", "skipped"].contains(&c["status"].as_str().unwrap()));
    }
    // no CRL given: revocation unknown → a warning under the default `warn`
    assert_eq!(check(&v, "revocation").0, "warning");
    assert!(sig["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("revocation not checked")));
}

#[test]
fn openssl_rsa_without_cades_p384_pem_and_streamed_ber_pass() {
    let pki = Pki::new(KeyKind::Rsa2048);
    let rsa = pki.leaf("Unit RSA", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let p384 = pki.leaf("Unit P384", Leaf { key: KeyKind::P384, ..Leaf::default() });
    let doc = write_doc(&pki, "d.txt", DOC);
    let chain = s(&pki.sub.cert).to_string();
    cms_sign(&pki, &rsa, &doc, "rsa.p7s", &["-certfile", &chain]);
    cms_sign(&pki, &p384, &doc, "p384.p7s", &["-cades", "-md", "sha384", "-certfile", &chain]);
    // PEM armour
    openssl(pki.dir.path(), &["cms", "-sign", "-binary", "-outform", "PEM", "-md", "sha256", "-cades", "-signer", s(&rsa.cert), "-inkey", s(&rsa.key), "-certfile", &chain, "-in", "d.txt", "-out", "pem.p7s"]);
    // BER with indefinite lengths (-stream writes the content inside: an attached signature)
    openssl(pki.dir.path(), &["cms", "-sign", "-binary", "-stream", "-outform", "DER", "-md", "sha256", "-signer", s(&p384.cert), "-inkey", s(&p384.key), "-certfile", &chain, "-in", "d.txt", "-out", "ber.p7s"]);
    let pem = std::fs::read_to_string(pki.path("pem.p7s")).unwrap();
    assert!(pem.starts_with("-----BEGIN CMS-----"), "{pem}");
    std::fs::write(pki.path("pkcs7.p7s"), pem.replace("BEGIN CMS", "BEGIN PKCS7").replace("END CMS", "END PKCS7")).unwrap();
    let ber = std::fs::read(pki.path("ber.p7s")).unwrap();
    assert_eq!(&ber[..2], &[0x30, 0x80], "openssl -stream writes indefinite lengths");
    for (sig, alg) in [("rsa.p7s", "RSA PKCS#1 v1.5 with SHA-256"), ("p384.p7s", "ECDSA with SHA-384"), ("pem.p7s", "RSA PKCS#1 v1.5 with SHA-256"), ("pkcs7.p7s", "RSA PKCS#1 v1.5 with SHA-256"), ("ber.p7s", "ECDSA with SHA-256")] {
        let mut a = vec!["d.txt".to_string(), "--sig".into(), sig.into()];
        a.extend(trust_args(&pki));
        let (code, v) = verify_json(&pki, &args(&a));
        assert_eq!(code, 0, "{sig}: {v:#}");
        assert_eq!(sig0(&v), ("TOTAL_PASSED".into(), "".into()), "{sig}");
        assert_eq!(v["documents"][0]["signatures"][0]["signature_algorithm"], alg, "{sig}");
    }
    // without -cades there is no signing-certificate attribute: passed, with a warning
    let mut a = vec!["d.txt".to_string(), "--sig".into(), "rsa.p7s".into()];
    a.extend(trust_args(&pki));
    let (_, v) = verify_json(&pki, &args(&a));
    assert_eq!(check(&v, "signing_certificate").0, "warning");
}

/// A PKI with one signed document, for the attack cases.
struct Case {
    pki: Pki,
    unit: Party,
    doc: PathBuf,
}

fn case() -> Case {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn phòng UBND tỉnh", Leaf::default());
    let doc = write_doc(&pki, "cv.txt", DOC);
    cms_sign(&pki, &unit, &doc, "cv.txt.p7s", &["-cades", "-certfile", s(&pki.sub.cert)]);
    Case { pki, unit, doc }
}

fn verify_case(c: &Case, extra: &[&str]) -> (i32, Value) {
    let mut a = vec!["cv.txt", "--trust", s(&c.pki.root.cert)];
    a.extend_from_slice(extra);
    verify_json(&c.pki, &a)
}

#[test]
fn modified_document_is_hash_failure() {
    let c = case();
    std::fs::write(&c.doc, DOC.replace("123", "124")).unwrap();
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1);
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "HASH_FAILURE".into()));
    assert_eq!(v["documents"][0]["sub_indication"], "HASH_FAILURE");
    assert_eq!(check(&v, "message_digest").0, "failed");
}

#[test]
fn modified_signature_value_is_sig_crypto_failure() {
    let c = case();
    let p = c.pki.path("cv.txt.p7s");
    let mut b = std::fs::read(&p).unwrap();
    // the SignerInfo's signature OCTET STRING ends the file (no unsigned attributes): flip a bit
    // of the ECDSA s value's last byte
    let last = b.len() - 1;
    b[last] ^= 0x01;
    std::fs::write(&p, &b).unwrap();
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into()));
    assert_eq!(check(&v, "signature").0, "failed");
    assert_eq!(check(&v, "message_digest").0, "passed");
}

#[test]
fn modified_signed_attribute_is_sig_crypto_failure() {
    let c = case();
    let p = c.pki.path("cv.txt.p7s");
    let mut b = std::fs::read(&p).unwrap();
    // change one digit of the signing-time UTCTime (ASCII digits inside the signed attributes)
    let oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];
    let at = b.windows(oid.len()).position(|w| w == oid).expect("signing-time attribute");
    let digit = at + oid.len() + 4 + 2; // SET hdr, UTCTime hdr, then YYMMDD…: the month's first digit
    b[digit] = if b[digit] == b'0' { b'1' } else { b'0' };
    std::fs::write(&p, &b).unwrap();
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into()));
}

#[test]
fn signer_from_another_ca_has_no_chain() {
    let c = case();
    let other = Pki::new(KeyKind::P256);
    let (code, v) = verify_json(&c.pki, &["cv.txt", "--trust", s(&other.root.cert)]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "NO_CERTIFICATE_CHAIN_FOUND".into()));
    assert_eq!(check(&v, "certificate_path").0, "failed");
}

#[test]
fn revoked_signer_is_revoked_and_crls_are_used() {
    let c = case();
    let sub_crl_ok = c.pki.crl(By::Sub, "sub-crl-0.pem", 30);
    let root_crl = c.pki.crl(By::Root, "root-crl.pem", 30);
    // before the revocation: both CRLs usable → revocation passed
    let (code, v) = verify_case(&c, &["--crl", s(&sub_crl_ok), "--crl", s(&root_crl), "--revocation", "require"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(check(&v, "revocation").0, "passed");
    c.pki.revoke(By::Sub, &c.unit, "keyCompromise");
    let crl = c.pki.crl(By::Sub, "sub-crl.pem", 30);
    let (code, v) = verify_case(&c, &["--crl", s(&crl), "--crl", s(&root_crl)]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "REVOKED".into()));
    let (st, detail) = check(&v, "revocation");
    assert_eq!(st, "failed");
    assert!(detail.contains("reason code 1"), "{detail}");
    // the oracle agrees that the certificate is revoked, and says so
    let openssl_verify = |crl: &Path, root: &Path| {
        let out = std::process::Command::new("openssl")
            .args(["verify", "-crl_check", "-CAfile", s(root), "-untrusted", s(&c.pki.sub.cert), "-CRLfile", s(crl), s(&c.unit.cert)])
            .output()
            .unwrap();
        (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let (ok, out) = openssl_verify(&crl, &c.pki.root.cert);
    refused_because(ok, &out, "certificate revoked").unwrap();
    // The same check fails on the wrong inputs: the CRL from before the revocation (OpenSSL
    // accepts), and a refusal for another reason (a root that did not issue the chain).
    let (ok, out) = openssl_verify(&sub_crl_ok, &c.pki.root.cert);
    assert!(refused_because(ok, &out, "certificate revoked").unwrap_err().starts_with("it succeeded"), "{out}");
    let (ok, out) = openssl_verify(&crl, &c.pki.sub.cert);
    assert!(refused_because(ok, &out, "certificate revoked").unwrap_err().starts_with("it failed, but not because of"), "{out}");
}

#[test]
fn expired_and_not_yet_valid_at_the_validation_time() {
    let c = case();
    let later = rfc3339_in_days(400); // the leaf lives 365 days
    let (code, v) = verify_case(&c, &["--at", &later]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "OUT_OF_BOUNDS_NO_POE".into()));
    assert_eq!(check(&v, "validity").0, "failed");
    let earlier = rfc3339_in_days(-2);
    let (code, v) = verify_case(&c, &["--at", &earlier]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "NOT_YET_VALID".into()));
    // a bad --at is a usage error
    let (code, _, err) = summary(&run(c.pki.dir.path(), &["verify", "cv.txt", "--trust", s(&c.pki.root.cert), "--at", "yesterday"]));
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
}

#[test]
fn a_ca_certificate_as_signer_is_refused() {
    let c = case();
    cms_sign(&c.pki, &c.pki.sub, &c.doc, "cv.txt.p7s", &["-cades"]);
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "CHAIN_CONSTRAINTS_FAILURE".into()));
    let (st, detail) = check(&v, "signer_key_usage");
    assert_eq!(st, "failed");
    assert!(detail.contains("CA certificate"), "{detail}");
}

#[test]
fn missing_key_usage_and_foreign_eku_are_refused() {
    let c = case();
    let enc_only = c.pki.leaf("Unit KE", Leaf { key_usage: Some("critical,keyAgreement".into()), ..Leaf::default() });
    cms_sign(&c.pki, &enc_only, &c.doc, "cv.txt.p7s", &["-cades", "-certfile", s(&c.pki.sub.cert)]);
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "CHAIN_CONSTRAINTS_FAILURE".into()));
    assert!(check(&v, "signer_key_usage").1.contains("neither digitalSignature nor nonRepudiation"));

    let tls = c.pki.leaf("Unit TLS", Leaf { eku: Some("serverAuth".into()), ..Leaf::default() });
    cms_sign(&c.pki, &tls, &c.doc, "cv.txt.p7s", &["-cades", "-certfile", s(&c.pki.sub.cert)]);
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "CHAIN_CONSTRAINTS_FAILURE".into()));
    assert!(check(&v, "signer_key_usage").1.contains("extendedKeyUsage"));

    // nonRepudiation alone satisfies rule 3
    let nr = c.pki.leaf("Unit NR", Leaf { key_usage: Some("critical,nonRepudiation".into()), ..Leaf::default() });
    cms_sign(&c.pki, &nr, &c.doc, "cv.txt.p7s", &["-cades", "-certfile", s(&c.pki.sub.cert)]);
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 0, "{v:#}");
}

/// Re-encodes a DER SignedData after `f` changed it (cms crate types).
fn edit_signed_data(path: &Path, f: impl FnOnce(&mut cms::signed_data::SignedData)) {
    use der::{Decode, Encode};
    let bytes = std::fs::read(path).unwrap();
    let ci = cms::content_info::ContentInfo::from_der(&bytes).unwrap();
    let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    f(&mut sd);
    let content = der::Any::encode_from(&sd).unwrap();
    let ci = cms::content_info::ContentInfo { content_type: ci.content_type, content };
    std::fs::write(path, ci.to_der().unwrap()).unwrap();
}

#[test]
fn substituted_signer_certificate_is_caught_by_signing_certificate_v2() {
    let c = case();
    // sign with the subjectKeyIdentifier as sid, so that the sid also fits the substitute
    cms_sign(&c.pki, &c.unit, &c.doc, "cv.txt.p7s", &["-cades", "-keyid", "-certfile", s(&c.pki.sub.cert)]);
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 0, "the untouched -keyid signature passes: {v:#}");
    // same key, another certificate (another serial and validity), issued by the same CA
    let twin = c.pki.leaf("Văn phòng UBND tỉnh", Leaf { reuse_key: Some(c.unit.key.clone()), days: 30, ..Leaf::default() });
    let twin_der = {
        use der::Decode;
        let pem = std::fs::read(&twin.cert).unwrap();
        let der = kyso::objects::certificates(&pem).unwrap().remove(0);
        x509_cert::Certificate::from_der(&der).unwrap()
    };
    let unit_der = kyso::objects::certificates(&std::fs::read(&c.unit.cert).unwrap()).unwrap().remove(0);
    edit_signed_data(&c.pki.path("cv.txt.p7s"), |sd| {
        use der::Encode;
        let certs = sd.certificates.as_mut().unwrap();
        let mut v: Vec<cms::cert::CertificateChoices> = certs.0.iter().cloned().collect();
        let i = v
            .iter()
            .position(|cc| matches!(cc, cms::cert::CertificateChoices::Certificate(x) if x.to_der().unwrap() == unit_der))
            .expect("the signer certificate is embedded");
        v[i] = cms::cert::CertificateChoices::Certificate(twin_der);
        certs.0 = der::asn1::SetOfVec::try_from(v).unwrap();
    });
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "NO_SIGNING_CERTIFICATE_FOUND".into()));
    // the signature itself verifies with the twin's (same) key: only the attribute catches it
    assert_eq!(check(&v, "signature").0, "passed");
    let (st, detail) = check(&v, "signing_certificate");
    assert_eq!(st, "failed");
    assert!(detail.contains("does not match"), "{detail}");

    // both certificates embedded: the attribute identifies the right one, whatever the order
    cms_sign(&c.pki, &c.unit, &c.doc, "cv.txt.p7s", &["-cades", "-keyid", "-certfile", s(&c.pki.sub.cert)]);
    let twin_cert = {
        use der::Decode;
        let der = kyso::objects::certificates(&std::fs::read(&twin.cert).unwrap()).unwrap().remove(0);
        x509_cert::Certificate::from_der(&der).unwrap()
    };
    edit_signed_data(&c.pki.path("cv.txt.p7s"), |sd| {
        let certs = sd.certificates.as_mut().unwrap();
        let mut v: Vec<cms::cert::CertificateChoices> = certs.0.iter().cloned().collect();
        v.push(cms::cert::CertificateChoices::Certificate(twin_cert));
        certs.0 = der::asn1::SetOfVec::try_from(v).unwrap();
    });
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 0, "{v:#}");
    let serial_of = |p: &Party| {
        let out = String::from_utf8(openssl(c.pki.dir.path(), &["x509", "-in", s(&p.cert), "-noout", "-serial"]).stdout).unwrap();
        out.trim().trim_start_matches("serial=").trim_start_matches('0').to_ascii_lowercase()
    };
    assert_ne!(serial_of(&c.unit), serial_of(&twin));
    assert_eq!(v["documents"][0]["signatures"][0]["signer"]["serial"], serial_of(&c.unit).as_str(), "{v:#}");
}

/// Stripping the signed attributes turns a CAdES signature into a PKCS#7 one (issue 15: verified
/// over the document itself): the signature value, computed over the attributes, no longer
/// verifies — a forgery attempt stays TOTAL_FAILED.
#[test]
fn stripped_signed_attributes_fail_the_signature() {
    let c = case();
    edit_signed_data(&c.pki.path("cv.txt.p7s"), |sd| {
        let mut v: Vec<cms::signed_data::SignerInfo> = sd.signer_infos.0.iter().cloned().collect();
        v[0].signed_attrs = None;
        sd.signer_infos.0 = der::asn1::SetOfVec::try_from(v).unwrap();
    });
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into()));
    assert!(check(&v, "signature").1.contains("does not verify"));
    let warnings = v["documents"][0]["signatures"][0]["warnings"].to_string();
    assert!(warnings.contains("PKCS#7 signature without signed attributes"), "{warnings}");
}

#[test]
fn crl_from_the_wrong_issuer_is_ignored_and_revocation_is_unknown() {
    let c = case();
    // another PKI with the very same CA names but other keys: its CRLs look authoritative by
    // name and must be refused by signature
    let other = Pki::new(KeyKind::P256);
    let forged_sub = other.crl(By::Sub, "sub-crl.pem", 30);
    let forged_root = other.crl(By::Root, "root-crl.pem", 30);
    let (code, v) = verify_case(&c, &["--crl", s(&forged_sub), "--crl", s(&forged_root), "--revocation", "warn", "--offline"]);
    assert_eq!(code, 0, "{v:#}");
    let (st, detail) = check(&v, "revocation");
    assert_eq!(st, "warning");
    assert!(detail.contains("wrong signature"), "{detail}");
    let (code, v) = verify_case(&c, &["--crl", s(&forged_sub), "--crl", s(&forged_root), "--revocation", "require"]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "TRY_LATER".into()));
    // off: not checked at all
    let (code, v) = verify_case(&c, &["--revocation", "off"]);
    assert_eq!(code, 0);
    assert_eq!(check(&v, "revocation").0, "skipped");
}

#[test]
fn stale_crl_under_require_is_try_later() {
    let c = case();
    let sub_crl = c.pki.crl(By::Sub, "sub-crl.pem", 1);
    let root_crl = c.pki.crl(By::Root, "root-crl.pem", 30);
    let at = rfc3339_in_days(3);
    let (code, v) = verify_case(&c, &["--crl", s(&sub_crl), "--crl", s(&root_crl), "--revocation", "require", "--at", &at]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "TRY_LATER".into()));
    assert!(check(&v, "revocation").1.contains("stale"));
}

#[test]
fn sha1_is_refused_by_strict_and_accepted_by_legacy_with_a_warning() {
    let pki = Pki::new(KeyKind::Rsa2048);
    let old = pki.leaf("Unit 2012", Leaf { key: KeyKind::Rsa2048, md: "sha1".into(), key_usage: Some("critical,nonRepudiation".into()), eku: None, ..Leaf::default() });
    let doc = write_doc(&pki, "old.txt", DOC);
    // with -cades and SHA-1, OpenSSL writes the ESS v1 signingCertificate attribute
    cms_sign(&pki, &old, &doc, "old.txt.p7s", &["-md", "sha1", "-cades", "-certfile", s(&pki.sub.cert)]);
    let (code, v) = verify_json(&pki, &["old.txt", "--trust", s(&pki.root.cert)]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "CRYPTO_CONSTRAINTS_FAILURE".into()));
    assert!(check(&v, "algorithm_policy").1.contains("SHA-1"));
    let (code, v) = verify_json(&pki, &["old.txt", "--trust", s(&pki.root.cert), "--policy", "legacy"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_PASSED".into(), "".into()));
    let warnings = v["documents"][0]["signatures"][0]["warnings"].as_array().unwrap().clone();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("legacy policy: the signature uses SHA-1")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("signed with SHA-1")), "{warnings:?}");
    // nonRepudiation alone is enough under both policies (DESIGN.md §4 rule 3): no legacy warning.
    assert!(!warnings.iter().any(|w| w.as_str().unwrap().contains("nonRepudiation only")), "{warnings:?}");
    let (st, detail) = check(&v, "signing_certificate");
    assert_eq!(st, "passed");
    assert!(detail.contains("signing-certificate (v1)"), "{detail}");
    // the human output shows the warning in Vietnamese
    let (_, out, _) = summary(&run(pki.dir.path(), &["verify", "old.txt", "--trust", s(&pki.root.cert), "--policy", "legacy", "--revocation", "warn", "--offline"]));
    for want in [
        "Chữ ký 1/1: HỢP LỆ (TOTAL_PASSED) — CHƯA KIỂM TRA tình trạng thu hồi — có 3 cảnh báo, xem cuối mục",
        "Thuật toán: RSA PKCS#1 v1.5 với SHA-1",
        "Cảnh báo: chính sách legacy: chữ ký dùng SHA-1 (thuật toán cũ, chỉ chấp nhận cho văn bản cũ)",
        "Cảnh báo: chính sách legacy: chứng thư số Unit 2012 được ký bằng SHA-1 (thuật toán cũ)",
        "Cảnh báo: chưa kiểm tra được tình trạng thu hồi: không có CRL hoặc phản hồi OCSP dùng được cho Unit 2012",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains("(tiếng Anh)"), "{out}");
    let (_, out, _) = summary(&run(pki.dir.path(), &["verify", "old.txt", "--trust", s(&pki.root.cert), "--policy", "legacy", "--lang", "en", "--revocation", "warn", "--offline"]));
    for want in [
        "Signature 1/1: VALID (TOTAL_PASSED) — revocation NOT CHECKED — 3 warnings, see below",
        "Algorithm: RSA PKCS#1 v1.5 with SHA-1",
        "Warning: legacy policy: the signature uses SHA-1",
        "Warning: legacy policy: the certificate of Unit 2012 is signed with SHA-1",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // Under strict: the reason and its detail, in Vietnamese.
    let (_, out, _) = summary(&run(pki.dir.path(), &["verify", "old.txt", "--trust", s(&pki.root.cert)]));
    assert!(out.contains("Chi tiết: chính sách strict không cho phép SHA-1 (với văn bản cũ, dùng chính sách legacy)"), "{out}");
    // …and how to proceed, with the CLI's flag (issue 15).
    assert!(out.contains("Cách xử lý:") && out.contains("chính sách legacy (--policy legacy)"), "{out}");
}

#[test]
fn garbage_truncated_and_trailing_data_are_format_failures_without_panic() {
    let c = case();
    let good = std::fs::read(c.pki.path("cv.txt.p7s")).unwrap();
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"\x00extra");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not a signature at all".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("trailing", trailing),
        ("random-der", vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
        ("indefinite-unterminated", vec![0x30, 0x80, 0x06, 0x01, 0x00]),
        ("wrong-pem", b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".to_vec()),
    ];
    for (name, bytes) in cases {
        std::fs::write(c.pki.path("cv.txt.p7s"), &bytes).unwrap();
        let (code, v) = verify_case(&c, &[]);
        assert_eq!(code, 1, "{name}: {v:#}");
        assert_eq!(v["documents"][0]["indication"], "TOTAL_FAILED", "{name}");
        assert_eq!(v["documents"][0]["sub_indication"], "FORMAT_FAILURE", "{name}");
        assert!(v["documents"][0]["detail"].is_string(), "{name}");
    }
    // unknown SignedData version (99): FORMAT_FAILURE
    let mut bad_version = good.clone();
    let pos = bad_version.windows(3).position(|w| w == [0x02, 0x01, 0x01]).unwrap();
    bad_version[pos + 2] = 99;
    std::fs::write(c.pki.path("cv.txt.p7s"), &bad_version).unwrap();
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["documents"][0]["sub_indication"], "FORMAT_FAILURE");
    assert!(v["documents"][0]["detail"].as_str().unwrap().contains("version"));
}

#[test]
fn human_output_in_vietnamese_and_english() {
    let c = case();
    let (code, out, _) = summary(&run(c.pki.dir.path(), &["verify", "cv.txt", "--trust", s(&c.pki.root.cert), "--revocation", "warn", "--offline"]));
    assert_eq!(code, 0);
    for want in [
        "Tài liệu: cv.txt",
        // Checked with --revocation warn: VALID is never said alone.
        "Kết quả: HỢP LỆ (TOTAL_PASSED) — CHƯA KIỂM TRA tình trạng thu hồi",
        "Người ký: Văn phòng UBND tỉnh — Test Province",
        "Đơn vị: Test Province",
        "Tổ chức cấp chứng thư số (CA): Test Issuing CA — Test Province",
        "Thời điểm ký: ",
        "Tính toàn vẹn: nội dung còn nguyên vẹn",
        "Thời hạn chứng thư số: từ ",
        "còn hiệu lực tại thời điểm ký",
        "Tình trạng thu hồi: không kiểm tra được",
        "Cảnh báo: chưa kiểm tra được tình trạng thu hồi",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.chars().any(|ch| ('\u{300}'..='\u{36f}').contains(&ch)), "decomposed diacritics in:\n{out}");
    std::fs::write(&c.doc, "changed").unwrap();
    let (code, out, _) = summary(&run(c.pki.dir.path(), &["verify", "cv.txt", "--trust", s(&c.pki.root.cert), "--revocation", "warn", "--offline"]));
    assert_eq!(code, 1);
    assert!(out.contains("KHÔNG HỢP LỆ (TOTAL_FAILED)"), "{out}");
    assert!(out.contains("HASH_FAILURE — giá trị băm của tài liệu không khớp"), "{out}");
    assert!(out.contains("nội dung ĐÃ BỊ THAY ĐỔI sau khi ký"), "{out}");
    let (_, out, _) = summary(&run(c.pki.dir.path(), &["verify", "cv.txt", "--trust", s(&c.pki.root.cert), "--lang", "en"]));
    assert!(out.contains("Result: INVALID (TOTAL_FAILED)") && out.contains("Integrity: MODIFIED after signing"), "{out}");
}

#[test]
fn batch_verifies_all_documents_into_one_report() {
    let c = case();
    let doc2 = write_doc(&c.pki, "cv2.txt", "second");
    cms_sign(&c.pki, &c.unit, &doc2, "cv2.txt.p7s", &["-cades", "-certfile", s(&c.pki.sub.cert)]);
    let doc3 = write_doc(&c.pki, "cv3.txt", "third");
    cms_sign(&c.pki, &c.unit, &doc3, "cv3.txt.p7s", &["-cades", "-certfile", s(&c.pki.sub.cert)]);
    std::fs::write(&doc3, "third, altered").unwrap();
    let (code, v) = verify_json(&c.pki, &["cv.txt", "cv2.txt", "cv3.txt", "missing.txt", "--trust", s(&c.pki.root.cert)]);
    assert_eq!(code, 1, "{v:#}");
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 4);
    let ind: Vec<(&str, &str)> = docs.iter().map(|d| (d["path"].as_str().unwrap(), d["indication"].as_str().unwrap())).collect();
    assert_eq!(
        ind,
        vec![("cv.txt", "TOTAL_PASSED"), ("cv2.txt", "TOTAL_PASSED"), ("cv3.txt", "TOTAL_FAILED"), ("missing.txt", "TOTAL_FAILED")]
    );
    assert_eq!(v["indication"], "TOTAL_FAILED");
    assert_eq!(docs[2]["sub_indication"], "HASH_FAILURE");
}

#[test]
fn usage_errors_exit_2() {
    let c = case();
    let d = c.pki.dir.path();
    let (code, _, err) = summary(&run(d, &["verify", "cv.txt"]));
    assert_eq!(code, 2);
    assert!(err.contains("--trust"), "{err}");
    let (code, _, err) = summary(&run(d, &["verify", "nope.txt", "--trust", s(&c.pki.root.cert)]));
    assert_eq!(code, 2);
    assert!(err.contains("nope.txt does not exist"), "{err}");
    let (code, _, err) = summary(&run(d, &["verify", "cv.txt", "--trust", "nope.pem"]));
    assert_eq!(code, 2);
    assert!(err.contains("nope.pem does not exist"), "{err}");
    let (code, _, err) = summary(&run(d, &["verify", "cv.txt", "--trust", s(&c.doc)]));
    assert_eq!(code, 2);
    assert!(err.contains("trust anchor"), "{err}");
    let (code, _, err) = summary(&run(d, &["verify", "cv.txt", "cv.txt", "--sig", "x.p7s", "--trust", s(&c.pki.root.cert)]));
    assert_eq!(code, 2);
    assert!(err.contains("--sig can only be used with a single document"), "{err}");
}

#[test]
fn cert_verify_json_and_exit_codes() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit A", Leaf::default());
    let tls = pki.leaf("Server", Leaf { eku: Some("serverAuth".into()), ..Leaf::default() });
    let d = pki.dir.path();
    let base = ["--trust", s(&pki.root.cert), "--chain", s(&pki.sub.cert), "--json", "--offline"];
    let cv = |cert: &Path, extra: &[&str]| {
        let mut a = vec!["cert", "verify", s(cert)];
        a.extend_from_slice(&base);
        a.extend_from_slice(extra);
        let (code, out, err) = summary(&run(d, &a));
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        (code, v)
    };
    // The default requires revocation (DESIGN §4 rule 4, wave 3): without a CRL or OCSP answer,
    // and offline, the status is unknown — INDETERMINATE/TRY_LATER, exit 3.
    let (code, v) = cv(&unit.cert, &[]);
    assert_eq!((code, v["sub_indication"].as_str()), (3, Some("TRY_LATER")), "{v:#}");
    let (code, v) = cv(&unit.cert, &["--revocation", "warn"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["indication"], "TOTAL_PASSED");
    assert!(v["sub_indication"].is_null());
    let chain: Vec<&str> = v["chain"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert_eq!(chain.len(), 3);
    assert!(chain[0].contains("Unit A") && chain[1].contains("Test Issuing CA") && chain[2].contains("Test Root CA"));
    assert!(v["checks"].as_array().unwrap().iter().all(|c| c.get("name").is_some() && c.get("status").is_some() && c.get("detail").is_some()));
    let (code, v) = cv(&tls.cert, &[]);
    assert_eq!((code, v["sub_indication"].as_str()), (3, Some("CHAIN_CONSTRAINTS_FAILURE")));
    let (code, v) = cv(&tls.cert, &["--purpose", "any", "--revocation", "warn"]);
    assert_eq!(code, 0, "{v:#}");
    // revoked
    pki.revoke(By::Sub, &unit, "superseded");
    let crl = pki.crl(By::Sub, "sub.crl", 30);
    let (code, v) = cv(&unit.cert, &["--crl", s(&crl)]);
    assert_eq!((code, v["indication"].as_str(), v["sub_indication"].as_str()), (1, Some("TOTAL_FAILED"), Some("REVOKED")));
    // no path without the intermediate
    let (code, out, _) = summary(&run(d, &["cert", "verify", s(&tls.cert), "--trust", s(&pki.root.cert), "--json", "--purpose", "any"]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["sub_indication"].as_str()), (3, Some("NO_CERTIFICATE_CHAIN_FOUND")));
    // the oracle agrees on the unrevoked server certificate's path
    let ok = std::process::Command::new("openssl")
        .args(["verify", "-CAfile", s(&pki.root.cert), "-untrusted", s(&pki.sub.cert), s(&tls.cert)])
        .output()
        .unwrap();
    assert!(ok.status.success());
}

#[test]
fn kyso_sign_output_single_and_double_verifies_and_openssl_agrees() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Nguyễn Văn An", Leaf::default());
    let agency = pki.leaf("Sở Y tế tỉnh Bắc Ninh", Leaf::default());
    let rsa = pki.leaf("Unit RSA", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = write_doc(&pki, "gm.txt", DOC);
    let d = pki.dir.path();
    let sign = |who: &Party, add: bool| {
        let mut a = vec!["sign", "--cert", s(&who.cert), "--key", s(&who.key), "--chain", s(&pki.sub.cert)];
        if add {
            a.push("--add");
        }
        a.push("gm.txt");
        let (code, _, err) = summary(&run(d, &a));
        assert_eq!(code, 0, "kyso sign: {err}");
    };
    sign(&person, false);
    let (code, v) = verify_json(&pki, &["gm.txt", "--trust", s(&pki.root.cert)]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["documents"][0]["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(check(&v, "signing_certificate").0, "passed");
    // the agency's signature is added after the person's
    sign(&agency, true);
    sign(&rsa, true);
    let (code, v) = verify_json(&pki, &["gm.txt", "--trust", s(&pki.root.cert)]);
    assert_eq!(code, 0, "{v:#}");
    let sigs = v["documents"][0]["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 3);
    let mut subjects: Vec<String> = sigs.iter().map(|s| s["signer"]["subject"].as_str().unwrap().to_string()).collect();
    subjects.sort();
    assert!(subjects.iter().any(|x| x.contains("Nguyễn Văn An")) && subjects.iter().any(|x| x.contains("Sở Y tế tỉnh Bắc Ninh")));
    for s in sigs {
        assert_eq!(s["indication"], "TOTAL_PASSED", "{s:#}");
        assert_eq!(s["checks"].as_array().unwrap().iter().find(|c| c["name"] == "signing_certificate").unwrap()["status"], "passed");
    }
    let (ok, err) = openssl_cms_verify(d, &pki.path("gm.txt.p7s"), &doc, &pki.root.cert, &[]);
    assert!(ok, "{err}");
    // altering the document breaks every signature
    std::fs::write(&doc, DOC.replace("123", "321")).unwrap();
    let (code, v) = verify_json(&pki, &["gm.txt", "--trust", s(&pki.root.cert)]);
    assert_eq!(code, 1);
    for s in v["documents"][0]["signatures"].as_array().unwrap() {
        assert_eq!(s["sub_indication"], "HASH_FAILURE");
    }
}

/// Deterministic mutation of real signatures (DER and BER) through the library: whatever the
/// bytes, the verifier returns a report and never panics; a mutation never yields TOTAL_PASSED
/// unless it left the signed bytes' meaning intact (checked by requiring the oracle to agree).
#[test]
fn mutated_signatures_never_panic_and_never_pass_unless_openssl_agrees() {
    use kyso::verify::{Options, Verifier};
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let doc = write_doc(&pki, "m.txt", DOC);
    cms_sign(&pki, &unit, &doc, "der.p7s", &["-cades", "-certfile", s(&pki.sub.cert)]);
    openssl(pki.dir.path(), &["cms", "-sign", "-binary", "-stream", "-outform", "DER", "-md", "sha256", "-signer", s(&unit.cert), "-inkey", s(&unit.key), "-certfile", s(&pki.sub.cert), "-in", "m.txt", "-out", "ber.p7s"]);
    let root = kyso::objects::certificates(&std::fs::read(&pki.root.cert).unwrap()).unwrap();
    // the chain comes only from inside the signature files, as for OpenSSL below
    let v = Verifier::new(&root, &[], &[], Options::at(time::OffsetDateTime::now_utc())).unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut passed_mutants = Vec::new();
    for name in ["der.p7s", "ber.p7s"] {
        let good = std::fs::read(pki.path(name)).unwrap();
        assert_eq!(v.verify_detached("m.txt", DOC.as_bytes(), &good).indication, kyso::report::Indication::TotalPassed);
        for i in 0..1500 {
            let mut m = good.clone();
            match i % 4 {
                0 => {
                    let p = (next() as usize) % m.len();
                    m[p] ^= 1 << (next() % 8);
                }
                1 => {
                    let p = (next() as usize) % m.len();
                    m[p] = next() as u8;
                }
                2 => m.truncate((next() as usize) % m.len()),
                _ => {
                    let p = (next() as usize) % m.len();
                    m.insert(p, next() as u8);
                }
            }
            let r = v.verify_detached("m.txt", DOC.as_bytes(), &m);
            if r.indication == kyso::report::Indication::TotalPassed && m != good {
                passed_mutants.push(m);
            }
        }
    }
    // Every mutant that still passes must be one OpenSSL also accepts (changes to unsigned parts
    // that neither uses, e.g. the digestAlgorithms SET), as it is or as the harness's DER
    // re-encoding (tests/it/robust_mutation.rs: OpenSSL checks certificate signatures over the
    // bytes received).
    for (n, m) in passed_mutants.iter().enumerate() {
        let p = crate::pki::write(pki.dir.path(), &format!("mut{n}.p7s"), m);
        let (ok, err) = openssl_cms_verify(pki.dir.path(), &p, &doc, &pki.root.cert, &[]);
        if ok {
            continue;
        }
        let der = crate::robust_mutation::harness_der(m).unwrap_or_else(|| panic!("kyso passed a mutant that OpenSSL refuses ({err}) and that is not BER; saved as {}", p.display()));
        let q = crate::pki::write(pki.dir.path(), &format!("mut{n}-der.p7s"), &der);
        let (ok_der, _) = openssl_cms_verify(pki.dir.path(), &q, &doc, &pki.root.cert, &[]);
        assert!(ok_der && der != *m, "kyso passed a mutant that OpenSSL refuses ({err}); mutant saved as {}", p.display());
    }
    println!("{} mutants passed kyso, each accepted by OpenSSL", passed_mutants.len());
}

#[test]
fn batch_caches_one_path_validation_per_signer_certificate() {
    use kyso::verify::{Job, Options, Verifier};
    let pki = Pki::new(KeyKind::P256);
    let a = pki.leaf("Unit A", Leaf::default());
    let b = pki.leaf("Unit B", Leaf::default());
    let mut jobs = Vec::new();
    for i in 0..6 {
        let name = format!("d{i}.txt");
        let doc = write_doc(&pki, &name, &format!("document {i}"));
        let who = if i % 2 == 0 { &a } else { &b };
        cms_sign(&pki, who, &doc, &format!("{name}.p7s"), &["-cades"]);
        jobs.push(Job { document: doc.clone(), signature: pki.path(&format!("{name}.p7s")) });
    }
    let root = kyso::objects::certificates(&std::fs::read(&pki.root.cert).unwrap()).unwrap();
    let chain = kyso::objects::certificates(&std::fs::read(&pki.sub.cert).unwrap()).unwrap();
    let v = Verifier::new(&root, &chain, &[], Options::at(time::OffsetDateTime::now_utc())).unwrap();
    let report = v.verify_batch(&jobs);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.documents.len(), 6);
    assert_eq!(v.cached_paths(), 2, "one path validation per signer certificate");
}

/// Inserts `crl_der` into the SignedData `crls` field ([1] IMPLICIT RevocationInfoChoices).
fn embed_crl(path: &Path, crl_der: &[u8]) {
    use der::{Decode, Encode};
    let bytes = std::fs::read(path).unwrap();
    let ci = cms::content_info::ContentInfo::from_der(&bytes).unwrap();
    let mut fields: Vec<der::Any> = ci.content.decode_as().unwrap();
    let tag = der::Tag::ContextSpecific { constructed: true, number: der::TagNumber(1) };
    fields.insert(fields.len() - 1, der::Any::new(tag, crl_der.to_vec()).unwrap());
    let content = der::Any::encode_from(&fields).unwrap();
    let ci = cms::content_info::ContentInfo { content_type: ci.content_type, content };
    std::fs::write(path, ci.to_der().unwrap()).unwrap();
}

#[test]
fn crl_embedded_in_the_signed_data_is_used_and_a_revoked_issuing_ca_revokes_its_signers() {
    let c = case();
    c.pki.revoke(By::Sub, &c.unit, "keyCompromise");
    let sub_crl = c.pki.crl(By::Sub, "sub-crl.pem", 30);
    let der = kyso::objects::crls(&std::fs::read(&sub_crl).unwrap()).unwrap().remove(0);
    embed_crl(&c.pki.path("cv.txt.p7s"), &der);
    // no --crl: the embedded CRL is verified and used
    let (code, v) = verify_case(&c, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "REVOKED".into()));

    // an issuing CA revoked by the root: every signer under it is revoked
    let c = case();
    c.pki.revoke(By::Root, &c.pki.sub, "cACompromise");
    let root_crl = c.pki.crl(By::Root, "root-crl.pem", 30);
    let sub_crl = c.pki.crl(By::Sub, "sub-crl.pem", 30);
    let (code, v) = verify_case(&c, &["--crl", s(&root_crl), "--crl", s(&sub_crl)]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "REVOKED".into()));
    assert!(check(&v, "revocation").1.contains("Test Issuing CA"), "{v:#}");
    // without the root's CRL the issuing CA's status is unknown: TRY_LATER under require
    let (code, v) = verify_case(&c, &["--crl", s(&sub_crl), "--revocation", "require"]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(sig0(&v), ("INDETERMINATE".into(), "TRY_LATER".into()));
}

#[test]
fn openssl_rsa_pss_with_its_default_maximum_salt_and_other_salts_verifies() {
    let pki = Pki::new(KeyKind::Rsa2048);
    let unit = pki.leaf("Unit PSS", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = write_doc(&pki, "p.txt", DOC);
    let chain = s(&pki.sub.cert).to_string();
    let cases: [(&str, &[&str], &str); 4] = [
        ("max256.p7s", &["-md", "sha256", "-keyopt", "rsa_padding_mode:pss"], "RSASSA-PSS with SHA-256 (salt 222 bytes)"),
        ("max384.p7s", &["-md", "sha384", "-keyopt", "rsa_padding_mode:pss"], "RSASSA-PSS with SHA-384 (salt 206 bytes)"),
        ("s32.p7s", &["-md", "sha256", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"], "RSASSA-PSS with SHA-256"),
        ("s0.p7s", &["-md", "sha512", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:0"], "RSASSA-PSS with SHA-512 (salt 0 bytes)"),
    ];
    for (out, extra, alg) in cases {
        let mut a: Vec<&str> = vec!["-cades", "-certfile", &chain];
        a.extend_from_slice(extra);
        cms_sign(&pki, &unit, &doc, out, &a);
        let (ok, err) = openssl_cms_verify(pki.dir.path(), &pki.path(out), &doc, &pki.root.cert, &[]);
        assert!(ok, "{out}: {err}");
        let (code, v) = verify_json(&pki, &["p.txt", "--sig", out, "--trust", s(&pki.root.cert)]);
        assert_eq!(code, 0, "{out}: {v:#}");
        assert_eq!(v["documents"][0]["signatures"][0]["signature_algorithm"], alg, "{out}");
        // one flipped bit of the signature value
        let mut b = std::fs::read(pki.path(out)).unwrap();
        let last = b.len() - 1;
        b[last] ^= 0x01;
        let bad = format!("bad-{out}");
        std::fs::write(pki.path(&bad), &b).unwrap();
        let (code, v) = verify_json(&pki, &["p.txt", "--sig", &bad, "--trust", s(&pki.root.cert)]);
        assert_eq!(code, 1, "{bad}: {v:#}");
        assert_eq!(sig0(&v), ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into()), "{bad}");
    }
}
