//! `kyso timestamp`: upgrade an existing CAdES signature to B-T with a signature timestamp, or add a
//! document timestamp to a PDF.

use crate::util::{read_input, CliError};
use clap::Args;
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::tsp::{add_signature_timestamp, HttpClient, TokenCheck, TspError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A .p7s may embed the document (attached signature): 256 MiB bounds what is read into memory.
const P7S_LIMIT: u64 = 256 * 1024 * 1024;
/// Certificate files are small.
const CERT_LIMIT: u64 = 1024 * 1024;

const EXAMPLES: &str = "\
EXAMPLES:
  # add a signature timestamp to every signature of doc.pdf.p7s (the file is replaced atomically)
  kyso timestamp --tsa http://127.0.0.1:3180/ --tsa-trust root.pem doc.pdf.p7s

  # write the B-T signature elsewhere
  kyso timestamp --tsa http://127.0.0.1:3180/ --tsa-trust root.pem \\
      --out doc.pdf.bt.p7s doc.pdf.p7s

  # a signed PDF: add a document timestamp (PAdES, /SubFilter ETSI.RFC3161) over the whole file
  kyso timestamp --tsa http://127.0.0.1:3180/ --tsa-trust root.pem cong-van-da-ky.pdf

  # PAdES-LTA order: the /DSS (certificates and CRLs) first, then the document timestamp over it
  kyso timestamp --tsa http://127.0.0.1:3180/ --tsa-trust root.pem \\
      --embed-revocation --crl ca/crl.pem --crl root-ca/crl.pem cong-van-da-ky.pdf

Each token is checked before it is embedded: it must answer this request (imprint of the
signature value, nonce), be signed by a certificate with the critical id-kp-timeStamping EKU
named by its ESS signing-certificate attribute, and, with --tsa-trust, chain to one of those
anchors now. Without --tsa-trust the TSA chain is not checked (a warning says so).
Only http:// TSAs are supported (tokens are signed, so TLS adds nothing to their validity).

EXIT CODES:
  0  every signature without a timestamp got one
  1  the TSA failed, refused, or sent a token that does not check; or every signature was
     already timestamped (nothing written)
  2  usage error, or an input that cannot be read (missing file, not a CMS signature)";

/// `kyso timestamp`
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TimestampArgs {
    /// The TSA's URL (http://host:port/path)
    #[arg(long, value_name = "URL")]
    pub tsa: String,
    /// Trust anchors for the TSA certificate (PEM bundle or DER); repeatable
    #[arg(long, value_name = "FILE")]
    pub tsa_trust: Vec<PathBuf>,
    /// Extra certificates to build the TSA's chain (PEM bundle or DER); repeatable
    #[arg(long, value_name = "FILE")]
    pub tsa_chain: Vec<PathBuf>,
    /// Seconds before giving up on the TSA
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Write the result here instead of replacing FILE.p7s
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it exists
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Also embed revocation evidence for offline verification: the CRLs given with --crl and
    /// an OCSP answer for each certificate of the signatures, fetched from its CA's responder
    /// (its CRL when there is none): in the SignedData (crls) of a .p7s; in the /DSS of a PDF,
    /// with the certificates of its signatures, before the document timestamp (which then
    /// covers them)
    #[arg(long)]
    pub embed_revocation: bool,
    /// A CRL to embed (PEM or DER; repeatable); needs --embed-revocation
    #[arg(long, value_name = "FILE", requires = "embed_revocation")]
    pub crl: Vec<PathBuf>,
    /// The signature file (.p7s, DER or PEM; written back in the same encoding), or a PDF: a
    /// document timestamp is added to it
    #[arg(value_name = "FILE.p7s|FILE.pdf")]
    pub file: PathBuf,
}

fn certs(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let b = read_input(p, "the certificate file", CERT_LIMIT)?;
        out.extend(kyso::objects::certificates(&b).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))?);
    }
    Ok(out)
}

/// The fetcher of --embed-revocation.
fn fetcher() -> crate::fetch::HttpFetcher {
    crate::fetch::HttpFetcher::new(Duration::from_secs(10), crate::fetch::default_cache_dir(), time::OffsetDateTime::now_utc().unix_timestamp())
}

/// Runs `kyso timestamp`.
pub fn run(a: TimestampArgs) -> Result<ExitCode, CliError> {
    let client = HttpClient::new(&a.tsa, Duration::from_secs(a.timeout)).map_err(|e| CliError::usage(format!("--tsa: {e}")))?;
    let anchors = certs(&a.tsa_trust)?;
    let extra = certs(&a.tsa_chain)?;
    let crls = crate::cmd_sign_evidence::read_crls(&a.crl)?;
    if let Some(out) = &a.out {
        if out.exists() && !a.force {
            return Err(CliError::usage(format!("{} exists", out.display())).hint("add --force to replace it"));
        }
    }
    // Without --out the file is read, extended and replaced: under its advisory lock, read
    // once the lock is held (a concurrent `sign --add` or `timestamp` takes turns with this one).
    let _lock = match &a.out {
        None => Some(
            kyso::files::lock_target(&a.file, kyso::sign::batch::LOCK_WAIT)
                .map_err(|e| CliError::failed(format!("cannot lock {}: {e}", a.file.display())))?,
        ),
        Some(_) => None,
    };
    let input = read_input(&a.file, "the signature file", P7S_LIMIT)?;
    if anchors.is_empty() {
        eprintln!("warning: no --tsa-trust given: the TSA's certificate chain is NOT checked");
    }
    let now = time::OffsetDateTime::now_utc();
    let check = if anchors.is_empty() { TokenCheck::without_trust(now) } else { TokenCheck::new(&anchors, now) }.extra_certificates(&extra);
    if input.get(..1024.min(input.len())).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-")) {
        return run_pdf(&a, &client, &check, &crls, &input);
    }
    // PEM input is written back as PEM with the same label; DER stays DER.
    let (der, pem_label) = if kyso::objects::is_pem(&input) {
        kyso::objects::pem_blocks(&input)
            .map_err(|e| CliError::usage(format!("{}: {e}", a.file.display())))?
            .into_iter()
            .find(|(l, _)| l == "PKCS7" || l == "CMS")
            .map(|(l, d)| (d, Some(l)))
            .ok_or_else(|| CliError::usage(format!("{}: no PKCS7/CMS PEM block", a.file.display())))?
    } else {
        (input, None)
    };
    let der = if a.embed_revocation {
        let certs = kyso::tsp::evidence_certificates(&der).map_err(|e| CliError::usage(format!("{}: {e}", a.file.display())))?;
        let (fetched, ocsps) = crate::fetch::revocation_evidence(&certs, !crls.is_empty(), &fetcher());
        let all: Vec<Vec<u8>> = crls.iter().chain(fetched.iter()).cloned().collect();
        kyso::tsp::embed_revocation(&der, &all, &ocsps)
            .map_err(|e| CliError::usage(format!("{}: cannot embed the revocation evidence: {e}", a.file.display())))?
    } else {
        der
    };
    let result = add_signature_timestamp(&der, &client, &check).map_err(|e| match e {
        TspError::Malformed { .. } | TspError::TooLarge { .. } => CliError::usage(format!("{}: {e}", a.file.display())),
        TspError::AlreadyTimestamped => CliError::failed(format!("{}: {e}", a.file.display())).hint("nothing was written"),
        TspError::Transport(_) => CliError::failed(e.to_string()).hint("check the --tsa URL and that the TSA is running"),
        _ => CliError::failed(format!("{}: {e}", a.tsa)),
    })?;
    let (path, overwrite) = match &a.out {
        Some(o) => (o.clone(), if a.force { Overwrite::Replace } else { Overwrite::Refuse }),
        None => (a.file.clone(), Overwrite::Replace),
    };
    let bytes = match pem_label {
        Some(label) => pem::encode(&pem::Pem::new(label, result.p7s.clone())).into_bytes(),
        None => result.p7s.clone(),
    };
    write_atomic(&path, &bytes, overwrite, Secrecy::Public)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    for (i, t) in result.timestamps.iter().enumerate() {
        outln!(
            "timestamp {}: {} by {} (serial {}, policy {}, TSA chain {})",
            i + 1,
            kyso::report::rfc3339(t.gen_time),
            t.tsa_subject.dn,
            t.serial,
            t.policy,
            if t.chain_checked { "trusted" } else { "NOT checked" }
        );
    }
    if result.already_timestamped > 0 {
        outln!("{} signature(s) already had a timestamp and were left as they were", result.already_timestamped);
    }
    outln!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `kyso timestamp FILE.pdf`: a document timestamp (PAdES: /SubFilter ETSI.RFC3161) over the whole
/// PDF as it is, added as an incremental update; earlier signatures stay valid.
fn run_pdf(a: &TimestampArgs, client: &HttpClient, check: &TokenCheck<'_>, crls: &[Vec<u8>], pdf: &[u8]) -> Result<ExitCode, CliError> {
    use kyso::pdf::{Appearance, PadesOptions, PdfError, SignedRanges};
    use kyso::tsp::{fetch_token, verify_token_with, Imprint, TimestampInfo};
    // --embed-revocation: the /DSS first (the signatures' certificates and the CRLs), so that the
    // document timestamp covers it (the PAdES-LTA order).
    let with_dss;
    let mut dss_note = String::new();
    let pdf = if a.embed_revocation {
        let sigs = kyso::pdf::signatures(pdf).map_err(|e| crate::cmd_pdf::pdf_error(&a.file, e))?;
        let mut certs: Vec<Vec<u8>> = Vec::new();
        for c in sigs.iter().flat_map(|s| kyso::tsp::evidence_certificates(&s.contents).unwrap_or_default()) {
            if !certs.contains(&c) {
                certs.push(c);
            }
        }
        let (fetched, ocsps) = crate::fetch::revocation_evidence(&certs, !crls.is_empty(), &fetcher());
        let all: Vec<Vec<u8>> = crls.iter().chain(fetched.iter()).cloned().collect();
        let up = kyso::pdf::add_dss_with(pdf, &kyso::pdf::DssItems::new(&certs, &all, &ocsps, None)).map_err(|e| crate::cmd_pdf::pdf_error(&a.file, e))?;
        dss_note = format!("/DSS: {} certificate(s), {} CRL(s), {} OCSP response(s) added", up.certificates_added, up.crls_added, up.ocsps_added);
        with_dss = up.bytes;
        &with_dss[..]
    } else {
        pdf
    };
    let mut opts = PadesOptions::new(time::OffsetDateTime::now_utc(), Appearance::None);
    opts.document_timestamp = true;
    let mut issued: Option<TimestampInfo> = None;
    let signed = kyso::pdf::sign(pdf, &opts, |ranges: &SignedRanges<'_>| -> Result<Vec<u8>, TspError> {
        let imprint = Imprint { algorithm: kyso::DigestAlgorithm::Sha256, digest: ranges.digest(kyso::DigestAlgorithm::Sha256) };
        let token = fetch_token(client, &imprint)?;
        issued = Some(verify_token_with(&token, &imprint, check)?);
        Ok(token)
    });
    let signed = match signed {
        Ok(s) => s,
        Err(PdfError::Cms(e)) => {
            let hint = if e.to_string().starts_with("cannot reach the TSA") { "check the --tsa URL and that the TSA is running" } else { "nothing was written" };
            return Err(CliError::failed(format!("{}: {e}", a.tsa)).hint(hint));
        }
        Err(e) => return Err(crate::cmd_pdf::pdf_error(&a.file, e)),
    };
    let (path, overwrite) = match &a.out {
        Some(o) => (o.clone(), if a.force { Overwrite::Replace } else { Overwrite::Refuse }),
        None => (a.file.clone(), Overwrite::Replace),
    };
    write_atomic(&path, &signed.bytes, overwrite, Secrecy::Public)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    if let Some(t) = issued {
        outln!(
            "document timestamp {}: {} by {} (serial {}, policy {}, TSA chain {})",
            signed.field_name,
            kyso::report::rfc3339(t.gen_time),
            t.tsa_subject.dn,
            t.serial,
            t.policy,
            if t.chain_checked { "trusted" } else { "NOT checked" }
        );
    }
    if !dss_note.is_empty() {
        outln!("{dss_note}");
    }
    outln!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
