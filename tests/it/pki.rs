//! A test PKI made by the `openssl` CLI (an implementation independent of kyso): a root CA, an
//! issuing sub-CA, leaves with chosen extensions, and CRLs made with `openssl ca`.
//! Every certificate is created inside the test run; nothing is checked in.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs openssl with `args` in `dir`, panicking with its stderr on failure (test fixture only).
pub fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl CLI must be installed");
    assert!(out.status.success(), "openssl {:?} failed: {}", args, String::from_utf8_lossy(&out.stderr));
    out
}

/// Key types the fixture can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    P256,
    P384,
    Rsa2048,
    Rsa1024,
    P521,
    BrainpoolP256,
    BrainpoolP384,
}

/// A certificate with its (unencrypted PKCS#8 PEM) key.
#[derive(Debug, Clone)]
pub struct Party {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub name: String,
}

/// Which CA issues a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Root,
    Sub,
}

/// Options for a leaf certificate. The default is a valid document-signing unit certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub key: KeyKind,
    pub by: By,
    /// openssl keyUsage value, e.g. "critical,digitalSignature,nonRepudiation"
    pub key_usage: Option<String>,
    /// openssl extendedKeyUsage value, e.g. "emailProtection,1.3.6.1.5.5.7.3.36"
    pub eku: Option<String>,
    /// basicConstraints value
    pub basic_constraints: String,
    pub days: u32,
    /// Reuse this key file instead of making one (certificate substitution tests).
    pub reuse_key: Option<PathBuf>,
    /// Message digest for the certificate signature (sha256, sha1, …).
    pub md: String,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            key: KeyKind::P256,
            by: By::Sub,
            key_usage: Some("critical,digitalSignature,nonRepudiation".into()),
            eku: Some("emailProtection,1.3.6.1.5.5.7.3.36".into()),
            basic_constraints: "critical,CA:FALSE".into(),
            days: 365,
            reuse_key: None,
            md: "sha256".into(),
        }
    }
}

/// A root CA and an issuing sub-CA in a temporary folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub root: Party,
    pub sub: Party,
    counter: std::cell::Cell<u32>,
}

pub fn genkey(dir: &Path, kind: KeyKind, out: &str) {
    let args: Vec<&str> = match kind {
        KeyKind::P256 => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out],
        KeyKind::P384 => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", out],
        KeyKind::Rsa2048 => vec!["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", out],
        KeyKind::Rsa1024 => vec!["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", out],
        KeyKind::P521 => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", out],
        KeyKind::BrainpoolP256 => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-out", out],
        KeyKind::BrainpoolP384 => vec!["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384r1", "-out", out],
    };
    openssl(dir, &args);
}

fn write_cfg(dir: &Path, name: &str, cn: &str, ext: &[(&str, String)]) -> PathBuf {
    let mut s = String::from(
        "[req]\ndistinguished_name=dn\nprompt=no\nutf8=yes\nstring_mask=utf8only\n[dn]\nC=VN\nO=Test Province\n",
    );
    s.push_str(&format!("CN={cn}\n[ext]\n"));
    for (k, v) in ext {
        s.push_str(&format!("{k}={v}\n"));
    }
    let p = dir.join(format!("{name}.cnf"));
    std::fs::write(&p, s).unwrap();
    p
}

impl Pki {
    /// Root (10 years) and sub-CA (5 years, pathlen 0), both of `kind`.
    pub fn new(kind: KeyKind) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        genkey(d, kind, "root.key");
        let cfg = write_cfg(
            d,
            "root",
            "Test Root CA",
            &[
                ("basicConstraints", "critical,CA:TRUE".into()),
                ("keyUsage", "critical,keyCertSign,cRLSign".into()),
                ("subjectKeyIdentifier", "hash".into()),
            ],
        );
        openssl(d, &["req", "-x509", "-new", "-key", "root.key", "-config", cfg.to_str().unwrap(), "-extensions", "ext", "-days", "3650", "-sha256", "-set_serial", "1", "-out", "root.pem"]);
        let root = Party { cert: d.join("root.pem"), key: d.join("root.key"), name: "Test Root CA".into() };
        genkey(d, kind, "sub.key");
        let cfg = write_cfg(
            d,
            "sub",
            "Test Issuing CA",
            &[
                ("basicConstraints", "critical,CA:TRUE,pathlen:0".into()),
                ("keyUsage", "critical,keyCertSign,cRLSign".into()),
                ("subjectKeyIdentifier", "hash".into()),
                ("authorityKeyIdentifier", "keyid:always".into()),
            ],
        );
        openssl(d, &["req", "-new", "-key", "sub.key", "-config", cfg.to_str().unwrap(), "-out", "sub.csr"]);
        openssl(d, &["x509", "-req", "-in", "sub.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "2", "-days", "1825", "-sha256", "-extfile", cfg.to_str().unwrap(), "-extensions", "ext", "-out", "sub.pem"]);
        let sub = Party { cert: d.join("sub.pem"), key: d.join("sub.key"), name: "Test Issuing CA".into() };
        for ca in ["root", "sub"] {
            std::fs::create_dir_all(d.join(format!("{ca}-db"))).unwrap();
            std::fs::write(d.join(format!("{ca}-db/index.txt")), "").unwrap();
            std::fs::write(d.join(format!("{ca}-db/crlnumber")), "01\n").unwrap();
            std::fs::write(
                d.join(format!("{ca}-ca.cnf")),
                format!(
                    "[ca]\ndefault_ca=CA_default\n[CA_default]\ndatabase={d}/{ca}-db/index.txt\ncrlnumber={d}/{ca}-db/crlnumber\n\
                     certificate={d}/{ca}.pem\nprivate_key={d}/{ca}.key\ndefault_md=sha256\ndefault_crl_days=30\ncrl_extensions=crl_ext\n\
                     [crl_ext]\nauthorityKeyIdentifier=keyid:always\n",
                    d = d.display()
                ),
            )
            .unwrap();
        }
        Pki { dir, root, sub, counter: std::cell::Cell::new(100) }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The sub-CA certificate alone, as a `--chain` file.
    pub fn chain(&self) -> PathBuf {
        self.sub.cert.clone()
    }

    /// Makes a leaf certificate named `cn` with `opts`.
    pub fn leaf(&self, cn: &str, opts: Leaf) -> Party {
        let d = self.dir.path();
        let n = self.counter.get() + 1;
        self.counter.set(n);
        let base = format!("leaf{n}");
        let key = match &opts.reuse_key {
            Some(k) => k.clone(),
            None => {
                genkey(d, opts.key, &format!("{base}.key"));
                d.join(format!("{base}.key"))
            }
        };
        let mut ext = vec![
            ("basicConstraints", opts.basic_constraints.clone()),
            ("subjectKeyIdentifier", "hash".to_string()),
            ("authorityKeyIdentifier", "keyid:always".to_string()),
        ];
        if let Some(ku) = &opts.key_usage {
            ext.push(("keyUsage", ku.clone()));
        }
        if let Some(eku) = &opts.eku {
            ext.push(("extendedKeyUsage", eku.clone()));
        }
        let cfg = write_cfg(d, &base, cn, &ext);
        let (ca, cakey) = match opts.by {
            By::Root => (&self.root.cert, &self.root.key),
            By::Sub => (&self.sub.cert, &self.sub.key),
        };
        let csr = format!("{base}.csr");
        let pem = format!("{base}.pem");
        openssl(d, &["req", "-new", "-key", key.to_str().unwrap(), "-config", cfg.to_str().unwrap(), "-out", &csr]);
        let serial = format!("0x{:x}", 0x1000 + n);
        let days = opts.days.to_string();
        let md = format!("-{}", opts.md);
        openssl(d, &["x509", "-req", "-in", &csr, "-CA", ca.to_str().unwrap(), "-CAkey", cakey.to_str().unwrap(), "-set_serial", &serial, "-days", &days, &md, "-extfile", cfg.to_str().unwrap(), "-extensions", "ext", "-out", &pem]);
        Party { cert: d.join(pem), key, name: cn.to_string() }
    }

    /// Revokes `party` in the database of the CA `by` (reason as openssl names it, e.g.
    /// "keyCompromise", "superseded").
    pub fn revoke(&self, by: By, party: &Party, reason: &str) {
        let ca = match by {
            By::Root => "root",
            By::Sub => "sub",
        };
        let cfg = self.path(&format!("{ca}-ca.cnf"));
        openssl(self.dir.path(), &["ca", "-config", cfg.to_str().unwrap(), "-revoke", party.cert.to_str().unwrap(), "-crl_reason", reason]);
    }

    /// Publishes a CRL of the CA `by` into `out` (PEM), valid for `days` days (`-crlhours` when 0 → 1 hour).
    pub fn crl(&self, by: By, out: &str, days: u32) -> PathBuf {
        let ca = match by {
            By::Root => "root",
            By::Sub => "sub",
        };
        let cfg = self.path(&format!("{ca}-ca.cnf"));
        let days = days.to_string();
        openssl(self.dir.path(), &["ca", "-config", cfg.to_str().unwrap(), "-gencrl", "-crldays", &days, "-out", out]);
        self.path(out)
    }
}

/// Writes `data` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `openssl cms -verify` of a detached DER signature against `ca_file`; true when it verifies.
pub fn openssl_cms_verify(dir: &Path, sig: &Path, content: &Path, ca_file: &Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["cms", "-verify", "-binary", "-inform", "DER", "-in", sig.to_str().unwrap(), "-content", content.to_str().unwrap(), "-CAfile", ca_file.to_str().unwrap(), "-purpose", "any", "-out", "/dev/null"];
    args.extend_from_slice(extra);
    let out = Command::new("openssl").args(&args).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn fixture_chain_verifies_with_openssl_and_crl_marks_revoked() {
    let pki = Pki::new(KeyKind::P256);
    let leaf = pki.leaf("Unit A", Leaf::default());
    let d = pki.dir.path();
    let ok = Command::new("openssl")
        .args(["verify", "-x509_strict", "-CAfile", pki.root.cert.to_str().unwrap(), "-untrusted", pki.sub.cert.to_str().unwrap(), leaf.cert.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    pki.revoke(By::Sub, &leaf, "keyCompromise");
    let crl = pki.crl(By::Sub, "sub-crl.pem", 30);
    let root_crl = pki.crl(By::Root, "root-crl.pem", 30);
    let bad = Command::new("openssl")
        .args(["verify", "-crl_check_all", "-CAfile", pki.root.cert.to_str().unwrap(), "-untrusted", pki.sub.cert.to_str().unwrap(), "-CRLfile", crl.to_str().unwrap(), "-CRLfile", root_crl.to_str().unwrap(), leaf.cert.to_str().unwrap()])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("revoked") || String::from_utf8_lossy(&bad.stderr).contains("revoked"));
}

/// An oracle's refusal, checked for its reason: Ok when the run failed (`succeeded` is false)
/// and its output says `reason`; Err, naming what happened, when it succeeded or failed for
/// another reason. A refusal for the wrong reason (a file not found, an untrusted root, a tool
/// that crashed) does not confirm the case under test.
pub fn refused_because(succeeded: bool, output: &str, reason: &str) -> Result<(), String> {
    if succeeded {
        return Err(format!("it succeeded (expected a refusal because of {reason:?}):\n{output}"));
    }
    if !output.contains(reason) {
        return Err(format!("it failed, but not because of {reason:?}:\n{output}"));
    }
    Ok(())
}

/// `refused_because` fails on the two wrong answers: a success, and a refusal for another reason
/// (OpenSSL's own outputs: an untrusted root is not a modified document).
#[test]
fn refusal_checks_need_the_reason() {
    let pki = Pki::new(KeyKind::P256);
    let other = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let leaf = pki.leaf("Unit", Leaf::default());
    let doc = write(d, "doc.txt", b"original");
    openssl(d, &["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-signer", leaf.cert.to_str().unwrap(), "-inkey", leaf.key.to_str().unwrap(), "-certfile", pki.sub.cert.to_str().unwrap(), "-in", "doc.txt", "-out", "doc.p7s"]);
    let sig = d.join("doc.p7s");
    let (ok, out) = openssl_cms_verify(d, &sig, &doc, &pki.root.cert, &[]);
    assert!(refused_because(ok, &out, "content verify error").unwrap_err().starts_with("it succeeded"));
    write(d, "doc.txt", b"modified");
    let (ok, out) = openssl_cms_verify(d, &sig, &doc, &pki.root.cert, &[]);
    refused_because(ok, &out, "content verify error").unwrap();
    let (ok, out) = openssl_cms_verify(d, &sig, &doc, &other.root.cert, &[]);
    let e = refused_because(ok, &out, "content verify error").unwrap_err();
    assert!(e.starts_with("it failed, but not because of") && e.contains("unable to get local issuer certificate"), "{e}");
}
