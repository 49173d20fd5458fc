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
    "  kyso inspect letter.pdf.p7s              # a signature's structure (not verified: see kyso verify)\n",
    "  KYSO_PASSPHRASE=… kyso inspect unit.p12  # a .p12/.pfx: protection, keys and certificates\n\n",
    "Certificates, requests, CRLs, private keys, PKCS#12 files and CMS signatures, PEM or DER\n",
    "(signatures and PKCS#12 also BER);\n",
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
    if kyso::pkcs12::is_pkcs12(&bytes) {
        return inspect_p12(&a, &bytes);
    }
    let pass = if a.pass_file.is_some() || std::env::var_os("KYSO_PASSPHRASE").is_some_and(|v| !v.is_empty()) {
        Some(PassArgs { pass_file: a.pass_file.clone() }.get("the key")?)
    } else {
        None
    };
    let text = kyso::inspect::describe(&bytes, pass.as_ref().map(|p| p.as_slice()))
        .map_err(|e| CliError::failed(format!("{}: {e}", a.file.display())))?;
    out!("{text}");
    if !text.ends_with('\n') {
        outln!();
    }
    if pass.is_none() && kyso::KeyFile::parse(&bytes).is_ok_and(|k| k.is_encrypted()) {
        eprintln!("hint: give the passphrase with --pass-file FILE or KYSO_PASSPHRASE to see the key's algorithm and fingerprint");
    }
    Ok(ExitCode::SUCCESS)
}

/// A PKCS#12 file: how it is protected, its keys (friendly names, algorithms) and certificates
/// (subjects). Its contents need its password (a file without one opens without).
fn inspect_p12(a: &InspectArgs, bytes: &[u8]) -> Result<ExitCode, CliError> {
    let given = crate::util::PassSource { file: a.pass_file.as_deref(), env: "KYSO_PASSPHRASE", flag: "--pass-file" }.given()?;
    let password: zeroize::Zeroizing<Vec<u8>> = given.clone().unwrap_or_default();
    let p12 = match kyso::pkcs12::parse(bytes, &password) {
        Ok(p) => p,
        Err(kyso::pkcs12::Pkcs12Error::MacMismatch | kyso::pkcs12::Pkcs12Error::DecryptionFailed { .. }) if given.is_none() => {
            outln!("PKCS#12 file (.p12/.pfx), protected by a password");
            eprintln!("hint: give the password with --pass-file FILE or KYSO_PASSPHRASE to see its keys and certificates");
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(crate::p12::p12_error(&a.file, e)),
    };
    outln!("PKCS#12 file (.p12/.pfx){}", if given.is_none() { ", without a password" } else { "" });
    match &p12.protection.mac {
        Some(m) => outln!("  integrity:    {m}"),
        None => outln!("  integrity:    none (no MAC)"),
    }
    for s in &p12.protection.encryption {
        outln!("  encryption:   {s}{}", if s.legacy { " (legacy)" } else { "" });
    }
    if p12.protection.plain_keys > 0 {
        outln!("  unencrypted keys: {}", p12.protection.plain_keys);
    }
    for k in &p12.keys {
        let alg = kyso::PrivateKey::from_pkcs8_der(k.pkcs8_der()).map(|k| k.algorithm().to_string()).unwrap_or_else(|e| e.to_string());
        outln!("  key:          {alg}{}", k.friendly_name.as_ref().map(|n| format!(", friendly name '{n}'")).unwrap_or_default());
    }
    for c in &p12.certificates {
        let subject = kyso::inspect::cert_subject(&c.der).unwrap_or_else(|| "(unreadable certificate)".into());
        outln!("  certificate:  {subject}{}", c.friendly_name.as_ref().map(|n| format!(", friendly name '{n}'")).unwrap_or_default());
    }
    if p12.skipped_bags > 0 {
        outln!("  other bags:   {} (CRLs, secrets: not used by kyso)", p12.skipped_bags);
    }
    Ok(ExitCode::SUCCESS)
}
