//! What goes wrong in a CA operation: one error type for the CA directory, issuance,
//! revocation and the audit.

use super::csr;
use super::profile::ProfileError;
use crate::keys::KeyError;
use std::fmt;
use std::path::{Path, PathBuf};

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
    /// The CA key is on a token: it is opened through its URI, not as a file.
    #[error("the key of the CA in {dir} is on a token: {uri}")]
    KeyOnToken {
        /// The CA directory.
        dir: PathBuf,
        /// The key's URI.
        uri: String,
    },
    /// The CA directory's key URI file cannot be used.
    #[error("{path}: {message}")]
    BadKeyUri {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
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
    /// The CA's registry database (PostgreSQL) cannot be reached: nothing was done.
    #[error("cannot reach the CA registry database {location}: {message}")]
    DbUnreachable {
        /// The database (its URL without the password).
        location: String,
        /// Why.
        message: String,
    },
    /// The registry database failed during an operation; `outcome` says whether the operation
    /// may have been recorded.
    #[error("{}", database_failed(.message, .outcome))]
    Database {
        /// What the database or the connection said.
        message: String,
        /// Whether the operation was applied.
        outcome: DbOutcome,
    },
    /// The database holds no registry for this CA.
    #[error("the database {location} holds no registry for this CA (schema {schema}) (made by init with a database, or by a migration)")]
    NoRegistry {
        /// The database (its URL without the password).
        location: String,
        /// The CA's schema.
        schema: String,
    },
    /// A database was named for a CA whose registry is the SQLite file in its directory.
    #[error("the registry of {} is the SQLite file registry.db, not a database: migrate it first", .dir.display())]
    RegistryIsSqlite {
        /// The CA directory.
        dir: PathBuf,
    },
    /// The CA directory's `ca.conf` cannot be used.
    #[error("{}: {message}", .path.display())]
    BadRegistryConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The registry is in a PostgreSQL database and this build lacks the `postgres` feature.
    #[error("the registry of this CA is in a PostgreSQL database, and this kyso was built without PostgreSQL support (feature `postgres`)")]
    NoPostgresSupport,
    /// The registry was made by a newer kyso.
    #[error("the registry has schema version {found}; this kyso knows up to version {known}: use a newer kyso")]
    RegistryTooNew {
        /// The registry's version.
        found: String,
        /// This build's.
        known: u32,
    },
    /// The request breaks a profile rule.
    #[error("{0}")]
    Profile(#[from] ProfileError),
    /// The requested key is not acceptable.
    #[error(transparent)]
    SubjectKey(#[from] csr::CsrError),
    /// A bad parameter (a key algorithm, a date out of range…).
    #[error("{0}")]
    BadParameter(String),
    /// A validity period out of range.
    #[error("a validity of {years} years is out of range (1 to {max})")]
    BadValidity {
        /// The years asked for.
        years: u32,
        /// The profile's maximum.
        max: u32,
    },
    /// A CRL validity out of range.
    #[error("a CRL validity of {days} days is out of range (1 to {max})")]
    BadCrlDays {
        /// The days asked for.
        days: u32,
        /// The maximum ([`super::MAX_CRL_DAYS`]).
        max: u32,
    },
    /// A CRL distribution point that is not a plain URL.
    #[error("the CRL URL '{0}' must be an ASCII http://, https:// or ldap:// URL")]
    BadCrlUrl(String),
    /// An OCSP or caIssuers URL (authorityInfoAccess) that is not a plain URL.
    #[error("the authorityInfoAccess URL '{0}' must be an ASCII http://, https:// or ldap:// URL")]
    BadAiaUrl(String),
    /// [`super::Ca::issue`] with the CA profile: CA certificates are made by
    /// [`super::Ca::init`] with a parent.
    #[error("CA certificates are not issued but made when the new CA is created with a parent CA")]
    CaProfileNotIssued,
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
    #[error("{source}; nothing was kept in {}, but the parent CA had already issued certificate {serial} for the discarded key: revoke it at the parent CA {} (reason: cessation of operation)", .dir.display(), .parent.display())]
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
    /// An output file of [`super::Ca::issue_to_files`] cannot be reserved or prepared (nothing
    /// was issued).
    #[error("{}: {source}", .path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An output file of [`super::Ca::issue_to_files`] exists and may not be replaced (checked
    /// under its lock, before anything was issued).
    #[error("{} already exists", .0.display())]
    OutputExists(PathBuf),
    /// The certificate was issued, but an output file could not be written. Neither file was
    /// left (the certificate file is removed when the key file could not follow); the
    /// certificate was revoked as superseded, unless `revoked` says why not.
    #[error("{}", output_failed(.path, .serial, .source, .revoked))]
    OutputFailed {
        /// The file that could not be written.
        path: PathBuf,
        /// The certificate issued.
        serial: String,
        /// Why.
        source: std::io::Error,
        /// Whether the certificate was revoked (superseded), or why it could not be.
        revoked: Result<(), Box<CaError>>,
    },
}

fn output_failed(path: &Path, serial: &str, source: &std::io::Error, revoked: &Result<(), Box<CaError>>) -> String {
    match revoked {
        Ok(()) => format!(
            "cannot write {}: {source}; certificate {serial} had been issued and was revoked as superseded (no file was left)",
            path.display()
        ),
        Err(e) => format!(
            "cannot write {}: {source}; certificate {serial} had been issued and could not be revoked ({e}): it is recorded as valid but was never delivered",
            path.display()
        ),
    }
}

/// Whether an operation the registry database failed on was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbOutcome {
    /// It was not: the transaction was rolled back (or never started).
    NotApplied,
    /// Unknown: the connection was lost while the commit was under way.
    Unknown,
}

fn database_failed(message: &str, outcome: &DbOutcome) -> String {
    match outcome {
        DbOutcome::NotApplied => format!("the CA registry database failed: {message}; the operation was not recorded"),
        DbOutcome::Unknown => format!(
            "the CA registry database failed: {message}; the operation may or may not have been recorded: check with `kyso ca list` and `kyso ca audit`"
        ),
    }
}

impl From<super::store::StoreError> for CaError {
    fn from(e: super::store::StoreError) -> Self {
        use super::store::StoreError;
        match e {
            StoreError::Unavailable { message } => CaError::Database { message, outcome: DbOutcome::NotApplied },
            StoreError::InDoubt { message } => CaError::Database { message, outcome: DbOutcome::Unknown },
            StoreError::TooNew { found } => CaError::RegistryTooNew { found, known: super::store::SCHEMA_VERSION },
            other => CaError::Registry(other.to_string()),
        }
    }
}

pub(super) fn io_err(path: &Path, e: impl fmt::Display) -> CaError {
    CaError::Io { path: path.to_path_buf(), message: e.to_string() }
}

