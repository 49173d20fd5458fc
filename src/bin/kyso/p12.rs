//! PKCS#12 in the CLI: `--key unit.p12` wherever a key file goes (the certificate and chain come
//! from the file unless `--cert`/`--chain` say otherwise), `--p12-name` to choose among
//! several keys, and the messages (with the flag that fixes each) of the library's typed errors.

use crate::util::{read_input, CliError, PassArgs, PassSource};
use kyso::keys::{KeyFile, PrivateKey};
use kyso::pkcs12::{self, Pkcs12, Pkcs12Error};
use std::path::Path;
use zeroize::Zeroizing;

/// Largest key file read: kyso's PKCS#12 reader stops at 1 MiB (a key with a long chain is a
/// few KB; a PEM key under 7 KB).
pub const MAX_KEY_FILE: u64 = pkcs12::MAX_PKCS12_BYTES as u64;

/// The warning printed when a legacy file is written.
pub const LEGACY_WARNING: &str = "warning: legacy PKCS#12 (3DES for the key, RC2-40 for the certificates, a SHA-1 MAC) is weak: \
use it only for software that cannot open AES-encrypted files (Windows 7, old Java or macOS)";

/// A PKCS#12 error about the file `path`, with the flag that fixes it. Exit 2: a key file that
/// cannot be used stops the run, as a wrong passphrase does.
pub fn p12_error(path: &Path, e: Pkcs12Error) -> CliError {
    let hint = match &e {
        Pkcs12Error::MacMismatch | Pkcs12Error::DecryptionFailed { mac_verified: false, .. } => {
            Some("check --pass-file / KYSO_PASSPHRASE: a .p12 opens with the password it was exported with".to_string())
        }
        Pkcs12Error::DecryptionFailed { mac_verified: true, .. } => {
            Some("files with separate integrity and encryption passwords (openssl pkcs12 -twopass) cannot be opened; export it again with one password".into())
        }
        Pkcs12Error::SeveralKeys { .. } | Pkcs12Error::NoSuchName { .. } => Some("choose the key with --p12-name NAME".into()),
        Pkcs12Error::NoKey { .. } => Some("this file holds certificates only; a key file (or a .p12 with a key) goes after --key".into()),
        Pkcs12Error::NoCertificateForKey { .. } => Some("give the key's certificate with --cert".into()),
        Pkcs12Error::NoKeyForCertificate => Some("check --cert, or leave it out to use the certificate inside the .p12".into()),
        Pkcs12Error::Truncated => Some("the file is incomplete: copy it again".into()),
        Pkcs12Error::ExcessiveWork { .. } | Pkcs12Error::TooMany { .. } | Pkcs12Error::TooLarge { .. } => {
            Some("the file is damaged or hostile; ask its sender for a new one".into())
        }
        Pkcs12Error::Unsupported { .. } => Some("export the key again, e.g. with `openssl pkcs12 -export` (AES, or -legacy)".into()),
        _ => None,
    };
    let err = CliError::usage(format!("{}: {e}", path.display()));
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

/// Warnings about how a .p12 that was opened is protected.
fn warn_protection(path: &Path, p12: &Pkcs12) {
    if p12.protection.mac.is_none() {
        eprintln!("warning: {} has no integrity MAC: nothing shows that the file is intact", path.display());
    }
    if p12.protection.plain_keys > 0 {
        eprintln!("warning: {} holds an unencrypted private key", path.display());
    }
    if p12.protection.uses_legacy() {
        let schemes: Vec<String> = p12.protection.mac.iter().chain(&p12.protection.encryption).filter(|s| s.legacy).map(|s| s.name.to_string()).collect();
        eprintln!(
            "note: {} uses legacy protection ({}); `kyso key export --key {} --out NEW.p12` writes AES-256",
            path.display(),
            schemes.join(", "),
            path.display()
        );
    }
}

/// Opens the .p12 `bytes` read from `path` with the passphrase from `pass`. When none is given
/// (no --pass-file, no KYSO_PASSPHRASE), the empty password is tried first: files exported
/// without a password exist, and a prompt cannot take an empty answer. A file that is damaged
/// whatever the password is reported before any prompt.
pub fn open_p12(path: &Path, bytes: &[u8], pass: &PassArgs) -> Result<(Pkcs12, Zeroizing<Vec<u8>>), CliError> {
    let source = PassSource { file: pass.pass_file.as_deref(), env: "KYSO_PASSPHRASE", flag: "--pass-file" };
    let p = match source.given()? {
        Some(p) => p,
        None => {
            match pkcs12::parse(bytes, b"") {
                Ok(p12) => {
                    eprintln!("warning: {} has no password: anyone who has the file has the key", path.display());
                    warn_protection(path, &p12);
                    return Ok((p12, Zeroizing::new(Vec::new())));
                }
                Err(Pkcs12Error::MacMismatch | Pkcs12Error::DecryptionFailed { .. }) => {}
                Err(e) => return Err(p12_error(path, e)),
            }
            pass.get(&format!("the key file {}", path.display()))?
        }
    };
    let p12 = pkcs12::parse(bytes, &p).map_err(|e| p12_error(path, e))?;
    warn_protection(path, &p12);
    Ok((p12, p))
}

/// A key given with `--key`: a PKCS#12 file (opened, with the certificate and chain it holds)
/// or a key file (PEM or DER PKCS#8, SEC1, PKCS#1), not yet opened.
pub enum KeyInput {
    /// A .p12/.pfx, opened; its password (the passphrase the user gave).
    Pkcs12(Box<Pkcs12>, Zeroizing<Vec<u8>>),
    /// A key file.
    File(KeyFile),
}

/// Reads `--key`: a .p12 is recognised by its content and opened at once (it needs its
/// password to show anything); `p12_name` is refused for other key files. A file that is
/// neither is reported with `unusable` (each command keeps its exit code for that).
pub fn read_key_input(path: &Path, pass: &PassArgs, p12_name: Option<&str>, unusable: fn(String) -> CliError) -> Result<KeyInput, CliError> {
    let bytes = Zeroizing::new(read_input(path, "the key file", MAX_KEY_FILE)?);
    warn_if_others_can_read(path);
    if pkcs12::is_pkcs12(&bytes) {
        let (p12, p) = open_p12(path, &bytes, pass)?;
        return Ok(KeyInput::Pkcs12(Box::new(p12), p));
    }
    if p12_name.is_some() {
        return Err(CliError::usage(format!("--p12-name chooses a key in a .p12/.pfx file; {} is not one", path.display())));
    }
    let file = KeyFile::parse(&bytes).map_err(|e| unusable(format!("{}: {e}", path.display())))?;
    Ok(KeyInput::File(file))
}

/// Warns when a key file can be read by other users of the machine (kyso writes them 0600).
pub fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: the key {} can be read by other users (mode {mode:03o}); make it private: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
}

/// A signing key with its certificate and chain, from `--key` (a key file or a .p12) and the
/// optional `--cert` (its first certificate is the signer's, the others count as chain) and
/// `--chain` certificates: for a .p12, what `--cert`/`--chain` do not give comes from the file
/// (the certificate when `--cert` is absent; the chain when neither gives any).
pub struct Credentials {
    pub key: PrivateKey,
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

/// Resolves a .p12 key input into credentials (see [`Credentials`]).
pub fn p12_credentials(path: &Path, p12: &Pkcs12, name: Option<&str>, cert: Option<Vec<Vec<u8>>>, chain: Vec<Vec<u8>>) -> Result<Credentials, CliError> {
    let mut given = cert.unwrap_or_default().into_iter();
    let given_cert = given.next();
    let id = p12.identity(name, given_cert.as_deref()).map_err(|e| p12_error(path, e))?;
    let mut extra: Vec<Vec<u8>> = crate::util::distinct_certs(given.chain(chain));
    if extra.is_empty() {
        extra = id.chain;
    }
    Ok(Credentials { key: id.key, cert: given_cert.unwrap_or(id.certificate), chain: extra })
}
