//! PKCS#12 (issue 25) against independent implementations: `openssl pkcs12 -info` opens every
//! file kyso writes (default and `-legacy`); kyso imports and signs with files written by
//! `openssl pkcs12 -export` (default, `-legacy`, BER re-encodings of them) and — in the ignored
//! test that .ci/run runs — by pyca/cryptography's `serialize_key_and_certificates`, and the
//! signatures verify with `openssl cms -verify`; import → export → import keeps the key and
//! chain byte for byte; the error messages of wrong passwords, truncated files, files with two
//! keys and absurd iteration counts are snapshots (`KYSO_BLESS=1` regenerates them).

use crate::cli::{assert_within_cpu_budget, cpu_budget, kyso, summary};
use crate::pki::openssl;
use crate::robust_mutation::{serialize, tree, Node};
use crate::snapshots::check_snapshot;
use std::path::Path;
use std::process::Command;

const DEMO_PASS: &str = "kyso-demo-2026";
const UNIT_PASS: &str = "mật khẩu của Sở Y tế";
const DOC: &str = "CÔNG VĂN số 25/SYT\nV/v ký số bằng tệp .p12\n";

/// A scratch folder with a copy of certs-example made now (tests/it/example.rs: the checked-in
/// certificates expire, and these tests sign at the current time) as `ex/`, the demo passphrase in
/// `demo-pass.txt`, the unit's passphrase in `unit-pass.txt` and a document `doc.txt`.
fn scratch() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    crate::example::copy_dir(crate::example::fresh(), &t.path().join("ex"));
    std::fs::write(t.path().join("demo-pass.txt"), format!("{DEMO_PASS}\n")).unwrap();
    std::fs::write(t.path().join("unit-pass.txt"), format!("{UNIT_PASS}\n")).unwrap();
    std::fs::write(t.path().join("doc.txt"), DOC).unwrap();
    t
}

/// Runs kyso in `dir`; asserts success; returns (stdout, stderr).
fn ok(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let o = kyso().args(args).envs(env.iter().copied()).current_dir(dir).output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso {args:?} failed:\n{out}\n{err}");
    (out, err)
}

/// CPU seconds a refused run of kyso may spend (`crate::cli::cpu_budget`: work done, not
/// wall-clock time). Each refusal needs milliseconds; an absurd iteration count that reached the
/// key derivation would need hours (OpenSSL's does).
const REFUSAL_CPU_SECONDS: u32 = 20;

/// Runs kyso in `dir` expecting failure within [`REFUSAL_CPU_SECONDS`]; returns "exit N" +
/// stderr with the folder hidden.
fn fails(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let o = cpu_budget(kyso().args(args).envs(env.iter().copied()).current_dir(dir), REFUSAL_CPU_SECONDS).output().unwrap();
    assert_within_cpu_budget(&o, &format!("kyso {args:?}"));
    let (code, _, err) = summary(&o);
    assert_ne!(code, 0, "kyso {args:?} succeeded:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    format!("exit {code}\n{}", err.replace(&dir.display().to_string(), "<tmp>"))
}

/// `openssl pkcs12 -info -noout` on `file` with `pass`; `legacy` adds `-legacy`.
fn openssl_info(dir: &Path, file: &str, pass: &str, legacy: bool) -> String {
    let mut args = vec!["pkcs12", "-info", "-noout", "-in", file, "-passin"];
    let p = format!("pass:{pass}");
    args.push(&p);
    if legacy {
        args.push("-legacy");
    }
    let o = openssl(dir, &args);
    String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout)
}

/// `openssl cms -verify` of `sig` over doc.txt against the example's root: the oracle for every
/// signature made with a .p12.
fn assert_cms_verifies(dir: &Path, sig: &str) {
    let root = dir.join("ex/root.pem");
    let o = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", "doc.txt", "-CAfile", root.to_str().unwrap(), "-purpose", "any", "-out", "/dev/null"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "openssl cms -verify {sig}: {}", String::from_utf8_lossy(&o.stderr));
}

/// `openssl pkcs12 -export` of the example's Sở Y tế agency key and certificate with the chain;
/// `extra` adds options (`-legacy`, `-nomac`, …).
fn openssl_export(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec![
        "pkcs12", "-export", "-inkey", "ex/units/so-y-te/agency.key", "-passin", "pass:kyso-demo-2026", "-in", "ex/units/so-y-te/agency.pem",
        "-certfile", "ex/chain.pem", "-name", "Sở Y tế tỉnh Bắc Ninh", "-out", out, "-passout", "pass:secret",
    ];
    args.extend_from_slice(extra);
    openssl(dir, &args);
}

#[test]
fn openssl_opens_every_file_kyso_writes() {
    let t = scratch();
    let d = t.path();
    let ca = ["--dir", "ex/ca", "--pass-file", "demo-pass.txt"];
    // ca issue --p12-out, default and legacy
    let (out, _) = ok(
        d,
        &[&["ca", "issue", "--profile", "agency", "--cn", "Sở Y tế tỉnh Bắc Ninh", "--uid", "MNS:1000002", "--p12-out", "unit.p12", "--key-pass-file", "unit-pass.txt"][..], &ca].concat(),
        &[],
    );
    assert!(out.contains("PKCS#12:     unit.p12"), "{out}");
    let (_, err) = ok(
        d,
        &[&["ca", "issue", "--profile", "agency", "--cn", "Sở Y tế (Windows 7)", "--uid", "MNS:1000002", "--p12-out", "legacy.p12", "--p12-legacy", "--cert-out", "legacy.pem"][..], &ca].concat(),
        &[("KYSO_KEY_PASSPHRASE", UNIT_PASS)],
    );
    assert!(err.contains("warning: legacy PKCS#12"), "{err}");
    // key export, default and legacy, from a key file and from a .p12
    let export = ["key", "export", "--key", "ex/units/so-y-te/person.key", "--cert", "ex/units/so-y-te/person.pem", "--chain", "ex/chain.pem", "--pass-file", "demo-pass.txt", "--p12-pass-file", "unit-pass.txt"];
    ok(d, &[&export[..], &["--out", "person.p12"]].concat(), &[]);
    ok(d, &[&export[..], &["--out", "person-legacy.p12", "--legacy"]].concat(), &[]);
    ok(d, &["key", "export", "--key", "legacy.p12", "--out", "re-exported.p12"], &[("KYSO_PASSPHRASE", UNIT_PASS)]);

    for (file, legacy) in [("unit.p12", false), ("legacy.p12", true), ("person.p12", false), ("person-legacy.p12", true), ("re-exported.p12", false)] {
        let info = openssl_info(d, file, UNIT_PASS, legacy);
        if legacy {
            assert!(info.contains("MAC: sha1, Iteration 2048"), "{file}: {info}");
            assert!(info.contains("pbeWithSHA1And40BitRC2-CBC") && info.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC"), "{file}: {info}");
        } else {
            assert!(info.contains("MAC: sha256, Iteration 200000"), "{file}: {info}");
            assert!(info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 200000, PRF hmacWithSHA256"), "{file}: {info}");
            // OpenSSL 3 without -legacy cannot read RC2: proof that these files need no legacy provider
        }
        assert_eq!(info.matches("Certificate bag").count(), 3, "{file}: {info}");
        // OpenSSL's own extraction: the key's certificate first, with friendlyName and localKeyID
        let o = openssl(d, &[&["pkcs12", "-in", file, "-nokeys", "-passin", &format!("pass:{UNIT_PASS}")][..], if legacy { &["-legacy"][..] } else { &[][..] }].concat());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("friendlyName") && text.contains("localKeyID"), "{file}: {text}");
        // and the key matches the certificate (OpenSSL decrypts it; its public key is the certificate's)
        let o = openssl(d, &[&["pkcs12", "-in", file, "-nocerts", "-noenc", "-passin", &format!("pass:{UNIT_PASS}"), "-out", "k.pem"][..], if legacy { &["-legacy"][..] } else { &[][..] }].concat());
        assert!(o.status.success());
        let key_pub = openssl(d, &["pkey", "-in", "k.pem", "-pubout"]).stdout;
        openssl(d, &[&["pkcs12", "-in", file, "-nokeys", "-clcerts", "-passin", &format!("pass:{UNIT_PASS}"), "-out", "c.pem"][..], if legacy { &["-legacy"][..] } else { &[][..] }].concat());
        let cert_pub = openssl(d, &["x509", "-in", "c.pem", "-pubkey", "-noout"]).stdout;
        assert_eq!(key_pub, cert_pub, "{file}");
    }
    // the legacy file's certificate is the one ca issue also wrote with --cert-out
    openssl(d, &["pkcs12", "-in", "legacy.p12", "-nokeys", "-clcerts", "-legacy", "-passin", &format!("pass:{UNIT_PASS}"), "-out", "c.pem"]);
    let a = openssl(d, &["x509", "-in", "c.pem", "-outform", "DER"]).stdout;
    let b = openssl(d, &["x509", "-in", "legacy.pem", "-outform", "DER"]).stdout;
    assert_eq!(a, b);
    // kyso inspect: the protection without the password, the contents with it
    let (out, err) = ok(d, &["inspect", "unit.p12"], &[]);
    assert!(out.contains("protected by a password") && err.contains("KYSO_PASSPHRASE"), "{out}{err}");
    let (out, _) = ok(d, &["inspect", "legacy.p12"], &[("KYSO_PASSPHRASE", UNIT_PASS)]);
    assert!(out.contains("integrity:    HMAC-SHA-1, 2048 iterations"), "{out}");
    assert!(out.contains("encryption:   pbeWithSHAAnd3-KeyTripleDES-CBC, 2048 iterations (legacy)"), "{out}");
    assert!(out.contains("key:          ECDSA P-256, friendly name 'Sở Y tế (Windows 7)'"), "{out}");
    assert_eq!(out.matches("  certificate:  ").count(), 3, "{out}");
    // kyso signs with what it wrote, and OpenSSL verifies
    ok(d, &["sign", "--key", "unit.p12", "--out", "unit.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", UNIT_PASS)]);
    assert_cms_verifies(d, "unit.p7s");
}

#[test]
fn kyso_signs_with_files_openssl_exports() {
    let t = scratch();
    let d = t.path();
    openssl_export(d, "default.p12", &[]);
    openssl_export(d, "legacy.p12", &["-legacy"]);
    openssl_export(d, "nomac.p12", &["-nomac"]);
    openssl_export(d, "sha1mac.p12", &["-macalg", "sha1", "-keypbe", "AES-128-CBC", "-certpbe", "AES-128-CBC"]);
    openssl_export(d, "plain.p12", &["-keypbe", "NONE", "-certpbe", "NONE"]);
    for f in ["default.p12", "legacy.p12", "nomac.p12", "sha1mac.p12", "plain.p12"] {
        let sig = format!("{f}.p7s");
        let (_, err) = ok(d, &["sign", "--key", f, "--out", &sig, "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
        match f {
            "legacy.p12" => assert!(err.contains("uses legacy protection") && err.contains("pbeWithSHAAnd40BitRC2-CBC"), "{err}"),
            "nomac.p12" => assert!(err.contains("has no integrity MAC"), "{err}"),
            "plain.p12" => assert!(err.contains("unencrypted private key"), "{err}"),
            "sha1mac.p12" => assert!(err.contains("uses legacy protection (HMAC-SHA-1)"), "{err}"),
            _ => assert!(!err.contains("warning") && !err.contains("note"), "{f}: {err}"),
        }
        assert_cms_verifies(d, &sig);
    }
    // every legacy PKCS#12 PBE OpenSSL still writes (with its legacy provider), and PBES2 with 3DES
    for (key_pbe, cert_pbe, name) in [
        ("PBE-SHA1-RC4-128", "PBE-SHA1-RC2-128", "pbeWithSHAAnd128BitRC4"),
        ("PBE-SHA1-RC4-40", "PBE-SHA1-RC2-40", "pbeWithSHAAnd40BitRC4"),
        ("PBE-SHA1-2DES", "PBE-SHA1-3DES", "pbeWithSHAAnd2-KeyTripleDES-CBC"),
        ("PBE-SHA1-RC2-128", "PBE-SHA1-RC2-128", "pbeWithSHAAnd128BitRC2-CBC"),
        ("PBE-SHA1-RC2-40", "PBE-SHA1-RC4-128", "pbeWithSHAAnd40BitRC2-CBC"),
        ("DES-EDE3-CBC", "PBE-SHA1-RC2-40", "PBES2 (PBKDF2-HMAC-SHA-256, DES-EDE3-CBC)"),
    ] {
        let f = format!("{key_pbe}.p12");
        openssl_export(d, &f, &["-legacy", "-keypbe", key_pbe, "-certpbe", cert_pbe]);
        let sig = format!("{f}.p7s");
        let (_, err) = ok(d, &["sign", "--key", &f, "--out", &sig, "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
        assert!(err.contains(name), "{f}: {err}");
        assert_cms_verifies(d, &sig);
    }
    // --cert given: the key is the one of that certificate; the chain still comes from the file
    ok(d, &["sign", "--key", "default.p12", "--cert", "ex/units/so-y-te/agency.pem", "--out", "given.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
    assert_cms_verifies(d, "given.p7s");
    let e = fails(d, &["sign", "--key", "default.p12", "--cert", "ex/units/so-y-te/person.pem", "--out", "x.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
    assert!(e.contains("no key of the PKCS#12 file belongs to the certificate given"), "{e}");
    // csr new with the key of a .p12
    ok(d, &["csr", "new", "--key", "legacy.p12", "--cn", "Sở Y tế tỉnh Bắc Ninh", "--out", "req.csr"], &[("KYSO_PASSPHRASE", "secret")]);
    openssl(d, &["req", "-in", "req.csr", "-verify", "-noout"]);
    // a PAdES or batch run takes the same path: several documents with one .p12
    std::fs::write(d.join("doc2.txt"), DOC).unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    ok(d, &["sign", "--key", "default.p12", "--out-dir", "out", "doc.txt", "doc2.txt"], &[("KYSO_PASSPHRASE", "secret")]);
    assert_cms_verifies(d, "out/doc.txt.p7s");
}

#[test]
fn import_export_import_keeps_key_and_chain_byte_for_byte() {
    let t = scratch();
    let d = t.path();
    for (src, extra) in [("o.p12", &[][..]), ("ol.p12", &["-legacy"][..])] {
        openssl_export(d, src, extra);
        let env = [("KYSO_PASSPHRASE", "secret")];
        let (out, _) = ok(d, &["key", "import", src, "--key-out", "k1.pem", "--cert-out", "c1.pem", "--chain-out", "ch1.pem", "--no-passphrase", "--force"], &env);
        assert!(out.contains("2 chain certificate(s) written to ch1.pem"), "{out}");
        // the certificate is the one openssl was given
        assert_eq!(
            openssl(d, &["x509", "-in", "c1.pem", "-outform", "DER"]).stdout,
            openssl(d, &["x509", "-in", "ex/units/so-y-te/agency.pem", "-outform", "DER"]).stdout
        );
        ok(d, &["key", "export", "--key", "k1.pem", "--cert", "c1.pem", "--chain", "ch1.pem", "--out", "k.p12", "--force"], &[("KYSO_P12_PASSPHRASE", "p12 pass")]);
        ok(d, &["key", "import", "k.p12", "--key-out", "k2.pem", "--cert-out", "c2.pem", "--chain-out", "ch2.pem", "--no-passphrase", "--force"], &[("KYSO_PASSPHRASE", "p12 pass")]);
        for (a, b) in [("k1.pem", "k2.pem"), ("c1.pem", "c2.pem"), ("ch1.pem", "ch2.pem")] {
            assert_eq!(std::fs::read(d.join(a)).unwrap(), std::fs::read(d.join(b)).unwrap(), "{src}: {a} vs {b}");
        }
        // the PKCS#8 key is the one inside the openssl file
        std::fs::write(d.join("theirs.pem"), openssl(d, &[&["pkcs12", "-in", src, "-nocerts", "-noenc", "-passin", "pass:secret"][..], extra].concat()).stdout).unwrap();
        assert_eq!(openssl(d, &["pkey", "-in", "theirs.pem", "-outform", "DER"]).stdout, openssl(d, &["pkey", "-in", "k2.pem", "-outform", "DER"]).stdout, "{src}");
    }
    // an encrypted import: the key file opens with the .p12's password, or --key-pass-file's
    ok(d, &["key", "import", "o.p12", "--key-out", "enc.key", "--cert-out", "enc.pem"], &[("KYSO_PASSPHRASE", "secret")]);
    openssl(d, &["pkey", "-in", "enc.key", "-passin", "pass:secret", "-noout"]);
    ok(d, &["key", "import", "o.p12", "--key-out", "enc2.key", "--key-pass-file", "unit-pass.txt"], &[("KYSO_PASSPHRASE", "secret")]);
    openssl(d, &["pkey", "-in", "enc2.key", "-passin", &format!("pass:{UNIT_PASS}"), "-noout"]);
    ok(d, &["sign", "--cert", "enc.pem", "--key", "enc.key", "--chain", "ex/chain.pem", "--out", "enc.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
    assert_cms_verifies(d, "enc.p7s");
    // outputs are never overwritten without --force
    let e = fails(d, &["key", "import", "o.p12", "--key-out", "enc.key"], &[("KYSO_PASSPHRASE", "secret")]);
    assert!(e.starts_with("exit 1") && e.contains("enc.key already exists"), "{e}");
}

/// A BER re-encoding as streaming writers (NSS, Java, Windows) make: every constructed element
/// with an indefinite length, OCTET STRINGs of two bytes or more split into a constructed OCTET
/// STRING of two segments, and the encrypted content `[0] IMPLICIT OCTET STRING` sent in
/// constructed form. The values of strings do not change, so a MAC over them still verifies.
/// `deep`: also re-encode DER found inside OCTET STRINGs (the AuthenticatedSafe, SafeContents,
/// certificates) — only valid for a file without a MAC.
fn ber(nodes: &mut [Node], deep: bool) {
    for n in nodes.iter_mut() {
        if let Some(k) = n.kids.as_mut() {
            ber(k, deep);
            n.form = Some(0);
            continue;
        }
        if (n.tag == 0x04 || n.tag == 0x80) && n.prim.len() >= 2 {
            let mut prim = n.prim.clone();
            if deep && n.tag == 0x04 {
                if let Some(mut inner) = tree(&prim).filter(|t| {
                    let mut again = Vec::new();
                    serialize(t, &mut again);
                    again == prim && is_pkcs12_container(t)
                }) {
                    ber(&mut inner, deep);
                    prim.clear();
                    serialize(&inner, &mut prim);
                }
            }
            let (a, b) = prim.split_at(prim.len() / 2);
            let seg = |p: &[u8]| Node { tag: 0x04, form: None, prim: p.to_vec(), kids: None };
            let tag = if n.tag == 0x04 { 0x24 } else { 0xa0 };
            *n = Node { tag, form: Some(0), prim: Vec::new(), kids: Some(vec![seg(a), seg(b)]) };
        }
    }
}

/// Whether `t` is an AuthenticatedSafe or a SafeContents (a SEQUENCE of SEQUENCEs that start
/// with a PKCS#7 content type or a PKCS#12 bag type): the DER that PKCS#12 nests in OCTET
/// STRINGs. Certificates and extension values are left alone (their DER is what is signed).
fn is_pkcs12_container(t: &[Node]) -> bool {
    const PKCS7: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
    const BAGS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01];
    let [outer] = t else { return false };
    let Some(first) = outer.kids.as_ref().and_then(|k| k.first()) else { return false };
    let Some(oid) = first.kids.as_ref().and_then(|k| k.first()) else { return false };
    outer.tag == 0x30 && first.tag == 0x30 && oid.tag == 0x06 && (oid.prim.starts_with(PKCS7) || oid.prim.starts_with(BAGS))
}

fn ber_file(der: &[u8], deep: bool) -> Vec<u8> {
    let mut t = tree(der).expect("DER");
    ber(&mut t, deep);
    let mut out = Vec::new();
    serialize(&t, &mut out);
    assert_ne!(out, der);
    out
}

#[test]
fn ber_files_import_like_their_der_originals() {
    let t = scratch();
    let d = t.path();
    openssl_export(d, "o.p12", &[]);
    openssl_export(d, "nomac.p12", &["-nomac"]);
    openssl_export(d, "nomac-legacy.p12", &["-nomac", "-legacy"]);
    let env = [("KYSO_PASSPHRASE", "secret")];
    ok(d, &["key", "import", "o.p12", "--key-out", "k.pem", "--cert-out", "c.pem", "--chain-out", "ch.pem", "--no-passphrase"], &env);
    for (src, deep) in [("o.p12", false), ("nomac.p12", true), ("nomac-legacy.p12", true)] {
        let b = ber_file(&std::fs::read(d.join(src)).unwrap(), deep);
        let name = format!("ber-{src}");
        std::fs::write(d.join(&name), &b).unwrap();
        // OpenSSL reads the BER file too (the re-encoding is valid)
        openssl_info(d, &name, "secret", src.contains("legacy"));
        let (_, err) = ok(d, &["key", "import", &name, "--key-out", "bk.pem", "--cert-out", "bc.pem", "--chain-out", "bch.pem", "--no-passphrase", "--force"], &env);
        for (a, b) in [("k.pem", "bk.pem"), ("c.pem", "bc.pem"), ("ch.pem", "bch.pem")] {
            assert_eq!(std::fs::read(d.join(a)).unwrap(), std::fs::read(d.join(b)).unwrap(), "{name}: {a} vs {b} ({err})");
        }
        ok(d, &["sign", "--key", &name, "--out", "ber.p7s", "--force", "doc.txt"], &env);
        assert_cms_verifies(d, "ber.p7s");
    }
}

/// Two openssl files without MACs merged into one AuthenticatedSafe: a file with two keys
/// (OpenSSL cannot write one; Windows and Java keystores can).
fn two_key_file(d: &Path) -> Vec<u8> {
    for (unit, out) in [("so-y-te/agency", "a.p12"), ("so-y-te/person", "b.p12")] {
        let key = format!("ex/units/{unit}.key");
        let cert = format!("ex/units/{unit}.pem");
        let name = if unit.ends_with("agency") { "Sở Y tế (cơ quan)" } else { "Trần Thị Bình" };
        openssl(d, &["pkcs12", "-export", "-nomac", "-inkey", &key, "-passin", "pass:kyso-demo-2026", "-in", &cert, "-name", name, "-out", out, "-passout", "pass:secret"]);
    }
    let auth_safe = |f: &str| -> (Vec<Node>, Vec<Node>) {
        let pfx = tree(&std::fs::read(d.join(f)).unwrap()).unwrap();
        let octets = pfx[0].kids.as_ref().unwrap()[1].kids.as_ref().unwrap()[1].kids.as_ref().unwrap()[0].prim.clone();
        (pfx, tree(&octets).unwrap())
    };
    let (mut pfx, mut a) = auth_safe("a.p12");
    let (_, b) = auth_safe("b.p12");
    let more = b[0].kids.clone().unwrap();
    a[0].kids.as_mut().unwrap().extend(more);
    let mut merged = Vec::new();
    serialize(&a, &mut merged);
    pfx[0].kids.as_mut().unwrap()[1].kids.as_mut().unwrap()[1].kids.as_mut().unwrap()[0].prim = merged;
    let mut out = Vec::new();
    serialize(&pfx, &mut out);
    out
}

#[test]
fn a_file_with_two_keys_needs_a_name() {
    let t = scratch();
    let d = t.path();
    std::fs::write(d.join("two.p12"), two_key_file(d)).unwrap();
    let env = [("KYSO_PASSPHRASE", "secret")];
    let e = fails(d, &["sign", "--key", "two.p12", "--chain", "ex/chain.pem", "--out", "x.p7s", "doc.txt"], &env);
    assert!(e.contains("holds 2 keys: 'Sở Y tế (cơ quan)', 'Trần Thị Bình'") && e.contains("--p12-name"), "{e}");
    ok(d, &["sign", "--key", "two.p12", "--p12-name", "Trần Thị Bình", "--chain", "ex/chain.pem", "--out", "person.p7s", "doc.txt"], &env);
    assert_cms_verifies(d, "person.p7s");
    // the signer is the person's certificate
    let o = openssl(d, &["cms", "-cmsout", "-print", "-inform", "DER", "-in", "person.p7s"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("CCCD:"), "the person certificate signs");
    let e = fails(d, &["key", "import", "two.p12", "--p12-name", "nobody", "--key-out", "k.pem"], &env);
    assert!(e.contains("no key named 'nobody'"), "{e}");
    // --p12-name on a key that is not a .p12
    let e = fails(d, &["sign", "--key", "ex/units/so-y-te/agency.key", "--cert", "ex/units/so-y-te/agency.pem", "--p12-name", "x", "--out", "x.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", DEMO_PASS)]);
    assert!(e.contains("--p12-name chooses a key in a .p12/.pfx file"), "{e}");
}

/// The MacData's iteration count of `file` replaced by `n` (a hostile file).
fn with_mac_iterations(file: &[u8], n: u32) -> Vec<u8> {
    let mut pfx = tree(file).unwrap();
    let mac = pfx[0].kids.as_mut().unwrap().last_mut().unwrap();
    let count = mac.kids.as_mut().unwrap().last_mut().unwrap();
    assert_eq!(count.tag, 0x02);
    count.prim = n.to_be_bytes().to_vec();
    let mut out = Vec::new();
    serialize(&pfx, &mut out);
    out
}

#[test]
fn p12_error_messages_are_typed_and_stable() {
    let t = scratch();
    let d = t.path();
    openssl_export(d, "o.p12", &[]);
    openssl_export(d, "nomac.p12", &["-nomac"]);
    let good = std::fs::read(d.join("o.p12")).unwrap();
    std::fs::write(d.join("truncated.p12"), &good[..good.len() / 2]).unwrap();
    std::fs::write(d.join("absurd.p12"), with_mac_iterations(&good, 0x7fff_ffff)).unwrap();
    std::fs::write(d.join("two.p12"), two_key_file(d)).unwrap();
    openssl(d, &["pkcs12", "-export", "-nokeys", "-in", "ex/chain.pem", "-out", "certs-only.p12", "-passout", "pass:secret"]);
    let sign = |key: &str| -> Vec<String> { ["sign", "--key", key, "--out", "x.p7s", "doc.txt"].iter().map(|s| s.to_string()).collect() };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("error-p12-wrong-password", sign("o.p12"), "not the password"),
        ("error-p12-wrong-password-no-mac", sign("nomac.p12"), "not the password"),
        ("error-p12-truncated", sign("truncated.p12"), "secret"),
        ("error-p12-two-keys", sign("two.p12"), "secret"),
        ("error-p12-absurd-iterations", sign("absurd.p12"), "secret"),
        ("error-p12-certificates-only", sign("certs-only.p12"), "secret"),
        ("error-sign-key-without-cert", sign("ex/units/so-y-te/agency.key"), DEMO_PASS),
    ];
    for (name, args, pass) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // the absurd count is refused before any key derivation (OpenSSL would run for hours):
        // `fails` stops a run at its CPU budget
        let got = fails(d, &args, &[("KYSO_PASSPHRASE", pass)]);
        check_snapshot(name, &got);
    }
    // --p12-out refuses the CA's own passphrase for the unit
    let got = fails(
        d,
        &["ca", "issue", "--dir", "ex/ca", "--profile", "agency", "--cn", "X", "--uid", "MNS:1", "--p12-out", "x.p12", "--key-pass-file", "demo-pass.txt", "--pass-file", "demo-pass.txt"],
        &[],
    );
    check_snapshot("error-p12-out-ca-passphrase", &got);
    assert!(!d.join("x.p12").exists());
}

/// `kyso tsa serve --key tsa.p12`: the certificate and chain come from the file; a B-T
/// signature timestamped by it verifies.
#[test]
fn tsa_serves_from_a_p12() {
    use std::io::{BufRead, BufReader};
    let t = scratch();
    let d = t.path();
    ok(d, &["key", "export", "--key", "ex/tsa/tsa.key", "--cert", "ex/tsa/tsa.pem", "--chain", "ex/chain.pem", "--out", "tsa.p12", "--pass-file", "demo-pass.txt"], &[]);
    let mut child = kyso()
        .args(["tsa", "serve", "--key", "tsa.p12", "--listen", "127.0.0.1:0", "--pass-file", "demo-pass.txt"])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = None;
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("kyso tsa: listening on ") {
            url = rest.split_whitespace().next().map(str::to_string);
            break;
        }
        seen.push(line);
    }
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let result = url.map(|url| {
        kyso()
            .args(["sign", "--key", "ex/units/so-y-te/agency.key", "--cert", "ex/units/so-y-te/agency.pem", "--chain", "ex/chain.pem", "--tsa", &url, "--tsa-trust", "ex/root.pem", "--out", "bt.p7s", "doc.txt"])
            .env("KYSO_PASSPHRASE", DEMO_PASS)
            .current_dir(d)
            .output()
            .unwrap()
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let log = drain.join().unwrap();
    let o = result.unwrap_or_else(|| panic!("the server did not start: {seen:?}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(log.iter().any(|l| l.starts_with("tsa: token serial=")), "{log:?}");
    assert_cms_verifies(d, "bt.p7s");
}

/// pyca/cryptography as a second writer and reader (#[ignore]: needs Python with
/// `cryptography`; .ci/run installs it in its venv and sets KYSO_PYTHON). Files from
/// `serialize_key_and_certificates` with `BestAvailableEncryption` and with the PKCS12
/// encryption builder (PBES2 SHA-256 AES-256 and the legacy 3DES, SHA-1 MAC) are imported and
/// signed with; pyca reads kyso's files (default and legacy) back with the friendly name.
#[test]
#[ignore = "needs Python with cryptography (KYSO_PYTHON, set by .ci/run); run by .ci/run with --ignored"]
fn pyca_cryptography_writes_and_reads_what_kyso_reads_and_writes() {
    let python = std::env::var("KYSO_PYTHON").expect("KYSO_PYTHON must name a Python with cryptography installed (.ci/run sets it)");
    let probe = Command::new(&python).args(["-c", "import cryptography; print(cryptography.__version__)"]).output().expect("KYSO_PYTHON runs");
    assert!(probe.status.success(), "cryptography is not installed for {python}: {}", String::from_utf8_lossy(&probe.stderr));
    let t = scratch();
    let d = t.path();
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12, PrivateFormat, BestAvailableEncryption
key = serialization.load_pem_private_key(open("ex/units/so-y-te/agency.key", "rb").read(), b"kyso-demo-2026")
cert = x509.load_pem_x509_certificate(open("ex/units/so-y-te/agency.pem", "rb").read())
cas = x509.load_pem_x509_certificates(open("ex/chain.pem", "rb").read())
name = "Sở Y tế tỉnh Bắc Ninh".encode()
open("best.p12", "wb").write(pkcs12.serialize_key_and_certificates(name, key, cert, cas, BestAvailableEncryption(b"secret")))
aes = PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50000).key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(b"secret")
open("aes.p12", "wb").write(pkcs12.serialize_key_and_certificates(name, key, cert, cas, aes))
tdes = PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048).key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1()).build(b"secret")
open("3des.p12", "wb").write(pkcs12.serialize_key_and_certificates(name, key, cert, cas, tdes))
"#;
    let o = Command::new(&python).args(["-c", script]).current_dir(d).output().unwrap();
    assert!(o.status.success(), "pyca: {}", String::from_utf8_lossy(&o.stderr));
    let env = [("KYSO_PASSPHRASE", "secret")];
    for f in ["best.p12", "aes.p12", "3des.p12"] {
        let sig = format!("{f}.p7s");
        ok(d, &["sign", "--key", f, "--out", &sig, "doc.txt"], &env);
        assert_cms_verifies(d, &sig);
        ok(d, &["key", "import", f, "--key-out", "k.pem", "--cert-out", "c.pem", "--chain-out", "ch.pem", "--no-passphrase", "--force"], &env);
        assert_eq!(
            openssl(d, &["x509", "-in", "c.pem", "-outform", "DER"]).stdout,
            openssl(d, &["x509", "-in", "ex/units/so-y-te/agency.pem", "-outform", "DER"]).stdout,
            "{f}"
        );
        assert_eq!(std::fs::read_to_string(d.join("ch.pem")).unwrap().matches("BEGIN CERTIFICATE").count(), 2, "{f}");
    }
    // pyca reads what kyso writes
    let export = ["key", "export", "--key", "ex/units/so-y-te/agency.key", "--cert", "ex/units/so-y-te/agency.pem", "--chain", "ex/chain.pem", "--pass-file", "demo-pass.txt", "--p12-pass-file", "unit-pass.txt"];
    ok(d, &[&export[..], &["--out", "kyso.p12"]].concat(), &[]);
    ok(d, &[&export[..], &["--out", "kyso-legacy.p12", "--legacy"]].concat(), &[]);
    let read = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
cert = x509.load_pem_x509_certificate(open("ex/units/so-y-te/agency.pem", "rb").read())
for f in ["kyso.p12", "kyso-legacy.p12"]:
    p = pkcs12.load_pkcs12(open(f, "rb").read(), open("unit-pass.txt", "rb").read().splitlines()[0])
    assert p.cert.certificate == cert, f
    assert p.key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo), f
    assert len(p.additional_certs) == 2, f
    print(f, p.cert.friendly_name.decode())
"#;
    let o = Command::new(&python).args(["-c", read]).current_dir(d).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "pyca cannot read kyso's files: {}{out}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("kyso.p12 Sở Y tế tỉnh Bắc Ninh") && out.contains("kyso-legacy.p12 Sở Y tế tỉnh Bắc Ninh"), "{out}");
}

/// RSA and P-384 keys in .p12 files from OpenSSL (the test PKI of tests/it/pki.rs): kyso signs
/// (RSASSA-PSS for RSA) and OpenSSL verifies.
#[test]
fn rsa_and_p384_p12_files_sign() {
    use crate::pki::{openssl_cms_verify, KeyKind, Leaf, Pki};
    for kind in [KeyKind::Rsa2048, KeyKind::P384] {
        let pki = Pki::new(kind);
        let leaf = pki.leaf("Đơn vị RSA", Leaf { key: kind, ..Leaf::default() });
        let d = pki.dir.path();
        openssl(d, &["pkcs12", "-export", "-inkey", leaf.key.to_str().unwrap(), "-in", leaf.cert.to_str().unwrap(), "-certfile", pki.chain().to_str().unwrap(), "-out", "leaf.p12", "-passout", "pass:secret"]);
        std::fs::write(d.join("doc.txt"), DOC).unwrap();
        ok(d, &["sign", "--key", "leaf.p12", "--out", "leaf.p7s", "doc.txt"], &[("KYSO_PASSPHRASE", "secret")]);
        let (verified, out) = openssl_cms_verify(d, &d.join("leaf.p7s"), &d.join("doc.txt"), &pki.root.cert, &[]);
        assert!(verified, "{kind:?}: {out}");
    }
}
