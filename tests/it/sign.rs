//! `kyso sign` against the real `openssl` CLI: every signature kyso writes is verified by
//! `openssl cms -verify`, and refusals are checked by exit code and message.

use crate::cli::{kyso, summary};
use crate::pki::{openssl, openssl_cms_verify, refused_because, write, By, KeyKind, Leaf, Party, Pki};
use std::path::{Path, PathBuf};
use std::process::Output;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `kyso sign` in the PKI folder.
fn sign(pki: &Pki, args: &[&str]) -> Output {
    kyso().arg("sign").args(args).current_dir(pki.dir.path()).output().unwrap()
}

fn sign_ok(pki: &Pki, party: &Party, chain: Option<&Path>, extra: &[&str], doc: &Path) {
    let mut args = vec!["--cert", s(&party.cert), "--key", s(&party.key)];
    if let Some(c) = chain {
        args.extend(["--chain", s(c)]);
    }
    args.extend_from_slice(extra);
    args.push(s(doc));
    let (code, _, err) = summary(&sign(pki, &args));
    assert_eq!(code, 0, "kyso sign {args:?}: {err}");
}

fn p7s(doc: &Path) -> PathBuf {
    let mut p = doc.as_os_str().to_owned();
    p.push(".p7s");
    PathBuf::from(p)
}

fn verify(pki: &Pki, doc: &Path) -> (bool, String) {
    openssl_cms_verify(pki.dir.path(), &p7s(doc), doc, &pki.root.cert, &[])
}

fn cms_print(pki: &Pki, sig: &Path) -> String {
    let o = openssl(pki.dir.path(), &["cms", "-cmsout", "-print", "-inform", "DER", "-in", s(sig)]);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn each_key_type_signs_through_the_issuing_ca_and_openssl_verifies() {
    let pki = Pki::new(KeyKind::P256);
    // A chain file as `ca init --parent` writes it: the issuing CA and the root (left out).
    let mut bundle = std::fs::read(&pki.sub.cert).unwrap();
    bundle.extend(std::fs::read(&pki.root.cert).unwrap());
    let bundle = write(pki.dir.path(), "chain-with-root.pem", &bundle);
    for (kind, extra, sig_alg, digest) in [
        (KeyKind::P256, &[][..], "ecdsa-with-SHA256", "sha256"),
        (KeyKind::P384, &[][..], "ecdsa-with-SHA384", "sha384"),
        (KeyKind::Rsa2048, &[][..], "rsassaPss", "sha256"),
        (KeyKind::Rsa2048, &["--rsa-pkcs1"][..], "sha256WithRSAEncryption", "sha256"),
    ] {
      for by in [By::Sub, By::Root] {
        let unit = pki.leaf(&format!("Sở Y tế {kind:?} {extra:?} {by:?}"), Leaf { key: kind, by, ..Leaf::default() });
        let doc = write(pki.dir.path(), &format!("doc-{kind:?}-{}-{by:?}.txt", extra.len()), "Giấy mời số 45/GM-SYT".as_bytes());
        // Through the issuing CA the chain file is needed; straight from the root, none.
        let chain = (by == By::Sub).then(|| bundle.clone());
        sign_ok(&pki, &unit, chain.as_deref(), extra, &doc);
        let (ok, err) = verify(&pki, &doc);
        assert!(ok, "{kind:?} {extra:?}: openssl cms -verify failed: {err}");
        let printed = cms_print(&pki, &p7s(&doc));
        assert!(printed.contains(&format!("signatureAlgorithm: \n          algorithm: {sig_alg}")), "{kind:?}: {printed}");
        assert!(printed.contains(&format!("digestAlgorithm: \n          algorithm: {digest}")), "{kind:?}: {printed}");
        // the chain is embedded without the root: the signer and (through it) the issuing CA
        assert_eq!(printed.matches("d.certificate:").count(), if by == By::Sub { 2 } else { 1 }, "{printed}");
        assert!(!printed.contains("subject: C=VN, O=Test Province, CN=Test Root CA"), "root embedded: {printed}");
        // modifying the document breaks it
        std::fs::write(&doc, "Giấy mời số 46/GM-SYT").unwrap();
        let (ok, err) = verify(&pki, &doc);
        refused_because(ok, &err, "content verify error").unwrap_or_else(|e| panic!("{kind:?}: modified document: {e}"));
      }
    }
}

#[test]
fn cmsout_print_shows_cades_signed_attributes() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn phòng UBND tỉnh Bắc Ninh", Leaf::default());
    let doc = write(pki.dir.path(), "cv.txt", b"Cong van 123");
    sign_ok(&pki, &unit, Some(&pki.chain()), &[], &doc);
    let printed = cms_print(&pki, &p7s(&doc));
    for attr in [
        "object: contentType (1.2.840.113549.1.9.3)",
        "object: messageDigest (1.2.840.113549.1.9.4)",
        "object: signingTime (1.2.840.113549.1.9.5)",
        "object: id-smime-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47)",
    ] {
        assert!(printed.contains(attr), "missing {attr}: {printed}");
    }
    assert!(printed.contains("d.issuerAndSerialNumber:"), "{printed}");
    assert!(printed.contains("eContent: <ABSENT>"), "not detached: {printed}");
    // DER, not BER: asn1parse shows no indefinite lengths
    let o = openssl(pki.dir.path(), &["asn1parse", "-inform", "DER", "-in", s(&p7s(&doc))]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("l=inf"));
}

#[test]
fn person_then_agency_through_root_and_issuing_ca() {
    let pki = Pki::new(KeyKind::P256);
    // The person's certificate comes straight from the root, the agency's from the issuing CA.
    let person = pki.leaf("Trần Thị Bình", Leaf { by: By::Root, key: KeyKind::P384, ..Leaf::default() });
    let agency = pki.leaf("Sở Y tế tỉnh Bắc Ninh", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = write(pki.dir.path(), "giay-moi.txt", "GIẤY MỜI\nHọp thẩm định hồ sơ".as_bytes());
    sign_ok(&pki, &person, None, &[], &doc);
    let (ok, err) = verify(&pki, &doc);
    assert!(ok, "person alone: {err}");
    sign_ok(&pki, &agency, Some(&pki.chain()), &["--add"], &doc);
    let (ok, err) = verify(&pki, &doc);
    assert!(ok, "person + agency: {err}");
    let printed = cms_print(&pki, &p7s(&doc));
    assert_eq!(printed.matches("d.issuerAndSerialNumber:").count(), 2, "{printed}");
    assert_eq!(printed.matches("id-smime-aa-signingCertificateV2").count(), 2, "{printed}");
    assert_eq!(printed.matches("d.certificate:").count(), 3, "person + agency + issuing CA: {printed}");
    // Adding the same agency twice is refused.
    let o = sign(&pki, &["--add", "--cert", s(&agency.cert), "--key", s(&agency.key), s(&doc)]);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("this certificate has already signed it (signer "), "{err}");
    // Both signatures break when the document changes.
    std::fs::write(&doc, "GIẤY MỜI (sửa)").unwrap();
    assert!(!verify(&pki, &doc).0);
}

#[test]
fn add_onto_an_openssl_signature_der_and_ber() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Person", Leaf::default());
    let agency = pki.leaf("Agency", Leaf { key: KeyKind::P384, ..Leaf::default() });
    let d = pki.dir.path();
    let doc = write(d, "doc.bin", b"signed by openssl first");
    openssl(d, &["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-signer", s(&person.cert), "-inkey", s(&person.key), "-certfile", s(&pki.sub.cert), "-in", s(&doc), "-out", s(&p7s(&doc))]);
    sign_ok(&pki, &agency, Some(&pki.chain()), &["--add"], &doc);
    let (ok, err) = verify(&pki, &doc);
    assert!(ok, "{err}");
    let printed = cms_print(&pki, &p7s(&doc));
    assert_eq!(printed.matches("d.certificate:").count(), 3, "no duplicate certificates: {printed}");

    // `openssl cms -sign -stream` writes BER (indefinite lengths).
    let doc2 = write(d, "doc2.bin", b"streamed");
    openssl(d, &["cms", "-sign", "-stream", "-binary", "-outform", "DER", "-md", "sha256", "-signer", s(&person.cert), "-inkey", s(&person.key), "-in", s(&doc2), "-out", s(&p7s(&doc2))]);
    let o = sign(&pki, &["--add", "--cert", s(&agency.cert), "--key", s(&agency.key), "--chain", s(&pki.chain()), s(&doc2)]);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 0, "{err}");
    // normalised to DER (kyso writes DER), and both signatures verify
    let o = openssl(d, &["asn1parse", "-inform", "DER", "-in", s(&p7s(&doc2))]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("l=inf"));
    let (ok, e) = verify(&pki, &doc2);
    assert!(ok, "{e}");
    let printed = cms_print(&pki, &p7s(&doc2));
    assert_eq!(printed.matches("d.issuerAndSerialNumber:").count(), 2);
    // -stream made an attached signature; adding a signer keeps the content in it
    assert!(!printed.contains("eContent: <ABSENT>"), "{printed}");
}

#[test]
fn add_onto_a_signature_of_a_different_document_is_refused() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Person", Leaf::default());
    let agency = pki.leaf("Agency", Leaf::default());
    let a = write(pki.dir.path(), "a.txt", b"document A");
    let b = write(pki.dir.path(), "b.txt", b"document B");
    sign_ok(&pki, &person, Some(&pki.chain()), &[], &a);
    // Put A's signature where B's would be.
    std::fs::copy(p7s(&a), p7s(&b)).unwrap();
    let before = std::fs::read(p7s(&b)).unwrap();
    let o = sign(&pki, &["--add", "--cert", s(&agency.cert), "--key", s(&agency.key), s(&b)]);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the existing signature is not a signature of this document: signer 1's message digest (SHA-256) differs from the document's"),
        "{err}"
    );
    assert_eq!(std::fs::read(p7s(&b)).unwrap(), before);

    // --add without an existing signature
    let c = write(pki.dir.path(), "c.txt", b"document C");
    let (code, _, err) = summary(&sign(&pki, &["--add", "--cert", s(&agency.cert), "--key", s(&agency.key), s(&c)]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no signature c.txt.p7s to add to (drop --add to create it)") || err.contains("c.txt.p7s to add to"), "{err}");
}

#[test]
fn existing_signature_is_not_overwritten_without_force() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let doc = write(pki.dir.path(), "doc.txt", b"v1");
    std::fs::write(p7s(&doc), b"precious").unwrap();
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), s(&doc)]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("doc.txt.p7s already exists (use --force to replace it, or --add to add a signature)"), "{err}");
    assert_eq!(std::fs::read(p7s(&doc)).unwrap(), b"precious");
    sign_ok(&pki, &unit, Some(&pki.chain()), &["--force"], &doc);
    assert!(verify(&pki, &doc).0);
    // --force and --add together make no sense
    let (code, _, err) = summary(&sign(&pki, &["--force", "--add", "--cert", s(&unit.cert), "--key", s(&unit.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn out_and_out_dir() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let d = pki.dir.path();
    let doc = write(d, "doc.txt", b"text");
    let out = d.join("custom.sig");
    sign_ok(&pki, &unit, Some(&pki.chain()), &["--out", s(&out)], &doc);
    assert!(openssl_cms_verify(d, &out, &doc, &pki.root.cert, &[]).0);
    assert!(!p7s(&doc).exists());

    std::fs::create_dir(d.join("signed")).unwrap();
    let other = write(d, "other.txt", b"other");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), "--chain", s(&pki.chain()), "--out-dir", "signed", s(&doc), s(&other)]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("signed 2 of 2 files, 0 failed"), "{err}");
    for f in [&doc, &other] {
        let sig = d.join("signed").join(format!("{}.p7s", f.file_name().unwrap().to_str().unwrap()));
        assert!(openssl_cms_verify(d, &sig, f, &pki.root.cert, &[]).0);
    }
    // --out with two files is a usage error; a missing --out-dir too
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), "--out", "x.p7s", s(&doc), s(&other)]));
    assert_eq!((code, err.contains("--out takes one input file")), (2, true), "{err}");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), "--out-dir", "nowhere", s(&doc)]));
    assert_eq!((code, err.contains("the output folder nowhere does not exist")), (2, true), "{err}");
}

#[test]
fn empty_document() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let doc = write(pki.dir.path(), "empty.txt", b"");
    sign_ok(&pki, &unit, Some(&pki.chain()), &[], &doc);
    let (ok, err) = verify(&pki, &doc);
    assert!(ok, "{err}");
    // SHA-256 of nothing
    let printed = cms_print(&pki, &p7s(&doc));
    assert!(printed.contains("e3 b0 c4 42 98 fc 1c 14-9a fb f4 c8 99"), "{printed}");
}

#[test]
fn mismatched_key_is_refused_before_anything_is_written() {
    let pki = Pki::new(KeyKind::P256);
    let a = pki.leaf("A", Leaf::default());
    let b = pki.leaf("B", Leaf::default());
    let doc = write(pki.dir.path(), "doc.txt", b"x");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&a.cert), "--key", s(&b.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: the private key does not match the certificate"), "{err}");
    assert!(!p7s(&doc).exists());
}

#[test]
fn ca_and_wrong_key_usage_certificates_are_refused() {
    let pki = Pki::new(KeyKind::P256);
    let doc = write(pki.dir.path(), "doc.txt", b"x");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&pki.sub.cert), "--key", s(&pki.sub.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the certificate is a CA certificate"), "{err}");
    let enc = pki.leaf("Encryption only", Leaf { key_usage: Some("critical,keyEncipherment".into()), ..Leaf::default() });
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&enc.cert), "--key", s(&enc.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("keyUsage has neither digitalSignature nor nonRepudiation"), "{err}");
    let tls = pki.leaf("TLS", Leaf { eku: Some("serverAuth".into()), ..Leaf::default() });
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&tls.cert), "--key", s(&tls.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("extendedKeyUsage allows neither documentSigning"), "{err}");
    assert!(!p7s(&doc).exists());
}

/// A leaf issued by the sub-CA with explicit validity dates (`openssl ca` can back- and
/// forward-date; `openssl x509 -req` cannot).
fn dated_leaf(pki: &Pki, name: &str, start: &str, end: &str) -> Party {
    let d = pki.dir.path();
    let db = d.join(format!("{name}-db"));
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("index.txt"), "").unwrap();
    std::fs::write(db.join("serial"), "3000\n").unwrap();
    let cnf = write(
        d,
        &format!("{name}-ca.cnf"),
        format!(
            "[ca]\ndefault_ca=c\n[c]\ndatabase={db}/index.txt\nnew_certs_dir={db}\nserial={db}/serial\ncertificate={d}/sub.pem\n\
             private_key={d}/sub.key\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n\
             [ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n\
             extendedKeyUsage=emailProtection\n[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN={name}\n",
            db = db.display(),
            d = d.display()
        )
        .as_bytes(),
    );
    let key = format!("{name}.key");
    crate::pki::genkey(d, KeyKind::P256, &key);
    let csr = format!("{name}.csr");
    openssl(d, &["req", "-new", "-key", &key, "-config", s(&cnf), "-out", &csr]);
    let pem = format!("{name}.pem");
    openssl(d, &["ca", "-batch", "-notext", "-config", s(&cnf), "-extensions", "ext", "-startdate", start, "-enddate", end, "-in", &csr, "-out", &pem]);
    Party { cert: d.join(pem), key: d.join(key), name: name.into() }
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let pki = Pki::new(KeyKind::P256);
    let doc = write(pki.dir.path(), "doc.txt", b"x");
    let old = dated_leaf(&pki, "expired", "20200101000000Z", "20210101000000Z");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&old.cert), "--key", s(&old.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: the certificate expired on 2021-01-01T00:00:00Z (checked at "), "{err}");
    let future = dated_leaf(&pki, "future", "20450101000000Z", "20460101000000Z");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&future.cert), "--key", s(&future.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: the certificate is not yet valid: valid from 2045-01-01T00:00:00Z"), "{err}");
    assert!(!p7s(&doc).exists());
}

#[test]
fn encrypted_keys_with_pass_file_and_environment() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let d = pki.dir.path();
    // An openssl-encrypted key (PBES2, AES-256-CBC)
    openssl(d, &["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", s(&unit.key), "-out", "enc.key", "-passout", "pass:mật khẩu"]);
    let pass = write(d, "pass.txt", "mật khẩu\n".as_bytes());
    let doc = write(d, "doc.txt", b"x");
    let o = sign(&pki, &["--cert", s(&unit.cert), "--key", "enc.key", "--pass-file", s(&pass), "--chain", s(&pki.chain()), s(&doc)]);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("not encrypted"), "{err}");
    assert!(verify(&pki, &doc).0);

    // A kyso-encrypted key (scrypt), passphrase from the environment
    let key = kyso::PrivateKey::load(&std::fs::read(&unit.key).unwrap(), None).unwrap();
    let pem = key.to_encrypted_pem(b"env-secret", kyso::Kdf::Scrypt).unwrap();
    write(d, "kyso.key", pem.as_bytes());
    let doc2 = write(d, "doc2.txt", b"y");
    let o = kyso().args(["sign", "--cert", s(&unit.cert), "--key", "kyso.key", "--chain", s(&pki.chain()), s(&doc2)]).env("KYSO_PASSPHRASE", "env-secret").current_dir(d).output().unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 0, "{err}");
    assert!(verify(&pki, &doc2).0);

    // Wrong passphrase and no passphrase: exit 2, nothing written
    let doc3 = write(d, "doc3.txt", b"z");
    let o = kyso().args(["sign", "--cert", s(&unit.cert), "--key", "kyso.key", s(&doc3)]).env("KYSO_PASSPHRASE", "wrong").current_dir(d).output().unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wrong passphrase"), "{err}");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", "kyso.key", s(&doc3)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a passphrase is needed for the key kyso.key and none is available"), "{err}");
    assert!(!p7s(&doc3).exists());

    // An unencrypted openssl key works, with a warning
    let doc4 = write(d, "doc4.txt", b"w");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), s(&doc4)]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: the key") && err.contains("is not encrypted"), "{err}");
}

#[test]
fn rsa_pkcs1_flag_needs_an_rsa_key() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let doc = write(pki.dir.path(), "doc.txt", b"x");
    let (code, _, err) = summary(&sign(&pki, &["--rsa-pkcs1", "--cert", s(&unit.cert), "--key", s(&unit.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--rsa-pkcs1 applies to RSA keys"), "{err}");
}

#[test]
fn batch_of_hundreds_with_one_bad_path() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn thư", Leaf::default());
    let d = pki.dir.path();
    std::fs::create_dir(d.join("out")).unwrap();
    let mut files: Vec<String> = (0..300)
        .map(|i| {
            write(d, &format!("out/doc-{i:03}.txt"), format!("Văn bản số {i}/VP").as_bytes());
            format!("out/doc-{i:03}.txt")
        })
        .collect();
    files.insert(150, "out/missing.txt".into());
    let mut args = vec!["--cert", s(&unit.cert), "--key", s(&unit.key), "--chain", s(&pki.sub.cert)];
    args.extend(files.iter().map(String::as_str));
    let (code, _, err) = summary(&sign(&pki, &args));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error: out/missing.txt: the document does not exist"), "{err}");
    assert!(err.contains("signed 300 of 301 files, 1 failed"), "{err}");
    assert!(!d.join("out/missing.txt.p7s").exists());
    for i in [0, 149, 150, 299] {
        let doc = d.join(format!("out/doc-{i:03}.txt"));
        assert!(verify(&pki, &doc).0, "doc {i}");
    }
    let sigs = std::fs::read_dir(d.join("out")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "p7s")).count();
    assert_eq!(sigs, 300);
    // no temporary files left behind
    assert!(std::fs::read_dir(d.join("out")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".kyso-tmp")));
}

#[test]
fn a_single_missing_document_stops_the_run_with_2() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), "nope.txt"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: the document nope.txt does not exist"), "{err}");
}

/// A sparse file of 4 GiB is signed under a 1 GiB address-space limit (so it is streamed, not
/// read whole) and verified by openssl.
/// Run by .ci/run: `cargo test --release --test it sign::sparse_file_of_gigabytes -- --ignored`.
#[test]
#[ignore = "reads 4 GiB: run from .ci/run"]
fn sparse_file_of_gigabytes() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Unit", Leaf::default());
    let doc = pki.path("big.bin");
    let f = std::fs::File::create(&doc).unwrap();
    f.set_len(4 << 30).unwrap();
    drop(f);
    // Address space capped at 1 GiB, a quarter of the document: reading it whole would fail.
    let o = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 1048576 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_kyso")])
        .args(["sign", "--cert", s(&unit.cert), "--key", s(&unit.key), "--chain", s(&pki.chain()), s(&doc)])
        .env_remove("KYSO_PASSPHRASE")
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 0, "{err}");
    let (ok, err) = verify(&pki, &doc);
    assert!(ok, "{err}");
}

#[test]
fn describe_reads_openssl_and_kyso_signatures() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Nguyễn Văn An", Leaf::default());
    let agency = pki.leaf("Văn phòng UBND tỉnh Bắc Ninh", Leaf { key: KeyKind::P384, ..Leaf::default() });
    let d = pki.dir.path();
    let doc = write(d, "doc.txt", b"x");
    // OpenSSL's CAdES signature (-cades adds signingCertificateV2), DER and PEM
    openssl(d, &["cms", "-sign", "-cades", "-binary", "-outform", "DER", "-md", "sha256", "-signer", s(&person.cert), "-inkey", s(&person.key), "-in", s(&doc), "-out", "ossl.p7s"]);
    openssl(d, &["cms", "-sign", "-cades", "-binary", "-outform", "PEM", "-md", "sha256", "-signer", s(&person.cert), "-inkey", s(&person.key), "-in", s(&doc), "-out", "ossl.pem"]);
    for f in ["ossl.p7s", "ossl.pem"] {
        let text = kyso::cms::describe(&std::fs::read(d.join(f)).unwrap()).unwrap();
        assert!(text.contains("content: id-data (detached)"), "{f}: {text}");
        assert!(text.contains("signers: 1"), "{text}");
        assert!(text.contains("certificate: C=VN, O=Test Province, CN=Nguyễn Văn An"), "{text}");
        assert!(text.contains("signature algorithm: ECDSA with SHA-256"), "{text}");
        assert!(text.contains("signing-certificate-v2 present (SHA-256), matches the signer certificate"), "{text}");
    }
    // kyso person + agency
    sign_ok(&pki, &person, Some(&pki.chain()), &[], &doc);
    sign_ok(&pki, &agency, Some(&pki.chain()), &["--add"], &doc);
    let text = kyso::cms::describe(&std::fs::read(p7s(&doc)).unwrap()).unwrap();
    assert!(text.contains("digest algorithms: SHA-256, SHA-384") || text.contains("digest algorithms: SHA-384, SHA-256"), "{text}");
    assert!(text.contains("certificates: 3"), "{text}");
    assert!(text.contains("signers: 2"), "{text}");
    assert!(text.contains("signing-certificate-v2 present (SHA-384), matches the signer certificate"), "{text}");
    assert!(text.contains("certificate: C=VN, O=Test Province, CN=Văn phòng UBND tỉnh Bắc Ninh"), "{text}");
    // Not a signature
    assert!(kyso::cms::describe(b"hello").is_err());
}

#[test]
fn weak_rsa_key_and_duplicate_outputs_are_usage_errors() {
    let pki = Pki::new(KeyKind::P256);
    let weak = pki.leaf("RSA 1024", Leaf { key: KeyKind::Rsa1024, ..Leaf::default() });
    let doc = write(pki.dir.path(), "doc.txt", b"x");
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&weak.cert), "--key", s(&weak.key), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("key too weak: RSA key under 2048 bits (at least 2048 required)"), "{err}");
    let unit = pki.leaf("Unit", Leaf::default());
    let (code, _, err) = summary(&sign(&pki, &["--cert", s(&unit.cert), "--key", s(&unit.key), s(&doc), s(&doc)]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two input files would write the same signature file"), "{err}");
    assert!(!p7s(&doc).exists());
}

#[test]
fn add_into_an_explicit_out_file() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Person", Leaf::default());
    let agency = pki.leaf("Agency", Leaf::default());
    let d = pki.dir.path();
    let doc = write(d, "doc.txt", b"text");
    let out = d.join("both.sig");
    sign_ok(&pki, &person, Some(&pki.chain()), &["--out", s(&out)], &doc);
    sign_ok(&pki, &agency, Some(&pki.chain()), &["--add", "--out", s(&out)], &doc);
    let (ok, err) = openssl_cms_verify(d, &out, &doc, &pki.root.cert, &[]);
    assert!(ok, "{err}");
    let printed = cms_print(&pki, &out);
    assert_eq!(printed.matches("d.issuerAndSerialNumber:").count(), 2, "{printed}");
    assert_eq!(printed.matches("d.certificate:").count(), 3, "the issuing CA only once: {printed}");
}

/// pyHanko as a second, independent CMS verifier (single signer: pyHanko's detached validation
/// accepts exactly one SignerInfo). Needs `pip install pyhanko pyhanko-cli`; run from .ci/run:
/// `cargo test --test it sign::pyhanko_validates_kyso_signatures -- --ignored` ($PYHANKO, else
/// `pyhanko` on PATH).
#[test]
#[ignore = "needs pyhanko (pip install pyhanko pyhanko-cli)"]
fn pyhanko_validates_kyso_signatures() {
    let pki = Pki::new(KeyKind::P256);
    for (kind, extra) in [(KeyKind::P256, &[][..]), (KeyKind::P384, &[][..]), (KeyKind::Rsa2048, &[][..]), (KeyKind::Rsa2048, &["--rsa-pkcs1"][..])] {
        let unit = pki.leaf(&format!("Unit {kind:?} {}", extra.len()), Leaf { key: kind, ..Leaf::default() });
        let doc = write(pki.dir.path(), &format!("py-{kind:?}-{}.txt", extra.len()), "Báo cáo số 67".as_bytes());
        sign_ok(&pki, &unit, Some(&pki.chain()), extra, &doc);
        let o = crate::bt::pyhanko()
            .args(["sign", "validate", "--detached", s(&p7s(&doc)), "--trust", s(&pki.root.cert), "--trust-replace", "--no-revocation-check", s(&doc)])
            .current_dir(pki.dir.path())
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && out.contains("INTACT:TRUSTED"), "{kind:?} {extra:?}: {out} {}", String::from_utf8_lossy(&o.stderr));
        // A modified document: pyHanko runs to its verdict (exit 1, no traceback) and finds the
        // signature cryptographically unsound — not merely "not INTACT:TRUSTED", which a crash
        // would also print (crate::pdf tests this check on a crash stand-in).
        std::fs::write(&doc, "Báo cáo số 68").unwrap();
        let o = crate::bt::pyhanko()
            .args(["sign", "validate", "--pretty-print", "--detached", s(&p7s(&doc)), "--trust", s(&pki.root.cert), "--trust-replace", "--no-revocation-check", s(&doc)])
            .current_dir(pki.dir.path())
            .output()
            .unwrap();
        crate::pdf::pyhanko_refuses(&o, &["The signature is cryptographically unsound.", "The signature is judged INVALID."])
            .unwrap_or_else(|e| panic!("{kind:?}: modified document: {e}"));
    }
}

/// What `kyso sign` writes, `kyso verify` (written independently, from DESIGN.md §4) accepts:
/// every key type, person + agency in one file.
#[test]
fn kyso_verify_accepts_what_kyso_sign_writes() {
    let pki = Pki::new(KeyKind::P256);
    let person = pki.leaf("Lê Văn Cường", Leaf { key: KeyKind::P384, ..Leaf::default() });
    let agency = pki.leaf("Sở Kế hoạch và Đầu tư", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let clerk = pki.leaf("Văn thư", Leaf { key: KeyKind::Rsa2048, ..Leaf::default() });
    let doc = write(pki.dir.path(), "bao-cao.txt", "Báo cáo số 67/BC-SKHDT".as_bytes());
    sign_ok(&pki, &person, Some(&pki.chain()), &[], &doc);
    sign_ok(&pki, &agency, Some(&pki.chain()), &["--add"], &doc);
    sign_ok(&pki, &clerk, Some(&pki.chain()), &["--add", "--rsa-pkcs1"], &doc);
    let o = kyso()
        .args(["verify", s(&doc), "--trust", s(&pki.root.cert), "--revocation", "off", "--json"])
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sigs = v["documents"][0]["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 3, "{out}");
    assert!(sigs.iter().all(|s| s["indication"] == "TOTAL_PASSED"), "{out}");
    // and a modified document fails all three
    std::fs::write(&doc, "Báo cáo số 68/BC-SKHDT").unwrap();
    let o = kyso().args(["verify", s(&doc), "--trust", s(&pki.root.cert), "--revocation", "off"]).current_dir(pki.dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
}
