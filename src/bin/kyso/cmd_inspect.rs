//! `kyso inspect FILE`: describe a certificate, request, CRL or key (never key material).

use crate::util::{read_input, CliError, PassArgs};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest file inspected (16 MiB: a large CRL).
const MAX_INSPECT_FILE: u64 = 16 << 20;

#[derive(Debug, Args)]
#[command(after_help = concat!(
    "EXAMPLES:\n",
    "  kyso inspect certs-example/units/so-y-te/person.pem\n",
    "  kyso inspect certs-example/crl.pem\n",
    "  KYSO_PASSPHRASE=… kyso inspect unit.key   # with a passphrase: algorithm and public-key fingerprint\n\n",
    "  kyso inspect letter.pdf.p7s              # a signature's structure (not verified: see kyso verify)\n\n",
    "Certificates, requests, CRLs, private keys and CMS signatures, PEM or DER (signatures also BER);\n",
    "a PEM file may hold several objects.\n\n",
    "EXIT CODES:\n  0  success\n  1  not a recognised object, or malformed\n  2  usage error, the file does not exist"))]
pub struct InspectArgs {
    /// The file to describe
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Passphrase file to open an encrypted key (else $KYSO_PASSPHRASE; never prompted)
    #[arg(long, value_name = "FILE")]
    pub pass_file: Option<PathBuf>,
}

pub fn run(a: InspectArgs) -> Result<ExitCode, CliError> {
    let bytes = zeroize::Zeroizing::new(read_input(&a.file, "the file", MAX_INSPECT_FILE)?);
    let pass = if a.pass_file.is_some() || std::env::var_os("KYSO_PASSPHRASE").is_some_and(|v| !v.is_empty()) {
        Some(PassArgs { pass_file: a.pass_file.clone() }.get("the key")?)
    } else {
        None
    };
    let text = kyso::inspect::describe(&bytes, pass.as_ref().map(|p| p.as_slice()))
        .map_err(|e| CliError::failed(format!("{}: {e}", a.file.display())))?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    if pass.is_none() && kyso::KeyFile::parse(&bytes).is_ok_and(|k| k.is_encrypted()) {
        eprintln!("hint: give the passphrase with --pass-file FILE or KYSO_PASSPHRASE to see the key's algorithm and fingerprint");
    }
    Ok(ExitCode::SUCCESS)
}
