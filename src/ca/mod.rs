//! The provincial certificate authority: a CA directory (certificate, encrypted key, chain,
//! current CRL, registry), certificate issuance by profile, revocation, CRLs and the
//! hash-chained audit log.
//!
//! A CA directory holds `ca.pem`, `ca.key` (encrypted PKCS#8, 0600), `chain.pem` (issuing CAs:
//! their certificate and their parents' up to the root), `crl.pem` (regenerated on every
//! revocation) and `registry.db` (SQLite, see [`REGISTRY_FILE`]).
//!
//! Every function takes the current time as an argument: the library never reads the clock.
//! Signing goes through the [`Signer`] trait, so a hardware token can replace the file key.
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

pub mod ocsp;
pub mod profile;
mod registry;
#[cfg(feature = "server")]
pub mod serve;
pub(crate) mod signer;

pub use profile::{Profile, ProfileError, SubjectInfo};
pub use registry::REGISTRY_FILE;

use crate::files::{write_atomic, Overwrite, Secrecy};
use crate::keys::{Kdf, KeyAlgorithm, KeyError, KeyFile, PrivateKey, Signer};
use registry::{CertRow, Registry};
use signer::RcgenSigner;
use std::fmt;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use x509_parser::prelude::FromDer;

/// The CA certificate file in a CA directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA key file (encrypted PKCS#8 PEM, mode 0600).
pub const CA_KEY_FILE: &str = "ca.key";
/// The chain file of an issuing CA (its certificate, then its parents' up to the root).
pub const CHAIN_FILE: &str = "chain.pem";
/// The current CRL (PEM).
pub const CRL_FILE: &str = "crl.pem";

/// Default validity of a new CRL, in days, when none was chosen.
pub const DEFAULT_CRL_DAYS: u32 = 30;
/// Longest CRL validity accepted, in days. Real CRLs last days or weeks; 5 years is allowed
/// for long-lived example data (certs-example/) only.
pub const MAX_CRL_DAYS: u32 = 1826;
/// Default validity of a root CA, in years.
pub const DEFAULT_ROOT_YEARS: u32 = 20;
/// Default validity of an issuing CA, in years.
pub const DEFAULT_ISSUING_YEARS: u32 = 10;
/// Size of the CA and CRL files kyso reads back from a CA directory (1 MiB: a certificate
/// chain is a few KB; a CRL of a province with 100,000 revocations ~4 MB is read from the
/// registry, not from here).
const MAX_CA_FILE: u64 = 1 << 20;
/// Attempts to draw a fresh serial before giving up. With 127 random bits a collision is
/// practically impossible; 8 attempts bound the loop anyway.
const SERIAL_ATTEMPTS: usize = 8;

/// What went wrong in a CA operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// The CA directory does not exist.
    #[error("the CA directory {0} does not exist")]
    NoSuchDir(PathBuf),
    /// The directory exists but does not hold a kyso CA.
    #[error("{dir} is not a kyso CA directory ({missing} is missing)")]
    NotACa {
        /// The directory.
        dir: PathBuf,
        /// The file that should be there.
        missing: &'static str,
    },
    /// `init` on a directory that already holds a CA.
    #[error("{dir} already holds a CA ({found} exists); kyso never overwrites a CA")]
    AlreadyExists {
        /// The directory.
        dir: PathBuf,
        /// The file found.
        found: &'static str,
    },
    /// The CA key could not be opened (wrong passphrase, no passphrase, damaged file).
    #[error("cannot open the CA key {path}: {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// The CA key does not belong to the CA certificate.
    #[error("the CA key {0} does not match the CA certificate")]
    KeyMismatch(PathBuf),
    /// A file of the CA directory could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The CA certificate in the directory cannot be used.
    #[error("the CA certificate {path} is unusable: {message}")]
    BadCaCert {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The registry database failed.
    #[error("registry error: {0}")]
    Registry(String),
    /// The request breaks a profile rule.
    #[error("{0}")]
    Profile(#[from] ProfileError),
    /// The requested key is not acceptable.
    #[error(transparent)]
    SubjectKey(#[from] crate::csr::CsrError),
    /// A bad parameter (validity, CRL days…).
    #[error("{0}")]
    BadParameter(String),
    /// The parent CA may not issue CA certificates (its pathLenConstraint is 0).
    #[error("the parent CA {0} cannot certify another CA (its pathLenConstraint is 0)")]
    PathLenExhausted(PathBuf),
    /// The CA's own certificate has expired or is not yet valid at the issuance time.
    #[error("the CA certificate is not valid at {now} (valid {not_before} to {not_after})")]
    CaNotValid {
        /// The issuance time.
        now: String,
        /// The CA's notBefore.
        not_before: String,
        /// The CA's notAfter.
        not_after: String,
    },
    /// No certificate with this serial in the registry.
    #[error("no certificate with serial {0} in this CA's registry")]
    UnknownSerial(String),
    /// The certificate is already revoked.
    #[error("the certificate {serial} is already revoked (since {revoked_at}, reason {reason})")]
    AlreadyRevoked {
        /// Its serial.
        serial: String,
        /// When (RFC 3339).
        revoked_at: String,
        /// Why.
        reason: String,
    },
    /// `remove-from-crl` of a certificate that is not on hold: only a certificate-hold can be
    /// lifted; any other revocation is final.
    #[error("the certificate {serial} is not on hold ({state}): only a certificate-hold can be lifted")]
    NotOnHold {
        /// Its serial.
        serial: String,
        /// `valid`, or `revoked since …, reason …`.
        state: String,
    },
    /// The serial given is not hexadecimal.
    #[error("'{0}' is not a serial number (hexadecimal, at most 20 bytes)")]
    BadSerial(String),
    /// rcgen refused to build the certificate or CRL.
    #[error("cannot build the {what}: {message}")]
    Build {
        /// Certificate or CRL.
        what: &'static str,
        /// rcgen's message.
        message: String,
    },
    /// `init` of an issuing CA failed after the parent CA had issued its certificate. Nothing
    /// was left in the new CA's directory (its key is gone), but the parent's registry keeps the
    /// record of the certificate (the audit log is append-only): revoke it at the parent.
    #[error("{source}; nothing was kept in {dir}, but the parent CA had already issued certificate {serial} for the discarded key: revoke it there (kyso ca revoke --dir {parent} --serial {serial} --reason cessation-of-operation)")]
    InitFailedAfterParentIssued {
        /// The new CA's directory.
        dir: PathBuf,
        /// The parent CA's directory.
        parent: PathBuf,
        /// The serial of the certificate the parent issued.
        serial: String,
        /// What failed.
        source: Box<CaError>,
    },
    /// `audit` found the log or the registry tampered with.
    #[error("audit log broken at entry #{seq}: {reason}")]
    AuditBroken {
        /// The first bad entry (0 for a registry row that the log does not account for).
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

impl From<rusqlite::Error> for CaError {
    fn from(e: rusqlite::Error) -> Self {
        CaError::Registry(e.to_string())
    }
}

/// RFC 5280 §5.3.1 revocation reasons offered by `kyso ca revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// unspecified (0): no reason code is written, as RFC 5280 recommends.
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6).
    CertificateHold,
}

impl Reason {
    /// Every reason, in code order.
    pub const ALL: [Reason; 6] = [
        Reason::Unspecified,
        Reason::KeyCompromise,
        Reason::AffiliationChanged,
        Reason::Superseded,
        Reason::CessationOfOperation,
        Reason::CertificateHold,
    ];

    /// The command-line and JSON name (`key-compromise`, …).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "key-compromise",
            Reason::AffiliationChanged => "affiliation-changed",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessation-of-operation",
            Reason::CertificateHold => "certificate-hold",
        }
    }

    /// Parses a name.
    pub fn from_name(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.name() == s)
    }

    /// The RFC 5280 CRLReason code.
    pub fn code(self) -> u8 {
        match self {
            Reason::Unspecified => 0,
            Reason::KeyCompromise => 1,
            Reason::AffiliationChanged => 3,
            Reason::Superseded => 4,
            Reason::CessationOfOperation => 5,
            Reason::CertificateHold => 6,
        }
    }

    fn rcgen(self) -> rcgen::RevocationReason {
        match self {
            Reason::Unspecified => rcgen::RevocationReason::Unspecified,
            Reason::KeyCompromise => rcgen::RevocationReason::KeyCompromise,
            Reason::AffiliationChanged => rcgen::RevocationReason::AffiliationChanged,
            Reason::Superseded => rcgen::RevocationReason::Superseded,
            Reason::CessationOfOperation => rcgen::RevocationReason::CessationOfOperation,
            Reason::CertificateHold => rcgen::RevocationReason::CertificateHold,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parameters of `ca init`.
#[derive(Debug, Clone)]
pub struct InitParams {
    /// The CA's common name ("CA Tỉnh Bắc Ninh").
    pub name: String,
    /// Its organisation ("Sở Thông tin và Truyền thông tỉnh Bắc Ninh").
    pub org: Option<String>,
    /// Its province ("Bắc Ninh").
    pub province: Option<String>,
    /// Key algorithm: ECDSA P-256 (default) or P-384.
    pub alg: KeyAlgorithm,
    /// Validity in years (default [`DEFAULT_ROOT_YEARS`] / [`DEFAULT_ISSUING_YEARS`]).
    pub years: Option<u32>,
    /// Where this CA publishes its CRL: written as the CRL distribution point of the
    /// certificates it issues.
    pub crl_url: Option<String>,
    /// This CA's OCSP responder: written as the id-ad-ocsp URL of the authorityInfoAccess
    /// extension of the certificates it issues.
    pub ocsp_url: Option<String>,
    /// Where this CA's certificate is published: the id-ad-caIssuers URL of the same extension.
    pub ca_issuers_url: Option<String>,
}

impl InitParams {
    /// Defaults for a CA called `name`.
    pub fn new(name: &str) -> InitParams {
        InitParams {
            name: name.to_string(),
            org: None,
            province: None,
            alg: KeyAlgorithm::EcdsaP256,
            years: None,
            crl_url: None,
            ocsp_url: None,
            ca_issuers_url: None,
        }
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

/// A certificate to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The profile (agency, person, tsa).
    pub profile: Profile,
    /// The subject.
    pub subject: SubjectInfo,
    /// Validity in years (default and maximum [`profile::MAX_LEAF_YEARS`]).
    pub years: Option<u32>,
}

/// An issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Serial (lower-case hex).
    pub serial: String,
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// True when notAfter was shortened to the CA's own notAfter.
    pub shortened: bool,
}

impl Issued {
    /// The certificate as PEM.
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
}

/// A CRL just published.
#[derive(Debug, Clone)]
pub struct Crl {
    /// Its CRL number.
    pub number: i64,
    /// The CRL (DER).
    pub der: Vec<u8>,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// How many certificates it lists.
    pub revoked: usize,
}

impl Crl {
    /// The CRL as PEM.
    pub fn pem(&self) -> String {
        pem_encode("X509 CRL", &self.der)
    }
}

/// Status of a registered certificate at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Not revoked and within its validity period (or not yet valid).
    Valid,
    /// Revoked.
    Revoked,
    /// Past its notAfter (and not revoked).
    Expired,
}

impl Status {
    /// `valid`, `revoked` or `expired`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }
}

/// One certificate of the inventory.
#[derive(Debug, Clone)]
pub struct Record {
    /// Serial (lower-case hex).
    pub serial: String,
    /// Subject, as [`crate::inspect::name_to_string`] prints it.
    pub subject: String,
    /// Profile name (`agency`, `person`, `tsa`, `ca`).
    pub profile: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// Status at the time given to [`Ca::list`].
    pub status: Status,
    /// Revocation time and reason name.
    pub revoked: Option<(OffsetDateTime, String)>,
    /// The certificate (DER).
    pub der: Vec<u8>,
}

/// The result of a successful audit.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// Number of log entries.
    pub entries: usize,
    /// Hash of the newest entry (publish it elsewhere to detect truncation later).
    pub head: String,
    /// Certificates and CRLs cross-checked against the log.
    pub certificates: usize,
    /// CRLs cross-checked against the log.
    pub crls: usize,
}

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

fn io_err(path: &Path, e: impl fmt::Display) -> CaError {
    CaError::Io { path: path.to_path_buf(), message: e.to_string() }
}

/// Adds `years` calendar years (29 February becomes 28 February).
pub fn add_years(t: OffsetDateTime, years: u32) -> Result<OffsetDateTime, CaError> {
    let y = t.year().checked_add(years as i32).filter(|y| *y <= 9999);
    let y = y.ok_or_else(|| CaError::BadParameter(format!("{years} years is too far in the future")))?;
    t.replace_year(y)
        .or_else(|_| t.replace_day(28).and_then(|t| t.replace_year(y)))
        .map_err(|e| CaError::BadParameter(e.to_string()))
}

/// Canonical form of a serial: lower-case hex without leading zeros. Accepts `0x`, colons,
/// spaces and upper case.
pub fn normalize_serial(s: &str) -> Result<String, CaError> {
    let t: String = s.trim().trim_start_matches("0x").trim_start_matches("0X").chars().filter(|c| *c != ':' && *c != ' ').collect();
    if t.is_empty() || t.len() > 40 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CaError::BadSerial(s.to_string()));
    }
    let t = t.to_ascii_lowercase();
    let trimmed = t.trim_start_matches('0');
    Ok(if trimmed.is_empty() { "0".into() } else { trimmed.to_string() })
}

/// Hex form of DER INTEGER content bytes.
fn serial_hex(bytes: &[u8]) -> String {
    let h = hex::encode(bytes);
    let t = h.trim_start_matches('0');
    if t.is_empty() { "0".into() } else { t.to_string() }
}

/// A random positive serial: 16 bytes, 127 bits of entropy (CA/B and RFC 5280 ask ≥ 64 bits,
/// ≤ 20 bytes), first byte never zero so the encoding is always 16 bytes.
fn random_serial() -> Result<Vec<u8>, CaError> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| CaError::Build { what: "serial number", message: "no randomness".into() })?;
    b[0] &= 0x7f;
    if b[0] == 0 {
        b[0] = 0x01;
    }
    Ok(b.to_vec())
}

/// The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits —
/// what OpenSSL writes for `subjectKeyIdentifier=hash` and what linters recognise. (SHA-1 is
/// harmless here: the identifier only helps path building.)
fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, CaError> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| CaError::Build { what: "certificate", message: format!("subject public key: {e}") })?;
    Ok(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, spki.subject_public_key.raw_bytes()).as_ref().to_vec())
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 form used in reports and JSON.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
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

/// The files `init` makes, in the order they are linked into the CA directory. The key comes
/// first: when two `init`s race for one directory, the one whose key link fails gives way.
const INIT_FILES: [&str; 5] = [CA_KEY_FILE, CA_CERT_FILE, CHAIN_FILE, REGISTRY_FILE, CRL_FILE];

/// A staging folder (`.kyso-init-*`) inside a new CA's directory. [`Staging::commit`] links its
/// files into the directory, refusing to replace any (except `crl.pem`, which `init` has always
/// replaced), and undoes the links already made if one fails. Dropped without a commit, it
/// removes itself, and the directory too when it created it and it is empty.
struct Staging {
    dir: PathBuf,
    tmp: Option<tempfile::TempDir>,
    created_dir: bool,
    committed: std::cell::Cell<bool>,
}

impl Staging {
    fn new(dir: &Path) -> Result<Staging, CaError> {
        let created_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let mut staging = Staging { dir: dir.to_path_buf(), tmp: None, created_dir, committed: std::cell::Cell::new(false) };
        // On failure `staging` is dropped here, removing the directory it created.
        let tmp = tempfile::Builder::new().prefix(".kyso-init-").tempdir_in(dir).map_err(|e| io_err(dir, e))?;
        staging.tmp = Some(tmp);
        Ok(staging)
    }

    fn path(&self) -> &Path {
        self.tmp.as_ref().map_or(self.dir.as_path(), |t| t.path())
    }

    fn commit(&self) -> Result<(), CaError> {
        let mut linked: Vec<PathBuf> = Vec::new();
        for name in INIT_FILES {
            let (from, to) = (self.path().join(name), self.dir.join(name));
            if !from.exists() {
                continue; // chain.pem of a root CA
            }
            let res = if name == CRL_FILE { std::fs::rename(&from, &to) } else { std::fs::hard_link(&from, &to) };
            if let Err(e) = res {
                for p in linked.iter().rev() {
                    let _ = std::fs::remove_file(p);
                }
                return Err(io_err(&to, e));
            }
            linked.push(to);
        }
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all(); // best effort, as files::write_atomic does
        }
        self.committed.set(true);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        drop(self.tmp.take());
        if !self.committed.get() && self.created_dir {
            let _ = std::fs::remove_dir(&self.dir); // only if empty
        }
    }
}

impl Ca {
    /// Creates a CA in `dir` (created if missing; refused if it already holds a CA): a new key
    /// of `params.alg` encrypted with `passphrase`, a self-signed root certificate, or — with
    /// `parent` — an issuing CA certified by the parent CA (recorded in the parent's
    /// registry, `chain.pem` written), an empty registry and a first CRL.
    ///
    /// The files are made in a staging folder inside `dir` and linked into place only when all
    /// are complete: on failure nothing is left in `dir` (and `dir` itself is removed when this
    /// call created it), so `init` can be run again. Only the parent's record of a certificate
    /// it already issued remains ([`CaError::InitFailedAfterParentIssued`] names it).
    pub fn init(
        dir: &Path,
        params: &InitParams,
        parent: Option<(&mut Ca, &dyn Signer)>,
        passphrase: &[u8],
        kdf: Kdf,
        now: OffsetDateTime,
    ) -> Result<Ca, CaError> {
        for f in [CA_CERT_FILE, CA_KEY_FILE, REGISTRY_FILE] {
            if dir.join(f).exists() {
                return Err(CaError::AlreadyExists { dir: dir.to_path_buf(), found: f });
            }
        }
        if !matches!(params.alg, KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384) {
            return Err(CaError::BadParameter(format!("a CA key must be ECDSA P-256 or P-384, not {}", params.alg)));
        }
        let subject = SubjectInfo {
            cn: params.name.clone(),
            org: params.org.clone(),
            province: params.province.clone(),
            ..Default::default()
        };
        subject.check(Profile::SubCa)?;
        for u in [&params.crl_url, &params.ocsp_url, &params.ca_issuers_url].into_iter().flatten() {
            check_url(u)?;
        }
        let key = PrivateKey::generate(params.alg).map_err(|e| CaError::Key { path: dir.join(CA_KEY_FILE), source: e })?;
        let key_pem = key.to_encrypted_pem(passphrase, kdf).map_err(|e| CaError::Key { path: dir.join(CA_KEY_FILE), source: e })?;
        let now = now.replace_nanosecond(0).unwrap_or(now);
        // Everything is made in a staging folder inside `dir` and linked into place only when
        // complete, so that a failure leaves no CA file behind (and `ca init` can be run again).
        // The key is written first: if it cannot be, no parent is asked to certify it.
        let staging = Staging::new(dir)?;
        let w = |name: &str, bytes: &[u8], s: Secrecy| {
            let p = staging.path().join(name);
            write_atomic(&p, bytes, Overwrite::Refuse, s).map_err(|e| io_err(&dir.join(name), e))
        };
        w(CA_KEY_FILE, key_pem.as_bytes(), Secrecy::Secret)?;
        let (cert_der, chain, parent_serial) = match parent {
            None => {
                let years = params.years.unwrap_or(DEFAULT_ROOT_YEARS);
                check_years(years, profile::MAX_CA_YEARS)?;
                let mut cp = rcgen::CertificateParams::default();
                cp.distinguished_name = subject.dn(false)?;
                cp.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                cp.key_usages = profile::key_usages(Profile::SubCa);
                cp.use_authority_key_identifier_extension = true;
                cp.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_identifier(key.public_key_spki())?);
                cp.serial_number = Some(rcgen::SerialNumber::from_slice(&random_serial()?));
                cp.not_before = now;
                cp.not_after = add_years(now, years)?;
                let signer = RcgenSigner::new(&key).map_err(|e| CaError::Key { path: dir.join(CA_KEY_FILE), source: e })?;
                let cert = cp.self_signed(&signer).map_err(|e| CaError::Build { what: "certificate", message: e.to_string() })?;
                (cert.der().to_vec(), None, None)
            }
            Some((parent, parent_key)) => {
                let years = params.years.unwrap_or(DEFAULT_ISSUING_YEARS);
                check_years(years, profile::MAX_CA_YEARS)?;
                let req = IssueRequest { profile: Profile::SubCa, subject, years: Some(years) };
                let issued = parent.issue_inner(parent_key, &req, key.public_key_spki(), now, profile::MAX_CA_YEARS)?;
                let mut chain = issued.pem();
                let parent_chain = parent.dir.join(CHAIN_FILE);
                let parent_pem = if parent_chain.exists() {
                    crate::files::read_limited(&parent_chain, MAX_CA_FILE)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .map_err(|e| io_err(&parent_chain, e))
                } else {
                    Ok(pem_encode("CERTIFICATE", &parent.cert_der))
                };
                let serial = issued.serial.clone();
                let parent_dir = parent.dir.clone();
                let after_issue = |e: CaError| CaError::InitFailedAfterParentIssued { dir: dir.to_path_buf(), parent: parent_dir.clone(), serial: serial.clone(), source: Box::new(e) };
                chain.push_str(&parent_pem.map_err(after_issue)?);
                (issued.der, Some(chain), Some((serial, parent.dir.clone())))
            }
        };
        let finish = || -> Result<Registry, CaError> {
            w(CA_CERT_FILE, pem_encode("CERTIFICATE", &cert_der).as_bytes(), Secrecy::Public)?;
            if let Some(chain) = &chain {
                w(CHAIN_FILE, chain.as_bytes(), Secrecy::Public)?;
            }
            let mut registry = Registry::create(&staging.path().join(REGISTRY_FILE))?;
            {
                let tx = registry.write()?;
                registry::set_meta(&tx, "format", "kyso-ca-1")?;
                registry::set_meta(&tx, "crl_days", &DEFAULT_CRL_DAYS.to_string())?;
                if let Some(u) = &params.crl_url {
                    registry::set_meta(&tx, "crl_url", u)?;
                }
                if let Some(u) = &params.ocsp_url {
                    registry::set_meta(&tx, "ocsp_url", u)?;
                }
                if let Some(u) = &params.ca_issuers_url {
                    registry::set_meta(&tx, "ca_issuers_url", u)?;
                }
                if let Some((_, parent_dir)) = &parent_serial {
                    // `ca crl --with-parents` walks up to the root's CRL from here.
                    let abs = std::fs::canonicalize(parent_dir).unwrap_or_else(|_| parent_dir.clone());
                    registry::set_meta(&tx, "parent_dir", &abs.to_string_lossy())?;
                }
                let detail = serde_json::json!({
                    "subject": crate::inspect::cert_subject(&cert_der).unwrap_or_default(),
                    "sha256": sha256_hex(&cert_der),
                    "issuing_ca": chain.is_some(),
                });
                registry::append_audit(&tx, unix(now), "init", &detail.to_string())?;
                tx.commit()?;
            }
            let mut staged = Ca { dir: staging.path().to_path_buf(), cert_der: cert_der.clone(), registry };
            staged.publish_crl(&key, None, now)?;
            // The registry is closed before it is linked into place (SQLite names its journal
            // after the path it was opened with).
            drop(staged);
            staging.commit()?;
            Registry::open(&dir.join(REGISTRY_FILE)).map_err(CaError::from)
        };
        match finish() {
            Ok(registry) => Ok(Ca { dir: dir.to_path_buf(), cert_der, registry }),
            Err(e) => Err(match parent_serial {
                Some((serial, parent)) => CaError::InitFailedAfterParentIssued { dir: dir.to_path_buf(), parent, serial, source: Box::new(e) },
                None => e,
            }),
        }
    }

    /// Opens the CA in `dir`, checking that it holds a CA certificate and a registry.
    pub fn open(dir: &Path) -> Result<Ca, CaError> {
        if !dir.is_dir() {
            return Err(CaError::NoSuchDir(dir.to_path_buf()));
        }
        for f in [CA_CERT_FILE, CA_KEY_FILE, REGISTRY_FILE] {
            if !dir.join(f).is_file() {
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

    /// True when the CA key file is encrypted.
    pub fn key_is_encrypted(&self) -> Result<bool, CaError> {
        let path = self.dir.join(CA_KEY_FILE);
        let bytes = crate::files::read_limited(&path, MAX_CA_FILE).map_err(|e| io_err(&path, e))?;
        KeyFile::parse(&bytes).map(|k| k.is_encrypted()).map_err(|e| CaError::Key { path, source: e })
    }

    /// Opens the CA key with `passphrase` and checks that it belongs to the CA certificate.
    pub fn open_key(&self, passphrase: Option<&[u8]>) -> Result<PrivateKey, CaError> {
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

    /// Issues a certificate for the public key `subject_spki` (DER SubjectPublicKeyInfo, from a
    /// generated key or a verified request), records it in the registry and the audit log in
    /// one transaction, and returns it. `ca_key` signs (see [`Ca::open_key`]).
    pub fn issue(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        now: OffsetDateTime,
    ) -> Result<Issued, CaError> {
        if req.profile == Profile::SubCa {
            return Err(CaError::BadParameter("CA certificates are made with `ca init --parent`".into()));
        }
        self.issue_inner(ca_key, req, subject_spki, now, profile::MAX_LEAF_YEARS)
    }

    fn issue_inner(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        now: OffsetDateTime,
        max_years: u32,
    ) -> Result<Issued, CaError> {
        req.subject.check(req.profile)?;
        crate::csr::check_public_key(subject_spki)?;
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let cert_path = self.dir.join(CA_CERT_FILE);
        let facts = ca_facts(&self.cert_der, &cert_path)?;
        if !spki_equal(ca_key.public_key_spki(), &facts.spki) {
            return Err(CaError::KeyMismatch(self.dir.join(CA_KEY_FILE)));
        }
        if now < facts.not_before || now >= facts.not_after {
            return Err(CaError::CaNotValid {
                now: rfc3339(now),
                not_before: rfc3339(facts.not_before),
                not_after: rfc3339(facts.not_after),
            });
        }
        let mut not_after = if req.profile == Profile::Ocsp {
            if req.years.is_some() {
                return Err(CaError::BadParameter(format!(
                    "an OCSP responder certificate is valid {} days (it is never checked for revocation): issue a new one before it expires",
                    profile::OCSP_RESPONDER_DAYS
                )));
            }
            now + time::Duration::days(profile::OCSP_RESPONDER_DAYS)
        } else {
            let years = req.years.unwrap_or(profile::MAX_LEAF_YEARS);
            check_years(years, max_years)?;
            add_years(now, years)?
        };
        let mut shortened = false;
        if not_after > facts.not_after {
            not_after = facts.not_after;
            shortened = true;
        }
        let mut cp = rcgen::CertificateParams::default();
        cp.distinguished_name = req.subject.dn(req.profile == Profile::Agency)?;
        cp.not_before = now;
        cp.not_after = not_after;
        cp.key_usages = profile::key_usages(req.profile);
        cp.extended_key_usages = profile::extended_key_usages(req.profile);
        cp.use_authority_key_identifier_extension = true;
        cp.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_identifier(subject_spki)?);
        cp.is_ca = match req.profile {
            Profile::SubCa => match facts.path_len {
                Some(Some(0)) => return Err(CaError::PathLenExhausted(self.dir.clone())),
                Some(Some(n)) => rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(n.saturating_sub(1).min(255) as u8)),
                _ => rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0)),
            },
            _ => rcgen::IsCa::ExplicitNoCa,
        };
        if req.profile == Profile::Tsa {
            cp.custom_extensions.push(profile::tsa_eku_extension());
        }
        if let Some(email) = &req.subject.email {
            let ia5 = rcgen::string::Ia5String::try_from(email.as_str())
                .map_err(|e| CaError::BadParameter(format!("--email: {e}")))?;
            cp.subject_alt_names.push(rcgen::SanType::Rfc822Name(ia5));
        }
        if req.profile == Profile::Ocsp {
            cp.custom_extensions.push(profile::ocsp_nocheck_extension());
        }
        let publication = self.publication()?;
        if let Some(url) = publication.crl_url.clone().filter(|_| req.profile != Profile::Ocsp) {
            cp.crl_distribution_points.push(rcgen::CrlDistributionPoint { uris: vec![url] });
        }
        // authorityInfoAccess (RFC 5280 §4.2.2.1): where a recipient asks for this certificate's
        // status and finds its issuer. A nocheck responder certificate names no OCSP URL.
        let ocsp_urls: Vec<String> = publication.ocsp_url.iter().filter(|_| req.profile != Profile::Ocsp).cloned().collect();
        let issuers: Vec<String> = publication.ca_issuers_url.iter().cloned().collect();
        if !ocsp_urls.is_empty() || !issuers.is_empty() {
            cp.custom_extensions.push(rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], crate::ocsp::aia_value(&ocsp_urls, &issuers)));
        }
        let subject_key = rcgen::SubjectPublicKeyInfo::from_der(subject_spki)
            .map_err(|e| CaError::Build { what: "certificate", message: format!("subject public key: {e}") })?;
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.dir.join(CA_KEY_FILE), source: e })?;
        let issuer = rcgen::Issuer::from_ca_cert_der(&self.cert_der.clone().into(), &signer)
            .map_err(|e| CaError::BadCaCert { path: cert_path.clone(), message: e.to_string() })?;

        // One transaction: draw a fresh serial, sign, record, log.
        let tx = self.registry.write()?;
        let mut attempt = 0;
        let serial_bytes = loop {
            attempt += 1;
            let s = random_serial()?;
            if !registry::serial_exists(&tx, &serial_hex(&s))? {
                break s;
            }
            if attempt >= SERIAL_ATTEMPTS {
                return Err(CaError::Registry("could not draw an unused serial number".into()));
            }
        };
        cp.serial_number = Some(rcgen::SerialNumber::from_slice(&serial_bytes));
        let cert = cp
            .signed_by(&subject_key, &issuer)
            .map_err(|e| CaError::Build { what: "certificate", message: e.to_string() })?;
        let der = cert.der().to_vec();
        let serial = serial_hex(&serial_bytes);
        let subject = crate::inspect::cert_subject(&der).unwrap_or_default();
        let row = CertRow {
            serial: serial.clone(),
            subject: subject.clone(),
            profile: req.profile.name().to_string(),
            not_before: unix(now),
            not_after: unix(not_after),
            der: der.clone(),
            revoked_at: None,
            reason: None,
        };
        registry::insert_cert(&tx, &row, unix(now))?;
        let detail = serde_json::json!({
            "serial": serial,
            "subject": subject,
            "profile": req.profile.name(),
            "not_before": rfc3339(now),
            "not_after": rfc3339(not_after),
            "sha256": sha256_hex(&der),
        });
        registry::append_audit(&tx, unix(now), "issue", &detail.to_string())?;
        tx.commit()?;
        Ok(Issued { serial, der, not_before: now, not_after, shortened })
    }

    /// Revokes the certificate `serial` (any hex form) at `now` and publishes a new CRL at
    /// once (written to `crl.pem`), all in one transaction.
    pub fn revoke(&mut self, ca_key: &dyn Signer, serial: &str, reason: Reason, now: OffsetDateTime) -> Result<Crl, CaError> {
        self.change_status(ca_key, serial, now, |tx, serial, row, now| {
            if let Some(at) = row.revoked_at {
                return Err(CaError::AlreadyRevoked {
                    serial: serial.to_string(),
                    revoked_at: rfc3339(from_unix(at)),
                    reason: row.reason.clone().unwrap_or_else(|| "unspecified".into()),
                });
            }
            registry::mark_revoked(tx, serial, unix(now), reason.name())?;
            let detail = serde_json::json!({ "serial": serial, "reason": reason.name(), "revoked_at": rfc3339(now) });
            registry::append_audit(tx, unix(now), "revoke", &detail.to_string())?;
            Ok(())
        })
    }

    /// Lifts a certificate-hold on `serial` at `now` (RFC 5280 §5.3.1 removeFromCRL): the
    /// certificate is valid again, the lifting is recorded in the audit log
    /// (`remove-from-crl`, with the hold's time) and a new CRL that no longer lists it is
    /// published at once (written to `crl.pem`), all in one transaction. kyso publishes full
    /// CRLs only, where a lifted hold simply disappears; the removeFromCRL reason code itself
    /// belongs in delta CRLs and is never written. Refused with [`CaError::NotOnHold`] for a
    /// certificate that is valid or revoked for any other reason.
    pub fn remove_from_crl(&mut self, ca_key: &dyn Signer, serial: &str, now: OffsetDateTime) -> Result<Crl, CaError> {
        self.change_status(ca_key, serial, now, |tx, serial, row, now| {
            let held_since = match (row.revoked_at, row.reason.as_deref()) {
                (Some(at), Some(r)) if r == Reason::CertificateHold.name() => at,
                (None, _) => return Err(CaError::NotOnHold { serial: serial.to_string(), state: "valid".into() }),
                (Some(at), reason) => {
                    let state = format!("revoked since {}, reason {}", rfc3339(from_unix(at)), reason.unwrap_or("unspecified"));
                    return Err(CaError::NotOnHold { serial: serial.to_string(), state });
                }
            };
            registry::mark_unrevoked(tx, serial)?;
            let detail = serde_json::json!({ "serial": serial, "held_since": rfc3339(from_unix(held_since)), "removed_at": rfc3339(now) });
            registry::append_audit(tx, unix(now), "remove-from-crl", &detail.to_string())?;
            Ok(())
        })
    }

    /// Changes the revocation status of `serial` with `change` (which checks the current row,
    /// updates it and appends the audit entry), then publishes a new CRL, in one transaction;
    /// `crl.pem` is written after the commit.
    fn change_status(
        &mut self,
        ca_key: &dyn Signer,
        serial: &str,
        now: OffsetDateTime,
        change: impl FnOnce(&registry::Tx<'_>, &str, &CertRow, OffsetDateTime) -> Result<(), CaError>,
    ) -> Result<Crl, CaError> {
        let serial = normalize_serial(serial)?;
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.dir.join(CA_KEY_FILE), source: e })?;
        let cert_der = self.cert_der.clone();
        let dir = self.dir.clone();
        let tx = self.registry.write()?;
        let row = registry::cert(&tx, &serial)?.ok_or_else(|| CaError::UnknownSerial(serial.clone()))?;
        change(&tx, &serial, &row, now)?;
        let crl = make_crl(&tx, &dir, &cert_der, &signer, None, now)?;
        tx.commit()?;
        self.write_crl_file()?;
        Ok(crl)
    }

    /// Publishes a new CRL valid for `days` (default: the last value used, else
    /// [`DEFAULT_CRL_DAYS`]), writes it to `crl.pem` and returns it.
    pub fn publish_crl(&mut self, ca_key: &dyn Signer, days: Option<u32>, now: OffsetDateTime) -> Result<Crl, CaError> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.dir.join(CA_KEY_FILE), source: e })?;
        let cert_der = self.cert_der.clone();
        let dir = self.dir.clone();
        let tx = self.registry.write()?;
        let crl = make_crl(&tx, &dir, &cert_der, &signer, days, now)?;
        tx.commit()?;
        self.write_crl_file()?;
        Ok(crl)
    }

    /// Makes `crl.pem` the registry's newest CRL, if it is not already. Runs after every commit
    /// that adds a CRL, and when the CA is opened (repairing a `crl.pem` left behind by a process
    /// that died between its commit and the write). Holds the write lock while writing, so
    /// concurrent publishers leave the newest CRL in place.
    fn write_crl_file(&mut self) -> Result<(), CaError> {
        let path = self.dir.join(CRL_FILE);
        let tx = self.registry.write()?;
        let Some((_, der)) = registry::latest_crl(&tx)? else { return Ok(()) };
        let pem = pem_encode("X509 CRL", &der);
        if std::fs::read(&path).ok().as_deref() != Some(pem.as_bytes()) {
            write_atomic(&path, pem.as_bytes(), Overwrite::Replace, Secrecy::Public).map_err(|e| io_err(&path, e))?;
        }
        drop(tx);
        Ok(())
    }

    /// The inventory, with each certificate's status at `now`.
    pub fn list(&mut self, now: OffsetDateTime) -> Result<Vec<Record>, CaError> {
        let tx = self.registry.read()?;
        let rows = registry::all_certs(&tx)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let not_after = from_unix(r.not_after);
                let status = if r.revoked_at.is_some() {
                    Status::Revoked
                } else if now > not_after {
                    Status::Expired
                } else {
                    Status::Valid
                };
                Record {
                    serial: r.serial,
                    subject: r.subject,
                    profile: r.profile,
                    not_before: from_unix(r.not_before),
                    not_after,
                    status,
                    revoked: r.revoked_at.map(|t| (from_unix(t), r.reason.unwrap_or_else(|| "unspecified".into()))),
                    der: r.der,
                }
            })
            .collect())
    }

    /// Verifies the audit log: the hash chain from the first entry to the last, and that every
    /// certificate, revocation and CRL in the registry is accounted for by a log entry with the
    /// same content (and the reverse), that every stored certificate and CRL is signed by this
    /// CA, and that `ca.pem` is the certificate the CA was created with. The chain holds no
    /// secret, so someone able to write the database could rewrite the whole log consistently
    /// (though not forge a CA signature); nor is the removal of the newest entries together with
    /// the rows they account for detected: compare [`AuditReport::head`] with a copy kept
    /// elsewhere for both.
    pub fn audit(&mut self) -> Result<AuditReport, CaError> {
        let tx = self.registry.read()?;
        let rows = registry::audit_rows(&tx)?;
        let mut prev = registry::GENESIS.to_string();
        let mut issued: std::collections::HashMap<String, String> = Default::default();
        let mut revoked: std::collections::HashMap<String, (String, String)> = Default::default();
        let mut crls: std::collections::HashMap<i64, String> = Default::default();
        for (i, r) in rows.iter().enumerate() {
            let broken = |reason: String| CaError::AuditBroken { seq: r.seq, reason };
            if r.seq != i as i64 + 1 {
                return Err(broken(format!("sequence number {} where {} was expected (an entry was removed)", r.seq, i + 1)));
            }
            if r.prev_hash != prev {
                return Err(broken("it does not chain to the previous entry (an entry was removed or replaced)".into()));
            }
            if registry::entry_hash(&r.prev_hash, r.seq, r.time, &r.operation, &r.detail) != r.hash {
                return Err(broken("its content does not match its hash (the entry was edited)".into()));
            }
            prev = r.hash.clone();
            let d: serde_json::Value = serde_json::from_str(&r.detail).map_err(|e| broken(format!("detail is not JSON: {e}")))?;
            let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            match r.operation.as_str() {
                "issue" => {
                    issued.insert(s("serial"), s("sha256"));
                }
                "revoke" => {
                    revoked.insert(s("serial"), (s("reason"), s("revoked_at")));
                }
                "remove-from-crl" => match revoked.remove(&s("serial")) {
                    Some((reason, at)) if reason == Reason::CertificateHold.name() && at == s("held_since") => {}
                    _ => return Err(broken(format!("certificate {} was taken off the CRL but the log shows no hold to lift", s("serial")))),
                },
                "crl" => {
                    crls.insert(d.get("number").and_then(|v| v.as_i64()).unwrap_or(-1), s("sha256"));
                }
                "init" => {
                    if s("sha256") != sha256_hex(&self.cert_der) {
                        return Err(broken(format!("{CA_CERT_FILE} is not the certificate this CA was created with")));
                    }
                }
                other => return Err(broken(format!("unknown operation '{other}'"))),
            }
        }
        let certs = registry::all_certs(&tx)?;
        let broken0 = |reason: String| CaError::AuditBroken { seq: 0, reason };
        // The chain holds no secret: whoever can write the database can rewrite the whole log
        // consistently. What they cannot forge is the CA's signature: every stored certificate
        // and CRL must be signed by this CA (and a certificate must carry its row's serial).
        let (_, ca_cert) = x509_parser::certificate::X509Certificate::from_der(&self.cert_der)
            .map_err(|e| CaError::BadCaCert { path: self.dir.join(CA_CERT_FILE), message: e.to_string() })?;
        let ca_key = ca_cert.public_key();
        for c in &certs {
            match issued.remove(&c.serial) {
                Some(h) if h == sha256_hex(&c.der) => {}
                Some(_) => return Err(broken0(format!("certificate {} in the registry differs from the one logged", c.serial))),
                None => return Err(broken0(format!("certificate {} in the registry was never logged as issued", c.serial))),
            }
            let logged = revoked.remove(&c.serial);
            match (&c.revoked_at, logged) {
                (None, None) => {}
                (Some(at), Some((reason, when))) if Some(&reason) == c.reason.as_ref() && when == rfc3339(from_unix(*at)) => {}
                (None, Some(_)) => return Err(broken0(format!("certificate {} was logged as revoked but the registry shows it valid", c.serial))),
                (Some(_), _) => return Err(broken0(format!("the revocation of certificate {} does not match the log", c.serial))),
            }
            let signed = match x509_parser::certificate::X509Certificate::from_der(&c.der) {
                Ok(([], cert)) => {
                    serial_hex(cert.raw_serial()) == c.serial && cert.verify_signature(Some(ca_key)).is_ok()
                }
                _ => false,
            };
            if !signed {
                return Err(broken0(format!("certificate {} in the registry is not one this CA signed with that serial", c.serial)));
            }
        }
        if let Some(serial) = issued.keys().next() {
            return Err(broken0(format!("certificate {serial} was logged as issued but is missing from the registry")));
        }
        if let Some(serial) = revoked.keys().next() {
            return Err(broken0(format!("a revocation of {serial} was logged for a certificate missing from the registry")));
        }
        let mut st = tx.prepare("SELECT number, der FROM crls ORDER BY number")?;
        let crl_rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (n, der) in &crl_rows {
            let signed = match x509_parser::revocation_list::CertificateRevocationList::from_der(der) {
                Ok(([], crl)) => crl.verify_signature(ca_key).is_ok(),
                _ => false,
            };
            if !signed {
                return Err(broken0(format!("CRL number {n} in the registry is not signed by this CA")));
            }
            match crls.remove(n) {
                Some(h) if h == sha256_hex(der) => {}
                _ => return Err(broken0(format!("CRL number {n} in the registry does not match the log"))),
            }
        }
        if let Some(n) = crls.keys().next() {
            return Err(broken0(format!("CRL number {n} was logged but is missing from the registry")));
        }
        Ok(AuditReport { entries: rows.len(), head: prev, certificates: certs.len(), crls: crl_rows.len() })
    }
}

fn spki_equal(a: &[u8], b: &[u8]) -> bool {
    use der::Decode;
    match (spki::SubjectPublicKeyInfoRef::from_der(a), spki::SubjectPublicKeyInfoRef::from_der(b)) {
        (Ok(x), Ok(y)) => x.algorithm.oid == y.algorithm.oid && x.subject_public_key == y.subject_public_key,
        _ => false,
    }
}

fn check_years(years: u32, max: u32) -> Result<(), CaError> {
    if years == 0 || years > max {
        return Err(CaError::BadParameter(format!("--years {years}: between 1 and {max}")));
    }
    Ok(())
}

fn check_url(u: &str) -> Result<(), CaError> {
    let ok = (u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ldap://"))
        && u.is_ascii()
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        && u.len() <= 512;
    if ok {
        Ok(())
    } else {
        Err(CaError::BadParameter(format!("the publication URL '{u}' must be an ASCII http://, https:// or ldap:// URL")))
    }
}

/// Builds, records and writes a CRL inside the caller's transaction.
fn make_crl(
    tx: &registry::Tx<'_>,
    dir: &Path,
    cert_der: &[u8],
    signer: &RcgenSigner<'_>,
    days: Option<u32>,
    now: OffsetDateTime,
) -> Result<Crl, CaError> {
    let days = match days {
        Some(d) => {
            if d == 0 || d > MAX_CRL_DAYS {
                return Err(CaError::BadParameter(format!("--days {d}: between 1 and {MAX_CRL_DAYS}")));
            }
            registry::set_meta(tx, "crl_days", &d.to_string())?;
            d
        }
        None => registry::meta(tx, "crl_days")?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CRL_DAYS),
    };
    let cert_path = dir.join(CA_CERT_FILE);
    let facts = ca_facts(cert_der, &cert_path)?;
    let number = registry::next_crl_number(tx)?;
    let next_update = now + time::Duration::days(i64::from(days));
    let revoked: Vec<rcgen::RevokedCertParams> = registry::revoked(tx)?
        .into_iter()
        .filter_map(|(serial, at, reason)| {
            let serial = hex::decode(if serial.len() % 2 == 1 { format!("0{serial}") } else { serial }).ok()?;
            Some(rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from_slice(&serial),
                revocation_time: from_unix(at),
                reason_code: reason.as_deref().and_then(Reason::from_name).map(Reason::rcgen),
                invalidity_date: None,
            })
        })
        .collect();
    let issuer = rcgen::Issuer::from_ca_cert_der(&cert_der.to_vec().into(), signer)
        .map_err(|e| CaError::BadCaCert { path: cert_path.clone(), message: e.to_string() })?;
    let params = rcgen::CertificateRevocationListParams {
        this_update: now,
        next_update,
        crl_number: rcgen::SerialNumber::from(number as u64),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: match facts.ski {
            Some(ski) => rcgen::KeyIdMethod::PreSpecified(ski),
            None => rcgen::KeyIdMethod::Sha256,
        },
    };
    let count = params.revoked_certs.len();
    let crl = params.signed_by(&issuer).map_err(|e| CaError::Build { what: "CRL", message: e.to_string() })?;
    let der = crl.der().to_vec();
    registry::insert_crl(tx, number, unix(now), unix(next_update), &der)?;
    let detail = serde_json::json!({
        "number": number,
        "this_update": rfc3339(now),
        "next_update": rfc3339(next_update),
        "revoked": count,
        "sha256": sha256_hex(&der),
    });
    registry::append_audit(tx, unix(now), "crl", &detail.to_string())?;
    // crl.pem is written only after the commit (Ca::write_crl_file): written here, a crash
    // before the commit would publish a revocation the registry never recorded, under a CRL
    // number that the next CRL reuses.
    Ok(Crl { number, der, this_update: now, next_update, revoked: count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_normalise() {
        assert_eq!(normalize_serial("0x00AB:CD").unwrap(), "abcd");
        assert_eq!(normalize_serial("000").unwrap(), "0");
        assert!(matches!(normalize_serial("xyz"), Err(CaError::BadSerial(_))));
        assert!(matches!(normalize_serial(&"a".repeat(41)), Err(CaError::BadSerial(_))));
        assert_eq!(serial_hex(&[0x01, 0x0a]), "10a");
    }

    #[test]
    fn years_add_on_leap_day() {
        let t = time::macros::datetime!(2028-02-29 10:00 UTC);
        assert_eq!(add_years(t, 1).unwrap(), time::macros::datetime!(2029-02-28 10:00 UTC));
        assert_eq!(add_years(t, 4).unwrap(), time::macros::datetime!(2032-02-29 10:00 UTC));
    }

    #[test]
    fn random_serials_are_positive_16_bytes() {
        for _ in 0..100 {
            let s = random_serial().unwrap();
            assert_eq!(s.len(), 16);
            assert!(s[0] != 0 && s[0] & 0x80 == 0);
        }
    }

    #[test]
    fn reasons_roundtrip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.name()), Some(r));
        }
        assert_eq!(Reason::from_name("bogus"), None);
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use super::*;
    use time::macros::datetime;

    const FAST: Kdf = Kdf::Pbkdf2Sha256 { iterations: 1000 };

    fn root(dir: &Path, years: u32) -> (Ca, PrivateKey) {
        let mut p = InitParams::new("Root CA Tỉnh Bắc Ninh");
        p.years = Some(years);
        let ca = Ca::init(dir, &p, None, b"pw", FAST, datetime!(2026-11-30 00:00 UTC)).unwrap();
        let key = ca.open_key(Some(b"pw")).unwrap();
        (ca, key)
    }

    fn agency() -> IssueRequest {
        IssueRequest {
            profile: Profile::Agency,
            subject: SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), ..Default::default() },
            years: None,
        }
    }

    #[test]
    fn time_is_a_parameter_and_the_ca_validity_is_enforced() {
        let d = tempfile::tempdir().unwrap();
        let (mut ca, key) = root(&d.path().join("r"), 2);
        let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        // a certificate issued "in 2027" is clipped to the root's notAfter (2028-11-30)
        let i = ca.issue(&key, &agency(), unit.public_key_spki(), datetime!(2027-06-01 12:00 UTC)).unwrap();
        assert_eq!(i.not_before, datetime!(2027-06-01 12:00 UTC));
        assert_eq!(i.not_after, datetime!(2028-11-30 00:00 UTC));
        assert!(i.shortened);
        // before or after the CA's validity: refused
        for t in [datetime!(2026-11-29 00:00 UTC), datetime!(2028-11-30 00:00 UTC)] {
            match ca.issue(&key, &agency(), unit.public_key_spki(), t) {
                Err(CaError::CaNotValid { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
        // status at a given time
        let later = ca.list(datetime!(2029-01-01 00:00 UTC)).unwrap();
        assert_eq!(later[0].status, Status::Expired);
        let now = ca.list(datetime!(2027-07-01 00:00 UTC)).unwrap();
        assert_eq!(now[0].status, Status::Valid);
    }

    #[test]
    fn only_a_hold_is_lifted_and_the_audit_replays_it() {
        let d = tempfile::tempdir().unwrap();
        let (mut ca, key) = root(&d.path().join("r"), 5);
        let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let t = |day: u8| OffsetDateTime::new_utc(time::Date::from_calendar_date(2027, time::Month::January, day).unwrap(), time::Time::MIDNIGHT);
        let a = ca.issue(&key, &agency(), unit.public_key_spki(), t(1)).unwrap().serial;
        let b = ca.issue(&key, &agency(), unit.public_key_spki(), t(1)).unwrap().serial;
        match ca.remove_from_crl(&key, &a, t(2)) {
            Err(CaError::NotOnHold { serial, state }) => assert_eq!((serial, state.as_str()), (a.clone(), "valid")),
            r => panic!("{r:?}"),
        }
        ca.revoke(&key, &b, Reason::Superseded, t(2)).unwrap();
        match ca.remove_from_crl(&key, &b, t(3)) {
            Err(CaError::NotOnHold { state, .. }) => assert_eq!(state, "revoked since 2027-01-02T00:00:00Z, reason superseded"),
            r => panic!("{r:?}"),
        }
        match ca.remove_from_crl(&key, "77", t(3)) {
            Err(CaError::UnknownSerial(s)) => assert_eq!(s, "77"),
            r => panic!("{r:?}"),
        }
        ca.revoke(&key, &a, Reason::CertificateHold, t(3)).unwrap();
        let crl = ca.remove_from_crl(&key, &a, t(4)).unwrap();
        let statuses: Vec<_> = ca.list(t(5)).unwrap().into_iter().map(|r| (r.serial, r.status)).collect();
        assert_eq!(statuses, [(a.clone(), Status::Valid), (b.clone(), Status::Revoked)]);
        let (_, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(&crl.der).unwrap();
        let listed: Vec<String> = parsed.iter_revoked_certificates().map(|r| serial_hex(r.raw_serial())).collect();
        assert_eq!(listed, [b.clone()]);
        ca.audit().unwrap();
        // A registry row cleared without the log entry is caught; so is a logged lifting of a
        // certificate that was never on hold.
        ca.revoke(&key, &a, Reason::CertificateHold, t(6)).unwrap();
        {
            let tx = ca.registry.write().unwrap();
            registry::mark_unrevoked(&tx, &a).unwrap();
            tx.commit().unwrap();
        }
        assert!(matches!(ca.audit(), Err(CaError::AuditBroken { seq: 0, .. })));
        {
            let tx = ca.registry.write().unwrap();
            registry::mark_revoked(&tx, &a, unix(t(6)), "certificate-hold").unwrap();
            let detail = serde_json::json!({ "serial": b, "held_since": "2027-01-02T00:00:00Z", "removed_at": "2027-01-07T00:00:00Z" });
            registry::append_audit(&tx, unix(t(7)), "remove-from-crl", &detail.to_string()).unwrap();
            tx.commit().unwrap();
        }
        match ca.audit() {
            Err(CaError::AuditBroken { reason, .. }) => assert!(reason.contains("shows no hold to lift"), "{reason}"),
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn wrong_key_wrong_passphrase_and_duplicate_init_are_typed_errors() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("r");
        let (mut ca, _) = root(&dir, 5);
        match ca.open_key(Some(b"wrong")) {
            Err(CaError::Key { source: KeyError::WrongPassphrase, .. }) => {}
            other => panic!("{other:?}"),
        }
        match ca.open_key(None) {
            Err(CaError::Key { source: KeyError::PassphraseRequired, .. }) => {}
            other => panic!("{other:?}"),
        }
        let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        match ca.issue(&other, &agency(), other.public_key_spki(), datetime!(2027-01-01 00:00 UTC)) {
            Err(CaError::KeyMismatch(_)) => {}
            r => panic!("{r:?}"),
        }
        match ca.revoke(&other, "01", Reason::Superseded, datetime!(2027-01-01 00:00 UTC)) {
            Err(CaError::UnknownSerial(s)) => assert_eq!(s, "1"),
            r => panic!("{r:?}"),
        }
        match Ca::init(&dir, &InitParams::new("again"), None, b"pw", FAST, datetime!(2027-01-01 00:00 UTC)) {
            Err(CaError::AlreadyExists { found: "ca.pem", .. }) => {}
            r => panic!("{r:?}"),
        }
        match Ca::open(&d.path().join("missing")) {
            Err(CaError::NoSuchDir(_)) => {}
            r => panic!("{r:?}"),
        }
        match Ca::open(d.path()) {
            Err(CaError::NotACa { missing: "ca.pem", .. }) => {}
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn weak_or_unsupported_subject_keys_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let (mut ca, key) = root(&d.path().join("r"), 5);
        match ca.issue(&key, &agency(), b"\x30\x00", datetime!(2027-01-01 00:00 UTC)) {
            Err(CaError::SubjectKey(crate::csr::CsrError::Malformed(_))) => {}
            r => panic!("{r:?}"),
        }
        assert!(ca.list(datetime!(2027-01-01 00:00 UTC)).unwrap().is_empty());
        assert_eq!(ca.audit().unwrap().certificates, 0);
    }
}
