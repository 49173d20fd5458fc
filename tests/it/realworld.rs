//! Issue 15: what real signing tools write, made here by an independent tool (the `openssl` CLI)
//! and verified by kyso and by OpenSSL (`openssl cms -verify`, the oracle) — the shapes of
//! `openssl cms -sign -stream` (BER), `-noattr` (PKCS#7 without signed attributes),
//! `-nosmimecap`, `-econtent_type`; signed attributes sent unsorted (signed over their DER form,
//! or over the order sent); an ESS issuerSerial spelt with another string type; a 2012-style
//! RSA-1024/SHA-1 document under both policies; ECDSA with SHA-1; SHA-3 with RSA (CMS) and ECDSA
//! (certificates); P-521 and brainpool certificates and signatures; a nonRepudiation-only signer
//! certificate under `strict`; the real-world encrypted PDFs of the corpus (verified without
//! decrypting). Where a structure is edited after OpenSSL made it, the edited signed attributes
//! are signed again with `openssl dgst -sign` (the maths stay OpenSSL's).
//!
//! Ed448: OpenSSL 3.0's CMS cannot sign with it ("no default digest"); the corpus has a
//! pyHanko-made Ed448 PDF (`ed448-shake256-nolen`, oracle pyHanko) and one with a disallowed
//! digest (`ed448-disallowed-hash`).

use crate::cli::{run, summary};
use crate::pki::{openssl, openssl_cms_verify, KeyKind, Leaf, Party, Pki};
use crate::robust_mutation::{serialize, tree, Node};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DOC: &str = "QUYẾT ĐỊNH số 15/QĐ-UBND\nV/v chữ ký số từ các công cụ khác\n";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `openssl cms -sign` of `doc` by `signer` (DER, detached; the sub-CA embedded), with `extra`.
fn cms_sign(pki: &Pki, signer: &Party, doc: &Path, out: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["cms", "-sign", "-binary", "-outform", "DER", "-signer", s(&signer.cert), "-inkey", s(&signer.key)];
    args.extend(["-certfile", s(&pki.sub.cert), "-in", s(doc), "-out", out]);
    args.extend_from_slice(extra);
    let o = openssl(pki.dir.path(), &args);
    assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    pki.path(out)
}

/// `kyso verify DOC --sig SIG --trust root --revocation off --json --lang en` plus `extra`.
fn verify(pki: &Pki, doc: &Path, sig: &Path, extra: &[&str]) -> (i32, Value) {
    let mut a = vec!["verify", s(doc), "--sig", s(sig), "--trust", s(&pki.root.cert), "--revocation", "off", "--json", "--lang", "en"];
    a.extend_from_slice(extra);
    let (code, out, err) = summary(&run(pki.dir.path(), &a));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

/// The human report (English), for the advice lines.
fn verify_text(pki: &Pki, doc: &Path, sig: &Path, extra: &[&str]) -> String {
    let mut a = vec!["verify", s(doc), "--sig", s(sig), "--trust", s(&pki.root.cert), "--revocation", "off", "--lang", "en"];
    a.extend_from_slice(extra);
    summary(&run(pki.dir.path(), &a)).1
}

fn sig0(v: &Value) -> (String, String) {
    let sig = &v["documents"][0]["signatures"][0];
    (sig["indication"].as_str().unwrap_or("").to_string(), sig["sub_indication"].as_str().unwrap_or("").to_string())
}

fn warnings(v: &Value) -> String {
    v["documents"][0]["signatures"][0]["warnings"].to_string()
}

fn check(v: &Value, name: &str) -> (String, String) {
    let checks = v["documents"][0]["signatures"][0]["checks"].as_array().cloned().unwrap_or_default();
    let c = checks.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no check {name} in {v:#}"));
    (c["status"].as_str().unwrap().to_string(), c["detail"].as_str().unwrap().to_string())
}

/// The oracle: `openssl cms -verify` of `sig` over `doc` to the test root (the sub-CA is in the
/// signature), with `extra` options.
fn oracle(pki: &Pki, sig: &Path, doc: &Path, extra: &[&str]) {
    let (ok, err) = openssl_cms_verify(pki.dir.path(), sig, doc, &pki.root.cert, extra);
    assert!(ok, "OpenSSL does not verify {}: {err}", sig.display());
}

fn passed(v: &Value) {
    assert_eq!(sig0(v), ("TOTAL_PASSED".into(), "".into()), "{v:#}");
}

/// The SignerInfo of a one-signer ContentInfo tree.
fn signer_info(ci: &mut [Node]) -> &mut Node {
    let sd = &mut ci[0].kids.as_mut().unwrap()[1].kids.as_mut().unwrap()[0];
    let set = sd.kids.as_mut().unwrap().last_mut().unwrap();
    &mut set.kids.as_mut().unwrap()[0]
}

/// The signed attributes ([0]) of a SignerInfo.
fn attrs(si: &mut Node) -> &mut Node {
    si.kids.as_mut().unwrap().iter_mut().find(|n| n.tag == 0xa0).expect("signed attributes")
}

/// Signs the SignerInfo's signed attributes again (their SET OF encoding, as they now stand) with
/// `key` and SHA-256, with `openssl dgst -sign`, and puts the value in place.
fn resign(pki: &Pki, si: &mut Node, key: &Path) {
    let set = Node { tag: 0x31, form: None, prim: Vec::new(), kids: attrs(si).kids.clone() };
    let mut bytes = Vec::new();
    serialize(std::slice::from_ref(&set), &mut bytes);
    let tbs = crate::pki::write(pki.dir.path(), "tbs.der", &bytes);
    let o = openssl(pki.dir.path(), &["dgst", "-sha256", "-sign", s(key), "-out", "tbs.sig", s(&tbs)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sig = std::fs::read(pki.path("tbs.sig")).unwrap();
    si.kids.as_mut().unwrap().iter_mut().find(|n| n.tag == 0x04).unwrap().prim = sig;
}

fn write_tree(pki: &Pki, name: &str, t: &[Node]) -> PathBuf {
    let mut out = Vec::new();
    serialize(t, &mut out);
    crate::pki::write(pki.dir.path(), name, &out)
}

/// Puts the children of a SET OF out of DER order (largest encoding first).
fn unsort(n: &mut Node) {
    let kids = n.kids.as_mut().unwrap();
    let enc = |k: &Node| {
        let mut b = Vec::new();
        serialize(std::slice::from_ref(k), &mut b);
        b
    };
    kids.sort_by_key(|k| std::cmp::Reverse(enc(k)));
}

#[test]
fn openssl_cms_shapes_verify() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn phòng UBND", Leaf::default());
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let shapes: [(&str, &[&str]); 5] = [
        ("stream.p7s", &["-stream", "-md", "sha256"]),
        ("cades.p7s", &["-cades", "-md", "sha384"]),
        ("nosmimecap.p7s", &["-nosmimecap", "-md", "sha256"]),
        ("noattr.p7s", &["-noattr", "-md", "sha256"]),
        ("econtent.p7s", &["-econtent_type", "1.2.840.113549.1.9.16.1.99", "-md", "sha256"]),
    ];
    for (name, extra) in shapes {
        let sig = cms_sign(&pki, &unit, &doc, name, extra);
        oracle(&pki, &sig, &doc, &[]);
        let (code, v) = verify(&pki, &doc, &sig, &[]);
        assert_eq!(code, 0, "{name}: {v:#}");
        passed(&v);
        match name {
            "stream.p7s" => assert_eq!(std::fs::read(&sig).unwrap()[1], 0x80, "not BER (indefinite length)"),
            "noattr.p7s" => {
                assert!(warnings(&v).contains("PKCS#7 signature without signed attributes"), "{v:#}");
                assert!(check(&v, "message_digest").1.contains("SHA-256 of the document matches"));
                assert_eq!(v["documents"][0]["signatures"][0]["signing_time"], Value::Null);
            }
            "econtent.p7s" => assert_eq!(check(&v, "content_type").1, "1.2.840.113549.1.9.16.1.99"),
            _ => assert!(!warnings(&v).contains("PKCS#7"), "{name}: {v:#}"),
        }
    }
    // The document changed after signing: without signed attributes, ECDSA cannot tell a changed
    // document from a wrong signature (SIG_CRYPTO_FAILURE); OpenSSL fails too.
    let other = crate::pki::write(pki.dir.path(), "other.txt", b"another document");
    let (code, v) = verify(&pki, &other, &pki.path("noattr.p7s"), &[]);
    assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into())), "{v:#}");
    assert!(!openssl_cms_verify(pki.dir.path(), &pki.path("noattr.p7s"), &other, &pki.root.cert, &[]).0);
}

#[test]
fn pkcs7_without_attributes_rsa_tells_a_changed_document_from_a_forgery() {
    let pki = Pki::new(KeyKind::Rsa2048);
    let unit = pki.leaf("Sở Y tế", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "noattr.p7s", &["-noattr", "-md", "sha256"]);
    oracle(&pki, &sig, &doc, &[]);
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    // RSA PKCS#1 v1.5 recovers the signed digest: another document is HASH_FAILURE, and the
    // report shows both digests.
    let other = crate::pki::write(pki.dir.path(), "other.txt", b"another document");
    let (code, v) = verify(&pki, &other, &sig, &[]);
    assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "HASH_FAILURE".into())), "{v:#}");
    assert!(check(&v, "message_digest").1.contains("the signature says"), "{v:#}");
    // A flipped bit in the signature value: SIG_CRYPTO_FAILURE.
    let mut t = tree(&std::fs::read(&sig).unwrap()).unwrap();
    let value = signer_info(&mut t).kids.as_mut().unwrap().iter_mut().find(|n| n.tag == 0x04).unwrap();
    value.prim[10] ^= 1;
    let bad = write_tree(&pki, "bad.p7s", &t);
    let (code, v) = verify(&pki, &doc, &bad, &[]);
    assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into())), "{v:#}");
    assert!(!openssl_cms_verify(pki.dir.path(), &bad, &doc, &pki.root.cert, &[]).0);
}

#[test]
fn pkcs7_without_attributes_needs_id_data() {
    // RFC 5652 §5.3: without signed attributes the content type must be id-data. OpenSSL writes
    // such a file when asked; kyso refuses it (FORMAT_FAILURE), whatever the maths say.
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Tư pháp", Leaf::default());
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let mut args = vec!["cms", "-sign", "-binary", "-outform", "DER", "-noattr", "-econtent_type", "1.2.840.113549.1.9.16.1.99"];
    args.extend(["-signer", s(&unit.cert), "-inkey", s(&unit.key), "-in", s(&doc), "-out", "x.p7s"]);
    if !openssl(pki.dir.path(), &args).status.success() {
        return; // this OpenSSL refuses to write it: nothing to verify
    }
    let (code, v) = verify(&pki, &doc, &pki.path("x.p7s"), &[]);
    assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "FORMAT_FAILURE".into())), "{v:#}");
    assert!(check(&v, "content_type").1.contains("signed attributes are then required"), "{v:#}");
}

#[test]
fn unsorted_signed_attributes_verify_over_the_form_that_was_signed() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Nội vụ", Leaf::default());
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "sorted.p7s", &["-cades", "-md", "sha256"]);
    // 1. Sent out of order, signed over the DER (sorted) form — RFC 5652 §5.4. The oracle is
    // OpenSSL on the form that was signed (OpenSSL verifies the order it receives).
    let mut t = tree(&std::fs::read(&sig).unwrap()).unwrap();
    unsort(attrs(signer_info(&mut t)));
    let unsorted = write_tree(&pki, "unsorted.p7s", &t);
    assert_ne!(std::fs::read(&unsorted).unwrap(), std::fs::read(&sig).unwrap());
    oracle(&pki, &sig, &doc, &[]);
    assert!(!openssl_cms_verify(pki.dir.path(), &unsorted, &doc, &pki.root.cert, &[]).0, "OpenSSL verifies as received");
    let (code, v) = verify(&pki, &doc, &unsorted, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    assert!(warnings(&v).contains("the signature covers their DER (sorted) form"), "{v:#}");
    // 2. Signed in the order sent (not DER): verified as received, and said so. Oracle: OpenSSL,
    // which verifies the order it receives.
    resign(&pki, signer_info(&mut t), &unit.key);
    let as_sent = write_tree(&pki, "as-sent.p7s", &t);
    oracle(&pki, &as_sent, &doc, &[]);
    let (code, v) = verify(&pki, &doc, &as_sent, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    assert!(warnings(&v).contains("the signature covers them in the order sent"), "{v:#}");
    // 3. A signature that fits neither form: SIG_CRYPTO_FAILURE.
    let value = signer_info(&mut t).kids.as_mut().unwrap().iter_mut().find(|n| n.tag == 0x04).unwrap();
    value.prim[12] ^= 0x40;
    let bad = write_tree(&pki, "bad.p7s", &t);
    let (code, v) = verify(&pki, &doc, &bad, &[]);
    assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "SIG_CRYPTO_FAILURE".into())), "{v:#}");
}

/// The last UTF8String under `n` (in the issuerSerial of OpenSSL's signing-certificate-v2: the
/// issuer's CN).
fn last_utf8(n: &mut Node) -> Option<&mut Node> {
    if n.tag == 0x0c {
        return Some(n);
    }
    n.kids.iter_mut().flatten().rev().find_map(last_utf8)
}

#[test]
fn ess_issuer_serial_is_compared_as_names() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Tài chính", Leaf::default());
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "cades.p7s", &["-cades", "-md", "sha256"]);
    let edit = |f: &dyn Fn(&mut Node)| -> PathBuf {
        let mut t = tree(&std::fs::read(&sig).unwrap()).unwrap();
        let si = signer_info(&mut t);
        let scv2 = attrs(si)
            .kids
            .as_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a.kids.as_ref().unwrap()[0].prim == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f])
            .expect("signing-certificate-v2 (OpenSSL -cades)");
        f(scv2);
        resign(&pki, si, &unit.key);
        write_tree(&pki, "edited.p7s", &t)
    };
    // The issuer's CN spelt as PrintableString instead of UTF8String: the same name (RFC 5280
    // §7.1), so the same certificate.
    let respelt = edit(&|a: &mut Node| {
        let node = last_utf8(a).expect("a UTF8String in issuerSerial");
        assert_eq!(node.prim, b"Test Issuing CA");
        node.tag = 0x13;
        node.prim = b"TEST ISSUING CA".to_vec(); // case differs too: RFC 4518 folds it
    });
    oracle(&pki, &respelt, &doc, &[]);
    let (code, v) = verify(&pki, &doc, &respelt, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    assert!(check(&v, "signing_certificate").1.contains("signing-certificate-v2 matches"), "{v:#}");
    // Another issuer name: the attribute names another certificate.
    let other = edit(&|a: &mut Node| {
        last_utf8(a).expect("a UTF8String in issuerSerial").prim = b"Test Issuing CB".to_vec();
    });
    let (code, v) = verify(&pki, &doc, &other, &[]);
    assert_eq!((code, sig0(&v)), (3, ("INDETERMINATE".into(), "NO_SIGNING_CERTIFICATE_FOUND".into())), "{v:#}");
    assert!(check(&v, "signing_certificate").1.contains("another issuer or serial number"), "{v:#}");
}

#[test]
fn legacy_2012_document_rsa_1024_sha1() {
    // A 2012-style document: RSA-2048 CAs signing with SHA-1, a nonRepudiation-only RSA-1024 unit
    // certificate, the CMS digest SHA-1.
    let pki = Pki::new(KeyKind::Rsa2048);
    let leaf = Leaf {
        key: KeyKind::Rsa1024,
        md: "sha1".into(),
        key_usage: Some("critical,nonRepudiation".into()),
        eku: None,
        ..Leaf::default()
    };
    let unit = pki.leaf("UBND tỉnh (2012)", leaf);
    let doc = crate::pki::write(pki.dir.path(), "qd-2012.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "qd-2012.txt.p7s", &["-md", "sha1"]);
    oracle(&pki, &sig, &doc, &["-auth_level", "0"]);
    // strict: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE — the maths verify, the policy refuses.
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!((code, sig0(&v)), (3, ("INDETERMINATE".into(), "CRYPTO_CONSTRAINTS_FAILURE".into())), "{v:#}");
    assert_eq!(check(&v, "signature").0, "passed", "{v:#}");
    let text = verify_text(&pki, &doc, &sig, &[]);
    assert!(text.contains("How to proceed:") && text.contains("legacy policy (--policy legacy)"), "{text}");
    let vi = summary(&run(pki.dir.path(), &["verify", s(&doc), "--sig", s(&sig), "--trust", s(&pki.root.cert), "--revocation", "off"])).1;
    assert!(vi.contains("Cách xử lý:") && vi.contains("(--policy legacy)"), "{vi}");
    // legacy: TOTAL_PASSED, with a warning for each concession.
    let (code, v) = verify(&pki, &doc, &sig, &["--policy", "legacy"]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    let w = warnings(&v);
    assert!(w.contains("RSA key of 1024 bits accepted") && w.contains("the signature uses SHA-1"), "{w}");
    assert!(w.contains("is signed with SHA-1"), "{w}");
    assert!(!text.contains("decrypt"));
}

#[test]
fn legacy_rsa_1024_certificate_authorities() {
    // The whole hierarchy on RSA-1024 (certificates signed with SHA-256): the path engine checks
    // 1024-bit signatures itself under legacy and refuses them under strict.
    let pki = Pki::new(KeyKind::Rsa1024);
    let unit = pki.leaf("Sở Xây dựng", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "qd.p7s", &["-md", "sha256"]);
    oracle(&pki, &sig, &doc, &["-auth_level", "0"]);
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!((code, sig0(&v)), (3, ("INDETERMINATE".into(), "CRYPTO_CONSTRAINTS_FAILURE".into())), "{v:#}");
    assert!(check(&v, "certificate_path").1.contains("RSA 1024 bits"), "{v:#}");
    let (code, v) = verify(&pki, &doc, &sig, &["--policy", "legacy"]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
}

#[test]
fn ecdsa_with_sha1_is_legacy_only() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Công Thương", Leaf::default());
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "qd.p7s", &["-md", "sha1"]);
    oracle(&pki, &sig, &doc, &["-auth_level", "0"]);
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!((code, sig0(&v)), (3, ("INDETERMINATE".into(), "CRYPTO_CONSTRAINTS_FAILURE".into())), "{v:#}");
    assert_eq!(check(&v, "signature").0, "passed", "{v:#}");
    let (code, v) = verify(&pki, &doc, &sig, &["--policy", "legacy"]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    assert!(warnings(&v).contains("the signature uses SHA-1"), "{v:#}");
}

#[test]
fn non_repudiation_only_is_accepted_under_strict() {
    let pki = Pki::new(KeyKind::P256);
    let leaf = Leaf { key_usage: Some("critical,nonRepudiation".into()), ..Leaf::default() };
    let unit = pki.leaf("Lãnh đạo UBND", leaf);
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "qd.p7s", &["-md", "sha256"]);
    oracle(&pki, &sig, &doc, &[]);
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    assert!(check(&v, "signer_key_usage").1.contains("nonRepudiation"), "{v:#}");
    assert!(!warnings(&v).contains("nonRepudiation"), "{v:#}");
}

/// Curves and digests ring lacks, end to end: the CAs and the unit on the same curve (so the
/// certificate signatures use it too), OpenSSL's CMS signature, strict policy.
#[test]
fn p521_and_brainpool_certificates_and_signatures() {
    for (kind, md, scheme) in [
        (KeyKind::P521, "sha512", "ECDSA with SHA-512"),
        (KeyKind::BrainpoolP256, "sha256", "ECDSA with SHA-256"),
        (KeyKind::BrainpoolP384, "sha384", "ECDSA with SHA-384"),
        (KeyKind::P256, "sha512", "ECDSA with SHA-512"),
    ] {
        let pki = Pki::new(kind);
        let unit = pki.leaf("Sở Khoa học", Leaf { key: kind, ..Leaf::default() });
        let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
        let sig = cms_sign(&pki, &unit, &doc, "qd.p7s", &["-md", md]);
        oracle(&pki, &sig, &doc, &[]);
        let (code, v) = verify(&pki, &doc, &sig, &[]);
        assert_eq!(code, 0, "{kind:?}: {v:#}");
        passed(&v);
        assert_eq!(v["documents"][0]["signatures"][0]["signature_algorithm"], scheme, "{kind:?}");
        // A changed document is still caught.
        let other = crate::pki::write(pki.dir.path(), "other.txt", b"x");
        let (code, v) = verify(&pki, &other, &sig, &[]);
        assert_eq!((code, sig0(&v)), (1, ("TOTAL_FAILED".into(), "HASH_FAILURE".into())), "{kind:?}: {v:#}");
    }
}

#[test]
fn sha3_with_rsa_and_ecdsa() {
    // RSA: OpenSSL's CMS with SHA3-256/384/512 (rsaEncryption with the SHA-3 digest, PKCS#1 v1.5;
    // OpenSSL 3.0 cannot write RSASSA-PSS parameters with SHA-3: "rsa_generate_signature_aid:
    // internal error"); the unit certificate signed with RSA-SHA3-256.
    let pki = Pki::new(KeyKind::Rsa2048);
    let unit = pki.leaf("Sở Giáo dục", Leaf { key: KeyKind::Rsa2048, md: "sha3-256".into(), ..Leaf::default() });
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    for (md, pss) in [("sha3-256", false), ("sha3-384", false), ("sha3-512", false), ("sha256", true)] {
        let name = format!("{md}-{pss}.p7s");
        let mut extra = vec!["-md", md];
        if pss {
            extra.extend(["-keyopt", "rsa_padding_mode:pss"]);
        }
        let sig = cms_sign(&pki, &unit, &doc, &name, &extra);
        oracle(&pki, &sig, &doc, &[]);
        let (code, v) = verify(&pki, &doc, &sig, &[]);
        assert_eq!(code, 0, "{name}: {v:#}");
        passed(&v);
        assert!(check(&v, "message_digest").1.starts_with(if pss { "SHA-256" } else { "SHA3-" }), "{v:#}");
    }
    // ECDSA: OpenSSL 3.0's CMS has no ECDSA with SHA-3, but its certificates do: a unit
    // certificate signed with ecdsa-with-SHA3-384 by the P-256 sub-CA.
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Sở Văn hóa", Leaf { md: "sha3-384".into(), ..Leaf::default() });
    let text = String::from_utf8(openssl(pki.dir.path(), &["x509", "-in", s(&unit.cert), "-noout", "-text"]).stdout).unwrap();
    assert!(text.contains("ecdsa_with_SHA3-384") || text.contains("ecdsa-with-SHA3-384"), "{text}");
    // OpenSSL 3.0 cannot build a path through an ecdsa-with-SHA3 signature ("unable to get local
    // issuer certificate"), so the oracle checks that certificate signature on its own — `openssl
    // dgst -sha3-384 -verify` with the sub-CA's key over the TBSCertificate — and the CMS with
    // -noverify.
    let der = String::from_utf8(openssl(pki.dir.path(), &["x509", "-in", s(&unit.cert), "-outform", "DER", "-out", "leaf.der"]).stderr).unwrap();
    assert!(der.is_empty(), "{der}");
    let cert = std::fs::read(pki.path("leaf.der")).unwrap();
    let top = kyso::asn1::read_all(&cert).unwrap();
    let (tbs, rest) = kyso::asn1::read(top.body).unwrap();
    let (_, rest) = kyso::asn1::read(rest).unwrap();
    let bits = kyso::asn1::read_all(rest).unwrap();
    crate::pki::write(pki.dir.path(), "tbs.der", tbs.raw);
    crate::pki::write(pki.dir.path(), "tbs.sig", &bits.body[1..]);
    openssl(pki.dir.path(), &["x509", "-in", s(&pki.sub.cert), "-pubkey", "-noout", "-out", "sub.pub"]);
    let o = openssl(pki.dir.path(), &["dgst", "-sha3-384", "-verify", "sub.pub", "-signature", "tbs.sig", "tbs.der"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Verified OK"));
    let doc = crate::pki::write(pki.dir.path(), "qd.txt", DOC.as_bytes());
    let sig = cms_sign(&pki, &unit, &doc, "qd.p7s", &["-md", "sha256"]);
    oracle(&pki, &sig, &doc, &["-noverify"]);
    let (code, v) = verify(&pki, &doc, &sig, &[]);
    assert_eq!(code, 0, "{v:#}");
    passed(&v);
    // The same certificate with a flipped bit in its signature: no path (kyso checks the SHA-3
    // signature, it does not skip it).
    let mut bad = cert.clone();
    let last = bad.len() - 3;
    bad[last] ^= 1;
    let chain = crate::pki::write(pki.dir.path(), "bad-leaf.der", &bad);
    let (code, out, _) = summary(&run(pki.dir.path(), &["cert", "verify", s(&chain), "--trust", s(&pki.root.cert), "--chain", s(&pki.sub.cert), "--revocation", "off", "--json"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("NO_CERTIFICATE_CHAIN_FOUND"), "{out}");
    let (code, out, _) = summary(&run(pki.dir.path(), &["cert", "verify", s(&pki.path("leaf.der")), "--trust", s(&pki.root.cert), "--chain", s(&pki.sub.cert), "--revocation", "off", "--json"]));
    assert_eq!(code, 0, "{out}");
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The corpus's encrypted PDFs (EU DSS: RC4, empty user password; pyHanko: public-key
/// encryption kyso has no key for) are verified without decrypting them, with a warning that
/// says so, and never with the advice to decrypt (which would destroy the signatures).
#[test]
fn encrypted_pdfs_are_verified_without_decrypting() {
    let dir = corpus();
    for (file, root, at, expect) in [
        ("dss/encrypted.pdf", "roots/PostSignum-Root-QCA-2-a0f8db3f.pem", "2018-09-01T14:28:46Z", "empty user password"),
        (
            "pyhanko/signed-encrypted-pubkey-with-catalog-ref.pdf",
            "roots/Root-CA-bd24568d.pem",
            "2020-07-01T12:00:00Z",
            "encrypted for particular recipients",
        ),
    ] {
        let args = ["verify", file, "--trust", root, "--at", at, "--revocation", "off", "--lang", "en"];
        let (code, out, err) = summary(&run(&dir, &args));
        assert_eq!(code, 0, "{file}: {out}{err}");
        assert!(out.contains(expect), "{file}: {out}");
        assert!(!out.contains("qpdf") && !out.to_lowercase().contains("decrypt it"), "{out}");
        let (_, json, _) = summary(&run(&dir, &[&args[..], &["--json"]].concat()));
        let v: Value = serde_json::from_str(&json).unwrap();
        passed(&v);
        assert!(v.to_string().contains("\"code\":\"pdf_encrypted\"") || warnings(&v).contains("encrypted"), "{v:#}");
    }
}
