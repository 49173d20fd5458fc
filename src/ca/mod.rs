//! The provincial certificate authority: a CA directory (certificate, encrypted key, chain,
//! current CRL, registry), certificate issuance by profile, revocation, CRLs and the
//! hash-chained audit log.
//!
//! A CA directory holds `ca.pem`, `ca.key` (encrypted PKCS#8, 0600) — or `ca-key.uri`, the
//! RFC 7512 URI of a key kept on a token or HSM ([`Ca::init_with_key`], [`CaKeyRef`]) —,
//! `chain.pem` (issuing CAs: their certificate and their parents' up to the root), `crl.pem`
//! (regenerated on every revocation) and `registry.db` (SQLite, see [`REGISTRY_FILE`]).
//!
//! By topic: this module opens a CA directory ([`Ca`]); `issue` creates CAs and issues
//! certificates, `revoke` revokes and publishes CRLs, `registry` is the SQLite store and the
//! inventory ([`Ca::list`]), `audit` replays the log, `error` holds [`CaError`]; [`profile`]
//! holds the issuance rules and [`csr`] certificate requests.
//!
//! Every function takes the current time as an argument: the library never reads the clock.
//! Signing goes through the [`Signer`](crate::Signer) trait, so a hardware token can replace the file key.
//!
//! ```no_run
//! use kyso::ca::{Ca, InitParams, IssueRequest, Profile, SubjectInfo};
//! use kyso::{KeyAlgorithm, PrivateKey, Signer};
//! let now = time::OffsetDateTime::now_utc();
//! let dir = std::path::Path::new("ca-bac-ninh");
//! let params = InitParams::new("CA Tỉnh Bắc Ninh");
//! let mut ca = Ca::init(dir, &params, None, b"example only", kyso::Kdf::default(), now)?;
//! let ca_key = ca.open_key(Some(b"example only"))?;
//! let unit_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let subject = SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), ..Default::default() };
//! let req = IssueRequest { profile: Profile::Agency, subject, years: None };
//! let issued = ca.issue(&ca_key, &req, unit_key.public_key_spki(), now)?;
//! println!("serial {}", issued.serial);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audit;
pub mod csr;
mod error;
mod issue;
pub mod ocsp;
pub mod profile;
mod registry;
#[cfg(feature = "server")]
pub mod serve;
mod revoke;
pub(crate) mod signer;
mod output;
#[cfg(test)]
mod tests;

pub use audit::AuditReport;
pub use error::CaError;
pub use output::{BuildBundle, IssueOutputs, IssuedFiles, Recovered, OUTPUT_LOCK_WAIT};
pub use issue::{add_years, InitKey, InitParams, IssueRequest, Issued, DEFAULT_ISSUING_YEARS, DEFAULT_ROOT_YEARS};
pub use profile::{Field, Profile, ProfileError, SubjectInfo};
pub use registry::{Record, Status, REGISTRY_FILE};
pub use revoke::{normalize_serial, Crl, Reason, DEFAULT_CRL_DAYS, MAX_CRL_DAYS};

use crate::keys::{KeyFile, PrivateKey};
use error::io_err;
pub use crate::util::rfc3339;
use registry::Registry;
use std::fmt;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use x509_parser::prelude::FromDer;

/// The CA certificate file in a CA directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA key file (encrypted PKCS#8 PEM, mode 0600).
pub const CA_KEY_FILE: &str = "ca.key";
/// In place of [`CA_KEY_FILE`] for a CA whose key is on a PKCS#11 token or HSM: one line, the
/// key's RFC 7512 URI (never a PIN).
pub const CA_KEY_URI_FILE: &str = "ca-key.uri";

/// Where a CA's key is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaKeyRef {
    /// In the CA directory: [`CA_KEY_FILE`].
    File(PathBuf),
    /// On a token: the URI written in [`CA_KEY_URI_FILE`].
    Uri(String),
}

/// Longest `ca-key.uri` read: a URI is a few hundred bytes.
const MAX_URI_FILE: u64 = 16 * 1024;
/// The chain file of an issuing CA (its certificate, then its parents' up to the root).
pub const CHAIN_FILE: &str = "chain.pem";
/// The current CRL (PEM).
pub const CRL_FILE: &str = "crl.pem";

/// Size of the CA and CRL files kyso reads back from a CA directory (1 MiB: a certificate
/// chain is a few KB; a CRL of a province with 100,000 revocations ~4 MB is read from the
/// registry, not from here).
const MAX_CA_FILE: u64 = 1 << 20;

/// An open CA directory.
pub struct Ca {
    dir: PathBuf,
    cert_der: Vec<u8>,
    registry: Registry,
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode_config(&pem::Pem::new(label, der.to_vec()), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

/// Facts about a CA certificate that issuance needs.
struct CaFacts {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    path_len: Option<Option<u32>>, // None: not a CA; Some(None): unconstrained
    ski: Option<Vec<u8>>,
    spki: Vec<u8>,
}

fn ca_facts(der: &[u8], path: &Path) -> Result<CaFacts, CaError> {
    let bad = |m: String| CaError::BadCaCert { path: path.to_path_buf(), message: m };
    let (rem, cert) = x509_parser::certificate::X509Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
    if !rem.is_empty() {
        return Err(bad("trailing data".into()));
    }
    let path_len = match cert.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => Some(bc.value.path_len_constraint),
        Ok(_) => None,
        Err(e) => return Err(bad(e.to_string())),
    };
    let ski = cert.iter_extensions().find_map(|e| match e.parsed_extension() {
        x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
        _ => None,
    });
    Ok(CaFacts {
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        path_len,
        ski,
        spki: cert.public_key().raw.to_vec(),
    })
}

/// The first PEM certificate of a file.
fn read_cert_file(path: &Path) -> Result<Vec<u8>, CaError> {
    let bytes = crate::files::read_limited(path, MAX_CA_FILE).map_err(|e| io_err(path, e))?;
    let mut certs = crate::objects::certificates(&bytes)
        .map_err(|e| CaError::BadCaCert { path: path.to_path_buf(), message: e.to_string() })?;
    if certs.is_empty() {
        return Err(CaError::BadCaCert { path: path.to_path_buf(), message: "no certificate".into() });
    }
    Ok(certs.swap_remove(0))
}

impl Ca {
    /// Opens the CA in `dir`, checking that it holds a CA certificate and a registry.
    pub fn open(dir: &Path) -> Result<Ca, CaError> {
        if !dir.is_dir() {
            return Err(CaError::NoSuchDir(dir.to_path_buf()));
        }
        for f in [CA_CERT_FILE, CA_KEY_FILE, REGISTRY_FILE] {
            if !dir.join(f).is_file() && !(f == CA_KEY_FILE && dir.join(CA_KEY_URI_FILE).is_file()) {
                return Err(CaError::NotACa { dir: dir.to_path_buf(), missing: f });
            }
        }
        let cert_path = dir.join(CA_CERT_FILE);
        let cert_der = read_cert_file(&cert_path)?;
        if ca_facts(&cert_der, &cert_path)?.path_len.is_none() {
            return Err(CaError::BadCaCert { path: cert_path, message: "not a CA certificate (basicConstraints cA is not set)".into() });
        }
        let reg_path = dir.join(REGISTRY_FILE);
        let registry = Registry::open(&reg_path).map_err(|e| CaError::Registry(format!("{}: {e}", reg_path.display())))?;
        let mut ca = Ca { dir: dir.to_path_buf(), cert_der, registry };
        ca.write_crl_file()?;
        Ok(ca)
    }

    /// The CA directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.cert_der
    }

    /// The file that says where the key is: [`CA_KEY_FILE`], or [`CA_KEY_URI_FILE`] for a key on
    /// a token.
    pub fn key_path(&self) -> PathBuf {
        let uri = self.dir.join(CA_KEY_URI_FILE);
        if !self.dir.join(CA_KEY_FILE).exists() && uri.is_file() {
            uri
        } else {
            self.dir.join(CA_KEY_FILE)
        }
    }

    /// Where the CA key is: a file in the directory, or a key on a token (its URI).
    pub fn key_ref(&self) -> Result<CaKeyRef, CaError> {
        let path = self.key_path();
        if path.ends_with(CA_KEY_URI_FILE) {
            let bytes = crate::files::read_limited(&path, MAX_URI_FILE).map_err(|e| io_err(&path, e))?;
            let text = String::from_utf8(bytes).map_err(|_| CaError::BadKeyUri { path: path.clone(), message: "not UTF-8 text".into() })?;
            let uri = text.lines().next().unwrap_or_default().trim().to_string();
            if uri.is_empty() {
                return Err(CaError::BadKeyUri { path, message: "empty".into() });
            }
            return Ok(CaKeyRef::Uri(uri));
        }
        Ok(CaKeyRef::File(path))
    }

    /// Checks that `key` is the key of the CA certificate ([`CaError::KeyMismatch`] otherwise).
    pub fn check_key(&self, key: &dyn crate::keys::Signer) -> Result<(), CaError> {
        let facts = ca_facts(&self.cert_der, &self.dir.join(CA_CERT_FILE))?;
        if !crate::keys::same_public_key(key.public_key_spki(), &facts.spki) {
            return Err(CaError::KeyMismatch(self.key_path()));
        }
        Ok(())
    }

    /// True when the CA key file is encrypted ([`CaError::KeyOnToken`] for a key on a token).
    pub fn key_is_encrypted(&self) -> Result<bool, CaError> {
        self.file_key_only()?;
        let path = self.dir.join(CA_KEY_FILE);
        let bytes = crate::files::read_limited(&path, MAX_CA_FILE).map_err(|e| io_err(&path, e))?;
        KeyFile::parse(&bytes).map(|k| k.is_encrypted()).map_err(|e| CaError::Key { path, source: e })
    }

    fn file_key_only(&self) -> Result<(), CaError> {
        match self.key_ref()? {
            CaKeyRef::Uri(uri) => Err(CaError::KeyOnToken { dir: self.dir.clone(), uri }),
            CaKeyRef::File(_) => Ok(()),
        }
    }

    /// Opens the CA key file with `passphrase` and checks that it belongs to the CA certificate
    /// ([`CaError::KeyOnToken`] for a key on a token: open it through [`Ca::key_ref`]'s URI).
    pub fn open_key(&self, passphrase: Option<&[u8]>) -> Result<PrivateKey, CaError> {
        self.file_key_only()?;
        let path = self.dir.join(CA_KEY_FILE);
        let bytes = zeroize::Zeroizing::new(crate::files::read_limited(&path, MAX_CA_FILE).map_err(|e| io_err(&path, e))?);
        let key = PrivateKey::load(&bytes, passphrase).map_err(|e| CaError::Key { path: path.clone(), source: e })?;
        let facts = ca_facts(&self.cert_der, &self.dir.join(CA_CERT_FILE))?;
        if !key.matches_spki(&facts.spki) {
            return Err(CaError::KeyMismatch(path));
        }
        Ok(key)
    }

    /// The parent CA's directory, as recorded by `init` (an issuing CA made with a parent).
    pub fn parent_dir(&mut self) -> Result<Option<PathBuf>, CaError> {
        let tx = self.registry.read()?;
        Ok(registry::meta(&tx, "parent_dir")?.map(PathBuf::from))
    }

    /// Where this CA says its CRL, OCSP responder and certificate are published (`ca init
    /// --crl-url/--ocsp-url/--ca-issuers-url`).
    pub fn publication(&mut self) -> Result<Publication, CaError> {
        let tx = self.registry.read()?;
        Ok(Publication {
            crl_url: registry::meta(&tx, "crl_url")?,
            ocsp_url: registry::meta(&tx, "ocsp_url")?,
            ca_issuers_url: registry::meta(&tx, "ca_issuers_url")?,
        })
    }
}

/// Where a CA publishes its status information (read from its registry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Publication {
    /// The CRL distribution point written in issued certificates.
    pub crl_url: Option<String>,
    /// The OCSP responder URL (authorityInfoAccess id-ad-ocsp).
    pub ocsp_url: Option<String>,
    /// The CA certificate's URL (authorityInfoAccess id-ad-caIssuers).
    pub ca_issuers_url: Option<String>,
}
