//! The CA registry: every issued certificate, revocations, CRL numbers, and an append-only
//! audit log whose entries are hash-chained; stored by a backend of [`super::store`] (SQLite in
//! the CA directory, or PostgreSQL). The chain's logic lives here, above the backends.

use super::store::{AuditRow, StoreError, Txn};
pub(crate) use super::store::CertRow;
use super::{from_unix, Ca, CaError};
use time::OffsetDateTime;

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
        let rows = {
            let mut tx = self.registry.read()?;
            tx.all_certs()?
        };
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

/// File name of the registry inside a CA directory.
pub const REGISTRY_FILE: &str = "registry.db";

/// The hash of the (absent) entry before the first.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// Appends an audit entry chained to the last one (read in the same transaction, under the
/// writer's lock); returns its hash.
pub(crate) fn append_audit(tx: &mut dyn Txn, time: i64, operation: &str, detail: &str) -> Result<String, StoreError> {
    let (seq, prev) = match tx.audit_head()? {
        Some((s, h)) => (s.checked_add(1).filter(|_| s >= 1).ok_or_else(|| StoreError::Damaged { message: format!("an audit entry numbered {s}") })?, h),
        None => (1, GENESIS.to_string()),
    };
    let hash = entry_hash(&prev, seq, time, operation, detail);
    tx.insert_audit(&AuditRow { seq, time, operation: operation.to_string(), detail: detail.to_string(), prev_hash: prev, hash: hash.clone() })?;
    Ok(hash)
}

/// The number of the next CRL: one more than the highest recorded, decided under the writer's
/// lock (never a database sequence: sequence order is not commit order).
pub(crate) fn next_crl_number(tx: &mut dyn Txn) -> Result<i64, StoreError> {
    let max = tx.max_crl_number()?;
    max.checked_add(1).filter(|_| max >= 0).ok_or_else(|| StoreError::Damaged { message: format!("a CRL numbered {max}") })
}
