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
//! 4. The certificate file is given its name, then the key file: a key never appears without its
//!    certificate. A failure after issuance revokes the certificate as superseded (and removes
//!    the certificate file if the key file could not follow), or says it could not
//!    ([`CaError::OutputFailed`]).
//! 5. The journal is cleared and the locks released.
//!
//! A run killed at any point leaves neither key nor certificate file, or both; never a key
//! in a temporary file. What it may leave is a certificate recorded in the registry whose files
//! were never written (or a certificate file whose key was lost, killed between the two names):
//! the journal says so, and the next run on the same `--cert-out` repairs it before issuing —
//! that certificate is revoked as superseded (and its lone file removed), reported as
//! [`Recovered`].

use super::revoke::Reason;
use super::{registry, Ca, CaError, IssueRequest, Issued};
use crate::files::{self, Overwrite, Pending, Secrecy};
use crate::keys::Signer;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// How long `ca issue` waits for another run writing the same output (an issuance holds the
/// lock for one signature and two small writes; 60 s covers a queue of them).
pub const OUTPUT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Where an issued certificate (and a key generated for it) is written.
#[derive(Debug, Clone, Copy)]
pub struct IssueOutputs<'a> {
    /// The certificate file (PEM).
    pub cert_out: &'a Path,
    /// The generated key's file and its bytes (encrypted PKCS#8 PEM, or not, as the caller
    /// chose), written with mode 0600; `None` when the key is the requester's (a CSR).
    pub key: Option<(&'a Path, &'a [u8])>,
    /// Whether existing files are replaced (`--force`) or refused.
    pub overwrite: Overwrite,
}

/// What a run repaired of an earlier run that was killed (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovered {
    /// A certificate recorded by the interrupted run, whose files were not both written, was
    /// revoked as superseded.
    Revoked {
        /// Its serial.
        serial: String,
    },
    /// The interrupted run's certificate file, whose key was lost, was removed.
    RemovedCertificate {
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

/// The journal a run leaves in the certificate's lock file while it issues.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    ca: PathBuf,
    spki_sha256: String,
    cert_out: PathBuf,
    key_out: Option<PathBuf>,
}

fn out_err(path: &Path, e: std::io::Error) -> CaError {
    CaError::Output { path: path.to_path_buf(), source: e }
}

impl Ca {
    /// Issues a certificate for `subject_spki` as [`Ca::issue`] does and writes it (and the new
    /// key, if any) into files so that a failure or a kill never leaves a key without its
    /// certificate, a key in a temporary file, or two recorded certificates for one output; see
    /// the [module docs](self). `now` is also the time against which the output folders'
    /// leftover temporaries are judged ([`crate::files::remove_stale_temporaries`]).
    pub fn issue_to_files(
        &mut self,
        ca_key: &dyn Signer,
        req: &IssueRequest,
        subject_spki: &[u8],
        out: &IssueOutputs<'_>,
        now: OffsetDateTime,
    ) -> Result<IssuedFiles, CaError> {
        let cert_out = out.cert_out;
        for dir in std::iter::once(cert_out).chain(out.key.map(|(p, _)| p)).map(parent_dir) {
            // best effort: what killed runs left in the output folders
            let _ = files::remove_stale_temporaries(dir, files::STALE_TEMPORARY_AGE, std::time::SystemTime::from(now));
        }
        // 1. reserve the outputs
        let cert_lock = files::lock_target(cert_out, OUTPUT_LOCK_WAIT).map_err(|e| out_err(cert_out, e))?;
        let _key_lock = match out.key {
            Some((path, _)) => Some(files::lock_target(path, OUTPUT_LOCK_WAIT).map_err(|e| out_err(path, e))?),
            None => None,
        };
        let recovered = self.recover(ca_key, &cert_lock, now)?;
        if out.overwrite == Overwrite::Refuse {
            for path in std::iter::once(cert_out).chain(out.key.map(|(p, _)| p)) {
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
            cert_out: cert_out.to_path_buf(),
            key_out: out.key.map(|(p, _)| p.to_path_buf()),
        };
        let journal = serde_json::to_vec(&journal).map_err(|e| CaError::BadParameter(e.to_string()))?;
        cert_lock.write_journal(&journal).map_err(|e| out_err(cert_lock.path(), e))?;
        let issued = match self.issue(ca_key, req, subject_spki, now) {
            Ok(i) => i,
            Err(e) => {
                let _ = cert_lock.write_journal(b"");
                return Err(e);
            }
        };
        // 4. the certificate's name, then the key's
        let published = files::prepare(cert_out, issued.pem().as_bytes(), Secrecy::Public)
            .and_then(|p| p.publish(out.overwrite))
            .map_err(|e| (cert_out.to_path_buf(), e, false))
            .and_then(|()| match key_file {
                Some(k) => {
                    let path = k.dest().to_path_buf();
                    k.publish(out.overwrite).map_err(|e| (path, e, true))
                }
                None => Ok(()),
            });
        if let Err((path, source, cert_written)) = published {
            if cert_written {
                // the key could not follow: no certificate file without its key either
                let _ = std::fs::remove_file(cert_out);
            }
            let revoked = self.revoke(ca_key, &issued.serial, Reason::Superseded, now).map(|_| ()).map_err(Box::new);
            if revoked.is_ok() {
                let _ = cert_lock.write_journal(b"");
            }
            return Err(CaError::OutputFailed { path, serial: issued.serial, source, revoked });
        }
        // 5. done
        cert_lock.write_journal(b"").map_err(|e| out_err(cert_lock.path(), e))?;
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
            let cert_file = std::fs::read(&j.cert_out).ok();
            let key_there = j.key_out.as_ref().is_none_or(|k| k.exists());
            for (serial, der) in self.valid_certificates_for(&j.spki_sha256)? {
                let in_file = cert_file.as_ref().is_some_and(|f| {
                    crate::objects::certificates(f).ok().is_some_and(|c| c.first() == Some(&der))
                });
                if in_file && key_there {
                    continue; // the run had finished both files
                }
                if in_file {
                    std::fs::remove_file(&j.cert_out).map_err(|e| out_err(&j.cert_out, e))?;
                    done.push(Recovered::RemovedCertificate { path: j.cert_out.clone() });
                }
                self.revoke(ca_key, &serial, Reason::Superseded, now)?;
                done.push(Recovered::Revoked { serial });
            }
        }
        lock.write_journal(b"").map_err(|e| out_err(lock.path(), e))?;
        Ok(done)
    }

    /// (serial, DER) of the unrevoked certificates of this CA for the public key whose
    /// SubjectPublicKeyInfo has this SHA-256.
    fn valid_certificates_for(&mut self, spki_sha256: &str) -> Result<Vec<(String, Vec<u8>)>, CaError> {
        use x509_parser::prelude::FromDer;
        let tx = self.registry.read()?;
        let rows = registry::all_certs(&tx)?;
        Ok(rows
            .into_iter()
            .filter(|r| r.revoked_at.is_none())
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
