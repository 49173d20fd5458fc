//! The PostgreSQL backend (feature `postgres`): one schema per CA in a shared database, so that
//! several machines issue and several `kyso ca serve` answer from one registry.
//!
//! - **One writer order**: a write transaction runs at READ COMMITTED and takes a
//!   transaction-scoped advisory lock (the CA's key, [`lock_key`]) as its first statement. The
//!   lock is released only after the commit is visible, and every later statement of the next
//!   writer takes a fresh snapshot, so it sees every earlier commit: serial checks, the audit
//!   head and the CRL number (max + 1, never a sequence: sequence order is not commit order) are
//!   decided under the lock, with no retry loop. The schema's constraints are the backstop: a
//!   writer that skipped the lock would fail on `audit.prev_hash UNIQUE` or a primary key
//!   instead of forking the chain or reusing a serial.
//! - **Snapshots**: REPEATABLE READ READ ONLY, so `ca audit` or an OCSP reload never sees half
//!   of a concurrent issuance.
//! - **Pinned reads** (`crl.pem` rewriting): the same advisory lock, shared.
//! - **Change watching**: the audit head (seq, hash), read on a connection of its own. Every
//!   write appends an audit entry, so a revocation is in the very next OCSP answer of every
//!   `ca serve` once `ca revoke` has returned.
//!
//! Errors are classified ([`classify`]): a lost connection before the commit means the
//! operation was not applied (the server rolls back a transaction whose client is gone); lost
//! during the commit, its outcome is unknown. Only `NoTls` connections are made: use a Unix
//! socket, loopback, or a protected network.

use super::{AuditRow, CertRow, ChangeToken, CrlRow, PgTarget, Store, StoreError, Txn, Watch};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Statement};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long a writer waits for the CA's lock (the same as SQLite's busy timeout).
const LOCK_TIMEOUT: &str = "60s";
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory-lock key of a CA's schema: the first 8 bytes of SHA-256("kyso-registry\0" ‖
/// schema), so that two CAs sharing a database never wait for each other.
pub(crate) fn lock_key(schema: &str) -> i64 {
    let mut buf = b"kyso-registry\0".to_vec();
    buf.extend_from_slice(schema.as_bytes());
    let d = ring::digest::digest(&ring::digest::SHA256, &buf);
    let mut k = [0u8; 8];
    k.copy_from_slice(&d.as_ref()[..8]);
    i64::from_be_bytes(k)
}

/// `schema` as a quoted SQL identifier, so that any name [`super::target::valid_schema`] accepts
/// works, SQL key words (`user`, `order`, `table`) included; that check leaves no `"` to escape.
/// A lower-case name quoted is the same schema as unquoted, so registries made before this
/// quoting are found under it.
fn ident(schema: &str) -> String {
    format!("\"{schema}\"")
}

/// The DDL of schema version 1, the same tables as SQLite's (`ord` takes the place of SQLite's
/// rowid in the two orderings that use it), plus the chain's backstops.
fn schema_sql(s: &str) -> String {
    format!(
        "CREATE SCHEMA {s};
CREATE TABLE {s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE {s}.certificates (
    ord         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    serial      TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    profile     TEXT NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    der         BYTEA NOT NULL,
    issued_at   BIGINT NOT NULL,
    revoked_at  BIGINT,
    reason      TEXT
);
CREATE TABLE {s}.crls (
    number      BIGINT PRIMARY KEY,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    der         BYTEA NOT NULL
);
CREATE TABLE {s}.audit (
    seq         BIGINT PRIMARY KEY CHECK (seq > 0),
    time        BIGINT NOT NULL,
    operation   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL UNIQUE,
    hash        TEXT NOT NULL
);
CREATE FUNCTION {s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON {s}.audit FOR EACH ROW EXECUTE FUNCTION {s}.audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {s}.audit FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_append_only();
"
    )
}

/// Whether an error means the connection is gone (as opposed to a statement the server
/// refused).
fn connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        None => e.as_db_error().is_none(),
        Some(c) => {
            *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CRASH_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW || c.code().starts_with("08")
        }
    }
}

/// The driver's message with its causes (its own `Display` leaves out why a connection failed;
/// neither carries a password).
fn describe(e: &postgres::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// Sorts a driver error into what the CA code must know: could it have been applied?
pub(crate) fn classify(e: &postgres::Error, during_commit: bool) -> StoreError {
    let message = describe(e);
    if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return StoreError::Busy { message };
    }
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) || e.code() == Some(&SqlState::CHECK_VIOLATION) {
        return StoreError::Constraint { message };
    }
    if connection_lost(e) {
        // A server that answered the COMMIT with an error rolled back; no answer at all leaves
        // the outcome unknown.
        if during_commit && e.as_db_error().is_none() {
            return StoreError::InDoubt { message: format!("database connection lost during the commit ({message})") };
        }
        return StoreError::Unavailable { message: format!("database connection lost ({message})") };
    }
    StoreError::Other { message }
}

/// The driver's configuration for a target.
pub(crate) fn config(target: &PgTarget) -> Result<Config, StoreError> {
    let mut c = Config::from_str(target.url()).map_err(|e| StoreError::Other { message: format!("{target}: {e}") })?;
    if let Some(p) = target.password() {
        c.password(p);
    }
    c.connect_timeout(CONNECT_TIMEOUT).keepalives(true).keepalives_idle(Duration::from_secs(30));
    if c.get_application_name().is_none() {
        c.application_name("kyso");
    }
    Ok(c)
}

fn connect(config: &Config, schema: &str) -> Result<Client, StoreError> {
    let unreachable = |e: postgres::Error| StoreError::Unavailable { message: describe(&e) };
    let mut client = config.connect(NoTls).map_err(unreachable)?;
    let enc: String = client.query_one("SHOW server_encoding", &[]).and_then(|r| r.try_get(0)).map_err(|e| classify(&e, false))?;
    if enc != "UTF8" {
        return Err(StoreError::Other { message: format!("the database's encoding is {enc}, not UTF8: create it with ENCODING 'UTF8'") });
    }
    client
        .batch_execute(&format!("SET search_path TO {}; SET lock_timeout = '{LOCK_TIMEOUT}'", ident(schema)))
        .map_err(|e| classify(&e, false))?;
    Ok(client)
}

/// A CA's registry in a PostgreSQL schema.
pub(crate) struct PgStore {
    config: Config,
    schema: String,
    lock_key: i64,
    client: Option<Client>,
    statements: HashMap<&'static str, Statement>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
    Pinned,
}

impl PgStore {
    /// Connects to `target`'s database for the CA schema `schema` (checked by the caller with
    /// `valid_schema`).
    pub(crate) fn connect(target: &PgTarget, schema: &str) -> Result<PgStore, StoreError> {
        let config = config(target)?;
        let client = connect(&config, schema)?;
        Ok(PgStore { config, schema: schema.to_string(), lock_key: lock_key(schema), client: Some(client), statements: HashMap::new() })
    }

    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.statements.clear();
            self.client = None;
            self.client = Some(connect(&self.config, &self.schema)?);
        }
        self.client.as_mut().ok_or_else(|| StoreError::Unavailable { message: "no database connection".into() })
    }

    /// Whether the CA's schema holds a registry.
    pub(crate) fn exists(&mut self) -> Result<bool, StoreError> {
        let schema = self.schema.clone();
        let row = self
            .client()?
            .query_opt(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'audit'",
                &[&schema],
            )
            .map_err(|e| classify(&e, false))?;
        Ok(row.is_some())
    }

    /// Whether the schema exists at all (with or without tables).
    pub(crate) fn schema_exists(&mut self) -> Result<bool, StoreError> {
        let schema = self.schema.clone();
        let row = self
            .client()?
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
            .map_err(|e| classify(&e, false))?;
        Ok(row.is_some())
    }

    /// Creates the schema and its tables, in a transaction of its own. Fails if the schema
    /// exists.
    pub(crate) fn create_schema(&mut self) -> Result<(), StoreError> {
        let ddl = schema_sql(&ident(&self.schema));
        let mut tx = self.begin(Kind::Write)?;
        tx.batch(&ddl)?;
        tx.commit()
    }

    /// Drops the CA's schema and everything in it (undoing a `create` whose CA directory could
    /// not be made).
    pub(crate) fn drop_schema(&mut self) -> Result<(), StoreError> {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&self.schema));
        self.client()?.batch_execute(&sql).map_err(|e| classify(&e, false))
    }

    fn begin(&mut self, kind: Kind) -> Result<Box<PgTxn<'_>>, StoreError> {
        let sql = match kind {
            Kind::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string(),
            Kind::Write => format!("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({})", self.lock_key),
            Kind::Pinned => format!("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY; SELECT pg_advisory_xact_lock_shared({})", self.lock_key),
        };
        // A connection found dead when a transaction starts is replaced once: nothing was sent
        // that could have been applied.
        let mut reconnected = false;
        loop {
            let client = self.client()?;
            match client.batch_execute(&sql) {
                Ok(()) => break,
                Err(e) => {
                    if connection_lost(&e) && !reconnected {
                        reconnected = true;
                        self.client = None;
                        continue;
                    }
                    let _ = client.batch_execute("ROLLBACK");
                    return Err(classify(&e, false));
                }
            }
        }
        let client = self.client.as_mut().ok_or_else(|| StoreError::Unavailable { message: "no database connection".into() })?;
        Ok(Box::new(PgTxn { client, statements: &mut self.statements, writable: kind == Kind::Write, done: false }))
    }
}

impl Store for PgStore {
    fn read(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        Ok(self.begin(Kind::Read)?)
    }

    fn write(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        Ok(self.begin(Kind::Write)?)
    }

    fn pinned(&mut self) -> Result<Box<dyn Txn + '_>, StoreError> {
        Ok(self.begin(Kind::Pinned)?)
    }

    fn watcher(&self) -> Result<Box<dyn Watch>, StoreError> {
        Ok(Box::new(PgWatch::new(self.config.clone(), self.schema.clone())))
    }
}

/// The audit head, read on a connection of its own (reconnected when lost). Concurrent callers
/// share reads: each caller gets the result of a read that **started after it called** (so the
/// answer is as strict as one read per caller), but one read serves every caller queued behind
/// the one in flight — eight OCSP threads cost about one round trip per batch, not eight.
struct PgWatch {
    config: Config,
    schema: String,
    client: Mutex<Option<Client>>,
    shared: Mutex<Shared>,
    done: Condvar,
}

/// The reads of a [`PgWatch`]: how many were started and finished, and the newest result.
#[derive(Default)]
struct Shared {
    started: u64,
    finished: u64,
    in_flight: bool,
    last: Option<Result<ChangeToken, StoreError>>,
}

impl PgWatch {
    fn new(config: Config, schema: String) -> PgWatch {
        PgWatch { config, schema, client: Mutex::new(None), shared: Mutex::new(Shared::default()), done: Condvar::new() }
    }

    /// One read of the audit head.
    fn read(&self) -> Result<ChangeToken, StoreError> {
        let mut guard = self.client.lock().map_err(|_| StoreError::Other { message: "watcher lock poisoned".into() })?;
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            *guard = Some(connect(&self.config, &self.schema)?);
        }
        let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable { message: "no database connection".into() })?;
        match client.query_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[]) {
            Ok(row) => {
                let head = match row {
                    Some(r) => Some((r.try_get(0).map_err(|e| classify(&e, false))?, r.try_get(1).map_err(|e| classify(&e, false))?)),
                    None => None,
                };
                Ok(ChangeToken::Head(head))
            }
            Err(e) => {
                *guard = None;
                Err(classify(&e, false))
            }
        }
    }
}

impl Watch for PgWatch {
    fn token(&self) -> Result<ChangeToken, StoreError> {
        let poisoned = || StoreError::Other { message: "watcher lock poisoned".into() };
        let mut s = self.shared.lock().map_err(|_| poisoned())?;
        // reads numbered `target` and later start after this call
        let target = s.started + 1;
        loop {
            if s.finished >= target {
                if let Some(r) = &s.last {
                    return r.clone();
                }
            }
            if !s.in_flight {
                s.in_flight = true;
                s.started += 1;
                let number = s.started;
                drop(s);
                let result = self.read();
                let mut s = self.shared.lock().map_err(|_| poisoned())?;
                s.in_flight = false;
                s.finished = number;
                s.last = Some(result.clone());
                self.done.notify_all();
                return result;
            }
            s = self.done.wait(s).map_err(|_| poisoned())?;
        }
    }
}

struct PgTxn<'a> {
    client: &'a mut Client,
    statements: &'a mut HashMap<&'static str, Statement>,
    writable: bool,
    done: bool,
}

impl Drop for PgTxn<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Best effort: a broken connection rolls back on the server anyway.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

fn cert_from_row(r: &postgres::Row) -> Result<CertRow, postgres::Error> {
    Ok(CertRow {
        serial: r.try_get(0)?,
        subject: r.try_get(1)?,
        profile: r.try_get(2)?,
        not_before: r.try_get(3)?,
        not_after: r.try_get(4)?,
        der: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
        reason: r.try_get(7)?,
    })
}

fn crl_from_row(r: &postgres::Row) -> Result<CrlRow, postgres::Error> {
    Ok(CrlRow { number: r.try_get(0)?, this_update: r.try_get(1)?, next_update: r.try_get(2)?, der: r.try_get(3)? })
}

impl PgTxn<'_> {
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(|e| classify(&e, false))
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(|e| classify(&e, false))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<postgres::Row>, StoreError> {
        let st = self.statement(sql)?;
        self.client.query(&st, params).map_err(|e| classify(&e, false))
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        if !self.writable {
            return Err(StoreError::ReadOnly);
        }
        let st = self.statement(sql)?;
        self.client.execute(&st, params).map_err(|e| classify(&e, false))
    }

    fn rows<T>(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)], f: impl Fn(&postgres::Row) -> Result<T, postgres::Error>) -> Result<Vec<T>, StoreError> {
        self.query(sql, params)?.iter().map(|r| f(r).map_err(|e| classify(&e, false))).collect()
    }
}

impl Txn for PgTxn<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.rows("SELECT value FROM meta WHERE key = $1", &[&key], |r| r.try_get(0))?.pop())
    }

    fn serial_exists(&mut self, serial: &str) -> Result<bool, StoreError> {
        Ok(!self.query("SELECT 1 FROM certificates WHERE serial = $1", &[&serial])?.is_empty())
    }

    fn cert(&mut self, serial: &str) -> Result<Option<CertRow>, StoreError> {
        Ok(self
            .rows(
                "SELECT serial, subject, profile, not_before, not_after, der, revoked_at, reason FROM certificates WHERE serial = $1",
                &[&serial],
                cert_from_row,
            )?
            .pop())
    }

    fn all_certs(&mut self) -> Result<Vec<CertRow>, StoreError> {
        self.rows(
            "SELECT serial, subject, profile, not_before, not_after, der, revoked_at, reason FROM certificates ORDER BY issued_at, ord",
            &[],
            cert_from_row,
        )
    }

    fn issued_at(&mut self) -> Result<HashMap<String, i64>, StoreError> {
        Ok(self.rows("SELECT serial, issued_at FROM certificates", &[], |r| Ok((r.try_get(0)?, r.try_get(1)?)))?.into_iter().collect())
    }

    fn revoked(&mut self) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        self.rows(
            "SELECT serial, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, ord",
            &[],
            |r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
        )
    }

    fn statuses(&mut self) -> Result<Vec<(String, Option<i64>, Option<String>)>, StoreError> {
        self.rows("SELECT serial, revoked_at, reason FROM certificates", &[], |r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    }

    fn all_crls(&mut self) -> Result<Vec<CrlRow>, StoreError> {
        self.rows("SELECT number, this_update, next_update, der FROM crls ORDER BY number", &[], crl_from_row)
    }

    fn latest_crl(&mut self) -> Result<Option<CrlRow>, StoreError> {
        Ok(self.rows("SELECT number, this_update, next_update, der FROM crls ORDER BY number DESC LIMIT 1", &[], crl_from_row)?.pop())
    }

    fn audit_rows(&mut self) -> Result<Vec<AuditRow>, StoreError> {
        self.rows("SELECT seq, time, operation, detail, prev_hash, hash FROM audit ORDER BY seq", &[], |r| {
            Ok(AuditRow {
                seq: r.try_get(0)?,
                time: r.try_get(1)?,
                operation: r.try_get(2)?,
                detail: r.try_get(3)?,
                prev_hash: r.try_get(4)?,
                hash: r.try_get(5)?,
            })
        })
    }

    fn audit_head(&mut self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self.rows("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[], |r| Ok((r.try_get(0)?, r.try_get(1)?)))?.pop())
    }

    fn max_crl_number(&mut self) -> Result<i64, StoreError> {
        let max: Vec<Option<i64>> = self.rows("SELECT max(number) FROM crls", &[], |r| r.try_get(0))?;
        Ok(max.into_iter().flatten().next().unwrap_or(0))
    }

    fn all_meta(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        self.rows("SELECT key, value FROM meta ORDER BY key", &[], |r| Ok((r.try_get(0)?, r.try_get(1)?)))
    }

    fn certs_in_insertion_order(&mut self) -> Result<Vec<(CertRow, i64)>, StoreError> {
        self.rows(
            "SELECT serial, subject, profile, not_before, not_after, der, revoked_at, reason, issued_at FROM certificates ORDER BY ord",
            &[],
            |r| Ok((cert_from_row(r)?, r.try_get(8)?)),
        )
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn insert_cert(&mut self, row: &CertRow, issued_at: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO certificates (serial, subject, profile, not_before, not_after, der, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&row.serial, &row.subject, &row.profile, &row.not_before, &row.not_after, &row.der, &issued_at],
        )?;
        Ok(())
    }

    fn set_revocation(&mut self, serial: &str, revocation: Option<(i64, &str)>) -> Result<(), StoreError> {
        let (at, reason) = match revocation {
            Some((at, reason)) => (Some(at), Some(reason)),
            None => (None, None),
        };
        self.execute("UPDATE certificates SET revoked_at = $2, reason = $3 WHERE serial = $1", &[&serial, &at, &reason])?;
        Ok(())
    }

    fn insert_crl(&mut self, row: &CrlRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO crls (number, this_update, next_update, der) VALUES ($1, $2, $3, $4)",
            &[&row.number, &row.this_update, &row.next_update, &row.der],
        )?;
        Ok(())
    }

    fn insert_audit(&mut self, row: &AuditRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO audit (seq, time, operation, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&row.seq, &row.time, &row.operation, &row.detail, &row.prev_hash, &row.hash],
        )?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.done = true;
        self.client.batch_execute("COMMIT").map_err(|e| classify(&e, true))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_differ_per_schema() {
        assert_ne!(super::lock_key("kyso_a"), super::lock_key("kyso_b"));
        assert_eq!(super::lock_key("kyso_a"), super::lock_key("kyso_a"));
    }
}
