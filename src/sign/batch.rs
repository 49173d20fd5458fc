//! Signing many documents with one [`DocumentSigner`]: detached signatures (`.p7s`) made in
//! parallel and written durably, chunk by chunk. This is the pipeline `kyso sign FILE…` runs;
//! the CLI only turns its flags into [`Job`]s and a [`Mode`] and prints what [`BatchProgress`]
//! reports.
//!
//! 1. [`Batch::open_key_while_hashing`]: opening a passphrase-protected key stretches the
//!    passphrase (PBKDF2/scrypt: tens of milliseconds, a third of the CPU of 2,000 small files);
//!    meanwhile the documents are hashed on the thread pool. The digest algorithm is predicted
//!    from the certificate and checked against the signer's in [`Batch::sign`]: a wrong guess
//!    only means the documents are read again.
//! 2. [`Batch::sign`] first removes the temporary files an interrupted earlier run left in the
//!    output folders (those whose owner process is gone, at once; see [`crate::files`]). Then, per chunk of [`COMMIT_CHUNK`]
//!    documents, the signatures are made in parallel (rayon), each passed through the caller's
//!    `finish` step (a signature timestamp, embedded CRLs), staged into temporary files by the
//!    calling thread, and committed at once ([`crate::files::commit`]: the temporary files
//!    fsynced together, renamed, one fsync per folder). A document is reported done only once its
//!    signature's data and name are on disk.
//!
//! A document that fails (missing, not a regular file, unreadable, changed while it was
//! hashed, an existing signature that does not belong to it, a file that may not be
//! overwritten…) fails alone, with a [`BatchError`]; the others are still signed.
//!
//! [`Mode::Add`] is a read-modify-write of the signature file: each job takes the file's
//! advisory lock ([`crate::files::lock_target`], waiting up to [`LOCK_WAIT`]), reads the file
//! after it holds the lock, and keeps the lock until its new version is committed — two runs
//! adding signers to one `.p7s` take turns, and neither signer is lost.
//!
//! The library never reads the clock: the signing time is an argument of [`Batch::sign`], the
//! same for every document of the batch, and it is also the "now" against which temporary files
//! are judged stale.
//!
//! ```
//! # use kyso::{KeyAlgorithm, PrivateKey};
//! # let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! # let mut p = rcgen::CertificateParams::new(vec![])?;
//! # p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
//! # let cert = p.self_signed(&key.rcgen_key_pair()?)?.der().to_vec();
//! use kyso::sign::batch::{Batch, Job, Mode};
//! use kyso::sign::DocumentSigner;
//! let dir = tempfile::tempdir()?;
//! let mut jobs = Vec::new();
//! for name in ["cong-van-1.txt", "cong-van-2.txt"] {
//!     std::fs::write(dir.path().join(name), name)?;
//!     jobs.push(Job::beside(dir.path().join(name)));
//! }
//! let at = time::macros::datetime!(2026-11-30 08:00 +07:00);
//! let mut batch = Batch::new(jobs, Mode::New);
//! let key = batch.open_key_while_hashing(&cert, || Ok::<_, kyso::KeyError>(key))?;
//! let signer = DocumentSigner::new(key, &cert, &[])?;
//! let results = batch.sign(&signer, at, |p7s| Ok::<_, std::convert::Infallible>(p7s), &mut ());
//! assert!(results.iter().all(Result::is_ok));
//! assert!(dir.path().join("cong-van-2.txt.p7s").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{DocumentSigner, SignError};
use crate::alg::DigestAlgorithm;
use crate::cms::InputError;
use crate::files::{Overwrite, Secrecy, Staged};
use crate::keys::Signer;
use rayon::prelude::*;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// Signatures committed together. Bounds what a crash or a kill can lose (the staged temporary
/// files of one chunk, removed by a later run) and the temporary files present at once, while
/// making the per-chunk folder fsync negligible (1 in 512).
pub const COMMIT_CHUNK: usize = 512;

/// Age after which a kyso temporary file of the older pattern (no owner in its name) is taken
/// as left by an interrupted run ([`crate::files::STALE_TEMPORARY_AGE`]); temporaries of the
/// current pattern are removed as soon as their owner is gone, whatever their age.
pub const STALE_TEMPORARY_AGE: Duration = crate::files::STALE_TEMPORARY_AGE;

/// Size limit for an existing signature file read in [`Mode::Add`]: a signature with its
/// certificates is a few KB, with embedded CRLs at most a few MB; 64 MiB leaves room without
/// risking memory.
pub const MAX_EXISTING_SIGNATURE: u64 = 64 << 20;

/// How long [`Mode::Add`] waits for another kyso that holds a signature file's lock
/// ([`crate::files::lock_target`]). Adding a signer holds it for one reading, one signature and
/// one write (milliseconds; seconds with a timestamp from a slow TSA); 60 s lets a queue of
/// clerks adding their signatures to one file take turns, and a stuck holder is reported
/// instead of waited for forever.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Signatures committed together in [`Mode::Add`]: each holds its signature file's lock (one
/// open descriptor) from the reading to the commit, so a chunk is kept well under the usual
/// limit of 1,024 open files.
pub const ADD_COMMIT_CHUNK: usize = 128;

/// One document and where its signature goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The document.
    pub input: PathBuf,
    /// The signature file (`.p7s`).
    pub output: PathBuf,
}

impl Job {
    /// The document `input` with its signature beside it, `input` + `.p7s`.
    pub fn beside(input: PathBuf) -> Job {
        let mut output = input.clone().into_os_string();
        output.push(".p7s");
        Job { input, output: PathBuf::from(output) }
    }
}

/// What happens to a job's signature file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// A new signature file; an existing file is left alone and the job fails
    /// ([`BatchError::AlreadyExists`]).
    New,
    /// A new signature file, replacing any existing one.
    Replace,
    /// This signer is added to the existing signature file (which must exist and be a
    /// signature of this document), which is then replaced.
    Add,
}

/// Why one document of a batch was not signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The signature file exists and [`Mode::New`] does not replace it.
    #[error("{} already exists", .0.display())]
    AlreadyExists(PathBuf),
    /// [`Mode::Add`], but there is no signature file to add to.
    #[error("there is no signature {} to add to", .0.display())]
    NoSignatureToAdd(PathBuf),
    /// The existing signature file cannot be read.
    #[error("cannot read {}: {source}", .path.display())]
    ReadSignature {
        /// The signature file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The existing signature file is not a CMS signature kyso can extend.
    #[error("{}: {source}", .path.display())]
    ExistingUnreadable {
        /// The signature file.
        path: PathBuf,
        /// Why.
        source: InputError,
    },
    /// This signer cannot be added to the existing signature (a different document, the same
    /// signer again, …).
    #[error("{}: {source}", .path.display())]
    CannotAdd {
        /// The signature file.
        path: PathBuf,
        /// Why.
        source: SignError,
    },
    /// The document cannot be opened or read (missing, not a regular file — a FIFO or a
    /// device is refused at once —, unreadable).
    #[error("cannot open the document: {0}")]
    Document(io::Error),
    /// The document changed while it was being signed (its size, modification time, or the
    /// file at its path differ before and after hashing): no signature was made, since it
    /// would cover a state that may have existed only for a moment.
    #[error("the document changed while it was being signed ({change}); nothing was written")]
    DocumentChanged {
        /// What changed.
        change: crate::files::Change,
    },
    /// The signature file's lock could not be taken (another kyso kept extending it).
    #[error("cannot lock {}: {source}", .path.display())]
    Lock {
        /// The signature file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(SignError),
    /// The caller's finishing step (a timestamp, embedded CRLs) failed.
    #[error("{0}")]
    Finish(Box<dyn std::error::Error + Send + Sync>),
    /// The signature file cannot be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The signature file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// What a running batch reports (the CLI draws a progress bar and prints failures). Both
/// methods do nothing by default; `()` reports nothing.
pub trait BatchProgress {
    /// `count` temporary files that an interrupted run left in `dir` were removed.
    fn removed_temporaries(&mut self, dir: &Path, count: usize) {
        let _ = (dir, count);
    }
    /// The document of `job` is done: its signature is on disk (data and name durable), or it
    /// failed. Called on the calling thread, in the order of the jobs.
    fn finished(&mut self, job: &Job, result: &Result<(), BatchError>) {
        let _ = (job, result);
    }
}

impl BatchProgress for () {}

/// A list of documents to sign in one [`Mode`]; see the [module docs](self).
#[derive(Debug)]
pub struct Batch {
    jobs: Vec<Job>,
    mode: Mode,
    /// Digests hashed ahead (one per job, in job order) and their algorithm.
    prehashed: Option<(DigestAlgorithm, Vec<io::Result<Vec<u8>>>)>,
}

impl Batch {
    /// A batch of `jobs`.
    pub fn new(jobs: Vec<Job>, mode: Mode) -> Batch {
        Batch { jobs, mode, prehashed: None }
    }

    /// The jobs, in order.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Runs `open_key` (typically the opening of a passphrase-protected key) while the batch's
    /// documents are hashed on the thread pool, and returns its result. Only a batch of
    /// several new signatures is hashed ahead ([`Mode::Add`] checks each existing signature
    /// against its document while signing). `certificate` (DER) is the signer's: the digest
    /// algorithm is predicted from its key (SHA-384 for P-384, SHA-256 otherwise).
    pub fn open_key_while_hashing<K, E>(&mut self, certificate: &[u8], open_key: impl FnOnce() -> Result<K, E> + Send) -> Result<K, E>
    where
        K: Send,
        E: Send,
    {
        if self.mode == Mode::Add || self.jobs.len() < 2 {
            return open_key();
        }
        let algorithm = predicted_digest(certificate);
        let jobs = &self.jobs;
        let (key, digests) = rayon::join(open_key, || jobs.par_iter().map(|j| super::digest_file(&j.input, algorithm)).collect());
        self.prehashed = Some((algorithm, digests));
        key
    }

    /// Signs every job with `signer` at `signing_time` (see the [module docs](self)): each
    /// signature goes through `finish` before it is written; `progress` hears of every document
    /// in job order. Returns one result per job, in job order.
    pub fn sign<K, F, E>(
        &self,
        signer: &DocumentSigner<K>,
        signing_time: OffsetDateTime,
        finish: F,
        progress: &mut dyn BatchProgress,
    ) -> Vec<Result<(), BatchError>>
    where
        K: Signer + Sync,
        F: Fn(Vec<u8>) -> Result<Vec<u8>, E> + Sync,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut dirs: Vec<&Path> = self.jobs.iter().map(|j| output_dir(&j.output)).collect();
        dirs.sort();
        dirs.dedup();
        let now = SystemTime::from(signing_time);
        for d in dirs {
            // best effort: a folder that cannot be listed fails its jobs when they are written
            if let Ok(n @ 1..) = crate::files::remove_stale_temporaries(d, STALE_TEMPORARY_AGE, now) {
                progress.removed_temporaries(d, n);
            }
        }
        let digests = match &self.prehashed {
            Some((alg, d)) if *alg == signer.digest_algorithm() && d.len() == self.jobs.len() => Some(d),
            _ => None,
        };
        let mut results = Vec::with_capacity(self.jobs.len());
        let chunk_len = if self.mode == Mode::Add { ADD_COMMIT_CHUNK } else { COMMIT_CHUNK };
        for (c, chunk) in self.jobs.chunks(chunk_len).enumerate() {
            let first = c * chunk_len;
            // The locks of Mode::Add, held until the chunk is committed.
            let mut locks: Vec<Option<crate::files::TargetLock>> = Vec::new();
            let signed: Vec<Result<Vec<u8>, BatchError>> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, job)| {
                    let digest = digests.and_then(|d| d.get(first + i));
                    let (p7s, lock) = self.sign_one(signer, job, digest, signing_time)?;
                    let p7s = finish(p7s).map_err(|e| BatchError::Finish(e.into()))?;
                    Ok((p7s, lock))
                })
                .collect::<Vec<Result<(Vec<u8>, Option<crate::files::TargetLock>), BatchError>>>()
                .into_iter()
                .map(|r| {
                    r.map(|(p7s, lock)| {
                        locks.push(lock);
                        p7s
                    })
                })
                .collect();
            // The temporary files are created by this thread alone: on an ordinary journaled
            // disk, files created from several threads at once in one folder contend in the
            // kernel (two threads took 3× the wall time and 4× the CPU of one, 2,000 files),
            // while the signing above is what scales with cores.
            let overwrite = if self.mode == Mode::New { Overwrite::Refuse } else { Overwrite::Replace };
            let mut chunk_results: Vec<Option<Result<(), BatchError>>> = Vec::with_capacity(chunk.len());
            let mut staged: Vec<(usize, Staged)> = Vec::new();
            for (i, (r, job)) in signed.into_iter().zip(chunk).enumerate() {
                match r.and_then(|bytes| crate::files::stage(&job.output, &bytes, overwrite, Secrecy::Public).map_err(|e| write_error(job, e))) {
                    Ok(s) => {
                        staged.push((i, s));
                        chunk_results.push(None);
                    }
                    Err(e) => chunk_results.push(Some(Err(e))),
                }
            }
            let (idx, files): (Vec<usize>, Vec<Staged>) = staged.into_iter().unzip();
            for (i, r) in idx.into_iter().zip(crate::files::commit(files)) {
                if let (Some(slot), Some(job)) = (chunk_results.get_mut(i), chunk.get(i)) {
                    *slot = Some(r.map_err(|e| write_error(job, e)));
                }
            }
            drop(locks);
            for (job, r) in chunk.iter().zip(chunk_results) {
                let r = r.unwrap_or_else(|| Err(BatchError::Write { path: job.output.clone(), source: io::Error::other("not committed") }));
                progress.finished(job, &r);
                results.push(r);
            }
        }
        results
    }

    /// One document's signature file bytes (before `finish`), from its digest when it was
    /// hashed ahead; in [`Mode::Add`] with the signature file's lock, to be held until the new
    /// version is committed.
    fn sign_one<K: Signer>(
        &self,
        signer: &DocumentSigner<K>,
        job: &Job,
        digest: Option<&io::Result<Vec<u8>>>,
        at: OffsetDateTime,
    ) -> Result<(Vec<u8>, Option<crate::files::TargetLock>), BatchError> {
        if self.mode == Mode::Add {
            let lock = crate::files::lock_target(&job.output, LOCK_WAIT).map_err(|e| BatchError::Lock { path: job.output.clone(), source: e })?;
            // Read only now that the lock is held: a concurrent run's signer is in it.
            let existing = match crate::files::read_limited(&job.output, MAX_EXISTING_SIGNATURE) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BatchError::NoSignatureToAdd(job.output.clone())),
                Err(e) => return Err(BatchError::ReadSignature { path: job.output.clone(), source: e }),
            };
            let existing = crate::cms::signature_der(&existing)
                .map_err(|e| BatchError::ExistingUnreadable { path: job.output.clone(), source: e })?;
            let mut doc = crate::files::InputFile::open(&job.input).map_err(document_error)?;
            let added = signer.add_to(&existing, &mut doc, at);
            // A document that changed while it was read is reported as such, before what the
            // changed bytes made add_to say (typically "not a signature of this document").
            doc.check_unchanged().map_err(document_error)?;
            let p7s = added.map_err(|e| match e {
                SignError::Io(io) => document_error(io),
                e => BatchError::CannotAdd { path: job.output.clone(), source: e },
            })?;
            doc.finish().map_err(document_error)?;
            return Ok((p7s, Some(lock)));
        }
        if self.mode == Mode::New && std::fs::symlink_metadata(&job.output).is_ok() {
            return Err(BatchError::AlreadyExists(job.output.clone()));
        }
        let signed = match digest {
            // hashed ahead (the same reading as sign_file, which also checks validity)
            Some(Ok(d)) => signer.check_validity(at).and_then(|()| signer.sign_digest(d, at)),
            Some(Err(e)) => return Err(document_error(copy_io_error(e))),
            None => signer.sign_file(&job.input, at),
        };
        signed.map(|p7s| (p7s, None)).map_err(|e| match e {
            SignError::Io(io) => document_error(io),
            other => BatchError::Sign(other),
        })
    }
}

/// A document's reading error: a change while it was hashed is its own error.
fn document_error(e: io::Error) -> BatchError {
    match crate::files::problem(&e) {
        Some(crate::files::FileProblem::Changed { change }) => BatchError::DocumentChanged { change: *change },
        _ => BatchError::Document(e),
    }
}

/// A copy of an error hashed ahead (io::Error is not Clone), keeping kyso's typed problem.
fn copy_io_error(e: &io::Error) -> io::Error {
    match crate::files::problem(e) {
        Some(p) => p.clone().into(),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

fn write_error(job: &Job, e: io::Error) -> BatchError {
    match e.kind() {
        io::ErrorKind::AlreadyExists => BatchError::AlreadyExists(job.output.clone()),
        _ => BatchError::Write { path: job.output.clone(), source: e },
    }
}

/// The folder a signature file is written into.
fn output_dir(output: &Path) -> &Path {
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The digest algorithm the certificate's key will sign with: SHA-384 for a P-384 key, SHA-256
/// otherwise (P-256, RSA, Ed25519's CMS digest). Only a guess for hashing ahead, checked
/// against the signer's.
fn predicted_digest(cert: &[u8]) -> DigestAlgorithm {
    use x509_parser::prelude::FromDer;
    let p384 = x509_parser::certificate::X509Certificate::from_der(cert).ok().is_some_and(|(_, c)| {
        c.public_key()
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .is_some_and(|o| o.as_bytes() == crate::alg::oid::P384.as_bytes())
    });
    if p384 {
        DigestAlgorithm::Sha384
    } else {
        DigestAlgorithm::Sha256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyAlgorithm, PrivateKey};

    fn cert(key: &PrivateKey) -> Vec<u8> {
        let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        p.not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
        p.not_after = time::macros::datetime!(2027-01-01 0:00 UTC);
        p.self_signed(&key.rcgen_key_pair().unwrap()).unwrap().der().to_vec()
    }

    const AT: OffsetDateTime = time::macros::datetime!(2026-11-30 08:00 +07:00);

    /// The guess used to hash a batch ahead matches what the signer then uses (a mismatch
    /// would only cost a second reading, but would make the overlap useless).
    #[test]
    fn predicted_digest_matches_the_signer() {
        for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
            let key = PrivateKey::generate(alg).unwrap();
            let der = cert(&key);
            let signer = DocumentSigner::new(key, &der, &[]).unwrap();
            assert_eq!(predicted_digest(&der), signer.digest_algorithm(), "{alg:?}");
        }
        assert_eq!(predicted_digest(b"not a certificate"), DigestAlgorithm::Sha256);
    }

    #[derive(Default)]
    struct Recorder {
        done: Vec<(PathBuf, Option<String>)>,
        removed: Vec<(PathBuf, usize)>,
    }

    impl BatchProgress for Recorder {
        fn removed_temporaries(&mut self, dir: &Path, count: usize) {
            self.removed.push((dir.to_path_buf(), count));
        }
        fn finished(&mut self, job: &Job, result: &Result<(), BatchError>) {
            self.done.push((job.input.clone(), result.as_ref().err().map(|e| e.to_string())));
        }
    }

    /// Hashed ahead or not, each job gets a signature of its own document; failures are per
    /// job and typed; progress hears of every job in order; `finish` sees every signature.
    #[test]
    fn signs_each_document_and_fails_per_job() {
        let d = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP384).unwrap();
        let der = cert(&key);
        let mut jobs: Vec<Job> = (0..4)
            .map(|i| {
                let p = d.path().join(format!("doc-{i}.txt"));
                std::fs::write(&p, format!("văn bản {i}")).unwrap();
                Job::beside(p)
            })
            .collect();
        jobs.push(Job::beside(d.path().join("missing.txt")));
        std::fs::write(d.path().join("doc-1.txt.p7s"), b"old").unwrap();
        let mut batch = Batch::new(jobs, Mode::New);
        let key = batch.open_key_while_hashing(&der, || Ok::<_, ()>(key)).unwrap();
        assert!(matches!(batch.prehashed, Some((DigestAlgorithm::Sha384, ref v)) if v.len() == 5));
        let signer = DocumentSigner::new(key, &der, &[]).unwrap();
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let mut rec = Recorder::default();
        let results = batch.sign(
            &signer,
            AT,
            |p7s| {
                finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok::<_, std::convert::Infallible>(p7s)
            },
            &mut rec,
        );
        assert_eq!(finished.into_inner(), 3, "finish runs for the signatures made");
        assert!(results[0].is_ok() && results[2].is_ok() && results[3].is_ok());
        assert!(matches!(&results[1], Err(BatchError::AlreadyExists(p)) if p.ends_with("doc-1.txt.p7s")));
        assert!(matches!(&results[4], Err(BatchError::Document(e)) if e.kind() == io::ErrorKind::NotFound));
        assert_eq!(std::fs::read(d.path().join("doc-1.txt.p7s")).unwrap(), b"old");
        let inputs: Vec<_> = rec.done.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(inputs, batch.jobs().iter().map(|j| j.input.clone()).collect::<Vec<_>>());
        // each signature is this signer's, over its own document (add_to checks the existing
        // signer's message digest against the document it is given)
        let key2 = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let der2 = cert(&key2);
        let signer2 = DocumentSigner::new(key2, &der2, &[]).unwrap();
        for i in [0, 2, 3] {
            let p7s = std::fs::read(d.path().join(format!("doc-{i}.txt.p7s"))).unwrap();
            let other = format!("văn bản {}", (i + 1) % 4);
            assert!(matches!(signer2.add_to(&p7s, other.as_bytes(), AT), Err(SignError::DifferentDocument { index: 1, .. })));
            assert!(signer2.add_to(&p7s, format!("văn bản {i}").as_bytes(), AT).is_ok());
            assert!(matches!(signer.add_to(&p7s, format!("văn bản {i}").as_bytes(), AT), Err(SignError::AlreadySigned { index: 1 })));
        }

        // Add: a missing signature file is its own error; the others get a second signer.
        let jobs = vec![Job::beside(d.path().join("doc-0.txt")), Job { input: d.path().join("doc-2.txt"), output: d.path().join("none.p7s") }];
        let results = Batch::new(jobs, Mode::Add).sign(&signer2, AT, Ok::<_, String>, &mut ());
        assert!(results[0].is_ok());
        assert!(matches!(&results[1], Err(BatchError::NoSignatureToAdd(p)) if p.ends_with("none.p7s")));
        let p7s = std::fs::read(d.path().join("doc-0.txt.p7s")).unwrap();
        // both signers are in it now (SignerInfos is a SET: DER order, not the order added)
        assert!(matches!(signer2.add_to(&p7s, "văn bản 0".as_bytes(), AT), Err(SignError::AlreadySigned { .. })));
        assert!(matches!(signer.add_to(&p7s, "văn bản 0".as_bytes(), AT), Err(SignError::AlreadySigned { .. })));

        // A failing finishing step fails its job and writes nothing.
        let jobs = vec![Job::beside(d.path().join("doc-3.txt"))];
        let results = Batch::new(jobs, Mode::Replace).sign(&signer2, AT, |_| Err("the TSA is down"), &mut ());
        assert!(matches!(&results[0], Err(BatchError::Finish(e)) if e.to_string() == "the TSA is down"));
        let kept = std::fs::read(d.path().join("doc-3.txt.p7s")).unwrap();
        assert!(signer2.add_to(&kept, "văn bản 3".as_bytes(), AT).is_ok(), "the first signature is still there, alone");
    }

    /// Temporary files older than STALE_TEMPORARY_AGE at the signing time are removed, and said.
    #[test]
    fn stale_temporaries_are_judged_at_the_signing_time() {
        let d = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let der = cert(&key);
        let signer = DocumentSigner::new(key, &der, &[]).unwrap();
        std::fs::write(d.path().join("a.txt"), b"a").unwrap();
        let tmp = d.path().join(format!("{}0ld123", crate::files::TEMP_PREFIX));
        let f = std::fs::File::create(&tmp).unwrap();
        f.set_modified(SystemTime::from(AT) - 2 * STALE_TEMPORARY_AGE).unwrap();
        drop(f);
        let mut rec = Recorder::default();
        let results = Batch::new(vec![Job::beside(d.path().join("a.txt"))], Mode::New).sign(&signer, AT, Ok::<_, String>, &mut rec);
        assert!(results[0].is_ok());
        assert_eq!(rec.removed, [(d.path().to_path_buf(), 1)]);
        assert!(!tmp.exists());
    }
}
