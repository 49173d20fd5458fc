//! `kyso sign --pades` and `kyso verify FILE.pdf`: the PDF paths of the sign and verify commands.
//!
//! Signing: the sign command loads the certificate and key as for `.p7s` files, then hands its
//! [`DocumentSigner`] here; each PDF is signed with `kyso::pdf::sign`, the CMS made by the signer
//! in the PAdES profile (content-type, message-digest, signing-certificate-v2, no signing-time:
//! the time goes in /M). Verification: a PDF given without `--sig` and without a `FILE.pdf.p7s`
//! beside it is verified in place, every signature, with `Verifier::verify_pdf`.

use crate::cmd_pdf::{pades_options, pades_output, pdf_error, sign_pdf_file, PadesArgs, MAX_PDF_BYTES};
use crate::cmd_sign::SignArgs;
use crate::util::CliError;
use kyso::pdf::{PadesOptions, SignedRanges};
use kyso::findings::{Finding, IoProblem};
use kyso::report::{DocumentReport, RunReport, SubIndication};
use kyso::sign::{DocumentSigner, Profile};
use kyso::verify::{Job, Verifier};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The checked PAdES options of one `kyso sign --pades` run (prepared before the key is opened,
/// so that a wrong flag is reported before a passphrase is asked for).
pub struct Prepared {
    opts: PadesOptions,
    args: PadesArgs,
}

/// Checks the PAdES flags against the sign command's other flags and loads the image and font.
pub fn prepare(args: &SignArgs) -> Result<Prepared, CliError> {
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
    Ok(Prepared { opts, args: p.clone() })
}

/// Signs every PDF of `args.files` with `signer` (sequentially: each file may be signed several
/// times in a row by separate runs; within a run the files are distinct).
pub fn run(args: &SignArgs, prepared: Prepared, signer: DocumentSigner) -> Result<ExitCode, CliError> {
    let signer = signer.with_profile(Profile::Pades);
    let mut opts = prepared.opts;
    // The signing time: read once per run by the CLI (the library never reads the clock).
    opts.signing_time = time::OffsetDateTime::now_utc().to_offset(vietnam_offset());
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

/// Vietnam's offset (+07:00, no daylight saving): /M and the stamp show the local time.
fn vietnam_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC)
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

/// True when `path` is verified in place as a PDF: no `--sig`, no `FILE.p7s` beside it, and
/// the file starts like a PDF (`%PDF-` in its first kilobyte, as PDF readers accept).
pub fn verify_in_place(path: &Path, sig: Option<&Path>) -> bool {
    use std::io::Read;
    if sig.is_some() || sig_path(path).exists() {
        return false;
    }
    let mut head = [0u8; 1024];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return false,
    };
    head.get(..n).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-"))
}

fn sig_path(doc: &Path) -> PathBuf {
    let mut s = doc.as_os_str().to_owned();
    s.push(".p7s");
    PathBuf::from(s)
}

/// Verifies `files`: PDFs in place (see [`verify_in_place`]), the others against their `.p7s`
/// (or `--sig`), in parallel, reported in the order given.
pub fn verify_all(v: &Verifier, files: &[PathBuf], sig: Option<&Path>) -> RunReport {
    use rayon::prelude::*;
    let docs: Vec<DocumentReport> = files
        .par_iter()
        .map(|f| {
            if verify_in_place(f, sig) {
                verify_pdf_file(v, f)
            } else {
                let job = Job { document: f.clone(), signature: sig.map(Path::to_path_buf).unwrap_or_else(|| sig_path(f)) };
                v.verify_job(&job)
            }
        })
        .collect();
    RunReport::new(docs)
}

fn verify_pdf_file(v: &Verifier, f: &Path) -> DocumentReport {
    let label = f.display().to_string();
    match kyso::files::read_limited(f, MAX_PDF_BYTES) {
        Ok(bytes) => v.verify_pdf(&label, &bytes),
        Err(e) => DocumentReport::failed(label, None, SubIndication::FormatFailure, Finding::DocumentUnreadable(IoProblem::from(&e))),
    }
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
