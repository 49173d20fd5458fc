//! The example province (certs-example/: root → issuing CA → Sở Y tế) as benchmark inputs:
//! trust anchor, chain, CRLs and the unit's agency certificate and key, read from the checked-in
//! files (made by certs-example/generate.sh), so that every bench measures the same PKI.
//!
//! Used by benches/large.rs and benches/verify.rs through
//! `#[path = "common/example.rs"] mod example;`.

use kyso::{KeyFile, PrivateKey};
use std::path::PathBuf;

/// The bytes of `certs-example/<path>`.
pub fn file(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The example key at `certs-example/<path>`, opened with certs-example/passphrase.txt.
pub fn key(path: &str) -> PrivateKey {
    let pass = String::from_utf8(file("passphrase.txt")).unwrap();
    KeyFile::parse(&file(path)).unwrap().open(Some(pass.trim().as_bytes())).unwrap()
}

/// What a verifier and a signer of the example province need.
pub struct Pki {
    /// The root certificate (DER), the only trust anchor.
    pub anchors: Vec<Vec<u8>>,
    /// chain.pem: the issuing CA's certificate (DER).
    pub chain: Vec<Vec<u8>>,
    /// crl.pem: the root's and the issuing CA's CRLs (DER).
    pub crls: Vec<Vec<u8>>,
    /// Sở Y tế's agency certificate (DER).
    pub cert: Vec<u8>,
    /// Sở Y tế's agency key, opened.
    pub key: PrivateKey,
}

/// Loads the example province.
pub fn pki() -> Pki {
    Pki {
        anchors: kyso::objects::certificates(&file("root.pem")).unwrap(),
        chain: kyso::objects::certificates(&file("chain.pem")).unwrap(),
        crls: kyso::objects::crls(&file("crl.pem")).unwrap(),
        cert: kyso::objects::certificates(&file("units/so-y-te/agency.pem")).unwrap().remove(0),
        key: key("units/so-y-te/agency.key"),
    }
}
