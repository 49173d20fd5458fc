//! `kyso sign`: detached CAdES-B-B signatures (`FILE.p7s`) for one file or a batch, and
//! `--add` to append a signer (the agency's after the competent person's).

use crate::cmd_pdf::{pades_options, pades_output, pdf_error, sign_pdf_file, PadesArgs};
use crate::keyload::{Key, PinArgs};
use crate::util::{read_input, CliError, PassArgs};
use kyso::pdf::{PadesOptions, SignedRanges};
use kyso::sign::batch::{Batch, BatchError, BatchProgress, Job, Mode};
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
  kyso sign --pades --cert agency.pem --key agency.key --chain ca/chain.pem --tsa http://127.0.0.1:3180/ \
      --tsa-trust root.pem --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem --in-place cong-van-ky.pdf

The signature is a detached CMS SignedData (DER), profile CAdES-B-B: content-type,
message-digest, signing-time and signing-certificate-v2, with the certificate and its chain
(not the root). P-256 keys sign with SHA-256, P-384 with SHA-384, RSA with RSASSA-PSS and
SHA-256 (--rsa-pkcs1: PKCS#1 v1.5). The key passphrase comes from --pass-file, else
$KYSO_PASSPHRASE, else a prompt. A key on a token (--key pkcs11:…, RFC 7512) never leaves
it: its PIN comes from pin-source in the URI, --pin-file, $KYSO_PIN or a prompt, and
without --cert the certificate stored next to the key on the token is used.

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
        jobs.push(Job { input: f.clone(), output });
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
    if let Some(p) = pades {
        return sign_pdfs(&args, p, signer);
    }
    // --tsa / --embed-revocation: applied to each signature before it is written.
    let finish = crate::cmd_sign_evidence::Finisher::new(&args.trusted_time)?;

    let single = batch.jobs().len() == 1;
    let mut progress = Progress {
        bar: (!single && std::io::stderr().is_terminal()).then(|| {
            let pb = indicatif::ProgressBar::new(batch.jobs().len() as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {msg}") {
                pb.set_style(style);
            }
            pb
        }),
        failed: 0,
    };
    let results = batch.sign(&signer, now, |p7s| finish.apply(p7s), &mut progress);
    if let Some(pb) = &progress.bar {
        pb.finish_and_clear();
    }
    let failed = progress.failed;
    let total = results.len();
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

/// Prints what a batch reports: failures and notes above the progress bar (when stderr is a
/// terminal) or on stderr.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    failed: usize,
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
        if let Err(e) = result {
            self.failed += 1;
            self.say(format!("error: {}: {}", job.input.display(), batch_message(e)));
        }
        if let Some(pb) = &self.bar {
            pb.inc(1);
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


}
