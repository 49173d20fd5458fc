//! `kyso key new` and `kyso csr new`: a unit keeps its private key and sends only a request.

use crate::cmd_ca::{AlgArg, SubjectArgs};
use crate::util::{read_input, CliError, PassArgs};
use clap::{Args, Subcommand};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::keys::{Kdf, KeyError, KeyFile, PrivateKey};
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest key file read (64 KiB: an RSA-8192 PEM key is ~6.5 KB).
const MAX_KEY_FILE: u64 = 64 * 1024;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a private key (encrypted PKCS#8 PEM, mode 0600)
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  KYSO_PASSPHRASE=… kyso key new --out unit.key\n",
        "  kyso key new --out unit.key --alg p384 --pass-file pass.txt\n",
        "  openssl pkcs8 -in unit.key -passin file:pass.txt -noout   # OpenSSL opens it too\n\n",
        "EXIT CODES:\n  0  success\n  1  the output exists (use --force)\n  2  usage error, no passphrase available (or use --no-passphrase)"))]
    New(KeyNewArgs),
}

#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// Where to write the key
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Key algorithm
    #[arg(long, value_enum, default_value_t = AlgArg::P256)]
    pub alg: AlgArg,
    /// Write the key unencrypted (not recommended)
    #[arg(long)]
    pub no_passphrase: bool,
    /// Encrypt with scrypt instead of PBKDF2-SHA256
    #[arg(long)]
    pub scrypt: bool,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
}

#[derive(Debug, Subcommand)]
pub enum CsrCommand {
    /// Make a PKCS#10 request signed by your key, to send to the CA
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso key new --out binh.key\n",
        "  kyso csr new --key binh.key --cn \"Trần Thị Bình\" --org \"Sở Y tế tỉnh Bắc Ninh\" \\\n      --out binh.csr\n",
        "  # the CA then runs:\n  kyso ca issue --dir ca --profile person … --csr binh.csr --cert-out binh.pem\n\n",
        "EXIT CODES:\n  0  success\n  1  unusable key, the output exists (use --force)\n  2  usage error, key file missing, no or wrong passphrase"))]
    New(CsrNewArgs),
}

#[derive(Debug, Args)]
pub struct CsrNewArgs {
    /// Your private key (PEM or DER; encrypted or not)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Where to write the request (PEM)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
}

fn write_out(path: &std::path::Path, bytes: &[u8], force: bool, secrecy: Secrecy) -> Result<(), CliError> {
    let ow = if force { Overwrite::Replace } else { Overwrite::Refuse };
    write_atomic(path, bytes, ow, secrecy).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            CliError::failed(format!("{} already exists", path.display())).hint("use --force to overwrite it")
        }
        _ => CliError::failed(format!("cannot write {}: {e}", path.display())),
    })
}

/// Opens a key file, asking for a passphrase only when it is encrypted. A wrong or missing
/// passphrase is exit 2 (an input that stops the run, as in `kyso sign`).
pub fn open_key(path: &std::path::Path, pass: &PassArgs) -> Result<PrivateKey, CliError> {
    let bytes = zeroize::Zeroizing::new(read_input(path, "the key file", MAX_KEY_FILE)?);
    let file = KeyFile::parse(&bytes).map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
    let res = if file.is_encrypted() {
        let p = pass.get(&format!("the key {}", path.display()))?;
        file.open(Some(&p))
    } else {
        eprintln!("warning: the key {} is not encrypted", path.display());
        file.open(None)
    };
    res.map_err(|e| match e {
        KeyError::WrongPassphrase => CliError::usage(format!("cannot open the key {}: {e}", path.display()))
            .hint("check --pass-file / KYSO_PASSPHRASE"),
        _ => CliError::failed(format!("cannot open the key {}: {e}", path.display())),
    })
}

pub fn run_key(cmd: KeyCommand) -> Result<ExitCode, CliError> {
    match cmd {
        KeyCommand::New(a) => {
            if a.out.exists() && !a.force {
                return Err(CliError::failed(format!("{} already exists", a.out.display())).hint("use --force to overwrite it"));
            }
            let key = PrivateKey::generate(a.alg.key_algorithm()).map_err(|e| CliError::failed(e.to_string()))?;
            let pem = if a.no_passphrase {
                key.to_unencrypted_pem().map_err(|e| CliError::failed(e.to_string()))?
            } else {
                let p = a.pass.get_new(&format!("the new key {}", a.out.display()))?;
                let kdf = if a.scrypt { Kdf::Scrypt } else { Kdf::default() };
                key.to_encrypted_pem(&p, kdf).map_err(|e| CliError::failed(e.to_string()))?
            };
            write_out(&a.out, pem.as_bytes(), a.force, Secrecy::Secret)?;
            println!(
                "{} key written to {}{}",
                key.algorithm(),
                a.out.display(),
                if a.no_passphrase { " (NOT encrypted)" } else { " (encrypted PKCS#8)" }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn run_csr(cmd: CsrCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CsrCommand::New(a) => {
            if a.out.exists() && !a.force {
                return Err(CliError::failed(format!("{} already exists", a.out.display())).hint("use --force to overwrite it"));
            }
            let subject = a.subject.subject();
            // Only the generic rules here: the CA applies its profile when it issues.
            subject.check(kyso::ca::Profile::Tsa).map_err(|e| CliError::usage(crate::cmd_ca::profile_message(&e)))?;
            let key = open_key(&a.key, &a.pass)?;
            let der = kyso::csr::new_csr(&key, &subject).map_err(|e| CliError::failed(e.to_string()))?;
            let pem = pem::encode_config(
                &pem::Pem::new("CERTIFICATE REQUEST", der),
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            );
            write_out(&a.out, pem.as_bytes(), a.force, Secrecy::Public)?;
            println!("certificate request written to {}", a.out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
