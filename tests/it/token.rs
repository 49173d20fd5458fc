//! Keys on PKCS#11 tokens (issue 19), against SoftHSM2: each test initialises its own token in a
//! temporary folder with its own `SOFTHSM2_CONF`, and makes keys with `kyso key new --token`.
//! Oracles: `openssl cms -verify` (CMS from P-256, P-384, RSA PSS and PKCS#1 token keys),
//! pyHanko (PAdES), `openssl crl -verify` / `openssl verify -crl_check` (a CA whose key is on the
//! token), `openssl ts -verify` (a TSA whose key is on the token), `pkcs11-tool --list-objects`
//! (what `key new --token` made), `openssl ocsp` (`ca serve` signing OCSP answers with token keys).
//!
//! The SoftHSM tests are `#[ignore]`d (a fresh machine may lack `softhsm2` and `opensc`); `.ci/run`
//! installs both and runs them with `--ignored`, where a missing tool fails the test. The errors
//! that need no token (module missing, bad URIs) run in plain `cargo test`.

use crate::cli::{kyso, summary};
use crate::snapshots::check_snapshot;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const PIN: &str = "1234";
const IGNORE: &str = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it";

/// Where Debian and Fedora put SoftHSM's module.
const SOFTHSM_MODULES: &[&str] =
    &["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib64/pkcs11/libsofthsm2.so"];

/// A SoftHSM2 token of its own: a temporary folder with a `softhsm2.conf`, a token labelled
/// `kyso` (user PIN 1234), and `pin.txt`.
pub(crate) struct SoftHsm {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub module: PathBuf,
}

impl SoftHsm {
    pub fn new() -> SoftHsm {
        let module = SOFTHSM_MODULES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("SoftHSM2 is required (apt-get install softhsm2 opensc): no module at {SOFTHSM_MODULES:?}"));
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(&conf, format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n", tokens.display())).unwrap();
        let hsm = SoftHsm { dir, conf, module };
        let o = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "kyso", "--pin", PIN, "--so-pin", "5678"])
            .env("SOFTHSM2_CONF", &hsm.conf)
            .output()
            .unwrap_or_else(|e| panic!("softhsm2-util is required (apt-get install softhsm2): {e}"));
        assert!(o.status.success(), "softhsm2-util --init-token: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::write(hsm.path("pin.txt"), format!("{PIN}\n")).unwrap();
        std::fs::write(hsm.path("bad-pin.txt"), "9999\n").unwrap();
        hsm
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kyso` in the folder, with this token's configuration and module.
    pub fn kyso(&self) -> Command {
        let mut c = kyso();
        c.env("SOFTHSM2_CONF", &self.conf)
            .env("KYSO_PKCS11_MODULE", &self.module)
            .env("KYSO_PASSPHRASE", "ca passphrase")
            // a unit's key file made by `ca issue --key-out` takes the unit's own passphrase
            .env("KYSO_KEY_PASSPHRASE", "the unit's own passphrase, not the CA's")
            .env_remove("KYSO_PIN")
            .current_dir(self.dir.path());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.kyso().args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs kyso and returns stdout; the command must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = summary(&self.run(args));
        assert_eq!(code, 0, "kyso {args:?}:\n{out}\n{err}");
        out
    }

    /// `pkcs11-tool` on this token.
    pub fn pkcs11_tool(&self, args: &[&str]) -> String {
        let o = Command::new("pkcs11-tool")
            .arg("--module")
            .arg(&self.module)
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("pkcs11-tool is required (apt-get install opensc): {e}"));
        assert!(o.status.success(), "pkcs11-tool {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Sets token flags in SoftHSM's token file: SoftHSM 2.6 counts wrong PINs only as
    /// CKF_USER_PIN_COUNT_LOW and never locks, so a token that reports its last try or a locked
    /// PIN is simulated by setting the flags it would report (attribute CKA_OS_TOKENFLAGS,
    /// 0x8000534B, an unsigned long stored big-endian after its type and kind).
    pub fn set_token_flags(&self, flags: u64) {
        let tokens = self.path("tokens");
        let dir = std::fs::read_dir(&tokens).unwrap().flatten().find(|e| e.path().join("token.object").is_file()).unwrap().path();
        let file = dir.join("token.object");
        let mut b = std::fs::read(&file).unwrap();
        let tag: Vec<u8> = [0x8000_534Bu64.to_be_bytes(), 2u64.to_be_bytes()].concat();
        let at = b.windows(16).position(|w| w == tag.as_slice()).expect("CKA_OS_TOKENFLAGS in token.object") + 16;
        let old = u64::from_be_bytes(b[at..at + 8].try_into().unwrap());
        b[at..at + 8].copy_from_slice(&(old | flags).to_be_bytes());
        std::fs::write(&file, b).unwrap();
    }

    /// A CA in `ca/` (its key a file), for the units' certificates.
    pub fn file_ca(&self) {
        self.ok(&["ca", "init", "--dir", "ca", "--name", "CA Tỉnh Bắc Ninh", "--org", "Sở Thông tin và Truyền thông tỉnh Bắc Ninh"]);
    }

    /// `key new --token` with a request, certified by `ca/` (profile agency, or tsa), the
    /// certificate stored on the token: returns the key's URI (without module-path).
    pub fn unit(&self, label: &str, alg: &str, profile: &str) -> String {
        let csr = format!("{label}.csr");
        let out = self.ok(&[
            "key", "new", "--token", "pkcs11:token=kyso", "--label", label, "--alg", alg, "--pin-file", "pin.txt", "--csr", &csr, "--cn",
            label, "--org", "Sở Y tế tỉnh Bắc Ninh",
        ]);
        assert!(out.contains(&format!("key '{label}' generated on the token 'kyso'")), "{out}");
        let pem = format!("{label}.pem");
        let mut issue = vec!["ca", "issue", "--dir", "ca", "--profile", profile, "--cn", label, "--org", "Sở Y tế tỉnh Bắc Ninh"];
        if profile == "agency" {
            issue.extend(["--uid", "MNS:1000002"]);
        }
        issue.extend(["--csr", &csr, "--cert-out", &pem]);
        self.ok(&issue);
        let uri = format!("pkcs11:token=kyso;object={label}");
        self.ok(&["token", "import-cert", "--key", &uri, "--cert", &pem, "--pin-file", "pin.txt"]);
        uri
    }

    fn openssl(&self, args: &[&str]) -> (bool, String) {
        let o = Command::new("openssl").args(args).current_dir(self.dir.path()).output().unwrap();
        (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    }
}

/// CMS signatures made by token keys — P-256 (ECDSA-SHA256), P-384 (ECDSA-SHA384), RSA-2048
/// with RSASSA-PSS (the default) and RSA-3072 with PKCS#1 v1.5 — verified by `openssl cms
/// -verify`, with the signature algorithm OpenSSL reads from each; the certificate comes from
/// the token (no --cert).
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn cms_signatures_from_token_keys_verify_with_openssl() {
    let _ = IGNORE;
    let hsm = SoftHsm::new();
    hsm.file_ca();
    for (label, alg, extra, want) in [
        ("p256", "p256", None, "ecdsa-with-SHA256"),
        ("p384", "p384", None, "ecdsa-with-SHA384"),
        ("rsapss", "rsa2048", None, "rsassaPss"),
        ("rsapkcs1", "rsa3072", Some("--rsa-pkcs1"), "sha256WithRSAEncryption"),
    ] {
        let uri = hsm.unit(label, alg, "agency");
        let doc = format!("{label}.txt");
        std::fs::write(hsm.path(&doc), format!("Công văn ký bằng khóa {label} trên token")).unwrap();
        let mut args = vec!["sign", "--key", &uri, "--pin-file", "pin.txt", &doc];
        args.extend(extra);
        hsm.ok(&args);
        let p7s = format!("{doc}.p7s");
        let (ok, out) = hsm.openssl(&["cms", "-verify", "-binary", "-inform", "DER", "-in", &p7s, "-content", &doc, "-CAfile", "ca/ca.pem", "-purpose", "any", "-out", "/dev/null"]);
        assert!(ok && out.contains("Verification successful"), "{label}: {out}");
        let (_, printed) = hsm.openssl(&["cms", "-cmsout", "-print", "-inform", "DER", "-in", &p7s]);
        assert!(printed.contains(want), "{label}: no {want} in\n{printed}");
        // A changed document fails with OpenSSL too (the oracle can say no).
        std::fs::write(hsm.path("changed.txt"), "changed").unwrap();
        let (ok, _) = hsm.openssl(&["cms", "-verify", "-binary", "-inform", "DER", "-in", &p7s, "-content", "changed.txt", "-CAfile", "ca/ca.pem", "-purpose", "any", "-out", "/dev/null"]);
        assert!(!ok, "{label}: OpenSSL accepted a changed document");
        // kyso verifies its own token signatures as well.
        hsm.ok(&["verify", &doc, "--trust", "ca/ca.pem", "--revocation", "off"]);
    }
}

/// What `kyso key new --token` made, as `pkcs11-tool --list-objects` shows it: a private and a
/// public key per label, of the asked type, the private one sensitive and never extractable,
/// with the id kyso printed in the URI.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn pkcs11_tool_lists_what_key_new_made() {
    let hsm = SoftHsm::new();
    let mut ids = Vec::new();
    for (label, alg) in [("unit-p256", "p256"), ("unit-p384", "p384"), ("unit-rsa2048", "rsa2048"), ("unit-rsa3072", "rsa3072")] {
        let out = hsm.ok(&["key", "new", "--token", "pkcs11:token=kyso", "--label", label, "--alg", alg, "--pin-file", "pin.txt"]);
        let id = out.split(";id=").nth(1).and_then(|r| r.split(['?', '\n']).next()).unwrap_or_else(|| panic!("{out}"));
        ids.push((label, id.replace('%', "").to_ascii_lowercase()));
    }
    let list = hsm.pkcs11_tool(&["--login", "--pin", PIN, "--list-objects"]);
    // pkcs11-tool prints one block per object: split on the object headers.
    let blocks: Vec<&str> = list.split("Object; ").collect();
    for ((label, id), (private_kind, public_kind)) in ids.iter().zip([
        ("EC", "EC  EC_POINT 256 bits"),
        ("EC", "EC  EC_POINT 384 bits"),
        ("RSA", "RSA 2048 bits"),
        ("RSA", "RSA 3072 bits"),
    ]) {
        let with_label: Vec<&&str> = blocks.iter().filter(|b| b.contains(&format!("label:      {label}\n"))).collect();
        assert_eq!(with_label.len(), 2, "{label}: {list}");
        let private = with_label.iter().find(|b| b.contains("never extractable")).unwrap_or_else(|| panic!("{label}: {list}"));
        assert!(private.starts_with(private_kind), "{label}: {private}");
        assert!(private.contains("sensitive") && private.contains("Usage:      sign") && !private.contains("decrypt"), "{label}: {private}");
        assert!(private.contains(&format!("ID:         {id}")), "{label}: id {id} in {private}");
        let public = with_label.iter().find(|b| !b.contains("never extractable")).unwrap();
        assert!(public.starts_with(public_kind), "{label}: {public}");
        assert!(public.contains(&format!("ID:         {id}")), "{label}: {public}");
    }
    // kyso's own listing shows the same keys with their URIs.
    let json = hsm.ok(&["token", "list", "--login", "--pin-file", "pin.txt", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let token = v["slots"].as_array().unwrap().iter().find(|s| s["token"]["label"] == "kyso").unwrap();
    let objects = token["token"]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 8, "{json}");
    let rsa = objects.iter().find(|o| o["label"] == "unit-rsa3072" && o["class"] == "private_key").unwrap();
    assert_eq!(rsa["algorithm"], "RSA 3072", "{json}");
    assert!(rsa["uri"].as_str().unwrap().starts_with("pkcs11:token=kyso;serial="), "{json}");
    // Without a login the private keys are hidden.
    let json = hsm.ok(&["token", "list", "--json"]);
    assert!(!json.contains("private_key"), "{json}");
}

/// A PAdES signature made with a token key, verified by pyHanko (INTACT:TRUSTED); a batch of
/// two PDFs signed in one run, verified by kyso.
#[test]
#[ignore = "needs SoftHSM2, OpenSC and pyHanko; .ci/run runs it"]
fn pades_signature_from_a_token_verified_by_pyhanko() {
    let hsm = SoftHsm::new();
    hsm.file_ca();
    let uri = hsm.unit("seal", "p256", "agency");
    let pdf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example/pdf/cong-van.pdf");
    std::fs::copy(&pdf, hsm.path("cong-van.pdf")).unwrap();
    hsm.ok(&["sign", "--pades", "--appearance", "none", "--key", &uri, "--pin-file", "pin.txt", "--out", "signed.pdf", "cong-van.pdf"]);
    let o = crate::bt::pyhanko()
        .args(["sign", "validate", "--trust", "ca/ca.pem", "--trust-replace", "--no-revocation-check", "signed.pdf"])
        .current_dir(hsm.dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains("INTACT:TRUSTED"), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    hsm.ok(&["verify", "signed.pdf", "--trust", "ca/ca.pem", "--revocation", "off"]);
    // a batch of PDFs (one login, one key for all), each verified
    for f in ["a.pdf", "b.pdf"] {
        std::fs::copy(&pdf, hsm.path(f)).unwrap();
    }
    hsm.ok(&["sign", "--pades", "--appearance", "none", "--in-place", "--key", &uri, "--pin-file", "pin.txt", "a.pdf", "b.pdf"]);
    let out = hsm.ok(&["verify", "a.pdf", "b.pdf", "--trust", "ca/ca.pem", "--revocation", "off", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["indication"], "TOTAL_PASSED", "{out}");
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(2), "{out}");
}

/// A CA whose key is on the token (`ca init --key URI`): it issues (openssl verify), revokes
/// and publishes CRLs that `openssl crl -verify` accepts ("verify OK": OpenSSL 3.0 exits 0 even
/// on failure) and that make `openssl verify -crl_check` refuse the revoked certificate; an
/// issuing CA under it keeps its key on the token too.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn a_ca_with_its_key_on_the_token_issues_revokes_and_publishes_crls() {
    let hsm = SoftHsm::new();
    hsm.ok(&["key", "new", "--token", "pkcs11:token=kyso", "--label", "root", "--alg", "p384", "--pin-file", "pin.txt"]);
    hsm.ok(&["key", "new", "--token", "pkcs11:token=kyso", "--label", "issuing", "--alg", "rsa3072", "--pin-file", "pin.txt"]);
    let out = hsm.ok(&["ca", "init", "--dir", "root", "--name", "Root CA Tỉnh Bắc Ninh", "--key", "pkcs11:token=kyso;object=root", "--pin-file", "pin.txt"]);
    assert!(out.contains("the CA key stays on the token"), "{out}");
    assert!(!hsm.path("root/ca.key").exists() && hsm.path("root/ca-key.uri").is_file());
    let uri = std::fs::read_to_string(hsm.path("root/ca-key.uri")).unwrap();
    assert!(uri.starts_with("pkcs11:token=kyso;serial=") && uri.contains("object=root;type=private;id=") && !uri.contains("pin"), "{uri}");
    // an issuing CA under it, RSA key on the token (PKCS#1 v1.5 for certificates and CRLs)
    hsm.ok(&["ca", "init", "--dir", "ca", "--name", "CA Tỉnh Bắc Ninh", "--parent", "root", "--key", "pkcs11:token=kyso;object=issuing", "--pin-file", "pin.txt"]);
    hsm.ok(&["ca", "issue", "--dir", "ca", "--profile", "agency", "--cn", "Sở Y tế", "--uid", "MNS:1000002", "--key-out", "unit.key", "--cert-out", "unit.pem", "--pin-file", "pin.txt"]);
    let (ok, out) = hsm.openssl(&["verify", "-x509_strict", "-CAfile", "root/ca.pem", "-untrusted", "ca/ca.pem", "unit.pem"]);
    assert!(ok && out.contains("unit.pem: OK"), "{out}");
    let serial = hsm.ok(&["ca", "list", "--dir", "ca", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&serial).unwrap();
    let serial = v[0]["serial"].as_str().unwrap().to_string();
    hsm.ok(&["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "key-compromise", "--pin-file", "pin.txt"]);
    hsm.ok(&["ca", "crl", "--dir", "root", "--pin-file", "pin.txt"]);
    for (crl, issuer) in [("ca/crl.pem", "ca/ca.pem"), ("root/crl.pem", "root/ca.pem")] {
        let (_, out) = hsm.openssl(&["crl", "-in", crl, "-CAfile", issuer, "-verify", "-noout"]);
        assert!(out.contains("verify OK"), "{crl}: {out}");
        // the oracle says no to a CRL checked against the other CA
        let other = if issuer == "ca/ca.pem" { "root/ca.pem" } else { "ca/ca.pem" };
        let (_, out) = hsm.openssl(&["crl", "-in", crl, "-CAfile", other, "-verify", "-noout"]);
        assert!(!out.contains("verify OK"), "{crl} against {other}: {out}");
    }
    let (_, text) = hsm.openssl(&["crl", "-in", "ca/crl.pem", "-noout", "-text"]);
    assert!(text.contains("Key Compromise") && text.contains("sha256WithRSAEncryption"), "{text}");
    std::fs::write(hsm.path("crls.pem"), [std::fs::read(hsm.path("ca/crl.pem")).unwrap(), std::fs::read(hsm.path("root/crl.pem")).unwrap()].concat()).unwrap();
    let (ok, out) = hsm.openssl(&["verify", "-crl_check_all", "-CRLfile", "crls.pem", "-CAfile", "root/ca.pem", "-untrusted", "ca/ca.pem", "unit.pem"]);
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    // the audit log accounts for everything the token signed
    hsm.ok(&["ca", "audit", "--dir", "ca"]);
}

/// `kyso tsa serve` with its key and certificate on the token (no --cert): `openssl ts -verify`
/// accepts its reply.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn a_tsa_with_its_key_on_the_token() {
    let hsm = SoftHsm::new();
    hsm.file_ca();
    let uri = hsm.unit("tsa", "p256", "tsa");
    std::fs::write(hsm.path("doc.txt"), "Công văn").unwrap();
    let (ok, out) = hsm.openssl(&["ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "req.tsq"]);
    assert!(ok, "{out}");
    let mut child = hsm
        .kyso()
        .args(["tsa", "serve", "--key", &uri, "--pin-file", "pin.txt", "--listen", "127.0.0.1:0", "--workers", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else { panic!("the TSA did not start: {seen:?}") };
        if let Some(rest) = line.strip_prefix("kyso tsa: listening on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
        seen.push(line);
    };
    let body = std::fs::read(hsm.path("req.tsq")).unwrap();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/timestamp-query\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(&body).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    std::fs::write(hsm.path("resp.tsr"), &reply[split..]).unwrap();
    let (ok, out) = hsm.openssl(&["ts", "-verify", "-data", "doc.txt", "-in", "resp.tsr", "-CAfile", "ca/ca.pem", "-untrusted", "tsa.pem"]);
    assert!(ok && out.contains("Verification: OK"), "{out}");
}

/// `kyso ca serve` with its OCSP keys on the token: the root's CA key (`ca init --key URI`)
/// signs the root's answers (P-384); the issuing CA (key file) delegates to a responder whose
/// RSA key and certificate are on the token (`ca/ocsp-key.uri`, no `ca/ocsp.pem`). `openssl
/// ocsp` accepts both answers and names who signed; a revocation made while the server runs is
/// in the next answer; the oracle refuses an answer checked against the wrong root; a wrong PIN
/// stops the server before it listens, naming the file that named the key.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn ca_serve_signs_ocsp_with_keys_on_the_token() {
    let hsm = SoftHsm::new();
    hsm.ok(&["key", "new", "--token", "pkcs11:token=kyso", "--label", "root", "--alg", "p384", "--pin-file", "pin.txt"]);
    hsm.ok(&["ca", "init", "--dir", "root", "--name", "Root CA Tỉnh Bắc Ninh", "--key", "pkcs11:token=kyso;object=root", "--pin-file", "pin.txt"]);
    hsm.ok(&["ca", "init", "--dir", "ca", "--name", "CA Tỉnh Bắc Ninh", "--parent", "root", "--pin-file", "pin.txt"]);
    hsm.ok(&["ca", "issue", "--dir", "ca", "--profile", "agency", "--cn", "Sở Y tế", "--uid", "MNS:1000002", "--key-out", "unit.key", "--cert-out", "unit.pem", "--chain-out", "unit-chain.pem"]);
    hsm.ok(&[
        "key", "new", "--token", "pkcs11:token=kyso", "--label", "ocsp", "--alg", "rsa2048", "--pin-file", "pin.txt", "--csr", "ocsp.csr", "--cn",
        "OCSP CA Tỉnh Bắc Ninh",
    ]);
    hsm.ok(&["ca", "issue", "--dir", "ca", "--profile", "ocsp", "--cn", "OCSP CA Tỉnh Bắc Ninh", "--csr", "ocsp.csr", "--cert-out", "ocsp.pem"]);
    hsm.ok(&["token", "import-cert", "--key", "pkcs11:token=kyso;object=ocsp", "--cert", "ocsp.pem", "--pin-file", "pin.txt"]);
    std::fs::write(hsm.path("ca/ocsp-key.uri"), "pkcs11:token=kyso;object=ocsp\n").unwrap();
    assert!(!hsm.path("ca/ocsp.pem").exists() && !hsm.path("ca/ocsp.key").exists());

    // A wrong PIN: refused before listening (exit 2), naming the file that names the key.
    let (code, _, err) = summary(&hsm.run(&["ca", "serve", "--dir", "ca", "--listen", "127.0.0.1:0", "--pin-file", "bad-pin.txt"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the OCSP responder key (ca/ocsp-key.uri)") && err.contains("wrong PIN for the token 'kyso'"), "{err}");

    let mut child = hsm
        .kyso()
        .args(["ca", "serve", "--dir", "root", "--dir", "ca", "--listen", "127.0.0.1:0", "--pin-file", "pin.txt"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("the server did not start: {seen:?}")
        };
        if let Some(rest) = line.strip_prefix("kyso ca serve: listening on http://") {
            break rest.trim_end_matches('/').to_string();
        }
        seen.push(line);
    };
    // who signs for whom, as the server says at start
    let signers: Vec<String> = lines.by_ref().take(2).map_while(Result::ok).collect();
    let url = format!("http://{addr}/ocsp");
    let ask = |issuer: &str, cert: &str, trust: &str| {
        hsm.openssl(&["ocsp", "-issuer", issuer, "-cert", cert, "-url", &url, "-CAfile", trust, "-resp_text"]).1
    };
    let root_answer = ask("root/ca.pem", "ca/ca.pem", "root/ca.pem");
    let unit_answer = ask("ca/ca.pem", "unit.pem", "root/ca.pem");
    // (a CA signing its own answer is trusted as the issuer OpenSSL is given: only the
    // delegated responder's answer depends on the trust anchor)
    // (unit.pem is the certificate alone: its chain went to --chain-out)
    let wrong_root = ask("ca/ca.pem", "unit.pem", "unit.pem");
    let serial = {
        let v: serde_json::Value = serde_json::from_str(&hsm.ok(&["ca", "list", "--dir", "ca", "--json"])).unwrap();
        let unit = v.as_array().unwrap().iter().find(|c| c["profile"] == "agency").unwrap_or_else(|| panic!("{v}"));
        unit["serial"].as_str().unwrap().to_string()
    };
    hsm.ok(&["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "key-compromise"]);
    let revoked_answer = ask("ca/ca.pem", "unit.pem", "root/ca.pem");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();

    assert!(signers.iter().any(|l| l.contains("Root CA") && l.ends_with("OCSP signed by the CA key")), "{signers:?}");
    assert!(signers.iter().any(|l| l.contains("OCSP signed by the delegated responder")), "{signers:?}");
    // the root's own key on the token (P-384) signed the root's answer
    assert!(root_answer.contains("Response verify OK") && root_answer.contains("ca/ca.pem: good"), "{root_answer}");
    assert!(root_answer.contains("Responder Id: ") && root_answer.contains("ecdsa-with-SHA384"), "{root_answer}");
    // the delegated responder's RSA key on the token signed the issuing CA's (PKCS#1 v1.5)
    assert!(unit_answer.contains("Response verify OK") && unit_answer.contains("unit.pem: good"), "{unit_answer}");
    assert!(unit_answer.contains("OCSP CA T") && unit_answer.contains("sha256WithRSAEncryption"), "{unit_answer}");
    assert!(revoked_answer.contains("Response verify OK") && revoked_answer.contains("unit.pem: revoked"), "{revoked_answer}");
    assert!(revoked_answer.contains("Reason: keyCompromise"), "{revoked_answer}");
    // the oracle can say no
    assert!(!wrong_root.contains("Response verify OK") && wrong_root.contains("unable to get local issuer certificate"), "{wrong_root}");
    assert!(status.success(), "{status:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("stopped: 4 OCSP answers")), "{rest:?}");
}

/// 1,000 documents signed in one batch with a token key (sessions from the key's pool, one per
/// signing thread, at most 16: with 20 threads kyso says the batch waits for sessions): every
/// signature written, and kyso verifies them all; OpenSSL checks a sample.
/// (The speed against a file key is measured by `cargo bench --bench token`, not here.)
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn a_batch_of_1000_documents_signed_with_a_token_key() {
    let hsm = SoftHsm::new();
    hsm.file_ca();
    let uri = hsm.unit("batch", "p256", "agency");
    std::fs::create_dir(hsm.path("docs")).unwrap();
    let mut args: Vec<String> = ["sign", "--key", &uri, "--pin-file", "pin.txt"].iter().map(|s| s.to_string()).collect();
    let mut docs = Vec::new();
    for i in 0..1000 {
        let name = format!("docs/cv-{i:04}.txt");
        std::fs::write(hsm.path(&name), format!("Công văn số {i}/UBND-VP")).unwrap();
        docs.push(name);
    }
    args.extend(docs.iter().cloned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    // 20 signing threads: more than the 16 sessions kyso opens on a token at most, which it says
    let (code, _, err) = summary(&hsm.kyso().args(&refs).env("RAYON_NUM_THREADS", "20").stdin(Stdio::null()).output().unwrap());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("signed 1000 of 1000 files, 0 failed"), "{err}");
    assert!(err.contains("note: the batch signs at most 16 document(s) at a time on the token 'kyso' (the sessions it allows, at most 16), not 20"), "{err}");
    for i in [0, 499, 999] {
        let (ok, out) = hsm.openssl(&[
            "cms", "-verify", "-binary", "-inform", "DER", "-in", &format!("docs/cv-{i:04}.txt.p7s"), "-content", &format!("docs/cv-{i:04}.txt"),
            "-CAfile", "ca/ca.pem", "-purpose", "any", "-out", "/dev/null",
        ]);
        assert!(ok, "{i}: {out}");
    }
    // every signature, in one kyso verify run
    let mut verify: Vec<&str> = vec!["verify", "--trust", "ca/ca.pem", "--revocation", "off", "--json"];
    verify.extend(docs.iter().map(String::as_str));
    let out = hsm.ok(&verify);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["indication"], "TOTAL_PASSED");
    assert_eq!(v["documents"].as_array().unwrap().len(), 1000);
}

/// Where the PIN comes from, in order: `pin-source=file:` in the URI, then `--pin-file`, then
/// `KYSO_PIN` (each source shown to win over the next by giving the next a wrong PIN); a PIN
/// source that is empty is refused by name.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn the_pin_comes_from_the_uri_then_pin_file_then_kyso_pin() {
    let hsm = SoftHsm::new();
    hsm.file_ca();
    let uri = hsm.unit("unit", "p256", "agency");
    std::fs::write(hsm.path("doc.txt"), "Công văn").unwrap();
    std::fs::write(hsm.path("empty-pin.txt"), "\n").unwrap();
    let with_source = format!("{uri}?pin-source=file:{}", hsm.path("pin.txt").display());
    let sign = |key: &str, pin_file: Option<&str>, env_pin: Option<&str>| {
        let mut c = hsm.kyso();
        c.args(["sign", "--force", "--key", key, "doc.txt"]).stdin(Stdio::null());
        if let Some(f) = pin_file {
            c.args(["--pin-file", f]);
        }
        if let Some(p) = env_pin {
            c.env("KYSO_PIN", p);
        }
        summary(&c.output().unwrap())
    };
    // the URI's pin-source wins over a wrong --pin-file and a wrong KYSO_PIN
    let (code, _, err) = sign(&with_source, Some("bad-pin.txt"), Some("0000"));
    assert_eq!(code, 0, "{err}");
    // --pin-file wins over a wrong KYSO_PIN
    let (code, _, err) = sign(&uri, Some("pin.txt"), Some("0000"));
    assert_eq!(code, 0, "{err}");
    // KYSO_PIN alone
    let (code, _, err) = sign(&uri, None, Some(PIN));
    assert_eq!(code, 0, "{err}");
    // and each is really used: a wrong one in first place fails
    let (code, _, err) = sign(&uri, Some("bad-pin.txt"), Some(PIN));
    assert!(code == 2 && err.contains("wrong PIN for the token 'kyso'"), "{code} {err}");
    let (code, _, err) = sign(&uri, None, Some("0000"));
    assert!(code == 2 && err.contains("wrong PIN for the token 'kyso'"), "{code} {err}");
    let (code, _, err) = sign(&uri, Some("empty-pin.txt"), None);
    assert!(code == 2 && err.contains("the PIN file empty-pin.txt (--pin-file) has an empty first line"), "{code} {err}");
    let missing = format!("{uri}?pin-source=file:/nonexistent/pin.txt");
    let (code, _, err) = sign(&missing, None, Some(PIN));
    assert!(code == 2 && err.contains("cannot read the PIN file /nonexistent/pin.txt (pin-source in the URI)"), "{code} {err}");
}

/// What changes between runs and machines in a token error message, with its stand-in: the
/// folder, the module's path, the token's serial number and the key ids (read once from
/// `token list --json`, before any PIN is locked).
fn replacements(hsm: &SoftHsm) -> Vec<(String, &'static str)> {
    let mut r = vec![(hsm.dir.path().display().to_string(), "<tmp>"), (hsm.module.display().to_string(), "<module>")];
    let json = hsm.ok(&["token", "list", "--login", "--pin-file", "pin.txt", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for slot in v["slots"].as_array().unwrap().iter().filter(|s| s["token"]["label"] == "kyso") {
        r.push((slot["token"]["serial"].as_str().unwrap().to_string(), "<serial>"));
        for o in slot["token"]["objects"].as_array().unwrap() {
            let id = o["id"].as_str().unwrap();
            if !id.is_empty() {
                r.push((id.to_string(), "<id>"));
            }
        }
    }
    r
}

fn case(stable: &[(String, &'static str)], title: &str, cmd: &mut Command) -> String {
    let (code, _, err) = summary(&cmd.stdin(Stdio::null()).output().unwrap());
    let err = stable.iter().fold(err.trim_end().to_string(), |t, (from, to)| t.replace(from, to));
    format!("$ {title}\nexit {code}\n{err}\n")
}

/// The token errors name what was looked for and where (snapshot `error-token.txt`): wrong PIN
/// (the tries the token reports), the final try, a locked PIN (not even tried), no PIN source,
/// a missing object, an object that is not a private key, a missing token, a key whose
/// certificate is not on the token, a --cert or a certificate to store for another key.
#[test]
#[ignore = "needs SoftHSM2 and OpenSC (apt-get install softhsm2 opensc); .ci/run runs it"]
fn token_errors_name_what_was_looked_for() {
    let hsm = SoftHsm::new();
    hsm.file_ca();
    let uri = hsm.unit("unit", "p256", "agency");
    hsm.ok(&["key", "new", "--token", "pkcs11:token=kyso", "--label", "nocert", "--pin-file", "pin.txt"]);
    std::fs::write(hsm.path("doc.txt"), "x").unwrap();
    // a certificate stored alone under its own label (no key)
    let (ok, out) = hsm.openssl(&["x509", "-in", "ca/ca.pem", "-outform", "DER", "-out", "ca.der"]);
    assert!(ok, "{out}");
    hsm.pkcs11_tool(&["--login", "--pin", PIN, "--write-object", hsm.path("ca.der").to_str().unwrap(), "--type", "cert", "--label", "onlycert"]);
    let sign = |key: &str, pin: Option<&str>| {
        let mut c = hsm.kyso();
        c.args(["sign", "--key", key, "doc.txt", "--force"]);
        if let Some(p) = pin {
            c.args(["--pin-file", p]);
        }
        c
    };
    let r = replacements(&hsm);
    let mut s = String::new();
    s += &case(&r, "wrong PIN", &mut sign(&uri, Some("bad-pin.txt")));
    s += &case(&r, "no PIN source", &mut sign(&uri, None));
    s += &case(&r, "missing object", &mut sign("pkcs11:token=kyso;object=nope", Some("pin.txt")));
    s += &case(&r, "a certificate, not a private key", &mut sign("pkcs11:token=kyso;object=onlycert", Some("pin.txt")));
    s += &case(&r, "type=cert", &mut sign("pkcs11:token=kyso;object=unit;type=cert", Some("pin.txt")));
    s += &case(&r, "missing token", &mut sign("pkcs11:token=nope;object=unit", Some("pin.txt")));
    s += &case(&r, "no certificate on the token", &mut sign("pkcs11:token=kyso;object=nocert", Some("pin.txt")));
    s += &case(&r, "--cert of another key", sign("pkcs11:token=kyso;object=nocert", Some("pin.txt")).args(["--cert", "unit.pem"]));
    s += &case(
        &r,
        "certificate for another key",
        hsm.kyso().args(["token", "import-cert", "--key", "pkcs11:token=kyso;object=nocert", "--cert", "unit.pem", "--pin-file", "pin.txt"]),
    );
    s += &case(
        &r,
        "label taken",
        hsm.kyso().args(["key", "new", "--token", "pkcs11:token=kyso", "--label", "unit", "--pin-file", "pin.txt"]),
    );
    // the token reports its last try (CKF_USER_PIN_FINAL_TRY), then a locked PIN
    hsm.set_token_flags(0x0002_0000);
    s += &case(&r, "wrong PIN on the final try", &mut sign(&uri, Some("bad-pin.txt")));
    hsm.set_token_flags(0x0004_0000);
    s += &case(&r, "locked PIN (the right PIN is not even tried)", &mut sign(&uri, Some("pin.txt")));
    check_snapshot("error-token", &s);
    // the locked token refused before any login: SoftHSM (which never locks) would have
    // accepted the right PIN
    assert!(s.contains("is locked (CKF_USER_PIN_LOCKED / CKR_PIN_LOCKED)"), "{s}");
}

/// Errors that need no token: the module is looked for where the URI, --module or
/// $KYSO_PKCS11_MODULE say (and the message names the place); URIs kyso refuses.
#[test]
fn token_errors_without_a_token() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("doc.txt"), "x").unwrap();
    let run = |args: &[&str], module_env: Option<&str>| {
        let mut c = kyso();
        c.args(args).current_dir(d.path()).env_remove("KYSO_PIN").stdin(Stdio::null());
        match module_env {
            Some(m) => c.env("KYSO_PKCS11_MODULE", m),
            None => c.env_remove("KYSO_PKCS11_MODULE"),
        };
        let (code, _, err) = summary(&c.output().unwrap());
        format!("$ kyso {}{}\nexit {code}\n{}\n", module_env.map(|m| format!("(KYSO_PKCS11_MODULE={m}) ")).unwrap_or_default(), args.join(" "), err.trim_end())
    };
    let mut s = String::new();
    s += &run(&["sign", "--key", "pkcs11:token=kyso;object=unit", "doc.txt"], Some("/nonexistent/libvendor.so"));
    s += &run(&["sign", "--key", "pkcs11:token=kyso;object=unit?module-path=/nonexistent/libvendor.so", "doc.txt"], None);
    s += &run(&["token", "list", "--module", "/nonexistent/libvendor.so"], None);
    s += &run(&["sign", "--key", "pkcs11:token=kyso;object=unit?module-name=kyso-no-such-vendor", "doc.txt"], Some("/nonexistent/libvendor.so"));
    s += &run(&["sign", "--key", "pkcs11:token=kyso;object=unit?pin-value=1234", "doc.txt"], None);
    s += &run(&["sign", "--key", "pkcs11:token=kyso;objekt=unit", "doc.txt"], None);
    s += &run(&["csr", "new", "--key", "pkcs11:token=kyso;object=unit;object=x", "--cn", "X", "--out", "x.csr"], None);
    s += &run(&["ca", "init", "--dir", "ca", "--name", "X", "--key", "ca.key"], None);
    let fake = d.path().join("fake.so");
    std::fs::write(&fake, b"not a module").unwrap();
    let fake = fake.display().to_string();
    let out = run(&["token", "list", "--module", &fake], None).replace(&d.path().display().to_string(), "<tmp>");
    s += &out;
    check_snapshot("error-token-no-module", &s);
    assert!(s.contains("KYSO_PKCS11_MODULE names /nonexistent/libvendor.so, which does not exist"), "{s}");
    assert!(s.contains("pin-value) is refused"), "{s}");
}
