//! `kyso key new` and `kyso csr new`: a unit keeps its private key and sends only a request.

use crate::cmd_ca::SubjectArgs;
use crate::keyload::{open_token, token_error, Key, PinArgs};
use crate::util::{read_input, CliError, PassArgs};
use clap::{Args, Subcommand, ValueEnum};
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::keys::{Kdf, KeyAlgorithm, KeyError, PrivateKey, RsaPadding};
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
    /// Write a key, its certificate and chain as one PKCS#12 file (.p12/.pfx) for Windows,
    /// browsers or Adobe Reader
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso key export --key unit.key --cert unit.pem --chain ca/chain.pem --out unit.p12\n",
        "  kyso key export --key old.pfx --out new.p12     # re-protect a legacy file with AES-256\n",
        "  kyso key export --key unit.key --cert unit.pem --out unit-win7.p12 --legacy\n",
        "  openssl pkcs12 -info -noout -in unit.p12 -passin file:p12-pass.txt   # OpenSSL opens it\n\n",
        "The key's passphrase comes from --pass-file, else $KYSO_PASSPHRASE, else a prompt. The\n",
        "file's password comes from --p12-pass-file, else $KYSO_P12_PASSPHRASE, else it is the key's\n",
        "passphrase (for a key without one: a prompt). The file holds the key (PBES2: PBKDF2-SHA-256,\n",
        "AES-256-CBC), the certificates (the same) and an HMAC-SHA-256, as Windows 10+ and OpenSSL 3\n",
        "write; friendly name: the certificate's CN (or --name). --legacy writes 3DES, RC2-40 and a\n",
        "SHA-1 MAC for older software: weak, only when nothing else opens.\n\n",
        "EXIT CODES:\n  0  success\n  1  the output exists (use --force)\n  2  usage error, key or certificate missing or unusable,\n     the certificate is not the key's, no or wrong passphrase"))]
    Export(KeyExportArgs),
    /// Read a PKCS#12 file (.p12/.pfx): write its key (encrypted PKCS#8), certificate and chain
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  kyso key import unit.pfx --key-out unit.key --cert-out unit.pem --chain-out chain.pem\n",
        "  kyso key import several.p12 --p12-name 'Nguyễn Văn An' --key-out an.key --cert-out an.pem\n\n",
        "The file's password comes from --pass-file, else $KYSO_PASSPHRASE, else a prompt. The new\n",
        "key file's passphrase comes from --key-pass-file, else $KYSO_KEY_PASSPHRASE, else it is the\n",
        "file's password (--no-passphrase: written unencrypted). Reads what Windows, browsers, Java\n",
        "and OpenSSL write: PBES2 (AES, 3DES) and the legacy PKCS#12 ciphers (3DES, RC2, RC4),\n",
        "MACs with SHA-1 or SHA-2, BER encodings.\n\n",
        "EXIT CODES:\n  0  success\n  1  an output exists (use --force)\n  2  usage error, the file is missing or unusable, no or wrong password, several keys\n     without --p12-name"))]
    Import(KeyImportArgs),
}

#[derive(Debug, Args)]
pub struct KeyExportArgs {
    /// The key: a key file (PEM or DER, encrypted or not) or a .p12/.pfx
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The key's certificate (PEM or DER; further certificates in the file count as chain);
    /// optional when --key is a .p12/.pfx
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The issuing CA certificates (PEM bundle or DER), included after the key's certificate
    #[arg(long, value_name = "FILE")]
    pub chain: Vec<PathBuf>,
    /// With a .p12/.pfx --key holding several keys: the friendly name of the one to export
    #[arg(long, value_name = "NAME")]
    pub p12_name: Option<String>,
    /// Where to write the PKCS#12 file (mode 0600)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The friendly name shown by Windows and browsers (default: the certificate's CN)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Legacy encryption (3DES, RC2-40, SHA-1 MAC) for software that cannot open AES (weak)
    #[arg(long)]
    pub legacy: bool,
    /// Read the file's password from the first line of FILE (else $KYSO_P12_PASSPHRASE, else the key's)
    #[arg(long, value_name = "FILE")]
    pub p12_pass_file: Option<PathBuf>,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
}

#[derive(Debug, Args)]
pub struct KeyImportArgs {
    /// The PKCS#12 file (.p12/.pfx)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to write the key (encrypted PKCS#8 PEM, mode 0600)
    #[arg(long, value_name = "FILE")]
    pub key_out: PathBuf,
    /// Where to write the key's certificate (PEM)
    #[arg(long, value_name = "FILE")]
    pub cert_out: Option<PathBuf>,
    /// Where to write the file's other certificates (PEM bundle, in file order)
    #[arg(long, value_name = "FILE")]
    pub chain_out: Option<PathBuf>,
    /// With a file holding several keys: the friendly name of the one to import
    #[arg(long, value_name = "NAME")]
    pub p12_name: Option<String>,
    /// Read the new key file's passphrase from the first line of FILE (else $KYSO_KEY_PASSPHRASE,
    /// else the .p12's password)
    #[arg(long, value_name = "FILE")]
    pub key_pass_file: Option<PathBuf>,
    /// Write the key unencrypted (not recommended)
    #[arg(long, conflicts_with = "key_pass_file")]
    pub no_passphrase: bool,
    /// Overwrite the outputs if they exist
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub pass: PassArgs,
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
    /// Your private key (PEM or DER; encrypted or not; or a .p12/.pfx), or a key on a token
    /// (pkcs11: URI)
    #[arg(long, value_name = "FILE|URI")]
    pub key: PathBuf,
    /// With a .p12/.pfx holding several keys: the friendly name of the one to use
    #[arg(long, value_name = "NAME")]
    pub p12_name: Option<String>,
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
        KeyCommand::Export(a) => export(a),
        KeyCommand::Import(a) => import(a),
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
            outln!(
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
            // exit 1 for a key that is not usable (the contract of `csr new` before tokens)
            let mut key = crate::keyload::KeySpec::read(&a.key, &a.pass, a.p12_name.as_deref(), CliError::failed)?
                .prepare(&a.pass, &a.pin, a.p12_name.as_deref())?
                .open_with(CliError::failed)?;
            write_csr(&mut key, &subject, &a.out, a.force)?;
            outln!("certificate request written to {}", a.out.display());
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
    outln!("{alg} key '{label}' generated on the token '{token_label}'");
    outln!("  {key_uri}");
    if let (Some(out), Some(subject)) = (&a.csr, &subject) {
        write_csr(&mut key, subject, out, a.force)?;
        outln!("certificate request written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse_existing(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::failed(format!("{} already exists", path.display())).hint("use --force to overwrite it"));
    }
    Ok(())
}

fn certificates_pem(certs: &[Vec<u8>]) -> String {
    certs
        .iter()
        .map(|c| pem::encode_config(&pem::Pem::new("CERTIFICATE", c.clone()), pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF)))
        .collect()
}

/// `kyso key export`: key + certificate + chain → one PKCS#12 file.
fn export(a: KeyExportArgs) -> Result<ExitCode, CliError> {
    if crate::keyload::is_token_uri(&a.key) {
        return Err(CliError::usage("a key on a token cannot be exported: it never leaves the token"));
    }
    refuse_existing(&a.out, a.force)?;
    let cert_file = match &a.cert {
        Some(path) => Some(
            kyso::objects::certificates(&read_input(path, "the certificate file", crate::p12::MAX_KEY_FILE)?)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut chain_files = Vec::new();
    for c in &a.chain {
        let bytes = read_input(c, "the chain file", crate::p12::MAX_KEY_FILE)?;
        chain_files.extend(kyso::objects::certificates(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", c.display())))?);
    }
    let (creds, key_pass) = match crate::p12::read_key_input(&a.key, &a.pass, a.p12_name.as_deref(), CliError::usage)? {
        crate::p12::KeyInput::Pkcs12(p12, p) => (crate::p12::p12_credentials(&a.key, &p12, a.p12_name.as_deref(), cert_file, chain_files)?, Some(p)),
        crate::p12::KeyInput::File(file) => {
            let mut certs = cert_file
                .ok_or_else(|| CliError::usage("--cert is required with this --key (only a .p12/.pfx holds its certificate)"))?
                .into_iter();
            let cert = certs.next().ok_or_else(|| CliError::usage("the --cert file holds no certificate"))?;
            let (key, pass) = if file.is_encrypted() {
                let p = a.pass.get(&format!("the key {}", a.key.display()))?;
                let key = file.open(Some(&p)).map_err(|e| match e {
                    KeyError::WrongPassphrase => CliError::usage(format!("cannot open the key {}: {e}", a.key.display())).hint("check --pass-file / KYSO_PASSPHRASE"),
                    _ => CliError::usage(format!("cannot open the key {}: {e}", a.key.display())),
                })?;
                (key, Some(p))
            } else {
                eprintln!("warning: the key {} is not encrypted", a.key.display());
                (file.open(None).map_err(|e| CliError::usage(format!("cannot open the key {}: {e}", a.key.display())))?, None)
            };
            (crate::p12::Credentials { key, cert, chain: certs.chain(chain_files).collect() }, pass)
        }
    };
    let source = crate::util::PassSource { file: a.p12_pass_file.as_deref(), env: "KYSO_P12_PASSPHRASE", flag: "--p12-pass-file" };
    let (password, whose) = match (source.given()?, key_pass) {
        (Some(p), _) => (p, "the given password"),
        (None, Some(p)) if !p.is_empty() => (p, "the key's passphrase"),
        _ => (source.obtain(&format!("the new file {}", a.out.display()), true)?, "the given password"),
    };
    if a.legacy {
        eprintln!("{}", crate::p12::LEGACY_WARNING);
    }
    let mut opts = if a.legacy { kyso::pkcs12::WriteOptions::legacy() } else { kyso::pkcs12::WriteOptions::new() };
    opts.friendly_name = a.name.clone();
    let file = kyso::pkcs12::write(&creds.key, &creds.cert, &creds.chain, &password, &opts).map_err(|e| match e {
        kyso::pkcs12::Pkcs12Error::CertificateKeyMismatch => {
            CliError::usage(format!("the certificate is not the certificate of the key {}", a.key.display())).hint("check --cert and --key")
        }
        other => CliError::usage(other.to_string()),
    })?;
    write_out(&a.out, &file, a.force, Secrecy::Secret)?;
    let subject = kyso::inspect::cert_subject(&creds.cert).unwrap_or_default();
    outln!(
        "PKCS#12 written to {} ({}; protected by {whose}): the key of {subject}, its certificate and {} chain certificate(s)",
        a.out.display(),
        if a.legacy { "legacy 3DES/RC2-40, HMAC-SHA-1" } else { "AES-256-CBC, HMAC-SHA-256" },
        creds.chain.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `kyso key import`: one PKCS#12 file → key file, certificate, chain.
fn import(a: KeyImportArgs) -> Result<ExitCode, CliError> {
    let outputs = [Some(&a.key_out), a.cert_out.as_ref(), a.chain_out.as_ref()];
    for o in outputs.into_iter().flatten() {
        refuse_existing(o, a.force)?;
    }
    let bytes = zeroize::Zeroizing::new(read_input(&a.file, "the PKCS#12 file", crate::p12::MAX_KEY_FILE)?);
    if !kyso::pkcs12::is_pkcs12(&bytes) {
        return Err(CliError::usage(format!("{}: not a PKCS#12 (.p12/.pfx) file", a.file.display())));
    }
    let (p12, p12_pass) = crate::p12::open_p12(&a.file, &bytes, &a.pass)?;
    let (key, cert) = p12.key(a.p12_name.as_deref()).map_err(|e| crate::p12::p12_error(&a.file, e))?;
    let chain: Vec<Vec<u8>> = match &cert {
        Some(c) => p12.identity(a.p12_name.as_deref(), Some(c)).map_err(|e| crate::p12::p12_error(&a.file, e))?.chain,
        None => p12.certificates.iter().map(|c| c.der.clone()).collect(),
    };
    if a.cert_out.is_some() && cert.is_none() {
        return Err(CliError::usage(format!("{}: the file holds no certificate for the key", a.file.display())).hint("leave out --cert-out to import the key alone"));
    }
    let key_pem = if a.no_passphrase {
        key.to_unencrypted_pem().map_err(|e| CliError::failed(e.to_string()))?
    } else {
        let source = crate::util::PassSource { file: a.key_pass_file.as_deref(), env: "KYSO_KEY_PASSPHRASE", flag: "--key-pass-file" };
        let p = match source.given()? {
            Some(p) => p,
            None if !p12_pass.is_empty() => p12_pass,
            // a file without a password: the key file needs one of its own
            None => source.obtain(&format!("the new key {}", a.key_out.display()), true)?,
        };
        key.to_encrypted_pem(&p, Kdf::default()).map_err(|e| CliError::failed(e.to_string()))?
    };
    write_out(&a.key_out, key_pem.as_bytes(), a.force, Secrecy::Secret)?;
    outln!("{} key written to {}{}", key.algorithm(), a.key_out.display(), if a.no_passphrase { " (NOT encrypted)" } else { " (encrypted PKCS#8)" });
    if let (Some(path), Some(c)) = (&a.cert_out, &cert) {
        write_out(path, certificates_pem(std::slice::from_ref(c)).as_bytes(), a.force, Secrecy::Public)?;
        outln!("certificate written to {}: {}", path.display(), kyso::inspect::cert_subject(c).unwrap_or_default());
    }
    match &a.chain_out {
        Some(path) => {
            write_out(path, certificates_pem(&chain).as_bytes(), a.force, Secrecy::Public)?;
            outln!("{} chain certificate(s) written to {}", chain.len(), path.display());
        }
        None if !chain.is_empty() => eprintln!("note: the file also holds {} other certificate(s); write them with --chain-out FILE", chain.len()),
        None => {}
    }
    if cert.is_some() && a.cert_out.is_none() {
        eprintln!("note: the file also holds the key's certificate; write it with --cert-out FILE");
    }
    Ok(ExitCode::SUCCESS)
}
