//! `kyso sign`: detached CAdES-B-B signatures (`FILE.p7s`) for one file or a batch, and
//! `--add` to append a signer (the agency's after the competent person's).

use crate::cmd_pdf::{pades_options, pades_output, pdf_error, sign_pdf_file, PadesArgs};
use crate::util::{read_input, CliError, PassArgs};
use kyso::files::{Overwrite, Secrecy};
use kyso::pdf::{PadesOptions, SignedRanges};
use kyso::sign::{DocumentSigner, Profile, SignError};
use kyso::{KeyFile, RsaPadding};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Size limit for certificate and key files: a certificate bundle is a few KB; 1 MiB is far above
/// any real one and keeps a wrong path (a video, a disk image) from being read into memory.
const CREDENTIAL_LIMIT: u64 = 1 << 20;
/// Size limit for an existing `.p7s` read by `--add`: a signature with its certificates is a few
/// KB, with embedded CRLs at most a few MB; 64 MiB leaves room without risking memory.
const SIGNATURE_LIMIT: u64 = 64 << 20;

/// Arguments of `kyso sign`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
EXAMPLES:
  # the competent person signs: writes cong-van-123.pdf.p7s
  kyso sign --cert person.pem --key person.key --chain ca/chain.pem cong-van-123.pdf
  # the clerk adds the agency's signature to cong-van-123.pdf.p7s
  kyso sign --add --cert agency.pem --key agency.key --chain ca/chain.pem cong-van-123.pdf
  # a whole folder, in parallel, one .p7s per file in signed/
  kyso sign --cert unit.pem --key unit.key --out-dir signed/ outgoing/*.pdf
  # CAdES-B-T (a checked signature timestamp) with the CRLs embedded for offline verification
  kyso sign --cert unit.pem --key unit.key --tsa http://127.0.0.1:3180/ --tsa-trust root.pem \\
      --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem cong-van-123.pdf
  # check with OpenSSL
  openssl cms -verify -binary -inform DER -in doc.p7s -content doc \\
      -CAfile root.pem -purpose any
  # PDF (PAdES, signed inside the PDF): the person's signature image, then the agency's seal
  kyso sign --pades --cert person.pem --key person.key --chain ca/chain.pem \\
      --appearance signature --image chu-ky.png --page 1 --rect 115,205,65,25 --out cong-van-ky.pdf cong-van.pdf
  kyso sign --pades --cert agency.pem --key agency.key --chain ca/chain.pem --appearance seal \\
      --image con-dau.png --in-place cong-van-ky.pdf
  # an attachment in a separate file: the agency's text stamp, top right of page 1
  kyso sign --pades --cert agency.pem --key agency.key --appearance stamp \\
      --doc-number 'Số: 123/UBND-VP' --in-place phu-luc.pdf
  # PAdES-B-LT: timestamp, plus the chain and CRLs in the PDF's /DSS for offline verification
  kyso sign --pades --cert agency.pem --key agency.key --chain ca/chain.pem --tsa http://127.0.0.1:3180/ \
      --tsa-trust root.pem --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem --in-place cong-van-ky.pdf

The signature is a detached CMS SignedData (DER), profile CAdES-B-B: content-type,
message-digest, signing-time and signing-certificate-v2, with the certificate and its chain
(not the root). P-256 keys sign with SHA-256, P-384 with SHA-384, RSA with RSASSA-PSS and
SHA-256 (--rsa-pkcs1: PKCS#1 v1.5). The key passphrase comes from --pass-file, else
$KYSO_PASSPHRASE, else a prompt.

With --pades, the signature goes inside the PDF (PAdES-B-B, an incremental update: earlier
signatures stay valid) and the signing time in /M instead of a signing-time attribute;
--rect is in millimetres from the page's top-left; --out refuses an existing file without
--force, --in-place replaces the input atomically.

EXIT CODES:
  0  every file signed
  1  some file failed (the others are still signed; each failure is reported)
  2  usage error, or an input that stops the whole run (certificate, key, chain,
     a single missing document)")]
pub struct SignArgs {
    /// The signer's certificate (PEM or DER; further certificates in the file count as chain)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The signer's private key (kyso's encrypted PKCS#8, or a key made by openssl)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The issuing CA certificates (PEM bundle or DER); the root is left out of signatures
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// Add this signature to the existing FILE.p7s (the agency's after the competent person's)
    #[arg(long)]
    pub add: bool,
    /// Replace an existing signature file
    #[arg(long, conflicts_with = "add")]
    pub force: bool,
    /// Write the signature to this file (only with one input file)
    #[arg(long, value_name = "FILE", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// Write FILE.p7s into this folder instead of beside each file
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With an RSA key, sign with PKCS#1 v1.5 instead of RSASSA-PSS
    #[arg(long)]
    pub rsa_pkcs1: bool,
    #[command(flatten)]
    pub trusted_time: crate::cmd_sign_bt::TrustedTimeArgs,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pades: PadesArgs,
    /// The documents to sign
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// Signatures committed together ([`kyso::files::commit`]). Bounds what a crash or a kill can
/// lose (the staged temporary files of one chunk, removed by a later run) and the temporary
/// files present at once, while making the per-chunk folder fsync negligible (1 in 512).
const COMMIT_CHUNK: usize = 512;

/// Age after which a kyso temporary file in an output folder is taken as left by an interrupted
/// run and removed. kyso's own temporary files live for the time of one write or of one chunk
/// (seconds); an hour leaves a wide margin for a concurrent kyso on a slow disk.
const STALE_TEMPORARY_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// One document and where its signature goes.
struct Job {
    /// Position in the batch (index into the digests hashed ahead).
    index: usize,
    input: PathBuf,
    output: PathBuf,
}

/// The digest algorithm the certificate's key will sign with: SHA-384 for a P-384 key, SHA-256
/// otherwise (P-256, RSA). Only a guess for hashing ahead, checked against the signer's.
fn predicted_digest(cert: &[u8]) -> kyso::DigestAlgorithm {
    use x509_parser::prelude::FromDer;
    let p384 = x509_parser::certificate::X509Certificate::from_der(cert).ok().is_some_and(|(_, c)| {
        c.public_key().algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).is_some_and(|o| o.as_bytes() == kyso::alg::oid::P384.as_bytes())
    });
    if p384 {
        kyso::DigestAlgorithm::Sha384
    } else {
        kyso::DigestAlgorithm::Sha256
    }
}

fn output_path(input: &Path, out_dir: Option<&Path>) -> Result<PathBuf, CliError> {
    let name = input
        .file_name()
        .ok_or_else(|| CliError::usage(format!("{} is not a file name", input.display())))?;
    let mut sig = name.to_os_string();
    sig.push(".p7s");
    Ok(match out_dir {
        Some(d) => d.join(sig),
        None => input.with_file_name(sig),
    })
}

fn sign_error(e: SignError) -> CliError {
    let hint = match &e {
        SignError::KeyMismatch => Some("check that --key is the key the certificate was issued for"),
        SignError::Expired { .. } | SignError::NotYetValid { .. } => Some("ask the CA for a current certificate"),
        SignError::CaCertificate => Some("issue a unit or person certificate with `kyso ca issue` and sign with it"),
        SignError::KeyUsage | SignError::NoKeyUsage | SignError::ExtendedKeyUsage => {
            Some("this certificate was not issued for signing documents; ask the CA for a document-signing certificate")
        }
        _ => None,
    };
    let err = CliError::usage(e.to_string());
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

/// Runs `kyso sign`.
pub fn run(args: SignArgs) -> Result<ExitCode, CliError> {
    // Cross-flag checks before any work.
    if args.out.is_some() && args.files.len() != 1 {
        return Err(CliError::usage("--out takes one input file; use --out-dir for several"));
    }
    if let Some(d) = &args.out_dir {
        if !d.is_dir() {
            return Err(CliError::usage(format!("the output folder {} does not exist", d.display())));
        }
    }
    let mut jobs = Vec::with_capacity(args.files.len());
    let mut seen = HashSet::new();
    for f in &args.files {
        let output = match &args.out {
            Some(o) => o.clone(),
            None => output_path(f, args.out_dir.as_deref())?,
        };
        if !seen.insert(output.clone()) {
            return Err(CliError::usage(format!(
                "two input files would write the same signature file {}",
                output.display()
            )));
        }
        jobs.push(Job { index: jobs.len(), input: f.clone(), output });
    }
    if jobs.len() == 1 {
        if let Some(j) = jobs.first() {
            if !j.input.exists() {
                return Err(CliError::usage(format!("the document {} does not exist", j.input.display())).hint("check the path"));
            }
        }
    }

    // PDF signatures (--pades): flags checked and images/font loaded before the key is opened.
    let pades = if args.pades.pades { Some(prepare_pdf(&args)?) } else { None };

    // Credentials: read once, checked before anything is written.
    let cert_bytes = read_input(&args.cert, "the certificate file", CREDENTIAL_LIMIT)?;
    let certs = kyso::objects::certificates(&cert_bytes)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.cert.display())))?;
    let mut certs = certs.into_iter();
    let cert = certs
        .next()
        .ok_or_else(|| CliError::usage(format!("{} holds no certificate", args.cert.display())))?;
    let mut chain: Vec<Vec<u8>> = certs.collect();
    for c in &args.chain {
        let bytes = read_input(c, "the chain file", CREDENTIAL_LIMIT)?;
        chain.extend(
            kyso::objects::certificates(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", c.display())))?,
        );
    }
    let key_bytes = zeroize::Zeroizing::new(read_input(&args.key, "the key file", CREDENTIAL_LIMIT)?);
    let key_file =
        KeyFile::parse(&key_bytes).map_err(|e| CliError::usage(format!("{}: {e}", args.key.display())))?;
    // A batch of new signatures hashes its documents while the passphrase is stretched
    // (PBKDF2/scrypt: tens of ms, a third of the CPU of 2,000 small files), one task each on
    // the thread pool; with one thread the two simply run one after the other. The digest
    // algorithm is guessed from the certificate and checked once the key is known (a wrong
    // guess only means the documents are read again).
    let prehash = (pades.is_none() && !args.add && jobs.len() > 1).then(|| predicted_digest(&cert));
    let mut digests: Vec<std::io::Result<Vec<u8>>> = Vec::new();
    let mut key = if key_file.is_encrypted() {
        let pass = args.pass.get(&format!("the key {}", args.key.display()))?;
        let (key, hashed) = rayon::join(
            || key_file.open(Some(&pass)),
            || match prehash {
                Some(alg) => jobs.par_iter().map(|j| kyso::sign::digest_file(&j.input, alg)).collect(),
                None => Vec::new(),
            },
        );
        digests = hashed;
        key.map_err(|e| CliError::usage(format!("{}: {e}", args.key.display())))?
    } else {
        eprintln!(
            "warning: the key {} is not encrypted; anyone who can read the file can sign in your name",
            args.key.display()
        );
        key_file.open(None).map_err(|e| CliError::usage(format!("{}: {e}", args.key.display())))?
    };
    if args.rsa_pkcs1 {
        if !matches!(key.algorithm(), kyso::KeyAlgorithm::Rsa(_)) {
            return Err(CliError::usage(format!("--rsa-pkcs1 applies to RSA keys; {} is {}", args.key.display(), key.algorithm())));
        }
        key.set_rsa_padding(RsaPadding::Pkcs1);
    }
    let signer = DocumentSigner::new(key, &cert, &chain).map_err(sign_error)?;
    signer.check_validity(time::OffsetDateTime::now_utc()).map_err(sign_error)?;
    if prehash != Some(signer.digest_algorithm()) || digests.len() != jobs.len() {
        digests.clear();
    }
    if let Some(p) = pades {
        return sign_pdfs(&args, p, signer);
    }
    // --tsa / --embed-revocation: applied to each signature before it is written.
    let finish = crate::cmd_sign_bt::Finisher::new(&args.trusted_time)?;

    let single = jobs.len() == 1;
    let progress = (!single && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {msg}") {
            pb.set_style(style);
        }
        pb
    });
    let failed = AtomicUsize::new(0);
    let report = |msg: String| match &progress {
        Some(pb) => pb.println(msg),
        None => eprintln!("{msg}"),
    };
    // Temporary files an interrupted earlier run left in the output folders (see
    // STALE_TEMPORARY_AGE); best effort, and said when it happens.
    let mut out_dirs: Vec<&Path> = jobs.iter().map(|j| output_dir(&j.output)).collect();
    out_dirs.sort();
    out_dirs.dedup();
    let now = std::time::SystemTime::now();
    for d in out_dirs {
        if let Ok(n @ 1..) = kyso::files::remove_stale_temporaries(d, STALE_TEMPORARY_AGE, now) {
            report(format!("note: removed {n} temporary file(s) left in {} by an interrupted kyso", d.display()));
        }
    }
    // Signatures are signed and written to temporary files in parallel, then each chunk is
    // committed at once (the temporary files fsynced together, renamed, one fsync per folder):
    // a file is reported signed only once its data and its name are on disk, and the disk
    // waits of a chunk overlap instead of adding up (two fsyncs per file, one after the other,
    // bounded the batch by the disk before).
    let mut results: Vec<Result<(), String>> = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(COMMIT_CHUNK) {
        let signed: Vec<Result<(Vec<u8>, Overwrite), String>> =
            chunk.par_iter().map(|job| sign_one(&signer, job, digests.get(job.index), args.add, args.force, &finish)).collect();
        // The temporary files are created by this thread alone: on an ordinary journaled disk,
        // files created from several threads at once in one folder contend in the kernel (two
        // threads took 3× the wall time and 4× the CPU of one, 2,000 files), while the signing
        // above is what scales with cores.
        let staged: Vec<Result<kyso::files::Staged, String>> = signed
            .into_iter()
            .zip(chunk)
            .map(|(r, job)| r.and_then(|(bytes, ow)| kyso::files::stage(&job.output, &bytes, ow, Secrecy::Public).map_err(|e| write_error(job, e))))
            .collect();
        let (ok, errs): (Vec<_>, Vec<_>) = staged.into_iter().enumerate().partition(|(_, r)| r.is_ok());
        let mut chunk_results: Vec<Option<Result<(), String>>> = (0..chunk.len()).map(|_| None).collect();
        for (i, r) in errs {
            if let (Some(slot), Err(m)) = (chunk_results.get_mut(i), r) {
                *slot = Some(Err(m));
            }
        }
        let (idx, files): (Vec<usize>, Vec<kyso::files::Staged>) = ok.into_iter().filter_map(|(i, r)| r.ok().map(|s| (i, s))).unzip();
        for (i, r) in idx.into_iter().zip(kyso::files::commit(files)) {
            if let (Some(slot), Some(job)) = (chunk_results.get_mut(i), chunk.get(i)) {
                *slot = Some(r.map_err(|e| write_error(job, e)));
            }
        }
        for (job, r) in chunk.iter().zip(chunk_results) {
            let r = r.unwrap_or_else(|| Err("internal error: no result".into()));
            if let Err(m) = &r {
                failed.fetch_add(1, Ordering::Relaxed);
                report(format!("error: {}: {m}", job.input.display()));
            }
            if let Some(pb) = &progress {
                pb.inc(1);
            }
            results.push(r);
        }
    }
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let failed = failed.load(Ordering::Relaxed);
    let total = results.len();
    let verb = if args.add { "added a signature to" } else { "signed" };
    if single {
        if let (Some(job), Some(Ok(()))) = (jobs.first(), results.first()) {
            eprintln!("{verb} {} → {}", job.input.display(), job.output.display());
        }
    } else {
        eprintln!("{verb} {} of {total} files, {failed} failed", total - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Signs one document (from its digest when it was hashed ahead): the signature file's bytes
/// and how it may be written (the caller stages it; [`kyso::files::commit`] makes it durable
/// and visible); the error is the message for the batch report.
fn sign_one(
    signer: &DocumentSigner,
    job: &Job,
    digest: Option<&std::io::Result<Vec<u8>>>,
    add: bool,
    force: bool,
    finish: &crate::cmd_sign_bt::Finisher,
) -> Result<(Vec<u8>, Overwrite), String> {
    let now = time::OffsetDateTime::now_utc();
    let bytes = if add {
        let existing = match kyso::files::read_limited(&job.output, SIGNATURE_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("no signature {} to add to (drop --add to create it)", job.output.display()))
            }
            Err(e) => return Err(format!("cannot read {}: {e}", job.output.display())),
        };
        let existing = kyso::cms::signature_der(&existing).map_err(|e| format!("{}: {e}", job.output.display()))?;
        let doc = std::fs::File::open(&job.input).map_err(open_error)?;
        signer.add_to(&existing, doc, now).map_err(|e| format!("{}: {e}", job.output.display()))?
    } else {
        if !force && std::fs::symlink_metadata(&job.output).is_ok() {
            return Err(format!("{} already exists (use --force to replace it, or --add to add a signature)", job.output.display()));
        }
        let signed = match digest {
            // hashed ahead (the same reading as sign_file, which also checks validity)
            Some(Ok(d)) => signer.check_validity(now).and_then(|()| signer.sign_digest(d, now)),
            Some(Err(e)) => Err(SignError::Io(std::io::Error::new(e.kind(), e.to_string()))),
            None => signer.sign_file(&job.input, now),
        };
        signed.map_err(|e| match e {
            SignError::Io(io) => open_error(io),
            other => other.to_string(),
        })?
    };
    let bytes = finish.apply(bytes)?;
    let overwrite = if add || force { Overwrite::Replace } else { Overwrite::Refuse };
    Ok((bytes, overwrite))
}

fn write_error(job: &Job, e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} already exists (use --force to replace it, or --add to add a signature)", job.output.display())
        }
        _ => format!("cannot write {}: {e}", job.output.display()),
    }
}

fn output_dir(output: &Path) -> &Path {
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn open_error(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "the document does not exist".into(),
        _ => format!("cannot open the document: {e}"),
    }
}

// ---- PDF signatures (--pades)

/// The checked PAdES options of one `kyso sign --pades` run (prepared before the key is opened,
/// so that a wrong flag is reported before a passphrase is asked for).
struct PreparedPdf {
    opts: PadesOptions,
    args: PadesArgs,
}

/// Checks the PAdES flags against the sign command's other flags and loads the image and font.
fn prepare_pdf(args: &SignArgs) -> Result<PreparedPdf, CliError> {
    let p = &args.pades;
    if args.add {
        return Err(CliError::usage("--add is for .p7s files; a PDF signature is always added to the PDF")
            .hint("sign the already signed PDF again with --pades --in-place (or --out) to add a signature"));
    }
    if args.out_dir.is_some() {
        return Err(CliError::usage("--out-dir is for .p7s files; a signed PDF is written with --out OUT.pdf or --in-place"));
    }
    if p.in_place && args.force {
        return Err(CliError::usage("--force is for --out; --in-place always replaces the input"));
    }
    if args.files.len() > 1 && !p.in_place {
        return Err(CliError::usage("several PDFs can only be signed with --in-place").hint("or sign them one by one with --out"));
    }
    // --out vs --in-place, for the first file (the same rule holds for every file).
    if let Some(f) = args.files.first() {
        let out = pades_output(f, args.out.as_deref(), p.in_place)?;
        if !p.in_place && out == *f {
            return Err(CliError::usage("--out names the input file").hint("use --in-place to replace the input"));
        }
    }
    let opts = pades_options(p, time::OffsetDateTime::now_utc())?;
    Ok(PreparedPdf { opts, args: p.clone() })
}

/// Signs every PDF of `args.files` with `signer` (sequentially: each file may be signed several
/// times in a row by separate runs; within a run the files are distinct).
fn sign_pdfs(args: &SignArgs, prepared: PreparedPdf, signer: DocumentSigner) -> Result<ExitCode, CliError> {
    let signer = signer.with_profile(Profile::Pades);
    let mut opts = prepared.opts;
    // The signing time: read once per run by the CLI (the library never reads the clock).
    opts.signing_time = time::OffsetDateTime::now_utc().to_offset(kyso::util::VIETNAM);
    opts.signer_name = Some(common_name(signer.subject()));
    // --tsa: PAdES-B-T, the signature timestamp added to the CMS before it goes into /Contents.
    let finish = crate::cmd_sign_bt::Finisher::new(&args.trusted_time)?;
    let single = args.files.len() == 1;
    let mut failed = 0usize;
    for input in &args.files {
        let output = pades_output(input, args.out.as_deref(), prepared.args.in_place)?;
        if single && !input.exists() {
            return Err(CliError::usage(format!("the document {} does not exist", input.display())).hint("check the path"));
        }
        let time = opts.signing_time;
        // The CMS that went into /Contents (the closure runs again if the first did not fit).
        let cms_written = std::cell::RefCell::new(Vec::new());
        let mut dss_note = String::new();
        let r = sign_pdf_file(
            input,
            &output,
            prepared.args.in_place,
            args.force,
            &opts,
            |ranges: &SignedRanges<'_>| {
                let cms = signer.sign_reader(ranges.reader(), time).map_err(|e| e.to_string())?;
                let cms = finish.timestamp(cms)?;
                cms_written.borrow_mut().clone_from(&cms);
                Ok::<_, String>(cms)
            },
            |signed| {
                if !args.trusted_time.embed_revocation {
                    return Ok(signed);
                }
                // PAdES-B-LT: the chain (signer's and TSA's) and the CRLs in the /DSS, in a
                // second incremental update after the signature's.
                let certs = kyso::tsp::evidence_certificates(&cms_written.borrow())
                    .map_err(|e| CliError::failed(format!("{}: cannot list the signature's certificates: {e}", input.display())))?;
                let up = kyso::pdf::add_dss(&signed.bytes, &certs, finish.crls()).map_err(|e| pdf_error(input, e))?;
                dss_note = format!("; /DSS: {} certificate(s), {} CRL(s) added", up.certificates_added, up.crls_added);
                let mut signed = signed;
                signed.bytes = up.bytes;
                Ok(signed)
            },
        );
        match r {
            Ok(signed) => eprintln!("signed {} → {} (field {}{dss_note})", input.display(), output.display(), signed.field_name),
            Err(e) if single => return Err(e),
            Err(e) => {
                failed += 1;
                eprintln!("error: {}", e.message);
            }
        }
    }
    if !single {
        eprintln!("signed {} of {} files, {failed} failed", args.files.len() - failed, args.files.len());
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The CN of a subject as x509-parser prints it ("CN=…, O=…"), for /Name; the whole subject
/// when there is no CN.
fn common_name(subject: &str) -> String {
    subject
        .split(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(subject)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_name_is_taken_from_the_subject() {
        assert_eq!(common_name("CN=Nguyễn Văn An, O=Văn phòng UBND"), "Nguyễn Văn An");
        assert_eq!(common_name("O=X, CN=Y"), "Y");
        assert_eq!(common_name("O=X"), "O=X");
    }


    fn cert(alg: kyso::KeyAlgorithm) -> Vec<u8> {
        let key = kyso::PrivateKey::generate(alg).unwrap();
        let p = rcgen::CertificateParams::new(vec![]).unwrap();
        p.self_signed(&key.rcgen_key_pair().unwrap()).unwrap().der().to_vec()
    }

    /// The guess used to hash a batch ahead matches what the signer then uses (a mismatch
    /// would only cost a second reading, but would make the overlap useless).
    #[test]
    fn predicted_digest_matches_the_signer() {
        for alg in [kyso::KeyAlgorithm::EcdsaP256, kyso::KeyAlgorithm::EcdsaP384] {
            let key = kyso::PrivateKey::generate(alg).unwrap();
            let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
            p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
            let der = p.self_signed(&key.rcgen_key_pair().unwrap()).unwrap().der().to_vec();
            let signer = DocumentSigner::new(key, &der, &[]).unwrap();
            assert_eq!(predicted_digest(&der), signer.digest_algorithm(), "{alg:?}");
        }
        assert_eq!(predicted_digest(&cert(kyso::KeyAlgorithm::EcdsaP384)), kyso::DigestAlgorithm::Sha384);
        assert_eq!(predicted_digest(b"not a certificate"), kyso::DigestAlgorithm::Sha256);
    }
}
