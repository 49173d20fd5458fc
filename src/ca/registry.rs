//! The CA registry: an SQLite database in the CA directory holding every issued certificate,
//! revocations, CRL numbers, and an append-only audit log whose entries are hash-chained.
//!
//! Concurrency: every change runs in one `BEGIN IMMEDIATE` transaction (the write lock is taken
//! before anything is read), and connections wait up to [`BUSY_TIMEOUT`] for a lock, so two
//! `ca issue` runs on the same CA serialise instead of losing or duplicating a record.

use super::{from_unix, Ca, CaError};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::Path;
use time::OffsetDateTime;
use std::time::Duration;

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
    /// Subject, as [`crate::util::name_to_string`] prints it.
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

impl Ca {
    /// The inventory, with each certificate's status at `now`.
    pub fn list(&mut self, now: OffsetDateTime) -> Result<Vec<Record>, CaError> {
        let tx = self.registry.read()?;
        let rows = all_certs(&tx)?;
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
}

/// How long a writer waits for another one. An issuance holds the lock for a few milliseconds
/// (one signature, two inserts); 60 s absorbs hundreds of queued writers on a slow disk.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// File name of the registry inside a CA directory.
pub const REGISTRY_FILE: &str = "registry.db";

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE certificates (
    serial      TEXT PRIMARY KEY,          -- lower-case hex, no leading zeros
    subject     TEXT NOT NULL,
    profile     TEXT NOT NULL,
    not_before  INTEGER NOT NULL,          -- Unix seconds
    not_after   INTEGER NOT NULL,
    der         BLOB NOT NULL,
    issued_at   INTEGER NOT NULL,
    revoked_at  INTEGER,
    reason      TEXT
);
CREATE TABLE crls (
    number      INTEGER PRIMARY KEY,
    this_update INTEGER NOT NULL,
    next_update INTEGER NOT NULL,
    der         BLOB NOT NULL
);
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,       -- 1, 2, 3, … without gaps
    time        INTEGER NOT NULL,
    operation   TEXT NOT NULL,
    detail      TEXT NOT NULL,             -- JSON
    prev_hash   TEXT NOT NULL,             -- hex SHA-256 of the previous entry (zeros for #1)
    hash        TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// The hash of the (absent) entry before the first.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub time: i64,
    pub operation: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an audit entry: SHA-256 over a domain separator, the previous hash and the
/// length-prefixed fields, so no two different entries share an encoding.
pub(crate) fn entry_hash(prev_hash: &str, seq: i64, time: i64, operation: &str, detail: &str) -> String {
    let mut buf = Vec::with_capacity(128 + detail.len());
    buf.extend_from_slice(b"kyso-audit-v1\0");
    buf.extend_from_slice(prev_hash.as_bytes());
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&time.to_be_bytes());
    for field in [operation, detail] {
        buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
        buf.extend_from_slice(field.as_bytes());
    }
    hex::encode(ring::digest::digest(&ring::digest::SHA256, &buf))
}

pub(crate) struct Registry {
    conn: Connection,
}

pub(crate) type Tx<'a> = rusqlite::Transaction<'a>;

impl Registry {
    /// Creates a new registry file (fails if it exists).
    pub(crate) fn create(path: &Path) -> rusqlite::Result<Registry> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Registry { conn })
    }

    /// Opens an existing registry.
    pub(crate) fn open(path: &Path) -> rusqlite::Result<Registry> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Fails here, not later, when the file is not an SQLite database.
        conn.query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0))?;
        Ok(Registry { conn })
    }

    /// Starts a write transaction, taking the database lock at once.
    pub(crate) fn write(&mut self) -> rusqlite::Result<Tx<'_>> {
        self.conn.transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Starts a read transaction (a consistent snapshot).
    pub(crate) fn read(&mut self) -> rusqlite::Result<Tx<'_>> {
        self.conn.transaction_with_behavior(TransactionBehavior::Deferred)
    }
}

pub(crate) fn set_meta(tx: &Tx<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
    Ok(())
}

pub(crate) fn meta(tx: &Tx<'_>, key: &str) -> rusqlite::Result<Option<String>> {
    tx.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional()
}

pub(crate) fn serial_exists(tx: &Tx<'_>, serial: &str) -> rusqlite::Result<bool> {
    tx.query_row("SELECT 1 FROM certificates WHERE serial = ?1", params![serial], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

pub(crate) fn insert_cert(tx: &Tx<'_>, row: &CertRow, issued_at: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO certificates (serial, subject, profile, not_before, not_after, der, issued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![row.serial, row.subject, row.profile, row.not_before, row.not_after, row.der, issued_at],
    )?;
    Ok(())
}

fn cert_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CertRow> {
    Ok(CertRow {
        serial: r.get(0)?,
        subject: r.get(1)?,
        profile: r.get(2)?,
        not_before: r.get(3)?,
        not_after: r.get(4)?,
        der: r.get(5)?,
        revoked_at: r.get(6)?,
        reason: r.get(7)?,
    })
}

const CERT_COLUMNS: &str = "serial, subject, profile, not_before, not_after, der, revoked_at, reason";

pub(crate) fn cert(tx: &Tx<'_>, serial: &str) -> rusqlite::Result<Option<CertRow>> {
    tx.query_row(
        &format!("SELECT {CERT_COLUMNS} FROM certificates WHERE serial = ?1"),
        params![serial],
        cert_from_row,
    )
    .optional()
}

pub(crate) fn all_certs(tx: &Tx<'_>) -> rusqlite::Result<Vec<CertRow>> {
    let mut st = tx.prepare(&format!("SELECT {CERT_COLUMNS} FROM certificates ORDER BY issued_at, rowid"))?;
    let rows = st.query_map([], cert_from_row)?.collect::<rusqlite::Result<Vec<_>>>();
    rows
}

/// serial → issued_at of every certificate (the column `ca list` orders by; checked by the
/// audit against the time of the certificate's log entry).
pub(crate) fn issued_at(tx: &Tx<'_>) -> rusqlite::Result<std::collections::HashMap<String, i64>> {
    let mut st = tx.prepare("SELECT serial, issued_at FROM certificates")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>();
    rows
}

/// (number, this_update, next_update, der) of every CRL, oldest first.
pub(crate) fn all_crls(tx: &Tx<'_>) -> rusqlite::Result<Vec<(i64, i64, i64, Vec<u8>)>> {
    let mut st = tx.prepare("SELECT number, this_update, next_update, der FROM crls ORDER BY number")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<rusqlite::Result<Vec<_>>>();
    rows
}

/// (serial, revoked_at, reason) of every revoked certificate, without loading the DER blobs.
pub(crate) fn revoked(tx: &Tx<'_>) -> rusqlite::Result<Vec<(String, i64, Option<String>)>> {
    let mut st = tx.prepare("SELECT serial, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, rowid")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>();
    rows
}

pub(crate) fn mark_revoked(tx: &Tx<'_>, serial: &str, at: i64, reason: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE certificates SET revoked_at = ?2, reason = ?3 WHERE serial = ?1",
        params![serial, at, reason],
    )?;
    Ok(())
}

/// Clears a revocation (a lifted certificateHold): the certificate is valid again.
pub(crate) fn mark_unrevoked(tx: &Tx<'_>, serial: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE certificates SET revoked_at = NULL, reason = NULL WHERE serial = ?1", params![serial])?;
    Ok(())
}

pub(crate) fn next_crl_number(tx: &Tx<'_>) -> rusqlite::Result<i64> {
    let max: Option<i64> = tx.query_row("SELECT max(number) FROM crls", [], |r| r.get(0))?;
    Ok(max.unwrap_or(0) + 1)
}

/// The newest CRL (highest number): its number and DER.
pub(crate) fn latest_crl(tx: &Tx<'_>) -> rusqlite::Result<Option<(i64, Vec<u8>)>> {
    tx.query_row("SELECT number, der FROM crls ORDER BY number DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

pub(crate) fn insert_crl(tx: &Tx<'_>, number: i64, this_update: i64, next_update: i64, der: &[u8]) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO crls (number, this_update, next_update, der) VALUES (?1, ?2, ?3, ?4)",
        params![number, this_update, next_update, der],
    )?;
    Ok(())
}

/// Appends an audit entry chained to the last one; returns its hash.
pub(crate) fn append_audit(tx: &Tx<'_>, time: i64, operation: &str, detail: &str) -> rusqlite::Result<String> {
    let last: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let hash = entry_hash(&prev, seq, time, operation, detail);
    tx.execute(
        "INSERT INTO audit (seq, time, operation, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, time, operation, detail, prev, hash],
    )?;
    Ok(hash)
}

pub(crate) fn audit_rows(tx: &Tx<'_>) -> rusqlite::Result<Vec<AuditRow>> {
    let mut st = tx.prepare("SELECT seq, time, operation, detail, prev_hash, hash FROM audit ORDER BY seq")?;
    let rows = st
        .query_map([], |r| {
            Ok(AuditRow {
                seq: r.get(0)?,
                time: r.get(1)?,
                operation: r.get(2)?,
                detail: r.get(3)?,
                prev_hash: r.get(4)?,
                hash: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>();
    rows
}

/// (serial, revoked_at, reason) of every certificate, without the DER blobs: what an OCSP
/// responder answers from.
pub(crate) fn statuses(tx: &Tx<'_>) -> rusqlite::Result<Vec<(String, Option<i64>, Option<String>)>> {
    let mut st = tx.prepare("SELECT serial, revoked_at, reason FROM certificates")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>();
    rows
}

/// The newest CRL with its times: (number, thisUpdate, nextUpdate, DER).
pub(crate) fn latest_crl_with_times(tx: &Tx<'_>) -> rusqlite::Result<Option<(i64, i64, i64, Vec<u8>)>> {
    tx.query_row("SELECT number, this_update, next_update, der FROM crls ORDER BY number DESC LIMIT 1", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .optional()
}
