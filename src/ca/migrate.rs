//! Moving a CA's SQLite registry into a PostgreSQL database ([`Ca::migrate_to`]): every row
//! copied verbatim (the audit chain included), the copy compared row by row and audited, the
//! move recorded in the chain, and the CA directory pointed at the database.

use super::store::{AuditRow, CertRow, CrlRow, Store, Txn};
use super::{registry, unix, Ca, CaError, PgTarget, RegistryLocation, REGISTRY_CONF_FILE, REGISTRY_FILE};
use crate::files::{write_atomic, Overwrite, Secrecy};
use time::OffsetDateTime;

/// What [`Ca::migrate_to`] moved.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MigrationReport {
    /// The database (its URL without the password).
    pub location: String,
    /// The CA's schema in it.
    pub schema: String,
    /// Certificates copied.
    pub certificates: usize,
    /// CRLs copied.
    pub crls: usize,
    /// Audit entries copied (the `migrate` entry that records the move is one more).
    pub entries: usize,
    /// The audit head before the move, the same in both registries.
    pub head: String,
    /// What the SQLite file was renamed to.
    pub old_registry: std::path::PathBuf,
}

/// Everything a registry holds.
#[derive(PartialEq, Eq)]
struct Content {
    meta: Vec<(String, String)>,
    certs: Vec<(CertRowEq, i64)>,
    crls: Vec<CrlRow>,
    audit: Vec<AuditRow>,
}

/// A certificate row, comparable.
#[derive(PartialEq, Eq)]
struct CertRowEq(String, String, String, i64, i64, Vec<u8>, Option<i64>, Option<String>);

impl From<&CertRow> for CertRowEq {
    fn from(r: &CertRow) -> Self {
        CertRowEq(r.serial.clone(), r.subject.clone(), r.profile.clone(), r.not_before, r.not_after, r.der.clone(), r.revoked_at, r.reason.clone())
    }
}

fn content(tx: &mut dyn Txn) -> Result<(Content, Vec<(CertRow, i64)>), CaError> {
    let mut meta = tx.all_meta()?;
    meta.sort();
    let rows = tx.certs_in_insertion_order()?;
    let certs = rows.iter().map(|(r, at)| (CertRowEq::from(r), *at)).collect();
    Ok((Content { meta, certs, crls: tx.all_crls()?, audit: tx.audit_rows()? }, rows))
}

impl Ca {
    /// Moves this CA's SQLite registry into the PostgreSQL database `target` (the CA gets its
    /// own schema, which must not exist yet). The SQLite audit must pass first; the SQLite
    /// write lock is held throughout, so nothing changes meanwhile. Every row is copied verbatim
    /// in one database transaction, then read back and compared with the SQLite rows, and the
    /// copy is audited (its head must equal the SQLite head). Then a `migrate` entry is appended
    /// to the chain, `ca.conf` is written (the URL without its password) and `registry.db` is
    /// renamed `registry.db.migrated` (older kyso builds then stop instead of writing to a stale
    /// copy). On any failure before `ca.conf` is written, the new schema is dropped and the CA
    /// directory is left as it was. On success this `Ca` uses the database.
    pub fn migrate_to(&mut self, target: &PgTarget, now: OffsetDateTime) -> Result<MigrationReport, CaError> {
        let RegistryLocation::Sqlite(sqlite_path) = self.location.clone() else {
            return Err(CaError::BadParameter("the registry of this CA is already in a database".into()));
        };
        if self.dir.join(REGISTRY_CONF_FILE).exists() {
            return Err(CaError::AlreadyExists { dir: self.dir.clone(), found: REGISTRY_CONF_FILE });
        }
        let audited = self.audit()?;
        let cert_der = self.cert_der.clone();
        let created = std::cell::Cell::new(false);
        let mut pg: Box<dyn Store> = super::create_pg(target, &cert_der, &created)?;
        let result = (|| -> Result<(MigrationReport, Box<dyn Store>), CaError> {
            let mut stx = self.registry.write()?;
            let (source, rows) = content(&mut *stx)?;
            // the registry did not change between the audit and the lock
            if source.audit.last().map(|r| r.hash.as_str()) != Some(audited.head.as_str()) {
                return Err(CaError::Registry("the registry changed during the migration: run it again".into()));
            }
            {
                let mut ptx = pg.write()?;
                for (k, v) in &source.meta {
                    ptx.set_meta(k, v)?;
                }
                for (row, issued_at) in &rows {
                    ptx.insert_cert(row, *issued_at)?;
                    if let (Some(at), Some(reason)) = (row.revoked_at, row.reason.as_deref()) {
                        ptx.set_revocation(&row.serial, Some((at, reason)))?;
                    } else if row.revoked_at.is_some() || row.reason.is_some() {
                        return Err(CaError::AuditBroken { seq: 0, reason: format!("certificate {} has half a revocation", row.serial) });
                    }
                }
                for c in &source.crls {
                    ptx.insert_crl(c)?;
                }
                for a in &source.audit {
                    ptx.insert_audit(a)?;
                }
                ptx.commit()?;
            }
            // read back and compare, row by row
            let copy = {
                let mut rtx = pg.read()?;
                content(&mut *rtx)?.0
            };
            let differs = |what: &str| CaError::Registry(format!("the copy in the database differs from registry.db ({what}): nothing was changed in the CA directory"));
            if copy.meta != source.meta {
                return Err(differs("settings"));
            }
            if copy.certs != source.certs {
                return Err(differs("certificates"));
            }
            if copy.crls != source.crls {
                return Err(differs("CRLs"));
            }
            if copy.audit != source.audit {
                return Err(differs("audit log"));
            }
            let location = RegistryLocation::Postgres(target.clone());
            let mut copy_ca = Ca { dir: self.dir.clone(), cert_der: cert_der.clone(), registry: pg, location };
            let copy_audit = copy_ca.audit()?;
            if copy_audit.head != audited.head || copy_audit.entries != audited.entries {
                return Err(differs("audit head"));
            }
            // record the move in the chain (audit checks that `head` is the entry before)
            let detail = serde_json::json!({
                "from": "sqlite",
                "entries": audited.entries,
                "head": audited.head,
                "certificates": source.certs.len(),
                "crls": source.crls.len(),
            });
            {
                let mut ptx = copy_ca.registry.write()?;
                registry::append_audit(&mut *ptx, unix(now), "migrate", &detail.to_string())?;
                ptx.commit()?;
            }
            // point the directory at the database (still under the SQLite lock)
            let conf = self.dir.join(REGISTRY_CONF_FILE);
            write_atomic(&conf, super::registry_conf_text(target).as_bytes(), Overwrite::Refuse, Secrecy::Public)
                .map_err(|e| super::error::io_err(&conf, e))?;
            // retire the file for every process that has it open: the mark is committed in the
            // transaction that holds the write lock, so a writer waiting for the lock, or a
            // `ca serve` reloading, finds it and stops instead of using the stale copy
            let marked = stx.set_meta(super::store::sqlite::MOVED_TO, &target.url_without_password()).and_then(|()| stx.commit());
            if let Err(e) = marked {
                let _ = std::fs::remove_file(&conf);
                return Err(e.into());
            }
            // then rename it, so that older kyso builds stop too (NotACa); the move is complete
            // without it (ca.conf names the database, the file is marked): a failed rename is
            // reported by naming the file that stays
            let renamed = self.dir.join(format!("{REGISTRY_FILE}.migrated"));
            let old = match std::fs::rename(&sqlite_path, &renamed) {
                Ok(()) => renamed,
                Err(_) => sqlite_path.clone(),
            };
            let report = MigrationReport {
                location: target.to_string(),
                schema: super::schema_of(target, &cert_der),
                certificates: source.certs.len(),
                crls: source.crls.len(),
                entries: audited.entries,
                head: audited.head.clone(),
                old_registry: old,
            };
            Ok((report, copy_ca.registry))
        })();
        match result {
            Ok((report, store)) => {
                self.registry = store;
                self.location = RegistryLocation::Postgres(target.clone());
                Ok(report)
            }
            Err(e) => {
                if created.get() {
                    super::drop_pg_schema(target, &cert_der);
                }
                Err(e)
            }
        }
    }
}
