//! The SQLite backend: `registry.db` in the CA directory, in rollback-journal mode (never WAL:
//! the change watcher reads the header's file change counter, which WAL commits do not move).
//!
//! Concurrency: every change runs in one `BEGIN IMMEDIATE` transaction (the write lock is taken
//! before anything is read), and connections wait up to [`BUSY_TIMEOUT`] for a lock, so two
//! `ca issue` runs on the same CA serialise instead of losing or duplicating a record.

use super::{AuditRow, CertRow, ChangeToken, CrlRow, Store, StoreError, Txn, Watch};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another one. An issuance holds the lock for a few milliseconds
/// (one signature, two inserts); 60 s absorbs hundreds of queued writers on a slow disk.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Schema version 1 (the tables every kyso registry has had).
pub(crate) const SCHEMA: &str = "
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

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Other { message: e.to_string() }
}

/// The `meta` key a migration sets (to the database's URL, without its password) in the
/// SQLite registry it retires, in the transaction that holds the write lock.
pub(crate) const MOVED_TO: &str = "moved_to";

/// An SQLite registry file.
pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Creates a new registry file (fails if it exists).
    pub(crate) fn create(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStore { conn, path: path.to_path_buf() })
    }

    /// Opens an existing registry.
    pub(crate) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // Fails here, not later, when the file is not an SQLite database.
        conn.query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0)).map_err(err)?;
        Ok(SqliteStore { conn, path: path.to_path_buf() })
    }

    fn begin(&mut self, behavior: TransactionBehavior, writable: bool) -> Result<Box<dyn Txn + '_>, StoreError> {
        let tx = self.conn.transaction_with_behavior(behavior).map_err(err)?;
        // A registry that `kyso ca migrate` moved into a database is retired: a process that
        // had it open before (a `ca serve`, a `ca issue` waiting for the lock) must not go on
        // reading or writing it. Checked inside the transaction, so under the write lock.
        let moved: Option<String> = tx.query_row("SELECT value FROM meta WHERE key = ?1", params![MOVED_TO], |r| r.get(0)).optional().map_err(err)?;
        if let Some(to) = moved.filter(|t| !t.is_empty()) {
            return Err(StoreError::Unavailable {
                message: format!("{} was moved into the database {to} by `kyso ca migrate`: the CA directory's ca.conf names it now; run the command again", self.path.display()),
            });
        }
        Ok(Box::new(SqliteTxn { tx, writable }))
    }
}

impl Store for SqliteStore {
    fn read(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.begin(TransactionBehavior::Deferred, false)
    }

    fn write(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.begin(TransactionBehavior::Immediate, true)
    }

    fn pinned(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.begin(TransactionBehavior::Immediate, false)
    }

    fn watcher(&self) -> Result<Box<dyn Watch>, StoreError> {
        Ok(Box::new(SqliteWatch { file: std::fs::File::open(&self.path).ok(), path: self.path.clone() }))
    }
}

/// The file change counter of the registry file, kept open (the file is never replaced: the
/// registry is written in place by SQLite): one `pread` of 4 bytes per token.
struct SqliteWatch {
    file: Option<std::fs::File>,
    path: PathBuf,
}

impl Watch for SqliteWatch {
    fn token(&self) -> Result<ChangeToken, StoreError> {
        change_counter(self.file.as_ref(), &self.path)
            .map(ChangeToken::Sqlite)
            .ok_or_else(|| StoreError::Other { message: format!("{}: cannot read the file change counter", self.path.display()) })
    }
}

/// The SQLite file change counter (header bytes 24–27), read through `open` or, without it,
/// by opening `db`.
fn change_counter(open: Option<&std::fs::File>, db: &Path) -> Option<[u8; 4]> {
    let mut buf = [0u8; 4];
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        match open {
            Some(f) => f.read_exact_at(&mut buf, 24).ok()?,
            None => std::fs::File::open(db).ok()?.read_exact_at(&mut buf, 24).ok()?,
        }
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let _ = open;
        let mut f = std::fs::File::open(db).ok()?;
        f.seek(SeekFrom::Start(24)).ok()?;
        f.read_exact(&mut buf).ok()?;
    }
    Some(buf)
}

struct SqliteTxn<'a> {
    tx: rusqlite::Transaction<'a>,
    writable: bool,
}

impl SqliteTxn<'_> {
    fn writing(&self) -> Result<(), StoreError> {
        if self.writable {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }
}

const CERT_COLUMNS: &str = "serial, subject, profile, not_before, not_after, der, revoked_at, reason";

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

fn crl_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CrlRow> {
    Ok(CrlRow { number: r.get(0)?, this_update: r.get(1)?, next_update: r.get(2)?, der: r.get(3)? })
}

impl Txn for SqliteTxn<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.tx.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional().map_err(err)
    }

    fn serial_exists(&mut self, serial: &str) -> Result<bool, StoreError> {
        self.tx
            .query_row("SELECT 1 FROM certificates WHERE serial = ?1", params![serial], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(err)
    }

    fn cert(&mut self, serial: &str) -> Result<Option<CertRow>, StoreError> {
        self.tx
            .query_row(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE serial = ?1"), params![serial], cert_from_row)
            .optional()
            .map_err(err)
    }

    fn all_certs(&mut self) -> Result<Vec<CertRow>, StoreError> {
        let mut st = self.tx.prepare(&format!("SELECT {CERT_COLUMNS} FROM certificates ORDER BY issued_at, rowid")).map_err(err)?;
        let rows = st.query_map([], cert_from_row).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn issued_at(&mut self) -> Result<HashMap<String, i64>, StoreError> {
        let mut st = self.tx.prepare("SELECT serial, issued_at FROM certificates").map_err(err)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)?.collect::<rusqlite::Result<_>>().map_err(err);
        rows
    }

    fn revoked(&mut self) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        let mut st = self
            .tx
            .prepare("SELECT serial, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, rowid")
            .map_err(err)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn statuses(&mut self) -> Result<Vec<(String, Option<i64>, Option<String>)>, StoreError> {
        let mut st = self.tx.prepare("SELECT serial, revoked_at, reason FROM certificates").map_err(err)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn all_crls(&mut self) -> Result<Vec<CrlRow>, StoreError> {
        let mut st = self.tx.prepare("SELECT number, this_update, next_update, der FROM crls ORDER BY number").map_err(err)?;
        let rows = st.query_map([], crl_from_row).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn latest_crl(&mut self) -> Result<Option<CrlRow>, StoreError> {
        self.tx
            .query_row("SELECT number, this_update, next_update, der FROM crls ORDER BY number DESC LIMIT 1", [], crl_from_row)
            .optional()
            .map_err(err)
    }

    fn audit_rows(&mut self) -> Result<Vec<AuditRow>, StoreError> {
        let mut st = self.tx.prepare("SELECT seq, time, operation, detail, prev_hash, hash FROM audit ORDER BY seq").map_err(err)?;
        let rows = st
            .query_map([], |r| {
                Ok(AuditRow { seq: r.get(0)?, time: r.get(1)?, operation: r.get(2)?, detail: r.get(3)?, prev_hash: r.get(4)?, hash: r.get(5)? })
            })
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err);
        rows
    }

    fn audit_head(&mut self) -> Result<Option<(i64, String)>, StoreError> {
        self.tx
            .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(err)
    }

    fn max_crl_number(&mut self) -> Result<i64, StoreError> {
        let max: Option<i64> = self.tx.query_row("SELECT max(number) FROM crls", [], |r| r.get(0)).map_err(err)?;
        Ok(max.unwrap_or(0))
    }

    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self.tx.prepare("SELECT key, value FROM meta ORDER BY key").map_err(err)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn certs_in_insertion_order(&mut self) -> Result<Vec<(CertRow, i64)>, StoreError> {
        let mut st = self.tx.prepare(&format!("SELECT {CERT_COLUMNS}, issued_at FROM certificates ORDER BY rowid")).map_err(err)?;
        let rows = st.query_map([], |r| Ok((cert_from_row(r)?, r.get(8)?))).map_err(err)?.collect::<rusqlite::Result<Vec<_>>>().map_err(err);
        rows
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.writing()?;
        self.tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value]).map_err(err)?;
        Ok(())
    }

    fn insert_cert(&mut self, row: &CertRow, issued_at: i64) -> Result<(), StoreError> {
        self.writing()?;
        self.tx
            .execute(
                "INSERT INTO certificates (serial, subject, profile, not_before, not_after, der, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![row.serial, row.subject, row.profile, row.not_before, row.not_after, row.der, issued_at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn set_revocation(&mut self, serial: &str, revocation: Option<(i64, &str)>) -> Result<(), StoreError> {
        self.writing()?;
        let (at, reason) = match revocation {
            Some((at, reason)) => (Some(at), Some(reason)),
            None => (None, None),
        };
        self.tx
            .execute("UPDATE certificates SET revoked_at = ?2, reason = ?3 WHERE serial = ?1", params![serial, at, reason])
            .map_err(err)?;
        Ok(())
    }

    fn insert_crl(&mut self, row: &CrlRow) -> Result<(), StoreError> {
        self.writing()?;
        self.tx
            .execute(
                "INSERT INTO crls (number, this_update, next_update, der) VALUES (?1, ?2, ?3, ?4)",
                params![row.number, row.this_update, row.next_update, row.der],
            )
            .map_err(err)?;
        Ok(())
    }

    fn insert_audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        self.writing()?;
        self.tx
            .execute(
                "INSERT INTO audit (seq, time, operation, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![row.seq, row.time, row.operation, row.detail, row.prev_hash, row.hash],
            )
            .map_err(err)?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().map_err(err)
    }
}
