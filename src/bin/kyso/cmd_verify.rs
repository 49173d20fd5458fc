//! `kyso verify` and `kyso cert verify`: argument definitions and the thin glue to
//! `kyso::verify`. The validation time is read here (now, or `--at`), never in the library.

use crate::util::{read_input, CliError};
use clap::{Args, Subcommand, ValueEnum};
use crate::cmd_pdf::MAX_PDF_BYTES;
use kyso::findings::{Finding, IoProblem};
use kyso::report::{render_cert, render_run_with, DocumentReport, Lang, RenderOptions, RunReport, SubIndication};
use kyso::verify::{Job, Options, Purpose, RevocationMode, Verifier};
use kyso::Policy;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Size limit for `--trust`, `--chain` and `--crl` files: a PEM bundle of a national root store
/// is < 1 MB; a large CRL a few tens of MB.
const INPUT_LIMIT: u64 = 64 * 1024 * 1024;

const VERIFY_EXAMPLES: &str = "\
EXAMPLES:
  # only the root: the status of each certificate is asked of its CA's OCSP responder or CRL
  # distribution point (http, cached until nextUpdate); each fetch is named in the report
  kyso verify cong-van-123.pdf --trust root.pem
  kyso verify cong-van-123.pdf --trust root.pem --offline --crl crls.pem   # never connect
  kyso verify cong-van-123.pdf --trust root.pem --crl ca/crl.pem
  kyso verify *.docx --trust root.pem --chain ca/chain.pem --json > report.json
  # a folder (with its subfolders: -r): each document X paired with X.p7s, each X.p7s with X
  kyso verify -r received/ --trust root.pem
  kyso verify scan.pdf --sig scan.sig.p7s --trust root.pem --lang en
  kyso verify cong-van.txt --trust root.pem --crl ca/crl.pem --verbose   # full names, every check
  kyso verify old-2012.doc --trust old-root.pem --policy legacy --at 2013-01-15T09:00:00+07:00
  kyso verify a.pdf --trust root.pem --offline --revocation warn   # triage: VALID says \"revocation NOT CHECKED\"
  # a signed PDF (PAdES) without a .p7s beside it: every signature inside is verified
  kyso verify cong-van-ky.pdf --trust root.pem --crl crl.pem --json

EXIT CODES:
  0  every signature TOTAL_PASSED
  1  some signature TOTAL_FAILED, or in a batch some file could not be read
  2  usage error, or an input that stops the run (missing --trust, a single missing document)
  3  some signature INDETERMINATE (and none failed), e.g. TRY_LATER: no usable CRL or OCSP answer
     for some certificate (the report says which, where kyso looked, and what to give)";

const CERT_EXAMPLES: &str = "\
EXAMPLES:
  kyso cert verify unit.pem --trust root.pem --chain ca/chain.pem   # OCSP/CRL fetched as needed
  kyso cert verify unit.pem --trust root.pem --chain ca/chain.pem --crl ca/crl.pem --offline
  kyso cert verify unit.pem --trust root.pem --purpose any --json
  kyso cert verify old.pem --trust root.pem --at 2020-06-01T00:00:00Z

EXIT CODES:
  0  TOTAL_PASSED
  1  TOTAL_FAILED (revoked, not yet valid, malformed)
  2  usage error, or an input that stops the run
  3  INDETERMINATE (no path, expired, constraints, no usable CRL or OCSP answer: TRY_LATER)";

/// Algorithm policy (DESIGN.md §4 rule 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// SHA-256+, RSA ≥ 2048, P-256/P-384, Ed25519
    Strict,
    /// strict + SHA-1 and RSA PKCS#1 v1.5 with SHA-1 (documents signed around 2012), with a warning
    Legacy,
}

/// Revocation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RevocationArg {
    /// no usable CRL or OCSP answer → INDETERMINATE/TRY_LATER (the default)
    Require,
    /// no usable CRL or OCSP answer → a warning ("revocation not checked"), for offline triage
    Warn,
    /// do not check revocation
    Off,
}

/// Language of the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Tiếng Việt
    Vi,
    /// English
    En,
}

/// Purpose imposed on the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    /// not a CA; digitalSignature or nonRepudiation; EKU, if any, allows documentSigning or emailProtection
    DocumentSigning,
    /// no key usage or EKU imposed
    Any,
}

/// Trust inputs and options shared by `verify` and `cert verify`.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Trust anchor certificate(s), PEM (several per file allowed) or DER
    #[arg(long, value_name = "FILE", required = true)]
    pub trust: Vec<PathBuf>,
    /// Extra intermediate CA certificates, PEM or DER
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// CRL(s), PEM or DER; each is verified before use
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// OCSP response file(s), DER; each is verified before use
    #[arg(long, value_name = "FILE")]
    pub ocsp: Vec<PathBuf>,
    /// Never fetch: use only the CRLs and OCSP answers given or embedded (without it, a missing
    /// status is fetched from the certificate's OCSP responder and CRL distribution points,
    /// http only, and each fetch is named in the report)
    #[arg(long)]
    pub offline: bool,
    /// Folder caching fetched CRLs and OCSP answers until their nextUpdate [default:
    /// $XDG_CACHE_HOME/kyso or ~/.cache/kyso]
    #[arg(long, value_name = "DIR", env = "KYSO_CACHE")]
    pub cache: Option<PathBuf>,
    /// Seconds allowed for each fetch
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub fetch_timeout: u64,
    /// Validation time, RFC 3339 (default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// What to do when revocation status cannot be established
    #[arg(long, value_enum, default_value = "require")]
    pub revocation: RevocationArg,
    /// Algorithm policy
    #[arg(long, value_enum, default_value = "strict")]
    pub policy: PolicyArg,
    /// Certificate policy OID the path must be valid for (RFC 5280 user-initial-policy-set;
    /// repeatable; default: any policy)
    #[arg(long = "policy-oid", value_name = "OID")]
    pub policy_oid: Vec<String>,
    /// Require a valid certificate policy on the path (RFC 5280 initial-explicit-policy)
    #[arg(long)]
    pub require_explicit_policy: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    /// Language of the human output
    #[arg(long, value_enum, default_value = "vi")]
    pub lang: LangArg,
}

/// `kyso verify`.
#[derive(Debug, Clone, Args)]
#[command(after_help = VERIFY_EXAMPLES)]
pub struct VerifyArgs {
    /// Documents, their .p7s signatures, or folders: each document is paired with FILE.p7s
    /// (unless --sig is given), each X.p7s with its document X; a PDF without FILE.p7s is
    /// verified in place (every signature inside); a signed PDF with FILE.p7s beside it gets
    /// both verified (two reports)
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// With a folder: also the files in its subfolders
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// The detached signature file (only with a single document)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// Human output: also show full distinguished names, serial numbers and every check
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `kyso cert …`.
#[derive(Debug, Clone, Args)]
pub struct CertArgs {
    #[command(subcommand)]
    pub command: CertCommand,
}

/// Certificate commands.
#[derive(Debug, Clone, Subcommand)]
pub enum CertCommand {
    /// Validate one certificate's path to a trust anchor (same core as `verify`)
    #[command(after_help = CERT_EXAMPLES)]
    Verify(CertVerifyArgs),
}

/// `kyso cert verify`.
#[derive(Debug, Clone, Args)]
pub struct CertVerifyArgs {
    /// The certificate, PEM or DER
    #[arg(value_name = "CERT")]
    pub cert: PathBuf,
    /// What the certificate must be good for
    #[arg(long, value_enum, default_value = "document-signing")]
    pub purpose: PurposeArg,
    #[command(flatten)]
    pub trust: TrustArgs,
}

pub(crate) fn parse_time(at: &Option<String>) -> Result<time::OffsetDateTime, CliError> {
    match at {
        None => Ok(time::OffsetDateTime::now_utc()),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| {
            CliError::usage(format!("--at {s:?} is not an RFC 3339 time: {e}")).hint("for example --at 2026-11-30T09:00:00+07:00")
        }),
    }
}

fn read_certs(paths: &[PathBuf], what: &str) -> Result<Vec<Vec<u8>>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let bytes = read_input(p, what, INPUT_LIMIT)?;
        let certs = kyso::objects::certificates(&bytes)
            .map_err(|e| CliError::usage(format!("{what} {}: {e}", p.display())))?;
        out.extend(certs);
    }
    Ok(out)
}

/// The trust inputs of `TrustArgs`, read once (`kyso web` builds a verifier per request from them).
pub(crate) struct TrustInputs {
    pub(crate) anchors: Vec<Vec<u8>>,
    chain: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    ocsps: Vec<Vec<u8>>,
    policy: Policy,
    revocation: RevocationMode,
    oids: Vec<const_oid::ObjectIdentifier>,
    require_explicit_policy: bool,
}

/// Reads the files and checks the flags of `t`.
pub(crate) fn trust_inputs(t: &TrustArgs) -> Result<TrustInputs, CliError> {
    let anchors = read_certs(&t.trust, "the trust anchor file")?;
    let chain = read_certs(&t.chain, "the chain file")?;
    let mut crls = Vec::new();
    for p in &t.crl {
        let bytes = read_input(p, "the CRL file", INPUT_LIMIT)?;
        crls.extend(kyso::objects::crls(&bytes).map_err(|e| CliError::usage(format!("the CRL file {}: {e}", p.display())))?);
    }
    let policy = match t.policy {
        PolicyArg::Strict => Policy::Strict,
        PolicyArg::Legacy => Policy::Legacy,
    };
    let revocation = match t.revocation {
        RevocationArg::Require => RevocationMode::Require,
        RevocationArg::Warn => RevocationMode::Warn,
        RevocationArg::Off => RevocationMode::Off,
    };
    let mut oids = Vec::new();
    for o in &t.policy_oid {
        oids.push(
            const_oid::ObjectIdentifier::new(o)
                .map_err(|e| CliError::usage(format!("--policy-oid {o:?} is not an OID: {e}")).hint("for example --policy-oid 2.16.704.1.1.1"))?,
        );
    }
    let mut ocsps = Vec::new();
    for p in &t.ocsp {
        ocsps.push(read_input(p, "the OCSP response file", INPUT_LIMIT)?);
    }
    Ok(TrustInputs { anchors, chain, crls, ocsps, policy, revocation, oids, require_explicit_policy: t.require_explicit_policy })
}

impl TrustInputs {
    /// A verifier validating at `time`, fetching missing revocation data from `source`.
    pub(crate) fn verifier(
        &self,
        time: time::OffsetDateTime,
        source: std::sync::Arc<dyn kyso::revocation::source::RevocationSource>,
    ) -> Result<Verifier, kyso::VerifyError> {
        Ok(Verifier::new(&self.anchors, &self.chain, &self.crls, Options::at(time).policy(self.policy).revocation(self.revocation))?
            .with_policies(self.oids.clone(), self.require_explicit_policy)
            .with_ocsp_responses(&self.ocsps)
            .with_revocation_source(source))
    }
}

pub(crate) fn verifier(t: &TrustArgs) -> Result<Verifier, CliError> {
    verifier_with(t, Vec::new())
}

/// [`verifier`] with extra intermediate certificates (those after the certificate in its file).
fn verifier_with(t: &TrustArgs, extra_chain: Vec<Vec<u8>>) -> Result<Verifier, CliError> {
    let time = parse_time(&t.at)?;
    let mut inputs = trust_inputs(t)?;
    inputs.chain.extend(extra_chain);
    inputs
        .verifier(time, revocation_source(t, time::OffsetDateTime::now_utc().unix_timestamp()))
        .map_err(|e| CliError::usage(e.to_string()))
}

/// Where missing revocation data comes from: nothing with --offline, else HTTP with a cache.
pub fn revocation_source(t: &TrustArgs, now: i64) -> std::sync::Arc<dyn kyso::revocation::source::RevocationSource> {
    if t.offline {
        return std::sync::Arc::new(kyso::revocation::source::Offline);
    }
    let cache = t.cache.clone().or_else(crate::fetch::default_cache_dir);
    std::sync::Arc::new(crate::fetch::HttpFetcher::new(std::time::Duration::from_secs(t.fetch_timeout), cache, now))
}

pub(crate) fn lang(l: LangArg) -> Lang {
    match l {
        LangArg::Vi => Lang::Vi,
        LangArg::En => Lang::En,
    }
}

/// Writes to stdout, ignoring a closed pipe (`kyso verify … | head`).
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn sig_path(doc: &Path) -> PathBuf {
    let mut s = doc.as_os_str().to_owned();
    s.push(".p7s");
    PathBuf::from(s)
}

/// True when `path` is verified in place as a PDF: no `--sig`, no `FILE.p7s` beside it, and
/// the file starts like a PDF (`%PDF-` in its first kilobyte, as PDF readers accept).
pub fn verify_in_place(path: &Path, sig: Option<&Path>) -> bool {
    use std::io::Read;
    if sig.is_some() || sig_path(path).exists() {
        return false;
    }
    let mut head = [0u8; 1024];
    // Opened without blocking, regular files only (a FIFO is reported by the verification).
    let n = match kyso::files::InputFile::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return false,
    };
    head.get(..n).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-"))
}

/// True for a detached signature's file name (`.p7s`, any letter case).
pub fn is_signature_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("p7s"))
}

/// What one input of `kyso verify` is, once paired (`X` ↔ `X.p7s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A document and its detached signature (the signature may be absent: reported so).
    Detached {
        /// The document.
        document: PathBuf,
        /// Its signature file.
        signature: PathBuf,
    },
    /// A PDF verified in place (every signature inside).
    InPlace(PathBuf),
    /// A `.p7s` whose document is absent.
    DocumentMissing {
        /// The document looked for.
        document: PathBuf,
        /// The signature file given.
        signature: PathBuf,
    },
}

impl Target {
    fn document(&self) -> &Path {
        match self {
            Target::Detached { document, .. } | Target::DocumentMissing { document, .. } | Target::InPlace(document) => document,
        }
    }
}

/// Upper bound on the files one run collects from folders: a province's archive folder holds
/// a few tens of thousands of documents; a million guards against a mistaken `-r /`.
const MAX_FOLDER_FILES: usize = 1_000_000;

/// The files of `dir` (sorted by name; hidden files such as kyso's own temporaries left out),
/// descending into subfolders when `recursive`. Returns the number of subfolders skipped.
fn folder_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<usize, CliError> {
    let read = std::fs::read_dir(dir).map_err(|e| CliError::failed(format!("cannot read the folder {}: {e}", dir.display())))?;
    let mut entries: Vec<PathBuf> = Vec::new();
    for e in read {
        let e = e.map_err(|e| CliError::failed(format!("cannot read the folder {}: {e}", dir.display())))?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        entries.push(e.path());
    }
    entries.sort();
    let mut skipped = 0;
    for p in entries {
        // Symbolic links to folders are not followed (no cycles); links to files are files.
        let is_dir = std::fs::symlink_metadata(&p).map(|m| m.is_dir()).unwrap_or(false);
        if is_dir {
            if recursive {
                skipped += folder_files(&p, true, out)?;
            } else {
                skipped += 1;
            }
        } else {
            if out.len() >= MAX_FOLDER_FILES {
                return Err(CliError::usage(format!("more than {MAX_FOLDER_FILES} files under {}", dir.display())));
            }
            out.push(p);
        }
    }
    Ok(skipped)
}

/// Pairs the command line's inputs: folders are expanded (`recursive`: with their subfolders),
/// `X.p7s` is the signature of `X`, `X` is signed by `X.p7s` (or `sig`), a PDF without one is
/// verified in place. Each document appears once, in the order first named.
pub fn targets(files: &[PathBuf], sig: Option<&Path>, recursive: bool) -> Result<Vec<Target>, CliError> {
    if let (Some(sig), [doc]) = (sig, files) {
        return Ok(vec![Target::Detached { document: doc.clone(), signature: sig.to_path_buf() }]);
    }
    let mut paths = Vec::new();
    for f in files {
        if f.is_dir() {
            let skipped = folder_files(f, recursive, &mut paths)?;
            if skipped > 0 {
                eprintln!("note: {} subfolder(s) of {} not verified (add -r to include them)", skipped, f.display());
            }
        } else {
            paths.push(f.clone());
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        let t = if is_signature_name(&p) {
            let document = p.with_extension("");
            if document.is_file() {
                Target::Detached { document, signature: p }
            } else {
                Target::DocumentMissing { document, signature: p }
            }
        } else if verify_in_place(&p, None) {
            Target::InPlace(p)
        } else {
            let signature = sig_path(&p);
            Target::Detached { document: p, signature }
        };
        if seen.insert(t.document().to_path_buf()) {
            out.push(t);
        }
    }
    Ok(out)
}

/// True when the file starts like a PDF and holds a signature dictionary (`/ByteRange`): its
/// embedded signatures are verified too when a detached signature is beside it.
fn pdf_with_signatures(path: &Path) -> bool {
    kyso::files::read_limited(path, MAX_PDF_BYTES).is_ok_and(|b| {
        b.get(..b.len().min(1024)).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-")) && b.windows(10).any(|w| w == b"/ByteRange")
    })
}

/// Verifies paired targets in parallel, reported in order. A PDF with a detached signature
/// beside it that also holds signatures inside gets two reports: the detached signature's, then
/// the embedded ones' (nothing is ignored without a word).
/// (`--sig` names the one signature to check: then only that one.)
pub fn verify_targets(v: &Verifier, targets: &[Target], also_embedded: bool) -> RunReport {
    use rayon::prelude::*;
    let docs: Vec<DocumentReport> = targets
        .par_iter()
        .flat_map_iter(|t| {
            let embedded = match t {
                Target::Detached { document, signature } if also_embedded && signature.exists() && pdf_with_signatures(document) => Some(document),
                _ => None,
            };
            std::iter::once(verify_target(v, t)).chain(embedded.map(|d| verify_pdf_file(v, d)))
        })
        .collect();
    RunReport::new(docs)
}

fn verify_target(v: &Verifier, t: &Target) -> DocumentReport {
    match t {
            Target::InPlace(f) => verify_pdf_file(v, f),
            Target::DocumentMissing { document, .. } => DocumentReport::failed(
                document.display().to_string(),
                None,
                SubIndication::SignedDataNotFound,
                Finding::DocumentMissing { document: document.display().to_string() },
            ),
            Target::Detached { document, signature } if !signature.exists() && document.is_file() => DocumentReport::failed(
                document.display().to_string(),
                None,
                SubIndication::FormatFailure,
                Finding::SignatureMissing { signature: signature.display().to_string() },
            ),
            Target::Detached { document, signature } => {
                v.verify_job(&Job { document: document.clone(), signature: signature.clone() })
            }
    }
}

fn verify_pdf_file(v: &Verifier, f: &Path) -> DocumentReport {
    let label = f.display().to_string();
    match kyso::files::read_limited(f, MAX_PDF_BYTES) {
        Ok(bytes) => v.verify_pdf(&label, &bytes),
        Err(e) => DocumentReport::failed(label, None, SubIndication::FormatFailure, Finding::DocumentUnreadable(IoProblem::from(&e))),
    }
}

/// Runs `kyso verify`.
pub fn run_verify(a: VerifyArgs) -> Result<ExitCode, CliError> {
    if a.sig.is_some() && a.files.len() > 1 {
        return Err(CliError::usage("--sig can only be used with a single document")
            .hint("without --sig, the signature of FILE is read from FILE.p7s"));
    }
    if let [doc] = a.files.as_slice() {
        if doc.is_dir() || (a.sig.is_none() && is_signature_name(doc) && doc.exists()) {
            // a folder, or a signature given for its document: paired below
        } else if !doc.exists() {
            return Err(CliError::usage(format!("the document {} does not exist", doc.display())).hint("check the path"));
        } else {
            // (a document that exists but cannot be read is reported, with why, in the report)
            let sig = a.sig.clone().unwrap_or_else(|| sig_path(doc));
            if !sig.exists() && !verify_in_place(doc, a.sig.as_deref()) {
                return Err(CliError::usage(format!("the signature file {} does not exist", sig.display()))
                    .hint("give the signature file with --sig FILE"));
            }
        }
    }
    if a.sig.is_some() && a.files.first().is_some_and(|f| f.is_dir()) {
        return Err(CliError::usage("--sig needs a document, not a folder"));
    }
    let targets = targets(&a.files, a.sig.as_deref(), a.recursive)?;
    if targets.is_empty() {
        return Err(CliError::usage("no file to verify in the folder(s) given").hint("add -r to include subfolders"));
    }
    let v = verifier(&a.trust)?;
    // PDFs without a .p7s are verified in place (every signature); the others against their
    // detached signature.
    let report = verify_targets(&v, &targets, a.sig.is_none());
    if a.trust.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(format!("cannot encode the report: {e}")))?;
        print_out(&format!("{text}\n"));
    } else {
        let opts = RenderOptions::new(lang(a.trust.lang))
            .verbose(a.verbose)
            .validation_time(v.options().time)
            .legacy_policy_hint("--policy legacy");
        print_out(&render_run_with(&report, &opts));
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// Runs `kyso cert …`.
pub fn run_cert(a: CertArgs) -> Result<ExitCode, CliError> {
    match a.command {
        CertCommand::Verify(a) => {
            let bytes = read_input(&a.cert, "the certificate", INPUT_LIMIT)?;
            let certs = kyso::objects::certificates(&bytes)
                .map_err(|e| CliError::usage(format!("the certificate {}: {e}", a.cert.display())))?;
            // The first certificate is the one validated; those after it (as `kyso ca issue
            // --cert-out` writes them) are its chain.
            let mut certs = certs.into_iter();
            let cert = certs.next().ok_or_else(|| CliError::usage(format!("{} holds no certificate", a.cert.display())))?;
            let v = verifier_with(&a.trust, certs.collect())?;
            let purpose = match a.purpose {
                PurposeArg::DocumentSigning => Purpose::DocumentSigning,
                PurposeArg::Any => Purpose::Any,
            };
            let report = v.verify_certificate(&cert, &purpose);
            if a.trust.json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(format!("cannot encode the report: {e}")))?;
                print_out(&format!("{text}\n"));
            } else {
                print_out(&render_cert(&report, lang(a.trust.lang)));
            }
            Ok(ExitCode::from(report.indication.exit_code()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdfs_without_a_p7s_are_verified_in_place() {
        let d = tempfile::tempdir().unwrap();
        let pdf = d.path().join("a.pdf");
        std::fs::write(&pdf, b"%PDF-1.7\n%%EOF\n").unwrap();
        let txt = d.path().join("a.txt");
        std::fs::write(&txt, b"hello").unwrap();
        assert!(verify_in_place(&pdf, None));
        assert!(!verify_in_place(&pdf, Some(Path::new("x.p7s"))));
        assert!(!verify_in_place(&txt, None));
        assert!(!verify_in_place(&d.path().join("missing.pdf"), None));
        std::fs::write(d.path().join("a.pdf.p7s"), b"x").unwrap();
        assert!(!verify_in_place(&pdf, None), "a detached signature beside it wins");
    }
}
