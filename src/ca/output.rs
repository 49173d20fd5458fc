//! Issuing into files: what `ca issue --cert-out [--key-out]` does, so that the files and the
//! registry stay in step whatever happens to the process.
//!
//! 1. The output targets are reserved before the CA signs: an advisory lock on each
//!    ([`crate::files::lock_target`]; the certificate's first, then the key's), and under the
//!    lock the check that they do not exist. Parallel runs naming the same `--cert-out` take
//!    turns, and all but the first find the certificate there and stop before anything is
//!    issued: one certificate is recorded, not eight.
//! 2. The new key is written, complete and on disk, but without a name
//!    ([`crate::files::prepare`]: an `O_TMPFILE` that vanishes with the process) — before the
//!    CA signs, so that a full disk fails the run before a certificate is recorded.
//! 3. A journal in the certificate's lock file names the CA and the new public key, then the
//!    certificate is issued (one registry transaction).
//! 4. The certificate file is given its name, then a bundle made from it (a PKCS#12 with the
//!    key), then the key file: a key never appears without its certificate. A failure after
//!    issuance revokes the certificate as superseded (and removes what was already published), or
//!    says it could not ([`CaError::OutputFailed`]).
//! 5. The journal is cleared and the locks released.
//!
//! A run killed at any point leaves neither key nor certificate file, or both; never a key
//! in a temporary file. What it may leave is a certificate recorded in the registry whose files
//! were never written (or a certificate file whose key was lost, killed between the two names):
//! the journal says so, and the next run on the same first output repairs it before issuing —
//! that certificate is revoked as superseded (and the files of that run removed), reported as
//! [`Recovered`].

use super::revoke::Reason;
use super::{Ca, CaError, IssueRequest, Issued};
use crate::files::{self, Overwrite, Pending, Secrecy};
use crate::keys::Signer;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// How long `ca issue` waits for another run writing the same output (an issuance holds the
/// lock for one signature and two small writes; 60 s covers a queue of them).
pub const OUTPUT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Builds a file that needs the issued certificate (a PKCS#12 holding the new key and its
/// certificate).
pub type BuildBundle<'a> = &'a (dyn Fn(&Issued) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> + 'a);

/// Where an issued certificate (and a key generated for it) is written. At least one output.
#[derive(Clone, Copy)]
pub struct IssueOutputs<'a> {
    /// The certificate file (PEM).
    pub cert_out: Option<&'a Path>,
    /// CA certificates (DER) written after the certificate in `cert_out` (its chain up to the
    /// root, so that a signer given only that file sends recipients the whole path).
    pub cert_chain: &'a [Vec<u8>],
    /// The generated key's file and its bytes (encrypted PKCS#8 PEM, or not, as the caller
    /// chose), written with mode 0600; `None` when the key is the requester's (a CSR).
    pub key: Option<(&'a Path, &'a [u8])>,
    /// A secret file made from the issued certificate (a PKCS#12 with the key), mode 0600.
    pub bundle: Option<(&'a Path, BuildBundle<'a>)>,
    /// Whether existing files are replaced (`--force`) or refused.
    pub overwrite: Overwrite,
}

impl std::fmt::Debug for IssueOutputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueOutputs")
            .field("cert_out", &self.cert_out)
            .field("key", &self.key.map(|(p, _)| p))
            .field("bundle", &self.bundle.map(|(p, _)| p))
            .field("overwrite", &self.overwrite)
            .finish()
    }
}

impl IssueOutputs<'_> {
    /// Every output path, in the order they are locked and published: the certificate, the
    /// bundle (which holds the certificate too), the key — a file holding the key never
    /// appears before one holding its certificate.
    fn paths(&self) -> Vec<&Path> {
        self.cert_out.into_iter().chain(self.bundle.map(|(p, _)| p)).chain(self.key.map(|(p, _)| p)).collect()
    }
}

/// What a run repaired of an earlier run that was killed (see [`Ca::issue_to_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovered {
    /// A certificate recorded by the interrupted run, whose files were not all written, was
    /// revoked as superseded.
    Revoked {
        /// Its serial.
        serial: String,
    },
    /// A file the interrupted run had written before it was killed (its other outputs were
    /// not) was removed.
    RemovedFile {
        /// The file.
        path: PathBuf,
    },
    /// The interrupted run was for another CA: its certificate (if it was recorded) is in
    /// that CA's registry, for the public key with this SHA-256 — check it there.
    OtherCa {
        /// That CA's directory.
        ca: PathBuf,
        /// SHA-256 (hex) of the SubjectPublicKeyInfo it was issuing for.
        spki_sha256: String,
    },
}

/// The result of [`Ca::issue_to_files`].
#[derive(Debug)]
#[non_exhaustive]
pub struct IssuedFiles {
    /// The certificate issued.
    pub issued: Issued,
    /// What was repaired of an interrupted earlier run on the same output.
    pub recovered: Vec<Recovered>,
}

/// The journal a run leaves in its first output's lock file while it issues.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    ca: PathBuf,
    spki_sha256: String,
    /// The issuance time (Unix seconds): with the key, it tells the run's certificate from
    /// other certificates of the same key (a renewal from the same CSR).
    issued_at: i64,
    /// The certificate file, if any (checked for the certificate itself).
    cert_out: Option<PathBuf>,
    /// Every output, in publishing order.
    outputs: Vec<PathBuf>,
    /// Whether the outputs replaced existing files (then they are not removed by a repair).
    replace: bool,
}

fn out_err(path: &Path, e: std::io::Error) -> CaError {
    CaError::Output { path: path.to_path_buf(), source: e }
}

impl Ca {
    /// Issues a certificate for `subject_spki` as [`Ca::issue`] does and writes it (and the new
    /// key, and a bundle made from the certificate, if any) into files so that a failure or a
    /// kill never leaves a key without its certificate, a key in a temporary file, or two
    /// recorded certificates for one output. `now` is also the time against which the output
    /// folders' leftover temporaries are judged ([`crate::files::remove_stale_temporaries`]).
    ///
    /// 1. The outputs are reserved before the CA signs: an advisory lock on each
    ///    ([`crate::files::lock_target`]), and under the locks the check that they do not exist
    ///    ([`CaError::OutputExists`]): parallel runs naming the same output take turns, and all
    ///    but the first stop before anything is issued.
    /// 2. The new key is written complete and on disk but without a name
    ///    ([`crate::files::prepare`]: on Linux an `O_TMPFILE` that vanishes with the process).
    /// 3. A journal in the first output's lock file names the CA, the public key and the
    ///    issuance time; then the certificate is issued (one registry transaction).
    /// 4. The certificate file is published, then the bundle, then the key file. A failure
    ///    after issuance removes what was published and revokes the certificate as superseded,
    ///    or says it could not ([`CaError::OutputFailed`]).
    /// 5. The journal is cleared and the locks released.
    ///
    /// A run killed at any point leaves no key without its certificate and no key in a
    /// temporary file; a certificate it recorded without delivering all its files is found by
    /// the next run on the same first output through the journal, revoked as superseded, and
    /// the files that run had written are removed ([`Recovered`]).
    pub fn issue_to_files(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        out: &IssueOutputs<'_>,
        now: OffsetDateTime,
    ) -> Result<IssuedFiles, CaError> {
        let paths = out.paths();
        if paths.is_empty() {
            return Err(CaError::BadParameter("no output file to write the certificate to".into()));
        }
        let now = now.replace_nanosecond(0).unwrap_or(now);
        for path in &paths {
            // best effort: what killed runs left in the output folders
            let _ = files::remove_stale_temporaries(parent_dir(path), files::STALE_TEMPORARY_AGE, std::time::SystemTime::from(now));
        }
        // 1. reserve the outputs (the first one's lock carries the journal)
        let mut locks = Vec::with_capacity(paths.len());
        for path in &paths {
            locks.push(files::lock_target(path, OUTPUT_LOCK_WAIT).map_err(|e| out_err(path, e))?);
        }
        let Some(journal_lock) = locks.first() else {
            return Err(CaError::BadParameter("no output file to write the certificate to".into()));
        };
        let recovered = self.recover(ca_key, journal_lock, now)?;
        if out.overwrite == Overwrite::Refuse {
            for path in &paths {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(CaError::OutputExists(path.to_path_buf()));
                }
            }
        }
        // 2. the key, on disk without a name
        let key_file: Option<Pending> = match out.key {
            Some((path, bytes)) => Some(files::prepare(path, bytes, Secrecy::Secret).map_err(|e| out_err(path, e))?),
            None => None,
        };
        // 3. the journal, then the issuance
        let journal = Journal {
            ca: std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone()),
            spki_sha256: super::sha256_hex(subject_spki),
            issued_at: now.unix_timestamp(),
            cert_out: out.cert_out.map(Path::to_path_buf),
            outputs: paths.iter().map(|p| p.to_path_buf()).collect(),
            replace: out.overwrite == Overwrite::Replace,
        };
        let journal = serde_json::to_vec(&journal).map_err(|e| CaError::BadParameter(e.to_string()))?;
        journal_lock.write_journal(&journal).map_err(|e| out_err(journal_lock.path(), e))?;
        let issued = match self.issue(ca_key, req, subject_spki, now) {
            Ok(i) => i,
            Err(e) => {
                let _ = journal_lock.write_journal(b"");
                return Err(e);
            }
        };
        // 4. the certificate, then the bundle, then the key
        let mut published: Vec<&Path> = Vec::new();
        let mut result: Result<(), (PathBuf, std::io::Error)> = Ok(());
        if let Some(path) = out.cert_out {
            let mut pem = issued.pem();
            for c in out.cert_chain {
                pem.push_str(&super::pem_encode("CERTIFICATE", c));
            }
            result = files::prepare(path, pem.as_bytes(), Secrecy::Public).and_then(|p| p.publish(out.overwrite)).map_err(|e| (path.to_path_buf(), e));
            if result.is_ok() {
                published.push(path);
            }
        }
        if let (Ok(()), Some((path, build))) = (&result, out.bundle) {
            result = build(&issued)
                .map_err(std::io::Error::other)
                .and_then(|bytes| files::prepare(path, &bytes, Secrecy::Secret))
                .and_then(|p| p.publish(out.overwrite))
                .map_err(|e| (path.to_path_buf(), e));
            if result.is_ok() {
                published.push(path);
            }
        }
        if let (Ok(()), Some(k)) = (&result, key_file) {
            let path = k.dest().to_path_buf();
            result = k.publish(out.overwrite).map_err(|e| (path, e));
        }
        if let Err((path, source)) = result {
            if out.overwrite == Overwrite::Refuse {
                // what was published cannot stay without the rest (it was not there before)
                for p in published {
                    let _ = std::fs::remove_file(p);
                }
            }
            let revoked = self.revoke(ca_key, &issued.serial, Reason::Superseded, now).map(|_| ()).map_err(Box::new);
            if revoked.is_ok() {
                let _ = journal_lock.write_journal(b"");
            }
            return Err(CaError::OutputFailed { path, serial: issued.serial, source, revoked });
        }
        // 5. done
        journal_lock.write_journal(b"").map_err(|e| out_err(journal_lock.path(), e))?;
        Ok(IssuedFiles { issued, recovered })
    }

    /// Repairs what an interrupted run left, as its journal in `lock` says.
    fn recover(&mut self, ca_key: &dyn Signer, lock: &files::TargetLock, now: OffsetDateTime) -> Result<Vec<Recovered>, CaError> {
        let bytes = lock.journal().map_err(|e| out_err(lock.path(), e))?;
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        let Ok(j) = serde_json::from_slice::<Journal>(&bytes) else {
            // not ours to interpret (damaged): cleared, nothing else touched
            lock.write_journal(b"").map_err(|e| out_err(lock.path(), e))?;
            return Ok(Vec::new());
        };
        let here = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        let mut done = Vec::new();
        if j.ca != here {
            done.push(Recovered::OtherCa { ca: j.ca, spki_sha256: j.spki_sha256 });
        } else {
            let cert_file = j.cert_out.as_ref().and_then(|p| files::read_limited(p, super::MAX_CA_FILE).ok());
            let all_there = j.outputs.iter().all(|p| p.exists());
            for (serial, der) in self.certificates_of_run(&j.spki_sha256, j.issued_at)? {
                let cert_delivered = match (&j.cert_out, &cert_file) {
                    (None, _) => true,
                    (Some(_), Some(f)) => crate::objects::certificates(f).ok().is_some_and(|c| c.first() == Some(&der)),
                    (Some(_), None) => false,
                };
                if all_there && cert_delivered {
                    continue; // the run had written every file
                }
                if !j.replace {
                    // written by the interrupted run (the outputs did not exist before it)
                    for p in j.outputs.iter().filter(|p| p.exists()) {
                        std::fs::remove_file(p).map_err(|e| out_err(p, e))?;
                        done.push(Recovered::RemovedFile { path: p.clone() });
                    }
                }
                self.revoke(ca_key, &serial, Reason::Superseded, now)?;
                done.push(Recovered::Revoked { serial });
            }
        }
        lock.write_journal(b"").map_err(|e| out_err(lock.path(), e))?;
        Ok(done)
    }

    /// (serial, DER) of the unrevoked certificates of this CA issued at `issued_at` for the
    /// public key whose SubjectPublicKeyInfo has this SHA-256.
    fn certificates_of_run(&mut self, spki_sha256: &str, issued_at: i64) -> Result<Vec<(String, Vec<u8>)>, CaError> {
        use x509_parser::prelude::FromDer;
        let (times, rows) = {
            let mut tx = self.registry.read()?;
            (tx.issued_at()?, tx.all_certs()?)
        };
        Ok(rows
            .into_iter()
            .filter(|r| r.revoked_at.is_none() && times.get(&r.serial) == Some(&issued_at))
            .filter(|r| {
                x509_parser::certificate::X509Certificate::from_der(&r.der)
                    .is_ok_and(|(_, c)| super::sha256_hex(c.public_key().raw) == spki_sha256)
            })
            .map(|r| (r.serial, r.der))
            .collect())
    }
}

fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
