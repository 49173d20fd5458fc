//! The CA's OCSP responder (RFC 6960) and what `kyso ca serve` publishes for one CA: answers
//! from the registry — good, revoked (time and reason) or unknown (not issued by this CA) —,
//! signed by the CA key or by a delegated responder certificate (`ca issue --profile ocsp`:
//! id-kp-OCSPSigning, id-pkix-ocsp-nocheck, short-lived), the current CRL and the CA certificate.
//!
//! The registry is read into memory and read again whenever it changes: before each answer
//! [`Publisher`] reads the registry's change token — for SQLite the file change counter in the
//! header of the rollback-journal database (offset 24, one `pread` of 4 bytes), which every
//! commit increments; for PostgreSQL the audit head (seq, hash), which every write moves, read
//! on a connection of its own. A revocation made by `kyso ca revoke` in another process (or on
//! another machine sharing the database) is therefore in the very next answer, and so is the
//! CRL it published. Responses to requests without a nonce are cached (per CertID set) until the
//! registry changes or half their validity has passed; requests with a nonce are signed afresh.
//!
//! The library never reads the clock: every call takes `now`.

use super::store::{ChangeToken, Watch};
use super::{Ca, CaError, Reason, CA_CERT_FILE};
use crate::keys::Signer;
use crate::ocsp::{self, CertId, IssuerKey, Request, ResponseStatus, SingleAnswer, SingleStatus};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// File name of a delegated responder certificate in a CA directory (`ca serve` uses it, with
/// [`OCSP_KEY_FILE`], instead of the CA key when both exist).
pub const OCSP_CERT_FILE: &str = "ocsp.pem";
/// File name of the delegated responder's key in a CA directory.
pub const OCSP_KEY_FILE: &str = "ocsp.key";

/// Default validity of an OCSP answer (nextUpdate − thisUpdate). RFC 5019 responders use hours
/// to days; a recipient's cache keeps an answer until its nextUpdate, so this is also how long a
/// revocation may stay unseen by a recipient who fetched just before it: one hour.
pub const DEFAULT_OCSP_VALIDITY_SECS: i64 = 3600;

/// Limit on cached responses per CA (one per distinct set of CertIDs asked without a nonce); the
/// cache is cleared beyond it, which bounds its memory whatever serials clients ask about.
pub const MAX_CACHED_RESPONSES: usize = 100_000;

/// The registry is read again at least this often even when its change counter says nothing
/// changed (a database restored from a backup with an equal counter).
const MAX_SNAPSHOT_AGE_SECS: i64 = 60;

/// Why a publisher cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The CA directory cannot be used.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// The responder certificate is not fit to sign this CA's OCSP answers.
    #[error("{path}: not a delegated OCSP responder of this CA: {why}")]
    BadResponder {
        /// The certificate file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The signing key does not belong to the CA or responder certificate.
    #[error("the OCSP signing key does not belong to {0}")]
    KeyMismatch(PathBuf),
}

/// A certificate's status in the registry snapshot.
#[derive(Debug, Clone, Copy)]
enum Known {
    Good,
    Revoked { at: i64, reason: Option<u8> },
}

/// The current CRL, as served.
#[derive(Debug, Clone)]
pub struct PublishedCrl {
    /// Its CRL number.
    pub number: i64,
    /// thisUpdate (Unix seconds).
    pub this_update: i64,
    /// nextUpdate (Unix seconds).
    pub next_update: i64,
    /// DER.
    pub der: Arc<Vec<u8>>,
}

struct Snapshot {
    /// The order in which the registry was read (reads are made one at a time, under the `Ca`
    /// mutex): a snapshot replaces only an older one, and a cached answer is kept only while the
    /// snapshot it was made from is the current one.
    generation: u64,
    counter: Option<ChangeToken>,
    loaded_at: i64,
    /// Serial (INTEGER contents, leading zero octets removed) → status.
    statuses: HashMap<Vec<u8>, Known>,
    crl: Option<PublishedCrl>,
}

struct Cached {
    generation: u64,
    der: Arc<Vec<u8>>,
    this_update: i64,
    next_update: i64,
}

/// An answer to an OCSP request.
#[derive(Debug, Clone)]
pub struct OcspAnswer {
    /// The DER OCSPResponse.
    pub der: Arc<Vec<u8>>,
    /// The status of the response (successful, or the error status sent).
    pub status: ResponseStatus,
    /// thisUpdate and nextUpdate of the (first) single response, for HTTP caching headers.
    pub times: Option<(i64, i64)>,
    /// The certificate statuses given, in request order (empty for error answers).
    pub statuses: Vec<SingleStatus>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// One CA published over HTTP: OCSP answers, the current CRL and the CA certificate.
pub struct Publisher {
    dir: PathBuf,
    name: String,
    ca_cert: Arc<Vec<u8>>,
    issuer: IssuerKey,
    signer: Box<dyn Signer>,
    responder_key_sha1: Vec<u8>,
    /// Certificates sent with each answer: the signer's, and the CA's when a delegated
    /// responder signs (so that a client can build the responder's path).
    certs: Vec<Vec<u8>>,
    /// The delegated responder certificate's notAfter.
    responder_not_after: Option<i64>,
    validity: i64,
    ca: Mutex<Ca>,
    /// The registry's change watcher (its own file handle or database connection).
    watch: Box<dyn Watch>,
    snapshot: RwLock<Snapshot>,
    cache: Mutex<HashMap<Vec<u8>, Cached>>,
    /// The generation of the next registry read (taken under the `Ca` mutex).
    reads: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").field("dir", &self.dir).field("delegated", &self.responder_not_after.is_some()).finish_non_exhaustive()
    }
}

/// Serial contents octets without leading zero octets (a CertID may carry a sign octet).
fn serial_key(bytes: &[u8]) -> Vec<u8> {
    let i = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
    bytes.get(i..).unwrap_or(bytes).to_vec()
}

impl Publisher {
    /// Publishes the CA `ca`. `signer` signs the OCSP answers: the CA key (then
    /// `responder_cert` is `None`) or the key of `responder_cert` (DER), a certificate this CA
    /// issued with id-kp-OCSPSigning, valid at `now`. `validity`: seconds between an answer's
    /// thisUpdate and nextUpdate.
    pub fn new(ca: Ca, signer: Box<dyn Signer>, responder_cert: Option<(&Path, Vec<u8>)>, validity: i64, now: i64) -> Result<Publisher, PublishError> {
        use x509_parser::prelude::*;
        let dir = ca.dir().to_path_buf();
        let ca_cert = ca.certificate().to_vec();
        let issuer = IssuerKey::from_cert(&ca_cert).map_err(|e| CaError::BadCaCert { path: dir.join(CA_CERT_FILE), message: e.to_string() })?;
        let name = crate::inspect::cert_subject(&ca_cert).unwrap_or_default();
        let (signing_cert, certs, responder_not_after) = match responder_cert {
            None => (ca_cert.clone(), vec![ca_cert.clone()], None),
            Some((path, der)) => {
                let bad = |why: &str| PublishError::BadResponder { path: path.to_path_buf(), why: why.to_string() };
                let (rest, c) = X509Certificate::from_der(&der).map_err(|e| bad(&e.to_string()))?;
                if !rest.is_empty() {
                    return Err(bad("trailing data after the certificate"));
                }
                let (_, cac) = X509Certificate::from_der(&ca_cert).map_err(|e| CaError::BadCaCert { path: dir.join(CA_CERT_FILE), message: e.to_string() })?;
                if c.issuer().as_raw() != cac.subject().as_raw() || c.verify_signature(Some(cac.public_key())).is_err() {
                    return Err(bad("it is not signed by this CA"));
                }
                let eku_ok = matches!(c.extended_key_usage(), Ok(Some(e)) if e.value.ocsp_signing);
                if !eku_ok {
                    return Err(bad("its extended key usage lacks id-kp-OCSPSigning"));
                }
                let v = c.validity();
                if now < v.not_before.timestamp() || now > v.not_after.timestamp() {
                    return Err(bad("it is not valid now: issue a new responder certificate"));
                }
                let na = v.not_after.timestamp();
                (der.clone(), vec![der, ca_cert.clone()], Some(na))
            }
        };
        let spki = {
            let (_, c) = X509Certificate::from_der(&signing_cert).map_err(|e| CaError::BadCaCert { path: dir.join(CA_CERT_FILE), message: e.to_string() })?;
            c.public_key().raw.to_vec()
        };
        if !super::issue::spki_equal(signer.public_key_spki(), &spki) {
            return Err(PublishError::KeyMismatch(match responder_not_after {
                Some(_) => dir.join(OCSP_CERT_FILE),
                None => dir.join(CA_CERT_FILE),
            }));
        }
        let responder_key_sha1 = IssuerKey::from_parts(&[], &spki).map(|k| k.key_sha1()).map_err(|e| PublishError::BadResponder { path: dir.clone(), why: e.to_string() })?;
        let watch = ca.registry.watcher().map_err(CaError::from)?;
        let p = Publisher {
            dir,
            name,
            ca_cert: Arc::new(ca_cert),
            issuer,
            signer,
            responder_key_sha1,
            certs,
            responder_not_after,
            validity: validity.max(60),
            ca: Mutex::new(ca),
            watch,
            snapshot: RwLock::new(Snapshot { generation: 0, counter: None, loaded_at: i64::MIN, statuses: HashMap::new(), crl: None }),
            cache: Mutex::new(HashMap::new()),
            reads: std::sync::atomic::AtomicU64::new(1),
        };
        p.reload(now)?;
        Ok(p)
    }

    /// The CA directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA's subject (for logs).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificate (DER).
    pub fn ca_certificate(&self) -> Arc<Vec<u8>> {
        self.ca_cert.clone()
    }

    /// Whether a delegated responder signs (rather than the CA key), and its notAfter.
    pub fn delegated_until(&self) -> Option<i64> {
        self.responder_not_after
    }

    /// Where the CA says its CRL, OCSP responder and certificate are.
    pub fn publication(&self) -> Result<super::Publication, CaError> {
        let mut ca = self.ca.lock().map_err(|_| CaError::Registry("lock poisoned".into()))?;
        ca.publication()
    }

    /// Whether this CA issued the certificate a CertID names.
    pub fn issued(&self, id: &CertId) -> bool {
        id.issued_by(&self.issuer)
    }

    fn reload(&self, now: i64) -> Result<(), CaError> {
        // The token first, then the snapshot: a change in between makes the next answer reload.
        let counter = self.watch.token().ok();
        let (generation, rows, crl) = {
            let mut ca = self.ca.lock().map_err(|_| CaError::Registry("lock poisoned".into()))?;
            // numbered under the mutex: a higher number is a later read, so newer data
            let generation = self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut tx = ca.registry.read()?;
            let rows = tx.statuses()?;
            let crl = tx.latest_crl()?;
            (generation, rows, crl)
        };
        let mut statuses = HashMap::with_capacity(rows.len());
        for (serial, revoked_at, reason) in rows {
            let hex = if serial.len() % 2 == 1 { format!("0{serial}") } else { serial };
            let Ok(bytes) = hex::decode(&hex) else { continue };
            let known = match revoked_at {
                Some(at) => Known::Revoked { at, reason: reason.as_deref().and_then(Reason::from_name).map(Reason::code) },
                None => Known::Good,
            };
            statuses.insert(serial_key(&bytes), known);
        }
        let crl = crl.map(|c| PublishedCrl { number: c.number, this_update: c.this_update, next_update: c.next_update, der: Arc::new(c.der) });
        // A reload that read earlier but gets here later must not put its older data back.
        let installed = match self.snapshot.write() {
            Ok(mut s) if s.generation < generation => {
                *s = Snapshot { generation, counter, loaded_at: now, statuses, crl };
                true
            }
            _ => false,
        };
        // Cleared after the new snapshot is in place: an answer made from an older snapshot
        // that is inserted later is refused by its generation (see `answer`).
        if installed {
            if let Ok(mut c) = self.cache.lock() {
                c.clear();
            }
        }
        Ok(())
    }

    /// Reads the registry again when it changed since the last read.
    fn refresh(&self, now: i64) -> Result<(), CaError> {
        let stale = match self.snapshot.read() {
            Ok(s) => {
                s.counter.is_none() || s.counter != self.watch.token().ok() || now - s.loaded_at > MAX_SNAPSHOT_AGE_SECS || now < s.loaded_at
            }
            Err(_) => true,
        };
        if stale {
            self.reload(now)?;
        }
        Ok(())
    }

    /// The current CRL (read again from the registry when it changed).
    pub fn crl(&self, now: i64) -> Result<Option<PublishedCrl>, CaError> {
        self.refresh(now)?;
        Ok(self.snapshot.read().ok().and_then(|s| s.crl.clone()))
    }

    /// Whether the current CRL has passed half its validity at `t` (or there is none): the
    /// cheap check before the write transaction, which decides again.
    fn crl_due(&self, t: i64) -> Result<bool, CaError> {
        Ok(match self.crl(t)? {
            Some(c) => t >= c.this_update + (c.next_update - c.this_update) / 2,
            None => true,
        })
    }

    /// Publishes a new CRL with `ca_key` (the CA key: only a server that holds it) when the
    /// current one has passed half its validity; returns its number when one was made. "Due" is
    /// decided again inside the registry's write transaction ([`Ca::publish_crl_if_due`]), so
    /// several servers on one registry publish once between them.
    pub fn republish_if_due(&self, ca_key: &dyn Signer, now: time::OffsetDateTime) -> Result<Option<i64>, CaError> {
        let t = now.unix_timestamp();
        if !self.crl_due(t)? {
            return Ok(None);
        }
        let crl = {
            let mut ca = self.ca.lock().map_err(|_| CaError::Registry("lock poisoned".into()))?;
            ca.publish_crl_if_due(ca_key, now)?
        };
        self.reload(t)?;
        Ok(crl.map(|c| c.number))
    }

    /// As [`Publisher::republish_if_due`], writing through `ca` — another handle on the same CA
    /// (its own registry connection), so that the answers' reloads never wait behind a
    /// publication waiting for the registry's write lock. Refused for another CA.
    pub fn republish_if_due_with(&self, ca: &mut Ca, ca_key: &dyn Signer, now: time::OffsetDateTime) -> Result<Option<i64>, CaError> {
        if ca.certificate() != self.ca_cert.as_slice() {
            return Err(CaError::BadParameter(format!("{} is not the CA this publisher serves", ca.dir().display())));
        }
        let t = now.unix_timestamp();
        if !self.crl_due(t)? {
            return Ok(None);
        }
        let crl = ca.publish_crl_if_due(ca_key, now)?;
        self.reload(t)?;
        Ok(crl.map(|c| c.number))
    }

    /// Answers `req` (whose CertIDs this CA issued — see [`Publisher::issued`]) at `now`.
    pub fn answer(&self, req: &Request, now: i64) -> OcspAnswer {
        let error = |status: ResponseStatus| OcspAnswer { der: Arc::new(ocsp::error_response(status)), status, times: None, statuses: Vec::new(), cached: false };
        if self.refresh(now).is_err() {
            return error(ResponseStatus::TryLater);
        }
        if self.responder_not_after.is_some_and(|na| now > na) {
            return error(ResponseStatus::TryLater);
        }
        let key: Vec<u8> = if req.nonce.is_none() { req.cert_ids.iter().flat_map(|c| c.to_der()).collect() } else { Vec::new() };
        if req.nonce.is_none() {
            if let Ok(cache) = self.cache.lock() {
                if let Some(c) = cache.get(&key) {
                    if now >= c.this_update && now < c.this_update + self.validity / 2 && c.generation == self.generation() {
                        let (statuses, _) = self.statuses_of(req);
                        return OcspAnswer {
                            der: c.der.clone(),
                            status: ResponseStatus::Successful,
                            times: Some((c.this_update, c.next_update)),
                            statuses,
                            cached: true,
                        };
                    }
                }
            }
        }
        let (statuses, generation) = self.statuses_of(req);
        let this_update = now;
        let next_update = now + self.validity;
        let answers: Vec<SingleAnswer> = req
            .cert_ids
            .iter()
            .zip(statuses.iter())
            .map(|(id, st)| SingleAnswer { cert_id: id.clone(), status: *st, this_update, next_update: Some(next_update) })
            .collect();
        let tbs = ocsp::response_data_der(&self.responder_key_sha1, now, &answers, req.nonce_extension.as_ref());
        let Ok(signature) = self.signer.sign(&tbs) else { return error(ResponseStatus::InternalError) };
        let certs: Vec<&[u8]> = self.certs.iter().map(Vec::as_slice).collect();
        let der = Arc::new(ocsp::basic_response_der(&tbs, self.signer.signature_algorithm().algorithm_identifier_der(), &signature, &certs));
        if req.nonce.is_none() {
            if let Ok(mut cache) = self.cache.lock() {
                // only an answer from the current snapshot: one made from a snapshot that a
                // reload has replaced since would outlive the change (a "good" after a revocation)
                if generation == self.generation() {
                    if cache.len() >= MAX_CACHED_RESPONSES {
                        cache.clear();
                    }
                    cache.insert(key, Cached { generation, der: der.clone(), this_update, next_update });
                }
            }
        }
        OcspAnswer { der, status: ResponseStatus::Successful, times: Some((this_update, next_update)), statuses, cached: false }
    }

    /// The generation of the current snapshot (0 when it cannot be read).
    fn generation(&self) -> u64 {
        self.snapshot.read().map(|s| s.generation).unwrap_or(0)
    }

    /// The status of each CertID, from one snapshot, and that snapshot's generation.
    fn statuses_of(&self, req: &Request) -> (Vec<SingleStatus>, u64) {
        let snap = self.snapshot.read().ok();
        let generation = snap.as_ref().map_or(0, |s| s.generation);
        let statuses = req.cert_ids
            .iter()
            .map(|id| match snap.as_ref().and_then(|s| s.statuses.get(&serial_key(&id.serial)).copied()) {
                Some(Known::Good) => SingleStatus::Good,
                Some(Known::Revoked { at, reason }) => SingleStatus::Revoked { time: at, reason },
                None => SingleStatus::Unknown,
            })
            .collect();
        (statuses, generation)
    }
}

/// Answers an OCSP request for several CAs: the publisher that issued every CertID answers;
/// a request naming no CA of this server (or several) gets `unauthorized` (RFC 6960 §2.3), an
/// unreadable one `malformedRequest`, one with a critical extension kyso does not know
/// `malformedRequest` as well.
pub fn answer_request(publishers: &[Arc<Publisher>], request_der: &[u8], now: i64) -> (OcspAnswer, Option<usize>) {
    let error = |status: ResponseStatus| OcspAnswer { der: Arc::new(ocsp::error_response(status)), status, times: None, statuses: Vec::new(), cached: false };
    let req = match Request::from_der(request_der) {
        Ok(r) => r,
        Err(_) => return (error(ResponseStatus::MalformedRequest), None),
    };
    if !req.unknown_critical.is_empty() {
        return (error(ResponseStatus::MalformedRequest), None);
    }
    let Some(first) = req.cert_ids.first() else { return (error(ResponseStatus::MalformedRequest), None) };
    let Some(i) = publishers.iter().position(|p| p.issued(first)) else { return (error(ResponseStatus::Unauthorized), None) };
    let Some(p) = publishers.get(i) else { return (error(ResponseStatus::Unauthorized), None) };
    if !req.cert_ids.iter().all(|id| p.issued(id)) {
        return (error(ResponseStatus::Unauthorized), None);
    }
    (p.answer(&req, now), Some(i))
}
