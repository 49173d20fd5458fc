//! The audit: replaying the hash-chained log against the registry and the CA's signatures.

use super::registry;
use super::revoke::Reason;
use super::{from_unix, sha256_hex, Ca, CaError, CA_CERT_FILE};
use crate::objects::serial_hex;
use crate::util::rfc3339;
use x509_parser::prelude::FromDer;

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

impl Ca {
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
