//! Where a CA's registry lives: the storage trait and its two implementations, SQLite (the
//! embedded default, `registry.db` in the CA directory) and PostgreSQL (feature `postgres`: a
//! database server shared by several machines and several `kyso ca serve`).
//!
//! The contract every backend keeps (what the CA code relies on):
//! - [`Store::write`] is the **sole writer**: its lock is taken before anything is read, so a
//!   serial checked free, an audit head, a CRL number read inside it stay true until the commit.
//!   One writer order is decided by the database (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
//!   transaction-scoped advisory lock per CA, taken as the first statement at READ COMMITTED).
//! - [`Store::read`] is **one consistent snapshot** (SQLite: a deferred transaction; PostgreSQL:
//!   REPEATABLE READ READ ONLY), so an audit never sees half of a concurrent issuance.
//! - [`Store::pinned`] reads while no writer can commit (SQLite: the write lock; PostgreSQL: the
//!   same advisory lock, shared): `crl.pem` is rewritten under it and so never goes backwards.
//! - [`Watch::token`] changes whenever a write commits (SQLite: the file change counter;
//!   PostgreSQL: the audit head — every write appends an audit entry).
//!
//! The hash chain's logic (what an entry hashes, how the next one is made) stays in
//! `registry.rs`, above the backends: they store rows, they decide nothing.

pub(crate) mod sqlite;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
mod target;

pub use target::{PgTarget, RegistryLocation, TargetError};

use std::collections::HashMap;

/// The newest registry schema this build knows (the same for both backends). Recorded as the
/// setting `schema_version` by later versions; absent means 1.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// One row of the certificates table.
#[derive(Debug, Clone)]
pub(crate) struct CertRow {
    pub serial: String,
    pub subject: String,
    pub profile: String,
    pub not_before: i64,
    pub not_after: i64,
    pub der: Vec<u8>,
    pub revoked_at: Option<i64>,
    pub reason: Option<String>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub time: i64,
    pub operation: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// One CRL as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CrlRow {
    pub number: i64,
    pub this_update: i64,
    pub next_update: i64,
    pub der: Vec<u8>,
}

/// What went wrong in the storage layer, classified so that the CA code can say whether the
/// operation may have been applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    /// Another writer held the lock longer than the wait allowed.
    #[error("the registry is locked by another writer: {message}")]
    Busy { message: String },
    /// The database could not be reached or dropped the connection before the commit: the
    /// operation was not applied.
    #[error("{message}")]
    Unavailable { message: String },
    /// The connection was lost while the commit was under way: it may or may not have been
    /// applied.
    #[error("{message}")]
    InDoubt { message: String },
    /// A uniqueness or check constraint refused a row (nothing of the transaction is kept).
    #[error("{message}")]
    Constraint { message: String },
    /// A write on a read-only transaction (a bug in kyso).
    #[error("a write in a read-only registry transaction")]
    ReadOnly,
    /// The registry is newer than this build.
    #[error("the registry has schema version {found}; this kyso knows up to {SCHEMA_VERSION}: use a newer kyso")]
    TooNew { found: String },
    /// A value read from the registry that kyso never writes (edited outside kyso): nothing
    /// is written on top of it.
    #[error("the registry holds {message}, which kyso never writes (edited outside kyso?): nothing was recorded; check it with `kyso ca audit`")]
    Damaged { message: String },
    /// Anything else the database said.
    #[error("{message}")]
    Other { message: String },
}

/// What changes whenever a write commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChangeToken {
    /// The SQLite file change counter (header bytes 24–27).
    Sqlite([u8; 4]),
    /// The audit head: (seq, hash) of the newest entry; `None` when the log is empty.
    Head(Option<(i64, String)>),
}

/// A cheap way to learn whether the registry changed: its own file handle or connection, so
/// that a watcher never waits behind the store's other users.
pub(crate) trait Watch: Send + Sync {
    /// The current token.
    fn token(&self) -> Result<ChangeToken, StoreError>;
}

/// A registry backend.
pub(crate) trait Store: Send {
    /// One consistent snapshot, read-only.
    fn read(&mut self) -> Result<Box<dyn Txn + '_>, StoreError>;
    /// The sole writer: the lock is taken before anything is read.
    fn write(&mut self) -> Result<Box<dyn Txn + '_>, StoreError>;
    /// Read-only, while no writer can commit.
    fn pinned(&mut self) -> Result<Box<dyn Txn + '_>, StoreError>;
    /// A change watcher with its own handle.
    fn watcher(&self) -> Result<Box<dyn Watch>, StoreError>;
}

/// A transaction on the registry. Writes in a transaction from [`Store::read`] or
/// [`Store::pinned`] fail with [`StoreError::ReadOnly`]. Dropped without [`Txn::commit`], it
/// rolls back.
pub(crate) trait Txn {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    fn serial_exists(&mut self, serial: &str) -> Result<bool, StoreError>;
    fn cert(&mut self, serial: &str) -> Result<Option<CertRow>, StoreError>;
    /// Every certificate, ordered by issue time, then insertion order.
    fn all_certs(&mut self) -> Result<Vec<CertRow>, StoreError>;
    /// serial → issued_at of every certificate.
    fn issued_at(&mut self) -> Result<HashMap<String, i64>, StoreError>;
    /// (serial, revoked_at, reason) of the revoked certificates, by revocation time then
    /// insertion order (the order of CRL entries).
    fn revoked(&mut self) -> Result<Vec<(String, i64, Option<String>)>, StoreError>;
    /// (serial, revoked_at, reason) of every certificate.
    fn statuses(&mut self) -> Result<Vec<(String, Option<i64>, Option<String>)>, StoreError>;
    /// Every CRL, oldest (lowest number) first.
    fn all_crls(&mut self) -> Result<Vec<CrlRow>, StoreError>;
    /// The newest CRL (highest number).
    fn latest_crl(&mut self) -> Result<Option<CrlRow>, StoreError>;
    /// Every audit entry, by seq.
    fn audit_rows(&mut self) -> Result<Vec<AuditRow>, StoreError>;
    /// (seq, hash) of the newest audit entry.
    fn audit_head(&mut self) -> Result<Option<(i64, String)>, StoreError>;
    /// The highest CRL number (0 when none).
    fn max_crl_number(&mut self) -> Result<i64, StoreError>;
    /// Every setting, by key.
    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError>;
    /// Every certificate with its issue time, in insertion order (what a migration copies, so
    /// that the orderings that break ties by insertion stay the same).
    fn certs_in_insertion_order(&mut self) -> Result<Vec<(CertRow, i64)>, StoreError>;

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    fn insert_cert(&mut self, row: &CertRow, issued_at: i64) -> Result<(), StoreError>;
    /// Sets (`Some((at, reason))`) or clears (`None`) a revocation. A serial that matches no row
    /// changes nothing: callers read the row first, in the same transaction.
    fn set_revocation(&mut self, serial: &str, revocation: Option<(i64, &str)>) -> Result<(), StoreError>;
    fn insert_crl(&mut self, row: &CrlRow) -> Result<(), StoreError>;
    /// Stores an audit row as given (registry.rs computes it).
    fn insert_audit(&mut self, row: &AuditRow) -> Result<(), StoreError>;

    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Refuses a registry whose `schema_version` setting is newer than this build's.
pub(crate) fn check_schema_version(tx: &mut dyn Txn) -> Result<(), StoreError> {
    match tx.meta("schema_version")? {
        None => Ok(()),
        Some(v) if v.parse::<u32>().is_ok_and(|n| n <= SCHEMA_VERSION) => Ok(()),
        Some(v) => Err(StoreError::TooNew { found: v }),
    }
}
