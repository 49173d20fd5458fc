//! The one place the CLI opens a signing key: a key file (kyso's encrypted PKCS#8, or a key made
//! by OpenSSL) or a key on a PKCS#11 token (`pkcs11:` URI, RFC 7512). Every command that signs —
//! `sign`, `csr new`, `ca init/issue/revoke/crl`, `tsa serve` — goes through [`KeySpec`].
//!
//! Token keys: the module comes from the URI (`module-path`, `module-name`), else `--module`,
//! else `$KYSO_PKCS11_MODULE`, else kyso's list of known locations; the user PIN from the URI's
//! `pin-source=file:…`, else `--pin-file`, else `$KYSO_PIN`, else a prompt on a terminal — never
//! from the command line. The PIN is held in a buffer wiped as soon as the token has it.

use crate::util::{CliError, PassArgs};
use kyso::keys::{KeyAlgorithm, KeyError, KeyFile, PrivateKey, RsaPadding, Signer};
use kyso::pkcs11::{locate_module, ModuleOrigin, Pkcs11Uri, Token, TokenError, TokenKey, KNOWN_MODULES};
use kyso::SignatureAlgorithm;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Largest PIN file read: PINs are 4 to a few dozen characters; 4 KiB bounds a wrong path
/// (`/dev/zero`) without refusing any real PIN. Only the first line is the PIN.
const MAX_PIN_FILE: usize = 4096;

/// Where a token's user PIN comes from (after the URI's `pin-source`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PinArgs {
    /// For a key on a token (pkcs11: URI): read the user PIN from the first line of FILE (else
    /// pin-source in the URI, $KYSO_PIN, a prompt)
    #[arg(long, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,
}

/// A signing key of either kind.
pub enum Key {
    /// A key file.
    File(PrivateKey),
    /// A key on a token.
    Token(Box<TokenKey>),
}

impl Signer for Key {
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        match self {
            Key::File(k) => k.signature_algorithm(),
            Key::Token(k) => k.signature_algorithm(),
        }
    }
    fn public_key_spki(&self) -> &[u8] {
        match self {
            Key::File(k) => k.public_key_spki(),
            Key::Token(k) => k.public_key_spki(),
        }
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Key::File(k) => k.sign(message),
            Key::Token(k) => k.sign(message),
        }
    }
}

impl Key {
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Key::File(k) => k.algorithm(),
            Key::Token(k) => k.algorithm(),
        }
    }
    pub fn set_rsa_padding(&mut self, padding: RsaPadding) {
        match self {
            Key::File(k) => k.set_rsa_padding(padding),
            Key::Token(k) => k.set_rsa_padding(padding),
        }
    }
}

/// What `--key` names: a key file (read and parsed, not yet opened), a PKCS#12 file (opened:
/// it needs its password to show anything), or a token key.
pub enum KeySpec {
    /// A key file.
    File { path: PathBuf, file: KeyFile },
    /// A .p12/.pfx, opened.
    Pkcs12 { path: PathBuf, p12: Box<kyso::pkcs12::Pkcs12> },
    /// A key on a token.
    Token { uri: Pkcs11Uri, text: String },
}

/// A key ready to open: the passphrase has been obtained, or the token key found. [`Opener::open`]
/// does the slow part (PBKDF2/scrypt) and can run on another thread.
pub enum Opener {
    File { path: PathBuf, file: KeyFile, pass: Option<Zeroizing<Vec<u8>>> },
    /// A key already opened (from a .p12).
    Ready(PrivateKey),
    Token(Box<TokenKey>),
}

impl Opener {
    /// The certificate on the token next to the key.
    pub fn token_certificate(&self) -> Option<Vec<u8>> {
        match self {
            Opener::Token(k) => k.certificate().map(<[u8]>::to_vec),
            _ => None,
        }
    }

    /// Opens the key as [`Opener::open`] does, except that a key file that cannot be opened for
    /// another reason than its passphrase (excessive KDF cost, unsupported algorithm, …) is
    /// reported with `unusable` (`csr new`: exit 1, as before tokens).
    pub fn open_with(self, unusable: fn(String) -> CliError) -> Result<Key, CliError> {
        match self {
            Opener::File { path, file, pass } => file.open(pass.as_ref().map(|p| p.as_slice())).map(Key::File).map_err(|e| match e {
                KeyError::WrongPassphrase => {
                    CliError::usage(format!("cannot open the key {}: {e}", path.display())).hint("check --pass-file / KYSO_PASSPHRASE")
                }
                _ => unusable(format!("cannot open the key {}: {e}", path.display())),
            }),
            other => other.open(),
        }
    }

    /// Opens the key. A wrong passphrase is exit 2 (an input that stops the run).
    pub fn open(self) -> Result<Key, CliError> {
        match self {
            Opener::Token(k) => Ok(Key::Token(k)),
            Opener::Ready(k) => Ok(Key::File(k)),
            Opener::File { path, file, pass } => {
                file.open(pass.as_ref().map(|p| p.as_slice())).map(Key::File).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
            }
        }
    }
}

/// Parses the URI given to `flag`; the message quotes it, unless it holds a PIN.
pub fn parse_uri(flag: &str, text: &str) -> Result<Pkcs11Uri, CliError> {
    Pkcs11Uri::parse(text).map_err(|e| match e {
        kyso::pkcs11::UriError::PinValue => CliError::usage(format!("{flag}: {e}")),
        _ => CliError::usage(format!("{flag} '{text}': {e}")),
    })
}

/// True when a `--key` value is a PKCS#11 URI rather than a file.
pub fn is_token_uri(spec: &Path) -> bool {
    spec.to_str().is_some_and(Pkcs11Uri::is_uri)
}

impl KeySpec {
    /// Reads `--key`: a `pkcs11:` URI is parsed; a .p12/.pfx is opened (its password from
    /// `pass`), `p12_name` choosing among its keys; anything else is read as a key file (one
    /// that is not a key is reported with `unusable`, each command keeping its exit code).
    pub fn read(spec: &Path, pass: &PassArgs, p12_name: Option<&str>, unusable: fn(String) -> CliError) -> Result<KeySpec, CliError> {
        if let Some(text) = spec.to_str().filter(|s| Pkcs11Uri::is_uri(s)) {
            if p12_name.is_some() {
                return Err(CliError::usage("--p12-name chooses a key in a .p12/.pfx file; a pkcs11: URI names its key itself (object=…)"));
            }
            let uri = parse_uri("--key", text)?;
            return Ok(KeySpec::Token { uri, text: text.to_string() });
        }
        Ok(match crate::p12::read_key_input(spec, pass, p12_name, unusable)? {
            crate::p12::KeyInput::Pkcs12(p12, _) => KeySpec::Pkcs12 { path: spec.to_path_buf(), p12 },
            crate::p12::KeyInput::File(file) => KeySpec::File { path: spec.to_path_buf(), file },
        })
    }

    /// Gets what opening needs: the passphrase of an encrypted key file (an unencrypted one is
    /// opened with a warning), the key of a .p12, or the token, its login and the key on it.
    pub fn prepare(self, pass: &PassArgs, pin: &PinArgs, p12_name: Option<&str>) -> Result<Opener, CliError> {
        match self {
            KeySpec::File { path, file } => {
                let pass = if file.is_encrypted() {
                    Some(pass.get(&format!("the key {}", path.display()))?)
                } else {
                    eprintln!(
                        "warning: the key {} is not encrypted; anyone who can read the file can sign in your name",
                        path.display()
                    );
                    None
                };
                Ok(Opener::File { path, file, pass })
            }
            KeySpec::Pkcs12 { path, p12 } => {
                p12.key(p12_name).map(|(k, _)| Opener::Ready(k)).map_err(|e| crate::p12::p12_error(&path, e))
            }
            KeySpec::Token { uri, text } => {
                let token = open_token(&uri, None, false, pin)?;
                let key = token.key(&uri).map_err(|e| token_error(e, &text))?;
                Ok(Opener::Token(Box::new(key)))
            }
        }
    }
}

/// Opens the key `--key` names (a key file, a .p12/.pfx, or a key on a token).
pub fn load_key(spec: &Path, pass: &PassArgs, pin: &PinArgs, p12_name: Option<&str>) -> Result<Key, CliError> {
    KeySpec::read(spec, pass, p12_name, CliError::usage)?.prepare(pass, pin, p12_name)?.open()
}

/// A signing key with its certificate and chain.
pub struct Credentials {
    pub opener: Opener,
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

/// The signing credentials of a command: `--key` (file, .p12/.pfx or token), with the
/// certificates of `--cert` (`cert_given`: its first is the signer's, the others count as chain)
/// and `--chain` (`chain_given`). A .p12 and a token supply the certificate when `--cert` does not
/// (a .p12 its chain too, when neither gives any); a key file needs `--cert`.
#[allow(clippy::too_many_arguments)]
pub fn credentials(
    spec: &Path,
    pass: &PassArgs,
    pin: &PinArgs,
    p12_name: Option<&str>,
    cert_given: Option<Vec<Vec<u8>>>,
    chain_given: Vec<Vec<u8>>,
    unusable: fn(String) -> CliError,
    cert_hint: &str,
) -> Result<Credentials, CliError> {
    match KeySpec::read(spec, pass, p12_name, unusable)? {
        KeySpec::Pkcs12 { path, p12 } => {
            let c = crate::p12::p12_credentials(&path, &p12, p12_name, cert_given, chain_given)?;
            Ok(Credentials { opener: Opener::Ready(c.key), cert: c.cert, chain: c.chain })
        }
        ks @ KeySpec::File { .. } => {
            let mut certs = cert_given
                .ok_or_else(|| {
                    CliError::usage("--cert is required with this --key (only a .p12/.pfx key file or a key on a token holds its certificate)")
                        .hint(cert_hint.to_string())
                })?
                .into_iter();
            let cert = certs.next().unwrap_or_default();
            let chain = certs.chain(chain_given).collect();
            Ok(Credentials { opener: ks.prepare(pass, pin, p12_name)?, cert, chain })
        }
        ks @ KeySpec::Token { .. } => {
            let opener = ks.prepare(pass, pin, p12_name)?;
            let mut certs = cert_given.unwrap_or_default().into_iter();
            let cert = match certs.next().or_else(|| opener.token_certificate()) {
                Some(c) => c,
                None => {
                    return Err(CliError::usage("the token holds no certificate for this key: give --cert FILE")
                        .hint("or store it on the token: kyso token import-cert --key URI --cert FILE"))
                }
            };
            Ok(Credentials { opener, cert, chain: certs.chain(chain_given).collect() })
        }
    }
}

/// The module for `uri`: the URI's own, else `--module`, else `$KYSO_PKCS11_MODULE`, else the
/// known locations.
pub fn module_for(uri: &Pkcs11Uri, flag: Option<&Path>) -> Result<PathBuf, CliError> {
    let env = std::env::var_os("KYSO_PKCS11_MODULE").filter(|v| !v.is_empty()).map(PathBuf::from);
    let given = flag.map(Path::to_path_buf).or_else(|| env.clone());
    locate_module(uri, given.as_deref(), KNOWN_MODULES).map_err(|e| match e {
        TokenError::ModuleNotFound { origin, tried } => {
            let list = tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            match origin {
                ModuleOrigin::UriPath => CliError::usage(format!("no PKCS#11 module at {list} (module-path in the URI)")).hint("check the path of the vendor's module (a .so file)"),
                ModuleOrigin::UriName => CliError::usage(format!(
                    "no PKCS#11 module named '{}' (module-name in the URI); looked for {list}",
                    uri.module_name.as_deref().unwrap_or_default()
                ))
                .hint("give the module file with module-path=… in the URI, --module or KYSO_PKCS11_MODULE"),
                ModuleOrigin::Given if flag.is_some() => CliError::usage(format!("--module {list}: no such PKCS#11 module file")).hint("check the path of the vendor's module (a .so file)"),
                ModuleOrigin::Given => CliError::usage(format!("KYSO_PKCS11_MODULE names {list}, which does not exist")).hint("check the path of the vendor's module (a .so file), or unset KYSO_PKCS11_MODULE"),
                _ => CliError::usage(format!("no PKCS#11 module found; looked for {list}")).hint(
                    "install the token's driver, or give the vendor's module with --module PATH, KYSO_PKCS11_MODULE=PATH or module-path=PATH in the URI",
                ),
            }
        }
        other => token_error(other, ""),
    })
}

/// Opens the token `uri` names (read-write when `write`) and logs in when the token asks for it.
pub fn open_token(uri: &Pkcs11Uri, module_flag: Option<&Path>, write: bool, pin: &PinArgs) -> Result<Token, CliError> {
    let module = module_for(uri, module_flag)?;
    let mut token = Token::open(&module, uri, write).map_err(|e| token_error(e, ""))?;
    login(&mut token, uri, pin)?;
    Ok(token)
}

/// Logs in to `token` when it needs it, with the PIN from the first source that has one.
pub fn login(token: &mut Token, uri: &Pkcs11Uri, pin: &PinArgs) -> Result<(), CliError> {
    if !token.needs_login() {
        return Ok(());
    }
    if token.has_pin_pad() {
        eprintln!("enter the PIN of the token '{}' on its PIN pad", token.label());
        return token.login(None).map_err(|e| token_error(e, ""));
    }
    let pin = read_pin(uri, pin, token.label())?;
    let r = token.login(Some(&pin));
    drop(pin); // wiped (Zeroizing) as soon as the token has had it
    r.map_err(|e| token_error(e, ""))
}

/// The first line of a PIN file, bounded.
fn pin_from_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    // kyso::files reads the first line into a buffer wiped on drop (a pipe is waited for as
    // for a passphrase file; an endless source stops at the bound).
    let line = kyso::files::read_first_line(path, MAX_PIN_FILE, crate::util::PIPE_WAIT)
        .map_err(|e| CliError::usage(format!("cannot read the PIN file {} ({what}): {e}", path.display())))?;
    if line.is_empty() {
        return Err(CliError::usage(format!("the PIN file {} ({what}) has an empty first line", path.display())));
    }
    Ok(line)
}

/// The user PIN: the URI's `pin-source`, `--pin-file`, `$KYSO_PIN`, or a prompt on a terminal.
fn read_pin(uri: &Pkcs11Uri, pin: &PinArgs, token: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(p) = &uri.pin_source {
        return pin_from_file(p, "pin-source in the URI");
    }
    if let Some(p) = &pin.pin_file {
        return pin_from_file(p, "--pin-file");
    }
    if let Some(v) = std::env::var_os("KYSO_PIN") {
        let v = Zeroizing::new(v.into_encoded_bytes());
        if !v.is_empty() {
            return Ok(v);
        }
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let p = Zeroizing::new(
            rpassword::prompt_password(format!("PIN of the token '{token}': ")).map_err(|e| CliError::usage(format!("cannot read the PIN: {e}")))?,
        );
        if p.is_empty() {
            return Err(CliError::usage("empty PIN"));
        }
        return Ok(Zeroizing::new(p.as_bytes().to_vec()));
    }
    Err(CliError::usage(format!("the token '{token}' needs its user PIN and none is available"))
        .hint("use --pin-file FILE, pin-source=file:FILE in the URI, or set KYSO_PIN (PINs are never taken on the command line)"))
}

/// A token error in the CLI's words: exit 2 for what stops the run before any work (module,
/// token, PIN, object), 1 when the token failed an operation.
pub fn token_error(e: TokenError, key_text: &str) -> CliError {
    let on = |m: String| if key_text.is_empty() { m } else { format!("--key {key_text}: {m}") };
    match &e {
        TokenError::PinIncorrect { .. } => CliError::usage(e.to_string()).hint("check --pin-file / pin-source / KYSO_PIN; a token locks itself after a few wrong PINs"),
        TokenError::PinLocked { .. } => CliError::usage(e.to_string()).hint("ask the token's issuer (the security officer) to unlock it or to reset the PIN"),
        TokenError::PinRequired { .. } => CliError::usage(e.to_string()).hint("use --pin-file FILE, pin-source=file:FILE in the URI, or set KYSO_PIN"),
        TokenError::NoToken { .. } => CliError::usage(e.to_string()).hint("`kyso token list` shows the tokens a module sees; is the token plugged in?"),
        TokenError::AmbiguousToken { .. } | TokenError::AmbiguousObject { .. } => CliError::usage(on(e.to_string())).hint("`kyso token list` shows labels, serials and ids"),
        TokenError::ObjectNotFound { .. } | TokenError::NotAPrivateKey { .. } => {
            CliError::usage(on(e.to_string())).hint("`kyso token list --login` shows the keys on the token, each with its URI")
        }
        TokenError::ModuleLoad { .. } | TokenError::Uri(_) | TokenError::NoPublicKey { .. } | TokenError::Unsupported(_) | TokenError::PinExpired { .. } => {
            CliError::usage(on(e.to_string()))
        }
        TokenError::CertificateMismatch { .. } => CliError::usage(e.to_string()).hint("the certificate was issued for another key"),
        TokenError::ObjectExists { class: kyso::pkcs11::ObjectClass::Certificate, .. } => {
            CliError::failed(e.to_string()).hint("choose another --label; `kyso token import-cert --force` replaces a key's certificate")
        }
        TokenError::ObjectExists { .. } => CliError::failed(e.to_string()).hint("choose another --label (`kyso token list --login` shows the labels in use)"),
        _ => CliError::failed(on(e.to_string())),
    }
}
