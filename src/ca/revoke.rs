//! Revocation and CRLs: revoking a certificate, lifting a certificate-hold, publishing a CRL
//! (each in one registry transaction with its audit entry) and keeping `crl.pem` current.

use super::error::io_err;
use super::registry::{self, CertRow};
use super::store::{CrlRow, Txn};
use super::signer::RcgenSigner;
use super::{ca_facts, from_unix, pem_encode, sha256_hex, unix, Ca, CaError, CA_CERT_FILE, CRL_FILE};
use crate::files::{write_atomic, Overwrite, Secrecy};
use crate::keys::Signer;
use crate::util::rfc3339;
use std::fmt;
use std::path::Path;
use time::OffsetDateTime;

/// Default validity of a new CRL, in days, when none was chosen.
pub const DEFAULT_CRL_DAYS: u32 = 30;
/// Longest CRL validity accepted, in days. Real CRLs last days or weeks; 5 years is allowed
/// for long-lived example data (certs-example/) only.
pub const MAX_CRL_DAYS: u32 = 1826;
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

impl Ca {
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
            tx.set_revocation(serial, Some((unix(now), reason.name())))?;
            let detail = serde_json::json!({ "serial": serial, "reason": reason.name(), "revoked_at": rfc3339(now) });
            registry::append_audit(&mut *tx, unix(now), "revoke", &detail.to_string())?;
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
            tx.set_revocation(serial, None)?;
            let detail = serde_json::json!({ "serial": serial, "held_since": rfc3339(from_unix(held_since)), "removed_at": rfc3339(now) });
            registry::append_audit(&mut *tx, unix(now), "remove-from-crl", &detail.to_string())?;
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
        change: impl FnOnce(&mut dyn Txn, &str, &CertRow, OffsetDateTime) -> Result<(), CaError>,
    ) -> Result<Crl, CaError> {
        let serial = normalize_serial(serial)?;
        let now = now.replace_nanosecond(0).unwrap_or(now);
        self.check_key(ca_key)?;
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.key_path(), source: e })?;
        let cert_der = self.cert_der.clone();
        let dir = self.dir.clone();
        let mut tx = self.registry.write()?;
        let row = tx.cert(&serial)?.ok_or_else(|| CaError::UnknownSerial(serial.clone()))?;
        change(&mut *tx, &serial, &row, now)?;
        let crl = make_crl(&mut *tx, &dir, &cert_der, &signer, None, now)?;
        tx.commit()?;
        self.write_crl_file()?;
        Ok(crl)
    }

    /// Publishes a new CRL valid for `days` (default: the last value used, else
    /// [`DEFAULT_CRL_DAYS`]), writes it to `crl.pem` and returns it.
    pub fn publish_crl(&mut self, ca_key: &dyn Signer, days: Option<u32>, now: OffsetDateTime) -> Result<Crl, CaError> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        self.check_key(ca_key)?;
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.key_path(), source: e })?;
        let cert_der = self.cert_der.clone();
        let dir = self.dir.clone();
        let mut tx = self.registry.write()?;
        let crl = make_crl(&mut *tx, &dir, &cert_der, &signer, days, now)?;
        tx.commit()?;
        self.write_crl_file()?;
        Ok(crl)
    }

    /// Publishes a new CRL (as [`Ca::publish_crl`] without `days`) only if the newest one has
    /// passed half its validity at `now`, decided inside the write transaction: several
    /// `ca serve` instances on one registry publish once per half-period between them, and CRL
    /// numbers only grow. Returns the CRL made, if any.
    pub fn publish_crl_if_due(&mut self, ca_key: &dyn Signer, now: OffsetDateTime) -> Result<Option<Crl>, CaError> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        self.check_key(ca_key)?;
        let signer = RcgenSigner::new(ca_key).map_err(|e| CaError::Key { path: self.key_path(), source: e })?;
        let cert_der = self.cert_der.clone();
        let dir = self.dir.clone();
        let t = unix(now);
        let mut tx = self.registry.write()?;
        let due = match tx.latest_crl()? {
            Some(c) => t >= c.this_update + (c.next_update - c.this_update) / 2,
            None => true,
        };
        if !due {
            return Ok(None);
        }
        let crl = make_crl(&mut *tx, &dir, &cert_der, &signer, None, now)?;
        tx.commit()?;
        self.write_crl_file()?;
        Ok(Some(crl))
    }

    /// Makes `crl.pem` the registry's newest CRL, if it is not already. Runs after every commit
    /// that adds a CRL, and when the CA is opened (repairing a `crl.pem` left behind by a process
    /// that died between its commit and the write). Holds the write lock while writing, so
    /// concurrent publishers leave the newest CRL in place.
    pub(super) fn write_crl_file(&mut self) -> Result<(), CaError> {
        let path = self.dir.join(CRL_FILE);
        // Pinned: no writer commits a newer CRL while this one is being written.
        let mut tx = self.registry.pinned()?;
        let Some(CrlRow { der, .. }) = tx.latest_crl()? else { return Ok(()) };
        let pem = pem_encode("X509 CRL", &der);
        // Read back with a bound (one byte more than the new file: anything longer differs).
        let current = crate::files::read_limited(&path, pem.len() as u64 + 1).ok();
        if current.as_deref() != Some(pem.as_bytes()) {
            write_atomic(&path, pem.as_bytes(), Overwrite::Replace, Secrecy::Public).map_err(|e| io_err(&path, e))?;
        }
        drop(tx);
        Ok(())
    }
}

/// Builds, records and writes a CRL inside the caller's transaction.
fn make_crl(
    tx: &mut dyn Txn,
    dir: &Path,
    cert_der: &[u8],
    signer: &RcgenSigner<'_>,
    days: Option<u32>,
    now: OffsetDateTime,
) -> Result<Crl, CaError> {
    let days = match days {
        Some(d) => {
            if d == 0 || d > MAX_CRL_DAYS {
                return Err(CaError::BadCrlDays { days: d, max: MAX_CRL_DAYS });
            }
            tx.set_meta("crl_days", &d.to_string())?;
            d
        }
        None => tx.meta("crl_days")?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CRL_DAYS),
    };
    let cert_path = dir.join(CA_CERT_FILE);
    let facts = ca_facts(cert_der, &cert_path)?;
    let number = registry::next_crl_number(&mut *tx)?;
    // thisUpdate never goes back. A machine whose clock is behind the one that made the newest
    // CRL (several administrators or `ca serve` instances on one database, or a clock set back)
    // dates its CRL at the newest one's thisUpdate instead: a relying party holding both that
    // takes the one with the strictly later thisUpdate (OpenSSL does, among CRLs that fit
    // equally) no longer takes the older one over it and misses the revocation this one may
    // add. Not one second later: CRLs made in quick succession would creep into the future, and
    // OpenSSL refuses a CRL whose thisUpdate is ahead of its clock.
    let this_update = match tx.latest_crl()? {
        Some(newest) if newest.this_update > unix(now) => from_unix(newest.this_update),
        _ => now,
    };
    let next_update = this_update + time::Duration::days(i64::from(days));
    let revoked: Vec<rcgen::RevokedCertParams> = tx.revoked()?
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
        this_update,
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
    tx.insert_crl(&CrlRow { number, this_update: unix(this_update), next_update: unix(next_update), der: der.clone() })?;
    let detail = serde_json::json!({
        "number": number,
        "this_update": rfc3339(this_update),
        "next_update": rfc3339(next_update),
        "revoked": count,
        "sha256": sha256_hex(&der),
    });
    registry::append_audit(&mut *tx, unix(now), "crl", &detail.to_string())?;
    // crl.pem is written only after the commit (Ca::write_crl_file): written here, a crash
    // before the commit would publish a revocation the registry never recorded, under a CRL
    // number that the next CRL reuses.
    Ok(Crl { number, der, this_update, next_update, revoked: count })
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
    }

    #[test]
    fn reasons_roundtrip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.name()), Some(r));
        }
        assert_eq!(Reason::from_name("bogus"), None);
    }
}
