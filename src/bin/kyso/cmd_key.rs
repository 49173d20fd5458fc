//! `kyso key new` and `kyso csr new`: a unit keeps its private key and sends only a request.

use crate::cmd_ca::SubjectArgs;
use crate::keyload::{load_key, open_token, token_error, Key, PinArgs};
use crate::util::{CliError, PassArgs};
use clap::{Args, Subcommand, ValueEnum};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::keys::{Kdf, KeyAlgorithm, PrivateKey, RsaPadding};
use std::path::PathBuf;
use std::process::ExitCode;

/// Algorithm of a new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NewKeyAlg {
    /// ECDSA P-256 (default)
    P256,
    /// ECDSA P-384
    P384,
    /// RSA 2048 bits (on a token only)
    Rsa2048,
    /// RSA 3072 bits (on a token only)
    Rsa3072,
}

impl NewKeyAlg {
    fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            NewKeyAlg::P256 => KeyAlgorithm::EcdsaP256,
            NewKeyAlg::P384 => KeyAlgorithm::EcdsaP384,
            NewKeyAlg::Rsa2048 => KeyAlgorithm::Rsa(2048),
            NewKeyAlg::Rsa3072 => KeyAlgorithm::Rsa(3072),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a private key (encrypted PKCS#8 PEM, mode 0600)
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  KYSO_PASSPHRASE=… kyso key new --out unit.key\n",
        "  kyso key new --out unit.key --alg p384 --pass-file pass.txt\n",
        "  openssl pkcs8 -in unit.key -passin file:pass.txt -noout   # OpenSSL opens it too\n",
        "  # on a USB token or HSM: the key never leaves it; a request for the CA is written\n",
        "  kyso key new --token 'pkcs11:token=kyso' --label syt --alg p256 --pin-file pin.txt \\\n",
        "      --csr syt.csr --cn \"Sở Y tế tỉnh Bắc Ninh\" --org \"Sở Y tế tỉnh Bắc Ninh\"\n\n",
        "With --token, the key pair is generated on the token (private key sensitive, not\n",
        "extractable; CKA_ID = SHA-1 of the public key), labelled --label, and its pkcs11: URI is\n",
        "printed for --key. The token's module: module-path in the URI, --module,\n",
        "$KYSO_PKCS11_MODULE, or the known locations; the PIN: pin-source in the URI, --pin-file,\n",
        "$KYSO_PIN, or a prompt.\n\n",
        "EXIT CODES:\n  0  success\n  1  the output exists (use --force), the label is taken, the token refused\n",
        "  2  usage error, no passphrase available (or use --no-passphrase), no module/token, wrong PIN"))]
    New(KeyNewArgs),
}

#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// Where to write the key (a file key)
    #[arg(long, value_name = "FILE", required_unless_present = "token", conflicts_with = "token")]
    pub out: Option<PathBuf>,
    /// Key algorithm (RSA on a token only)
    #[arg(long, value_enum, default_value_t = NewKeyAlg::P256)]
    pub alg: NewKeyAlg,
    /// Write the key unencrypted (not recommended)
    #[arg(long)]
    pub no_passphrase: bool,
    /// Encrypt with scrypt instead of PBKDF2-SHA256
    #[arg(long)]
    pub scrypt: bool,
    /// Overwrite --out (or --csr) if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
    /// Generate the key on this PKCS#11 token instead (a pkcs11: URI naming the token)
    #[arg(long, value_name = "URI", requires = "label", conflicts_with_all = ["no_passphrase", "scrypt"])]
    pub token: Option<String>,
    /// The new key's label on the token (CKA_LABEL)
    #[arg(long, value_name = "NAME", requires = "token")]
    pub label: Option<String>,
    /// The PKCS#11 module, when the URI has no module-path
    #[arg(long, value_name = "PATH", requires = "token")]
    pub module: Option<PathBuf>,
    #[command(flatten)]
    pub pin: PinArgs,
    /// With --token: also write a certificate request (PEM) signed by the new key, for the
    /// subject given by --cn, --org, …
    #[arg(long, value_name = "FILE", requires_all = ["token", "cn"])]
    pub csr: Option<PathBuf>,
    #[command(flatten)]
    pub subject: CsrSubjectArgs,
}

/// The subject of `key new --token --csr` (the fields of `csr new`, all optional here).
#[derive(Debug, Clone, Args)]
pub struct CsrSubjectArgs {
    /// With --csr: the common name (the unit's name or the person's full name)
    #[arg(long, value_name = "NAME", requires = "csr")]
    pub cn: Option<String>,
    /// With --csr: organisation
    #[arg(long, value_name = "O", requires = "csr")]
    pub org: Option<String>,
    /// With --csr: organisational unit
    #[arg(long, value_name = "OU", requires = "csr")]
    pub ou: Option<String>,
    /// With --csr: the person's title
    #[arg(long, value_name = "T", requires = "csr")]
    pub title: Option<String>,
    /// With --csr: identifier (MST:…, MNS:…, CCCD:…)
    #[arg(long, value_name = "UID", requires = "csr")]
    pub uid: Option<String>,
    /// With --csr: e-mail address
    #[arg(long, value_name = "E", requires = "csr")]
    pub email: Option<String>,
    /// With --csr: province
    #[arg(long, value_name = "ST", requires = "csr")]
    pub province: Option<String>,
    /// With --csr: locality
    #[arg(long, value_name = "L", requires = "csr")]
    pub locality: Option<String>,
}

impl CsrSubjectArgs {
    fn subject(&self) -> Option<SubjectArgs> {
        Some(SubjectArgs {
            cn: self.cn.clone()?,
            org: self.org.clone(),
            ou: self.ou.clone(),
            title: self.title.clone(),
            uid: self.uid.clone(),
            email: self.email.clone(),
            province: self.province.clone(),
            locality: self.locality.clone(),
        })
    }
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
    /// Your private key (PEM or DER; encrypted or not), or a key on a token (pkcs11: URI)
    #[arg(long, value_name = "FILE|URI")]
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
    #[command(flatten)]
    pub pin: PinArgs,
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

pub fn run_key(cmd: KeyCommand) -> Result<ExitCode, CliError> {
    match cmd {
        KeyCommand::New(a) if a.token.is_some() => new_on_token(a),
        KeyCommand::New(a) => {
            let Some(out) = a.out.clone() else { return Err(CliError::usage("give --out FILE (or --token URI)")) };
            if a.csr.is_some() {
                return Err(CliError::usage("--csr is for a key made on a token; for a key file use `kyso csr new --key FILE`"));
            }
            if matches!(a.alg, NewKeyAlg::Rsa2048 | NewKeyAlg::Rsa3072) {
                return Err(CliError::usage("kyso makes RSA keys on tokens only (--token)")
                    .hint("for an RSA key file: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out unit.key"));
            }
            let out = &out;
            if out.exists() && !a.force {
                return Err(CliError::failed(format!("{} already exists", out.display())).hint("use --force to overwrite it"));
            }
            let key = PrivateKey::generate(a.alg.key_algorithm()).map_err(|e| CliError::failed(e.to_string()))?;
            let pem = if a.no_passphrase {
                key.to_unencrypted_pem().map_err(|e| CliError::failed(e.to_string()))?
            } else {
                let p = a.pass.get_new(&format!("the new key {}", out.display()))?;
                let kdf = if a.scrypt { Kdf::Scrypt } else { Kdf::default() };
                key.to_encrypted_pem(&p, kdf).map_err(|e| CliError::failed(e.to_string()))?
            };
            write_out(out, pem.as_bytes(), a.force, Secrecy::Secret)?;
            println!(
                "{} key written to {}{}",
                key.algorithm(),
                out.display(),
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
            let mut key = load_key(&a.key, &a.pass, &a.pin)?;
            write_csr(&mut key, &subject, &a.out, a.force)?;
            println!("certificate request written to {}", a.out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A PKCS#10 request signed by `key` (RSA keys sign it with PKCS#1 v1.5, which every CA accepts).
fn write_csr(key: &mut Key, subject: &kyso::ca::SubjectInfo, out: &std::path::Path, force: bool) -> Result<(), CliError> {
    if matches!(key.algorithm(), KeyAlgorithm::Rsa(_)) {
        key.set_rsa_padding(RsaPadding::Pkcs1);
    }
    let der = kyso::csr::new_csr_with(key, subject).map_err(|e| CliError::failed(e.to_string()))?;
    let pem = pem::encode_config(&pem::Pem::new("CERTIFICATE REQUEST", der), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF));
    write_out(out, pem.as_bytes(), force, Secrecy::Public)
}

/// `kyso key new --token URI --label NAME`: a key pair generated on the token.
fn new_on_token(a: KeyNewArgs) -> Result<ExitCode, CliError> {
    let (Some(text), Some(label)) = (&a.token, &a.label) else { return Err(CliError::usage("--token needs --label")) };
    let uri = crate::keyload::parse_uri("--token", text)?;
    if uri.object.is_some() || uri.id.is_some() {
        return Err(CliError::usage("--token names the token only; the new key's label is --label"));
    }
    let subject = match (&a.csr, &a.subject.subject()) {
        (Some(_), Some(s)) => {
            let subject = s.subject();
            subject.check(kyso::ca::Profile::Tsa).map_err(|e| CliError::usage(crate::cmd_ca::profile_message(&e)))?;
            Some(subject)
        }
        (Some(_), None) => return Err(CliError::usage("--csr needs the subject: --cn NAME [--org O …]")),
        (None, Some(_)) => return Err(CliError::usage("--cn, --org … describe the request: add --csr FILE")),
        (None, None) => None,
    };
    if let Some(out) = &a.csr {
        if out.exists() && !a.force {
            return Err(CliError::failed(format!("{} already exists", out.display())).hint("use --force to overwrite it"));
        }
    }
    let token = open_token(&uri, a.module.as_deref(), true, &a.pin)?;
    let token_label = token.label().to_string();
    let key = token.generate_key(label, a.alg.key_algorithm()).map_err(|e| token_error(e, ""))?;
    let key_uri = key.uri().to_string();
    let alg = key.algorithm();
    let mut key = Key::Token(Box::new(key));
    println!("{alg} key '{label}' generated on the token '{token_label}'");
    println!("  {key_uri}");
    if let (Some(out), Some(subject)) = (&a.csr, &subject) {
        write_csr(&mut key, subject, out, a.force)?;
        println!("certificate request written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
