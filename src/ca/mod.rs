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
mod store;
mod migrate;
pub(crate) mod signer;
mod output;
#[cfg(test)]
mod tests;

pub use audit::AuditReport;
pub use migrate::MigrationReport;
pub use error::{CaError, DbOutcome};
pub use store::{PgTarget, RegistryLocation, TargetError};
pub use output::{BuildBundle, IssueOutputs, IssuedFiles, Recovered, OUTPUT_LOCK_WAIT};
pub use issue::{add_years, InitKey, InitParams, IssueRequest, Issued, DEFAULT_ISSUING_YEARS, DEFAULT_ROOT_YEARS};
pub use profile::{Field, Profile, ProfileError, SubjectInfo};
pub use registry::{Record, Status, REGISTRY_FILE};
pub use revoke::{normalize_serial, Crl, Reason, DEFAULT_CRL_DAYS, MAX_CRL_DAYS};

use crate::keys::{KeyFile, PrivateKey};
use error::io_err;
pub use crate::util::rfc3339;
use store::Store;
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

/// In a CA directory whose registry is in a PostgreSQL database: where it is, as lines
/// `db = postgres://user@host:port/dbname` and optionally `schema = NAME` (`#` starts a
/// comment). Without this file the registry is the SQLite file [`REGISTRY_FILE`].
pub const REGISTRY_CONF_FILE: &str = "ca.conf";

/// Longest `ca.conf` read.
const MAX_CONF_FILE: u64 = 16 * 1024;

/// How to reach a CA's registry when opening it ([`Ca::open_with`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// A database that overrides `ca.conf`'s `db` (another host name on this machine, say).
    /// Refused for a CA whose registry is SQLite ([`CaError::RegistryIsSqlite`]).
    pub db: Option<PgTarget>,
    /// The database password, overriding one in the URL.
    pub password: Option<zeroize::Zeroizing<String>>,
}

/// An open CA directory.
pub struct Ca {
    dir: PathBuf,
    cert_der: Vec<u8>,
    registry: Box<dyn Store>,
    location: RegistryLocation,
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
    /// Opens the CA in `dir`, checking that it holds a CA certificate and a registry: the
    /// database `ca.conf` names ([`REGISTRY_CONF_FILE`]), else `registry.db`.
    pub fn open(dir: &Path) -> Result<Ca, CaError> {
        Ca::open_with(dir, &RegistryOptions::default())
    }

    /// As [`Ca::open`], with a database or password given by the caller.
    pub fn open_with(dir: &Path, opts: &RegistryOptions) -> Result<Ca, CaError> {
        if !dir.is_dir() {
            return Err(CaError::NoSuchDir(dir.to_path_buf()));
        }
        let conf = read_registry_conf(dir)?;
        let pg = match (&opts.db, conf) {
            (Some(db), conf) => {
                if conf.is_none() && dir.join(REGISTRY_FILE).exists() {
                    return Err(CaError::RegistryIsSqlite { dir: dir.to_path_buf() });
                }
                let mut t = db.clone();
                if let (None, Some(s)) = (t.schema(), conf.as_ref().and_then(|c| c.schema())) {
                    t = t.with_schema(s).map_err(|e| CaError::BadRegistryConfig { path: dir.join(REGISTRY_CONF_FILE), message: e.to_string() })?;
                }
                Some(t)
            }
            (None, conf) => conf,
        };
        let pg = match (pg, &opts.password) {
            (Some(t), Some(p)) => Some(t.with_password(p)),
            (t, _) => t,
        };
        let needed: &[&'static str] = if pg.is_some() { &[CA_CERT_FILE, CA_KEY_FILE] } else { &[CA_CERT_FILE, CA_KEY_FILE, REGISTRY_FILE] };
        for &f in needed {
            if !dir.join(f).is_file() && !(f == CA_KEY_FILE && dir.join(CA_KEY_URI_FILE).is_file()) {
                return Err(CaError::NotACa { dir: dir.to_path_buf(), missing: f });
            }
        }
        let cert_path = dir.join(CA_CERT_FILE);
        let cert_der = read_cert_file(&cert_path)?;
        if ca_facts(&cert_der, &cert_path)?.path_len.is_none() {
            return Err(CaError::BadCaCert { path: cert_path, message: "not a CA certificate (basicConstraints cA is not set)".into() });
        }
        let location = match pg {
            Some(t) => RegistryLocation::Postgres(t),
            None => RegistryLocation::Sqlite(dir.join(REGISTRY_FILE)),
        };
        let registry = open_store(&location, &cert_der)?;
        let mut ca = Ca { dir: dir.to_path_buf(), cert_der, registry, location };
        {
            let mut tx = ca.registry.read()?;
            store::check_schema_version(&mut *tx)?;
        }
        ca.write_crl_file()?;
        Ok(ca)
    }

    /// Where this CA's registry is.
    pub fn location(&self) -> &RegistryLocation {
        &self.location
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
        let mut tx = self.registry.read()?;
        Ok(tx.meta("parent_dir")?.map(PathBuf::from))
    }

    /// Where this CA says its CRL, OCSP responder and certificate are published (`ca init
    /// --crl-url/--ocsp-url/--ca-issuers-url`).
    pub fn publication(&mut self) -> Result<Publication, CaError> {
        let mut tx = self.registry.read()?;
        Ok(Publication { crl_url: tx.meta("crl_url")?, ocsp_url: tx.meta("ocsp_url")?, ca_issuers_url: tx.meta("ca_issuers_url")? })
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

/// The schema of a CA's registry in a PostgreSQL database when `ca.conf` names none: `kyso_`
/// and the first 16 hex digits of the CA certificate's SHA-256, the same on every machine
/// holding a copy of the CA directory.
pub fn default_schema(ca_cert_der: &[u8]) -> String {
    format!("kyso_{}", &sha256_hex(ca_cert_der)[..16])
}

/// The schema a target uses for this CA.
fn schema_of(target: &PgTarget, cert_der: &[u8]) -> String {
    target.schema().map(str::to_string).unwrap_or_else(|| default_schema(cert_der))
}

/// Reads `ca.conf`, if the directory has one.
fn read_registry_conf(dir: &Path) -> Result<Option<PgTarget>, CaError> {
    let path = dir.join(REGISTRY_CONF_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let bad = |message: String| CaError::BadRegistryConfig { path: path.clone(), message };
    let bytes = crate::files::read_limited(&path, MAX_CONF_FILE).map_err(|e| io_err(&path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let (mut db, mut schema) = (None, None);
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else { return Err(bad(format!("line {}: expected `key = value`", i + 1))) };
        match k.trim() {
            "db" => db = Some(v.trim().to_string()),
            "schema" => schema = Some(v.trim().to_string()),
            other => return Err(bad(format!("line {}: unknown setting '{}' (known: db, schema)", i + 1, other.chars().take(40).collect::<String>()))),
        }
    }
    let db = db.ok_or_else(|| bad("no `db = postgres://…` line".into()))?;
    let mut t = PgTarget::parse(&db).map_err(|e| bad(e.to_string()))?;
    if let Some(s) = schema {
        t = t.with_schema(&s).map_err(|e| bad(e.to_string()))?;
    }
    Ok(Some(t))
}

/// The text of a `ca.conf` for `target` (never its password).
fn registry_conf_text(target: &PgTarget) -> String {
    let mut s = format!("# where this CA's registry is (written by kyso ca init or ca migrate)\ndb = {}\n", target.url_without_password());
    if let Some(schema) = target.schema() {
        s.push_str(&format!("schema = {schema}\n"));
    }
    s
}

/// Opens the registry at `location` (it must exist).
fn open_store(location: &RegistryLocation, cert_der: &[u8]) -> Result<Box<dyn Store>, CaError> {
    match location {
        RegistryLocation::Sqlite(path) => {
            let s = store::sqlite::SqliteStore::open(path).map_err(|e| CaError::Registry(format!("{}: {e}", path.display())))?;
            Ok(Box::new(s))
        }
        RegistryLocation::Postgres(t) => open_pg(t, cert_der, true),
    }
}

#[cfg(feature = "postgres")]
fn connect_pg(t: &PgTarget, cert_der: &[u8]) -> Result<store::postgres::PgStore, CaError> {
    let schema = schema_of(t, cert_der);
    store::postgres::PgStore::connect(t, &schema).map_err(|e| CaError::DbUnreachable { location: t.to_string(), message: e.to_string() })
}

#[cfg(feature = "postgres")]
fn open_pg(t: &PgTarget, cert_der: &[u8], must_exist: bool) -> Result<Box<dyn Store>, CaError> {
    let mut s = connect_pg(t, cert_der)?;
    if must_exist && !s.exists()? {
        return Err(CaError::NoRegistry { location: t.to_string(), schema: schema_of(t, cert_der) });
    }
    Ok(Box::new(s))
}

#[cfg(not(feature = "postgres"))]
fn open_pg(_: &PgTarget, _: &[u8], _: bool) -> Result<Box<dyn Store>, CaError> {
    Err(CaError::NoPostgresSupport)
}

/// Connects to `t` and creates this CA's schema in it (refused if the schema exists); sets
/// `created` once it was made.
#[cfg(feature = "postgres")]
fn create_pg(t: &PgTarget, cert_der: &[u8], created: &std::cell::Cell<bool>) -> Result<Box<dyn Store>, CaError> {
    let mut s = connect_pg(t, cert_der)?;
    if s.schema_exists()? {
        return Err(CaError::BadParameter(format!("the database {t} already has a schema {} for this CA", schema_of(t, cert_der))));
    }
    s.create_schema()?;
    created.set(true);
    Ok(Box::new(s))
}

#[cfg(not(feature = "postgres"))]
fn create_pg(_: &PgTarget, _: &[u8], _: &std::cell::Cell<bool>) -> Result<Box<dyn Store>, CaError> {
    Err(CaError::NoPostgresSupport)
}

/// Best effort: drops the schema an unfinished `init` made.
#[cfg(feature = "postgres")]
fn drop_pg_schema(t: &PgTarget, cert_der: &[u8]) {
    if let Ok(mut s) = connect_pg(t, cert_der) {
        let _ = s.drop_schema();
    }
}

#[cfg(not(feature = "postgres"))]
fn drop_pg_schema(_: &PgTarget, _: &[u8]) {}
