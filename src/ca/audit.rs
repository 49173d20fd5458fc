//! The audit: replaying the hash-chained log against the registry and the CA's signatures.

use super::registry;
use super::revoke::Reason;
use super::{from_unix, sha256_hex, Ca, CaError, CA_CERT_FILE};
use crate::objects::serial_hex;
use crate::util::rfc3339;
use x509_parser::prelude::FromDer;

/// The registry format this audit knows.
const FORMAT: &str = "kyso-ca-1";

/// What an `issue` log entry says about a certificate.
struct LoggedIssue {
    sha256: String,
    subject: String,
    profile: String,
    not_before: String,
    not_after: String,
    time: i64,
}

/// What a `crl` log entry says about a CRL.
struct LoggedCrl {
    sha256: String,
    this_update: String,
    next_update: String,
}

/// Whether a certificate has the extensions of the profile its row names: a CA certificate
/// for `ca`, the timestamping EKU for `tsa`, the document-signing EKU for `agency` and
/// `person` (which differ only in their subject rules).
fn profile_matches(profile: &str, cert: &x509_parser::certificate::X509Certificate<'_>) -> bool {
    let is_ca = cert.basic_constraints().ok().flatten().is_some_and(|b| b.value.ca);
    let eku = cert.extended_key_usage().ok().flatten().map(|e| e.value.clone());
    let time_stamping = eku.as_ref().is_some_and(|e| e.time_stamping);
    match super::Profile::from_name(profile) {
        Some(super::Profile::SubCa) => is_ca,
        Some(super::Profile::Tsa) => !is_ca && time_stamping,
        Some(super::Profile::Agency | super::Profile::Person) => !is_ca && !time_stamping,
        _ => false,
    }
}

/// The URIs of a certificate's CRL distribution points.
fn crl_distribution_points(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
    let mut out = Vec::new();
    for ext in cert.iter_extensions() {
        if let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() {
            for p in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                    for n in names {
                        if let GeneralName::URI(u) = n {
                            out.push((*u).to_string());
                        }
                    }
                }
            }
        }
    }
    out
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

impl Ca {
    /// Verifies the audit log: the hash chain from the first entry to the last, and that every
    /// certificate, revocation and CRL in the registry is accounted for by a log entry with the
    /// same content (and the reverse), that every stored certificate and CRL is signed by this
    /// CA, and that `ca.pem` is the certificate the CA was created with.
    ///
    /// Every registry column a command shows or relies on is covered: a certificate row's
    /// subject, profile, notBefore, notAfter and issue time against its log entry, and the
    /// subject and validity also against the certificate's own bytes (the profile against its
    /// extensions: CA, timestamping or document signing); a CRL row's thisUpdate and
    /// nextUpdate against the CRL and its log entry; the settings `format`, `crl_days` (the
    /// newest CRL's validity) and `crl_url` (the CRL distribution point of every certificate,
    /// and the URL logged at init by CAs created since). Settings added by later commands
    /// that are not listed here are not covered. The chain holds no
    /// secret, so someone able to write the database could rewrite the whole log consistently
    /// (though not forge a CA signature); nor is the removal of the newest entries together with
    /// the rows they account for detected: compare [`AuditReport::head`] with a copy kept
    /// elsewhere for both.
    pub fn audit(&mut self) -> Result<AuditReport, CaError> {
        let mut tx = self.registry.read()?;
        let rows = tx.audit_rows()?;
        let mut prev = registry::GENESIS.to_string();
        let mut issued: std::collections::HashMap<String, LoggedIssue> = Default::default();
        let mut revoked: std::collections::HashMap<String, (String, String)> = Default::default();
        let mut crls: std::collections::HashMap<i64, LoggedCrl> = Default::default();
        // The CRL URL recorded at init (CAs made since the audit covers it).
        let mut init_crl_url: Option<Option<String>> = None;
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
                    let logged = LoggedIssue {
                        sha256: s("sha256"),
                        subject: s("subject"),
                        profile: s("profile"),
                        not_before: s("not_before"),
                        not_after: s("not_after"),
                        time: r.time,
                    };
                    issued.insert(s("serial"), logged);
                }
                "revoke" => {
                    revoked.insert(s("serial"), (s("reason"), s("revoked_at")));
                }
                "remove-from-crl" => match revoked.remove(&s("serial")) {
                    Some((reason, at)) if reason == Reason::CertificateHold.name() && at == s("held_since") => {}
                    _ => return Err(broken(format!("certificate {} was taken off the CRL but the log shows no hold to lift", s("serial")))),
                },
                "crl" => {
                    let logged = LoggedCrl { sha256: s("sha256"), this_update: s("this_update"), next_update: s("next_update") };
                    crls.insert(d.get("number").and_then(|v| v.as_i64()).unwrap_or(-1), logged);
                }
                "init" => {
                    if s("sha256") != sha256_hex(&self.cert_der) {
                        return Err(broken(format!("{CA_CERT_FILE} is not the certificate this CA was created with")));
                    }
                    if let Some(u) = d.get("crl_url") {
                        init_crl_url = Some(u.as_str().map(str::to_string));
                    }
                }
                "migrate" => {
                    // the registry was moved (SQLite → PostgreSQL) after entry seq − 1, whose
                    // hash the entry names
                    let entries = d.get("entries").and_then(|v| v.as_i64());
                    if s("head") != r.prev_hash || entries != Some(r.seq - 1) {
                        return Err(broken("the migration entry does not name the entry before it".into()));
                    }
                }
                other => return Err(broken(format!("unknown operation '{other}'"))),
            }
        }
        let certs = tx.all_certs()?;
        let broken0 = |reason: String| CaError::AuditBroken { seq: 0, reason };
        // The chain holds no secret: whoever can write the database can rewrite the whole log
        // consistently. What they cannot forge is the CA's signature: every stored certificate
        // and CRL must be signed by this CA (and a certificate must carry its row's serial).
        let (_, ca_cert) = x509_parser::certificate::X509Certificate::from_der(&self.cert_der)
            .map_err(|e| CaError::BadCaCert { path: self.dir.join(CA_CERT_FILE), message: e.to_string() })?;
        let ca_key = ca_cert.public_key();
        let issued_at = tx.issued_at()?;
        let crl_url = tx.meta("crl_url")?;
        match tx.meta("format")?.as_deref() {
            Some(FORMAT) => {}
            other => return Err(broken0(format!("the registry's format is {other:?}, not {FORMAT} (edited outside kyso)"))),
        }
        if let Some(logged) = &init_crl_url {
            if *logged != crl_url {
                return Err(broken0(format!("the registry's CRL URL {crl_url:?} is not the one the CA was created with, {logged:?}")));
            }
        }
        for c in &certs {
            let logged = match issued.remove(&c.serial) {
                Some(l) if l.sha256 == sha256_hex(&c.der) => l,
                Some(_) => return Err(broken0(format!("certificate {} in the registry differs from the one logged", c.serial))),
                None => return Err(broken0(format!("certificate {} in the registry was never logged as issued", c.serial))),
            };
            // Signed by this CA first (the most telling failure), then every other column.
            let signed = match x509_parser::certificate::X509Certificate::from_der(&c.der) {
                Ok(([], cert)) => {
                    serial_hex(cert.raw_serial()) == c.serial && cert.verify_signature(Some(ca_key)).is_ok()
                }
                _ => false,
            };
            if !signed {
                return Err(broken0(format!("certificate {} in the registry is not one this CA signed with that serial", c.serial)));
            }
            // Every other column of the row: against the log entry, and what the certificate
            // says against the certificate itself.
            let column = |name: &str| broken0(format!("certificate {}: the registry's {name} differs from the certificate and its log entry (edited outside kyso)", c.serial));
            let der_cert = match x509_parser::certificate::X509Certificate::from_der(&c.der) {
                Ok(([], cert)) => Some(cert),
                _ => None,
            };
            let from_cert = der_cert.as_ref().map(|cert| {
                (
                    crate::util::name_to_string(cert.subject()),
                    cert.validity().not_before.timestamp(),
                    cert.validity().not_after.timestamp(),
                )
            });
            if c.subject != logged.subject || from_cert.as_ref().is_some_and(|f| f.0 != c.subject) {
                return Err(column("subject"));
            }
            if rfc3339(from_unix(c.not_before)) != logged.not_before || from_cert.as_ref().is_some_and(|f| f.1 != c.not_before) {
                return Err(column("not_before"));
            }
            if rfc3339(from_unix(c.not_after)) != logged.not_after || from_cert.as_ref().is_some_and(|f| f.2 != c.not_after) {
                return Err(column("not_after"));
            }
            if c.profile != logged.profile || der_cert.as_ref().is_some_and(|cert| !profile_matches(&c.profile, cert)) {
                return Err(column("profile"));
            }
            if issued_at.get(&c.serial) != Some(&logged.time) {
                return Err(column("issued_at"));
            }
            if let Some(cert) = &der_cert {
                let points = crl_distribution_points(cert);
                let expected: Vec<String> = crl_url.iter().cloned().collect();
                if points != expected {
                    return Err(broken0(format!(
                        "certificate {} names the CRL at {points:?}, the registry's CRL URL is {crl_url:?} (edited outside kyso)",
                        c.serial
                    )));
                }
            }
            let logged = revoked.remove(&c.serial);
            match (&c.revoked_at, logged) {
                (None, None) => {}
                (Some(at), Some((reason, when))) if Some(&reason) == c.reason.as_ref() && when == rfc3339(from_unix(*at)) => {}
                (None, Some(_)) => return Err(broken0(format!("certificate {} was logged as revoked but the registry shows it valid", c.serial))),
                (Some(_), _) => return Err(broken0(format!("the revocation of certificate {} does not match the log", c.serial))),
            }
        }
        if let Some(serial) = issued.keys().next() {
            return Err(broken0(format!("certificate {serial} was logged as issued but is missing from the registry")));
        }
        if let Some(serial) = revoked.keys().next() {
            return Err(broken0(format!("a revocation of {serial} was logged for a certificate missing from the registry")));
        }
        let crl_rows = tx.all_crls()?;
        for super::store::CrlRow { number: n, this_update, next_update, der } in &crl_rows {
            let times = match x509_parser::revocation_list::CertificateRevocationList::from_der(der) {
                Ok(([], crl)) if crl.verify_signature(ca_key).is_ok() => {
                    Some((crl.last_update().timestamp(), crl.next_update().map(|t| t.timestamp())))
                }
                _ => None,
            };
            let Some((crl_this, crl_next)) = times else {
                return Err(broken0(format!("CRL number {n} in the registry is not signed by this CA")));
            };
            let logged = match crls.remove(n) {
                Some(l) if l.sha256 == sha256_hex(der) => l,
                _ => return Err(broken0(format!("CRL number {n} in the registry does not match the log"))),
            };
            if crl_this != *this_update || logged.this_update != rfc3339(from_unix(*this_update)) {
                return Err(broken0(format!("CRL number {n}: the registry's this_update differs from the CRL and its log entry (edited outside kyso)")));
            }
            if crl_next != Some(*next_update) || logged.next_update != rfc3339(from_unix(*next_update)) {
                return Err(broken0(format!("CRL number {n}: the registry's next_update differs from the CRL and its log entry (edited outside kyso)")));
            }
        }
        // The validity of the next CRL (`ca crl` without --days) is the newest CRL's.
        if let (Some(days), Some(super::store::CrlRow { number: n, this_update, next_update, .. })) = (tx.meta("crl_days")?, crl_rows.last()) {
            if days.parse::<i64>().ok().map(|d| d * 86_400) != Some(next_update - this_update) {
                return Err(broken0(format!("the registry's CRL validity ({days} days) is not that of CRL number {n} (edited outside kyso)")));
            }
        }
        if let Some(n) = crls.keys().next() {
            return Err(broken0(format!("CRL number {n} was logged but is missing from the registry")));
        }
        Ok(AuditReport { entries: rows.len(), head: prev, certificates: certs.len(), crls: crl_rows.len() })
    }
}
