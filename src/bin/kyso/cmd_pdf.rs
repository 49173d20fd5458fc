//! CLI glue for PAdES: the `kyso sign --pades …` flags (flattened into the sign command), their
//! cross-flag checks, and the output handling (`--out` or `--in-place`, atomic, never
//! overwriting without `--force`). The CMS comes from the sign command's signer, as a closure.

use crate::util::{read_input, CliError};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::pdf::{self, Appearance, MmRect, PadesOptions, PdfError, SignedRanges};
use std::path::{Path, PathBuf};

/// PDF inputs larger than this are refused: scanned official documents reach tens of MB; the
/// whole file is held in memory (twice while signing), so 512 MiB bounds memory use.
pub const MAX_PDF_BYTES: u64 = 512 * 1024 * 1024;
/// Image inputs (signature, seal) larger than this are refused: real ones are tens of KB.
const MAX_IMAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Font files larger than this are refused: text fonts are under a few MB.
const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

/// What the signature looks like (Decree 30/2020, Appendix I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AppearanceKind {
    /// The competent person's signature image (--image, --rect)
    Signature,
    /// The agency's seal at real size (--image), over the left third of the person's signature
    Seal,
    /// Text only: --doc-number and the signing time, top right of page 1 (attachments)
    Stamp,
    /// Invisible signature
    None,
}

/// `kyso sign --pades` options (flatten into the sign command's arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct PadesArgs {
    /// Sign a PDF in place as PAdES (an incremental update; earlier signatures stay valid)
    #[arg(long)]
    pub pades: bool,
    /// Visible appearance of the signature
    #[arg(long, value_enum, default_value_t = AppearanceKind::None, requires = "pades")]
    pub appearance: AppearanceKind,
    /// Signature or seal image (PNG; transparency kept; real size from its pHYs resolution)
    #[arg(long, value_name = "PNG", requires = "pades")]
    pub image: Option<PathBuf>,
    /// Page of the appearance (1-based)
    #[arg(long, value_name = "N", default_value_t = 1, requires = "pades")]
    pub page: u32,
    /// Position in millimetres from the page's top-left: X,Y,W,H (or X,Y for an image at real size)
    #[arg(long, value_name = "X,Y,W,H", value_parser = parse_rect, requires = "pades")]
    pub rect: Option<MmRect>,
    /// The document's number and symbol, for --appearance stamp (e.g. "Số: 123/UBND-VP")
    #[arg(long, value_name = "TEXT", requires = "pades")]
    pub doc_number: Option<String>,
    /// TrueType font for text (default: Liberation Serif 2.x when installed)
    #[arg(long, value_name = "FILE", requires = "pades")]
    pub font: Option<PathBuf>,
    /// Place the signature relative to a text line of the page (not supported yet)
    #[arg(long, value_name = "TEXT", requires = "pades")]
    pub anchor: Option<String>,
    /// Replace the input PDF (atomically) instead of writing --out
    #[arg(long, requires = "pades")]
    pub in_place: bool,
    /// Make a certification signature (the document's first): 1 = no later change but
    /// document timestamps, 2 = form filling and signing allowed, 3 = also annotations
    #[arg(long, value_name = "1|2|3", value_parser = clap::value_parser!(u8).range(1..=3), requires = "pades")]
    pub certify: Option<u8>,
    /// Lock every form field once signed (later changes to any field break this signature)
    #[arg(long, requires = "pades")]
    pub lock_fields: bool,
}

fn parse_rect(s: &str) -> Result<MmRect, String> {
    s.parse()
}

/// Checks the flags together and loads the files they name. `now` is the signing time (the CLI
/// reads the clock; the library never does).
pub fn pades_options(args: &PadesArgs, now: time::OffsetDateTime) -> Result<PadesOptions, CliError> {
    if args.anchor.is_some() {
        return Err(CliError::usage("--anchor is not supported yet").hint("give the position with --rect X,Y,W,H"));
    }
    let image = |what: &str| -> Result<Vec<u8>, CliError> {
        match &args.image {
            Some(p) => read_input(p, "image", MAX_IMAGE_BYTES),
            None => Err(CliError::usage(format!("--appearance {what} needs --image PNG"))),
        }
    };
    let appearance = match args.appearance {
        AppearanceKind::None => Appearance::None,
        AppearanceKind::Signature => {
            if args.rect.is_none() {
                return Err(CliError::usage("--appearance signature needs --rect X,Y,W,H (millimetres from the page's top-left)"));
            }
            Appearance::Signature { png: image("signature")? }
        }
        AppearanceKind::Seal => Appearance::Seal { png: image("seal")? },
        AppearanceKind::Stamp => match &args.doc_number {
            Some(n) if !n.trim().is_empty() => Appearance::Stamp { doc_number: n.clone() },
            _ => return Err(CliError::usage("--appearance stamp needs --doc-number TEXT (the document's number and symbol)")),
        },
    };
    if args.image.is_some() && !matches!(args.appearance, AppearanceKind::Signature | AppearanceKind::Seal) {
        return Err(CliError::usage("--image is only used with --appearance signature or seal"));
    }
    let mut opts = PadesOptions::new(now, appearance);
    opts.page = args.page;
    opts.rect = args.rect;
    opts.certify = args.certify.and_then(|p| pdf::MdpLevel::from_p(i64::from(p)));
    if args.lock_fields {
        opts.lock_fields = Some(pdf::FieldLock::All);
    }
    if args.appearance == AppearanceKind::Stamp {
        let path = match &args.font {
            Some(p) => p.clone(),
            None => pdf::default_font_path().ok_or_else(|| {
                CliError::usage("no font for the stamp text").hint("install Liberation Serif 2.x (Debian: apt-get install fonts-liberation2) or give --font FILE.ttf")
            })?,
        };
        opts.font = Some(read_input(&path, "font", MAX_FONT_BYTES)?);
    }
    Ok(opts)
}

/// Where the signed PDF goes: `--out FILE` or `--in-place` (exactly one).
pub fn pades_output(input: &Path, out: Option<&Path>, in_place: bool) -> Result<PathBuf, CliError> {
    match (out, in_place) {
        (Some(_), true) => Err(CliError::usage("give either --out or --in-place, not both")),
        (None, false) => Err(CliError::usage("a PDF signature needs --out OUT.pdf or --in-place")),
        (Some(o), false) => Ok(o.to_path_buf()),
        (None, true) => Ok(input.to_path_buf()),
    }
}

/// Signs one PDF file: reads it, signs with `make_cms`, writes atomically (`--in-place` replaces
/// the input; `--out` refuses an existing file unless `force`).
/// `then` may change the signed PDF (add a /DSS) before it is written.
pub fn sign_pdf_file<F, E, T>(
    input: &Path,
    output: &Path,
    in_place: bool,
    force: bool,
    opts: &PadesOptions,
    make_cms: F,
    then: T,
) -> Result<pdf::SignedPdf, CliError>
where
    F: FnMut(&SignedRanges<'_>) -> Result<Vec<u8>, E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
    T: FnOnce(pdf::SignedPdf) -> Result<pdf::SignedPdf, CliError>,
{
    // The output's advisory lock, held from the reading to the write: two runs signing the
    // same PDF in place take turns (the second reads the first's result) instead of one
    // losing the other's signature.
    let _lock = kyso::files::lock_target(output, kyso::sign::batch::LOCK_WAIT)
        .map_err(|e| CliError::failed(format!("cannot lock {}: {e}", output.display())))?;
    let bytes = read_input(input, "PDF", MAX_PDF_BYTES)?;
    let signed = pdf::sign(&bytes, opts, make_cms).map_err(|e| pdf_error(input, e))?;
    let signed = then(signed)?;
    let overwrite = if in_place || force { Overwrite::Replace } else { Overwrite::Refuse };
    write_atomic(output, &signed.bytes, overwrite, Secrecy::Public).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::failed(format!("{} already exists", output.display())).hint("use --force to replace it, or --in-place to sign the input itself")
        } else {
            CliError::failed(format!("cannot write {}: {e}", output.display()))
        }
    })?;
    Ok(signed)
}

/// A library error as a CLI error, with a hint naming the flag that changes the outcome.
pub fn pdf_error(input: &Path, e: PdfError) -> CliError {
    let msg = format!("{}: {e}", input.display());
    let hint = match &e {
        PdfError::MissingRect(_) => Some("give --rect X,Y,W,H (millimetres from the page's top-left)"),
        PdfError::NoSignatureToSeal(_) => Some("give --rect X,Y (real size) or X,Y,W,H"),
        PdfError::FontMissingGlyph(_) => Some("give such a font with --font FILE.ttf"),
        PdfError::NoFont => Some("install Liberation Serif 2.x (Debian: apt-get install fonts-liberation2) or give --font FILE.ttf"),
        PdfError::RotatedPage(_) => Some("use --appearance none, or another --page"),
        _ => None,
    };
    let err = pdf_error_class(msg, e);
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

/// Option problems are usage errors (2), document problems failed operations (1).
fn pdf_error_class(msg: String, e: PdfError) -> CliError {
    match e {
        PdfError::NoSuchPage { .. }
        | PdfError::MissingRect(_)
        | PdfError::NoSignatureToSeal(_)
        | PdfError::BadRect(_)
        | PdfError::Image(_)
        | PdfError::Font(_)
        | PdfError::FontMissingGlyph(_)
        | PdfError::NoFont
        | PdfError::FieldExists(_) => CliError::usage(msg),
        _ => CliError::failed(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        p: PadesArgs,
    }

    fn parse(args: &[&str]) -> Result<PadesArgs, clap::Error> {
        T::try_parse_from(std::iter::once("kyso").chain(args.iter().copied())).map(|t| t.p)
    }

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-11-30 06:30:27 +07:00)
    }

    #[test]
    fn flags_parse_and_need_pades() {
        let a = parse(&["--pades", "--appearance", "seal", "--rect", "10,20", "--page", "2"]).unwrap();
        assert_eq!(a.appearance, AppearanceKind::Seal);
        assert_eq!(a.rect, Some(MmRect { x: 10.0, y: 20.0, w: 0.0, h: 0.0 }));
        assert_eq!(a.page, 2);
        assert!(parse(&["--appearance", "seal"]).is_err(), "--appearance without --pades");
        let e = parse(&["--pades", "--rect", "1,2,3"]).unwrap_err();
        assert!(e.to_string().contains("X,Y,W,H"), "{e}");
    }

    #[test]
    fn cross_flag_checks_name_the_missing_flag() {
        let e = pades_options(&parse(&["--pades", "--appearance", "signature", "--image", "x.png"]).unwrap(), now()).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("--rect"), "{}", e.message);
        let e = pades_options(&parse(&["--pades", "--appearance", "seal"]).unwrap(), now()).unwrap_err();
        assert!(e.message.contains("--image"), "{}", e.message);
        let e = pades_options(&parse(&["--pades", "--appearance", "stamp"]).unwrap(), now()).unwrap_err();
        assert!(e.message.contains("--doc-number"), "{}", e.message);
        let e = pades_options(&parse(&["--pades", "--anchor", "CHÁNH VĂN PHÒNG"]).unwrap(), now()).unwrap_err();
        assert!(e.message.contains("--anchor"), "{}", e.message);
        let e = pades_options(&parse(&["--pades", "--image", "x.png"]).unwrap(), now()).unwrap_err();
        assert!(e.message.contains("--image is only used"), "{}", e.message);
        let o = pades_options(&parse(&["--pades"]).unwrap(), now()).unwrap();
        assert!(matches!(o.appearance, Appearance::None));
        assert_eq!(pades_output(Path::new("a.pdf"), None, true).unwrap(), Path::new("a.pdf"));
        assert_eq!(pades_output(Path::new("a.pdf"), None, false).unwrap_err().code, 2);
        assert_eq!(pades_output(Path::new("a.pdf"), Some(Path::new("b.pdf")), true).unwrap_err().code, 2);
    }
}
