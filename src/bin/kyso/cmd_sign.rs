//! `kyso sign`: detached CAdES-B-B signatures (`FILE.p7s`) for one file or a batch, and
//! `--add` to append a signer (the agency's after the competent person's).

use crate::cmd_pdf::{pades_options, pades_output, pdf_error, sign_pdf_file, PadesArgs};
use crate::keyload::{Key, PinArgs};
use crate::util::{read_input, CliError, PassArgs};
use kyso::pdf::{PadesOptions, SignedRanges};
use kyso::sign::batch::{Batch, BatchError, BatchProgress, Job, Mode, Watch};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use kyso::sign::{DocumentSigner, Profile, SignError};
use kyso::RsaPadding;
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Size limit for certificate and key files: a certificate bundle is a few KB; 1 MiB is far above
/// any real one and keeps a wrong path (a video, a disk image) from being read into memory.
const CREDENTIAL_LIMIT: u64 = 1 << 20;

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
  # again later: only the new documents (signed ones and the .p7s files are skipped)
  kyso sign --cert unit.pem --key unit.key --skip-signed outgoing/*
  # CAdES-B-T (a checked signature timestamp) with the CRLs embedded for offline verification
  kyso sign --cert unit.pem --key unit.key --tsa http://127.0.0.1:3180/ --tsa-trust root.pem \\
      --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem cong-van-123.pdf
  # with a key on a USB token (PKCS#11): the certificate stored on the token is used
  kyso sign --key 'pkcs11:token=kyso;object=syt' --pin-file pin.txt --chain ca/chain.pem doc.pdf
  # with the .p12/.pfx the unit already has (key, certificate and chain in one file)
  kyso sign --key unit.p12 cong-van-123.pdf
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
  # a form certified by its author: later only form filling and (invisible) signatures
  kyso sign --pades --cert agency.pem --key agency.key --chain ca/chain.pem --certify 2 \\
      --out to-khai-chung-nhan.pdf to-khai.pdf
  # a signature that locks the form's fields (any later change to them breaks it)
  kyso sign --pades --cert person.pem --key person.key --chain ca/chain.pem --lock-fields \\
      --in-place to-khai-chung-nhan.pdf
  # PAdES-B-LT: timestamp, plus the chain and CRLs in the PDF's /DSS for offline verification
  kyso sign --pades --cert agency.pem --key agency.key --chain ca/chain.pem --tsa http://127.0.0.1:3180/ \\
      --tsa-trust root.pem --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem --in-place cong-van-ky.pdf

The signature is a detached CMS SignedData (DER), profile CAdES-B-B: content-type,
message-digest, signing-time and signing-certificate-v2, with the certificate and its chain
(not the root). P-256 keys sign with SHA-256, P-384 with SHA-384, RSA with RSASSA-PSS and
SHA-256 (--rsa-pkcs1: PKCS#1 v1.5). The key passphrase comes from --pass-file, else
$KYSO_PASSPHRASE, else a prompt. A key on a token (--key pkcs11:…, RFC 7512) never leaves
it: its PIN comes from pin-source in the URI, --pin-file, $KYSO_PIN or a prompt, and
without --cert the certificate stored next to the key on the token is used.

The certificate file `kyso ca issue --cert-out` writes holds the CA chain after the
certificate, so --chain is needed only for a certificate file without it; a warning names
the issuer when the certificates given do not reach it.

--key may be a PKCS#12 file (.p12/.pfx, as Windows, browsers and `kyso ca issue --p12-out`
write), opened with the same passphrase: the certificate and chain come from it when --cert
and --chain are not given; --p12-name chooses among several keys.

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
    /// The signer's certificate (PEM or DER; further certificates in the file count as chain);
    /// with a key on a token or a .p12/.pfx --key, which hold it, it may be left out
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The signer's private key (kyso's encrypted PKCS#8, a key made by openssl, or a
    /// .p12/.pfx with the certificate and chain), or a key on a token:
    /// 'pkcs11:token=…;object=…' (RFC 7512)
    #[arg(long, value_name = "FILE|URI")]
    pub key: PathBuf,
    /// With a .p12/.pfx holding several keys: the friendly name of the one to sign with
    #[arg(long, value_name = "NAME")]
    pub p12_name: Option<String>,
    /// The issuing CA certificates (PEM bundle or DER); the root is left out of signatures
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// Add this signature to the existing FILE.p7s (the agency's after the competent person's)
    #[arg(long)]
    pub add: bool,
    /// Replace an existing signature file
    #[arg(long, conflicts_with = "add")]
    pub force: bool,
    /// Skip documents that already have their FILE.p7s (and the .p7s files among the inputs):
    /// run the same batch again to sign only what is new
    #[arg(long, conflicts_with_all = ["add", "force"])]
    pub skip_signed: bool,
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
    pub trusted_time: crate::cmd_sign_evidence::TrustedTimeArgs,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
    #[command(flatten)]
    pub pades: PadesArgs,
    /// The documents to sign
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
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
    // Inputs that are signatures (X.p7s): never signed into X.p7s.p7s. With --add, X.p7s names
    // the signature to add to (its document X is what is signed); otherwise they are refused
    // (a batch reports them and goes on), or skipped with --skip-signed.
    let mut refused: Vec<PathBuf> = Vec::new();
    let mut skipped = 0usize;
    let single_input = args.files.len() == 1;
    for f in &args.files {
        let f = if crate::cmd_verify::is_signature_name(f) && !args.pades.pades {
            if args.add {
                f.with_extension("")
            } else if args.skip_signed {
                skipped += 1;
                continue;
            } else if single_input {
                return Err(CliError::usage(format!("{} is a signature file, not a document", f.display())).hint(format!(
                    "to add a signature to it: kyso sign --add … {}",
                    f.with_extension("").display()
                )));
            } else {
                refused.push(f.clone());
                continue;
            }
        } else {
            f.clone()
        };
        let f = &f;
        let output = match &args.out {
            Some(o) => o.clone(),
            None => output_path(f, args.out_dir.as_deref())?,
        };
        if args.skip_signed && output.exists() {
            skipped += 1;
            continue;
        }
        if args.add && jobs.iter().any(|j: &Job| j.input == *f && j.output == output) {
            continue; // X and X.p7s both named: one signature added
        }
        if !seen.insert(output.clone()) {
            return Err(CliError::usage(format!(
                "two input files would write the same signature file {}",
                output.display()
            )));
        }
        jobs.push(Job { input: f.clone(), output });
    }
    for r in &refused {
        eprintln!(
            "error: {}: a signature file, not a document: not signed (--add adds a signature to it, --skip-signed skips it)",
            r.display()
        );
    }
    if skipped > 0 {
        eprintln!("note: skipped {skipped} file(s): signature files, or documents already signed (--skip-signed)");
    }
    if jobs.is_empty() {
        eprintln!("nothing to sign");
        return Ok(if refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let mode = if args.add {
        Mode::Add
    } else if args.force {
        Mode::Replace
    } else {
        Mode::New
    };
    if jobs.len() == 1 {
        if let Some(j) = jobs.first() {
            if !j.input.exists() {
                return Err(CliError::usage(format!("the document {} does not exist", j.input.display())).hint("check the path"));
            }
            // like a missing document, one that cannot be read stops the run (exit 2)
            if j.input.is_dir() {
                return Err(CliError::usage(format!("{} is a folder, not a document", j.input.display()))
                    .hint(format!("sign the documents in it: kyso sign … {}/*", j.input.display())));
            }
            if let Err(e) = kyso::files::InputFile::open(&j.input) {
                return Err(CliError::usage(format!("cannot read the document {}: {e}", j.input.display())));
            }
        }
    }

    // PDF signatures (--pades): flags checked and images/font loaded before the key is opened.
    let pades = if args.pades.pades { Some(prepare_pdf(&args)?) } else { None };

    // Credentials: read once, checked before anything is written: the certificate and chain
    // files first, then the key (a .p12's password, a key file's passphrase, or the token and
    // its PIN); a .p12 or a token brings the certificate when --cert is left out.
    let cert_file = match &args.cert {
        Some(path) => {
            let bytes = read_input(path, "the certificate file", CREDENTIAL_LIMIT)?;
            let certs = kyso::objects::certificates(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(CliError::usage(format!("{} holds no certificate", path.display())));
            }
            Some(certs)
        }
        None => None,
    };
    let mut chain_files: Vec<Vec<u8>> = Vec::new();
    for c in &args.chain {
        let bytes = read_input(c, "the chain file", CREDENTIAL_LIMIT)?;
        chain_files.extend(
            kyso::objects::certificates(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", c.display())))?,
        );
    }
    let creds = crate::keyload::credentials(
        &args.key,
        &args.pass,
        &args.pin,
        args.p12_name.as_deref(),
        cert_file,
        chain_files,
        CliError::usage,
        "give the certificate with --cert FILE",
    )?;
    let (cert, chain, opener) = (creds.cert, creds.chain, creds.opener);
    // A batch of new signatures hashes its documents while the passphrase is stretched
    // (kyso::sign::batch).
    let mut batch = Batch::new(jobs, mode);
    // A batch can be interrupted (SIGINT, SIGTERM): the signatures on disk stay, the temporary
    // files go, the run says how far it got (exit 130); a second Ctrl-C ends it at once.
    let watch = Arc::new(Watch::default());
    batch.watch(Arc::clone(&watch));
    let single = batch.jobs().len() == 1 && refused.is_empty();
    if !single && pades.is_none() {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&watch.interrupt))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&watch.interrupt)))
                .map_err(|e| CliError::failed(format!("cannot install a signal handler: {e}")))?;
        }
    }
    // The progress display starts once no prompt is left (before the documents are hashed).
    let show_bar = !single && pades.is_none() && std::io::stderr().is_terminal();
    let total_bytes: u64 = if show_bar { batch.jobs().iter().filter_map(|j| std::fs::metadata(&j.input).ok()).map(|m| m.len()).sum() } else { 0 };
    let total_files = batch.jobs().len();
    let mut ticker: Option<Ticker> = None;
    let start_ticker = |t: &mut Option<Ticker>| {
        if show_bar && t.is_none() {
            *t = Some(Ticker::start(total_bytes, total_files, Arc::clone(&watch)));
        }
    };
    start_ticker(&mut ticker);
    let mut key: Key = if pades.is_none() { batch.open_key_while_hashing(&cert, || opener.open())? } else { opener.open()? };
    if args.rsa_pkcs1 {
        if !matches!(key.algorithm(), kyso::KeyAlgorithm::Rsa(_)) {
            return Err(CliError::usage(format!("--rsa-pkcs1 applies to RSA keys; {} is {}", args.key.display(), key.algorithm())));
        }
        key.set_rsa_padding(RsaPadding::Pkcs1);
    }
    // A CAdES batch signs on one token session per signing thread; a token that allows fewer
    // sessions than there are threads makes the batch wait for it: say so. (PDFs are signed one
    // after the other.)
    if let Key::Token(k) = &key {
        let threads = rayon::current_num_threads();
        if pades.is_none() && batch.jobs().len() > 1 && k.max_sessions() < threads {
            eprintln!(
                "note: the batch signs at most {} document(s) at a time on the token '{}' (the sessions it allows, at most {}), not {threads}",
                k.max_sessions(),
                k.token_label(),
                kyso::pkcs11::MAX_SESSIONS
            );
        }
    }
    // A token key names itself and the certificate it was checked against.
    let token_key = match &key {
        Key::Token(k) => Some(format!("the key object={} on the token '{}'", k.label(), k.token_label())),
        _ => None,
    };
    let cert_source = match &args.cert {
        Some(p) => format!("the certificate {}", p.display()),
        None => "the certificate stored on the token".to_string(),
    };
    let signer = DocumentSigner::new(key, &cert, &chain).map_err(|e| match (e, &token_key) {
        (SignError::KeyMismatch, Some(k)) => CliError::usage(format!("{k} does not match {cert_source} (the certificate holds a different public key)"))
            .hint("check that --key names the key the certificate was issued for (`kyso token list --login` shows the keys)"),
        (e, _) => sign_error(e),
    })?;
    // The signing time of every signature of the run: the clock is read once, here.
    let now = time::OffsetDateTime::now_utc();
    signer.check_validity(now).map_err(sign_error)?;
    match chain_gap(&cert, &chain) {
        ChainGap::None => {}
        ChainGap::Issuer(issuer) => eprintln!(
            "warning: the certificate's issuer ({issuer}) is not among the certificates given: recipients will get \
             NO_CERTIFICATE_CHAIN_FOUND unless they have it; give --chain with the issuing CA's chain (ca/chain.pem)"
        ),
        // Stopping below the root is the usual case (the root is the recipients' trust anchor
        // and is left out of signatures anyway): nothing to say.
        ChainGap::Root(_) => {}
    }
    if let Some(p) = pades {
        return sign_pdfs(&args, p, signer);
    }
    // --tsa / --embed-revocation: applied to each signature before it is written.
    let finish = crate::cmd_sign_evidence::Finisher::new(&args.trusted_time)?;

    start_ticker(&mut ticker);
    let mut progress = Progress { bar: ticker.as_ref().map(|t| t.bar.clone()), failed: 0, interrupted: 0, signed: ticker_signed(&ticker) };
    let results = batch.sign(&signer, now, |p7s| finish.apply(p7s), &mut progress);
    if let Some(t) = ticker.take() {
        t.stop();
    }
    let failed = progress.failed + refused.len();
    let total = results.len() + refused.len();
    if watch.interrupt.load(Ordering::Relaxed) {
        let done = results.iter().filter(|r| r.is_ok()).count();
        eprintln!(
            "interrupted: {done} of {total} signed (each signature written is complete; {} not signed, no temporary file left)",
            progress.interrupted
        );
        return Ok(ExitCode::from(130));
    }
    let verb = if args.add { "added a signature to" } else { "signed" };
    if single {
        if let (Some(job), Some(Ok(()))) = (batch.jobs().first(), results.first()) {
            eprintln!("{verb} {} → {}", job.input.display(), job.output.display());
        }
    } else {
        eprintln!("{verb} {} of {total} files, {failed} failed", total - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Where the certificates a signature carries stop short of a self-signed root.
#[derive(Debug, PartialEq, Eq)]
enum ChainGap {
    /// They reach a self-signed certificate (or cannot be read: the signer refuses those).
    None,
    /// The signer certificate's own issuer is missing (named).
    Issuer(String),
    /// An intermediate is there, but not the root above it (named; the usual case when the
    /// root is the recipients' anchor).
    Root(#[allow(dead_code)] String),
}

/// Follows issuer names from `cert` through `chain` (at most `chain.len()` steps) to a
/// self-signed certificate.
fn chain_gap(cert: &[u8], chain: &[Vec<u8>]) -> ChainGap {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let Ok((_, leaf)) = X509Certificate::from_der(cert) else { return ChainGap::None };
    let parsed: Vec<X509Certificate<'_>> = chain.iter().filter_map(|c| X509Certificate::from_der(c).ok().map(|(_, x)| x)).collect();
    let mut cur = &leaf;
    for step in 0..=parsed.len() {
        if cur.subject().as_raw() == cur.issuer().as_raw() {
            return ChainGap::None;
        }
        match parsed.iter().find(|p| p.subject().as_raw() == cur.issuer().as_raw()) {
            Some(p) => cur = p,
            None if step == 0 => return ChainGap::Issuer(cur.issuer().to_string()),
            None => return ChainGap::Root(cur.issuer().to_string()),
        }
    }
    ChainGap::None
}

/// Prints what a batch reports: failures and notes above the progress bar (when stderr is a
/// terminal) or on stderr.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    failed: usize,
    interrupted: usize,
    /// Documents signed, shown by the ticker.
    signed: Arc<std::sync::atomic::AtomicUsize>,
}

/// The counter of documents signed that the ticker shows (a fresh one without a ticker).
fn ticker_signed(t: &Option<Ticker>) -> Arc<std::sync::atomic::AtomicUsize> {
    t.as_ref().map(|t| Arc::clone(&t.done)).unwrap_or_default()
}

/// The progress bar of a batch on a terminal, redrawn ten times a second from the batch's
/// counters: bytes read (it moves from the first byte hashed, whether the documents are hashed
/// ahead or while signed), documents read and documents signed.
struct Ticker {
    bar: indicatif::ProgressBar,
    done: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Ticker {
    fn start(total_bytes: u64, total_files: usize, watch: Arc<Watch>) -> Ticker {
        let bar = indicatif::ProgressBar::new(total_bytes.max(1));
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} read, {msg}, {elapsed_precise}") {
            bar.set_style(style);
        }
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, d, s) = (bar.clone(), Arc::clone(&done), Arc::clone(&stop));
        let draw = move || {
            b.set_position(watch.bytes_read.load(Ordering::Relaxed));
            let read = watch.documents_read.load(Ordering::Relaxed);
            let done = d.load(Ordering::Relaxed);
            let stopping = if watch.interrupt.load(Ordering::Relaxed) { " — stopping (interrupted)" } else { "" };
            b.set_message(format!("{read}/{total_files} documents hashed, {done} signed{stopping}"));
        };
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                draw();
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            draw();
        });
        Ticker { bar, done, stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.bar.finish_and_clear();
    }
}

impl Progress {
    fn say(&self, msg: String) {
        match &self.bar {
            Some(pb) => pb.println(msg),
            None => eprintln!("{msg}"),
        }
    }
}

impl BatchProgress for Progress {
    fn removed_temporaries(&mut self, dir: &Path, count: usize) {
        self.say(format!("note: removed {count} temporary file(s) left in {} by an interrupted kyso", dir.display()));
    }

    fn finished(&mut self, job: &Job, result: &Result<(), BatchError>) {
        match result {
            Err(BatchError::Interrupted) => self.interrupted += 1,
            Err(e) => {
                self.failed += 1;
                self.say(format!("error: {}: {}", job.input.display(), batch_message(e)));
            }
            Ok(()) => {
                self.signed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A document's failure in the CLI's words (which flag would change it).
fn batch_message(e: &BatchError) -> String {
    match e {
        BatchError::AlreadyExists(p) => format!("{} already exists (use --force to replace it, or --add to add a signature)", p.display()),
        BatchError::NoSignatureToAdd(p) => format!("no signature {} to add to (drop --add to create it)", p.display()),
        BatchError::Document(io) if io.kind() == std::io::ErrorKind::NotFound => "the document does not exist".into(),
        other => other.to_string(),
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
fn sign_pdfs(args: &SignArgs, prepared: PreparedPdf, signer: DocumentSigner<Key>) -> Result<ExitCode, CliError> {
    let signer = signer.with_profile(Profile::Pades);
    let mut opts = prepared.opts;
    // The signing time: read once per run by the CLI (the library never reads the clock).
    opts.signing_time = time::OffsetDateTime::now_utc().to_offset(kyso::util::VIETNAM);
    opts.signer_name = Some(common_name(signer.subject()));
    // --tsa: PAdES-B-T, the signature timestamp added to the CMS before it goes into /Contents.
    let finish = crate::cmd_sign_evidence::Finisher::new(&args.trusted_time)?;
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
                let (crls, ocsps) = finish.evidence(&certs);
                let cms = cms_written.borrow().clone();
                let items = kyso::pdf::DssItems::new(&certs, &crls, &ocsps, Some(&cms));
                let up = kyso::pdf::add_dss_with(&signed.bytes, &items).map_err(|e| pdf_error(input, e))?;
                dss_note = format!(
                    "; /DSS: {} certificate(s), {} CRL(s), {} OCSP response(s) added",
                    up.certificates_added, up.crls_added, up.ocsps_added
                );
                let mut signed = signed;
                signed.bytes = up.bytes;
                Ok(signed)
            },
        );
        match r {
            Ok(signed) => {
                eprintln!("signed {} → {} (field {}{dss_note})", input.display(), output.display(), signed.field_name);
                if let Some(st) = signed.stamp {
                    if st.overlaps_text {
                        eprintln!(
                            "warning: the stamp overlaps the text of page {} in {}; choose its place with --rect X,Y (millimetres from the top-left)",
                            opts.page,
                            output.display()
                        );
                    } else if st.moved_down_mm > 0.0 {
                        eprintln!("note: the stamp was placed {:.0} mm lower than usual, below the page's text at the top right", st.moved_down_mm);
                    }
                }
            }
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


}
